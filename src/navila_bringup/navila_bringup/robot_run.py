"""`navila robot`: the real-robot graph on a machine without `ros2 launch` (ROS 2 from PyPI).

Starts the nodes of `stack.robot_stack` (what launch/robot.launch.py starts: the robot's SDK
backend and DDS domain from its config's `navila_robot` section) as processes on this shell's
ROS_DOMAIN_ID (default 0) with ROS's subnet-wide discovery unless ROS_AUTOMATIC_DISCOVERY_RANGE
says otherwise (a planner on a GPU machine, the robot's own topics must be heard), waits
until the policy has stood the robot up, optionally gives it one instruction, and then prints
what the planner says, what the executor makes of it and every change of the locomotion
node's mode, until Ctrl-C. Ctrl-C (or SIGTERM) stops every node through its safe stop: the loco
node damps the motors. Instructions also arrive on /navila/instruction from anywhere on the
domain. A node that dies ends the run, the others stopped the same way (exit 1).

The run's record (instructions, planner outputs, executor actions, the loco node's modes, exit
codes) goes to run.json and the topics to run.mcap (the camera and LiDAR streams only with
`--record-sensors`: megabytes per frame on a robot), in a results folder whose path is printed.
Against `navila_sim.unitree_sim --sport-mode normal` (`--sdk-domain-id`, `--network-interface
lo`) this is the whole robot bring-up rehearsed without a robot.
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from navila_bringup.follow import (
    READY_TIMEOUT,
    Follower,
    deliver_instruction,
    wait_until_linked,
)
from navila_bringup.graph import NodeGraph, ros_env
from navila_bringup.stack import add_params, robot_stack

SAFETY = (
    "[navila] SAFETY: the robot stands up as soon as the locomotion node has its state. Clear "
    "2 m around it, hold the remote, and keep this terminal: Ctrl-C damps the motors "
    "(kp 0, kd 8); `/navila/estop` (std_msgs/Bool true) damps too."
)


CONSOLE_HELP = (
    "[navila] type an instruction and Enter to give it; or !estop (damp now), !release (the "
    "e-stop), !reset (damped -> passive), !start (stand up), !cancel (the instruction), !help"
)
# Console commands: (topic, message kind, value, what is said).
CONSOLE_COMMANDS = {
    "!estop": ("/navila/estop", "bool", True, "E-STOP sent: the robot damps"),
    "!release": ("/navila/estop", "bool", False, "e-stop released (then !reset, !start)"),
    "!reset": ("/navila/loco/command", "str", "reset", "reset sent (damped -> passive)"),
    "!start": ("/navila/loco/command", "str", "start", "start sent (stand-up)"),
    "!cancel": ("/navila/instruction", "str", "", "instruction cancelled"),
}


def console_line(line: str) -> tuple[str, str, object, str] | str | None:
    """What a line typed at `navila robot` means: a CONSOLE_COMMANDS entry, an instruction
    (the text), or None (blank, or !help). ValueError for an unknown !command: a typo must
    never become an instruction the robot walks."""
    text = line.strip()
    if not text or text == "!help":
        return None
    if text.startswith("!"):
        if text not in CONSOLE_COMMANDS:
            raise ValueError(f"unknown command {text!r}: {', '.join(CONSOLE_COMMANDS)}, !help")
        return CONSOLE_COMMANDS[text]
    return text


@dataclass(frozen=True)
class RobotRunOptions:
    robot: str
    config: str
    planner: str = "direct"
    policy_path: str = ""
    network_interface: str = ""
    sdk_domain_id: int | None = None  # None: the config's (the robot's own, 0)
    settings: tuple[str, ...] = ()  # `--set NODE:PARAM=VALUE` items, set last
    instruction: str = ""
    record: bool = True
    # The camera and LiDAR streams too: a real camera is megabytes per frame, hours of it fill
    # a disk; the rest (plan, actions, status, /cmd_vel, height map) is small.
    record_sensors: bool = False


@dataclass
class RobotRunResult:
    robot: str
    ros_domain_id: int
    outcome: str = "bringup_failed"  # interrupted | node_died | bringup_failed
    error: str = ""
    instructions: list[str] = field(default_factory=list)
    planner_outputs: list[str] = field(default_factory=list)
    actions: list[dict] = field(default_factory=list)
    loco_modes: list[dict] = field(default_factory=list)  # {"mode", "reason"} as they changed
    episodes_ended: int = 0
    exit_codes: dict[str, int] = field(default_factory=dict)


def parse_overrides(items: list[str], nodes: list[str]) -> dict[str, dict[str, Any]]:
    """`--set NODE:PARAM=VALUE` items -> {node: {param: value}} (VALUE read as YAML, as
    `ros2 run ... -p` reads it). ValueError for a malformed item or a node not in `nodes`."""
    import yaml

    out: dict[str, dict[str, Any]] = {}
    for item in items:
        node, sep, rest = item.partition(":")
        param, eq, value = rest.partition("=")
        if not (sep and eq and node and param):
            raise ValueError(f"--set {item!r}: expected NODE:PARAM=VALUE")
        if node not in nodes:
            raise ValueError(f"--set {item!r}: no node {node!r} in this bring-up ({nodes})")
        try:
            out.setdefault(node, {})[param] = yaml.safe_load(value)
        except yaml.YAMLError as exc:
            raise ValueError(f"--set {item!r}: value is not YAML: {exc}") from None
    return out


def run_robot(opts: RobotRunOptions, out_dir: Path, say=print) -> RobotRunResult:
    """Bring the robot graph up and follow it until KeyboardInterrupt (Ctrl-C / SIGTERM through
    graph.stop_on_signals) or a node's death. Raises ValueError / FileNotFoundError for a bad
    config, policy or --set before any node starts."""
    specs = robot_stack(
        opts.robot,
        opts.config,
        opts.planner,
        opts.policy_path,
        opts.network_interface,
        sdk_domain_id=opts.sdk_domain_id,
    )
    add_params(specs, parse_overrides(list(opts.settings), [s.name for s in specs]))
    domain = int(os.environ.get("ROS_DOMAIN_ID") or 0)
    result = RobotRunResult(opts.robot, domain)
    out_dir.mkdir(parents=True, exist_ok=True)
    # ROS's own default: the robot's topics and a planner elsewhere must be heard.
    discovery = os.environ.get("ROS_AUTOMATIC_DISCOVERY_RANGE") or "SUBNET"
    env = ros_env(domain, base={**os.environ, "ROS_AUTOMATIC_DISCOVERY_RANGE": discovery})
    graph = NodeGraph(specs, env=env, log_dir=out_dir / "logs")
    writer = None
    if opts.record:
        from navila_bringup.mcap_log import McapRosWriter

        writer = McapRosWriter(out_dir / "run.mcap")
    say(SAFETY)
    say(
        f"[navila] {opts.robot} on ROS domain {domain} (discovery {discovery}): starting "
        f"{', '.join(s.name for s in specs)} (logs in {graph.log_dir})"
    )
    graph.start()
    try:
        _follow(opts, graph, specs, result, writer, say)
    except KeyboardInterrupt:
        result.outcome = "interrupted"
        say("[navila] Ctrl-C: stopping every node (the robot damps)")
    except RuntimeError as exc:
        result.error = str(exc)
        say(f"[navila] FAILED: {exc}")
    finally:
        result.exit_codes = graph.stop(timeout=10.0)
        if writer is not None:
            writer.close()
    (out_dir / "run.json").write_text(json.dumps(asdict(result), indent=1))
    bad = {n: c for n, c in result.exit_codes.items() if c != 0}
    say(
        f"[navila] {result.outcome}; node exit codes {result.exit_codes}"
        + (f" (non-zero: {bad}, logs in {graph.log_dir})" if bad else "")
    )
    say(
        f"[navila] results: {out_dir / 'run.json'}"
        + (f", recording: {out_dir / 'run.mcap'}" if writer is not None else "")
    )
    return result


def _follow(opts, graph: NodeGraph, specs, result: RobotRunResult, writer, say) -> None:
    """Everything between start and stop, the record kept in `result` as it goes."""
    from std_msgs.msg import String

    from navila_bringup.probe import Probe
    from navila_bringup.sim_run import record_to

    graph.wait_ready(READY_TIMEOUT, lambda name, s: say(f"[navila] {name} ready ({s:.1f} s)"))
    with Probe("navila_robot_cli", domain_id=result.ros_domain_id) as probe:
        if writer is not None:
            record_to(probe, writer, sensors=opts.record_sensors)
        status = probe.record(String, "/navila/status")
        actions = probe.record(String, "/navila/action")
        outputs = probe.record(String, "/navila/vla/output")
        instructions = probe.record(String, "/navila/instruction")
        pub = probe.publisher(String, "/navila/instruction")
        wait_until_linked(status, [s.name for s in specs], say)
        if opts.instruction:
            if not Probe.wait_matched(pub, READY_TIMEOUT):
                raise RuntimeError("no planner subscribed to /navila/instruction")
            if not deliver_instruction(pub, String(data=opts.instruction), status):
                raise RuntimeError("the planner never confirmed the instruction")
            say(f"[navila] instruction: {opts.instruction!r}")
        else:
            say("[navila] waiting for instructions on /navila/instruction (Ctrl-C to stop)")
        _start_console(probe, pub, say)
        follower = Follower(outputs, actions, status, say)
        try:
            while True:
                result.actions += follower.poll()
                for r in instructions.drain():  # a re-sent or repeated one is listed once
                    if not result.instructions or result.instructions[-1] != r.msg.data:
                        result.instructions.append(r.msg.data)
                if follower.episodes_ended > result.episodes_ended:
                    result.episodes_ended = follower.episodes_ended
                    say("[navila] the planner said stop: the robot stands (Ctrl-C to damp, exit)")
                dead = graph.dead()
                if dead:
                    result.outcome = "node_died"
                    raise RuntimeError(f"node(s) exited: {dead}; stopping the others")
                time.sleep(0.1)
        finally:
            result.planner_outputs = follower.planner_outputs
            result.loco_modes = follower.loco_modes


def _start_console(probe, instruction_pub, say) -> None:
    """Read instructions and !commands from stdin on a thread (until EOF: a run without a
    terminal has none), so the operator gives the robot its next instruction, or stops it,
    where they watch it."""
    import threading

    from std_msgs.msg import Bool, String

    # Its own view of the status topic (the Follower drains the other), the newest few hundred:
    # what confirms a delivered instruction.
    status = probe.record(String, "/navila/status", keep=500)
    pubs = {
        "/navila/estop": probe.publisher(Bool, "/navila/estop"),
        "/navila/loco/command": probe.publisher(String, "/navila/loco/command"),
        "/navila/instruction": instruction_pub,
    }

    def read() -> None:
        say(CONSOLE_HELP)
        for line in sys.stdin:
            try:
                meant = console_line(line)
            except ValueError as exc:
                say(f"[navila] {exc}")
                continue
            if meant is None:
                if line.strip() == "!help":
                    say(CONSOLE_HELP)
                continue
            if isinstance(meant, str):
                status.clear()
                if deliver_instruction(instruction_pub, String(data=meant), status):
                    say(f"[navila] instruction: {meant!r}")
                else:
                    say(f"[navila] the planner never confirmed {meant!r}: is it up?")
                continue
            topic, kind, value, what = meant
            pubs[topic].publish(Bool(data=bool(value)) if kind == "bool" else String(data=value))
            say(f"[navila] {what}")

    threading.Thread(target=read, name="navila-console", daemon=True).start()
