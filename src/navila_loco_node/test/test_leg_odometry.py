"""The base velocity from leg kinematics (leg_odometry) on navila_sim's H1 and Go2 models, and the
controller using it for a policy that reads base_lin_vel on a backend that gives none."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from navila_loco_node.controller import LocoController
from navila_loco_node.leg_odometry import LegOdometry, LegOdometryConfig
from navila_loco_node.supervisor import Mode
from navila_sim.mujoco_gl import mujoco  # never a bare import: it fixes the GL backend

from .conftest import robot_config, standing_state

T0 = 50.0
H1_FEET = ("left_foot", "right_foot")
# navila_sim's robot files, by path: the node takes one (the bring-up resolves config names)
ROBOTS = Path(__file__).resolve().parents[2] / "navila_sim" / "navila_sim" / "robots"
H1_XML, GO2_XML = str(ROBOTS / "h1.xml"), str(ROBOTS / "go2.xml")


def h1(**kw) -> tuple[LegOdometry, LegOdometryConfig]:
    cfg = robot_config("h1")
    odo_cfg = LegOdometryConfig(enabled=True, model=H1_XML, feet=H1_FEET, **kw)
    return LegOdometry(odo_cfg, cfg.joints.names), cfg


def quat_from_rotvec(v: np.ndarray) -> np.ndarray:
    q = np.zeros(4)
    mujoco.mju_axisAngle2Quat(q, v / np.linalg.norm(v), float(np.linalg.norm(v)))
    return q


def foot_positions(odo: LegOdometry, names, q_joints, quat) -> np.ndarray:
    """World positions of the foot geoms' centres with the base at the origin (plain forward
    kinematics: no velocities involved)."""
    m, d = odo.model, mujoco.MjData(odo.model)
    d.qpos[3:7] = quat
    for name, value in zip(names, q_joints, strict=True):
        d.qpos[m.jnt_qposadr[mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_JOINT, name)]] = value
    mujoco.mj_kinematics(m, d)
    return np.array([d.geom_xpos[g].copy() for g in odo._feet])


def test_a_planted_foot_gives_the_base_velocity_finite_differences_agree() -> None:
    """Move the joints and turn the base for a moment with the base's origin held: the stance
    foot moves by -v dt in the world, so the base moves by +v dt relative to a planted foot.
    Positions alone (finite differences) against the estimator's velocity kinematics."""
    odo, cfg = h1(contact_scale_m=1e-4, consistency_mps=0.0, filter_tau_s=0.0)
    rng = np.random.default_rng(4)
    names = cfg.joints.names
    q = np.asarray(cfg.joints.default_pos) + rng.uniform(-0.1, 0.1, len(names))
    dq = rng.uniform(-1.0, 1.0, len(names))
    quat = quat_from_rotvec(np.array([0.05, -0.08, 0.7]))
    omega = np.array([0.3, -0.2, 0.5])  # body frame
    v = odo.update(q, dq, quat, omega, T0)
    dt = 1e-6
    quat2 = quat.copy()
    mujoco.mju_quatIntegrate(quat2, omega, dt)  # body-frame rate, as the free joint's
    p0 = foot_positions(odo, names, q, quat)
    p1 = foot_positions(odo, names, q + dq * dt, quat2)
    stance = int(np.argmin(p0[:, 2]))
    assert odo.stance[stance] == pytest.approx(1.0)
    rot = np.zeros(9)
    mujoco.mju_quat2Mat(rot, quat)
    expected = rot.reshape(3, 3).T @ (-(p1[stance] - p0[stance]) / dt)
    np.testing.assert_allclose(v, expected, atol=1e-4)


def test_standing_still_reads_zero_and_nan_reads_nan() -> None:
    odo, cfg = h1()
    q = np.asarray(cfg.joints.default_pos)
    n = len(q)
    level = np.array([1.0, 0.0, 0.0, 0.0])
    np.testing.assert_allclose(odo.update(q, np.zeros(n), level, np.zeros(3), T0), 0.0, atol=1e-12)
    bad = np.zeros(n)
    bad[3] = np.nan
    assert not np.all(np.isfinite(odo.update(q, bad, level, np.zeros(3), T0 + 0.02)))
    assert odo.status() == {"velocity": None, "stance": None}  # strict JSON: no NaN
    # the supervisor damps on it; readings that are finite again start a fresh estimate
    back = odo.update(q, np.zeros(n), level, np.zeros(3), T0 + 0.04)
    np.testing.assert_allclose(back, 0.0, atol=1e-12)
    assert odo.status() == {"velocity": [0.0, 0.0, 0.0], "stance": [0.5, 0.5]}


def test_the_foot_that_moves_like_the_ground_is_the_stance_foot() -> None:
    """Feet level (the H1's swing lifts them 1-3 cm): height cannot tell; the foot whose motion
    agrees with the last estimate can. Both legs first sweep back together (the base walks
    forward on both feet), then the right leg swings forward fast while the left one keeps
    sweeping: the estimate follows the left foot."""
    cfg = robot_config("h1")
    names = list(cfg.joints.names)
    q = np.asarray(cfg.joints.default_pos)
    level = np.array([1.0, 0.0, 0.0, 0.0])
    both = np.zeros(len(names))
    both[names.index("left_hip_pitch_joint")] = both[names.index("right_hip_pitch_joint")] = 0.8
    swing = both.copy()
    swing[names.index("right_hip_pitch_joint")] = -4.0
    left = LegOdometry(LegOdometryConfig(True, H1_XML, ("left_foot",), filter_tau_s=0.0), names)
    truth = left.update(q, swing, level, np.zeros(3), T0)  # the left foot alone
    assert truth[0] > 0.3  # it sweeps back: the base goes forward
    odo, _ = h1(filter_tau_s=0.0)
    np.testing.assert_allclose(odo.update(q, both, level, np.zeros(3), T0), truth, atol=1e-9)
    got = odo.update(q, swing, level, np.zeros(3), T0 + 0.02)
    assert odo.stance[0] > 0.99  # the left foot
    np.testing.assert_allclose(got, truth, atol=1e-6)
    height_only, _ = h1(filter_tau_s=0.0, consistency_mps=0.0)
    blended = height_only.update(q, swing, level, np.zeros(3), T0)
    assert truth[0] - blended[0] > 0.5  # without it: half the swing is read as the body's motion


def test_the_filter_is_a_first_order_low_pass_and_one_reading_counts_once() -> None:
    odo, cfg = h1(filter_tau_s=0.03, consistency_mps=0.0, max_accel_mps2=0.0)
    names = list(cfg.joints.names)
    q = np.asarray(cfg.joints.default_pos)
    level = np.array([1.0, 0.0, 0.0, 0.0])
    dq = np.zeros(len(names))
    odo.update(q, dq, level, np.zeros(3), T0)
    dq[names.index("left_hip_pitch_joint")] = dq[names.index("right_hip_pitch_joint")] = 0.8
    first = odo.update(q, dq, level, np.zeros(3), T0 + 0.03)  # one time constant: half way
    raw = odo.raw.copy()
    np.testing.assert_allclose(first, raw / 2, atol=1e-12)
    assert raw[0] > 0.3  # both legs sweep back: the base moves forward
    again = odo.update(q, dq, level, np.zeros(3), T0 + 0.03)  # the same reading, a second call
    np.testing.assert_allclose(again, first)


def test_a_jolt_moves_the_estimate_no_faster_than_max_accel() -> None:
    """A foot landing on a step edge makes the raw estimate jump by m/s for a tick: the
    estimate follows at most max_accel_mps2 (5 m/s^2: 0.1 m/s per 20 ms tick)."""
    odo, cfg = h1(filter_tau_s=0.0, consistency_mps=0.0)
    names = list(cfg.joints.names)
    q = np.asarray(cfg.joints.default_pos)
    level = np.array([1.0, 0.0, 0.0, 0.0])
    odo.update(q, np.zeros(len(names)), level, np.zeros(3), T0)
    dq = np.zeros(len(names))
    dq[names.index("left_hip_pitch_joint")] = dq[names.index("right_hip_pitch_joint")] = 5.0
    got = odo.update(q, dq, level, np.zeros(3), T0 + 0.02)
    assert np.linalg.norm(odo.raw) > 1.0  # what the legs say this tick
    assert np.linalg.norm(got) == pytest.approx(0.1)  # 5 m/s^2 x 0.02 s, towards it
    np.testing.assert_allclose(got / 0.1, odo.raw / np.linalg.norm(odo.raw), atol=1e-9)


def test_go2_feet_work_too() -> None:
    cfg = robot_config("go2")
    feet = ("FL_foot_geom", "FR_foot_geom", "RL_foot_geom", "RR_foot_geom")
    odo = LegOdometry(LegOdometryConfig(True, GO2_XML, feet, filter_tau_s=0.0), cfg.joints.names)
    names = list(cfg.joints.names)
    dq = np.zeros(len(names))
    for leg in ("FL", "FR", "RL", "RR"):
        dq[names.index(f"{leg}_thigh_joint")] = 1.0  # all feet sweep back: the body goes forward
    v = odo.update(
        np.asarray(cfg.joints.default_pos), dq, np.array([1.0, 0, 0, 0]), np.zeros(3), T0
    )
    assert v[0] > 0.1 and abs(v[1]) < 1e-6
    # four feet on the ground share the stance (the rear ones stand ~1 cm higher at this pose)
    assert odo.stance.sum() == pytest.approx(1.0) and odo.stance.min() > 0.1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"model": ""}, "leg_odometry.model"),
        ({"feet": ()}, "leg_odometry.feet"),
        ({"contact_scale_m": 0.0}, "contact_scale_m"),
        ({"filter_tau_s": -1.0}, "filter_tau_s"),
        ({"consistency_mps": math.nan}, "consistency_mps"),
        ({"max_accel_mps2": -1.0}, "max_accel_mps2"),
    ],
)
def test_bad_settings_are_refused_with_their_name(change: dict, message: str) -> None:
    base = {"enabled": True, "model": H1_XML, "feet": H1_FEET}
    with pytest.raises(ValueError, match=message):
        LegOdometryConfig(**{**base, **change})


def test_names_the_model_lacks_are_refused_at_start(tmp_path) -> None:
    cfg = robot_config("h1")
    with pytest.raises(ValueError, match="foot geom 'left_sole'"):
        LegOdometry(LegOdometryConfig(True, H1_XML, ("left_sole",)), cfg.joints.names)
    with pytest.raises(ValueError, match="joint 'FL_hip_joint' is not in"):
        LegOdometry(LegOdometryConfig(True, H1_XML, H1_FEET), robot_config("go2").joints.names)
    with pytest.raises(FileNotFoundError, match="no such MJCF"):
        LegOdometry(LegOdometryConfig(True, str(tmp_path / "h1.xml"), H1_FEET), cfg.joints.names)
    # a robot name straight from a config file: the node says the bring-up resolves it
    with pytest.raises(ValueError, match="not an MJCF path: start the node through the bring-up"):
        LegOdometry(LegOdometryConfig(True, "h1", H1_FEET), cfg.joints.names)


def test_the_h1_starts_on_a_backend_without_velocity_when_the_estimate_is_on() -> None:
    """A real H1's SDK state has no base velocity: without leg odometry the policy is refused
    (start_blocked); with it, the controller fills the velocity in and the robot walks."""

    class Zero:
        kind, path, num_inputs, num_outputs = "const", "<zero>", 256, 19

        def __call__(self, obs: np.ndarray) -> np.ndarray:
            return np.zeros(19)

    cfg = robot_config("h1")
    cfg = replace(cfg, safety=replace(cfg.safety, stand_up_tolerance_rad=0.0))
    blocked = LocoController(cfg, Zero())
    blocked.set_height_map(np.zeros(187), T0)
    assert blocked.step(T0, standing_state(cfg, T0)).mode == Mode.PASSIVE
    assert "no base linear velocity" in blocked.supervisor.start_blocked
    odo_cfg = LegOdometryConfig(True, H1_XML, H1_FEET)
    ctl = LocoController(replace(cfg, leg_odometry=odo_cfg), Zero())
    ctl.set_height_map(np.zeros(187), T0)
    assert ctl.step(T0, standing_state(cfg, T0)).mode == Mode.STAND_UP
    t = T0 + cfg.safety.stand_up_time_s
    ctl.set_height_map(np.zeros(187), t)
    assert ctl.step(t, standing_state(cfg, t)).mode == Mode.WALK
    state = ctl.base_state(standing_state(cfg, t))
    assert state.lin_vel_stamp == t and np.allclose(state.lin_vel, 0.0)
