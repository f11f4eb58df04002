"""Unitree low-level message logic for the simulated robot (no SDK, no DDS, no MuJoCo here).

The simulated Go2 / H1 speaks `unitree_go` LowState_ / LowCmd_ (20 motor slots) like the real
robot and like Unitree's unitree_mujoco. This module holds what that needs besides the transport,
so it is unit-tested without a network: which model joint sits in which SDK slot, how a LowCmd_'s
per-slot fields become per-joint PD drive for the sim, and how the sim's state fills the slots.

Command rules (the robot firmware's, as far as the SDK documents them):
* a motor in mode 0 is off: no stiffness, no damping, no torque;
* q = 2.146e9 (PosStopF) switches the position term off (kp ignored), dq = 16000 (VelStopF) the
  velocity term (kd ignored);
* slots that no joint uses (Go2 12-19, H1 slot 9) are ignored whatever they carry;
* a non-finite value or a negative gain in a used slot rejects the WHOLE command (the previous
  drive stays), so one corrupt field never drives a motor on a guess. CRC checking is the
  transport's job (it needs the SDK's packer) and happens before this.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# The message constants come from the deploy side's backend (one definition for both ends).
from navila_loco_node.backends.unitree import NUM_SLOTS, POS_STOP, VEL_STOP
from navila_loco_node.joint_map import motor_slots, scatter, to_target
from navila_sim.joint_order import SDK_ORDERS

__all__ = [
    "NUM_SLOTS",
    "POS_STOP",
    "VEL_STOP",
    "JointDrive",
    "SlotCommand",
    "decode_command",
    "sdk_slots",
    "slot_values",
]
_POS_STOP_MIN = 0.99 * POS_STOP  # the SDK sends exactly these floats; accept float32 rounding
_VEL_STOP_MIN = 0.99 * VEL_STOP


def sdk_slots(robot_sdk_order: str, joint_names: Sequence[str]) -> np.ndarray:
    """SDK slot of each model joint (in the model's joint order), by name.

    Raises ValueError when the robot has no Unitree slot table (the T1 is a Booster robot) or
    when table and model disagree, so a mismatch stops the bridge at start-up.
    """
    table = SDK_ORDERS.get(robot_sdk_order)
    if table is None:
        raise ValueError(
            f"robot has no Unitree SDK motor order ({robot_sdk_order!r}); "
            f"the Unitree DDS mode supports {sorted(SDK_ORDERS)}"
        )
    if len(table) > NUM_SLOTS:
        raise ValueError(f"SDK order has {len(table)} slots, unitree_go has {NUM_SLOTS}")
    padded = list(table) + [""] * (NUM_SLOTS - len(table))
    return motor_slots(list(joint_names), padded)


@dataclass
class SlotCommand:
    """One LowCmd_'s motor fields, per SDK slot (arrays of NUM_SLOTS)."""

    mode: np.ndarray
    q: np.ndarray
    dq: np.ndarray
    kp: np.ndarray
    kd: np.ndarray
    tau: np.ndarray


@dataclass
class JointDrive:
    """PD drive per model joint: tau = kp (q - q_meas) + kd (dq - dq_meas) + tau_ff."""

    q: np.ndarray
    dq: np.ndarray
    kp: np.ndarray
    kd: np.ndarray
    tau: np.ndarray
    off: np.ndarray  # bool: motor in mode 0


def decode_command(cmd: SlotCommand, slots: np.ndarray, q_now: np.ndarray) -> JointDrive:
    """Per-slot LowCmd_ fields -> per-joint drive (model order). Raises ValueError (command
    rejected) on a non-finite value or a negative gain in a used slot."""
    f = {
        name: to_target(np.asarray(getattr(cmd, name), dtype=np.float64), slots)
        for name in ("mode", "q", "dq", "kp", "kd", "tau")
    }
    for name in ("q", "dq", "kp", "kd", "tau"):
        if not np.all(np.isfinite(f[name])):
            raise ValueError(f"LowCmd_ has a non-finite {name} in a used motor slot")
    off = f["mode"] == 0
    pos_off = np.abs(f["q"]) >= _POS_STOP_MIN
    vel_off = np.abs(f["dq"]) >= _VEL_STOP_MIN
    if np.any(f["kp"] < 0) or np.any(f["kd"] < 0):
        raise ValueError("LowCmd_ has a negative kp or kd in a used motor slot")
    q_now = np.asarray(q_now, dtype=np.float64)
    inactive_q = off | pos_off
    inactive_dq = off | vel_off
    return JointDrive(
        q=np.where(inactive_q, q_now, f["q"]),
        dq=np.where(inactive_dq, 0.0, f["dq"]),
        kp=np.where(inactive_q, 0.0, f["kp"]),
        kd=np.where(inactive_dq, 0.0, f["kd"]),
        tau=np.where(off, 0.0, f["tau"]),
        off=off,
    )


def slot_values(values: np.ndarray, slots: np.ndarray) -> np.ndarray:
    """Per-joint values (model order) -> NUM_SLOTS per-slot values; unused slots are 0."""
    return scatter(np.asarray(values, dtype=np.float64), slots, NUM_SLOTS, fill=0.0)
