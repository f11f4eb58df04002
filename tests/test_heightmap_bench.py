"""Smoke test: the height-map benchmark runs at a tiny size and writes its JSON (no timing check).

Run as a subprocess: the benchmark pins BLAS/OpenMP threads through the environment, which must
not leak into the test process.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_heightmap.py"


def test_bench_heightmap_runs_small(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    cmd = [sys.executable, str(BENCH), "--sizes", "2000", "--repeat", "3", "--out", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads(out.read_text())
    assert {r["robot"] for r in report["results"]} == {"go2", "h1"}
    go2 = next(r for r in report["results"] if r["robot"] == "go2")
    assert go2["identical"] and go2["identity_affine"] and go2["in_grid"] > 0
    assert all(r["fast"]["p50_ms"] > 0 and r["reference"]["p99_ms"] > 0 for r in report["results"])
    assert str(out.resolve()) in proc.stdout
    # the obstacle guard's clearance: timed where the config enables it (the Go2); the synthetic
    # floor is seen (not null), its boxes stand beyond the corridor and the around radius
    assert go2["clearance"]["p50_ms"] > 0
    assert go2["clearance"]["ahead_m"] == "free" and go2["clearance"]["around_m"] == "free"
    assert "clearance" not in next(r for r in report["results"] if r["robot"] == "h1")
