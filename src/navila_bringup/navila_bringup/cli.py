"""The `navila` command: one entry point for bringing the stack up on this machine.

navila demo                      the executor fed scripted NaVILA outputs (no simulator)
navila sim --instruction "..."   the whole graph in the embedded simulator, one instruction
navila eval                      the shipped (or given) episodes, scored like VLN-CE
navila robot --robot go2 ...     the real robot's graph (what launch/robot.launch.py starts)
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from navila_bringup.graph import stop_on_signals
from navila_bringup.stack import LOW_LEVELS, PLANNERS

NO_POLICY = (
    "[navila] physics mode needs a locomotion policy: --policy <policy directory or file>, e.g. "
    "--policy models/go2_blind (a directory from navila-loco-train: weights + loco_params.yaml). "
    "Without one the robot would only stand; --low-level kinematic needs no policy."
)


def _stack_args(p: argparse.ArgumentParser, planner: str) -> None:
    p.add_argument("--robot", default="go2", help="config/<robot>.yaml (default go2)")
    p.add_argument("--planner", default=planner, choices=PLANNERS)
    p.add_argument(
        "--low-level",
        default="kinematic",
        choices=LOW_LEVELS,
        help="kinematic: the base follows /cmd_vel exactly (the paper's oracle low "
        "level); physics: the locomotion policy drives the joints",
    )
    p.add_argument(
        "--policy",
        default="",
        help="locomotion policy (physics mode): a policy directory such as models/go2_blind "
        "(weights + loco_params.yaml) or a bare .onnx/.jit file for the config's own layout",
    )
    p.add_argument("--out", type=Path, default=None, help="results folder")
    p.add_argument("--no-record", action="store_true", help="skip the MCAP recording")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="navila", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser(
        "demo", help="run the executor node on a scripted sequence of NaVILA outputs"
    )
    demo.add_argument("--robot", default="go2", help="config/<robot>.yaml to use (default go2)")
    demo.add_argument("--rate", type=float, default=50.0, help="/cmd_vel stream rate [Hz]")
    demo.add_argument("--out", type=Path, default=None, help="results JSON path")
    sim = sub.add_parser("sim", help="the whole stack in the embedded simulator, one instruction")
    _stack_args(sim, planner="direct")
    sim.add_argument("--scene", default="two_rooms", help="two_rooms | office | courtyard | YAML")
    sim.add_argument("--instruction", required=True)
    sim.add_argument("--start", type=float, nargs=3, metavar=("X", "Y", "YAW"), default=None)
    sim.add_argument("--timeout", type=float, default=120.0, help="seconds before giving up")
    ev = sub.add_parser("eval", help="run episodes; metrics JSON, top-view plots, MCAP files")
    _stack_args(ev, planner="oracle")
    ev.add_argument("--episodes", default=None, help="episodes JSON (default: the shipped ones)")
    ev.add_argument("--only", nargs="*", default=None, help="episode ids to run")
    ev.add_argument("--timeout", type=float, default=120.0, help="seconds per episode")
    robot = sub.add_parser(
        "robot",
        help="the real robot's graph (vendor SDK backend) on this ROS_DOMAIN_ID, until Ctrl-C",
    )
    robot.add_argument("--robot", default="go2", help="config/<robot>.yaml (go2, h1, t1)")
    robot.add_argument(
        "--planner",
        default="direct",
        choices=[p for p in PLANNERS if p != "oracle"] + ["none"],
        help="none: the planner runs on another machine on this ROS_DOMAIN_ID",
    )
    robot.add_argument("--policy", default="", help="locomotion policy directory or file")
    robot.add_argument(
        "--network-interface", default="", help="the NIC wired to the robot, e.g. eth0"
    )
    robot.add_argument(
        "--sdk-domain-id",
        type=int,
        default=None,
        help="the robot SDK's DDS domain (default: the config's navila_robot section, the "
        "robot's own 0); another for a rehearsal against navila_sim.unitree_sim",
    )
    robot.add_argument("--instruction", default="", help="give this instruction once standing")
    robot.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NODE:PARAM=VALUE",
        help="a node parameter on top of the config, e.g. navila_loco:safety.state_timeout_s=0.1",
    )
    robot.add_argument("--out", type=Path, default=None, help="results folder")
    robot.add_argument("--no-record", action="store_true", help="skip the MCAP recording")
    robot.add_argument(
        "--record-sensors",
        action="store_true",
        help="record the camera and LiDAR streams too (large: a robot camera is MB per frame)",
    )
    args = parser.parse_args(argv)
    stop_on_signals()
    if args.command == "robot":
        # A robot's graph talks to the robot's own ROS topics (the Go2's /utlidar/cloud) and to
        # a planner on another machine: ROS's default discovery, not this machine alone.
        os.environ.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "SUBNET")
        return _robot(args)
    os.environ.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")

    if args.command == "demo":
        from navila_bringup.demo_executor import run_demo

        try:
            run_demo(args.robot, args.rate, args.out)
        except (RuntimeError, FileNotFoundError) as exc:
            print(f"[demo] FAILED: {exc}", file=sys.stderr)
            return 1
        return 0

    if args.low_level == "physics" and not args.policy:
        print(NO_POLICY, file=sys.stderr)
        return 2
    from navila_bringup.paths import find_config, results_dir
    from navila_bringup.stack import SimStackOptions

    out = args.out or results_dir() / f"{args.command}_{time.strftime('%Y%m%d_%H%M%S')}"
    try:
        config = str(find_config(args.robot))
        if args.policy:  # a bad policy directory is refused before any node starts
            from navila_loco_node.policy_dir import policy_overrides

            policy_overrides(args.policy, config=config)
        if args.command == "eval":
            from navila_bringup.evaluate import evaluate

            evaluate(
                args.robot,
                config,
                args.planner,
                args.low_level,
                args.policy,
                args.episodes,
                out,
                args.timeout,
                args.only,
                not args.no_record,
            )
            return 0
        from navila_bringup.sim_run import run_sim

        opts = SimStackOptions(
            robot=args.robot,
            config=config,
            planner=args.planner,
            low_level=args.low_level,
            scene=args.scene,
            policy_path=args.policy,
            start_pose=tuple(args.start) if args.start else None,
        )
        result = run_sim(opts, args.instruction, args.timeout, out, record=not args.no_record)
    except (RuntimeError, ValueError, FileNotFoundError) as exc:
        print(f"[navila] FAILED: {exc}", file=sys.stderr)
        return 1
    return 0 if result.outcome == "stopped" else 3


def _robot(args: argparse.Namespace) -> int:
    """`navila robot`: 0 after Ctrl-C with every node stopped cleanly, 1 otherwise, 2 for a
    bad config, policy or --set before any node starts."""
    from navila_bringup.paths import find_config, results_dir
    from navila_bringup.robot_run import RobotRunOptions, run_robot

    out = args.out or results_dir() / f"robot_{time.strftime('%Y%m%d_%H%M%S')}"
    try:
        opts = RobotRunOptions(
            robot=args.robot,
            config=str(find_config(args.robot)),
            planner=args.planner,
            policy_path=args.policy,
            network_interface=args.network_interface,
            sdk_domain_id=args.sdk_domain_id,
            settings=tuple(args.set),
            instruction=args.instruction,
            record=not args.no_record,
            record_sensors=args.record_sensors,
        )
        result = run_robot(opts, out)
    except (ValueError, FileNotFoundError) as exc:
        print(f"[navila] refused: {exc}", file=sys.stderr)
        return 2
    clean = result.outcome == "interrupted" and not any(result.exit_codes.values())
    return 0 if clean else 1


if __name__ == "__main__":
    sys.exit(main())
