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
