"""benchmarks/probe_deploy_gap.py: the observation a policy is fed deployed (sim sensors through
the loco and heightmap cores) against what its trainer would feed it in the same state."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import REPO_ROOT

SCRIPT = REPO_ROOT / "benchmarks" / "probe_deploy_gap.py"
H1_RUN1 = REPO_ROOT / "models" / "h1_vision" / "logs" / "cpu_run1_not_shipped" / "checkpoint.pt"
EXACT = ("velocity_command", "joint_pos_rel", "joint_vel_rel", "last_action")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, str(SCRIPT), *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=REPO_ROOT)


@pytest.fixture(scope="module")
def h1_policy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The unshipped 15.4 M-step H1 run (it walks, does not turn), exported as training does."""
    from navila_loco_train.train import main

    out = tmp_path_factory.mktemp("h1_run1") / "export"
    args = ["--config", "h1_vision", "--resume", str(H1_RUN1), "--export-only", "--num-envs", "2"]
    assert main([*args, "--out", str(out.parent / "run"), "--export-to", str(out)]) == 0
    return out


def test_go2_vision_is_fed_what_it_was_trained_on(tmp_path: Path) -> None:
    out = tmp_path / "go2.json"
    segments = ("--segment", "0.5", "0", "0", "--segment", "2", "0.5", "0")
    proc = run("--robot", "go2", "--policy", str(REPO_ROOT / "models" / "go2_vision"), *segments,
               "--out", str(out))  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"saved {out}" in proc.stdout
    data = json.loads(out.read_text())
    assert data["ended"] == "completed" and data["walking_steps"] == 125
    assert data["sensor_yaw_joints"] == [] and data["started_after_s"] > 2.0  # its stand-up
    terms = data["terms"]
    assert list(terms) == ["base_ang_vel", "base_rpy", *EXACT, "height_map"]
    for name in EXACT:  # the same numbers reach both builders
        assert terms[name]["max_abs"] == 0.0, name
    # the IMU on the base reads what the trainer reads; the L1's map misses a few cells
    assert terms["base_ang_vel"]["max_abs"] < 1e-6 and terms["base_rpy"]["max_abs"] < 1e-6
    assert 0.0 < terms["height_map"]["mean_abs"] < 0.02
    assert data["action"]["mean_abs"] < 0.05


def test_go2_blind_gets_exactly_its_training_input_history_included(tmp_path: Path) -> None:
    """No map, a 9-frame proprio history: every input agrees, so the actions do too (the
    trained view's history starts with the controller's, at its first walking step)."""
    out = tmp_path / "blind.json"
    proc = run("--robot", "go2", "--policy", str(REPO_ROOT / "models" / "go2_blind"),
               "--segment", "1", "0.5", "0.3", "--out", str(out))  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads(out.read_text())
    assert "height_map" not in data["terms"] and data["walking_steps"] == 50
    for name, gap in data["terms"].items():
        assert gap["max_abs"] < 1e-6, name
    assert data["action"]["max_abs"] < 1e-5


def test_h1_torso_imu_and_map_are_turned_into_the_pelvis_frame(
    tmp_path: Path, h1_policy: Path
) -> None:
    """The H1's IMU and LiDAR ride on its torso (torso_joint). With the corrections (the node's
    observation.imu_yaw_joint, the trainer's map in the torso frame) the policy gets the
    pelvis's angular velocity and gravity, as in training; without them, the torso's, which
    differ by the torso's own swing (rad/s)."""
    segments = ("--segment", "2", "0.5", "0")
    fixed, before = tmp_path / "fixed.json", tmp_path / "before.json"
    proc = run("--robot", "h1", "--policy", str(h1_policy), *segments, "--out", str(fixed))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    proc = run("--robot", "h1", "--policy", str(h1_policy), *segments, "--out", str(before),
               "--ignore-sensor-joints")  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    a, b = json.loads(fixed.read_text()), json.loads(before.read_text())
    assert a["ended"] == b["ended"] == "completed"
    assert a["started_after_s"] > 3.0  # out of the gantry first
    assert a["sensor_yaw_joints"] == b["sensor_yaw_joints"] == ["torso_joint"]
    assert not a["ignore_sensor_joints"] and b["ignore_sensor_joints"]
    assert a["sensor_joint_angle_rms_rad"] > 0.01  # the torso does turn while walking
    for name in (*EXACT, "base_lin_vel", "base_ang_vel", "projected_gravity"):
        assert a["terms"][name]["max_abs"] < 1e-6, name
    assert b["terms"]["base_ang_vel"]["mean_abs"] > 0.05  # the torso's swing, uncorrected
    assert b["terms"]["projected_gravity"]["max_abs"] > 1e-4
    assert a["terms"]["height_map"]["mean_abs"] < 0.01  # the head LiDAR sees the floor


def test_h1_walks_on_its_leg_odometry_instead_of_the_simulators_velocity(tmp_path: Path) -> None:
    """A real H1 has no base velocity in its SDK state: the loco node estimates it from the
    joints and the IMU (config/h1.yaml leg_odometry, on in navila_robot). The shipped policy,
    fed the estimate in closed loop, walks and turns the whole script; the base_lin_vel row is
    the estimate's error against navila_sim's true velocity."""
    out = tmp_path / "leg.json"
    segments = ("--segment", "3", "0.5", "0", "--segment", "2", "0", "0.5236")
    proc = run("--robot", "h1", "--policy", str(REPO_ROOT / "models" / "h1_vision"), *segments,
               "--leg-odometry", "--out", str(out))  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads(out.read_text())
    assert data["leg_odometry"] and data["ended"] == "completed" and data["walking_steps"] == 250
    lin = data["terms"]["base_lin_vel"]
    assert 0.0 < lin["mean_abs"] < 0.05 and lin["p95_abs"] < 0.15  # m/s (0.015 / 0.059 on 14 s)
    for name in EXACT:
        assert data["terms"][name]["max_abs"] == 0.0, name
    assert data["action"]["mean_abs"] < 0.1


def test_bad_input_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "x.json"
    go2 = ("--policy", str(REPO_ROOT / "models" / "go2_vision"), "--out", str(out))
    proc = run("--robot", "go2", *go2, "--segment", "0", "0.5", "0")
    assert proc.returncode == 2 and "SECONDS > 0" in proc.stderr
    proc = run("--robot", "t1", *go2)  # the T1 walks on Booster's controller
    assert proc.returncode == 2 and "refused" in proc.stderr and "velocity" in proc.stderr
    proc = run("--robot", "go2", *go2, "--scene", "no_such_scene")
    assert proc.returncode == 2 and "no_such_scene" in proc.stderr
    assert not out.exists()
