"""Data passed between the loop, the supervisor and the backends (no rclpy, no vendor SDK).

Every array is in POLICY joint order: backends translate from and to their own order (ROS
JointState names, SDK motor slots) at the edge, through `joint_map`, so nothing in the middle can
mix up a front-right calf with a rear-left hip.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class RobotState:
    """The newest measurement. Stamps are time.monotonic() seconds at arrival."""

    joint_pos: np.ndarray
    joint_vel: np.ndarray
    quat_wxyz: np.ndarray  # base orientation (IMU), world <- body
    ang_vel: np.ndarray  # base angular velocity, body frame (rad/s)
    joint_stamp: float
    imu_stamp: float
    lin_vel: np.ndarray = field(default_factory=lambda: np.zeros(3))  # body frame, if known
    lin_vel_stamp: float | None = None
    seq: int = 0  # increments with every new joint-state message (latency measurements)


@dataclass
class JointCommand:
    """PD targets per joint (policy order): tau = kp (q - q_meas) + kd (dq - dq_meas) + tau_ff."""

    q: np.ndarray
    dq: np.ndarray
    kp: np.ndarray
    kd: np.ndarray
    tau: np.ndarray
    mode: str  # the supervisor state that produced it: passive, stand_up, walk, damp
    state_seq: int = 0  # seq of the RobotState it was computed from

    @staticmethod
    def damping(n: int, kd: float, q: np.ndarray | None = None, mode: str = "damp") -> JointCommand:
        """kp = 0, kd > 0: joints resist motion but hold no pose (the safe 'go limp slowly')."""
        return JointCommand(
            q=np.zeros(n) if q is None else np.array(q, dtype=float),
            dq=np.zeros(n),
            kp=np.zeros(n),
            kd=np.full(n, float(kd)),
            tau=np.zeros(n),
            mode=mode,
        )

    def joint_state_fields(self) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]:
        """(position, velocity, effort) of the sensor_msgs/JointState that carries this command
        on /joint_command (Isaac Sim's articulation-controller convention, which navila_sim's
        `apply_joint_state_command` reads too): targets and velocities for a PD mode, velocities
        only (zero) for damping, efforts only (zero) for passive; None = the field left empty."""
        n = len(self.q)
        if self.mode in ("stand_up", "walk"):
            return np.asarray(self.q, dtype=float), np.asarray(self.dq, dtype=float), None
        if self.mode == "damp":
            return None, np.zeros(n), None
        return None, None, np.zeros(n)  # passive: zero torque


@dataclass(frozen=True)
class VelocityCommand:
    vx: float
    vy: float
    wz: float
    stamp: float  # time.monotonic() at arrival
