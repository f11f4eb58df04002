"""Smoke test: benchmarks/bench_loco.py runs with a tiny size and writes its JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_loco.py"


def test_bench_loco_smoke(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    proc = subprocess.run(
        [sys.executable, str(BENCH), "--duration", "1", "--iters", "50", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads(out.read_text())
    assert data["policy_inputs"] == 909
    assert set(data["inference_us"]) == {"torchscript", "onnx"}
    assert data["loop"]["steps"] > 10 and data["loop"]["period_error_us"]["n"] > 0
    assert "saved" in proc.stdout
