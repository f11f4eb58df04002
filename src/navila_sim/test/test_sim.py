"""The simulation core: standing under PD, LiDAR ranges, camera, kinematic oracle, commands."""

import itertools
import math

import numpy as np
import pytest
import yaml

from navila_sim.episodes import load_episodes
from navila_sim.lidar import LidarPattern
from navila_sim.robot import load_robot
from navila_sim.sim import CameraConfig, Sim, SimConfig

NO_SENSORS = {"lidar_enabled": False, "camera": CameraConfig(enabled=False)}


def upright(sim: Sim) -> float:
    """z component of the base's z axis (1 = upright)."""
    return float(sim.data.xmat[sim._base].reshape(3, 3)[2, 2])


@pytest.mark.parametrize("robot", ["go2", "h1", "t1"])
def test_robot_stands_five_seconds_under_pd(robot):
    sim = Sim(SimConfig(robot=robot, support=False, **NO_SENSORS))  # on its hold gains alone
    for _ in range(250):  # 250 control periods x 0.02 s = 5 s
        sim.run_control_period()
    assert sim.time == pytest.approx(5.0)
    height = sim.base_pose()[0][2]
    assert abs(height - sim.nominal_height) < sim.robot.stand_tolerance_m, (
        height,
        sim.nominal_height,
    )
    assert upright(sim) > 0.98
    assert np.linalg.norm(sim.base_pose()[0][:2]) < 0.05  # it did not walk off


def test_go2_stands_on_the_policy_gains_and_default_pose():
    spec = load_robot("go2")
    assert spec.kp.tolist() == [40.0] * 12 and spec.kd.tolist() == [1.0] * 12
    by_name = dict(zip(spec.joint_names, spec.default_pos, strict=True))
    assert by_name["FL_hip_joint"] == 0.1 and by_name["FR_hip_joint"] == -0.1
    assert by_name["FL_thigh_joint"] == 0.8 and by_name["RL_thigh_joint"] == 1.0
    assert by_name["RR_calf_joint"] == -1.5
    sim = Sim(SimConfig(robot="go2", **NO_SENSORS))
    sim.set_joint_targets(list(spec.joint_names), spec.default_pos)  # the controller takes over
    assert not sim.holding
    for _ in range(150):
        sim.run_control_period()
    assert upright(sim) > 0.98
    assert sim.base_pose()[0][2] > 0.22
    assert np.all(np.abs(sim.joint_state().effort) <= 40.0 + 1e-9)


def test_joint_targets_by_name_in_any_order_and_torque_limit():
    sim = Sim(SimConfig(robot="go2", **NO_SENSORS))
    names = list(reversed(sim.robot.joint_names))
    target = dict(zip(sim.robot.joint_names, sim.robot.default_pos, strict=True))
    target["FR_calf_joint"] = -2.0
    sim.set_joint_targets(names, np.array([target[n] for n in names]))
    sim.torque_limit[:] = 5.0
    sim.step(10)
    assert np.all(np.abs(sim.joint_state().effort) <= 5.0 + 1e-9)


@pytest.mark.parametrize(
    "names, pos, match",
    [
        (["nope_joint"], [0.0], "not found"),
        (["FR_hip_joint", "FR_hip_joint"], [0.0, 0.0], "duplicate"),
        (None, [0.0] * 11, "positions"),
        (None, [float("nan")] * 12, "non-finite"),
    ],
)
def test_bad_joint_command_is_refused_and_robot_keeps_holding(names, pos, match):
    sim = Sim(SimConfig(robot="go2", **NO_SENSORS))
    before = sim._q_des.copy()
    with pytest.raises(ValueError, match=match):
        sim.set_joint_targets(names, np.asarray(pos))
    sim.step(4)
    np.testing.assert_array_equal(sim._q_des, before)
    assert sim.holding


def test_partial_command_keeps_other_targets():
    sim = Sim(SimConfig(robot="go2", **NO_SENSORS))
    sim.set_joint_targets(["FR_calf_joint"], np.array([-2.0]))
    sim.step(1)
    i = sim.robot.joint_names.index("FR_calf_joint")
    expected = sim.robot.default_pos.copy()
    expected[i] = -2.0
    np.testing.assert_array_equal(sim._q_des, expected)
    for _ in range(50):
        sim.run_control_period()
    assert sim.joint_state().position[i] == pytest.approx(-2.0, abs=0.15)


def test_actuator_delay_applies_command_after_n_steps():
    sim = Sim(SimConfig(robot="go2", actuator_delay_steps=4, **NO_SENSORS))
    new = sim.robot.default_pos + 0.2
    sim.set_joint_targets(None, new)
    sim.step(4)
    assert not np.allclose(sim._q_des, new)
    sim.step(1)
    np.testing.assert_allclose(sim._q_des, new)


def _wall_scene(tmp_path, x=3.0):
    path = tmp_path / "wall.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "name": "wall",
                "wall_thickness": 0.1,
                "walls": [{"name": "w", "from": [x, -4], "to": [x, 4], "height": 2.0}],
            }
        )
    )
    return str(path)


def test_sensors_describe_the_state_after_the_step_and_do_not_change_it():
    """After a physics step the IMU, the odometry pose and the LiDAR origin describe the same
    instant as the joint states (MuJoCo computes them before it integrates: the IMU read 5 ms
    old), and the forward pass that brings them up changes no state: one step at a time or
    four at once, the trajectories are the same bit for bit."""
    cfg = SimConfig(robot="h1", camera=CameraConfig(enabled=False))
    a, b = Sim(cfg), Sim(cfg)
    names = list(a.robot.joint_names)
    for k in range(60):
        q = np.asarray(a.robot.default_pos) + 0.2 * np.sin(0.3 * k + np.arange(len(names)))
        for sim in (a, b):
            sim.apply_joint_state_command(names, q)
        for _ in range(4):
            a.step(1)
        b.step(4)
    assert np.array_equal(a.data.qpos, b.data.qpos) and np.array_equal(a.data.qvel, b.data.qvel)
    # the H1's IMU on the torso: its rate is the pelvis's (free joint, body frame) plus the
    # torso joint's, now, not one step earlier
    from navila_loco_node.observation import imu_to_base

    out = b.run_control_period()
    torso = names.index("torso_joint")
    imu = out.imu
    quat = np.array([imu.orientation_xyzw[3], *imu.orientation_xyzw[:3]])
    js = out.joint_state
    q_base, w_base = imu_to_base(quat, imu.angular_velocity, js.position[torso], js.velocity[torso])
    np.testing.assert_allclose(w_base, b.data.qvel[3:6], atol=1e-9)
    np.testing.assert_allclose(q_base * np.sign(q_base[0]), b.data.qpos[3:7], atol=1e-9)
    np.testing.assert_allclose(out.odom.position, b.data.qpos[0:3], atol=1e-12)


def test_lidar_pattern_is_l1_like():
    dirs = LidarPattern().directions()
    assert dirs.shape == (32 * 90, 3)
    np.testing.assert_allclose(np.linalg.norm(dirs, axis=1), 1.0)
    elev = np.degrees(np.arcsin(dirs[:, 2]))
    assert elev.min() == pytest.approx(0.0, abs=1e-9) and elev.max() == pytest.approx(90.0)


def test_top_surface_oracle_sees_the_ground_a_block_hides_from_the_lidar():
    """Mode top_surface: every lattice point around the base is hit, on the scene's top surface,
    even where the real scan is shadowed (rubble, facing block 2's 10 cm face from block 1; the
    shadow itself: tests/test_probe_map_gap.py)."""
    pose = (1.65, 0.1, 0.0)
    pattern = LidarPattern(mode="top_surface", surface_spacing_m=0.1, surface_half_m=1.0)
    oracle = Sim(
        SimConfig(
            robot="go2",
            scene="loco_eval_rubble",
            start_pose=pose,
            lidar=pattern,
            camera=CameraConfig(enabled=False),
        )
    )
    pts = oracle.lidar_points()
    assert pts.dtype == np.float32 and len(pts) == len(pattern.surface_offsets()) == 21 * 21
    origin, rot = oracle.lidar_pose()
    world = origin + pts.astype(np.float64) @ rot.T  # back out of the LiDAR frame
    base = oracle.base_pose()[0]
    np.testing.assert_allclose(world[:, :2], base[:2] + pattern.surface_offsets(), atol=0.01)
    top = [oracle.floor_height(x, y, start_z=2.0) for x, y in world[:, :2]]
    np.testing.assert_allclose(world[:, 2], top, atol=0.01)
    assert {0.0, 0.06, 0.1} <= {round(z, 2) for z in world[:, 2]}  # floor, blocks 1 and 2


def test_lidar_ranges_to_a_wall_at_known_distance(tmp_path):
    sim = Sim(
        SimConfig(robot="go2", scene=_wall_scene(tmp_path), camera=CameraConfig(enabled=False))
    )
    pts = sim.lidar_points()
    assert pts.dtype == np.float32 and pts.shape[1] == 3 and len(pts) > 500
    origin = sim.data.site_xpos[sim._lidar_site]
    rot = sim.data.site_xmat[sim._lidar_site].reshape(3, 3)
    world = pts.astype(np.float64) @ rot.T + origin
    on_wall = world[(world[:, 2] > 0.05) & (world[:, 0] > 1.0)]
    assert len(on_wall) > 50
    np.testing.assert_allclose(on_wall[:, 0], 2.95, atol=2e-3)  # wall face at x = 3 - 0.05
    floor = world[world[:, 0] < 2.0]
    np.testing.assert_allclose(floor[:, 2], 0.0, atol=2e-3)
    # The range of the ray whose world direction is closest to +x equals the geometric distance.
    dirs = world - origin
    ranges = np.linalg.norm(dirs, axis=1)
    ahead = np.argmax(dirs[:, 0] / ranges - np.abs(dirs[:, 2]) / ranges)
    cos_x = dirs[ahead, 0] / ranges[ahead]
    assert ranges[ahead] == pytest.approx((2.95 - origin[0]) / cos_x, abs=2e-3)


def test_camera_image_not_blank_and_changes_when_turning():
    sim = Sim(SimConfig(robot="go2", scene="two_rooms", mode="kinematic", start_pose=(-3, 0, 0)))
    first = sim.render()
    assert first.shape == (120, 160, 3) and first.dtype == np.uint8
    assert first.std() > 10.0
    sim.set_cmd_vel(0.0, 0.0, math.pi / 4)
    for _ in range(100):  # 2 s -> 90 degrees
        sim.run_control_period()
    turned = sim.render()
    assert np.abs(turned.astype(int) - first.astype(int)).mean() > 10.0


def test_kinematic_mode_reaches_commanded_displacement():
    sim = Sim(SimConfig(robot="go2", mode="kinematic", **NO_SENSORS))
    sim.set_cmd_vel(0.5, 0.0, 0.0)
    for _ in range(100):  # 2 s at 0.5 m/s
        sim.run_control_period()
    pos, _ = sim.base_pose()
    assert abs(pos[0] - 1.0) < 0.01 and abs(pos[1]) < 0.01
    sim.set_cmd_vel(0.0, 0.0, math.pi / 6)
    for _ in range(75):  # 1.5 s at pi/6 -> 45 degrees
        sim.run_control_period()
    odom = sim.odom()
    x, y, z, w = odom.orientation_xyzw
    assert math.atan2(2 * (w * z + x * y), 1 - 2 * (y * y + z * z)) == pytest.approx(
        math.pi / 4, abs=1e-3
    )
    sim.set_cmd_vel(0.5, 0.0, 0.0)
    for _ in range(50):
        sim.run_control_period()
    pos2, _ = sim.base_pose()
    np.testing.assert_allclose(pos2[:2] - pos[:2], [0.5 / math.sqrt(2)] * 2, atol=0.01)
    assert sim.imu().linear_acceleration[2] == pytest.approx(9.81)


def test_kinematic_base_is_stopped_by_a_wall(tmp_path):
    sim = Sim(SimConfig(robot="go2", scene=_wall_scene(tmp_path), mode="kinematic", **NO_SENSORS))
    sim.set_cmd_vel(1.0, 0.0, 0.0)
    for _ in range(250):
        sim.run_control_period()
    assert sim.base_pose()[0][0] < 2.95 - 0.25  # trunk half length and head stay clear
    assert sim.collisions > 0


def test_kinematic_base_climbs_a_step(tmp_path):
    path = tmp_path / "step.yaml"
    path.write_text(yaml.safe_dump({"steps": [{"center": [2, 0], "size": [2, 2], "height": 0.1}]}))
    sim = Sim(SimConfig(robot="go2", scene=str(path), mode="kinematic", **NO_SENSORS))
    z0 = sim.base_pose()[0][2]
    sim.set_cmd_vel(0.5, 0.0, 0.0)
    for _ in range(200):
        sim.run_control_period()
    assert sim.base_pose()[0][2] == pytest.approx(z0 + 0.1, abs=1e-3)


def test_shipped_reference_paths_are_collision_free_for_the_go2():
    sims: dict[str, Sim] = {}
    for ep in load_episodes():
        if ep.scene_id not in sims:
            sims[ep.scene_id] = Sim(SimConfig(robot="go2", scene=ep.scene_id, **NO_SENSORS))
        sim = sims[ep.scene_id]
        path = np.array(ep.reference_path)[:, :2]
        heading = ep.start_yaw
        for a, b in itertools.pairwise(path):
            new_heading = math.atan2(b[1] - a[1], b[0] - a[0])
            turn = math.atan2(math.sin(new_heading - heading), math.cos(new_heading - heading))
            for f in np.linspace(0, 1, 10):  # turning in place at the waypoint
                assert sim.pose_is_free(a[0], a[1], heading + f * turn), (ep.episode_id, a)
            heading = new_heading
            n = max(2, int(np.linalg.norm(b - a) / 0.1))
            for f in np.linspace(0, 1, n):
                p = a + f * (b - a)
                assert sim.pose_is_free(p[0], p[1], heading), (ep.episode_id, p)


def test_push_moves_the_base():
    sim = Sim(SimConfig(robot="go2", **NO_SENSORS))
    sim.push((1.0, 0.0, 0.0))
    sim.step(10)
    assert sim.base_pose()[0][0] > 0.01


def test_config_validation():
    with pytest.raises(ValueError, match="mode"):
        Sim(SimConfig(mode="teleport"))
    with pytest.raises(ValueError, match="channels"):
        SimConfig(lidar=LidarPattern(channels=0)).validate()
    with pytest.raises(ValueError, match="lidar mode"):
        SimConfig(lidar=LidarPattern(mode="xray")).validate()
    with pytest.raises(ValueError, match="surface lattice"):
        SimConfig(lidar=LidarPattern(mode="top_surface", surface_spacing_m=0.0)).validate()


def test_lying_passive_start_then_joint_state_command_drives():
    sim = Sim(SimConfig(robot="go2", start_posture="lie", start_drive="passive", **NO_SENSORS))
    assert sim.drive == "passive" and sim.start_height < 0.5 * sim.nominal_height
    sim.step(100)
    assert sim.base_pose()[0][2] < 0.5 * sim.nominal_height  # motors off: it stays down
    names = list(reversed(sim.robot.joint_names))
    q = sim.robot.default_pos[::-1]
    assert sim.apply_joint_state_command(names, q, [], []) == "pd"
    assert sim.drive == "pd" and np.all(sim.kp == sim.robot.kp)
    assert sim.apply_joint_state_command(names, [], np.zeros(12), []) == "damping"
    assert sim.drive == "damping" and np.all(sim.kp == 0) and np.all(sim.kd == 8.0)
    assert sim.apply_joint_state_command(None, None, None, np.zeros(12)) == "passive"
    assert sim.drive == "passive"
    with pytest.raises(ValueError, match="no position"):
        sim.apply_joint_state_command(names, [], [], [])
    with pytest.raises(ValueError, match="not found"):
        sim.apply_joint_state_command(["nope"], [0.0])
    assert sim.drive == "passive"  # refused commands leave the drive as it was


def test_lying_start_needs_a_lie_pose():
    with pytest.raises(ValueError, match="lie_pos"):
        Sim(SimConfig(robot="h1", start_posture="lie", **NO_SENSORS))
