"""Smoke tests: benchmarks/bench_loco.py runs with tiny sizes and writes its JSON.

The first runs the in-process benchmark only; the second also the `--with-sim` mode, which starts
navila_sim (physics), heightmap_node and navila_loco as real processes on this test's ROS domain
and stops them. Figures are printed by the benchmark, never asserted: only that every part ran.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_loco.py"


def run_bench(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(BENCH), "--iters", "50", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_bench_loco_smoke(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    proc = run_bench("--duration", "1", "--out", str(out))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads(out.read_text())
    assert data["policy_inputs"] == 909
    assert set(data["inference_us"]) == {"torchscript", "onnx"}
    assert data["loop"]["steps"] > 10 and data["loop"]["period_error_us"]["n"] > 0
    assert data["loop"]["command_period_error_us"]["n"] > 0
    assert "with_sim" not in data
    assert "saved" in proc.stdout


def test_bench_loco_times_a_policy_directory(tmp_path: Path) -> None:
    """--policy: the shipped directory's own files on its layout; refused with --with-sim, and
    a path that is not a policy directory is refused with the reason, not a traceback."""
    out = tmp_path / "bench.json"
    shipped = str(Path(__file__).resolve().parents[1] / "models" / "go2_vision")
    proc = run_bench("--duration", "1", "--iters", "50", "--policy", shipped, "--out", str(out))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads(out.read_text())
    assert data["policy_inputs"] == 909 and data["network"].startswith(shipped)
    assert set(data["inference_us"]) == {"torchscript", "onnx"}
    assert data["loop"]["steps"] > 10
    proc = run_bench("--policy", shipped, "--with-sim", "--out", str(out))
    assert proc.returncode == 2
    assert "--policy times a policy directory" in proc.stderr
    for bad in (tmp_path / "missing", tmp_path):  # no such path; a directory with no policy
        proc = run_bench("--policy", str(bad), "--out", str(out))
        assert proc.returncode == 2 and "--policy:" in proc.stderr, proc.stderr
        assert "Traceback" not in proc.stderr


@pytest.mark.ros
def test_bench_loco_with_sim_smoke(tmp_path: Path, ros_domain: int) -> None:
    out = tmp_path / "bench.json"
    proc = run_bench(
        "--duration", "1", "--with-sim", "--domain-id", str(ros_domain), "--out", str(out),
        timeout=240,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    sim = json.loads(out.read_text())["with_sim"]
    assert sim["graph"] == ["navila_sim", "heightmap_node", "navila_loco"]
    # Every node was stopped and reaped. Exit codes are not pinned here: a SIGINT landing while
    # rclpy converts a message can end a node with 1 (node_runner; its own tests cover it).
    assert set(sim["exit_codes"]) == {"navila_sim", "heightmap_node", "navila_loco"}
    assert "walk" in sim["modes_in_window"]
    assert sim["commands"] > 0 and sim["period_error_us"]["n"] == sim["commands"] - 1
    assert set(sim["cpu"]["process_pct_of_one_core"]) >= {"navila_sim", "navila_loco"}
    assert set(sim["inference_us"]) == {"torchscript", "onnx"}
    assert "without sim" in proc.stdout and "with sim" in proc.stdout
    assert (tmp_path / "bench_logs" / "navila_loco.log").is_file()
