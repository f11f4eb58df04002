"""How often a trained policy stumbles and falls on each training terrain type: the figures behind
the feet_stumble term (task_spec.FEET_STUMBLE_RATIO) and its config.

    .venv/bin/python benchmarks/probe_stumbles.py --policy models/go2_vision \
        --config go2_vision_finetune_sharp --level 6

Every robot starts on the given curriculum level (tile types in turn), walks the training
commands on the policy for --seconds, and for each type the script counts: the share of control
steps in which a foot's contact force was more than FEET_STUMBLE_RATIO times as horizontal as
vertical (the term's value), how those foot contacts' horizontal / vertical ratios spread, and
terminations (falls). Prints a table and saves JSON to results/probe_stumbles.json (or --out).
"""

from __future__ import annotations

import sys
import time

import numpy as np

from navila_loco_train.probe import policy_in_env, probe_parser, run_probe
from navila_loco_train.task_spec import FEET_STUMBLE_RATIO
from navila_loco_train.train import load_train_config, task_from_config


def probe(
    policy_dir: str, config: str, level: int, envs: int, seconds: float, threads: int
) -> dict:
    cfg = {**load_train_config(config), "seed": 3}
    task = task_from_config(cfg)
    if not 0 <= level < task.terrain.levels:
        raise ValueError(f"--level must be in [0, {task.terrain.levels - 1}], got {level}")
    run = policy_in_env(
        policy_dir, cfg, task, {"num_envs": envs, "num_threads": threads, "num_variants": 2}
    )
    env = run.env
    types = task.terrain.types
    ratios: dict[str, list[np.ndarray]] = {t: [] for t in types}
    stumble_steps = np.zeros(len(types))
    robot_steps = np.zeros(len(types))
    falls = np.zeros(len(types), dtype=int)
    env.set_levels(np.full(envs, level))
    steps = max(1, round(seconds / env.dt))  # at least one step for any --seconds > 0
    t0 = time.perf_counter()
    for k in range(steps):
        _, _, _, terminated, _ = run.step()
        forces = env.last_feet_forces  # (envs, physics steps, feet, 3)
        horizontal = np.linalg.norm(forces[..., :2], axis=-1)
        vertical = np.abs(forces[..., 2])
        touching = np.hypot(horizontal, vertical) > env.cfg.contact_threshold_n
        ratio = np.where(touching, horizontal / np.maximum(vertical, 1e-9), -1.0).max(axis=1)
        for i, t in enumerate(types):
            sel = env.type_idx == i
            r = ratio[sel]
            ratios[t].append(r[r >= 0.0])
            stumble_steps[i] += env.feet_stumble[sel].any(axis=1).sum()
            robot_steps[i] += sel.sum()
            falls[i] += int(terminated[sel].sum())
        if (k + 1) % 50 == 0:
            print(f"[probe] {k + 1}/{steps} steps, {time.perf_counter() - t0:.0f} s", flush=True)
    env.close()
    rows = {}
    for i, t in enumerate(types):
        r = np.concatenate(ratios[t]) if ratios[t] else np.zeros(0)
        rows[t] = {
            "stumble_step_share": float(stumble_steps[i] / max(robot_steps[i], 1)),
            "foot_contacts": int(r.size),
            "ratio_p50": float(np.percentile(r, 50)) if r.size else None,
            "ratio_p99": float(np.percentile(r, 99)) if r.size else None,
            "contacts_over_ratio": float(np.mean(r > FEET_STUMBLE_RATIO)) if r.size else None,
            "terminations": int(falls[i]),
        }
    return {
        "policy": policy_dir,
        "config": config,
        "level": level,
        "envs": envs,
        "seconds": seconds,
        "stumble_ratio": FEET_STUMBLE_RATIO,
        "types": rows,
    }


def show(result: dict) -> None:
    print(
        f"{'type':10s} {'stumble steps':>13s} {'contacts':>9s} {'p50':>6s} {'p99':>7s} "
        f"{'> ratio':>8s} {'falls':>5s}"
    )
    for t, row in result["types"].items():
        p50 = f"{row['ratio_p50']:.2f}" if row["ratio_p50"] is not None else "-"
        p99 = f"{row['ratio_p99']:.2f}" if row["ratio_p99"] is not None else "-"
        over = f"{100 * row['contacts_over_ratio']:.2f}%" if row["foot_contacts"] else "-"
        print(
            f"{t:10s} {100 * row['stumble_step_share']:12.2f}% {row['foot_contacts']:9d} "
            f"{p50:>6s} {p99:>7s} {over:>8s} {row['terminations']:5d}"
        )


def main(argv: list[str] | None = None) -> int:
    ap = probe_parser(__doc__, envs=160, out="results/probe_stumbles.json")
    ap.add_argument("--level", type=int, default=6, help="curriculum level every robot starts on")
    ap.add_argument("--seconds", type=float, default=10.0, help="simulated time")
    args = ap.parse_args(argv)
    if not args.seconds > 0.0:
        ap.error(f"--seconds must be > 0, got {args.seconds}")
    return run_probe(
        ap,
        args,
        lambda: probe(args.policy, args.config, args.level, args.envs, args.seconds, args.threads),
        show,
    )


if __name__ == "__main__":
    sys.exit(main())
