"""The training model is navila_sim's robot with the same PD law as navila_sim's drive."""

from __future__ import annotations

import numpy as np
import pytest

from navila_loco_train.model import build_train_model, make_variants
from navila_loco_train.task_spec import RandomizationSpec, feet_stumbling
from navila_loco_train.terrain import make_terrain
from navila_sim.mujoco_gl import mujoco
from navila_sim.robot import load_robot

from .conftest import SMALL_TERRAIN, blind_config


def _model():
    loco = blind_config()
    tm = build_train_model(
        load_robot("go2"), loco, make_terrain(SMALL_TERRAIN), ["*_foot"], ["*_thigh"], 0.005
    )
    return loco, tm


def test_servo_force_is_navila_sims_pd_law() -> None:
    loco, tm = _model()
    m, d = tm.model, mujoco.MjData(tm.model)
    rng = np.random.default_rng(0)
    d.qpos[tm.qadr] = np.asarray(loco.joints.default_pos) + rng.normal(0, 0.3, 12)
    d.qvel[tm.vadr] = rng.normal(0, 3.0, 12)
    target = np.asarray(loco.joints.default_pos) + rng.normal(0, 0.5, 12)
    d.ctrl[tm.act_of_policy] = target
    mujoco.mj_forward(m, d)
    kp, kd = np.asarray(loco.joints.kp), np.asarray(loco.joints.kd)
    limit = np.minimum(np.asarray(loco.joints.torque_limit), tm.motor_range)
    want = np.clip(kp * (target - d.qpos[tm.qadr]) - kd * d.qvel[tm.vadr], -limit, limit)
    np.testing.assert_allclose(d.actuator_force[tm.act_of_policy], want, rtol=1e-9, atol=1e-9)
    assert np.any(np.abs(want) == limit), "the test should exercise the torque limit"
    # navila_sim's motors: hip/thigh 23.7 N m, calf 45.43 N m, under the config's 40.
    assert sorted(set(np.round(limit, 2))) == [23.7, 40.0]


def test_variants_are_independent_copies_within_the_ranges() -> None:
    loco, tm = _model()
    dr = RandomizationSpec()
    vs = make_variants(tm, loco, dr, 4, np.random.default_rng(1))
    frictions = [v.model.geom_friction[0, 0] for v in vs]
    assert len(set(frictions)) == 4 and all(
        dr.friction[0] <= f <= dr.friction[1] for f in frictions
    )
    base_mass = tm.model.body_mass[tm.base_body]
    for v in vs:
        assert v.model.body_mass[tm.base_body] - base_mass == pytest.approx(v.added_mass)
        kp = v.model.actuator_gainprm[tm.act_of_policy, 0]
        np.testing.assert_allclose(kp, np.asarray(loco.joints.kp) * v.strength)
    assert tm.model.geom_friction[0, 0] not in frictions  # the base model is untouched


def test_contact_sensors_see_the_feet_on_the_ground() -> None:
    loco, tm = _model()
    m, d = tm.model, mujoco.MjData(tm.model)
    d.qpos[:2] = (SMALL_TERRAIN.tile_m / 2, SMALL_TERRAIN.tile_m / 2)  # a flat tile's centre
    d.qpos[2] = 0.34
    d.qpos[tm.qadr] = loco.joints.default_pos
    d.ctrl[tm.act_of_policy] = loco.joints.default_pos
    for _ in range(200):
        mujoco.mj_step(m, d)
    assert np.all(d.sensordata[tm.feet_sensors] > 5.0)  # ~15 kg on four feet
    assert np.all(d.sensordata[tm.undesired_sensors] == 0.0)


def test_feet_force_sensors_are_world_frame_and_flat_ground_never_stumbles() -> None:
    """The feet's net contact forces carry the robot's weight upwards and, pushed sideways, the
    push; on level ground friction (<= 1.25 x the normal force) keeps every foot below the
    stumble ratio, so the stumble term cannot fire while walking on the flat."""
    loco, tm = _model()
    m, d = tm.model, mujoco.MjData(tm.model)
    d.qpos[:2] = (SMALL_TERRAIN.tile_m / 2, SMALL_TERRAIN.tile_m / 2)
    d.qpos[2] = 0.34
    d.qpos[tm.qadr] = loco.joints.default_pos
    d.ctrl[tm.act_of_policy] = loco.joints.default_pos
    weight = float(np.sum(m.body_mass)) * 9.81
    assert tm.feet_force_sensors.shape == (4, 3)
    for _ in range(200):
        mujoco.mj_step(m, d)
    forces = d.sensordata[tm.feet_force_sensors]  # (feet, 3)
    # the sensor reports the force the foot exerts (MuJoCo's body1 side): downwards, all of it
    assert np.sum(forces[:, 2]) == pytest.approx(-weight, rel=0.03)
    # splayed legs push the ground outwards a little, left against right: the sum cancels
    assert np.all(np.linalg.norm(forces[:, :2], axis=1) < 0.5 * np.abs(forces[:, 2]))
    assert np.all(np.abs(np.sum(forces[:, :2], axis=0)) < 0.05 * weight)
    assert not feet_stumbling(forces, 1.0).any()
    push = 40.0  # N along world +y, under what friction holds (0.4 x 150 N at the least)
    d.xfrc_applied[tm.base_body, 1] = push
    stumbled = np.zeros(4, dtype=bool)
    for _ in range(100):
        mujoco.mj_step(m, d)
        stumbled |= feet_stumbling(d.sensordata[tm.feet_force_sensors], 1.0)
    forces = d.sensordata[tm.feet_force_sensors]
    assert np.sum(forces[:, 1]) == pytest.approx(push, rel=0.1)  # the feet push the ground +y
    assert abs(np.sum(forces[:, 0])) < 0.1 * push
    assert not stumbled.any()


def test_undesired_contacts_sense_every_geom_of_a_body() -> None:
    """The Go2's base is a trunk and a head box: a body among the undesired contacts gets a touch
    sensor per geom, so the head against a wall is penalised like the trunk. Pitched 30 deg
    nose-down at 0.15 m only the head is in the ground."""
    import math

    loco = blind_config()
    tm = build_train_model(
        load_robot("go2"), loco, make_terrain(SMALL_TERRAIN), ["*_foot"], ["base", "*_hip"], 0.005
    )
    m, d = tm.model, mujoco.MjData(tm.model)
    names = [
        mujoco.mj_id2name(m, mujoco.mjtObj.mjOBJ_SENSOR, int(np.searchsorted(m.sensor_adr, a)))
        for a in tm.undesired_sensors
    ]
    assert names[:2] == ["touch_bad_base", "touch_bad_base_1"] and len(names) == 6  # + 4 hips
    pitch = math.radians(30)
    d.qpos[:3] = (1.0, 1.0, 0.15)
    d.qpos[3:7] = (math.cos(pitch / 2), 0.0, math.sin(pitch / 2), 0.0)
    d.qpos[tm.qadr] = loco.joints.default_pos
    mujoco.mj_forward(m, d)
    touching = d.sensordata[tm.undesired_sensors] > 0.0
    assert touching.tolist()[:2] == [False, True]  # the head, not the trunk


def test_the_base_contact_sensor_sees_every_geom_of_the_base() -> None:
    """terminations.base_contact: the Go2's base has a trunk and a head box; a touch site would
    cover one, the contact sensor both. Pitched 30 deg nose-down at 0.15 m only the head is in
    the ground; upright at 0.04 m the trunk is."""
    import math

    loco = blind_config()
    tm = build_train_model(
        load_robot("go2"), loco, make_terrain(SMALL_TERRAIN), ["*_foot"], [], 0.005, True
    )
    m, d = tm.model, mujoco.MjData(tm.model)
    base_geoms = {
        mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_GEOM, name): name for name in ("trunk", "head")
    }
    for pitch, z, touching in ((math.radians(30), 0.15, {"head"}), (0.0, 0.04, {"trunk"})):
        mujoco.mj_resetData(m, d)
        d.qpos[:3] = (1.0, 1.0, z)  # a flat tile of the small terrain
        d.qpos[3:7] = (math.cos(pitch / 2), 0.0, math.sin(pitch / 2), 0.0)
        d.qpos[tm.qadr] = loco.joints.default_pos
        mujoco.mj_forward(m, d)
        contacts = {base_geoms.get(g) for c in d.contact[: d.ncon] for g in (c.geom1, c.geom2)}
        assert contacts & {"trunk", "head"} == touching
        assert np.linalg.norm(d.sensordata[tm.base_contact_sensor]) > 1.0
