"""Smoke test: benchmarks/bench_stack.py brings the kinematic `navila sim` graph up on this test's
ROS domain, runs one instruction and a short real-time window, stops every node and writes its
JSON. Figures are printed by the benchmark, never asserted: only that each one was measured.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_stack.py"

pytestmark = pytest.mark.ros


def finite(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def test_bench_stack_kinematic_smoke(tmp_path: Path, ros_domain: int) -> None:
    out = tmp_path / "bench.json"
    proc = subprocess.run(
        [sys.executable, str(BENCH), "--repeats", "1", "--seconds", "3", "--settle", "0.5",
         "--domain-id", str(ros_domain), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads(out.read_text())
    assert data["low_level"] == "kinematic" and data["planner"] == "direct"
    assert data["graph"] == ["navila_sim", "navila_executor", "navila_vla"]
    assert set(data["startup_s"]) == set(data["graph"])

    lat = data["latency"]
    (episode,) = lat["episodes"]
    assert episode["outcome"] == "stopped", episode
    assert episode["first_output"] == "The next action is move forward 1 m."
    for key in ("planner_output_s", "cmd_vel_s", "odom_motion_s"):
        assert finite(episode[key]), (key, episode)
        assert lat[key]["n"] == 1 and finite(lat[key]["p50"]) and finite(lat[key]["max"]), key
    # The timed episode really drove the base: 1 m along its heading, then 90 degrees left. Loose
    # bounds: pose accuracy is test_e2e_sim's subject; here it only shows what was timed moved.
    x0, y0, yaw0 = episode["start_pose"]
    x, y, yaw = episode["end_pose"]
    heading = math.radians(yaw0)
    assert math.hypot(x - x0 - math.cos(heading), y - y0 - math.sin(heading)) < 0.2, episode
    assert abs((yaw - yaw0 - 90.0 + 180.0) % 360.0 - 180.0) < 10.0, episode
    assert lat["warmup_episodes"] and lat["warmup_episodes"][-1]["odom_motion_s"] is not None

    rt = data["real_time"]
    for key in ("wall_s", "rtf_clock", "rtf_odom_stamps", "sim_seconds"):
        assert finite(rt[key]) and rt[key] > 0, (key, rt)
    assert rt["clock_messages"] > 1
    assert set(rt["cpu"]["process_pct_of_one_core"]) >= set(data["graph"])
    assert set(data["exit_codes"]) == set(data["graph"])  # every node stopped and reaped
    assert "real-time factor" in proc.stdout and "saved" in proc.stdout
    assert (tmp_path / "bench_logs" / "navila_sim.log").is_file()
