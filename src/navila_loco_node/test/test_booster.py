"""Booster T1 backend: mode mapping and the Move() forwarding, through a recording SDK stand-in.

Nothing here can reach a T1, so the adapter is driven with a stand-in module that records calls
(the same names as booster_robotics_sdk_python); a second test checks that the real SDK, when
installed, exposes exactly the names and signatures the adapter uses.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from navila_loco_node.backends.booster import BoosterLocoBackend, quat_from_rpy
from navila_loco_node.observation import rpy_from_quat

from .conftest import robot_config


class FakeSdk:
    """Records every call the adapter makes, with the SDK's class and enum names."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []
        sdk = self

        class Factory:
            @staticmethod
            def Instance():  # noqa: N802 - SDK naming
                return SimpleNamespace(Init=lambda d, i: sdk.calls.append(("Init", d, i)))

        class Client:
            def Init(self):  # noqa: N802
                sdk.calls.append(("ClientInit",))

            def Move(self, vx, vy, wz):  # noqa: N802
                sdk.calls.append(("Move", vx, vy, wz))

            def ChangeMode(self, mode):  # noqa: N802
                sdk.calls.append(("ChangeMode", mode))

        class Sub:
            def __init__(self, handler):
                sdk.handler = handler

            def InitChannel(self):  # noqa: N802
                sdk.calls.append(("SubInit",))

            def CloseChannel(self):  # noqa: N802
                sdk.calls.append(("SubClose",))

        self.ChannelFactory = Factory
        self.B1LocoClient = Client
        self.B1LowStateSubscriber = Sub
        self.RobotMode = SimpleNamespace(kDamping="kDamping", kPrepare="kPrepare",
                                         kWalking="kWalking")  # fmt: skip


def make(clock_value: list[float]):
    sdk = FakeSdk()
    backend = BoosterLocoBackend(
        robot_config("t1"), sdk=sdk, clock=lambda: clock_value[0], start_worker=False
    )
    return sdk, backend


def test_modes_and_move_forwarding() -> None:
    t = [0.0]
    sdk, b = make(t)
    assert sdk.calls[:3] == [("Init", 0, ""), ("ClientInit",), ("SubInit",)]
    b.move(0.5, 0.0, 0.0)  # not walking yet: nothing sent
    b.step_worker()
    b.set_mode("stand_up")
    b.step_worker()
    b.set_mode("walk")
    b.move(0.5, 0.1, -0.2)
    b.step_worker()
    b.step_worker()  # same command within the period: throttled
    t[0] = 0.2
    b.step_worker()  # period elapsed: re-sent (keep-alive)
    b.move(0.0, 0.0, 0.3)
    b.step_worker()  # a change goes out at once
    b.close()
    assert sdk.calls[3:] == [
        ("ChangeMode", "kPrepare"),
        ("ChangeMode", "kWalking"),
        ("Move", 0.5, 0.1, -0.2),
        ("Move", 0.5, 0.1, -0.2),
        ("Move", 0.0, 0.0, 0.3),
        ("Move", 0.0, 0.0, 0.0),
        ("ChangeMode", "kDamping"),
        ("SubClose",),
    ]


def test_low_state_becomes_robot_state() -> None:
    t = [3.0]
    sdk, b = make(t)
    assert b.read_state() is None
    motors = [SimpleNamespace(q=0.1 * i, dq=-0.1 * i) for i in range(23)]
    imu = SimpleNamespace(rpy=[0.2, -0.1, 1.0], gyro=[0.0, 0.1, 0.2])
    sdk.handler(SimpleNamespace(imu_state=imu, motor_state_serial=motors))
    s = b.read_state()
    assert s.joint_stamp == 3.0 and s.seq == 1 and s.joint_pos[5] == pytest.approx(0.5)
    np.testing.assert_allclose(rpy_from_quat(s.quat_wxyz), [0.2, -0.1, 1.0], atol=1e-9)
    np.testing.assert_allclose(quat_from_rpy(0, 0, 0), [1, 0, 0, 0])


def test_sdk_failure_is_recorded_not_raised() -> None:
    t = [0.0]
    _sdk, b = make(t)

    def fail(mode):
        raise RuntimeError("API call failed, code = 100")

    b.client.ChangeMode = fail
    b.set_mode("stand_up")
    b.step_worker()  # must not raise into the control loop
    assert b.errors == 1 and "API call failed" in b.error and b.mode == "passive"


def test_real_sdk_exposes_what_the_adapter_uses() -> None:
    import booster_robotics_sdk_python as sdk  # a declared requirement: fail, never skip

    for name in ("Init", "Move", "ChangeMode"):
        assert callable(getattr(sdk.B1LocoClient, name))
    assert "arg2" in sdk.B1LocoClient.Move.__doc__  # Move(vx, vy, vyaw): three floats
    for mode in ("kDamping", "kPrepare", "kWalking"):
        assert hasattr(sdk.RobotMode, mode)
    assert callable(sdk.ChannelFactory.Instance)
    for name in ("InitChannel", "CloseChannel"):
        assert callable(getattr(sdk.B1LowStateSubscriber, name))
    assert {"imu_state", "motor_state_serial"} <= set(dir(sdk.LowState))
    assert {"rpy", "gyro"} <= set(dir(sdk.ImuState))
