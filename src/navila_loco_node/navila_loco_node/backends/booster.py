"""Booster T1 backend: the vendor's walking controller through B1LocoClient (velocity mode).

No T1 policy is trained here, so the T1 walks with Booster's own controller: this backend maps
the supervisor's modes to the SDK's robot modes and forwards the supervised, clamped, timed-out
velocity command with Move(vx, vy, vyaw) at `move_rate_hz` (and at once when it changes).

    passive  -> nothing sent (the robot stays as it is)
    stand_up -> ChangeMode(kPrepare)        (the vendor's stand)
    walk     -> ChangeMode(kWalking), then Move(vx, vy, wz)
    damp     -> Move(0, 0, 0), ChangeMode(kDamping)

State (IMU roll/pitch/yaw, gyro, serial joint q/dq) comes from B1LowStateSubscriber so the
supervisor can damp on a fall or a stale stream. The SDK module is injectable: tests pass a
recording stand-in because nothing here can reach a robot.
"""

from __future__ import annotations

import threading
import time
from types import ModuleType
from typing import Any

import numpy as np

from navila_loco_node.config import LocoConfig
from navila_loco_node.types import RobotState

MODE_TO_SDK = {"stand_up": "kPrepare", "walk": "kWalking", "damp": "kDamping"}


def quat_from_rpy(roll: float, pitch: float, yaw: float) -> np.ndarray:
    """(w, x, y, z) from intrinsic Z-Y-X roll/pitch/yaw (the convention of rpy_from_quat)."""
    cr, sr = np.cos(roll / 2), np.sin(roll / 2)
    cp, sp = np.cos(pitch / 2), np.sin(pitch / 2)
    cy, sy = np.cos(yaw / 2), np.sin(yaw / 2)
    return np.array(
        [
            cr * cp * cy + sr * sp * sy,
            sr * cp * cy - cr * sp * sy,
            cr * sp * cy + sr * cp * sy,
            cr * cp * sy - sr * sp * cy,
        ]
    )


class BoosterLocoBackend:
    """Velocity backend. SDK calls run on a worker thread: B1LocoClient RPCs block (5 s when the
    robot does not answer) and must never stall the 50 Hz loop. The loop only sets the wanted
    mode and velocity; the worker applies them and records failures in `error`."""

    kind = "booster_loco"

    def __init__(
        self,
        config: LocoConfig,
        sdk: ModuleType | Any | None = None,
        clock=time.monotonic,
        start_worker: bool = True,
    ) -> None:
        if sdk is None:
            import booster_robotics_sdk_python as sdk  # optional: needed on a T1 only
        self.sdk = sdk
        self.config = config
        self.clock = clock
        b = config.booster
        sdk.ChannelFactory.Instance().Init(b.domain_id, b.network_interface)
        self.client = sdk.B1LocoClient()
        self.client.Init()
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._state: RobotState | None = None
        self._seq = 0
        self._sub = sdk.B1LowStateSubscriber(self._on_state)
        self._sub.InitChannel()
        self.mode = "passive"  # the mode the robot was last put in (worker side)
        self._want_mode = "passive"
        self._want_move = (0.0, 0.0, 0.0)
        self._last_move: tuple[float, float, float] | None = None
        self._last_move_t = -1e9
        self.move_period = 1.0 / b.move_rate_hz
        self.error: str | None = None
        self.errors = 0
        self._closing = False
        self._worker: threading.Thread | None = None
        if start_worker:  # tests drive step_worker() themselves, deterministically
            self._worker = threading.Thread(target=self._work, name="booster-loco", daemon=True)
            self._worker.start()

    def _on_state(self, msg: Any) -> None:
        now = self.clock()
        rpy = list(msg.imu_state.rpy)
        joints = list(msg.motor_state_serial)
        n = self.config.joints.n
        q = np.array([m.q for m in joints[:n]] + [0.0] * max(0, n - len(joints)))
        dq = np.array([m.dq for m in joints[:n]] + [0.0] * max(0, n - len(joints)))
        with self._lock:
            self._seq += 1
            self._state = RobotState(
                joint_pos=q,
                joint_vel=dq,
                quat_wxyz=quat_from_rpy(*rpy),
                ang_vel=np.array(list(msg.imu_state.gyro), dtype=float),
                joint_stamp=now,
                imu_stamp=now,
                seq=self._seq,
            )

    def read_state(self) -> RobotState | None:
        with self._lock:
            return self._state

    # ---------------------------------------------------------------- loop side (never blocks)
    def set_mode(self, mode: str) -> None:
        with self._wake:
            if mode != self._want_mode:
                self._want_mode = mode
                self._wake.notify()

    def move(self, vx: float, vy: float, wz: float) -> None:
        with self._wake:
            self._want_move = (float(vx), float(vy), float(wz))
            self._wake.notify()

    def damp(self) -> None:
        self.set_mode("damp")

    # ---------------------------------------------------------------- worker side (SDK calls)
    def step_worker(self) -> None:
        """Apply the wanted mode / velocity once (the worker loop; tests call it directly)."""
        with self._lock:
            want_mode, want_move = self._want_mode, self._want_move
        try:
            if want_mode != self.mode:
                if want_mode == "damp":
                    self.client.Move(0.0, 0.0, 0.0)
                if want_mode in MODE_TO_SDK:
                    self.client.ChangeMode(getattr(self.sdk.RobotMode, MODE_TO_SDK[want_mode]))
                self.mode = want_mode
                self._last_move = None
            if self.mode == "walk":
                now = self.clock()
                if want_move != self._last_move or now - self._last_move_t >= self.move_period:
                    self.client.Move(*want_move)
                    self._last_move, self._last_move_t = want_move, now
        except Exception as exc:  # the SDK raises RuntimeError("API call failed, code = ...")
            self.errors += 1
            self.error = f"booster SDK call failed in mode {want_mode}: {exc}"

    def _work(self) -> None:
        while True:
            with self._wake:
                self._wake.wait(self.move_period)
                closing = self._closing
            self.step_worker()
            if closing:
                return

    def close(self, timeout: float = 6.0) -> None:
        """Ask for damping and give the worker time to deliver it (RPCs may take 5 s)."""
        with self._wake:
            self._want_mode = "damp"
            self._closing = True
            self._wake.notify()
        if self._worker is not None:
            self._worker.join(timeout)
        else:
            self.step_worker()
        self._sub.CloseChannel()
