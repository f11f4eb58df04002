"""Each robot's config is consistent across nodes: what the executor may send, the locomotion
node can execute (an action it would clamp to nothing must be refused by the parser instead)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from instruction_parser import load_executor_config

CONFIG = Path(__file__).resolve().parents[1] / "config"
ROBOTS = sorted(p.stem for p in CONFIG.glob("*.yaml"))


@pytest.mark.parametrize("robot", ROBOTS)
def test_executor_commands_fit_the_locomotion_command_ranges(robot: str) -> None:
    path = CONFIG / f"{robot}.yaml"
    executor = load_executor_config(str(path))
    loco = yaml.safe_load(path.read_text())["navila_loco"]["ros__parameters"]["command"]
    (vx_lo, vx_hi), (vy_lo, vy_hi), (wz_lo, wz_hi) = (
        loco["vx_range"],
        loco["vy_range"],
        loco["wz_range"],
    )
    allowed = set(executor.parser.allowed_actions)
    m = executor.motion
    assert {"forward", "turn_left", "turn_right", "stop"} <= allowed
    assert (
        m.forward_speed <= vx_hi
        and min(m.max_linear_speed, m.forward_speed * executor.parser.fast_scale) <= vx_hi
    )
    assert m.turn_rate <= min(-wz_lo, wz_hi)
    assert min(m.max_turn_rate, m.turn_rate * executor.parser.fast_scale) <= min(-wz_lo, wz_hi)
    if "backward" in allowed:
        assert -m.backward_speed >= vx_lo, f"{robot}: backward speed outside vx_range"
    if allowed & {"left", "right"}:
        assert m.lateral_speed <= min(-vy_lo, vy_hi), f"{robot}: sideways speed outside vy_range"


def _guard_mode(robot: str) -> str:
    loco = yaml.safe_load((CONFIG / f"{robot}.yaml").read_text())["navila_loco"]["ros__parameters"]
    return str(loco.get("safety", {}).get("obstacle_guard", "never"))


GUARDED = [r for r in ROBOTS if _guard_mode(r) != "never"]


def test_the_go2_walks_with_the_obstacle_guard() -> None:
    assert GUARDED == ["go2"]  # the H1 and T1 have no tuned clearance corridor yet


@pytest.mark.parametrize("robot", GUARDED)
def test_an_obstacle_guard_has_its_clearance_and_stops_before_the_nose(robot: str) -> None:
    """A config whose locomotion node may turn the guard on must have heightmap_node publish
    the clearance on the topic the guard reads (else the robot never walks forward), and the
    guard's stop distance must lie beyond where the clearance starts looking (past the nose)."""
    from heightmap_node.config import clearance_config_from_params, load_params_file
    from navila_loco_node.config import load_loco_config

    path = CONFIG / f"{robot}.yaml"
    loco = load_loco_config(path)
    hm = load_params_file(path)
    clearance = clearance_config_from_params(hm)
    assert clearance.enabled, f"{robot}: obstacle_guard {loco.safety.obstacle.mode}, no clearance"
    assert hm.get("topics.clearance", "/navila/clearance") == loco.topics["clearance"]
    assert clearance.x_min < loco.safety.obstacle.stop_m < clearance.x_max
    assert loco.safety.obstacle.slow_m <= clearance.x_max


@pytest.mark.parametrize("robot", ROBOTS)
def test_a_policy_reading_base_lin_vel_gets_one_on_the_real_robot(robot: str) -> None:
    """A layout with base_lin_vel (the H1's) on an SDK backend (whose low-level state has no
    base velocity) must estimate it (leg_odometry) on the robot, else `navila robot` would
    leave the robot PASSIVE; the estimate's model and feet must exist (built here)."""
    from navila_bringup.stack import robot_stack
    from navila_loco_node.config import load_loco_config
    from navila_loco_node.leg_odometry import LegOdometry

    path = CONFIG / f"{robot}.yaml"
    spec = next(s for s in robot_stack(robot, str(path)) if s.name == "navila_loco")
    loco = load_loco_config(path, **spec.params)  # as `navila robot` starts the node
    if loco.control_mode != "joint_policy" or "base_lin_vel" not in loco.observation.terms:
        assert not loco.leg_odometry.enabled, f"{robot}: nothing reads the estimate"
        return
    assert loco.backend != "ros_topics"  # the robot's own SDK: no odometry topic
    assert loco.leg_odometry.enabled, f"{robot}: no base velocity on the robot"
    odo = LegOdometry(loco.leg_odometry, loco.joints.names)
    assert len(odo.stance) == 2  # a humanoid's two feet
    assert not load_loco_config(path).leg_odometry.enabled  # the simulators publish /odom
