"""End to end in the embedded simulator: the whole graph as separate processes, one instruction.

Kinematic low level (the paper's oracle low level): the base follows /cmd_vel exactly, so the
final pose checks the planner -> executor -> simulator chain, not a locomotion policy.
"""

from __future__ import annotations

import math

import pytest
from mcap.reader import make_reader

from navila_bringup.paths import find_config
from navila_bringup.sim_run import run_sim
from navila_bringup.stack import SimStackOptions

pytestmark = pytest.mark.ros


def test_direct_planner_kinematic_reaches_the_commanded_pose(ros_domain, tmp_path) -> None:
    opts = SimStackOptions(
        robot="go2",
        config=str(find_config("go2")),
        planner="direct",
        low_level="kinematic",
        scene="two_rooms",
        start_pose=(-3.0, 0.0, 0.0),
    )
    result = run_sim(
        opts,
        "move forward 1 m, then turn left 90 degrees, then stop",
        timeout_s=60.0,
        out_dir=tmp_path,
        quiet=True,
    )
    assert result.outcome == "stopped", result
    x, y, yaw = result.final_pose
    assert math.hypot(x - (-2.0), y - 0.0) < 0.05, result.final_pose  # within 5 cm
    assert abs(math.degrees(yaw) - 90.0) < 3.0, result.final_pose  # within 3 degrees
    assert result.planner_outputs[-1] == "The next action is stop."
    assert all(a["ok"] for a in result.actions)
    # the recording holds the plan and the motion, readable by a generic MCAP reader
    with open(tmp_path / "run.mcap", "rb") as fh:
        topics = {ch.topic for _, ch, _ in make_reader(fh).iter_messages()}
    assert {"/cmd_vel", "/odom", "/navila/vla/output", "/navila/action"} <= topics
