"""Smoke test: benchmarks/probe_stumbles.py runs the shipped blind policy on a small terrain (a
config that extends the shipped finetune config) and writes its JSON; bad input is refused."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import yaml


def test_probe_counts_stumbles_per_terrain_type(
    tmp_path: Path, run_probe: Callable[..., subprocess.CompletedProcess[str]]
) -> None:
    cfg = tmp_path / "small.yaml"
    cfg.write_text(
        yaml.safe_dump(
            {
                "extends": "go2_blind_finetune",
                "terrain": {"types": ["flat", "steps_up"], "levels": 2, "tile_m": 4.0},
            }
        )
    )
    out = tmp_path / "probe.json"
    base = ("probe_stumbles.py", "--config", str(cfg), "--out", str(out))
    proc = run_probe(*base, "--level", "1", "--envs", "4", "--seconds", "1")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads(out.read_text())
    assert set(data["types"]) == {"flat", "steps_up"} and data["stumble_ratio"] == 2.0
    for row in data["types"].values():
        assert row["foot_contacts"] > 0  # 2 robots x 50 steps on their feet
        assert 0.0 <= row["stumble_step_share"] <= 1.0
        assert row["ratio_p50"] < 1.25  # standing and walking feet push mostly down
    assert "saved" in proc.stdout
    proc = run_probe(*base, "--level", "5")
    assert proc.returncode == 2 and "--level must be in [0, 1]" in proc.stderr
    for bad, match in (
        (("--envs", "0"), "--envs must be >= 1"),
        (("--seconds", "-1"), "--seconds must be > 0"),
    ):
        proc = run_probe(*base, *bad)
        assert proc.returncode == 2 and match in proc.stderr
    # a vision policy on the blind layout: refused before any step
    proc = run_probe(*base, "--level", "1", policy="go2_vision")
    assert proc.returncode == 2
    assert "takes 909 inputs" in proc.stderr and "builds 450" in proc.stderr
