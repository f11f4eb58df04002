"""Parser speed: throughput on a corpus of planner outputs, and worst-case latency on 100 kB
adversarial inputs (goal: < 10 ms each), with the length guard on (default config) and off
(the grammar itself must be linear, not just protected by the guard).

    .venv/bin/python benchmarks/bench_parser.py [--repeat 2000] [--out results/bench_parser.json]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from pathlib import Path

from instruction_parser import ParseError, ParserConfig, parse_actions

CORPUS = [
    "The next action is move forward 75 cm.",
    "The next action is move forward 50 cm.",
    "The next action is turn left 30 degrees.",
    "The next action is turn right 45 degrees.",
    "The next action is turn right 15 degree.",
    "The next action is stop.",
    "turn left 30 degrees, then move forward 1 m",
    "Move forward one and a half meters and then turn right ninety degrees. Then stop.",
    "I can see a long hallway with a door on the right. The next action is move forward 75 cm.",
    "I see a kitchen with a table.",  # refused
    "turn left and right",  # refused
    "move forward -1 m",  # refused
]
SIZE = 100_000


def adversarial_inputs() -> dict[str, str | bytes]:
    """Inputs built to hurt a naive regex or a quadratic scanner."""
    return {
        "letters": "a" * SIZE,
        "digits": "1" * SIZE,
        "decimal_dots": "1." * (SIZE // 2),
        "exponents": "1e" * (SIZE // 2),
        "minus_signs": "-" * SIZE,
        "spaces": " " * (SIZE - 1) + "x",
        "articles": "a " * (SIZE // 2),
        "number_words": "twenty " * (SIZE // 7),
        "and_a_half": "one and a half " * (SIZE // 15),
        "clauses": "move forward 1 m, " * (SIZE // 18),
        "sentences": "move forward 1 m. " * (SIZE // 18),
        "junk_then_stop": "a. " * (SIZE // 3 - 2) + "stop",
        "description_verbs": "the gone stopper rotated. " * (SIZE // 26),
        "verb_words": "go " * (SIZE // 3),
        "one_long_clause": "turn left " * (SIZE // 10),
        "verb_and_numbers": "move " + "1 " * (SIZE // 2 - 3),
        "conjunctions": "and then " * (SIZE // 9),
        "directions": "left right " * (SIZE // 11),
        "separators": ".,;:!?" * (SIZE // 6),
        "unicode_junk": "é°’\u200b😀" * (SIZE // 5),
        "invalid_utf8": b"\xff\xfe" * (SIZE // 2),
        "navila_then_junk": "The next action is move forward 75 cm. " + "x" * (SIZE - 40),
    }


def time_call(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def parse_quietly(text: str | bytes, cfg: ParserConfig) -> str:
    try:
        parse_actions(text, cfg)
        return "ok"
    except ParseError as exc:
        return exc.code.value


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=2000, help="corpus passes")
    ap.add_argument("--adv-repeat", type=int, default=15, help="runs per adversarial input")
    ap.add_argument("--out", type=Path, default=Path("results/bench_parser.json"))
    args = ap.parse_args()

    default = ParserConfig()
    unguarded = ParserConfig(max_input_chars=10 * SIZE)
    # corpus throughput
    t0 = time.perf_counter()
    for _ in range(args.repeat):
        for text in CORPUS:
            parse_quietly(text, default)
    elapsed = time.perf_counter() - t0
    n = args.repeat * len(CORPUS)
    per_parse = [
        statistics.median(time_call(lambda t=t: parse_quietly(t, default), 200)) for t in CORPUS
    ]
    results = {
        "machine": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "corpus": {
            "texts": len(CORPUS),
            "parses": n,
            "parses_per_s": n / elapsed,
            "mean_us": elapsed / n * 1e6,
            "max_median_us": max(per_parse) * 1e6,
        },
        "adversarial_100kB": {},
    }
    print(
        f"corpus: {n} parses, {n / elapsed:,.0f} parses/s, mean {elapsed / n * 1e6:.1f} us, "
        f"slowest text median {max(per_parse) * 1e6:.1f} us"
    )
    print(
        f"\n{'adversarial input (100 kB)':<28}{'guard on: max ms':>18}{'guard off: max ms':>19}"
        f"{'p50 ms':>9}  outcome"
    )
    worst = 0.0
    for name, text in adversarial_inputs().items():
        on = time_call(lambda t=text: parse_quietly(t, default), args.adv_repeat)
        off = time_call(lambda t=text: parse_quietly(t, unguarded), args.adv_repeat)
        outcome = parse_quietly(text, unguarded)
        worst = max(worst, max(off))
        results["adversarial_100kB"][name] = {
            "guard_on_max_ms": max(on) * 1e3,
            "guard_off_max_ms": max(off) * 1e3,
            "guard_off_p50_ms": statistics.median(off) * 1e3,
            "outcome_unguarded": outcome,
        }
        print(
            f"{name:<28}{max(on) * 1e3:>18.3f}{max(off) * 1e3:>19.2f}"
            f"{statistics.median(off) * 1e3:>9.2f}  {outcome}"
        )
    results["adversarial_worst_unguarded_ms"] = worst * 1e3
    print(f"\nworst case, full parse of 100 kB (guard off): {worst * 1e3:.2f} ms (goal < 10 ms)")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    print(f"results written to {args.out.resolve()}")


if __name__ == "__main__":
    main()
