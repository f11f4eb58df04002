"""A training run's learning curve as CSV, one row per iteration, from its tensorboard events.

    python -m navila_loco_train.progress <run dir> [--out <run dir>/progress.csv]

The logs kept beside shipped and unshipped policies (models/*/logs/) carry a progress.csv so a
curve reads without tensorboard and diffs in review. Columns: iteration, env_steps (cumulative
from the run's first iteration: a resumed run counts its own), episode_steps, mean_reward,
track_lin, track_ang (the two tracking terms, per step, unweighted), terrain_level, action_std.
Env steps per iteration are not logged as such; rsl-rl logs the throughput and the iteration's
collection and learning times, whose product is that count (--steps-per-iteration overrides).
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
from pathlib import Path

COLUMNS = {
    "episode_steps": "Train/mean_episode_length",
    "mean_reward": "Train/mean_reward",
    "track_lin": "/rewards/track_lin_vel_xy_exp",
    "track_ang": "/rewards/track_ang_vel_z_exp",
    "terrain_level": "/curriculum/terrain_level",
    "action_std": "Policy/mean_std",
}
PERF = ("Perf/total_fps", "Perf/collection_time", "Perf/learning_time")

Scalars = dict[str, dict[int, float]]


def read_scalars(run_dir: Path) -> Scalars:
    """{tag: {iteration: value}} of every scalar in the run's event files (all of them)."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    if not any(run_dir.glob("events.out.tfevents.*")):
        raise FileNotFoundError(f"no tensorboard event files in {run_dir}")
    acc = EventAccumulator(str(run_dir), size_guidance={"scalars": 0})
    acc.Reload()
    return {t: {e.step: e.value for e in acc.Scalars(t)} for t in acc.Tags()["scalars"]}


def steps_per_iteration(scalars: Scalars) -> int:
    """Env steps per iteration N from rsl-rl's fps = int(N / (collection + learning time)):
    every iteration bounds N to [fps t, (fps + 1) t); the smallest integer all bounds admit."""
    fps, collect, learn = (scalars.get(t, {}) for t in PERF)
    its = sorted(set(fps) & set(collect) & set(learn))
    if not its:
        raise ValueError(f"the events have no {', '.join(PERF)}: pass --steps-per-iteration")
    lower = max(fps[i] * (collect[i] + learn[i]) for i in its)
    upper = min((fps[i] + 1) * (collect[i] + learn[i]) for i in its)
    n = math.ceil(lower - 1e-6 * lower)  # the times are float32 in the events
    if n >= upper + 1e-6 * upper:
        raise ValueError("the logged throughput is inconsistent: pass --steps-per-iteration")
    return n


def progress_rows(scalars: Scalars, per_iteration: int) -> list[list[str]]:
    """Rows (as written) for every iteration any of the columns has."""
    series = {k: scalars.get(tag, {}) for k, tag in COLUMNS.items()}
    its = sorted(set().union(*series.values()))
    if not its:
        raise ValueError(f"the events have none of {sorted(COLUMNS.values())}")
    first = its[0]
    return [
        [str(i), str((i - first + 1) * per_iteration)]
        + [f"{series[k][i]:.4f}" if i in series[k] else "" for k in COLUMNS]
        for i in its
    ]


def write_progress(run_dir: Path, out: Path, per_iteration: int | None = None) -> int:
    """Write the CSV; the number of rows."""
    scalars = read_scalars(run_dir)
    rows = progress_rows(scalars, per_iteration or steps_per_iteration(scalars))
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["iteration", "env_steps", *COLUMNS])
        writer.writerows(rows)
    return len(rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m navila_loco_train.progress", description=__doc__.split("\n")[0]
    )
    ap.add_argument("run_dir", type=Path, help="folder with the run's events.out.tfevents.*")
    ap.add_argument("--out", type=Path, default=None, help="CSV path (<run dir>/progress.csv)")
    ap.add_argument("--steps-per-iteration", type=int, default=None)
    args = ap.parse_args(argv)
    if args.steps_per_iteration is not None and args.steps_per_iteration < 1:
        ap.error("--steps-per-iteration must be >= 1")
    out = args.out or args.run_dir / "progress.csv"
    try:
        n = write_progress(args.run_dir, out, args.steps_per_iteration)
    except (FileNotFoundError, ValueError) as exc:
        print(f"progress: {exc}", file=sys.stderr)
        return 2
    print(f"progress: {n} iterations -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
