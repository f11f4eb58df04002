"""`navila-loco-eval-pool`: several `navila-loco-eval` runs pooled into one table and metrics.json.

    navila-loco-eval-pool RUN [RUN ...] [--out DIR]      (RUN: a results folder or its metrics.json)

Why: three trials per terrain cannot tell two policies apart on falls - on 10 cm steps a fall is
decided by where in its gait a robot meets an edge - so comparisons run the same terrains again
with other `--seed` values (other start poses). This recomputes every summary, NaVILA's goals
and the vision-vs-blind collision comparison over all their trials with the functions one long
run uses (eval_metrics), so a pooled figure means exactly what a single run's does.

Refused with the reason (nothing is written): runs whose command script or settle time differ
(their errors are not the same measurement), runs on different robots or robot params files
(a denser LiDAR, an oracle map), one label naming two different policy directories, and the same
trial twice (same policy, terrain, seed and trial index: a run passed twice), and one terrain
name with two scenes or start poses.

Runs from before a figure was recorded get it where it can be recomputed: the command a fall came
under from the run's script and the fall's time; the tilt rise while stopped
(stop_tilt_rise_rad) from the trial's CSV (`trials/<policy>/<terrain>_<k>.csv` beside the
run's metrics.json) when the run's folder still has it - a metrics file copied on its own keeps
none, and the summaries say over how many trials the figure is (stop_tilt_trials).

Terrains are named as navila-loco-eval names them today: runs from before the short names called
a shipped scene by its file ("loco_eval_rubble"); their trials pool with today's "rubble" runs,
since the run records the scene file, start pose and jitter that make it the same terrain.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

import numpy as np

from navila_loco_train.eval_metrics import (
    Schedule,
    Segment,
    TrialResult,
    fall_segment,
    report,
    stop_tilt_rise,
    summarize_policy,
)
from navila_loco_train.evaluate import TERRAINS, EvalSettings

_TRIAL_FIELDS = {f.name for f in fields(TrialResult)}
_SHIPPED_NAMES = {scene: name for name, scene in TERRAINS.items()}


def trial_from_dict(
    d: dict[str, Any],
    schedule: Schedule | None = None,
    csv: Path | None = None,
    settle_s: float = 0.5,
) -> TrialResult:
    """A metrics.json trial back as a TrialResult. Keys it does not define (collided, restarts)
    are dropped; keys older runs lack take TrialResult's defaults, except two that can be
    recomputed: the segment of a fall, from the run's script (`schedule_of`) and the fall's
    time, and the tilt rise while stopped, from the script, the trial's CSV when given and the
    run's settle time."""
    kwargs = {k: v for k, v in d.items() if k in _TRIAL_FIELDS}
    kwargs["start_pose"] = tuple(kwargs["start_pose"])
    if d.get("fell") and not d.get("fall_segment") and schedule is not None:
        kwargs["fall_segment"] = fall_segment(schedule, d.get("fall_time_s"))
    if "stop_tilt_rise_rad" not in d and schedule is not None and csv is not None:
        t, tilt = read_trial_tilt(csv)
        kwargs["stop_tilt_rise_rad"] = stop_tilt_rise(
            schedule, t, tilt, d.get("fall_time_s"), settle_s
        )
    return TrialResult(**kwargs)


def read_trial_tilt(csv: Path) -> tuple[np.ndarray, np.ndarray]:
    """Script time and base tilt columns of a trial CSV (navila-loco-eval's write_trial_csv).
    ValueError naming the file when it has no such columns."""
    with csv.open() as f:
        header = f.readline().strip().split(",")
        if "t" not in header or "tilt" not in header:
            raise ValueError(f"{csv}: not a navila-loco-eval trial CSV (no t and tilt columns)")
        body = [line for line in f if line.strip()]
    rows = np.zeros((0, len(header)))
    if body:
        try:
            rows = np.loadtxt(body, delimiter=",", ndmin=2, usecols=range(len(header)))
        except ValueError as exc:
            raise ValueError(f"{csv}: unreadable trial CSV ({exc})") from exc
    return rows[:, header.index("t")], rows[:, header.index("tilt")]


def trial_csv(source: str, label: str, terrain: str, trial: int) -> Path | None:
    """The CSV navila-loco-eval wrote for a trial, beside the run's metrics.json (`source`, a
    results folder or the file), or None where the folder does not have it."""
    base = Path(source)
    folder = base if base.is_dir() else base.parent
    csv = folder / "trials" / label / f"{terrain}_{trial}.csv"
    return csv if csv.is_file() else None


def schedule_of(run: dict[str, Any]) -> Schedule | None:
    """A run's command script (metrics.json "script") as a Schedule; None without one.
    ValueError when it is not a list of navila-loco-eval's segments."""
    script = run.get("script")
    if not script:
        return None
    try:
        return Schedule([Segment(**s) for s in script])
    except TypeError as exc:
        raise ValueError(f"its script is not a list of command segments ({exc})") from exc


def load_run(path: Path) -> dict[str, Any]:
    """A run's metrics.json (given the file or its results folder)."""
    file = path / "metrics.json" if path.is_dir() else path
    if not file.is_file():
        raise FileNotFoundError(f"{path}: no metrics.json")
    data = json.loads(file.read_text())
    if not isinstance(data, dict) or "policies" not in data or "settings" not in data:
        raise ValueError(f"{file}: not a navila-loco-eval metrics.json")
    return data


def _scene_key(scene: str) -> str:
    """A shipped scene as navila_sim/scenes/<file> wherever the checkout or install that ran it
    was; any other scene file by the path the run recorded."""
    path = Path(scene)
    if path.parent.parts[-2:] == ("navila_sim", "scenes"):
        return f"navila_sim/scenes/{path.name}"
    return scene


def terrain_name(entry: dict[str, Any]) -> str:
    """The name navila-loco-eval gives a run's terrain (a settings["terrains"] entry) today.
    Older runs named the shipped scenes by their file's stem; a scene file of the user's keeps
    its stem, as resolve_terrain does, even where it is a copy of a shipped one."""
    name = str(entry["name"])
    scene = str(entry.get("scene", ""))
    shipped = _scene_key(scene) == f"navila_sim/scenes/{name}.yaml"
    return _SHIPPED_NAMES.get(name, name) if shipped else name


def _placement(entry: dict[str, Any]) -> tuple[str, list[float], list[float]]:
    """What makes two runs' terrains one terrain: the scene file, the start pose and the jitter
    around it (to the micrometre and microradian: a version that wrote 5 deg differently is the
    same jitter)."""
    start = [round(float(v), 6) for v in entry.get("start", [])]
    return (
        _scene_key(str(entry.get("scene", ""))),
        start,
        [round(float(v), 6) for v in entry.get("jitter", [])],
    )


def _conditions(run: dict[str, Any]) -> dict[str, Any]:
    """What must match for two runs' trials to be one measurement."""
    settings = run["settings"]
    return {
        "script": run.get("script"),
        "settle_s": settings.get("settle_s"),
        "robot": settings.get("robot"),
        "config": Path(settings.get("config") or "").name,
    }


def pool(runs: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """runs: (source name, metrics.json content). Returns the pooled metrics: per policy label
    its path, vision flag, every trial (with its run's seed and source), summaries and goals;
    the vision-vs-blind comparison; the sources. ValueError when they cannot be pooled."""
    if not runs:
        raise ValueError("nothing to pool: no runs")
    first_name, first = runs[0]
    reference = _conditions(first)
    policies: dict[str, dict[str, Any]] = {}
    terrains: list[str] = []
    seen: dict[tuple[str, str, int, int], str] = {}
    results: dict[str, list[TrialResult]] = {}
    placements: dict[str, tuple[tuple[str, list[float], list[float]], str]] = {}
    renamed: dict[str, str] = {}
    for name, run in runs:
        conditions = _conditions(run)
        for key, value in conditions.items():
            if value != reference[key]:
                raise ValueError(
                    f"{name}: its {key} ({value!r}) differs from {first_name}'s "
                    f"({reference[key]!r}): not the same measurement"
                )
        names: dict[str, str] = {}
        for entry in run["settings"].get("terrains", []):
            names[entry["name"]] = terrain = terrain_name(entry)
            if terrain != entry["name"]:
                renamed[entry["name"]] = terrain
            here = _placement(entry)
            placement, where = placements.setdefault(terrain, (here, name))
            if placement != here:
                raise ValueError(
                    f"{name}: terrain {terrain!r} is {here[0]} from {here[1]} +- {here[2]}, in "
                    f"{where} {placement[0]} from {placement[1]} +- {placement[2]}: "
                    "not the same measurement"
                )
        seed = int(run["settings"].get("seed", 0))
        settle = run["settings"].get("settle_s")
        settle_s = EvalSettings.settle_s if settle is None else float(settle)
        try:
            schedule = schedule_of(run)
        except ValueError as exc:
            raise ValueError(f"{name}: {exc}") from exc
        for label, entry in run["policies"].items():
            pooled = policies.setdefault(
                label, {"path": entry["path"], "vision": entry["vision"], "trials": []}
            )
            if pooled["path"] != entry["path"]:
                raise ValueError(
                    f"{name}: policy label {label!r} is {entry['path']}, elsewhere "
                    f"{pooled['path']}: two policies under one name"
                )
            for d in entry["trials"]:
                csv = trial_csv(name, label, d["terrain"], int(d["trial"]))
                trial = trial_from_dict(d, schedule, csv, settle_s)
                trial = replace(trial, terrain=names.get(trial.terrain, trial.terrain))
                key = (label, trial.terrain, seed, trial.trial)
                if key in seen:
                    raise ValueError(
                        f"{name}: {label} on {trial.terrain}, seed {seed}, trial "
                        f"{trial.trial + 1} is already in {seen[key]}"
                    )
                seen[key] = name
                if trial.terrain not in terrains:
                    terrains.append(trial.terrain)
                results.setdefault(label, []).append(trial)
                pooled["trials"].append(
                    {
                        **d,
                        "terrain": trial.terrain,
                        "fall_segment": trial.fall_segment,
                        "stop_tilt_rise_rad": trial.stop_tilt_rise_rad,
                        "seed": seed,
                        "source": name,
                    }
                )
    for label, entry in policies.items():
        if not results.get(label):
            raise ValueError(f"policy {label!r}: no trials in any run")
        entry["summary"], entry["meets_goals"] = summarize_policy(results[label], terrains)
    return {
        "sources": [name for name, _ in runs],
        "script": first.get("script"),
        "goals": first.get("goals"),
        "conditions": reference,
        "renamed_terrains": renamed,
        "policies": policies,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="navila-loco-eval-pool",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("runs", nargs="+", type=Path, help="results folders or metrics.json")
    parser.add_argument("--out", type=Path, default=None, help="folder for the pooled metrics")
    args = parser.parse_args(argv)
    try:
        runs = [(str(p), load_run(p)) for p in args.runs]
        pooled = pool(runs)
    except (ValueError, FileNotFoundError, KeyError, TypeError) as exc:
        print(f"[loco-eval-pool] FAILED: {exc}", file=sys.stderr)
        return 1
    lines = report(pooled)
    if args.out is None:
        from navila_bringup.paths import results_dir

        args.out = results_dir() / f"loco_eval_pool_{time.strftime('%Y%m%d_%H%M%S')}"
    args.out.mkdir(parents=True, exist_ok=True)
    out = args.out / "metrics.json"
    out.write_text(json.dumps(pooled, indent=1))
    trials = sum(len(e["trials"]) for e in pooled["policies"].values())
    print(f"[loco-eval-pool] {len(runs)} runs, {trials} trials")
    for old, new in pooled["renamed_terrains"].items():
        print(f"[loco-eval-pool] terrain {old!r} (an older run's name) pooled as {new!r}")
    for line in lines:
        print(line)
    print(f"[loco-eval-pool] pooled metrics: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
