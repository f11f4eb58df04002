"""Text -> mid-level actions: the language interface between the planner and the low level.

Design, and why:
- A tokenizer (one regular expression of single-character-class alternatives, scanned once) and a
  hand-written grammar over tokens. No pattern can backtrack catastrophically, so parsing is linear
  in the input length, and a 100 kB answer costs milliseconds, not minutes.
- Everything NaVILA emits parses ("The next action is move forward 75 cm.", "turn left 30 degrees",
  "turn right 15 degree", "stop"), case-insensitively, with number words ("ninety", "half a
  meter"), several units, and several actions in order ("turn left 30 degrees, then move forward
  1 m").
- Anything else is refused with a typed `ParseError`: the caller stops the robot. NaVILA itself
  treats unmatched text as stop; we say *why* as well.

Clauses are split at conjunctions ("and", "then", ",") and sentence ends. A clause needs a verb
(move/go/walk/step/turn/rotate/stop/...). A verbless sentence is description and is ignored ("I
see a door on the left. The next action is stop."), but a verbless fragment joined to an action by a
conjunction is an ellipsis we refuse to guess ("turn left and right").
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from instruction_parser.actions import ActionKind, MidLevelAction, ParseError, ParseErrorCode
from instruction_parser.config import ParserConfig

# ----------------------------------------------------------------------------------------- lexicon
# Verbs are kept to words that are rarely nouns in a scene description ("head", "back" are not).
MOVE_VERBS = frozenset({"move", "go", "walk", "step", "proceed", "strafe", "advance", "drive"})
TURN_VERBS = frozenset({"turn", "rotate", "spin", "pivot"})
STOP_WORDS = frozenset({"stop", "halt", "freeze"})
NEGATIONS = frozenset(
    {"not", "don't", "dont", "never", "no", "shouldn't", "mustn't", "can't", "cannot", "won't"}
)
DIRECTIONS = {
    "forward": "forward",
    "forwards": "forward",
    "ahead": "forward",
    "straight": "forward",
    "backward": "backward",
    "backwards": "backward",
    "back": "backward",
    "left": "left",
    "right": "right",
    "around": "around",
}
SLOW_WORDS = frozenset({"slowly", "slow", "carefully", "gently"})
FAST_WORDS = frozenset({"quickly", "fast", "quick", "rapidly", "briskly"})
DISTANCE_UNITS = {
    "m": 1.0,
    "meter": 1.0,
    "meters": 1.0,
    "metre": 1.0,
    "metres": 1.0,
    "cm": 0.01,
    "centimeter": 0.01,
    "centimeters": 0.01,
    "centimetre": 0.01,
    "centimetres": 0.01,
    "mm": 0.001,
    "millimeter": 0.001,
    "millimeters": 0.001,
    "millimetre": 0.001,
    "millimetres": 0.001,
}
ANGLE_UNITS = {
    "degree": math.pi / 180,
    "degrees": math.pi / 180,
    "deg": math.pi / 180,
    "degs": math.pi / 180,
    "°": math.pi / 180,
    "radian": 1.0,
    "radians": 1.0,
    "rad": 1.0,
    "rads": 1.0,
}
SMALL_NUMBERS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fourty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
FRACTIONS = {"half": 0.5, "quarter": 0.25}
NON_FINITE_WORDS = frozenset({"nan", "inf", "infinity", "infinite", "infinitely"})
NEGATIVE_WORDS = frozenset({"minus", "negative"})
CONJUNCTIONS = frozenset({"and", "then", "after", "afterwards", "followed", "next", "finally"})
# "next" is only a conjunction inside a clause list ("turn left, next move forward"); the NaVILA
# preamble "The next action is ..." puts it before any verb, where splitting there is harmless.
MAX_NUMBER_CHARS = 32

# One alternative per token class, each starting with a distinct character class: the scanner never
# backtracks more than a couple of characters, so the whole scan is linear.
_TOKEN_RE = re.compile(
    r"(?P<num>\d+(?:\.\d+)?(?:e[+-]?\d+)?|\.\d+)"
    r"|(?P<word>[a-z]+(?:'[a-z]+)?)"
    r"|(?P<deg>°)"
    r"|(?P<minus>[-−–])"
    r"|(?P<sent>[.!?;\n]+)"
    r"|(?P<conj>[,:])"
)


# Finding action sentences without tokenizing everything. A verb as a whole word (only ASCII
# letters count as word characters, as in the tokenizer, so this finds a superset of the verb
# tokens), and sentence ends: the tokenizer's `sent` class, where "." before a digit is a decimal
# point. The reversed pattern finds the end of the previous sentence in the reversed text.
_VERB_WORD_RE = re.compile(
    r"(?<![a-z])(?:"
    + "|".join(sorted(MOVE_VERBS | TURN_VERBS | STOP_WORDS, key=len, reverse=True))
    + r")(?![a-z])"
)
_SENTENCE_END_RE = re.compile(r"[!?;\n]|\.(?!\d)")
_SENTENCE_END_REV_RE = re.compile(r"[!?;\n]|(?<!\d)\.")
# No action sentence an instruction-following model writes comes near this; a longer one is
# refused before it is tokenized.
MAX_SENTENCE_CHARS = 1000


@dataclass
class _Tok:
    kind: str  # num | word | deg | minus | sent | conj
    text: str
    pos: int


@dataclass
class _Number:
    value: float
    negative: bool
    text: str


@dataclass
class _Clause:
    words: list[str] = field(default_factory=list)
    numbers: list[_Number] = field(default_factory=list)
    units: list[str] = field(default_factory=list)
    text_parts: list[str] = field(default_factory=list)
    start_boundary: str = "sent"  # what came before this clause: "sent" or "conj"
    end_boundary: str = "sent"

    @property
    def text(self) -> str:
        return " ".join(self.text_parts)

    def has_verb(self) -> bool:
        return any(w in MOVE_VERBS or w in TURN_VERBS or w in STOP_WORDS for w in self.words)

    def has_motion_content(self) -> bool:
        return bool(
            self.numbers
            or self.units
            or any(w in DIRECTIONS or w in SLOW_WORDS or w in FAST_WORDS for w in self.words)
        )


def _decode(text: str | bytes) -> str:
    if isinstance(text, (bytes, bytearray, memoryview)):
        try:
            return bytes(text).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ParseError(
                ParseErrorCode.INVALID_ENCODING,
                f"input is not valid UTF-8 ({exc.reason} at byte {exc.start})",
            ) from None
    if not isinstance(text, str):
        raise ParseError(
            ParseErrorCode.INVALID_ENCODING, f"input must be text, got {type(text).__name__}"
        )
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ParseError(
            ParseErrorCode.INVALID_ENCODING,
            f"input holds characters that are not valid Unicode text ({exc.reason})",
        ) from None
    return text


def _normalise(text: str) -> str:
    return text.lower().replace("’", "'").replace("‘", "'")


def tokenize(text: str) -> list[_Tok]:
    """Lower-cased tokens; characters outside every token class (spaces, emoji) are skipped."""
    return [
        _Tok(m.lastgroup or "", m.group(), m.start()) for m in _TOKEN_RE.finditer(_normalise(text))
    ]


def _num_value(text: str) -> float:
    if len(text) > MAX_NUMBER_CHARS:
        raise ParseError(
            ParseErrorCode.INVALID_NUMBER,
            f"number '{text[:16]}...' has more than {MAX_NUMBER_CHARS} characters",
        )
    value = float(text)
    if not math.isfinite(value):
        raise ParseError(ParseErrorCode.NON_FINITE, f"number '{text}' is not finite")
    return value


def _is_number_word(tok: _Tok | None) -> bool:
    return (
        tok is not None
        and tok.kind == "word"
        and (
            tok.text in SMALL_NUMBERS
            or tok.text in TENS
            or tok.text in ("hundred", "thousand", "half", "quarter", "point")
        )
    )


def _read_number(toks: list[_Tok], i: int) -> tuple[_Number | None, int]:
    """Read a number phrase starting at toks[i]; returns (number or None, index after it).

    Grammar: digits | cardinal words ("one hundred and twenty") | "a"/"an" before a unit or
    "hundred" | "half a" | ... optionally followed by "and a half"/"and a quarter" or "point five".
    """
    tok = toks[i]
    n = len(toks)
    nxt = toks[i + 1] if i + 1 < n else None
    if tok.kind == "num":
        value = _num_value(tok.text)
        j = i + 1
        text = tok.text
    elif (
        tok.kind == "word"
        and tok.text in ("a", "an")
        and nxt is not None
        and nxt.kind in ("word", "deg")
        and (
            nxt.text in DISTANCE_UNITS
            or nxt.text in ANGLE_UNITS
            or nxt.text in ("hundred", "thousand", "half", "quarter")
        )
    ):
        if nxt.text in ("half", "quarter"):
            value, j, text = FRACTIONS[nxt.text], i + 2, f"a {nxt.text}"
        elif nxt.text in ("hundred", "thousand"):
            return _read_cardinal(toks, i + 1, start_value=1)
        else:
            value, j, text = 1.0, i + 1, tok.text
    elif tok.kind == "word" and tok.text in FRACTIONS:
        value, j, text = FRACTIONS[tok.text], i + 1, tok.text
        if j < n and toks[j].kind == "word" and toks[j].text in ("a", "an", "of"):
            j += 1  # "half a meter", "quarter of a turn"
            if j < n and toks[j].kind == "word" and toks[j].text in ("a", "an"):
                j += 1
    elif _is_number_word(tok) and tok.text not in ("hundred", "thousand", "point"):
        return _read_cardinal(toks, i, start_value=None)
    else:
        return None, i
    return _read_fraction_tail(toks, j, value, text)


def _read_cardinal(toks: list[_Tok], i: int, start_value: int | None) -> tuple[_Number, int]:
    total, current = 0, 0 if start_value is None else start_value
    last = "start" if start_value is None else "small"
    parts: list[str] = [] if start_value is None else ["a"]
    n = len(toks)
    j = i
    while j < n and toks[j].kind == "word":
        w = toks[j].text
        if w in SMALL_NUMBERS:
            if last in ("small", "teen"):
                raise ParseError(
                    ParseErrorCode.INVALID_NUMBER, f"'{' '.join([*parts, w])}' is not a number"
                )
            current += SMALL_NUMBERS[w]
            last = "small" if SMALL_NUMBERS[w] < 10 else "teen"
        elif w in TENS:
            if last in ("small", "teen", "tens"):
                raise ParseError(
                    ParseErrorCode.INVALID_NUMBER, f"'{' '.join([*parts, w])}' is not a number"
                )
            current += TENS[w]
            last = "tens"
        elif w == "hundred":
            if last not in ("small", "teen", "tens") or current == 0 or current >= 100:
                raise ParseError(
                    ParseErrorCode.INVALID_NUMBER, f"'{' '.join([*parts, w])}' is not a number"
                )
            current *= 100
            last = "hundred"
        elif w == "thousand":
            if last == "start" or current == 0:
                raise ParseError(
                    ParseErrorCode.INVALID_NUMBER, f"'{' '.join([*parts, w])}' is not a number"
                )
            total += current * 1000
            current = 0
            last = "thousand"
        elif (
            w == "and"
            and last in ("hundred", "thousand")
            and j + 1 < n
            and (toks[j + 1].text in SMALL_NUMBERS or toks[j + 1].text in TENS)
        ):
            pass  # "one hundred and twenty"
        else:
            break
        parts.append(w)
        j += 1
    value = float(total + current)
    j2 = j
    if j2 < n and toks[j2].kind == "word" and toks[j2].text == "point":
        digits = []
        k = j2 + 1
        while (
            k < n
            and toks[k].kind == "word"
            and toks[k].text in SMALL_NUMBERS
            and SMALL_NUMBERS[toks[k].text] < 10
        ):
            digits.append(str(SMALL_NUMBERS[toks[k].text]))
            k += 1
        if not digits:
            raise ParseError(
                ParseErrorCode.INVALID_NUMBER,
                f"'{' '.join(parts)} point' has no digits after 'point'",
            )
        value = float(f"{int(value)}.{''.join(digits)}")
        parts += ["point", *[toks[x].text for x in range(j2 + 1, k)]]
        j = k
    return _read_fraction_tail(toks, j, value, " ".join(parts))


def _read_fraction_tail(toks: list[_Tok], j: int, value: float, text: str) -> tuple[_Number, int]:
    """ "... and a half" / "... and a quarter" after a number."""
    n = len(toks)
    if (
        j + 2 < n
        and toks[j].text == "and"
        and toks[j + 1].text in ("a", "an")
        and toks[j + 2].text in FRACTIONS
    ):
        value += FRACTIONS[toks[j + 2].text]
        text = f"{text} and a {toks[j + 2].text}"
        j += 3
    return _Number(value, False, text), j


def _split_clauses(toks: list[_Tok]) -> list[_Clause]:
    """Group tokens into clauses, collapsing number phrases and marking negative signs."""
    clauses: list[_Clause] = [_Clause(start_boundary="sent")]
    i, n = 0, len(toks)
    pending_minus = False
    prev_number_word = False
    while i < n:
        tok = toks[i]
        cur = clauses[-1]
        if tok.kind in ("sent", "conj"):
            if cur.words or cur.numbers or cur.units:
                cur.end_boundary = tok.kind
                clauses.append(_Clause(start_boundary=tok.kind))
            elif tok.kind == "sent":  # a run of separators is one boundary; a sentence end
                cur.start_boundary = "sent"  # in it wins over a conjunction ("left, . right")
                if len(clauses) > 1:
                    clauses[-2].end_boundary = "sent"
            pending_minus = False
            i += 1
            continue
        if tok.kind == "word" and tok.text in CONJUNCTIONS:
            if cur.words or cur.numbers or cur.units:
                cur.end_boundary = "conj"
                clauses.append(_Clause(start_boundary="conj"))
            else:
                cur.start_boundary = "conj" if cur.start_boundary == "conj" else cur.start_boundary
            i += 1
            continue
        if tok.kind == "minus":
            # "-30" or "- 30" or "-thirty" is a sign; "twenty-five" is a hyphen inside a number.
            nxt = toks[i + 1] if i + 1 < n else None
            if nxt is not None and (
                nxt.kind == "num" or (_is_number_word(nxt) and not prev_number_word)
            ):
                pending_minus = True
            i += 1
            continue
        number, j = _read_number(toks, i)
        if number is not None:
            # A hyphenated word number ("twenty-five") arrives as two phrases: merge them.
            if (
                not pending_minus
                and cur.numbers
                and i > 0
                and toks[i - 1].kind == "minus"
                and prev_number_word
                and number.value < 10
            ):
                last = cur.numbers[-1]
                cur.numbers[-1] = _Number(
                    last.value + number.value, last.negative, f"{last.text}-{number.text}"
                )
            else:
                number.negative = pending_minus
                cur.numbers.append(number)
            cur.text_parts.append(("-" if pending_minus else "") + number.text)
            pending_minus = False
            prev_number_word = toks[j - 1].kind == "word"
            i = j
            continue
        prev_number_word = False
        pending_minus = False
        if tok.kind == "deg":
            cur.units.append("°")
        elif tok.text in DISTANCE_UNITS or tok.text in ANGLE_UNITS:
            cur.units.append(tok.text)
        elif tok.text in NON_FINITE_WORDS:
            raise ParseError(ParseErrorCode.NON_FINITE, f"'{tok.text}' is not a finite amount")
        elif tok.text in NEGATIVE_WORDS:
            pending_minus = True
        cur.words.append(tok.text)
        cur.text_parts.append(tok.text)
        i += 1
    return [c for c in clauses if c.words or c.numbers or c.units]


def _amount(
    clause: _Clause, units: dict[str, float], other_units: dict[str, float], what: str
) -> float | None:
    """The clause's amount in SI units, or None when it names none."""
    if len(clause.numbers) > 1:
        raise ParseError(
            ParseErrorCode.AMBIGUOUS, f"'{clause.text}' names {len(clause.numbers)} amounts"
        )
    if len(clause.units) > 1:
        raise ParseError(
            ParseErrorCode.AMBIGUOUS, f"'{clause.text}' names {len(clause.units)} units"
        )
    if not clause.numbers:
        if clause.units:
            raise ParseError(
                ParseErrorCode.MISSING_NUMBER, f"'{clause.text}' has a unit but no number"
            )
        return None
    number = clause.numbers[0]
    if number.negative:
        raise ParseError(ParseErrorCode.NEGATIVE, f"'{clause.text}': amounts must not be negative")
    if not clause.units:
        raise ParseError(
            ParseErrorCode.MISSING_UNIT,
            f"'{clause.text}': {number.text} {what}? (a unit is required)",
        )
    unit = clause.units[0]
    if unit in other_units:
        raise ParseError(
            ParseErrorCode.WRONG_UNIT, f"'{clause.text}': '{unit}' is not a unit of {what}"
        )
    value = number.value * units[unit]
    if not math.isfinite(value):
        raise ParseError(ParseErrorCode.NON_FINITE, f"'{clause.text}' is not a finite amount")
    return value


def _directions(clause: _Clause) -> list[str]:
    dirs = []
    for w in clause.words:
        d = DIRECTIONS.get(w)
        if d is not None and d not in dirs:
            dirs.append(d)
    return dirs


def _speed_scale(clause: _Clause, cfg: ParserConfig) -> float:
    slow = any(w in SLOW_WORDS for w in clause.words)
    fast = any(w in FAST_WORDS for w in clause.words)
    if slow and fast:
        raise ParseError(ParseErrorCode.AMBIGUOUS, f"'{clause.text}' asks to be both slow and fast")
    return cfg.slow_scale if slow else cfg.fast_scale if fast else 1.0


def _clause_action(clause: _Clause, cfg: ParserConfig) -> MidLevelAction:
    words = set(clause.words)
    if words & NEGATIONS:
        raise ParseError(
            ParseErrorCode.NEGATED, f"'{clause.text}' is negated; refusing to guess what to do"
        )
    is_stop = bool(words & STOP_WORDS)
    is_turn = bool(words & TURN_VERBS)
    is_move = bool(words & MOVE_VERBS)
    if is_stop and (is_turn or is_move):
        raise ParseError(ParseErrorCode.AMBIGUOUS, f"'{clause.text}' both stops and moves")
    if is_stop:
        return MidLevelAction(ActionKind.STOP, 0.0, source=clause.text)
    dirs = _directions(clause)
    if is_turn:
        dirs = ["around" if d == "backward" else d for d in dirs if d != "forward"]
        if len(dirs) > 1:
            raise ParseError(ParseErrorCode.AMBIGUOUS, f"'{clause.text}' names directions {dirs}")
        if not dirs:
            raise ParseError(ParseErrorCode.MISSING_DIRECTION, f"'{clause.text}': turn which way?")
        amount = _amount(clause, ANGLE_UNITS, DISTANCE_UNITS, "angle")
        around = dirs[0] == "around"
        side = cfg.turn_around_direction if around else dirs[0]
        kind = ActionKind.TURN_LEFT if side == "left" else ActionKind.TURN_RIGHT
        default = math.pi if around else math.radians(cfg.default_angle_deg)
        return _finish(kind, amount, default, clause, cfg, snappable=not around)
    # A move verb ("go back 1 m" and "step back" are backward; "advance" implies forward).
    if "advance" in words and not dirs:
        dirs = ["forward"]
    if len(dirs) > 1:
        raise ParseError(ParseErrorCode.AMBIGUOUS, f"'{clause.text}' names directions {dirs}")
    if not dirs or dirs == ["around"]:
        raise ParseError(ParseErrorCode.MISSING_DIRECTION, f"'{clause.text}': move which way?")
    kind = {
        "forward": ActionKind.FORWARD,
        "backward": ActionKind.BACKWARD,
        "left": ActionKind.LEFT,
        "right": ActionKind.RIGHT,
    }[dirs[0]]
    amount = _amount(clause, DISTANCE_UNITS, ANGLE_UNITS, "distance")
    return _finish(kind, amount, cfg.default_distance_m, clause, cfg, snappable=True)


def _finish(
    kind: ActionKind,
    amount: float | None,
    default: float,
    clause: _Clause,
    cfg: ParserConfig,
    snappable: bool,
) -> MidLevelAction:
    if not cfg.allows(kind):
        raise ParseError(
            ParseErrorCode.NOT_ALLOWED,
            f"'{clause.text}': this robot does not do '{kind.value}' "
            f"(allowed: {', '.join(cfg.allowed_actions)})",
        )
    speed = _speed_scale(clause, cfg)
    if amount is None:
        if cfg.require_amount and snappable:
            raise ParseError(ParseErrorCode.MISSING_AMOUNT, f"'{clause.text}' names no amount")
        return MidLevelAction(kind, default, speed_scale=speed, requested=None, source=clause.text)
    reject = math.radians(cfg.reject_angle_deg) if kind.is_turn else cfg.reject_distance_m
    if amount > reject:
        raise ParseError(ParseErrorCode.ABSURD, f"'{clause.text}' is beyond the refusal limit")
    value, snapped, clamped = amount, False, False
    if cfg.snap and snappable:
        steps = (
            [math.radians(a) for a in cfg.snap_angles_deg]
            if kind.is_turn
            else list(cfg.snap_distances_m)
        )
        value = min(steps, key=lambda s: (abs(s - amount), s))
        snapped = not math.isclose(value, amount, rel_tol=1e-9, abs_tol=1e-12)
    limit = cfg.max_amount(kind)
    if value > limit:
        value, clamped = limit, True
    return MidLevelAction(
        kind,
        value,
        speed_scale=speed,
        clamped=clamped,
        snapped=snapped,
        requested=amount,
        source=clause.text,
    )


def parse_actions(text: str | bytes, config: ParserConfig | None = None) -> list[MidLevelAction]:
    """Parse planner text into an ordered, non-empty list of actions, or raise ParseError.

    Only sentences that contain a verb are tokenized (a verbless sentence is description), and
    they are found by C-level regex scans from one verb to the next, so the Python work is
    bounded by the number of action sentences (at most `max_actions` + 1 before a refusal), not
    by the length of the text.
    """
    cfg = config or ParserConfig()
    raw = _decode(text)
    if len(raw) > cfg.max_input_chars:
        raise ParseError(
            ParseErrorCode.TOO_LONG,
            f"{len(raw)} characters exceed the limit of {cfg.max_input_chars}",
        )
    if not raw.strip():
        raise ParseError(ParseErrorCode.EMPTY, "empty text")
    low = _normalise(raw)
    rev = low[::-1]
    n = len(low)
    actions: list[MidLevelAction] = []
    pos = 0
    while (verb := _VERB_WORD_RE.search(low, pos)) is not None:
        before = _SENTENCE_END_REV_RE.search(rev, n - verb.start())
        start = n - before.start() if before else 0
        after = _SENTENCE_END_RE.search(low, verb.end())
        end = after.start() if after else n
        if end - start > MAX_SENTENCE_CHARS:
            raise ParseError(
                ParseErrorCode.TOO_LONG,
                f"a sentence with an action has {end - start} characters "
                f"(more than {MAX_SENTENCE_CHARS})",
            )
        _sentence_actions(_split_clauses(tokenize(low[start:end])), cfg, actions)
        pos = end
    if not actions:
        raise ParseError(ParseErrorCode.NO_ACTION, "no action (move/turn/stop) found in the text")
    for a in actions[:-1]:
        if a.kind is ActionKind.STOP:
            raise ParseError(ParseErrorCode.AMBIGUOUS, "'stop' is followed by more actions")
    return actions


def _negates_later_action(clauses: list[_Clause], idx: int) -> bool:
    """Does a verbless negation ("never, under any circumstances, turn left") reach an action?"""
    for k in range(idx, len(clauses) - 1):
        if clauses[k].end_boundary != "conj":
            return False
        if clauses[k + 1].has_verb():
            return True
    return False


def _sentence_actions(
    clauses: list[_Clause], cfg: ParserConfig, actions: list[MidLevelAction]
) -> None:
    """Append one sentence's actions, refusing ellipses, negations and too many actions."""
    for idx, clause in enumerate(clauses):
        if clause.has_verb():
            actions.append(_clause_action(clause, cfg))
            if len(actions) > cfg.max_actions:
                raise ParseError(
                    ParseErrorCode.TOO_MANY_ACTIONS,
                    f"more than {cfg.max_actions} actions in one text",
                )
            continue
        if not clause.has_motion_content():
            if set(clause.words) & NEGATIONS and _negates_later_action(clauses, idx):
                raise ParseError(ParseErrorCode.NEGATED, f"'{clause.text}' negates what follows")
            continue  # filler such as "The next action is"
        joined_before = clause.start_boundary == "conj" and idx > 0 and clauses[idx - 1].has_verb()
        joined_after = (
            clause.end_boundary == "conj" and idx + 1 < len(clauses) and clauses[idx + 1].has_verb()
        )
        if joined_before or joined_after:
            raise ParseError(
                ParseErrorCode.AMBIGUOUS,
                f"'{clause.text}' has no verb of its own; refusing to guess what it continues",
            )


def parse_action(text: str | bytes, config: ParserConfig | None = None) -> MidLevelAction:
    """Exactly one action (NaVILA's own contract), or ParseError."""
    actions = parse_actions(text, config)
    if len(actions) != 1:
        raise ParseError(ParseErrorCode.AMBIGUOUS, f"expected one action, found {len(actions)}")
    return actions[0]


# ------------------------------------------------------------------------------------- formatting
def _fmt(x: float) -> str:
    s = f"{x:.10g}"
    return s if "e" not in s else f"{x:.10f}".rstrip("0").rstrip(".")


def format_action(action: MidLevelAction, navila_prefix: bool = False) -> str:
    """NaVILA-style text for an action ("move forward 75 cm", "turn left 30 degrees", "stop").

    The planner's direct and oracle backends speak through this, so they emit exactly what the
    parser accepts; `navila_prefix` adds "The next action is ... ." like the model does.
    """
    k = action.kind
    if k is ActionKind.STOP:
        body = "stop"
    elif k.is_turn:
        side = "left" if k is ActionKind.TURN_LEFT else "right"
        body = f"turn {side} {_fmt(math.degrees(action.amount))} degrees"
    else:
        word = {
            ActionKind.FORWARD: "move forward",
            ActionKind.BACKWARD: "move backward",
            ActionKind.LEFT: "move left",
            ActionKind.RIGHT: "move right",
        }[k]
        cm = action.amount * 100.0
        body = f"{word} {_fmt(cm)} cm" if cm < 100.0 else f"{word} {_fmt(action.amount)} m"
    if action.speed_scale < 1.0:
        body += " slowly"
    elif action.speed_scale > 1.0:
        body += " quickly"
    return f"The next action is {body}." if navila_prefix else body


def format_actions(actions: list[MidLevelAction]) -> str:
    return ", then ".join(format_action(a) for a in actions)
