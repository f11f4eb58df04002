"""Joint orders of the robots, and the one tested mapping between any two of them.

Three orders meet in this stack and must never be confused:

* the vendor SDK motor order (the index into Unitree's LowCmd_/LowState_ motor arrays): the Go2
  goes leg by leg FR, FL, RR, RL, each hip, thigh, calf (slots 0-11); the original H1 uses
  `unitree_go` messages with its own slot table (slot 9 unused);
* the policy order: Isaac Lab's articulation order, breadth-first over the kinematic tree (for
  the Go2 all hips, then all thighs, then all calves; FL, FR, RL, RR inside each level), which is
  the order of a legged-loco / NaVILA policy's joint observations and actions;
* the order a model or a JointState message happens to list (MuJoCo: depth-first over the MJCF).

Mapping by *name* through `index_map` is the only way values move between orders. This module
imports neither MuJoCo nor rclpy, so the locomotion node and the real-robot backends can reuse it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

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


def index_map(source: Sequence[str], target: Sequence[str]) -> np.ndarray:
    """Indices `idx` with `values_in_target_order = values_in_source_order[idx]`.

    Every non-empty target name must occur exactly once in `source`; extra source names are
    allowed (a JointState may carry more joints than a policy uses). An empty target name ('' =
    an idle SDK slot) maps to -1, which `reorder` fills with a constant. Raises ValueError naming
    the culprit, so a config typo stops start-up instead of driving the wrong motor.
    """
    named = [n for n in target if n]
    if len(set(named)) != len(named):
        dups = sorted({n for n in named if named.count(n) > 1})
        raise ValueError(f"duplicate joint names in target order: {dups}")
    positions: dict[str, int] = {}
    for i, name in enumerate(source):
        if not name:
            continue
        if name in positions:
            raise ValueError(f"duplicate joint name {name!r} in source order")
        positions[name] = i
    missing = [n for n in named if n not in positions]
    if missing:
        raise ValueError(f"joints {missing} not found among {list(source)}")
    return np.array([positions[n] if n else -1 for n in target], dtype=np.int64)


def reorder(values: Sequence[float] | np.ndarray, idx: np.ndarray, fill: float = 0.0) -> np.ndarray:
    """Values in source order -> target order (`idx` from `index_map`); idle slots get `fill`."""
    arr = np.asarray(values, dtype=np.float64)
    out = np.full(len(idx), fill, dtype=np.float64)
    used = idx >= 0
    out[used] = arr[idx[used]]
    return out


def scatter(
    values: Sequence[float] | np.ndarray, idx: np.ndarray, size: int, fill: float = 0.0
) -> np.ndarray:
    """Inverse of `reorder`: target-order values back to their source positions."""
    arr = np.asarray(values, dtype=np.float64)
    out = np.full(size, fill, dtype=np.float64)
    used = idx >= 0
    out[idx[used]] = arr[used]
    return out
