"""Whole-stack benchmark: instruction -> first motion latency and the stack's real-time factor.

    .venv/bin/python benchmarks/bench_stack.py                        # kinematic, 5 x, 30 s
    .venv/bin/python benchmarks/bench_stack.py --repeats 10 --seconds 60
    .venv/bin/python benchmarks/bench_stack.py --low-level physics --policy models/go2_blind \
        --loco-state-timeout 0.5    # the shared 2-core machine's state stream has > 50 ms gaps

Brings up the embedded-simulation graph exactly as `navila sim` does (navila_bringup.stack
.sim_stack with config/<robot>.yaml, the direct planner, every node its own process on a private
ROS domain; physics mode adds navila_loco and, for policies that see a height map,
heightmap_node), then:

1. Latency, `--repeats` times: publish the instruction on /navila/instruction and time, from
   the publish, (a) the planner's first output on /navila/vla/output, (b) the first non-zero
   /cmd_vel from the executor, (c) the first /odom whose position is more than 1 cm from the
   pose at the publish. All three are arrival times at this process (time.monotonic), so (c)
   turns the sim-time odometry into wall time by when the message arrived. The next repetition
   starts after the executor reported the episode's end and the base settled. `--warmup`
   untimed episodes come first (more while the base has not moved yet: right after bring-up a
   lost /cmd_vel match would time DDS discovery, not the stack). The default start pose
   (-3, -1, 0) in two_rooms puts the "1 m forward, turn left" episodes on a free 1 m square,
   so repetitions never run into furniture.
2. Real-time factor: with the same graph running, `--seconds` of wall time during which the
   benchmark keeps the robot busy (it issues the instruction again each time an episode ends;
   `--rtf-idle` leaves it standing): sim seconds per wall second from /clock (first and last
   message of the window, by arrival) and from the /odom header stamps, the simulator's own
   1-second figures from its status, and the CPU load per node process (from /proc).

The simulator paces itself to the wall clock (as `navila sim` runs it), so a factor of 1.0 means
the whole stack keeps up on this machine and less means it falls behind; `--free-run` starts
the simulator unpaced ("as fast as possible") to show the headroom instead (the executor's
sim-time timers then lag the faster clock, so episodes end off their poses: a load figure only).
Prints a table and writes results/bench_stack.json (or --out); node logs go next to it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from navila_bringup.graph import DomainLease, NodeGraph, ros_env
from navila_bringup.paths import find_config
from navila_bringup.sim_run import yaw_of
from navila_bringup.stack import LOCO, SimStackOptions, sim_stack

REPO = Path(__file__).resolve().parents[1]
INSTRUCTION = "move forward 1 m, then turn left 90 degrees, then stop"
MOTION_M = 0.01  # base motion threshold for (c)
READY_TIMEOUT = 90.0  # node start-up on a loaded 2-core machine
WALK_TIMEOUT = 60.0
CONFIRM_WAIT_S = 2.0
CONFIRM_TRIES = 5
EXTRA_WARMUPS = 3  # more warm-up episodes allowed while the base has not moved yet


# ------------------------------------------------------------------ figures
def summary(values: list[float | None]) -> dict[str, Any]:
    """p50 / max / mean of the finite values (None where nothing was measured)."""
    a = np.asarray([v for v in values if v is not None and math.isfinite(v)], dtype=float)
    if not a.size:
        return {"p50": None, "max": None, "mean": None, "n": 0, "missing": len(values)}
    return {
        "p50": float(np.percentile(a, 50)),
        "max": float(a.max()),
        "mean": float(a.mean()),
        "n": int(a.size),
        "missing": len(values) - int(a.size),
    }


def rate(points: list[tuple[float, float]]) -> float | None:
    """Sim seconds per wall second between the first and last (wall, sim) point."""
    if len(points) < 2:
        return None
    (w0, s0), (w1, s1) = points[0], points[-1]
    return (s1 - s0) / (w1 - w0) if w1 > w0 else None


def stamp_s(stamp: Any) -> float:
    return stamp.sec + stamp.nanosec * 1e-9


# ------------------------------------------------------------------ CPU load from /proc (Linux)
@dataclass(frozen=True)
class CpuSample:
    """Cumulative CPU jiffies at one instant: the whole machine's and each watched process's."""

    wall: float
    machine_total: int
    machine_idle: int
    procs: dict[str, int]


def cpu_sample(pids: dict[str, int]) -> CpuSample:
    ticks = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    procs: dict[str, int] = {}
    for name, pid in pids.items():
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            rest = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            procs[name] = int(rest[11]) + int(rest[12])  # utime + stime, all threads
    return CpuSample(time.monotonic(), sum(ticks), ticks[3] + ticks[4], procs)


def cpu_load(a: CpuSample, b: CpuSample) -> dict[str, Any]:
    """Machine busy % of all cores, and each process's CPU in % of one core, over a -> b."""
    hz = os.sysconf("SC_CLK_TCK")
    wall = max(b.wall - a.wall, 1e-9)
    total = max(b.machine_total - a.machine_total, 1)
    busy = 100.0 * (total - (b.machine_idle - a.machine_idle)) / total
    per_proc = {
        n: round(100.0 * (b.procs[n] - a.procs[n]) / hz / wall, 1) for n in a.procs if n in b.procs
    }
    cores = os.cpu_count() or 1
    ours = sum(per_proc.values())
    return {
        "cores": cores,
        "machine_busy_pct_of_all_cores": round(busy, 1),
        "process_pct_of_one_core": per_proc,
        "stack_pct_of_one_core": round(ours, 1),
        # Other users' work on the same cores during the window (the machine is shared).
        "other_pct_of_one_core": round(max(busy * cores - ours, 0.0), 1),
        "loadavg_1min": round(os.getloadavg()[0], 2),
    }


# ------------------------------------------------------------------ talking to the graph
def statuses(rec: Any, node: str, since: float = -math.inf) -> list[tuple[float, dict]]:
    """(arrival, status) of one node's JSON statuses on /navila/status that arrived >= since."""
    out = []
    for r in rec.items:
        if r.t < since:
            continue
        try:
            s = json.loads(r.msg.data)
        except (json.JSONDecodeError, UnicodeDecodeError):
            continue
        if isinstance(s, dict) and s.get("node") == node:
            out.append((r.t, s))
    return out


def episode_ended(status: Any, since: float) -> bool:
    return any(
        s.get("event") == "episode_end" for _, s in statuses(status, "navila_executor", since)
    )


def planner_episode(status: Any) -> int:
    found = statuses(status, "navila_vla")
    return int(found[-1][1].get("episode", 0)) if found else 0


class Instructor:
    """Publishes the instruction and confirms the planner took it as a NEW episode.

    A reliable message to a matched subscriber is not lost, but the first one after start-up can
    be (the publisher may see the subscriber before the subscriber has matched it). So each
    publish is confirmed by a planner status with a higher episode number and this text; an
    unconfirmed one is sent again, and the latency clock starts at the publish that got through.
    """

    def __init__(self, pub: Any, status: Any, text: str) -> None:
        from std_msgs.msg import String

        self.pub, self.status, self.text = pub, status, text
        self.msg = String(data=text)

    def send(self) -> tuple[float, int]:
        """Returns (monotonic time of the confirmed publish, publishes needed)."""
        episode = planner_episode(self.status)

        def confirmed(_: object) -> bool:
            return any(
                s.get("instruction") == self.text and int(s.get("episode", 0)) > episode
                for _, s in statuses(self.status, "navila_vla", t_pub)
            )

        for tries in range(1, CONFIRM_TRIES + 1):
            t_pub = time.monotonic()
            self.pub.publish(self.msg)
            if self.status.wait_for(confirmed, CONFIRM_WAIT_S):
                return t_pub, tries
        raise RuntimeError(f"the planner never confirmed the instruction {self.text!r}")


def first_after(rec: Any, t0: float, pred: Any = None) -> Any:
    for r in rec.items:
        if r.t >= t0 and (pred is None or pred(r.msg)):
            return r
    return None


def xy(odom_msg: Any) -> tuple[float, float]:
    p = odom_msg.pose.pose.position
    return p.x, p.y


def yaw_deg(odom_msg: Any) -> float:
    return math.degrees(yaw_of(odom_msg.pose.pose.orientation))


def nonzero_twist(msg: Any) -> bool:
    return any(abs(v) > 1e-9 for v in (msg.linear.x, msg.linear.y, msg.angular.z))


def run_episode(
    ins: Instructor, rec: dict[str, Any], timeout: float, graph: NodeGraph
) -> dict[str, Any]:
    """One instruction: its three latencies (s) and how the episode went."""
    odom = rec["odom"]
    last = odom.items[-1]
    x0, y0 = xy(last.msg)
    t0, tries = ins.send()

    def moved(msg: Any) -> bool:
        x, y = xy(msg)
        return math.hypot(x - x0, y - y0) > MOTION_M

    outcome = "timeout"
    while time.monotonic() - t0 < timeout:
        if episode_ended(rec["status"], t0):
            outcome = "stopped"
            break
        if graph.dead():
            outcome = "node_died"
            break
        time.sleep(0.05)
    t_end = time.monotonic()
    out = first_after(rec["output"], t0)
    cmd = first_after(rec["cmd_vel"], t0, nonzero_twist)
    motion = first_after(odom, t0, moved)
    end = odom.items[-1].msg
    return {
        "outcome": outcome,
        "publishes": tries,
        "planner_output_s": out.t - t0 if out else None,
        "first_output": out.msg.data if out else None,
        "cmd_vel_s": cmd.t - t0 if cmd else None,
        "odom_motion_s": motion.t - t0 if motion else None,
        # Sim time from the pose before the publish to the first moved pose (the same chain
        # on the simulator's clock: close to the wall figure when the sim keeps real time).
        "odom_motion_sim_s": (
            stamp_s(motion.msg.header.stamp) - stamp_s(last.msg.header.stamp) if motion else None
        ),
        "episode_wall_s": round(t_end - t0, 3),
        "start_pose": [round(x0, 4), round(y0, 4), round(yaw_deg(last.msg), 2)],
        "end_pose": [round(xy(end)[0], 4), round(xy(end)[1], 4), round(yaw_deg(end), 2)],
    }


def wait_walking(status: Any, graph: NodeGraph) -> None:
    """Physics mode: the loco node stands up on its own (auto_start); wait for WALK."""

    def walking(_: object) -> bool:
        found = statuses(status, LOCO[3])
        return bool(found) and found[-1][1].get("mode") == "walk"

    if not status.wait_for(walking, WALK_TIMEOUT):
        last = statuses(status, LOCO[3])[-1:]
        raise RuntimeError(
            f"navila_loco did not reach WALK in {WALK_TIMEOUT:g} s (last status "
            f"{last[0][1] if last else 'none'}); a 'stale joint state' damp on a loaded machine: "
            f"try --loco-state-timeout 0.5\n{graph.read_log(LOCO[3])}"
        )


def measure_rtf(
    ins: Instructor,
    rec: dict[str, Any],
    seconds: float,
    idle: bool,
    pids: dict[str, int],
    graph: NodeGraph,
) -> dict[str, Any]:
    """`seconds` of wall time with the graph running (robot kept busy unless idle)."""
    step = max(1.0, min(10.0, seconds / 5))
    t_start = time.monotonic()
    cpu0 = cpu_sample(pids)
    episodes, episode_t = 0, None
    if not idle:
        episode_t, _ = ins.send()
    next_report = t_start + step
    while (now := time.monotonic()) - t_start < seconds:
        if graph.dead():
            raise RuntimeError(f"node(s) died in the real-time window: {graph.dead()}")
        if episode_t is not None and episode_ended(rec["status"], episode_t):
            episodes += 1
            episode_t, _ = ins.send()
        if now >= next_report:
            print(f"[rtf]   {now - t_start:5.1f} s / {seconds:g} s", flush=True)
            next_report += step
        time.sleep(0.05)
    t_end = time.monotonic()
    cpu1 = cpu_sample(pids)
    clock = [(r.t, stamp_s(r.msg.clock)) for r in rec["clock"].items if t_start <= r.t <= t_end]
    odom = [
        (r.t, stamp_s(r.msg.header.stamp)) for r in rec["odom"].items if t_start <= r.t <= t_end
    ]
    sim_rtf = [
        float(s["real_time_factor"])
        for t, s in statuses(rec["status"], "navila_sim", t_start)
        if t <= t_end and "real_time_factor" in s
    ]
    gaps = np.diff([t for t, _ in clock]) * 1e3 if len(clock) > 1 else np.zeros(0)
    return {
        "wall_s": round(t_end - t_start, 3),
        "robot_busy": not idle,
        "episodes_completed": episodes,
        "rtf_clock": rate(clock),
        "rtf_odom_stamps": rate(odom),
        "sim_seconds": (clock[-1][1] - clock[0][1]) if len(clock) > 1 else None,
        "clock_messages": len(clock),
        "clock_gap_ms": {
            "p50": float(np.percentile(gaps, 50)) if gaps.size else None,
            "p99": float(np.percentile(gaps, 99)) if gaps.size else None,
            "max": float(gaps.max()) if gaps.size else None,
        },
        "sim_status_rtf": (
            {"min": min(sim_rtf), "mean": round(float(np.mean(sim_rtf)), 3), "n": len(sim_rtf)}
            if sim_rtf
            else None
        ),
        "cpu": cpu_load(cpu0, cpu1),
    }


# ------------------------------------------------------------------ the run
def bench(args: argparse.Namespace, log_dir: Path) -> dict[str, Any]:
    from geometry_msgs.msg import Twist
    from nav_msgs.msg import Odometry
    from rosgraph_msgs.msg import Clock
    from std_msgs.msg import String

    from navila_bringup.probe import Probe

    config = str(find_config(args.robot))
    extra: dict[str, dict[str, Any]] = {}
    if args.no_camera:
        extra.setdefault("navila_sim", {})["camera.enabled"] = False
    if args.loco_state_timeout is not None:
        extra.setdefault(LOCO[3], {})["safety.state_timeout_s"] = args.loco_state_timeout
    opts = SimStackOptions(
        robot=args.robot,
        config=config,
        planner="direct",
        low_level=args.low_level,
        scene=args.scene,
        start_pose=tuple(args.start_pose),
        real_time=not args.free_run,
        policy_path=args.policy or "",
        camera=not args.no_camera,
        extra=extra,
    )
    specs = sim_stack(opts)
    with DomainLease.unless_given(args.domain_id) as lease:
        domain = lease.domain_id
        env = ros_env(domain)
        # The probe (this process) must discover like the nodes do.
        os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] = env["ROS_AUTOMATIC_DISCOVERY_RANGE"]
        graph = NodeGraph(specs, env=env, log_dir=log_dir)
        print(
            f"[stack] domain {domain}: starting {', '.join(s.name for s in specs)} "
            f"({args.low_level}; logs in {log_dir})",
            flush=True,
        )
        graph.start()
        try:
            startup = graph.wait_ready(
                READY_TIMEOUT,
                lambda name, t: print(f"[stack] {name} ready after {t:.1f} s", flush=True),
            )
            pids = {s.name: graph.procs[s.name].pid for s in specs}
            pids["benchmark (probe)"] = os.getpid()
            with Probe("navila_bench_stack", domain_id=domain) as probe:
                rec = {
                    "status": probe.record(String, "/navila/status", 200),
                    "output": probe.record(String, "/navila/vla/output"),
                    "cmd_vel": probe.record(Twist, "/cmd_vel", 200),
                    "odom": probe.record(Odometry, "/odom", 200),
                    "clock": probe.record(Clock, "/clock", 200),
                }
                pub = probe.publisher(String, "/navila/instruction")
                if not Probe.wait_matched(pub, READY_TIMEOUT, n=2):  # planner and executor
                    raise RuntimeError("planner/executor never subscribed to /navila/instruction")
                if not rec["odom"].wait_count(1, READY_TIMEOUT):
                    raise RuntimeError("no /odom from the simulator")
                if args.low_level == "physics":
                    print("[stack] waiting for navila_loco to stand up and walk", flush=True)
                    wait_walking(rec["status"], graph)
                t_walk = time.monotonic()
                time.sleep(args.settle)
                ins = Instructor(pub, rec["status"], args.instruction)

                def episode(label: str) -> dict[str, Any]:
                    ep = run_episode(ins, rec, args.episode_timeout, graph)
                    print(
                        f"[{label}] planner {_ms(ep['planner_output_s'])}, cmd_vel "
                        f"{_ms(ep['cmd_vel_s'])}, base moved {_ms(ep['odom_motion_s'])}; "
                        f"episode {ep['outcome']} after {ep['episode_wall_s']:.1f} s",
                        flush=True,
                    )
                    if ep["outcome"] == "node_died":
                        raise RuntimeError(f"node(s) died: {graph.dead()}")
                    if ep["outcome"] != "stopped":
                        ins.pub.publish(String(data=""))  # cancel: the next one starts clean
                    time.sleep(args.settle)
                    return ep

                # Untimed warm-up episodes until one moved the base: right after bring-up the
                # simulator's /cmd_vel subscription can still be unmatched to the executor (DDS
                # discovery on a loaded machine), and a lost "move forward" is no latency figure.
                warmups: list[dict[str, Any]] = []
                while len(warmups) < args.warmup or (
                    warmups and warmups[-1]["odom_motion_s"] is None
                ):
                    if len(warmups) >= args.warmup + EXTRA_WARMUPS:
                        print(
                            f"[warm-up] WARNING: the base did not move in {len(warmups)} "
                            "warm-up episode(s); measuring anyway (see the node logs)",
                            flush=True,
                        )
                        break
                    warmups.append(episode(f"warm-up {len(warmups) + 1}"))
                episodes = [episode(f"latency {i + 1}/{args.repeats}") for i in range(args.repeats)]
                print(
                    f"[rtf] {args.seconds:g} s with the whole graph running "
                    f"({'robot standing' if args.rtf_idle else 'robot kept busy'})",
                    flush=True,
                )
                rtf = measure_rtf(ins, rec, args.seconds, args.rtf_idle, pids, graph)
                loco_modes = sorted(
                    {str(s.get("mode")) for _, s in statuses(rec["status"], LOCO[3], t_walk)}
                )
                ins.pub.publish(String(data=""))  # leave the robot idle before shutdown
                time.sleep(0.2)
        finally:
            codes = graph.stop(timeout=10.0)
    return {
        "graph": [s.name for s in specs],
        "startup_s": startup,
        "latency": {
            "planner_output_s": summary([e["planner_output_s"] for e in episodes]),
            "cmd_vel_s": summary([e["cmd_vel_s"] for e in episodes]),
            "odom_motion_s": summary([e["odom_motion_s"] for e in episodes]),
            "odom_motion_sim_s": summary([e["odom_motion_sim_s"] for e in episodes]),
            "episodes": episodes,
            "warmup_episodes": warmups,
        },
        "real_time": rtf,
        # navila_loco's modes from WALK on: anything but "walk" means it damped or stopped.
        "loco_modes_seen": loco_modes if args.low_level == "physics" else None,
        "exit_codes": codes,
    }


# ------------------------------------------------------------------ report
def _ms(v: float | None) -> str:
    return "n/a" if v is None else f"{v * 1e3:.0f} ms"


def _fx(v: float | None, digits: int = 3) -> str:
    return "n/a" if v is None else f"{v:.{digits}f}"


def table(result: dict[str, Any]) -> str:
    lat, rt = result["latency"], result["real_time"]
    rows = [
        ("instruction -> planner output (/navila/vla/output)", lat["planner_output_s"]),
        ("instruction -> first non-zero /cmd_vel", lat["cmd_vel_s"]),
        (f"instruction -> base moved > {MOTION_M * 100:g} cm (/odom)", lat["odom_motion_s"]),
    ]
    w = max(len(r[0]) for r in rows)
    lines = [f"  {'':{w}s}  {'p50':>9s}  {'max':>9s}  {'n':>3s}"]
    for name, s in rows:
        lines.append(f"  {name:{w}s}  {_ms(s['p50']):>9s}  {_ms(s['max']):>9s}  {s['n']:>3d}")
    sim = rt["sim_status_rtf"] or {}
    cpu = rt["cpu"]
    lines += [
        f"  real-time factor over {rt['wall_s']:.1f} s ({'busy' if rt['robot_busy'] else 'idle'}"
        f" robot, {'unpaced' if not result['sim_paced'] else 'paced'} sim): /clock "
        f"{_fx(rt['rtf_clock'])}, /odom stamps {_fx(rt['rtf_odom_stamps'])}, sim's own "
        f"min {_fx(sim.get('min'))} mean {_fx(sim.get('mean'))}",
        f"  /clock gaps at the probe: p50 {_fx(rt['clock_gap_ms']['p50'], 1)} ms, "
        f"p99 {_fx(rt['clock_gap_ms']['p99'], 1)} ms, max {_fx(rt['clock_gap_ms']['max'], 1)} ms",
        f"  CPU: machine {cpu['machine_busy_pct_of_all_cores']}% of {cpu['cores']} cores; "
        f"per process (% of one core) {cpu['process_pct_of_one_core']}; others "
        f"{cpu['other_pct_of_one_core']}%",
        f"  node start-up (s since launch, ready): {result['startup_s']}",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--low-level", choices=("kinematic", "physics"), default="kinematic")
    ap.add_argument(
        "--policy",
        default="",
        help="physics mode: policy directory (policy.onnx + loco_params.yaml) or policy file",
    )
    ap.add_argument("--robot", default="go2", help="config/<robot>.yaml")
    ap.add_argument("--scene", default="two_rooms")
    ap.add_argument(
        "--start-pose",
        type=float,
        nargs=3,
        default=(-3.0, -1.0, 0.0),
        metavar=("X", "Y", "YAW"),
        help="start pose (m, m, rad); the default keeps the repeated episodes clear of furniture",
    )
    ap.add_argument("--instruction", default=INSTRUCTION)
    ap.add_argument("--repeats", type=int, default=5, help="latency episodes")
    ap.add_argument(
        "--warmup", type=int, default=1, help="untimed episodes first (more while no motion)"
    )
    ap.add_argument("--seconds", type=float, default=30.0, help="real-time factor window (s)")
    ap.add_argument("--episode-timeout", type=float, default=60.0, help="per latency episode (s)")
    ap.add_argument("--settle", type=float, default=1.0, help="pause before each episode (s)")
    ap.add_argument("--rtf-idle", action="store_true", help="no instructions in the RTF window")
    ap.add_argument(
        "--free-run", action="store_true", help="simulator unpaced (real_time false): headroom"
    )
    ap.add_argument("--no-camera", action="store_true", help="simulator camera off")
    ap.add_argument(
        "--loco-state-timeout",
        type=float,
        default=None,
        help="physics: navila_loco safety.state_timeout_s (default: the config's)",
    )
    ap.add_argument(
        "--domain-id",
        type=int,
        default=None,
        help="ROS_DOMAIN_ID already reserved by the caller (default: lease a free one)",
    )
    ap.add_argument("--out", default=str(REPO / "results" / "bench_stack.json"))
    args = ap.parse_args(argv)
    if args.warmup < 0:
        ap.error("--warmup must be >= 0")
    if args.repeats < 1 or args.seconds <= 0 or args.episode_timeout <= 0 or args.settle < 0:
        ap.error("--repeats must be >= 1, --seconds and --episode-timeout > 0, --settle >= 0")
    if args.low_level == "physics" and not args.policy:
        ap.error("--low-level physics needs --policy DIR (a trained policy directory)")
    if args.low_level == "kinematic" and args.policy:
        ap.error("--policy is for --low-level physics (kinematic mode runs no policy)")
    if args.policy and not Path(args.policy).exists():
        ap.error(f"--policy {args.policy}: no such file or directory")

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    log_dir = out.parent / f"{out.stem}_logs"
    measured = bench(args, log_dir)
    result = {
        "robot": args.robot,
        "scene": args.scene,
        "planner": "direct",
        "low_level": args.low_level,
        "policy": str(Path(args.policy).resolve()) if args.policy else None,
        "instruction": args.instruction,
        "repeats": args.repeats,
        "sim_paced": not args.free_run,
        "camera": not args.no_camera,
        "motion_threshold_m": MOTION_M,
        **measured,
        "machine": {
            "python": platform.python_version(),
            "node": platform.node(),
            "cores": os.cpu_count(),
        },
    }
    print(
        f"\nwhole stack on {os.cpu_count()} cores: {args.robot}, {args.scene}, direct planner, "
        f"{args.low_level} low level ({', '.join(result['graph'])})"
    )
    print(table(result))
    bad = [e["outcome"] for e in result["latency"]["episodes"] if e["outcome"] != "stopped"]
    if bad:
        print(f"  WARNING: {len(bad)} episode(s) did not end with the executor's stop: {bad}")
    if result["loco_modes_seen"] and result["loco_modes_seen"] != ["walk"]:
        print(f"  note: navila_loco modes seen over the run: {result['loco_modes_seen']}")
    nonzero = {n: c for n, c in result["exit_codes"].items() if c != 0}
    if nonzero:
        print(f"  WARNING: node(s) exited non-zero at shutdown: {nonzero} (logs in {log_dir})")
    out.write_text(json.dumps(result, indent=2))
    print(f"saved {out} (node logs in {log_dir})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
