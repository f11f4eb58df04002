"""PPO iteration time on the CPU against the PyTorch threads its update gets.

    .venv/bin/python benchmarks/bench_ppo_update.py --config go2_vision_finetune_mirror \
        --num-envs 1024 --update-threads 1 2 --iterations 2

For each thread count, runs `--iterations` PPO iterations (collect, then update) of the real
LocoRunner on the real batched MuJoCo env, set up as navila-loco-train sets up a CPU run (torch
on half the cores while collecting, beside the physics threads), and reports rsl-rl's own
timings: collection and update seconds per iteration, and env steps/s. One warm-up iteration
first (its update builds the optimiser state). Why: on the 2-core machine the update is most of
an iteration (stage 23 of go2_vision: 54 of 74 s), and navila-loco-train's --update-threads
default follows this measurement.

Prints a table and saves JSON to results/bench_ppo_update.json (or --out).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

import torch

from navila_loco_train.runner import LocoRunner
from navila_loco_train.train import (
    build_env,
    collect_threads,
    load_train_config,
    make_runner,
    task_from_config,
)


def _runner(cfg: dict, num_envs: int, threads: int, resume: str) -> LocoRunner:
    task = task_from_config(cfg)
    env, _, _ = build_env(cfg, {"num_envs": num_envs, "num_threads": threads}, task)
    runner = make_runner(env, task, "bench")
    if resume:
        runner.load(resume, map_location="cpu")
    return runner


def measure(runner: LocoRunner, update_threads: int, iterations: int) -> dict[str, Any]:
    timings: list[tuple[float, float]] = []
    log = runner.logger.log

    def keep(*args: Any, **kwargs: Any) -> None:
        timings.append((kwargs["collect_time"], kwargs["learn_time"]))
        log(*args, **kwargs)

    runner.set_update_threads(update_threads)
    runner.logger.log = keep
    try:
        runner.learn(1 + iterations)
    finally:
        runner.logger.log = log
    timings = timings[1:]  # the warm-up
    collect = sum(c for c, _ in timings) / len(timings)
    update = sum(u for _, u in timings) / len(timings)
    steps = runner.cfg["num_steps_per_env"] * runner.env.num_envs
    return {
        "update_threads": update_threads,
        "collect_threads": torch.get_num_threads(),
        "iterations": len(timings),
        "collect_s": round(collect, 2),
        "update_s": round(update, 2),
        "env_steps_per_s": round(steps / (collect + update), 1),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--config", default="go2_vision_finetune_mirror")
    ap.add_argument("--num-envs", type=int, default=1024)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="physics threads")
    ap.add_argument("--update-threads", type=int, nargs="+", default=[1, os.cpu_count() or 1])
    ap.add_argument("--iterations", type=int, default=2, help="timed iterations per setting")
    ap.add_argument("--resume", default="", help="a checkpoint to start from (model_*.pt)")
    ap.add_argument("--out", default="results/bench_ppo_update.json")
    args = ap.parse_args(argv)
    if args.iterations < 1 or min(args.update_threads) < 1:
        ap.error("--iterations and --update-threads must be >= 1")
    torch.set_num_threads(collect_threads())  # as navila-loco-train on cpu
    cfg = load_train_config(args.config)
    print(f"[bench] {args.config}: building {args.num_envs} envs", flush=True)
    runner = _runner(cfg, args.num_envs, args.threads, args.resume)
    rows = []
    print(f"{'update thr':>10} {'collect s':>10} {'update s':>9} {'steps/s':>9}", flush=True)
    for n in args.update_threads:
        t = time.perf_counter()
        r = measure(runner, n, args.iterations)
        rows.append(r)
        print(
            f"{n:>10} {r['collect_s']:>10.2f} {r['update_s']:>9.2f} "
            f"{r['env_steps_per_s']:>9.0f}   ({time.perf_counter() - t:.0f} s)",
            flush=True,
        )
    runner.env.env.close()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    info = {
        "machine": platform.node(),
        "cpus": os.cpu_count(),
        "config": args.config,
        "num_envs": args.num_envs,
        "physics_threads": args.threads,
        "torch": torch.__version__,
    }
    out.write_text(json.dumps({"info": info, "results": rows}, indent=2))
    print(f"[bench] saved {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
