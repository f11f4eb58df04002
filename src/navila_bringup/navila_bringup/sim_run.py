"""`navila sim`: bring the whole embedded-simulation graph up, give it one instruction, follow it.

Starts every node of `stack.sim_stack` as its own process on a private ROS domain, publishes the
instruction on /navila/instruction, prints each planner output and the executor's verdict as they
arrive, and ends when the executor reports the episode's end (the planner said stop), when a node
dies, or at the timeout. The trajectory (from /odom), the actions and the outcome go to a JSON
file, and every topic that matters to an MCAP file Foxglove opens; both paths are printed.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from navila_bringup.graph import DomainLease, NodeGraph, ros_env
from navila_bringup.stack import SimStackOptions, sim_stack

READY_TIMEOUT = 60.0
# Topics recorded to MCAP: (topic, type). Camera and LiDAR are large but are what a person
# wants to scrub through in Foxglove next to the plan.
# (topic, type, sensor QoS): sensor streams are best effort, so their recorder must be too.
RECORDED = [
    ("/navila/instruction", "std_msgs/msg/String", False),
    ("/navila/vla/output", "std_msgs/msg/String", False),
    ("/navila/action", "std_msgs/msg/String", False),
    ("/navila/status", "std_msgs/msg/String", False),
    ("/cmd_vel", "geometry_msgs/msg/Twist", False),
    ("/odom", "nav_msgs/msg/Odometry", False),
    ("/camera/image_raw", "sensor_msgs/msg/Image", True),
    ("/lidar/points", "sensor_msgs/msg/PointCloud2", True),
    ("/navila/height_map", "std_msgs/msg/Float32MultiArray", False),
]


@dataclass
class RunResult:
    instruction: str
    outcome: str  # stopped | timeout | node_died | bringup_failed
    duration_s: float
    final_pose: tuple[float, float, float] | None
    trajectory: list[tuple[float, float, float, float]] = field(default_factory=list)  # t,x,y,yaw
    planner_outputs: list[str] = field(default_factory=list)
    actions: list[dict] = field(default_factory=list)
    dead_nodes: dict[str, int] = field(default_factory=dict)
    error: str = ""


def yaw_of(q) -> float:
    return math.atan2(2.0 * (q.w * q.z + q.x * q.y), 1.0 - 2.0 * (q.y * q.y + q.z * q.z))


def run_sim(
    opts: SimStackOptions,
    instruction: str,
    timeout_s: float,
    out_dir: Path,
    record: bool = True,
    quiet: bool = False,
) -> RunResult:
    from nav_msgs.msg import Odometry
    from rclpy.qos import qos_profile_sensor_data
    from std_msgs.msg import String

    from navila_bringup.mcap_log import McapRosWriter
    from navila_bringup.probe import Probe

    def say(text: str) -> None:
        if not quiet:
            print(text, flush=True)

    out_dir.mkdir(parents=True, exist_ok=True)
    specs = sim_stack(opts)
    result = RunResult(instruction, "timeout", 0.0, None)
    with DomainLease() as lease:
        graph = NodeGraph(specs, env=ros_env(lease.domain_id), log_dir=out_dir / "logs")
        say(
            f"[navila] domain {lease.domain_id}: starting {', '.join(s.name for s in specs)} "
            f"(logs in {graph.log_dir})"
        )
        graph.start()
        writer = McapRosWriter(out_dir / "run.mcap") if record else None
        try:
            graph.wait_ready(READY_TIMEOUT, lambda name, _: say(f"[navila] {name} ready"))
            with Probe("navila_cli", domain_id=lease.domain_id) as probe:
                if writer is not None:
                    for topic, type_name, sensor in RECORDED:
                        writer.add_topic(topic, type_name)
                        probe.record_raw(
                            topic, type_name, writer, qos_profile_sensor_data if sensor else 50
                        )
                odom = probe.record(Odometry, "/odom")
                status = probe.record(String, "/navila/status")
                actions = probe.record(String, "/navila/action")
                outputs = probe.record(String, "/navila/vla/output")
                pub = probe.publisher(String, "/navila/instruction")
                if not Probe.wait_matched(pub, READY_TIMEOUT, n=2):  # planner and executor
                    raise RuntimeError("planner/executor never subscribed to /navila/instruction")
                if not odom.wait_count(1, READY_TIMEOUT):
                    raise RuntimeError("no /odom from the simulator")
                _wait_until_linked(status, [s.name for s in specs], say)
                t0 = time.monotonic()
                if not _deliver_instruction(pub, String(data=instruction), status):
                    raise RuntimeError("the planner never confirmed the instruction")
                say(f"[navila] instruction: {instruction!r}")
                seen_out, seen_act = 0, 0
                while time.monotonic() - t0 < timeout_s:
                    for r in outputs.items[seen_out:]:
                        say(f"[planner] {r.msg.data}")
                    seen_out = len(outputs)
                    for r in actions.items[seen_act:]:
                        a = json.loads(r.msg.data)
                        verdict = (
                            f"{len(a['actions'])} action(s), {a['total_duration']:.2f} s"
                            if a["ok"]
                            else f"refused: {a['error']['reason']}"
                        )
                        say(f"[executor] {verdict}")
                        result.actions.append(a)
                    seen_act = len(actions)
                    if _episode_ended(status):
                        result.outcome = "stopped"
                        break
                    if graph.dead():
                        result.outcome, result.dead_nodes = "node_died", graph.dead()
                        break
                    time.sleep(0.1)
                result.duration_s = time.monotonic() - t0
                time.sleep(0.3)  # the last odometry after the stop
                result.planner_outputs = [r.msg.data for r in outputs.items]
                result.trajectory = [
                    (
                        r.msg.header.stamp.sec + r.msg.header.stamp.nanosec * 1e-9,
                        r.msg.pose.pose.position.x,
                        r.msg.pose.pose.position.y,
                        yaw_of(r.msg.pose.pose.orientation),
                    )
                    for r in odom.items
                ]
                if result.trajectory:
                    result.final_pose = result.trajectory[-1][1:]
        finally:
            codes = graph.stop()
            if writer is not None:
                writer.close()
            bad = {n: c for n, c in codes.items() if c != 0}
            if bad:
                say(f"[navila] nodes exited with non-zero codes: {bad} (logs in {graph.log_dir})")
    (out_dir / "run.json").write_text(json.dumps(asdict(result), indent=1))
    say(
        f"[navila] outcome: {result.outcome} after {result.duration_s:.1f} s; final pose "
        f"{_fmt_pose(result.final_pose)}"
    )
    say(
        f"[navila] results: {out_dir / 'run.json'}"
        + (f", recording: {out_dir / 'run.mcap'}" if record else "")
    )
    return result


def _wait_until_linked(status, names: list[str], say) -> None:
    """Before the first instruction: the executor's /cmd_vel must reach a reader (discovery on a
    loaded machine can take seconds, and a command sent before it is lost), and a locomotion
    policy must have stood the robot up and be walking (commands during the stand-up are not
    walked, so the executor's timed actions would come out short)."""

    def latest(items: list, node: str) -> dict | None:
        mine = _node_statuses(items, node)
        return mine[-1] if mine else None

    def linked(items: list) -> bool:
        ex = latest(items, "navila_executor")
        return bool(ex) and int(ex.get("cmd_vel_subscribers") or 0) >= 1

    if not status.wait_for(linked, READY_TIMEOUT):
        raise RuntimeError("the executor's /cmd_vel never reached the simulator / policy node")
    if "navila_loco" in names:
        say("[navila] waiting for the policy to stand the robot up")

        def walking(items: list) -> bool:
            lo = latest(items, "navila_loco")
            if lo and lo.get("mode") == "damp":
                raise RuntimeError(f"the locomotion node damped the robot: {lo.get('reason')}")
            return bool(lo) and lo.get("mode") == "walk"

        if not status.wait_for(walking, READY_TIMEOUT):
            raise RuntimeError("the locomotion policy never reached walk mode")
        if "navila_sim" in names:
            # A humanoid hangs in navila_sim's gantry for its policy's first seconds
            # (navila_sim.support): an instruction walked then would come out short.
            from navila_sim.support import out_of_gantry

            def free(items: list) -> bool:
                walking(items)  # a DAMP while still in the gantry is still an error
                return out_of_gantry(latest(items, "navila_sim"))

            if not status.wait_for(free, READY_TIMEOUT):
                raise RuntimeError("navila_sim never lowered the robot's gantry")
        say("[navila] robot standing, policy walking")


def _deliver_instruction(pub, msg, status, tries: int = 10, wait_s: float = 2.0) -> bool:
    """Publish until the planner's status shows the instruction. A publisher can see a new
    subscriber before that subscriber has matched the publisher; a volatile message sent in that
    window is lost. Re-sending is safe: the planner only acts on a status-confirmed instruction
    once, and the executor is idle either way."""

    def confirmed(items) -> bool:
        return any(s.get("instruction") == msg.data for s in _node_statuses(items, "navila_vla"))

    for _ in range(tries):
        pub.publish(msg)
        if status.wait_for(confirmed, wait_s):
            return True
    return False


def _episode_ended(status) -> bool:
    statuses = _node_statuses(status.items, "navila_executor")
    return any(s.get("event") == "episode_end" for s in statuses)


def _node_statuses(items: list, node: str) -> list[dict]:
    """The JSON status messages of one node on the shared status topic, oldest first (anything
    that is not a JSON object is skipped)."""
    out = []
    for r in items:
        try:
            s = json.loads(r.msg.data)
        except (json.JSONDecodeError, TypeError):
            continue
        if isinstance(s, dict) and s.get("node") == node:
            out.append(s)
    return out


def _fmt_pose(p) -> str:
    if p is None:
        return "unknown"
    return f"x={p[0]:.3f} m, y={p[1]:.3f} m, yaw={math.degrees(p[2]):.1f} deg"
