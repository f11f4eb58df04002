"""Locomotion runtime benchmark: policy inference, 50 Hz loop timing, state -> command latency.

    .venv/bin/python benchmarks/bench_loco.py                 # 60 s loop, Go2 vision (909 in)
    .venv/bin/python benchmarks/bench_loco.py --duration 5 --robot h1
    .venv/bin/python benchmarks/bench_loco.py --with-sim      # + 60 s while navila_sim runs
    .venv/bin/python benchmarks/bench_loco.py --policy models/go2_vision   # a trained policy

* Inference: TorchScript vs ONNX Runtime, one thread each, on a RANDOMLY INITIALISED MLP of the
  real size (legged-loco 512-256-128 ELU; the cost is a trained one's), or with `--policy` on a
  policy directory's own files (a `navila-loco-train --symmetrize` export runs the MLP on two
  inputs at once).
* Loop: the real LocoController step (supervisor + observation + policy) on the DeadlineLoop at
  the config's rate; period error = |actual interval between steps - nominal period| (between
  wake-ups, and between finished commands), and wake-up lateness against the absolute
  deadline; overruns counted.
* State -> command: a "robot" thread writes a fresh state at `--state-hz` (500 Hz, like a
  LowState_ stream); per step, the age of the newest state when its command is ready (sampling
  wait + compute) and the compute part alone. In-process: DDS/ROS transport is not included.
* `--with-sim`: the same figures while the simulation runs on this machine, on the real ROS
  graph of `navila sim` in physics mode (navila_bringup.stack.sim_stack, config/<robot>.yaml):
  navila_sim (MuJoCo, LiDAR and camera as configured), heightmap_node on the sim's LiDAR (the
  vision layout's 459 cells; `--layout blind` drops it and the LiDAR) and navila_loco on ROS
  topics with the random-weight policy, all as separate processes on a private ROS domain. The
  policy's output layer is scaled by `--sim-action-gain` (1e-3): a random policy at full scale
  throws the simulated robot over, the supervisor damps and inference stops; scaled, the robot
  holds its pose in WALK and every tick runs the full network (same cost). Measured in the
  window: period error from the /joint_command header stamps (the node stamps each command on
  its system clock as it publishes it: command-to-command interval), the node's own LoopStats
  from its /navila/status JSON (wake lateness and step time are over the node's whole run,
  start-up included; ticks, overruns and skipped deadlines are counted in the window), CPU load
  (machine-wide and per node process, from /proc) and the sim's real-time factor; then the
  inference timing again while the graph keeps running (the loop window is measured first, so
  this process's busy inference loop does not load the control loop it measures).

Goals (issue 5): inference < 300 us, p99 period error < 1 ms. Prints figures and writes
results/bench_loco.json (or --out).
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from navila_loco_node.config import load_loco_config
from navila_loco_node.controller import DeadlineLoop, LocoController
from navila_loco_node.observation import ObservationBuilder
from navila_loco_node.policy import export_onnx, export_torchscript, load_policy, random_mlp
from navila_loco_node.policy_dir import policy_overrides
from navila_loco_node.types import RobotState

REPO = Path(__file__).resolve().parents[1]
POLICY_FILES = {"torchscript": "policy.jit", "onnx": "policy.onnx"}  # a policy directory's

# legged-loco's Go2 blind layout: the vision terms without the height map (45 + 9 x 45 = 450).
PROPRIO = [
    "base_ang_vel",
    "base_rpy",
    "velocity_command",
    "joint_pos_rel",
    "joint_vel_rel",
    "last_action",
]
BLIND = {
    "observation.terms": PROPRIO,
    "observation.scales": [1.0] * len(PROPRIO),
    "observation.clips": [0.0] * len(PROPRIO),
}
SIM_NODES = ("navila_sim", "heightmap_node", "navila_loco")
READY_TIMEOUT = 60.0
WALK_TIMEOUT = 60.0


def pct(values_us: list[float] | np.ndarray) -> dict[str, float]:
    a = np.asarray(values_us, dtype=float)
    return {
        "mean": float(a.mean()),
        "p50": float(np.percentile(a, 50)),
        "p99": float(np.percentile(a, 99)),
        "max": float(a.max()),
        "n": int(a.size),
    }


def period_error(stamps_s: list[float] | np.ndarray, period_s: float) -> dict[str, float] | None:
    """|interval - nominal period| in us between consecutive event times (seconds)."""
    intervals = np.diff(np.asarray(stamps_s, dtype=float))
    return pct(np.abs(intervals - period_s) * 1e6) if intervals.size else None


def bench_inference(policies: dict, size: int, iters: int) -> dict[str, dict[str, float]]:
    rng = np.random.default_rng(0)
    obs = rng.normal(size=(iters, size)).astype(np.float32)
    out = {}
    for name, pol in policies.items():
        for i in range(min(200, iters)):  # warm-up (TorchScript profiles its first calls)
            pol(obs[i])
        times = []
        for i in range(iters):
            t0 = time.perf_counter_ns()
            pol(obs[i])
            times.append((time.perf_counter_ns() - t0) / 1e3)
        out[name] = pct(times)
    return out


def bench_loop(cfg, policy, duration: float, state_hz: float) -> dict:
    n = cfg.joints.n
    ctl = LocoController(cfg, policy)
    hm_size = ObservationBuilder(cfg).height_map_size
    latest: list[RobotState | None] = [None]
    stop = threading.Event()
    seq = [0]

    def robot() -> None:  # a state stream like LowState_ at 500 Hz
        period = 1.0 / state_hz
        start = time.monotonic()
        k = 0
        rng = np.random.default_rng(1)
        while not stop.is_set():
            now = time.monotonic()
            seq[0] += 1
            latest[0] = RobotState(
                joint_pos=np.asarray(cfg.joints.default_pos) + rng.normal(0, 0.01, n),
                joint_vel=rng.normal(0, 0.1, n),
                quat_wxyz=np.array([1.0, 0, 0, 0]),
                ang_vel=rng.normal(0, 0.05, 3),
                # a velocity estimate with the state (the H1's layout reads it; the supervisor
                # starts no such policy without one)
                lin_vel=rng.normal(0, 0.05, 3),
                lin_vel_stamp=now,
                joint_stamp=now,
                imu_stamp=now,
                seq=seq[0],
            )
            k += 1
            delay = start + k * period - time.monotonic()
            if delay > 0:
                time.sleep(delay)

    ages, computes, wakes, ends, modes = [], [], [], [], []

    def step(now: float) -> None:
        state = latest[0]
        if hm_size:
            ctl.set_height_map(np.zeros(hm_size), now)
        t0 = time.monotonic()
        result = ctl.step(now, state)
        t1 = time.monotonic()
        wakes.append(now)
        ends.append(t1)
        modes.append(result.mode.value)
        if state is not None and result.mode.value == "walk":
            ages.append((t1 - state.joint_stamp) * 1e6)
            computes.append((t1 - t0) * 1e6)

    th = threading.Thread(target=robot, daemon=True)
    th.start()
    loop = DeadlineLoop(step, cfg.period_s)
    loop.start()
    time.sleep(duration)
    loop.stop()
    stop.set()
    th.join(1.0)
    stats = loop.stats()
    return {
        "rate_hz": cfg.policy_rate_hz,
        "duration_s": duration,
        "steps": stats.ticks,
        "walking_steps": len(computes),
        "overruns": stats.overruns,
        "skipped_deadlines": stats.skipped,
        "period_error_us": period_error(wakes, cfg.period_s),
        "command_period_error_us": period_error(ends, cfg.period_s),
        "wake_lateness_us": {
            "p50": stats.late_p50_us,
            "p99": stats.late_p99_us,
            "max": stats.late_max_us,
        },
        "step_compute_us": pct(computes) if computes else None,
        "state_to_command_us": pct(ages) if ages else None,
        "state_hz": state_hz,
        "final_mode": modes[-1] if modes else None,
    }


# ------------------------------------------------------------------ CPU load from /proc (Linux)
@dataclass(frozen=True)
class CpuSample:
    """Cumulative CPU times at one instant: the machine's (all cores) and per watched process."""

    wall: float
    machine_total: int  # jiffies, all cores
    machine_idle: int  # idle + iowait jiffies
    procs: dict[str, int]  # name -> utime + stime jiffies (all threads)


def cpu_sample(pids: dict[str, int]) -> CpuSample:
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    ticks = [int(v) for v in fields[:8]]  # user nice system idle iowait irq softirq steal
    procs = {}
    for name, pid in pids.items():
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except FileNotFoundError:
            continue
        rest = stat.rsplit(")", 1)[1].split()  # the command name may contain spaces
        procs[name] = int(rest[11]) + int(rest[12])  # utime, stime (fields 14, 15)
    return CpuSample(time.monotonic(), sum(ticks), ticks[3] + ticks[4], procs)


def cpu_load(a: CpuSample, b: CpuSample) -> dict[str, Any]:
    """Machine busy share and each process's CPU in % of ONE core over the interval a -> b."""
    hz = os.sysconf("SC_CLK_TCK")
    wall = max(b.wall - a.wall, 1e-9)
    total = max(b.machine_total - a.machine_total, 1)
    busy = total - (b.machine_idle - a.machine_idle)
    per_proc = {
        name: round(100.0 * (b.procs[name] - a.procs[name]) / hz / wall, 1)
        for name in a.procs
        if name in b.procs
    }
    cores = os.cpu_count() or 1
    ours = sum(per_proc.values())
    machine = 100.0 * busy / total  # of all cores
    return {
        "cores": cores,
        "machine_busy_pct_of_all_cores": round(machine, 1),
        "process_pct_of_one_core": per_proc,
        "benchmark_processes_pct_of_one_core": round(ours, 1),
        # What else ran on the machine meanwhile (other users' work shares these cores).
        "other_pct_of_one_core": round(max(machine * cores - ours, 0.0), 1),
        "loadavg_1min": round(os.getloadavg()[0], 2),
    }


# ------------------------------------------------------------------ the loop while the sim runs
def _loco_statuses(rec, t_from: float = -1.0, t_to: float = float("inf")) -> list[tuple]:
    out = []
    for r in rec.items:
        if t_from <= r.t <= t_to:
            s = json.loads(r.msg.data)
            if s.get("node") == "navila_loco":
                out.append((r.t, s))
    return out


def _node_statuses(rec, node: str, t_from: float, t_to: float) -> list[dict]:
    found = []
    for r in rec.items:
        if t_from <= r.t <= t_to:
            s = json.loads(r.msg.data)
            if s.get("node") == node:
                found.append(s)
    return found


def bench_with_sim(
    config_path: Path,
    layout: str,
    policy_path: Path,
    period_s: float,
    duration: float,
    action_gain: float,
    state_timeout_s: float,
    config_state_timeout_s: float,
    log_dir: Path,
    after_window: Any = None,
    domain_id: int | None = None,
) -> dict[str, Any]:
    """Start sim + (height map) + loco as the `navila sim` physics graph, wait until the loco node
    walks, measure `duration` seconds, then call `after_window()` while the graph still runs.

    `domain_id`: a ROS domain the caller already holds (a test's lease); None leases a free one.
    """
    from rclpy.qos import QoSProfile, ReliabilityPolicy
    from sensor_msgs.msg import JointState
    from std_msgs.msg import String

    from navila_bringup.graph import DomainLease, NodeGraph, ros_env
    from navila_bringup.probe import Probe
    from navila_bringup.stack import SimStackOptions, sim_stack

    extra: dict[str, dict[str, Any]] = {
        "navila_sim": {"status_rate_hz": 2.0},
        "navila_loco": {"safety.state_timeout_s": state_timeout_s},
    }
    if layout == "blind":
        extra["navila_sim"]["lidar.enabled"] = False
        extra["navila_loco"].update(BLIND, **{"policy.num_inputs": 450})
    opts = SimStackOptions(
        config=str(config_path), low_level="physics", policy_path=str(policy_path), extra=extra
    )
    wanted = SIM_NODES if layout == "vision" else ("navila_sim", "navila_loco")
    specs = [s for s in sim_stack(opts) if s.name in wanted]
    with DomainLease.unless_given(domain_id) as lease:
        domain_id = lease.domain_id
        env = ros_env(domain_id)
        os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] = env["ROS_AUTOMATIC_DISCOVERY_RANGE"]
        graph = NodeGraph(specs, env=env, log_dir=log_dir)
        print(
            f"[with-sim] domain {domain_id}: starting {', '.join(s.name for s in specs)} "
            f"(logs in {log_dir})",
            flush=True,
        )
        graph.start()
        try:
            graph.wait_ready(READY_TIMEOUT)
            pids = {s.name: graph.procs[s.name].pid for s in specs}
            pids["benchmark (probe)"] = os.getpid()
            with Probe("navila_bench_loco", domain_id=domain_id) as probe:
                status = probe.record(String, "/navila/status", 200)
                commands = probe.record(
                    JointState,
                    "/joint_command",
                    QoSProfile(depth=50, reliability=ReliabilityPolicy.RELIABLE),
                )
                # The sim's state stream as a subscriber sees it: its gaps are what trips the
                # loco node's stale-state check.
                states = probe.record(
                    JointState,
                    "/joint_states",
                    QoSProfile(depth=5, reliability=ReliabilityPolicy.BEST_EFFORT),
                )

                def walking(_: object) -> bool:
                    found = _loco_statuses(status)
                    return bool(found) and found[-1][1]["mode"] == "walk"

                print("[with-sim] nodes ready; waiting for the loco node to walk", flush=True)
                if not status.wait_for(walking, WALK_TIMEOUT):
                    last = _loco_statuses(status)[-1:] or [(0, "no status")]
                    raise RuntimeError(
                        f"navila_loco did not reach WALK in {WALK_TIMEOUT:g} s (last status "
                        f"{last[0][1]}):\n{graph.read_log('navila_loco')}"
                    )
                time.sleep(1.0)  # the observation history fills, the first maps arrive
                t_start = time.monotonic()
                t_before, before = _loco_statuses(status)[-1]
                cpu0 = cpu_sample(pids)
                print(f"[with-sim] walking; measuring {duration:g} s", flush=True)
                while time.monotonic() - t_start < duration:
                    time.sleep(min(10.0, duration - (time.monotonic() - t_start)))
                    if graph.dead():
                        raise RuntimeError(f"node(s) died during the window: {graph.dead()}")
                    print(
                        f"[with-sim]   {time.monotonic() - t_start:5.1f} s "
                        f"/ {duration:g} s, "
                        f"{sum(r.t >= t_start for r in commands.items)} commands",
                        flush=True,
                    )
                t_end = time.monotonic()
                cpu1 = cpu_sample(pids)
                if not status.wait_for(lambda _: bool(_loco_statuses(status, t_end)), 5.0):
                    raise RuntimeError("no navila_loco status after the window")
                t_after, after = _loco_statuses(status, t_end)[0]
                window = _loco_statuses(status, t_start, t_end)
                stamps = [
                    r.msg.header.stamp.sec + r.msg.header.stamp.nanosec * 1e-9
                    for r in commands.items
                    if t_start <= r.t <= t_end and len(r.msg.position)
                ]
                state_t = [r.t for r in states.items if t_start <= r.t <= t_end]
                sims = _node_statuses(status, "navila_sim", t_start, t_end)
                transitions = [s["transition"] for _, s in window if s.get("event") == "transition"]
                modes = sorted({s["mode"] for _, s in window} | {after["mode"]})
                inference = after_window() if after_window is not None else None
        finally:
            codes = graph.stop(timeout=10.0)
    loop = after["loop"]
    rtf = [s["real_time_factor"] for s in sims]
    gaps = np.diff(np.asarray(state_t)) * 1e3
    return {
        "graph": [s.name for s in specs],
        "layout": layout,
        "policy_output_gain": action_gain,
        "duration_s": round(t_end - t_start, 2),
        "modes_in_window": modes,
        "walked_whole_window": modes == ["walk"] and not transitions,
        "transitions_in_window": transitions,
        "commands": len(stamps),
        "period_error_us": period_error(stamps, period_s),
        "period_error_source": "/joint_command header stamps (node system clock at publish)",
        # Counters between the two loco statuses around the window (published at 2 Hz).
        "counters_interval_s": round(t_after - t_before, 2),
        "ticks": loop["ticks"] - before["loop"]["ticks"],
        "overruns": loop["overruns"] - before["loop"]["overruns"],
        "skipped_deadlines": loop["skipped"] - before["loop"]["skipped"],
        "node_loop_stats_whole_run": loop,
        "node_state_to_command_us": after.get("state_to_command_us"),
        "loco_state_timeout_s": state_timeout_s,
        "joint_state_gap_ms": {
            **(pct(gaps) if gaps.size else {}),
            "config_timeout_ms": config_state_timeout_s * 1e3,
            "over_config_timeout": int((gaps > config_state_timeout_s * 1e3).sum()),
        },
        "height_map_stale_fraction": (
            round(sum(bool(s["height_map_stale"]) for _, s in window) / len(window), 3)
            if window
            else None
        ),
        "sim_real_time_factor": (
            {"min": min(rtf), "mean": round(float(np.mean(rtf)), 3)} if rtf else None
        ),
        "sim_trunk_height_end": sims[-1]["trunk_height"] if sims else None,
        "cpu": cpu_load(cpu0, cpu1),
        "inference_us": inference,
        "exit_codes": codes,
    }


# ------------------------------------------------------------------ report
def _f(d: dict | None, key: str) -> str:
    return "n/a" if not d or d.get(key) is None else f"{d[key]:.1f}"


def comparison_table(result: dict) -> str:
    """Rows: the figures both runs have; columns: without the sim, with the sim."""
    loop, sim = result["loop"], result["with_sim"]
    node = sim["node_loop_stats_whole_run"]
    rows: list[tuple[str, str, str]] = []
    for k in ("p50", "p99", "max"):
        rows.append(
            (
                f"period error {k} (us, cmd-to-cmd)",
                _f(loop["command_period_error_us"], k),
                _f(sim["period_error_us"], k),
            )
        )
    for k in ("p50", "p99", "max"):
        node_key = f"late_{k}_us"
        rows.append(
            (
                f"wake lateness {k} (us)",
                _f(loop["wake_lateness_us"], k),
                _f(node, node_key) + " *",
            )
        )
    for k in ("p50", "p99"):
        rows.append(
            (f"step time {k} (us)", _f(loop["step_compute_us"], k), _f(node, f"step_{k}_us") + " *")
        )
    for k in ("p50", "p99"):
        rows.append(
            (
                f"state->command {k} (us)",
                _f(loop["state_to_command_us"], k),
                _f(sim["node_state_to_command_us"], k) + " +",
            )
        )
    for fmt in ("onnx", "torchscript"):
        for k in ("p50", "p99", "max"):
            rows.append(
                (
                    f"inference {fmt} {k} (us)",
                    _f(result["inference_us"][fmt], k),
                    _f((sim["inference_us"] or {}).get(fmt), k),
                )
            )
    rows.append(("steps / overruns", f"{loop['steps']} / {loop['overruns']}",
                 f"{sim['ticks']} / {sim['overruns']}"))  # fmt: skip
    rows.append(("machine CPU busy (% of all cores)",
                 f"{result.get('cpu', {}).get('machine_busy_pct_of_all_cores', 'n/a')}",
                 f"{sim['cpu']['machine_busy_pct_of_all_cores']}"))  # fmt: skip
    rows.append(("others' CPU meanwhile (% of one core)",
                 f"{result.get('cpu', {}).get('other_pct_of_one_core', 'n/a')}",
                 f"{sim['cpu']['other_pct_of_one_core']}"))  # fmt: skip
    w = max(len(r[0]) for r in rows)
    lines = [f"  {'':{w}s}  {'without sim':>12s}  {'with sim':>12s}"]
    lines += [f"  {a:{w}s}  {b:>12s}  {c:>12s}" for a, b, c in rows]
    lines.append("  * node-reported over its whole run (start-up included)")
    lines.append(
        "  + node-reported over its last 2000 walking steps (arrival at the node -> publish)"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--robot", default="go2", help="config/<robot>.yaml (joint_policy robots)")
    ap.add_argument("--duration", type=float, default=60.0, help="loop run time (s), each run")
    ap.add_argument("--iters", type=int, default=5000, help="inference calls per format")
    ap.add_argument("--state-hz", type=float, default=500.0)
    ap.add_argument("--loop-format", choices=("torchscript", "onnx"), default="onnx")
    ap.add_argument(
        "--layout",
        choices=("vision", "blind"),
        default="vision",
        help="vision: the config's layout (Go2 909 with the height map); blind: Go2 450, no map",
    )
    ap.add_argument(
        "--with-sim",
        action="store_true",
        help="also measure while navila_sim (physics) + heightmap_node + navila_loco run on ROS",
    )
    ap.add_argument(
        "--sim-action-gain",
        type=float,
        default=1e-3,
        help="scale of the random policy's output layer in the sim run (robot holds its pose)",
    )
    ap.add_argument(
        "--sim-state-timeout",
        type=float,
        default=0.5,
        help="navila_loco safety.state_timeout_s in the sim run (s); the shared 2-core machine's "
        "sim state stream has gaps over the config's 50 ms, as in tests/test_navila_loco_sim_ros",
    )
    ap.add_argument(
        "--domain-id",
        type=int,
        default=None,
        help="ROS_DOMAIN_ID for the sim run, already reserved by the caller (default: lease one)",
    )
    ap.add_argument(
        "--policy",
        default="",
        help="a policy directory (models/go2_vision): time its own policy.jit and policy.onnx "
        "instead of a random MLP, on its observation layout (e.g. a --symmetrize export: the "
        "MLP on two inputs per call); not with --with-sim",
    )
    ap.add_argument("--out", default=str(REPO / "results" / "bench_loco.json"))
    args = ap.parse_args(argv)
    if args.policy and args.with_sim:
        ap.error("--policy times a policy directory in-process; --with-sim runs a random MLP")
    if args.duration <= 0 or args.iters <= 0:
        ap.error("--duration and --iters must be > 0")
    if args.layout == "blind" and args.robot != "go2":
        ap.error("--layout blind is the Go2 blind layout; use it with --robot go2")

    config_path = REPO / "config" / f"{args.robot}.yaml"
    layout = BLIND if args.layout == "blind" else {}
    network = "random MLP 512-256-128 ELU (untrained, real size)"
    if args.policy:
        try:
            layout = policy_overrides(Path(args.policy))  # the directory's layout, not --layout
        except (FileNotFoundError, ValueError) as exc:
            ap.error(f"--policy: {exc}")
        policy_files = {f: Path(args.policy) / n for f, n in POLICY_FILES.items()}
        missing = [p.name for p in policy_files.values() if not p.is_file()]
        if missing:
            ap.error(f"--policy: {args.policy} has no {' or '.join(missing)} to time")
        summary = Path(args.policy) / "summary.json"
        symmetrized = summary.is_file() and json.loads(summary.read_text()).get("symmetrized")
        kind = "symmetrized: the MLP on two inputs" if symmetrized else "as trained"
        network = f"{args.policy} ({kind})"
    # Short stand-up so the loop measures walking steps; auto start from the first state.
    cfg = load_loco_config(config_path, **{"safety.stand_up_time_s": 0.2}, **layout)
    size = ObservationBuilder(cfg).size
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as d:
        model = random_mlp(size, cfg.joints.n)
        if args.policy:
            files = policy_files
        else:
            files = {"torchscript": export_torchscript(model, Path(d) / "p.jit"),
                     "onnx": export_onnx(model, Path(d) / "p.onnx", size)}  # fmt: skip
        policies = {k: load_policy(f, size, cfg.joints.n) for k, f in files.items()}
        print(f"[no sim] inference, {args.iters} calls per format", flush=True)
        inference = bench_inference(policies, size, args.iters)
        print(f"[no sim] {args.loop_format} loop for {args.duration:g} s", flush=True)
        cpu0 = cpu_sample({"benchmark": os.getpid()})
        loop = bench_loop(cfg, policies[args.loop_format], args.duration, args.state_hz)
        cpu = cpu_load(cpu0, cpu_sample({"benchmark": os.getpid()}))
        with_sim = None
        if args.with_sim:
            sim_model = copy.deepcopy(model)
            import torch

            with torch.no_grad():  # same network and cost, near-zero actions: the robot stands
                sim_model[-1].weight.mul_(args.sim_action_gain)
                sim_model[-1].bias.mul_(args.sim_action_gain)
            if args.loop_format == "onnx":
                sim_policy = export_onnx(sim_model, Path(d) / "sim.onnx", size)
            else:
                sim_policy = export_torchscript(sim_model, Path(d) / "sim.jit")

            def inference_with_sim() -> dict:
                print(f"[with-sim] inference, {args.iters} calls per format", flush=True)
                return bench_inference(policies, size, args.iters)

            with_sim = bench_with_sim(
                config_path,
                args.layout,
                sim_policy,
                cfg.period_s,
                args.duration,
                args.sim_action_gain,
                args.sim_state_timeout,
                cfg.safety.state_timeout_s,
                out.parent / f"{out.stem}_logs",
                inference_with_sim,
                args.domain_id,
            )

    result = {
        "robot": args.robot,
        "layout": args.layout,
        "policy_inputs": size,
        "network": network,
        "inference_us": inference,
        "loop_policy_format": args.loop_format,
        "loop": loop,
        "cpu": cpu,
        "goals": {"inference_us": 300.0, "p99_period_error_us": 1000.0},
        "machine": {"python": platform.python_version(), "processor": platform.processor(),
                    "node": platform.node(), "cores": os.cpu_count()},
    }  # fmt: skip
    if with_sim is not None:
        result["with_sim"] = with_sim
    print(f"robot {args.robot}: policy input {size}, {cfg.joints.n} actions ({network})")
    for name, s in inference.items():
        print(
            f"  inference {name:12s} p50 {s['p50']:7.1f} us  p99 {s['p99']:7.1f} us  "
            f"max {s['max']:8.1f} us"
        )
    pe = loop["period_error_us"] or {}
    print(
        f"  loop {loop['rate_hz']:g} Hz for {loop['duration_s']:g} s: {loop['steps']} steps, "
        f"{loop['overruns']} overruns; period error p50 {pe.get('p50', float('nan')):.1f} us "
        f"p99 {pe.get('p99', float('nan')):.1f} us max {pe.get('max', float('nan')):.1f} us"
    )
    sc = loop["state_to_command_us"]
    if sc:
        print(
            f"  state->command p50 {sc['p50']:.1f} us p99 {sc['p99']:.1f} us "
            f"(step compute p50 {loop['step_compute_us']['p50']:.1f} us)"
        )
    if with_sim is not None:
        print(
            f"\nwithout vs with the sim ({', '.join(with_sim['graph'])}; "
            f"{os.cpu_count()} cores, {args.loop_format} policy in the loop):"
        )
        print(comparison_table(result))
        c = with_sim["cpu"]
        print(f"  CPU per process (% of one core): {c['process_pct_of_one_core']}, other "
              f"{c['other_pct_of_one_core']}; sim real-time factor "
              f"{with_sim['sim_real_time_factor']}")  # fmt: skip
        g = with_sim["joint_state_gap_ms"]
        print(
            f"  /joint_states gaps at the probe: p50 {_f(g, 'p50')} ms p99 {_f(g, 'p99')} ms "
            f"max {_f(g, 'max')} ms; {g['over_config_timeout']} over the config's "
            f"{g['config_timeout_ms']:g} ms state timeout (the sim run used "
            f"{with_sim['loco_state_timeout_s'] * 1e3:g} ms)"
        )
        bad = {n: c for n, c in with_sim["exit_codes"].items() if c != 0}
        if bad:
            print(f"  WARNING: node(s) exited non-zero at shutdown: {bad} (see their logs)")
        if not with_sim["walked_whole_window"]:
            print(
                f"  WARNING: the loco node left WALK in the window ({with_sim['modes_in_window']},"
                f" {with_sim['transitions_in_window']}): these figures are not all policy steps"
            )
    out.write_text(json.dumps(result, indent=2))
    print(f"saved {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
