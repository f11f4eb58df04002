"""The sim's robot models and the locomotion node's robot configs name the same joints.

One name per joint across the stack (the vendor's: Unitree's `FR_hip_joint` / `left_knee_joint`,
Booster's URDF `Left_Hip_Pitch`): a mismatch would make every /joint_states message unusable to
the locomotion node. Also the Unitree SDK slot tables agree with the configs' motor_names.
"""

from pathlib import Path

import pytest

from navila_loco_node.config import load_loco_config
from navila_sim.joint_order import SDK_ORDERS
from navila_sim.robot import load_robot, robot_names

CONFIG = Path(__file__).resolve().parents[3] / "config"


@pytest.mark.parametrize("robot", robot_names())
def test_model_joint_names_equal_loco_config_joint_names(robot):
    loco = load_loco_config(CONFIG / f"{robot}.yaml")
    model = load_robot(robot)
    assert set(model.joint_names) == set(loco.joints.names), sorted(
        set(model.joint_names) ^ set(loco.joints.names)
    )
    assert len(loco.joints.names) == len(model.joint_names)


@pytest.mark.parametrize("robot", sorted(SDK_ORDERS))
def test_sdk_slot_tables_equal_loco_motor_names(robot):
    loco = load_loco_config(CONFIG / f"{robot}.yaml")
    assert load_robot(robot).sdk_order == robot
    assert list(SDK_ORDERS[robot]) == list(loco.unitree.motor_names)


@pytest.mark.parametrize("robot", robot_names())
def test_loco_joint_limits_lie_within_the_models(robot):
    """navila_loco's pos_min / pos_max (its joint-limit supervisor, training's limit penalty) may
    be tighter than the model's range (config/h1.yaml keeps the hip pitch at +-1.57 of
    -3.14..2.53), never wider: a wider one was the right shoulder yaw of the H1 copied from the
    left (-1.3..4.45 for the vendor's -4.45..1.3), which damped a right arm in its own range."""
    import mujoco

    loco = load_loco_config(CONFIG / f"{robot}.yaml")
    if not loco.joints.pos_min:  # the T1 walks on Booster's own controller: no joint targets
        assert loco.control_mode == "velocity" and not loco.joints.pos_max
        return
    m = mujoco.MjModel.from_xml_path(str(load_robot(robot).mjcf_path))
    wider = []
    limits = zip(loco.joints.names, loco.joints.pos_min, loco.joints.pos_max, strict=True)
    for name, lo, hi in limits:
        j = mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_JOINT, name)
        r_lo, r_hi = m.jnt_range[j]
        if m.jnt_limited[j] and (lo < r_lo - 1e-6 or hi > r_hi + 1e-6):
            wider.append((name, (lo, hi), (float(r_lo), float(r_hi))))
    assert not wider
