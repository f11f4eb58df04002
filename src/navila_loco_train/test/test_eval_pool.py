"""navila-loco-eval-pool: runs pooled into the figures one long run gives, and refused when they
are not the same measurement. Synthetic runs, plus the committed stage 18 metrics (real runs)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from navila_loco_train.eval_metrics import TrialResult, report, summarize
from navila_loco_train.eval_pool import (
    load_run,
    main,
    pool,
    read_trial_tilt,
    schedule_of,
    trial_csv,
    trial_from_dict,
)

REPO = Path(__file__).resolve().parents[3]
STAGE18 = REPO / "models" / "go2_vision" / "logs" / "stage18_cpu_not_shipped"
SCRIPT = [{"kind": "stand", "duration_s": 2.0, "vx": 0.0, "vy": 0.0, "wz": 0.0}]


def _trial(terrain: str, k: int, lin: float, fell: bool = False, contacts: int = 0) -> TrialResult:
    return TrialResult(
        policy="p",
        terrain=terrain,
        trial=k,
        start_pose=(0.0, 0.0, 0.0),
        lin_vel_error=lin,
        ang_vel_error=lin * 2,
        samples=100,
        fell=fell,
        fall_cause="tilt" if fell else "",
        fall_time_s=1.0 if fell else None,
        fall_kind="tilt" if fell else "",
        contact_periods=contacts,
        control_periods=1000,
        upper_contact_periods=contacts // 2,
        fall_segment="stand" if fell else "",
    )


def _run(
    seed: int, trials: dict[str, list[TrialResult]], vision: dict[str, bool] | None = None, **kw
) -> dict:
    settings = {"robot": "go2", "config": "/somewhere/config/go2.yaml", "settle_s": 0.5}
    settings.update(kw)
    return {
        "settings": {**settings, "seed": seed},
        "script": SCRIPT,
        "goals": {"lin_vel_error": 0.066},
        "policies": {
            label: {
                "path": f"/models/{label}",
                "vision": (vision or {}).get(label, False),
                "trials": [{**t.to_dict(), "restarts": 0} for t in ts],
            }
            for label, ts in trials.items()
        },
    }


def test_pooled_summaries_are_those_of_all_trials_at_once() -> None:
    a = [_trial("flat", 0, 0.03), _trial("steps10", 0, 0.07, fell=True, contacts=40)]
    b = [_trial("flat", 0, 0.05), _trial("steps10", 0, 0.09, contacts=10)]
    pooled = pool([("a", _run(0, {"p": a})), ("b", _run(1, {"p": b}))])
    entry = pooled["policies"]["p"]
    assert entry["summary"]["all"] == summarize(a + b)
    assert entry["summary"]["steps10"] == summarize([a[1], b[1]])
    assert list(entry["summary"]) == ["flat", "steps10", "all"]
    assert entry["meets_goals"]["no_falls_flat_and_steps"] is False
    assert [(t["seed"], t["source"]) for t in entry["trials"]] == [(0, "a")] * 2 + [(1, "b")] * 2
    assert pooled["sources"] == ["a", "b"]


def test_vision_and_blind_policies_get_the_collision_comparison(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    runs = []
    for seed in (0, 1):
        trials = {
            "vision": [_trial("rubble", 0, 0.1, contacts=20)],
            "blind": [_trial("rubble", 0, 0.1, contacts=50)],
        }
        path = tmp_path / f"seed{seed}"
        path.mkdir()
        (path / "metrics.json").write_text(json.dumps(_run(seed, trials, {"vision": True})))
        runs.append(str(path))
    assert main([*runs, "--out", str(tmp_path / "pooled")]) == 0
    out = capsys.readouterr().out
    pooled = json.loads((tmp_path / "pooled" / "metrics.json").read_text())
    rubble = [r for r in pooled["collision_comparison"] if r["terrain"] == "rubble"]
    assert rubble[0]["contact"] == "fewer" and rubble[0]["contact_step_fraction"] == [0.02, 0.05]
    assert "2 runs, 4 trials" in out and "collisions, vision vs blind" in out
    assert str(tmp_path / "pooled" / "metrics.json") in out


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"settle_s": 1.0}, "settle_s"),
        ({"robot": "h1"}, "robot"),
        ({"config": "/tmp/go2_dense_lidar.yaml"}, "config"),
    ],
)
def test_runs_that_are_not_the_same_measurement_are_refused(change: dict, message: str) -> None:
    a = _run(0, {"p": [_trial("flat", 0, 0.03)]})
    b = _run(1, {"p": [_trial("flat", 0, 0.03)]}, **change)
    with pytest.raises(ValueError, match=message):
        pool([("a", a), ("b", b)])


def test_a_different_script_a_label_clash_and_a_run_passed_twice_are_refused() -> None:
    a = _run(0, {"p": [_trial("flat", 0, 0.03)]})
    other_script = {**_run(1, {"p": [_trial("flat", 0, 0.03)]}), "script": SCRIPT * 2}
    with pytest.raises(ValueError, match="script"):
        pool([("a", a), ("b", other_script)])
    clash = _run(1, {"p": [_trial("flat", 0, 0.03)]})
    clash["policies"]["p"]["path"] = "/models/another"
    with pytest.raises(ValueError, match="two policies under one name"):
        pool([("a", a), ("b", clash)])
    with pytest.raises(ValueError, match="already in a"):
        pool([("a", a), ("a again", a)])
    with pytest.raises(ValueError, match="no runs"):
        pool([])


def test_bad_inputs_fail_with_the_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([str(tmp_path)]) == 1  # a folder without metrics.json
    assert "no metrics.json" in capsys.readouterr().err
    (tmp_path / "metrics.json").write_text(json.dumps({"something": "else"}))
    assert main([str(tmp_path), "--out", str(tmp_path / "out")]) == 1
    assert "not a navila-loco-eval metrics.json" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_trials_of_older_runs_take_the_defaults() -> None:
    d = _trial("flat", 2, 0.04).to_dict()
    for key in ("upper_contact_periods", "fall_kind", "distance_m"):
        del d[key]
    t = trial_from_dict({**d, "restarts": 1, "start_pose": [1.0, 2.0, 0.5]})
    assert t == replace(_trial("flat", 2, 0.04), start_pose=(1.0, 2.0, 0.5))


def test_the_segment_of_an_older_runs_fall_comes_from_its_script(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Runs from before fall_segment was recorded: the fall's time in the run's own script."""
    script = [
        {"kind": kind, "duration_s": 4.0, "vx": 0.0, "vy": 0.0, "wz": 0.0}
        for kind in ("forward", "turn_left", "stop")
    ]
    old = {**_trial("boxes", 0, 0.1, fell=True).to_dict(), "fall_time_s": 9.5}
    del old["fall_segment"]
    schedule = schedule_of({"script": script})
    assert schedule is not None and schedule_of({"script": None}) is None
    with pytest.raises(ValueError, match="not a list of command segments"):
        schedule_of({"script": [{"name": "stand", "duration_s": 2.0}]})
    assert trial_from_dict(old).fall_segment == ""  # no script: not guessed
    assert trial_from_dict(old, schedule).fall_segment == "stop"
    assert trial_from_dict({**old, "fall_time_s": 30.0}, schedule).fall_segment == "stop"
    assert trial_from_dict({**old, "fall_time_s": 4.0}, schedule).fall_segment == "turn_left"
    upright = {**_trial("boxes", 1, 0.1).to_dict()}
    del upright["fall_segment"]
    assert trial_from_dict(upright, schedule).fall_segment == ""
    run = {**_run(0, {"p": []}), "script": script}
    run["policies"]["p"]["trials"] = [old, upright]
    (tmp_path / "metrics.json").write_text(json.dumps(run))
    assert main([str(tmp_path), "--out", str(tmp_path / "pooled")]) == 0
    pooled = json.loads((tmp_path / "pooled" / "metrics.json").read_text())
    entry = pooled["policies"]["p"]
    assert [t["fall_segment"] for t in entry["trials"]] == ["stop", ""]
    assert entry["summary"]["boxes"]["falls_by_segment"] == {"stop": 1}
    assert "p falls by command: boxes stop 1" in capsys.readouterr().out


def test_the_tilt_rise_of_an_older_run_comes_from_its_trial_csvs(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Runs from before stop_tilt_rise_rad was recorded: measured from the CSVs navila-loco-eval
    wrote beside their metrics.json, left None where the folder has none."""
    script = [
        {"kind": kind, "duration_s": 4.0, "vx": 0.0, "vy": 0.0, "wz": 0.0}
        for kind in ("forward", "stop")
    ]
    run = {**_run(0, {"p": [_trial("boxes", k, 0.1) for k in range(2)]}), "script": script}
    for d in run["policies"]["p"]["trials"]:
        del d["stop_tilt_rise_rad"]
    t = np.arange(-1.0, 8.5, 0.02)
    tilt = np.where(t < 4.0, 0.3, 0.05 + 0.05 * (t - 4.0))  # up 0.05 rad/s in the stop
    rows = ["t,cmd_vx,cmd_vy,cmd_wz,vx,vy,wz,x,y,z,tilt"]
    rows += [f"{a:.4f},0,0,0,0,0,0,0,0,0.3,{b:.4f}" for a, b in zip(t, tilt, strict=True)]
    (tmp_path / "trials" / "p").mkdir(parents=True)
    (tmp_path / "trials" / "p" / "boxes_0.csv").write_text("\n".join(rows) + "\n")
    (tmp_path / "metrics.json").write_text(json.dumps(run))
    csv = trial_csv(str(tmp_path / "metrics.json"), "p", "boxes", 0)
    assert csv == trial_csv(str(tmp_path), "p", "boxes", 0) == tmp_path / "trials/p/boxes_0.csv"
    assert trial_csv(str(tmp_path), "p", "boxes", 1) is None
    read_t, read_tilt = read_trial_tilt(csv)
    assert np.allclose(read_t, t, atol=1e-4) and np.allclose(read_tilt, tilt, atol=1e-4)
    assert main([str(tmp_path), "--out", str(tmp_path / "pooled")]) == 0
    entry = json.loads((tmp_path / "pooled" / "metrics.json").read_text())["policies"]["p"]
    # from the run's settle time into the stop (0.5 s) to its end: 3.5 s
    assert entry["trials"][0]["stop_tilt_rise_rad"] == pytest.approx(0.175, abs=1e-3)
    assert entry["trials"][1]["stop_tilt_rise_rad"] is None  # no CSV: not guessed
    later = {**run, "settings": {**run["settings"], "settle_s": 1.0}}  # the run's own window
    rise = pool([(str(tmp_path), later)])["policies"]["p"]["trials"][0]["stop_tilt_rise_rad"]
    assert rise == pytest.approx(0.15, abs=1e-3)
    boxes = entry["summary"]["boxes"]
    assert (boxes["stop_tilt_trials"], boxes["stop_unsteady"]) == (1, 1)
    assert "p tilting while stopped (rise > 0.1 rad): boxes 1 of 1" in capsys.readouterr().out
    # a run's own figure is kept, even None (it fell before the stop)
    recorded = {**run["policies"]["p"]["trials"][0], "stop_tilt_rise_rad": None}
    assert trial_from_dict(recorded, schedule_of(run), csv).stop_tilt_rise_rad is None
    (tmp_path / "bad.csv").write_text("time,roll\n0,0\n")
    with pytest.raises(ValueError, match=r"bad\.csv: not a navila-loco-eval trial CSV"):
        read_trial_tilt(tmp_path / "bad.csv")
    (tmp_path / "cut.csv").write_text("t,x,tilt\n0,0,0.1\n0.02,0\n")  # a row cut short
    with pytest.raises(ValueError, match=r"cut\.csv: unreadable trial CSV"):
        read_trial_tilt(tmp_path / "cut.csv")
    (tmp_path / "empty.csv").write_text("t,x,tilt\n")
    assert [len(c) for c in read_trial_tilt(tmp_path / "empty.csv")] == [0, 0]


def test_committed_stage18_rubble_runs_pool_to_24_trials() -> None:
    files = sorted(STAGE18.glob("eval_metrics_rubble_seed*.json"))
    assert len(files) == 4
    runs = [(f.name, load_run(f)) for f in files]
    pooled = pool(runs)
    (label,) = pooled["policies"]
    entry = pooled["policies"][label]
    lin = [t["lin_vel_error"] for _, r in runs for t in r["policies"][label]["trials"]]
    falls = sum(t["fell"] for _, r in runs for t in r["policies"][label]["trials"])
    assert entry["summary"]["rubble"]["trials"] == 24
    assert entry["summary"]["rubble"]["lin_vel_error"] == pytest.approx(np.mean(lin))
    assert entry["summary"]["rubble"]["fall_rate"] == pytest.approx(falls / 24)
    assert sorted({t["seed"] for t in entry["trials"]}) == [0, 1, 2, 3]


RUBBLE = "navila_sim/navila_sim/scenes/loco_eval_rubble.yaml"
JITTER = [0.25, 0.3, 0.0873]


def _terrain(name: str, scene: str, start: list[float] | None = None) -> dict:
    return {"name": name, "scene": scene, "start": start or [0.0, 0.0, 0.0], "jitter": JITTER}


def test_an_older_runs_name_for_a_shipped_scene_pools_with_todays(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Runs before the short names called the rubble scene "loco_eval_rubble" (and recorded
    a relative path); today's "rubble" run of the same file, start and jitter is the same
    terrain. A copy of the scene under a path of the user's is not."""
    old = _run(
        0,
        {"p": [_trial("loco_eval_rubble", 0, 0.10)]},
        terrains=[_terrain("loco_eval_rubble", f"src/{RUBBLE}")],
    )
    new = _run(
        1, {"p": [_trial("rubble", 0, 0.12)]}, terrains=[_terrain("rubble", f"/w/src/{RUBBLE}")]
    )
    copy = _run(
        2,
        {"p": [_trial("loco_eval_rubble", 0, 0.30)]},
        terrains=[_terrain("loco_eval_rubble", "/home/me/loco_eval_rubble.yaml")],
    )
    pooled = pool([("old", old), ("new", new), ("copy", copy)])
    summary = pooled["policies"]["p"]["summary"]
    assert list(summary) == ["rubble", "loco_eval_rubble", "all"]
    assert summary["rubble"]["trials"] == 2
    assert summary["rubble"]["lin_vel_error"] == pytest.approx(0.11)
    assert pooled["renamed_terrains"] == {"loco_eval_rubble": "rubble"}
    assert [t["terrain"] for t in pooled["policies"]["p"]["trials"]] == [
        "rubble",
        "rubble",
        "loco_eval_rubble",
    ]
    for name, run in (("old", old), ("new", new)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "metrics.json").write_text(json.dumps(run))
    assert main([str(tmp_path / "old"), str(tmp_path / "new"), "--out", str(tmp_path)]) == 0
    assert "terrain 'loco_eval_rubble' (an older run's name) pooled as 'rubble'" in (
        capsys.readouterr().out
    )


def test_one_terrain_name_with_two_start_poses_is_refused() -> None:
    a = _run(0, {"p": [_trial("rubble", 0, 0.1)]}, terrains=[_terrain("rubble", RUBBLE)])
    b = _run(1, {"p": [_trial("rubble", 0, 0.1)]}, terrains=[_terrain("rubble", RUBBLE, [1, 0, 0])])
    with pytest.raises(ValueError, match=r"terrain 'rubble' .* not the same measurement"):
        pool([("a", a), ("b", b)])


def test_the_table_fits_a_long_terrain_name() -> None:
    name = "office_corridor_with_cables"
    run = _run(0, {"p": [_trial(name, 0, 0.05)]})
    lines = report(pool([("a", run)]))
    table = lines[1].splitlines()
    head, row = table[0], next(r for r in table if r.startswith(name))
    assert row.index(" p ") == head.index(" policy ")
