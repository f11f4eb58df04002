"""Table, property and fuzz tests of the action grammar."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from instruction_parser import (
    ActionKind,
    MidLevelAction,
    ParseError,
    ParseErrorCode,
    ParserConfig,
    format_action,
    format_actions,
    parse_action,
    parse_actions,
)

DEG = math.pi / 180
F, B, L, R = ActionKind.FORWARD, ActionKind.BACKWARD, ActionKind.LEFT, ActionKind.RIGHT
TL, TR, STOP = ActionKind.TURN_LEFT, ActionKind.TURN_RIGHT, ActionKind.STOP

# Every answer form NaVILA produces, and the variants a model drifts into.
NAVILA_TABLE = [
    ("The next action is move forward 75 cm.", F, 0.75),
    ("The next action is move forward 50 cm.", F, 0.50),
    ("The next action is move forward 25 cm.", F, 0.25),
    ("The next action is turn left 30 degrees.", TL, 30 * DEG),
    ("The next action is turn right 45 degrees.", TR, 45 * DEG),
    ("The next action is turn left 15 degrees.", TL, 15 * DEG),
    ("The next action is stop.", STOP, 0.0),
    ("turn left 30 degrees", TL, 30 * DEG),
    ("turn right 15 degree", TR, 15 * DEG),
    ("stop", STOP, 0.0),
    ("STOP", STOP, 0.0),
    ("THE NEXT ACTION IS MOVE FORWARD 75 CM.", F, 0.75),
    ("the next action is Turn Right 30 Degrees", TR, 30 * DEG),
    ("move forward 1 m", F, 1.0),
    ("move forward 1.5 meters", F, 1.5),
    ("move forward 2 metres", F, 2.0),
    ("move forward 120 centimeters", F, 1.2),
    ("move forward 80 centimetres", F, 0.8),
    ("move forward 0.75m", F, 0.75),
    ("move forward 75cm.", F, 0.75),
    ("move forward .5 m", F, 0.5),
    ("move forward 300 mm", F, 0.3),
    ("turn left 30 deg", TL, 30 * DEG),
    ("turn left 30°", TL, 30 * DEG),
    ("turn left 30 °", TL, 30 * DEG),
    ("turn right 0.5 radians", TR, 0.5),
    ("turn right 1 rad", TR, 1.0),
    ("move forward one meter", F, 1.0),
    ("move forward a meter", F, 1.0),
    ("turn left ninety degrees", TL, 90 * DEG),
    ("move forward half a meter", F, 0.5),
    ("move forward one and a half meters", F, 1.5),
    ("move forward two point five meters", F, 2.5),
    ("turn right twenty-five degrees", TR, 25 * DEG),
    ("turn right twenty five degrees", TR, 25 * DEG),
    ("move forward one hundred and twenty centimeters", F, 1.2),
    ("turn left a hundred degrees", TL, 100 * DEG),
    ("turn around", TL, math.pi),
    ("turn back", TL, math.pi),
    ("go back 1 m", B, 1.0),
    ("move backward 50 cm", B, 0.5),
    ("move backwards 50 cm", B, 0.5),
    ("step left 20 cm", L, 0.2),
    ("move right 30 cm", R, 0.3),
    ("walk straight 2 m", F, 2.0),
    ("go ahead 1 m", F, 1.0),
    ("advance 1 m", F, 1.0),
    ("rotate left 45 degrees", TL, 45 * DEG),
    ("move forward", F, 0.25),  # NaVILA's default amount
    ("turn left", TL, 15 * DEG),
    ("halt", STOP, 0.0),
    ("I can see a long hallway. The next action is move forward 75 cm.", F, 0.75),
    ("There is a door on the left. The next action is turn left 15 degrees.", TL, 15 * DEG),
    ("“The next action is move forward 75 cm.”", F, 0.75),
    ("move forward 1 m", F, 1.0),
]


@pytest.mark.parametrize(("text", "kind", "amount"), NAVILA_TABLE)
def test_navila_forms(text: str, kind: ActionKind, amount: float) -> None:
    action = parse_action(text)
    assert action.kind is kind
    assert action.amount == pytest.approx(amount, abs=1e-12)


def test_several_actions_in_order() -> None:
    actions = parse_actions("turn left 30 degrees, then move forward 1 m")
    assert [(a.kind, round(a.amount, 6)) for a in actions] == [(TL, round(30 * DEG, 6)), (F, 1.0)]
    actions = parse_actions("Move forward 2 m and turn right 90 degrees. Then stop.")
    assert [a.kind for a in actions] == [F, TR, STOP]
    actions = parse_actions("first step left 20 cm; next turn around; finally move backward 30 cm")
    assert [a.kind for a in actions] == [L, TL, B]


def test_word_numbers_and_digits_agree() -> None:
    pairs = [("thirty", "30"), ("forty five", "45"), ("one hundred", "100"), ("fifteen", "15")]
    for words, digits in pairs:
        want = parse_action(f"turn left {digits} degrees")
        assert parse_action(f"turn left {words} degrees") == want


def test_speed_words() -> None:
    assert parse_action("move forward 1 m slowly").speed_scale == 0.5
    assert parse_action("quickly move forward 1 m").speed_scale == 1.5
    with pytest.raises(ParseError) as e:
        parse_action("move forward 1 m slowly and quickly")
    assert e.value.code is ParseErrorCode.AMBIGUOUS


BAD = [
    ("", ParseErrorCode.EMPTY),
    ("   \n\t ", ParseErrorCode.EMPTY),
    ("I see a kitchen with a table.", ParseErrorCode.NO_ACTION),
    ("turn left and right", ParseErrorCode.AMBIGUOUS),
    ("turn left right 30 degrees", ParseErrorCode.AMBIGUOUS),
    ("move forward and backward 1 m", ParseErrorCode.AMBIGUOUS),
    ("move forward 1 m 50 cm", ParseErrorCode.AMBIGUOUS),
    ("stop and move forward 1 m", ParseErrorCode.AMBIGUOUS),
    ("stop, then turn left 30 degrees", ParseErrorCode.AMBIGUOUS),
    ("move forward -1 m", ParseErrorCode.NEGATIVE),
    ("turn left - 30 degrees", ParseErrorCode.NEGATIVE),
    ("turn left minus thirty degrees", ParseErrorCode.NEGATIVE),
    ("move forward 1e9 m", ParseErrorCode.ABSURD),
    ("turn left 100000 degrees", ParseErrorCode.ABSURD),
    ("move forward 1e999 m", ParseErrorCode.NON_FINITE),
    ("move forward nan m", ParseErrorCode.NON_FINITE),
    ("move forward inf cm", ParseErrorCode.NON_FINITE),
    ("move forward " + "9" * 400 + " m", ParseErrorCode.INVALID_NUMBER),
    ("move forward five six meters", ParseErrorCode.INVALID_NUMBER),
    ("move forward 75", ParseErrorCode.MISSING_UNIT),
    ("turn left 30", ParseErrorCode.MISSING_UNIT),
    ("move forward cm", ParseErrorCode.MISSING_NUMBER),
    ("move forward 30 degrees", ParseErrorCode.WRONG_UNIT),
    ("turn left 2 m", ParseErrorCode.WRONG_UNIT),
    ("move 2 m", ParseErrorCode.MISSING_DIRECTION),
    ("turn 30 degrees", ParseErrorCode.MISSING_DIRECTION),
    ("do not move forward", ParseErrorCode.NEGATED),
    ("don't turn left", ParseErrorCode.NEGATED),
    ("Never, under any circumstances, turn left", ParseErrorCode.NEGATED),
    ("x" * 100_000, ParseErrorCode.TOO_LONG),
    (b"move forward \xff\xfe 1 m", ParseErrorCode.INVALID_ENCODING),
    ("move forward \ud800 1 m", ParseErrorCode.INVALID_ENCODING),
    (", ".join(["turn left 15 degrees"] * 9), ParseErrorCode.TOO_MANY_ACTIONS),
]


@pytest.mark.parametrize(("text", "code"), BAD)
def test_bad_input_is_a_typed_error(text: str | bytes, code: ParseErrorCode) -> None:
    with pytest.raises(ParseError) as e:
        parse_actions(text)
    assert e.value.code is code
    assert e.value.reason  # a reason a person can read


def test_non_text_input_is_refused() -> None:
    with pytest.raises(ParseError) as e:
        parse_actions(12345)  # type: ignore[arg-type]
    assert e.value.code is ParseErrorCode.INVALID_ENCODING


def test_bytes_utf8_accepted() -> None:
    assert parse_action("turn left 30°".encode()).amount == pytest.approx(30 * DEG)


def test_robot_without_sideways_steps_rejects_them() -> None:
    cfg = ParserConfig(allowed_actions=("forward", "turn_left", "turn_right", "stop"))
    with pytest.raises(ParseError) as e:
        parse_actions("step left 20 cm", cfg)
    assert e.value.code is ParseErrorCode.NOT_ALLOWED
    assert "left" in e.value.reason
    assert parse_action("move forward 20 cm", cfg).kind is F


def test_stop_is_always_allowed() -> None:
    with pytest.raises(ValueError, match="stop"):
        ParserConfig(allowed_actions=("forward",))


def test_clamps_per_action() -> None:
    cfg = ParserConfig(max_forward_m=2.0, max_turn_deg=90.0)
    a = parse_action("move forward 5 m", cfg)
    assert (a.amount, a.clamped, a.requested) == (2.0, True, 5.0)
    t = parse_action("turn left 120 degrees", cfg)
    assert t.amount == pytest.approx(90 * DEG) and t.clamped
    assert not parse_action("move forward 1 m", cfg).clamped


def test_snap_mode_matches_navila_steps() -> None:
    cfg = ParserConfig(snap=True)
    cases = {
        "move forward 60 cm": 0.5,
        "move forward 1 m": 0.75,
        "move forward 10 cm": 0.25,
        "move forward 75 cm": 0.75,
    }
    for text, want in cases.items():
        assert parse_action(text, cfg).amount == pytest.approx(want)
    assert parse_action("turn left 40 degrees", cfg).amount == pytest.approx(45 * DEG)
    assert parse_action("turn left 40 degrees", cfg).snapped
    assert not parse_action("turn left 30 degrees", cfg).snapped
    assert parse_action("turn around", cfg).amount == pytest.approx(math.pi)  # explicit: kept


def test_require_amount() -> None:
    with pytest.raises(ParseError) as e:
        parse_action("move forward", ParserConfig(require_amount=True))
    assert e.value.code is ParseErrorCode.MISSING_AMOUNT


def test_format_navila_prefix() -> None:
    text = format_action(MidLevelAction(F, 0.75), navila_prefix=True)
    assert text == "The next action is move forward 75 cm."
    assert format_action(MidLevelAction(TL, 30 * DEG)) == "turn left 30 degrees"
    assert format_action(MidLevelAction(STOP)) == "stop"


# ------------------------------------------------------------------ property tests
_kinds = st.sampled_from([F, B, L, R, TL, TR])


@st.composite
def _actions(draw: st.DrawFn) -> MidLevelAction:
    kind = draw(_kinds)
    cfg = ParserConfig()
    hi = cfg.max_amount(kind)
    amount = draw(st.floats(min_value=0.0, max_value=hi, allow_nan=False, allow_infinity=False))
    speed = draw(st.sampled_from([1.0, cfg.slow_scale, cfg.fast_scale]))
    return MidLevelAction(kind, amount, speed_scale=speed)


def _same(a: MidLevelAction, b: MidLevelAction) -> bool:
    return (
        a.kind is b.kind
        and math.isclose(a.amount, b.amount, rel_tol=1e-8, abs_tol=1e-9)
        and a.speed_scale == b.speed_scale
    )


@settings(max_examples=400, deadline=None)
@given(_actions(), st.booleans())
def test_format_then_parse_round_trips(action: MidLevelAction, prefix: bool) -> None:
    back = parse_action(format_action(action, navila_prefix=prefix))
    assert _same(action, back), (action, back)


@settings(max_examples=200, deadline=None)
@given(st.lists(_actions(), min_size=1, max_size=8))
def test_format_then_parse_round_trips_lists(actions: list[MidLevelAction]) -> None:
    back = parse_actions(format_actions(actions))
    assert len(back) == len(actions)
    assert all(_same(a, b) for a, b in zip(actions, back, strict=True))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_any_text_parses_or_raises_parse_error(text: str) -> None:
    try:
        actions = parse_actions(text)
    except ParseError:
        return
    assert actions and all(math.isfinite(a.amount) and a.amount >= 0 for a in actions)


def test_fuzz_100k_inputs_no_exception_escapes() -> None:
    """100k random inputs mixing grammar fragments, junk, bytes and numbers: only ParseError."""
    rng = random.Random(20261124)
    vocab = [
        "move",
        "turn",
        "forward",
        "left",
        "right",
        "back",
        "around",
        "stop",
        "and",
        "then",
        ",",
        ".",
        "-",
        "°",
        "cm",
        "m",
        "degrees",
        "rad",
        "half",
        "a",
        "one",
        "twenty",
        "-five",
        "hundred",
        "and a half",
        "point",
        "1e308",
        "1e9",
        "nan",
        "inf",
        "0",
        "75",
        "0.5",
        ".",
        "not",
        "slowly",
        "quickly",
        "The next action is",
        "\u200b",
        "é",
        "\n",
        "'",
        "’",
    ]
    outcomes = {"ok": 0, "error": 0}
    for i in range(100_000):
        mode = i % 4
        if mode == 0:
            text: str | bytes = " ".join(rng.choice(vocab) for _ in range(rng.randint(0, 12)))
        elif mode == 1:
            text = "".join(chr(rng.randint(0, 0x2FFF)) for _ in range(rng.randint(0, 40)))
        elif mode == 2:
            text = bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 40)))
        else:
            verb = rng.choice(["move forward", "turn left", "go back"])
            unit = rng.choice(["cm", "m", "degrees", ""])
            text = f"{verb} {rng.uniform(-1e3, 1e3):g} {unit}"
        try:
            actions = parse_actions(text)
        except ParseError:
            outcomes["error"] += 1
            continue
        outcomes["ok"] += 1
        for a in actions:
            assert math.isfinite(a.amount) and a.amount >= 0
    assert outcomes["ok"] > 1000 and outcomes["error"] > 1000, outcomes


def test_description_sentences_are_not_tokenized_into_errors() -> None:
    # only sentences with a verb are parsed: odd numbers in a description do not matter
    assert parse_action("I see nan chairs and five six doors. Move forward 1 m.").amount == 1.0


def test_overlong_action_sentence_is_refused() -> None:
    text = "move forward 1 m " + "very " * 300 + "carefully"
    with pytest.raises(ParseError) as e:
        parse_actions(text, ParserConfig(max_input_chars=100_000))
    assert e.value.code is ParseErrorCode.TOO_LONG


def test_sentence_scan_agrees_with_tokenizing_everything() -> None:
    """The verb-to-verb sentence scan gives what a full tokenization of the text gives."""
    from instruction_parser import grammar

    def reference(text: str) -> list[MidLevelAction]:
        if not text.strip():
            raise ParseError(ParseErrorCode.EMPTY, "empty")
        actions: list[MidLevelAction] = []
        grammar._sentence_actions(
            grammar._split_clauses(grammar.tokenize(text)), ParserConfig(), actions
        )
        if not actions:
            raise ParseError(ParseErrorCode.NO_ACTION, "none")
        if any(a.kind is STOP for a in actions[:-1]):
            raise ParseError(ParseErrorCode.AMBIGUOUS, "stop first")
        return actions

    rng = random.Random(7)
    vocab = [
        "move",
        "turn",
        "go",
        "forward",
        "left",
        "right",
        "stop",
        "and",
        "then",
        ",",
        ".",
        ". ",
        "1.5",
        "2",
        "cm",
        "m",
        "degrees",
        "half a",
        "the",
        "door",
        "not",
        "x'go",
        "gone",
        "1go",
        "nan",
        "five six",
        "!",
        "\n",
        "°",
    ]
    compared = 0
    for _ in range(20_000):
        text = " ".join(rng.choice(vocab) for _ in range(rng.randint(1, 14)))
        try:
            want: list[MidLevelAction] | str = reference(text)
        except ParseError as exc:
            want = exc.code.value
        try:
            got: list[MidLevelAction] | str = parse_actions(text)
        except ParseError as exc:
            got = exc.code.value
        if want in ("non_finite", "invalid_number"):
            continue  # raised by a verbless sentence, which the scan rightly never reads
        assert got == want, text
        compared += 1
    assert compared > 10_000
