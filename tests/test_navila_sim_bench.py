"""Smoke test: the simulation benchmark runs end to end with a tiny size and writes its JSON."""

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_bench_sim_smoke(tmp_path):
    out = tmp_path / "bench.json"
    proc = subprocess.run(
        [
            sys.executable,
            str(REPO / "benchmarks" / "bench_sim.py"),
            "--seconds",
            "0.5",
            "--robots",
            "go2",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(out.read_text())
    assert {r["mode"] for r in result["runs"]} == {"kinematic", "physics"}
    assert all(r["lidar_scans"] >= 7 and r["camera_frames"] >= 2 for r in result["runs"])
