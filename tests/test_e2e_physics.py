"""End to end with the physics low level: the shipped Go2 policy walks what the planner says.

The whole graph as separate processes (simulator in physics mode, navila_loco running
models/go2_blind on the simulated joints, executor, direct planner). Unlike the kinematic run the
pose depends on how well the policy tracks the commanded velocities, so the tolerances are the
stack's measured precision with margin, not the kinematic 5 cm / 3 degrees.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from navila_bringup.paths import find_config
from navila_bringup.sim_run import run_sim
from navila_bringup.stack import SimStackOptions

pytestmark = pytest.mark.ros

POLICY = Path(__file__).resolve().parents[1] / "models" / "go2_blind"
# Measured on 2 cores with stage 4 of the policy (5 runs): 23-27 cm long of the 1 m (it creeps
# ~5 cm while told to stand and drifts ~14 cm forward turning in place; stage 3 ended 6-9 cm
# short but fell on every step), 7-11 degrees short of the 90. Margins for a loaded CI machine:
TOL_M = 0.4
TOL_DEG = 25.0


def physics_stack(robot: str, policy: Path) -> SimStackOptions:
    """The physics graph with the direct planner, from (-3, 0, 0) in two_rooms, no camera."""
    return SimStackOptions(
        robot=robot,
        config=str(find_config(robot)),
        planner="direct",
        low_level="physics",
        scene="two_rooms",
        start_pose=(-3.0, 0.0, 0.0),
        policy_path=str(policy),
        camera=False,
    )


def test_shipped_policy_walks_a_direct_instruction(ros_domain, tmp_path) -> None:
    result = run_sim(
        physics_stack("go2", POLICY),
        "move forward 1 m, then turn left 90 degrees, then stop",
        timeout_s=90.0,
        out_dir=tmp_path,
        quiet=True,
    )
    assert result.outcome == "stopped", result
    assert all(a["ok"] for a in result.actions)
    x, y, yaw = result.final_pose
    # expected (-2, 0, 90 deg): walked about 1 m forward and turned left about a quarter turn
    assert math.hypot(x - (-2.0), y) < TOL_M, result.final_pose
    assert abs(math.degrees(yaw) - 90.0) < TOL_DEG, result.final_pose


H1_POLICY = Path(__file__).resolve().parents[1] / "models" / "h1_vision"


@pytest.mark.parametrize(("direction", "sign"), [("left", 1.0), ("right", -1.0)])
def test_shipped_h1_policy_turns_from_a_standstill(ros_domain, tmp_path, direction, sign) -> None:
    """NaVILA's "turn ... 90 degrees" straight after the stand-up, through the deployed graph
    (heightmap_node and the loco node on the sim's LiDAR, IMU and /odom). Runs 1-8 turned 23-30
    degrees of the 90 here (their policies only stepped into a turn when noise nudged them); the
    shipped one turned 95 left and 75 right."""
    result = run_sim(
        physics_stack("h1", H1_POLICY),
        f"turn {direction} 90 degrees, then stop",
        timeout_s=90.0,
        out_dir=tmp_path,
        quiet=True,
    )
    assert result.outcome == "stopped", result
    x, y, yaw = result.final_pose
    assert math.hypot(x - (-3.0), y) < 0.3, result.final_pose  # turned on the spot
    assert 55.0 < sign * math.degrees(yaw) < 125.0, result.final_pose
