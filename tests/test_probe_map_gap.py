"""benchmarks/probe_map_gap.py: the deployed (LiDAR) height map against the trained (top-surface)
one. On open floor the two agree; behind a block's face the LiDAR map loses the ground."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from .conftest import REPO_ROOT

SCRIPT = REPO_ROOT / "benchmarks" / "probe_map_gap.py"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, str(SCRIPT), *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=REPO_ROOT)


def test_lidar_map_matches_the_top_surface_on_open_floor_and_not_behind_a_block(
    tmp_path: Path,
) -> None:
    out = tmp_path / "gap.json"
    poses = ("--pose", "-1", "0", "0", "--pose", "1.65", "0.1", "0")
    proc = run(*poses, "--out", str(out))  # 0.5 s standing first
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"saved {out}" in proc.stdout
    data = json.loads(out.read_text())
    assert (data["robot"], data["scene"], data["preset"]) == ("go2", "loco_eval_rubble", "go2")
    floor, edge = data["poses"]
    assert floor["pose"] == [-1.0, 0.0, 0.0] and floor["cells"] == 17 * 27
    # Same sensor path, same frames: on flat floor the maps agree to millimetres.
    assert floor["unseen_fraction"] < 0.02 and floor["mean_abs_diff_m"] < 0.01
    # Facing block 2's 10 cm face from block 1: a large part of the ground is in its shadow.
    assert edge["unseen_fraction"] > 0.2


def test_h1_head_lidar_map_reads_the_floor_below_the_pelvis(tmp_path: Path) -> None:
    """The H1's LiDAR hangs upside down in its head: through the node's builder (the config's
    mount, levelled by the IMU) level floor reads pelvis height - 0.5 m, as in training, not
    the -1 clip a wrong mount gave."""
    out = tmp_path / "h1.json"
    proc = run(
        "--robot", "h1", "--scene", "loco_eval_flat", "--pose", "-1", "0", "0", "--out", str(out)
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (floor,) = json.loads(out.read_text())["poses"]
    assert floor["cells"] == 11 * 17 and floor["unseen_fraction"] == 0.0
    assert 0.4 < floor["deployed_mean_m"] < 0.55, floor  # the pelvis stands at ~0.97 m


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    proc = run("--settle-s", "0", "--out", str(tmp_path / "x.json"))
    assert proc.returncode == 2 and "--settle-s" in proc.stderr
    proc = run("--scene", "no_such_scene", "--out", str(tmp_path / "x.json"))
    assert proc.returncode == 2 and "refused" in proc.stderr and "no_such_scene" in proc.stderr
    assert not (tmp_path / "x.json").exists()
