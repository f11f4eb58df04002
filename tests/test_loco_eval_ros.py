"""navila-loco-eval end to end: real navila_sim + navila_loco nodes, policy directories, metrics.

No trained policy exists yet, so two RANDOMLY INITIALISED Go2 blind policies of the real size
(450-512-256-128-12 ELU, ONNX) are evaluated side by side on flat ground with short segments:
* "still": the plain random network; its small outputs keep the robot near the default pose, so it
  stands where it is whatever it is told - it must score the full command as error;
* "wild": the same network with its output layer scaled up, so it thrashes the joints to their
  limits; it must be scored as a fall (tilt or the loco node's DAMP), and in a tight pen of boxes
  its body contacts must come through the sim node's status as collisions.
Each policy ships as a directory (policy.onnx + loco_params.yaml with the blind layout: the Go2
config's observation terms without the height map, the same 9-frame history, no height-map
preset), which also checks that list-valued parameters reach the node through navila_bringup.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import yaml

from navila_loco_node.config import load_params
from navila_loco_train.eval_metrics import Schedule, Segment, fall_segment
from navila_loco_train.evaluate import EvalSettings, evaluate

from .conftest import CONFIG_DIR

pytestmark = pytest.mark.ros

SUMMARY_KEYS = {
    "trials",
    "lin_vel_error",
    "lin_vel_error_std",
    "ang_vel_error",
    "ang_vel_error_std",
    "collision_rate",
    "contact_step_fraction",
    "upper_collision_rate",
    "upper_contact_step_fraction",
    "upright_contact_step_fraction",
    "upright_upper_contact_step_fraction",
    "fall_rate",
}
TRIAL_KEYS = {
    "lin_vel_error",
    "restarts",
    "ang_vel_error",
    "fell",
    "fall_cause",
    "fall_kind",
    "fall_segment",
    "stop_tilt_rise_rad",
    "contact_periods",
    "upper_contact_periods",
    "control_periods",
    "upright_contact_periods",
    "upright_upper_contact_periods",
    "upright_control_periods",
    "collided",
    "real_time_factor",
    "distance_m",
}


def rerun(trial: dict) -> str:
    """Log folder suffix of the attempt that was scored (a trial the machine spoiled is rerun)."""
    return f"_rerun{trial['restarts']}" if trial["restarts"] else ""


def blind_policy_dir(root: Path, output_gain: float, seed: int) -> Path:
    import torch

    from navila_loco_node.policy import export_onnx, random_mlp

    p = load_params(CONFIG_DIR / "go2.yaml")
    keep = [i for i, t in enumerate(p["observation.terms"]) if t != "height_map"]
    params = {
        "observation": {
            "terms": [p["observation.terms"][i] for i in keep],
            "scales": [p["observation.scales"][i] for i in keep],
            "clips": [p["observation.clips"][i] for i in keep],
            "history_terms": list(p["observation.history_terms"]),
            "history_length": p["observation.history_length"],
            "height_map_preset": "",
        },
        "policy": {"path": "policy.onnx", "num_inputs": 450, "num_outputs": 12},
    }
    root.mkdir(parents=True)
    model = random_mlp(450, 12, seed=seed)
    with torch.no_grad():
        model[-1].weight.mul_(output_gain)
    export_onnx(model, root / "policy.onnx", 450)
    (root / "loco_params.yaml").write_text(
        yaml.safe_dump({"navila_loco": {"ros__parameters": params}})
    )
    return root


def test_random_blind_policies_on_flat_ground(ros_domain, tmp_path) -> None:
    still = blind_policy_dir(tmp_path / "models" / "still", output_gain=1.0, seed=0)
    wild = blind_policy_dir(tmp_path / "models" / "wild", output_gain=50.0, seed=1)
    out = tmp_path / "eval"
    settings = EvalSettings(terrains=("flat",), trials=1, stand_s=1.0, segment_s=1.0)
    evaluate([str(still), str(wild)], settings, out, domain_id=ros_domain, quiet=True)

    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["goals"]["lin_vel_error"] == 0.066 and metrics["goals"]["ang_vel_error"] == 0.113
    assert [s["kind"] for s in metrics["script"]] == [
        "stand",
        "forward",
        "turn_left",
        "turn_right",
        "forward",
        "stop",
    ]
    assert set(metrics["policies"]) == {"still", "wild"}
    assert "collision_comparison" not in metrics  # two blind policies: nothing to compare
    for label, entry in metrics["policies"].items():
        assert entry["vision"] is False
        for terrain in ("flat", "all"):
            summary = entry["summary"][terrain]
            assert set(summary) >= SUMMARY_KEYS, (label, terrain)
            assert all(math.isfinite(summary[k]) for k in SUMMARY_KEYS), summary
        (trial,) = entry["trials"]
        assert set(trial) >= TRIAL_KEYS
        assert trial["samples"] > 100  # 6 half-second windows at 50 Hz, minus transport losses
        assert trial["control_periods"] > 250  # the sim's counter arrived in its status
        assert trial["contact_periods"] == 0  # nothing to hit on flat ground
        assert trial["real_time_factor"] is not None and trial["real_time_factor"] > 0
        # A random network does not walk: it never meets NaVILA's tracking goals.
        assert entry["meets_goals"]["lin_vel_error"] is False
        assert entry["meets_goals"]["all"] is False
        assert (out / "trials" / label / "flat_0.csv").is_file()
        # The directory's list-valued overrides reached the node: it built 450 inputs.
        log = (out / "logs" / label / f"flat_0{rerun(trial)}" / "navila_loco.log").read_text()
        assert "(onnx, 450 in)" in log, log

    (still_trial,) = metrics["policies"]["still"]["trials"]
    assert still_trial["fell"] is False
    # It stood where it was: the commanded 1 m forward was not walked and the turns not turned.
    assert still_trial["distance_m"] < 0.3
    assert still_trial["by_kind"]["forward"]["lin_vel_error"] > 0.35
    assert still_trial["by_kind"]["turn_left"]["ang_vel_error"] > 0.35
    assert still_trial["by_kind"]["stand"]["lin_vel_error"] < 0.2

    (wild_trial,) = metrics["policies"]["wild"]["trials"]
    assert wild_trial["fell"] is True and wild_trial["fall_cause"], wild_trial
    assert wild_trial["fall_kind"] in ("tilt", "base_height", "loco_damp")
    falls = metrics["policies"]["wild"]["summary"]["flat"]["falls_by_kind"]
    assert falls[wild_trial["fall_kind"]] == 1 and sum(falls.values()) == 1
    assert 0.0 <= wild_trial["fall_time_s"] <= 6.0
    # the command it fell under, from the same script the evaluator drove
    script = Schedule([Segment(**s) for s in metrics["script"]])
    assert wild_trial["fall_segment"] == fall_segment(script, wild_trial["fall_time_s"])
    by_segment = metrics["policies"]["wild"]["summary"]["flat"]["falls_by_segment"]
    assert by_segment == {wild_trial["fall_segment"]: 1}
    assert still_trial["fall_segment"] == ""
    # standing still in the final stop it measured the tilt rise; a fall before it leaves none
    assert 0.0 <= still_trial["stop_tilt_rise_rad"] < 0.2
    assert metrics["policies"]["still"]["summary"]["flat"]["stop_tilt_trials"] == 1
    fell_before_stop = wild_trial["fall_time_s"] < script.starts[-1]
    assert (wild_trial["stop_tilt_rise_rad"] is None) == fell_before_stop
    assert metrics["policies"]["wild"]["summary"]["flat"]["fall_rate"] == 1.0
    assert metrics["policies"]["wild"]["meets_goals"]["no_falls_flat_and_steps"] is False

    # Collisions through the sim node's status: the thrashing robot in a tight pen of boxes
    # (a custom terrain file) hits the walls with its legs or body as it goes down.
    pen = tmp_path / "pen.yaml"
    pen.write_text(
        yaml.safe_dump(
            {
                "name": "pen",
                "boxes": [
                    {"name": "pen_left", "center": [0.0, 0.3], "size": [1.0, 0.1, 0.4]},
                    {"name": "pen_right", "center": [0.0, -0.3], "size": [1.0, 0.1, 0.4]},
                    {"name": "pen_front", "center": [0.43, 0.0], "size": [0.1, 0.5, 0.4]},
                    {"name": "pen_back", "center": [-0.5, 0.0], "size": [0.1, 0.5, 0.4]},
                ],
                "loco_eval": {"start": [0.0, 0.0, 0.0], "jitter": [0.0, 0.0, 0.0]},
            }
        )
    )
    settings = EvalSettings(terrains=(str(pen),), trials=1, stand_s=1.0, segment_s=1.0)
    pen_out = tmp_path / "eval_pen"
    evaluate([str(wild)], settings, pen_out, domain_id=ros_domain, quiet=True)
    entry = json.loads((pen_out / "metrics.json").read_text())["policies"]["wild"]
    (trial,) = entry["trials"]
    assert trial["terrain"] == "pen" and trial["contact_periods"] > 0, trial
    assert 0 <= trial["upper_contact_periods"] <= trial["contact_periods"]
    # Until the fall (the whole script if none): never more than over the whole script.
    assert 0 <= trial["upright_contact_periods"] <= trial["contact_periods"]
    assert 0 <= trial["upright_upper_contact_periods"] <= trial["upper_contact_periods"]
    assert 0 < trial["upright_control_periods"] <= trial["control_periods"]
    if not trial["fell"]:
        assert trial["upright_contact_periods"] == trial["contact_periods"]
    assert trial["last_contact"].split(" / ")[1].startswith("pen_"), trial["last_contact"]
    assert entry["summary"]["pen"]["collision_rate"] == 1.0
    assert 0.0 < entry["summary"]["pen"]["contact_step_fraction"] <= 1.0
