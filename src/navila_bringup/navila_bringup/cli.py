"""The `navila` command: one entry point for bringing the stack up on this machine."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="navila", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser(
        "demo",
        help="run the executor node on a scripted sequence of NaVILA outputs over ROS 2 topics",
    )
    demo.add_argument("--robot", default="go2", help="config/<robot>.yaml to use (default go2)")
    demo.add_argument("--rate", type=float, default=50.0, help="/cmd_vel stream rate [Hz]")
    demo.add_argument("--out", type=Path, default=None, help="results JSON path")
    args = parser.parse_args(argv)
    os.environ.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
    if args.command == "demo":
        from navila_bringup.demo_executor import run_demo

        try:
            run_demo(args.robot, args.rate, args.out)
        except (RuntimeError, FileNotFoundError) as exc:
            print(f"[demo] FAILED: {exc}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
