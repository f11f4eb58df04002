"""Locomotion runtime benchmark: policy inference, 50 Hz loop timing, state -> command latency.

    .venv/bin/python benchmarks/bench_loco.py                 # 60 s loop, Go2 vision (909 in)
    .venv/bin/python benchmarks/bench_loco.py --duration 5 --robot h1

* Inference: TorchScript vs ONNX Runtime, one thread each, on a RANDOMLY INITIALISED MLP of the
  real size (legged-loco 512-256-128 ELU; no trained policy exists yet; the cost is the same).
* Loop: the real LocoController step (supervisor + observation + policy) on the DeadlineLoop at
  the config's rate; period error = actual interval between steps minus the nominal period, and
  wake-up lateness against the absolute deadline; overruns counted.
* State -> command: a "robot" thread writes a fresh state at `--state-hz` (500 Hz, like a
  LowState_ stream); per step, the age of the newest state when its command is ready (sampling
  wait + compute) and the compute part alone. In-process: DDS/ROS transport is not included
  (the embedded sim was not available to run against when this was written).

Goals (issue 5): inference < 300 us, p99 period error < 1 ms. Prints figures and writes
results/bench_loco.json (or --out).
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from navila_loco_node.config import load_loco_config
from navila_loco_node.controller import DeadlineLoop, LocoController
from navila_loco_node.observation import ObservationBuilder
from navila_loco_node.policy import export_onnx, export_torchscript, load_policy, random_mlp
from navila_loco_node.types import RobotState

REPO = Path(__file__).resolve().parents[1]


def pct(values_us: list[float] | np.ndarray) -> dict[str, float]:
    a = np.asarray(values_us, dtype=float)
    return {
        "mean": float(a.mean()),
        "p50": float(np.percentile(a, 50)),
        "p99": float(np.percentile(a, 99)),
        "max": float(a.max()),
        "n": int(a.size),
    }


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
                joint_stamp=now,
                imu_stamp=now,
                seq=seq[0],
            )
            k += 1
            delay = start + k * period - time.monotonic()
            if delay > 0:
                time.sleep(delay)

    ages, computes, wakes, modes = [], [], [], []

    def step(now: float) -> None:
        state = latest[0]
        if hm_size:
            ctl.set_height_map(np.zeros(hm_size), now)
        t0 = time.monotonic()
        result = ctl.step(now, state)
        t1 = time.monotonic()
        wakes.append(now)
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
    periods = np.diff(np.asarray(wakes)) * 1e6
    err = np.abs(periods - cfg.period_s * 1e6)
    stats = loop.stats()
    return {
        "rate_hz": cfg.policy_rate_hz,
        "duration_s": duration,
        "steps": stats.ticks,
        "walking_steps": len(computes),
        "overruns": stats.overruns,
        "skipped_deadlines": stats.skipped,
        "period_error_us": pct(err) if err.size else None,
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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--robot", default="go2", help="config/<robot>.yaml (joint_policy robots)")
    ap.add_argument("--duration", type=float, default=60.0, help="loop run time (s)")
    ap.add_argument("--iters", type=int, default=5000, help="inference calls per format")
    ap.add_argument("--state-hz", type=float, default=500.0)
    ap.add_argument("--loop-format", choices=("torchscript", "onnx"), default="onnx")
    ap.add_argument("--out", default=str(REPO / "results" / "bench_loco.json"))
    args = ap.parse_args(argv)

    # Short stand-up so the loop measures walking steps; auto start from the first state.
    cfg = load_loco_config(
        REPO / "config" / f"{args.robot}.yaml", **{"safety.stand_up_time_s": 0.2}
    )
    size = ObservationBuilder(cfg).size
    with tempfile.TemporaryDirectory() as d:
        model = random_mlp(size, cfg.joints.n)
        policies = {
            "torchscript": load_policy(export_torchscript(model, Path(d) / "p.jit"), size,
                                       cfg.joints.n),
            "onnx": load_policy(export_onnx(model, Path(d) / "p.onnx", size), size,
                                cfg.joints.n),
        }  # fmt: skip
        inference = bench_inference(policies, size, args.iters)
        loop = bench_loop(cfg, policies[args.loop_format], args.duration, args.state_hz)

    result = {
        "robot": args.robot,
        "policy_inputs": size,
        "network": "random MLP 512-256-128 ELU (untrained, real size)",
        "inference_us": inference,
        "loop_policy_format": args.loop_format,
        "loop": loop,
        "goals": {"inference_us": 300.0, "p99_period_error_us": 1000.0},
        "machine": {"python": platform.python_version(), "processor": platform.processor(),
                    "node": platform.node()},
    }  # fmt: skip
    print(f"robot {args.robot}: policy input {size}, {cfg.joints.n} actions (random-weight MLP)")
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
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(f"saved {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
