"""The sim's robot models and the locomotion node's robot configs name the same joints.

One name per joint across the stack (the vendor's: Unitree's `FR_hip_joint` / `left_knee_joint`,
Booster's URDF `Left_Hip_Pitch`): a mismatch would make every /joint_states message unusable to
the locomotion node. Also the Unitree SDK slot tables agree with the configs' motor_names.
"""

from pathlib import Path

import numpy as np
import pytest

from navila_loco_node.config import load_loco_config
from navila_sim.joint_order import SDK_ORDERS
from navila_sim.robot import load_robot, robot_names

CONFIG = Path(__file__).resolve().parents[3] / "config"


@pytest.mark.parametrize("robot", robot_names())
def test_model_joint_names_equal_loco_config_joint_names(robot):
    loco = load_loco_config(CONFIG / f"{robot}.yaml")
    model = load_robot(robot)
    assert set(model.joint_names) == set(loco.joints.names), sorted(
        set(model.joint_names) ^ set(loco.joints.names)
    )
    assert len(loco.joints.names) == len(model.joint_names)


@pytest.mark.parametrize("robot", sorted(SDK_ORDERS))
def test_sdk_slot_tables_equal_loco_motor_names(robot):
    loco = load_loco_config(CONFIG / f"{robot}.yaml")
    assert load_robot(robot).sdk_order == robot
    assert list(SDK_ORDERS[robot]) == list(loco.unitree.motor_names)


@pytest.mark.parametrize("robot", robot_names())
def test_loco_joint_limits_lie_within_the_models(robot):
    """navila_loco's pos_min / pos_max (its joint-limit supervisor, training's limit penalty) may
    be tighter than the model's range (config/h1.yaml keeps the hip pitch at +-1.57 of
    -3.14..2.53), never wider: a wider one was the right shoulder yaw of the H1 copied from the
    left (-1.3..4.45 for the vendor's -4.45..1.3), which damped a right arm in its own range."""
    import mujoco

    loco = load_loco_config(CONFIG / f"{robot}.yaml")
    if not loco.joints.pos_min:  # the T1 walks on Booster's own controller: no joint targets
        assert loco.control_mode == "velocity" and not loco.joints.pos_max
        return
    m = mujoco.MjModel.from_xml_path(str(load_robot(robot).mjcf_path))
    wider = []
    limits = zip(loco.joints.names, loco.joints.pos_min, loco.joints.pos_max, strict=True)
    for name, lo, hi in limits:
        j = mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_JOINT, name)
        r_lo, r_hi = m.jnt_range[j]
        if m.jnt_limited[j] and (lo < r_lo - 1e-6 or hi > r_hi + 1e-6):
            wider.append((name, (lo, hi), (float(r_lo), float(r_hi))))
    assert not wider


@pytest.mark.parametrize("robot", robot_names())
def test_heightmap_sensor_mount_is_the_models_lidar_site(robot):
    """heightmap_node's sensor_to_base (the cloud's frame in the base frame) is where navila_sim's
    model mounts its LiDAR: the simulator publishes the cloud in that site's frame. A mismatch
    leaves the deployed map clipped (the H1's and T1's upright [0, 0, 0.45] mount of an upside
    down head LiDAR read the floor 1.3 m above the pelvis: every cell -1), so a policy trained on
    the true map never sees it."""
    from heightmap_node.config import builder_config_from_params, load_params_file
    from navila_sim.sim import CameraConfig, Sim, SimConfig

    cfg = builder_config_from_params(load_params_file(CONFIG / f"{robot}.yaml"))
    sim = Sim(SimConfig(robot=robot, camera=CameraConfig(enabled=False)))
    pos, rot = sim.lidar_pose()
    base_pos, base_rot = sim.data.xpos[sim._base], sim.data.xmat[sim._base].reshape(3, 3)
    model = np.eye(4)
    model[:3, :3] = base_rot.T @ np.asarray(rot).reshape(3, 3)
    model[:3, 3] = base_rot.T @ (np.asarray(pos) - base_pos)
    np.testing.assert_allclose(np.asarray(cfg.sensor_to_base), model, atol=2e-3)


@pytest.mark.parametrize("robot", robot_names())
def test_imu_yaw_joint_is_the_models_imu_mount(robot):
    """navila_loco's observation.imu_yaw_joint names the joint between the base and the body
    the model's IMU is on (the H1: torso_joint; the Go2 and T1: none), and the node's
    `imu_to_base` turns that IMU's readings into the base's: the model's own sensors, read at a
    random pose and velocity, give the pelvis's orientation and body-frame angular velocity."""
    import mujoco

    from navila_loco_node.observation import imu_to_base
    from navila_sim.sensor_mount import yaw_joints_to_site

    loco = load_loco_config(CONFIG / f"{robot}.yaml")
    spec = load_robot(robot)
    m = mujoco.MjModel.from_xml_path(str(spec.mjcf_path))
    chain = yaw_joints_to_site(m, spec.imu_site, spec.base_body)
    assert len(chain) <= 1  # navila_loco takes one joint
    assert loco.observation.imu_yaw_joint == (chain[0] if chain else "")
    if not chain:
        return
    d = mujoco.MjData(m)
    rng = np.random.default_rng(0)
    q = rng.normal(size=4)
    d.qpos[3:7] = q / np.linalg.norm(q)
    d.qvel[:] = rng.normal(size=m.nv)
    j = mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_JOINT, chain[0])
    d.qpos[m.jnt_qposadr[j]] = 0.7
    mujoco.mj_forward(m, d)

    def sensor(name):
        s = mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_SENSOR, name)
        return d.sensordata[m.sensor_adr[s] : m.sensor_adr[s] + m.sensor_dim[s]].copy()

    quat, gyro = imu_to_base(
        sensor("imu_quat"), sensor("imu_gyro"), 0.7, float(d.qvel[m.jnt_dofadr[j]])
    )
    assert not np.allclose(sensor("imu_gyro"), d.qvel[3:6], atol=0.1)  # the joint matters
    np.testing.assert_allclose(quat * np.sign(quat[0]), d.qpos[3:7] * np.sign(d.qpos[3]), atol=1e-9)
    np.testing.assert_allclose(gyro, d.qvel[3:6], atol=1e-9)  # free joint: body-frame rate


def test_sensor_mount_refuses_a_sensor_below_a_non_yaw_joint():
    """A head that pitches (or sits off the base's origin) turns the sensor's frame in ways the
    trainer's levelled yaw map and the node's yaw correction do not model: refused."""
    import mujoco

    from navila_sim.sensor_mount import yaw_joints_to_site

    xml = """<mujoco><worldbody><body name="base"><freejoint/><geom size="0.1"/>
      <body name="waist"><joint name="waist_yaw" axis="0 0 1"/><geom size="0.05"/>
        <site name="imu"/>
        <body name="head" pos="0 0 0.3"><joint name="neck_pitch" axis="0 1 0"/>
          <geom size="0.05"/><site name="lidar"/></body></body>
    </body></worldbody></mujoco>"""
    m = mujoco.MjModel.from_xml_string(xml)
    assert yaw_joints_to_site(m, "imu", "base") == ("waist_yaw",)
    with pytest.raises(ValueError, match=r"'head' .* not a yaw hinge"):
        yaw_joints_to_site(m, "lidar", "base")
    with pytest.raises(ValueError, match="no site"):
        yaw_joints_to_site(m, "no_such_site", "base")
    with pytest.raises(ValueError, match="not on 'head'"):
        yaw_joints_to_site(m, "imu", "head")
