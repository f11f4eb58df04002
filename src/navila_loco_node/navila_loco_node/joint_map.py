"""Joint order mapping by NAME, never by position.

Isaac Lab orders a Go2's joints breadth-first (all hips, all thighs, all calves), Unitree's SDK
motor slots go leg by leg (FR, FL, RR, RL), ROS JointState messages may come in any order. One
generic, tested function maps between any two of them so a policy's action lands on the motor it
was trained for.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def index_map(source: Sequence[str], target: Sequence[str]) -> np.ndarray:
    """Indices `idx` such that `values_in_target_order = values_in_source_order[idx]`.

    Every target name must occur exactly once in `source` (extra source names are allowed: a
    JointState may carry more joints than the policy uses). Raises ValueError naming the culprit.
    """
    if len(set(target)) != len(target):
        dup = sorted({n for n in target if list(target).count(n) > 1})
        raise ValueError(f"duplicate joint names in target order: {dup}")
    positions: dict[str, int] = {}
    for i, name in enumerate(source):
        if name in positions and name:
            raise ValueError(f"duplicate joint name {name!r} in source order")
        positions[name] = i
    missing = [n for n in target if n not in positions]
    if missing:
        raise ValueError(f"joints {missing} not found among {list(source)}")
    return np.array([positions[n] for n in target], dtype=np.int64)


def motor_slots(policy_names: Sequence[str], motor_names: Sequence[str]) -> np.ndarray:
    """SDK motor slot of each policy joint. '' in motor_names marks an idle slot.

    Every policy joint must have exactly one slot and every named slot must be a policy joint,
    so a typo in the config cannot leave a motor uncommanded or command the wrong one.
    """
    named = [n for n in motor_names if n]
    extra = sorted(set(named) - set(policy_names))
    if extra:
        raise ValueError(f"motor slots name joints the policy does not have: {extra}")
    return index_map(motor_names, policy_names)


def to_target(values: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Reorder source-order values into target order."""
    return np.asarray(values)[idx]


def scatter(values: np.ndarray, idx: np.ndarray, size: int, fill: float = 0.0) -> np.ndarray:
    """Inverse of to_target: place target-order values back at their source positions."""
    out = np.full(size, fill, dtype=float)
    out[idx] = values
    return out
