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

from navila_bringup.follow import (
    READY_TIMEOUT,
    Follower,
    deliver_instruction,
    wait_until_linked,
)
from navila_bringup.graph import DomainLease, NodeGraph, ros_env
from navila_bringup.stack import SimStackOptions, sim_stack

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


def record_to(probe, writer, sensors: bool = True) -> None:
    """The RECORDED topics (without the camera and LiDAR streams unless `sensors`) from
    `probe`'s node into the MCAP `writer`, as CDR bytes."""
    from rclpy.qos import qos_profile_sensor_data

    for topic, type_name, sensor in RECORDED:
        if sensor and not sensors:
            continue
        writer.add_topic(topic, type_name)
        probe.record_raw(topic, type_name, writer, qos_profile_sensor_data if sensor else 50)


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
                    record_to(probe, writer)
                odom = probe.record(Odometry, "/odom")
                status = probe.record(String, "/navila/status")
                actions = probe.record(String, "/navila/action")
                outputs = probe.record(String, "/navila/vla/output")
                pub = probe.publisher(String, "/navila/instruction")
                if not Probe.wait_matched(pub, READY_TIMEOUT, n=2):  # planner and executor
                    raise RuntimeError("planner/executor never subscribed to /navila/instruction")
                if not odom.wait_count(1, READY_TIMEOUT):
                    raise RuntimeError("no /odom from the simulator")
                wait_until_linked(status, [s.name for s in specs], say)
                t0 = time.monotonic()
                if not deliver_instruction(pub, String(data=instruction), status):
                    raise RuntimeError("the planner never confirmed the instruction")
                say(f"[navila] instruction: {instruction!r}")
                follower = Follower(outputs, actions, status, say)
                while time.monotonic() - t0 < timeout_s:
                    result.actions += follower.poll()
                    if follower.episodes_ended:
                        result.outcome = "stopped"
                        break
                    if graph.dead():
                        result.outcome, result.dead_nodes = "node_died", graph.dead()
                        break
                    time.sleep(0.1)
                result.duration_s = time.monotonic() - t0
                time.sleep(0.3)  # the last odometry after the stop
                result.actions += follower.poll()
                result.planner_outputs = follower.planner_outputs
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


def _fmt_pose(p) -> str:
    if p is None:
        return "unknown"
    return f"x={p[0]:.3f} m, y={p[1]:.3f} m, yaw={math.degrees(p[2]):.1f} deg"
