"""Robot configs load, validate, and map joints by name between policy and motor order."""

from __future__ import annotations

import numpy as np
import pytest

from navila_loco_node.config import load_loco_config
from navila_loco_node.joint_map import index_map, motor_slots, scatter, to_target

from .conftest import CONFIG_DIR, robot_config

GO2_POLICY = [
    "FL_hip_joint", "FR_hip_joint", "RL_hip_joint", "RR_hip_joint",
    "FL_thigh_joint", "FR_thigh_joint", "RL_thigh_joint", "RR_thigh_joint",
    "FL_calf_joint", "FR_calf_joint", "RL_calf_joint", "RR_calf_joint",
]  # fmt: skip


def test_all_robot_configs_load() -> None:
    go2, h1, t1 = robot_config("go2"), robot_config("h1"), robot_config("t1")
    assert list(go2.joints.names) == GO2_POLICY
    assert go2.action_scale == 0.25 and set(go2.joints.kp) == {40.0} and set(go2.joints.kd) == {1.0}
    assert h1.joints.n == 19 and h1.action_scale == 0.5
    assert t1.control_mode == "velocity" and t1.backend == "booster_loco"
    assert t1.joints.n == 23 and {"Waist", "Left_Knee_Pitch"} <= set(t1.joints.names)


def test_go2_default_pose_matches_navila() -> None:
    cfg = robot_config("go2")
    pose = dict(zip(cfg.joints.names, cfg.joints.default_pos, strict=True))
    assert pose["FL_hip_joint"] == 0.1 and pose["FR_hip_joint"] == -0.1  # left +
    assert pose["FL_thigh_joint"] == 0.8 and pose["RR_thigh_joint"] == 1.0
    assert all(pose[f"{leg}_calf_joint"] == -1.5 for leg in ("FL", "FR", "RL", "RR"))


def test_h1_gains_by_joint_name() -> None:
    cfg = robot_config("h1")
    kp = dict(zip(cfg.joints.names, cfg.joints.kp, strict=True))
    kd = dict(zip(cfg.joints.names, cfg.joints.kd, strict=True))
    assert (kp["left_hip_yaw_joint"], kd["left_hip_yaw_joint"]) == (150.0, 5.0)
    assert (kp["right_knee_joint"], kp["torso_joint"]) == (200.0, 200.0)
    assert (kp["left_ankle_joint"], kd["left_ankle_joint"]) == (20.0, 4.0)
    assert (kp["right_elbow_joint"], kd["right_elbow_joint"]) == (40.0, 10.0)
    modes = dict(zip(cfg.joints.names, cfg.unitree.motor_mode, strict=True))
    assert modes["left_knee_joint"] == 0x0A and modes["left_ankle_joint"] == 0x01


def test_go2_motor_slots_sdk_order() -> None:
    cfg = robot_config("go2")
    slots = motor_slots(cfg.joints.names, cfg.unitree.motor_names)
    # SDK: FR(0-2), FL(3-5), RR(6-8), RL(9-11) x hip, thigh, calf.
    assert slots.tolist() == [3, 0, 9, 6, 4, 1, 10, 7, 5, 2, 11, 8]
    # A policy action for FR_calf (policy index 9) lands on SDK motor 2.
    action = np.zeros(12)
    action[GO2_POLICY.index("FR_calf_joint")] = 1.0
    motors = scatter(action, slots, 20)
    assert motors[2] == 1.0 and motors.sum() == 1.0


def test_h1_idle_slot_and_mapping() -> None:
    cfg = robot_config("h1")
    slots = motor_slots(cfg.joints.names, cfg.unitree.motor_names)
    assert 9 not in slots.tolist() and len(set(slots.tolist())) == 19
    named = dict(zip(cfg.joints.names, slots.tolist(), strict=True))
    assert named["right_hip_roll_joint"] == 0 and named["left_hip_yaw_joint"] == 7
    assert named["torso_joint"] == 6 and named["left_elbow_joint"] == 19


def test_index_map_roundtrip_and_errors() -> None:
    src = ["c", "a", "b", "extra"]
    idx = index_map(src, ["a", "b", "c"])
    assert to_target(np.array([3.0, 1.0, 2.0, 9.0]), idx).tolist() == [1.0, 2.0, 3.0]
    with pytest.raises(ValueError, match="not found"):
        index_map(["a"], ["a", "b"])
    with pytest.raises(ValueError, match="duplicate"):
        index_map(["a", "a"], ["a"])
    with pytest.raises(ValueError, match="policy does not have"):
        motor_slots(["a"], ["a", "typo"])


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"joints.kp": [40.0] * 11}, "joints.kp has 11 values"),
        ({"control_mode": "dance"}, "control_mode"),
        ({"backend.name": "magic"}, "backend.name"),
        ({"command.vx_range": [1.0, 0.0]}, "min <= max"),
        ({"observation.scales": [1.0]}, "one value per observation term"),
        ({"joints.default_pos": [9.0] + [0.0] * 11}, "outside limits"),
        ({"safety.state_timeout_s": float("nan")}, "finite"),
        ({"unknown.key": 1}, "unknown navila_loco parameters"),
        ({"observation.imu_yaw_joint": "torso_joint"}, "imu_yaw_joint 'torso_joint' is not in"),
        ({"topics.imu_out": "/imu/data"}, "read back what it publishes"),
    ],
)
def test_bad_configs_are_refused(overrides: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        load_loco_config(CONFIG_DIR / "go2.yaml", **overrides)
