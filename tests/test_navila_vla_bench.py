"""Smoke test: the planner benchmark runs on the tiny checkpoint and writes its JSON (no timing
assertions; figures are for the benchmark, not the tests)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_vla.py"


def test_bench_vla_runs_small(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    cmd = [
        sys.executable,
        str(BENCH),
        "--steps",
        "3",
        "--warmup",
        "1",
        "--new-tokens",
        "4",
        "--out",
        str(out),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads(out.read_text())
    assert report["device"] == "cpu" and report["dtype"] == "torch.float32"
    cache, no_cache = report["results"]["cache"], report["results"]["no_cache"]
    assert cache["prompt_tokens"] > 8 * 196 and cache["new_tokens"] == 4
    # the cache encodes only the new frame each step; without it every sampled frame is encoded
    assert cache["frames_encoded_mean"] == 1.0
    assert no_cache["frames_encoded_mean"] > cache["frames_encoded_mean"]
    assert all(cache[s + "_ms"]["median"] > 0 for s in ("vision", "prefill", "decode", "total"))
    assert str(out) in proc.stdout


def test_bench_vla_real_sizes_refuse_cpu(tmp_path: Path) -> None:
    cmd = [
        sys.executable,
        str(BENCH),
        "--real-sizes",
        "--device",
        "cpu",
        "--out",
        str(tmp_path / "x.json"),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode != 0 and "needs a GPU" in proc.stdout + proc.stderr
