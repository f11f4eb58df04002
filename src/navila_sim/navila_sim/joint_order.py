"""Joint orders of the robots (tables only; the mapping lives in navila_loco_node.joint_map).

Three orders meet in this stack and must never be confused:

* the vendor SDK motor order (the index into Unitree's LowCmd_/LowState_ motor arrays): the Go2
  goes leg by leg FR, FL, RR, RL, each hip, thigh, calf (slots 0-11); the original H1 uses
  `unitree_go` messages with its own slot table (slot 9 unused, '' here);
* the policy order: Isaac Lab's articulation order, breadth-first over the kinematic tree (for
  the Go2 all hips, then all thighs, then all calves; FL, FR, RL, RR inside each level), which is
  the order of a legged-loco / NaVILA policy's joint observations and actions;
* the order a model or a JointState message happens to list (MuJoCo: depth-first over the MJCF).

Values move between orders by *name* only, through ONE implementation shared with the deploy
side: `navila_loco_node.joint_map` (`index_map`, `motor_slots`, `to_target`, `scatter`). The sim
depends on the locomotion package, never the other way round (the robot does not ship the
simulator). This module imports neither MuJoCo nor rclpy.
"""

from __future__ import annotations

GO2_SDK_ORDER: tuple[str, ...] = tuple(
    f"{leg}_{part}_joint" for leg in ("FR", "FL", "RR", "RL") for part in ("hip", "thigh", "calf")
)
"""Unitree SDK motor slots 0-11 of the Go2 (LowCmd_.motor_cmd[i])."""

GO2_POLICY_ORDER: tuple[str, ...] = tuple(
    f"{leg}_{part}_joint" for part in ("hip", "thigh", "calf") for leg in ("FL", "FR", "RL", "RR")
)
"""Isaac Lab articulation order of the Go2 (legged-loco / NaVILA policy inputs and outputs)."""

H1_SDK_ORDER: tuple[str, ...] = (
    "right_hip_roll_joint",
    "right_hip_pitch_joint",
    "right_knee_joint",
    "left_hip_roll_joint",
    "left_hip_pitch_joint",
    "left_knee_joint",
    "torso_joint",
    "left_hip_yaw_joint",
    "right_hip_yaw_joint",
    "",  # slot 9 is not used on the H1
    "left_ankle_joint",
    "right_ankle_joint",
    "right_shoulder_pitch_joint",
    "right_shoulder_roll_joint",
    "right_shoulder_yaw_joint",
    "right_elbow_joint",
    "left_shoulder_pitch_joint",
    "left_shoulder_roll_joint",
    "left_shoulder_yaw_joint",
    "left_elbow_joint",
)
"""Unitree SDK motor slots 0-19 of the original H1 (unitree_go LowCmd_, '' = idle slot)."""

H1_POLICY_ORDER: tuple[str, ...] = (
    "left_hip_yaw_joint",
    "right_hip_yaw_joint",
    "torso_joint",
    "left_hip_roll_joint",
    "right_hip_roll_joint",
    "left_shoulder_pitch_joint",
    "right_shoulder_pitch_joint",
    "left_hip_pitch_joint",
    "right_hip_pitch_joint",
    "left_shoulder_roll_joint",
    "right_shoulder_roll_joint",
    "left_knee_joint",
    "right_knee_joint",
    "left_shoulder_yaw_joint",
    "right_shoulder_yaw_joint",
    "left_ankle_joint",
    "right_ankle_joint",
    "left_elbow_joint",
    "right_elbow_joint",
)
"""Isaac Lab articulation order of the H1 (breadth-first over the tree, 19 joints)."""

SDK_ORDERS: dict[str, tuple[str, ...]] = {"go2": GO2_SDK_ORDER, "h1": H1_SDK_ORDER}
POLICY_ORDERS: dict[str, tuple[str, ...]] = {"go2": GO2_POLICY_ORDER, "h1": H1_POLICY_ORDER}
