"""The safety supervisor on its own: every transition and every trigger."""

from __future__ import annotations

import numpy as np
import pytest

from navila_loco_node.supervisor import Mode, Supervisor
from navila_loco_node.types import VelocityCommand

from .conftest import robot_config, standing_state

T0 = 100.0


def walking(has_policy: bool = True, **overrides: object) -> Supervisor:
    cfg = robot_config("go2", **overrides)
    sup = Supervisor(cfg, has_policy=has_policy)
    assert sup.update(T0, standing_state(cfg, T0), T0) == Mode.STAND_UP  # auto start
    t = T0 + cfg.safety.stand_up_time_s
    assert sup.update(t, standing_state(cfg, t), t) == Mode.WALK
    return sup


def test_passive_waits_for_fresh_state() -> None:
    cfg = robot_config("go2")
    sup = Supervisor(cfg, has_policy=True)
    assert sup.update(T0, None, None) == Mode.PASSIVE
    stale = standing_state(cfg, T0 - 1.0)
    assert sup.update(T0, stale, None) == Mode.PASSIVE
    assert sup.update(T0, standing_state(cfg, T0), None) == Mode.STAND_UP
    [tr] = sup.pop_transitions()
    assert (tr.source, tr.target) == ("passive", "stand_up") and "auto start" in tr.reason


def test_stand_up_then_walk_and_transitions_logged() -> None:
    sup = walking()
    names = [(t.source, t.target) for t in sup.pop_transitions()]
    assert names == [("passive", "stand_up"), ("stand_up", "walk")]


def test_without_policy_it_holds_the_pose() -> None:
    cfg = robot_config("go2")
    sup = Supervisor(cfg, has_policy=False)
    sup.update(T0, standing_state(cfg, T0), T0)
    t = T0 + 10.0
    assert sup.update(t, standing_state(cfg, t), t) == Mode.STAND_UP
    assert sup.stand_alpha(t) == 1.0


def test_no_auto_start_needs_start_request() -> None:
    cfg = robot_config("go2", **{"safety.auto_start": False})
    sup = Supervisor(cfg, has_policy=True)
    s = standing_state(cfg, T0)
    assert sup.update(T0, s, T0) == Mode.PASSIVE
    assert not sup.request("start", T0, standing_state(cfg, T0 - 1))  # stale: refused
    assert any("start refused" in n for n in sup.pop_notes())
    assert sup.request("start", T0, s) and sup.mode == Mode.STAND_UP


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"joint_stamp": T0 + 2.0 - 0.06}, "stale joint state"),
        ({"imu_stamp": T0 + 2.0 - 0.06}, "stale IMU"),
        ({"joint_pos": np.full(12, np.nan)}, "NaN"),
        ({"ang_vel": np.array([0.0, np.inf, 0.0])}, "NaN"),
        ({"quat_wxyz": np.array([np.cos(0.5), np.sin(0.5), 0, 0])}, "tilt"),  # roll 1.0 rad
        ({"quat_wxyz": np.array([np.cos(0.45), 0, np.sin(0.45), 0])}, "tilt"),  # pitch 0.9
        ({"joint_pos": np.array([1.5] + [0.8] * 11)}, "beyond its limits"),
    ],
)
def test_faults_damp_and_latch(change: dict, reason: str) -> None:
    sup = walking()
    cfg = sup.config
    t = T0 + 2.0
    assert sup.update(t, standing_state(cfg, t, **change), t) == Mode.DAMP
    assert reason in sup.reason
    # Latched: healthy state again does not leave DAMP by itself.
    assert sup.update(t + 0.02, standing_state(cfg, t + 0.02), t) == Mode.DAMP
    assert sup.request("reset", t + 0.03, None) and sup.mode == Mode.PASSIVE
    # ... and auto start happens once only: after a reset the operator must ask.
    assert sup.update(t + 0.04, standing_state(cfg, t + 0.04), t) == Mode.PASSIVE


def test_estop_damps_from_any_mode_and_blocks_reset() -> None:
    cfg = robot_config("go2")
    sup = Supervisor(cfg, has_policy=True)
    sup.set_estop(True, T0)
    assert sup.mode == Mode.DAMP and sup.reason == "e-stop"
    assert not sup.request("reset", T0, None) and sup.mode == Mode.DAMP
    sup.set_estop(False, T0 + 1)
    assert sup.request("reset", T0 + 1, None) and sup.mode == Mode.PASSIVE
    sup2 = walking()
    sup2.set_estop(True, T0 + 3)
    assert sup2.mode == Mode.DAMP


# Tests of the command path itself: the obstacle guard (on for go2.yaml's vision layout) has
# its own tests in test_obstacle_guard.py and would hold these forward commands (no clearance).
NO_GUARD = {"safety.obstacle_guard": "never"}


def test_cmd_vel_timeout_zeroes_command_but_keeps_walking() -> None:
    sup = walking(**NO_GUARD)
    cfg = sup.config
    t = T0 + 2.0
    sup.set_command(VelocityCommand(0.5, 0.0, 0.2, stamp=t))
    sup.update(t, standing_state(cfg, t), t)
    assert sup.effective_command().tolist() == [0.5, 0.0, 0.2]
    t2 = t + 0.6
    assert sup.update(t2, standing_state(cfg, t2), t2) == Mode.WALK
    assert sup.effective_command().tolist() == [0.0, 0.0, 0.0]
    assert "/cmd_vel silent: zero velocity command" in sup.pop_notes()


def test_commands_clamped_to_limits() -> None:
    sup = walking(**NO_GUARD)
    t = T0 + 2.0
    sup.set_command(VelocityCommand(5.0, 1.0, -3.0, stamp=t))
    sup.update(t, standing_state(sup.config, t), t)
    assert sup.effective_command().tolist() == [1.0, 0.0, -1.0]  # go2 ranges
    assert sup.cmd_clamped and any("clamped" in n for n in sup.pop_notes())


def test_nan_command_damps() -> None:
    sup = walking()
    sup.set_command(VelocityCommand(float("nan"), 0.0, 0.0, stamp=T0 + 2))
    assert sup.mode == Mode.DAMP and "non-finite" in sup.reason


def test_stale_height_map_zeroes_command() -> None:
    sup = walking()
    t = T0 + 2.0
    sup.set_command(VelocityCommand(0.5, 0.0, 0.0, stamp=t))
    sup.update(t, standing_state(sup.config, t), t - 5.0)
    assert sup.mode == Mode.WALK and sup.height_map_stale
    assert sup.effective_command().tolist() == [0.0, 0.0, 0.0]


def test_vision_stand_up_holds_until_a_fresh_height_map() -> None:
    cfg = robot_config("go2")
    sup = Supervisor(cfg, has_policy=True)
    assert sup.update(T0, standing_state(cfg, T0), None) == Mode.STAND_UP
    t = T0 + cfg.safety.stand_up_time_s
    assert sup.update(t, standing_state(cfg, t), None) == Mode.STAND_UP
    old = t - cfg.observation.height_map_timeout_s - 0.1
    assert sup.update(t + 0.02, standing_state(cfg, t + 0.02), old) == Mode.STAND_UP  # stale
    assert sup.waiting_for_map
    assert "stand-up complete: holding the pose until a height map" in sup.pop_notes()
    assert sup.update(t + 0.04, standing_state(cfg, t + 0.04), t + 0.03) == Mode.WALK
    assert not sup.waiting_for_map


def test_stop_request_and_shutdown_damp() -> None:
    sup = walking()
    assert sup.request("stop", T0 + 3, None) and sup.mode == Mode.DAMP
    sup2 = walking()
    sup2.damp(T0 + 3, "shutdown")
    assert sup2.mode == Mode.DAMP and sup2.status(T0 + 3)["reason"] == "shutdown"
    assert not sup2.request("dance", T0 + 3, None)


def _lying(cfg, t: float, off: float = 0.6):
    """FR_thigh_joint `off` rad from the default pose (within its limits): a leg that did not
    follow the stand-up."""
    q = np.asarray(cfg.joints.default_pos, dtype=float).copy()
    q[cfg.joints.names.index("FR_thigh_joint")] += off
    return standing_state(cfg, t, joint_pos=q)


@pytest.mark.parametrize("has_policy", [True, False])
def test_a_stand_up_the_motors_did_not_follow_damps_instead_of_walking(has_policy) -> None:
    """A Go2 whose sport controller still owns the motors (or without motor power) stays
    lying through the interpolation: the policy is not handed a pose it never saw. The joints
    get stand_up_settle_s after the interpolation, then it damps, naming the joint."""
    cfg = robot_config("go2")
    sup = Supervisor(cfg, has_policy=has_policy)
    assert sup.update(T0, _lying(cfg, T0), T0) == Mode.STAND_UP
    done = T0 + cfg.safety.stand_up_time_s
    for t in (done, done + 0.5 * cfg.safety.stand_up_settle_s):
        assert sup.update(t, _lying(cfg, t), t) == Mode.STAND_UP  # still settling
    t = done + cfg.safety.stand_up_settle_s + 0.01
    assert sup.update(t, _lying(cfg, t), t) == Mode.DAMP
    assert sup.reason.startswith("stand-up failed: FR_thigh_joint is 0.60 rad from its")
    assert "sport mode not released" in sup.reason


def test_joints_that_arrive_late_but_within_the_settle_time_walk() -> None:
    cfg = robot_config("go2")
    sup = Supervisor(cfg, has_policy=True)
    sup.update(T0, _lying(cfg, T0), T0)
    done = T0 + cfg.safety.stand_up_time_s
    assert sup.update(done, _lying(cfg, done, off=0.31), done) == Mode.STAND_UP
    t = done + 0.5
    assert sup.update(t, _lying(cfg, t, off=0.29), t) == Mode.WALK


def test_the_stand_up_check_can_be_turned_off() -> None:
    cfg = robot_config("go2", **{"safety.stand_up_tolerance_rad": 0.0})
    sup = Supervisor(cfg, has_policy=True)
    sup.update(T0, _lying(cfg, T0), T0)
    t = T0 + cfg.safety.stand_up_time_s
    assert sup.update(t, _lying(cfg, t), t) == Mode.WALK
    with pytest.raises(ValueError, match="stand_up_tolerance_rad"):
        robot_config("go2", **{"safety.stand_up_tolerance_rad": -0.1})


def test_a_policy_reading_base_lin_vel_never_starts_without_one() -> None:
    """The H1's layout reads the base's linear velocity. A backend that gives none (the Unitree
    and Booster SDKs' low-level state) leaves the robot passive with the reason; a velocity that
    stops arriving while walking damps; a layout without the term (the Go2's) or no policy at
    all does not ask for one."""
    cfg = robot_config("h1")
    sup = Supervisor(cfg, has_policy=True)
    assert sup.needs_lin_vel
    assert sup.update(T0, standing_state(cfg, T0), T0) == Mode.PASSIVE  # no velocity: no start
    assert "no base linear velocity has arrived" in sup.check_state(standing_state(cfg, T0), T0)
    assert "no base linear velocity" in sup.status(T0)["start_blocked"]  # said, not silent
    assert sup.update(T0, standing_state(cfg, T0), T0) == Mode.PASSIVE
    [note] = sup.pop_notes()  # once, not every tick
    for k in range(3):  # a state going stale while passive: one note, its age not repeated
        t = T0 + 0.1 * (k + 1)
        assert sup.update(t, standing_state(cfg, T0), t) == Mode.PASSIVE
    assert [n.split(" (")[0] for n in sup.pop_notes()] == ["waiting to start: stale joint state"]
    assert note.startswith("waiting to start: the policy reads base_lin_vel")
    fresh = {"lin_vel": np.zeros(3), "lin_vel_stamp": T0}
    assert sup.update(T0, standing_state(cfg, T0, **fresh), T0) == Mode.STAND_UP
    t = T0 + cfg.safety.stand_up_time_s
    walking_state = standing_state(cfg, t, lin_vel=np.zeros(3), lin_vel_stamp=t)
    assert sup.update(t, walking_state, t) == Mode.WALK
    late = t + 0.03
    stale = standing_state(cfg, late, lin_vel=np.zeros(3), lin_vel_stamp=t - 0.1)
    assert sup.update(late, stale, late) == Mode.DAMP
    assert "stale base linear velocity" in sup.reason
    assert sup.status(late)["start_blocked"] is None  # not passive
    assert not Supervisor(cfg, has_policy=False).needs_lin_vel  # holding the pose needs none
    assert not Supervisor(robot_config("go2"), has_policy=True).needs_lin_vel
