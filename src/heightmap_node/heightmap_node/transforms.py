"""Small rigid-transform helpers (4x4 homogeneous matrices, float64) for the height-map core.

Kept separate and dependency-free so the builder, the node and the tests agree on one convention:
quaternions are (w, x, y, z), angles are radians, ``T_a_b`` maps points from frame b into frame a.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np


def quat_to_matrix(wxyz: Sequence[float]) -> np.ndarray:
    """3x3 rotation of a (w, x, y, z) quaternion; it is normalised, a zero one is an error."""
    w, x, y, z = (float(v) for v in wxyz)
    n = math.sqrt(w * w + x * x + y * y + z * z)
    if not math.isfinite(n) or n < 1e-9:
        raise ValueError(f"invalid quaternion (w, x, y, z) = {tuple(wxyz)}")
    w, x, y, z = w / n, x / n, y / n, z / n
    return np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
            [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
            [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)],
        ]
    )


def rpy_to_matrix(roll: float, pitch: float, yaw: float) -> np.ndarray:
    """R = Rz(yaw) @ Ry(pitch) @ Rx(roll) (the ROS / REP 103 fixed-axis convention)."""
    cr, sr = math.cos(roll), math.sin(roll)
    cp, sp = math.cos(pitch), math.sin(pitch)
    cy, sy = math.cos(yaw), math.sin(yaw)
    rx = np.array([[1, 0, 0], [0, cr, -sr], [0, sr, cr]])
    ry = np.array([[cp, 0, sp], [0, 1, 0], [-sp, 0, cp]])
    rz = np.array([[cy, -sy, 0], [sy, cy, 0], [0, 0, 1]])
    return rz @ ry @ rx


def matrix_to_rpy(rot: np.ndarray) -> tuple[float, float, float]:
    """Inverse of :func:`rpy_to_matrix` (pitch in [-pi/2, pi/2])."""
    pitch = math.asin(max(-1.0, min(1.0, -float(rot[2, 0]))))
    roll = math.atan2(float(rot[2, 1]), float(rot[2, 2]))
    yaw = math.atan2(float(rot[1, 0]), float(rot[0, 0]))
    return roll, pitch, yaw


def attitude_from_quat(wxyz: Sequence[float]) -> tuple[float, float]:
    """(roll, pitch) of an IMU orientation (w, x, y, z): what levelling a scan needs; the yaw
    is the odometry's business, not the IMU's."""
    roll, pitch, _ = matrix_to_rpy(quat_to_matrix(wxyz))
    return roll, pitch


def make_transform(
    translation: Sequence[float] = (0.0, 0.0, 0.0), rotation: np.ndarray | None = None
) -> np.ndarray:
    t = np.eye(4)
    if rotation is not None:
        t[:3, :3] = rotation
    t[:3, 3] = [float(v) for v in translation]
    return t


def pose_transform(translation: Sequence[float], wxyz: Sequence[float]) -> np.ndarray:
    if len(translation) != 3 or len(wxyz) != 4:
        raise ValueError("a pose needs a 3-vector translation and a (w, x, y, z) quaternion")
    if not all(math.isfinite(float(v)) for v in translation):
        raise ValueError(f"non-finite translation {tuple(translation)}")
    return make_transform(translation, quat_to_matrix(wxyz))


def planar_transform(x: float, y: float, yaw: float) -> np.ndarray:
    return make_transform((x, y, 0.0), rpy_to_matrix(0.0, 0.0, yaw))


def planar_part(pose: np.ndarray) -> np.ndarray:
    """The (x, y, yaw) part of a 3D pose, as a planar 4x4 transform (drops z, roll, pitch)."""
    yaw = math.atan2(float(pose[1, 0]), float(pose[0, 0]))
    return planar_transform(float(pose[0, 3]), float(pose[1, 3]), yaw)


def invert(t: np.ndarray) -> np.ndarray:
    inv = np.eye(4)
    inv[:3, :3] = t[:3, :3].T
    inv[:3, 3] = -t[:3, :3].T @ t[:3, 3]
    return inv


def level_matrix(roll: float, pitch: float) -> np.ndarray:
    """Maps base-frame vectors into the yaw-only (gravity-aligned) frame: Ry(pitch) @ Rx(roll)."""
    return make_transform(rotation=rpy_to_matrix(roll, pitch, 0.0))
