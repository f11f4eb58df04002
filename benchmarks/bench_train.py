"""Training throughput: batched MuJoCo env steps/s (physics + rewards + observations) and one
PPO update, for a robot's training config, at the given env counts and thread counts.

    .venv/bin/python benchmarks/bench_train.py --config go2_blind --envs 256 1024 --threads 2

Prints a table and saves JSON to results/bench_train.json (or --out).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

from navila_loco_train.train import build_env, load_train_config, task_from_config


def measure(cfg: dict, n: int, threads: int, steps: int) -> dict:
    task = task_from_config(cfg)
    env, _, _ = build_env(cfg, {"num_envs": n, "num_threads": threads}, task)
    rng = np.random.default_rng(0)
    actions = rng.normal(0.0, 0.5, size=(n, env.num_actions))
    env.step(actions)  # first call checks shapes
    t = time.perf_counter()
    for _ in range(steps):
        env.step(actions)
    wall = time.perf_counter() - t
    env.close()
    return {
        "num_envs": n,
        "threads": threads,
        "steps": steps,
        "env_steps_per_s": round(n * steps / wall, 1),
        "ms_per_batch_step": round(1000 * wall / steps, 2),
        "realtime_factor": round(n * steps * env.dt / wall, 1),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--config", default="go2_blind")
    ap.add_argument("--envs", type=int, nargs="+", default=[64, 256])
    ap.add_argument("--threads", type=int, nargs="+", default=[os.cpu_count() or 1])
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--out", default="results/bench_train.json")
    args = ap.parse_args(argv)
    cfg = load_train_config(args.config)
    rows = []
    print(f"{'envs':>6} {'threads':>7} {'steps/s':>10} {'ms/step':>8} {'x realtime':>10}")
    for threads in args.threads:
        for n in args.envs:
            r = measure(cfg, n, threads, args.steps)
            rows.append(r)
            print(
                f"{n:>6} {threads:>7} {r['env_steps_per_s']:>10.0f} "
                f"{r['ms_per_batch_step']:>8.1f} {r['realtime_factor']:>10.0f}",
                flush=True,
            )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    info = {"machine": platform.node(), "cpus": os.cpu_count(), "config": args.config}
    out.write_text(json.dumps({"info": info, "results": rows}, indent=2))
    print(f"saved {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
