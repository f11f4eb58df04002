"""The control step (stand-up interpolation, policy -> PD targets, faults) and the loop."""

from __future__ import annotations

import itertools
import threading
from dataclasses import replace

import numpy as np

from navila_loco_node.controller import DeadlineLoop, LocoController
from navila_loco_node.policy import load_policy
from navila_loco_node.supervisor import Mode
from navila_loco_node.types import VelocityCommand

from .conftest import robot_config, standing_state

T0 = 50.0


class ConstPolicy:
    """Returns a fixed action: makes the action -> target arithmetic checkable."""

    kind, path = "const", "<const>"

    def __init__(self, action: np.ndarray, num_inputs: int = 909) -> None:
        self.action = action
        self.num_inputs, self.num_outputs = num_inputs, len(action)
        self.seen: list[np.ndarray] = []

    def __call__(self, obs: np.ndarray) -> np.ndarray:
        self.seen.append(obs)
        return self.action


def test_stand_up_interpolates_from_measured_pose() -> None:
    cfg = robot_config("go2")
    ctl = LocoController(cfg, ConstPolicy(np.zeros(12)))
    lying = np.asarray(cfg.joints.default_pos) * 0.0 + np.array([0.0] * 8 + [-2.6] * 4)
    r = ctl.step(T0, standing_state(cfg, T0, joint_pos=lying))
    assert r.mode == Mode.STAND_UP
    np.testing.assert_allclose(r.command.q, lying)
    t = T0 + cfg.safety.stand_up_time_s / 2
    r = ctl.step(t, standing_state(cfg, t, joint_pos=lying))
    np.testing.assert_allclose(r.command.q, (lying + np.asarray(cfg.joints.default_pos)) / 2)
    assert np.all(r.command.kp == 40.0) and np.all(r.command.kd == 1.0)


def test_walk_targets_are_default_plus_scaled_action_clipped() -> None:
    cfg = robot_config("go2")
    action = np.zeros(12)
    action[0], action[8] = 1.0, 100.0  # FL_hip +1 -> +0.25 rad; FL_calf far beyond its limit
    ctl = LocoController(cfg, ConstPolicy(action))
    ctl.set_height_map(np.zeros(459), T0)
    ctl.step(T0, standing_state(cfg, T0))
    t = T0 + cfg.safety.stand_up_time_s
    ctl.set_height_map(np.zeros(459), t)
    r = ctl.step(t, standing_state(cfg, t, seq=7))
    assert r.mode == Mode.WALK and r.command.state_seq == 7
    assert r.command.q[0] == 0.1 + 0.25
    assert r.command.q[8] == cfg.joints.pos_max[8]  # clipped to the joint limit
    assert ctl.last_action[8] == 20.0  # action clip (legged-loco: 20)
    # The next observation carries the clipped last action.
    t += 0.02
    ctl.set_height_map(np.zeros(459), t)
    ctl.step(t, standing_state(cfg, t))
    assert ctl.policy.seen[-1][33 + 8] == 20.0


def test_nan_policy_output_damps() -> None:
    cfg = robot_config("go2")
    ctl = LocoController(cfg, ConstPolicy(np.full(12, np.nan)))
    ctl.step(T0, standing_state(cfg, T0))
    t = T0 + cfg.safety.stand_up_time_s
    ctl.set_height_map(np.zeros(459), t)
    r = ctl.step(t, standing_state(cfg, t))
    assert r.mode == Mode.DAMP and np.all(r.command.kp == 0) and np.all(r.command.kd == 8.0)
    assert "policy output" in ctl.supervisor.reason


# The forward command through the map path; the obstacle guard (test_obstacle_guard.py) would
# hold it here, where no clearance is fed.
NO_GUARD = {"safety.obstacle_guard": "never"}


def test_unknown_height_map_stops_walking_but_keeps_balancing() -> None:
    cfg = robot_config("go2", **NO_GUARD)
    ctl = LocoController(cfg, ConstPolicy(np.zeros(12)))
    ctl.step(T0, standing_state(cfg, T0))
    t = T0 + cfg.safety.stand_up_time_s
    ctl.set_height_map(np.zeros(459), t)
    ctl.supervisor.set_command(VelocityCommand(0.5, 0.0, 0.0, t))
    r = ctl.step(t, standing_state(cfg, t))
    assert r.mode == Mode.WALK and r.velocity[0] == 0.5
    t += 0.02
    ctl.set_height_map(np.full(459, np.nan), t)  # heightmap_node's "no information" map
    r = ctl.step(t, standing_state(cfg, t))
    assert r.mode == Mode.WALK and np.all(r.velocity == 0.0)  # stopped, still balancing
    assert ctl.supervisor.height_map_stale and np.all(np.isfinite(r.command.q))
    t += 0.02
    ctl.set_height_map(np.zeros(459), t)  # a valid map again: the command is honoured again
    ctl.supervisor.set_command(VelocityCommand(0.5, 0.0, 0.0, t))
    assert ctl.step(t, standing_state(cfg, t)).velocity[0] == 0.5


def test_vision_policy_waits_for_its_first_map_and_keeps_the_last_real_one() -> None:
    """No map yet: the stand-up pose is held (the policy never sees invented terrain); a map
    that turns unknown leaves the last real one in the observation, with a zero command."""
    cfg = robot_config("go2", **NO_GUARD)
    policy = ConstPolicy(np.zeros(12))
    ctl = LocoController(cfg, policy)
    ctl.step(T0, standing_state(cfg, T0))
    t = T0 + cfg.safety.stand_up_time_s
    for _ in range(3):
        r = ctl.step(t, standing_state(cfg, t))
        assert r.mode == Mode.STAND_UP and not policy.seen
        np.testing.assert_allclose(r.command.q, cfg.joints.default_pos)  # holds the pose
        t += 0.02
    assert ctl.supervisor.status(t)["waiting_for_height_map"] is True
    terrain = np.linspace(0.2, 0.4, 459)
    ctl.set_height_map(terrain, t)
    ctl.supervisor.set_command(VelocityCommand(0.5, 0.0, 0.0, t))
    r = ctl.step(t, standing_state(cfg, t))
    assert r.mode == Mode.WALK and r.velocity[0] == 0.5
    assert ctl.supervisor.status(t)["waiting_for_height_map"] is False
    hm = slice(45, 45 + 459)  # after the 45 proprio terms
    np.testing.assert_allclose(policy.seen[-1][hm], np.clip(terrain, -10, 10), rtol=1e-6)
    t += 0.02
    ctl.set_height_map(np.full(459, np.nan), t)
    r = ctl.step(t, standing_state(cfg, t))
    assert r.mode == Mode.WALK and np.all(r.velocity == 0.0)
    np.testing.assert_allclose(policy.seen[-1][hm], np.clip(terrain, -10, 10), rtol=1e-6)
    t += 5.0  # long stale: still the last real map, still a zero command
    r = ctl.step(t, standing_state(cfg, t))
    assert r.mode == Mode.WALK and np.all(r.velocity == 0.0)
    np.testing.assert_allclose(policy.seen[-1][hm], np.clip(terrain, -10, 10), rtol=1e-6)


def test_passive_is_zero_torque() -> None:
    cfg = robot_config("go2")
    r = LocoController(cfg, None).step(T0, None)
    assert r.mode == Mode.PASSIVE
    assert np.all(r.command.kp == 0) and np.all(r.command.kd == 0) and np.all(r.command.tau == 0)


def test_real_size_random_policy_drives_controller(go2_policy_files) -> None:
    """A randomly initialised (untrained) 909-input network, end to end through the step."""
    cfg = robot_config("go2")
    ctl = LocoController(cfg, load_policy(go2_policy_files["onnx"], 909, 12))
    ctl.step(T0, standing_state(cfg, T0))
    t = T0 + 2.0
    ctl.set_height_map(np.zeros(459), t)
    r = ctl.step(t, standing_state(cfg, t))
    assert r.mode == Mode.WALK and np.all(np.isfinite(r.command.q))
    assert np.all(r.command.q >= np.asarray(cfg.joints.pos_min))


def test_velocity_mode_has_no_joint_command() -> None:
    cfg = robot_config("t1")
    ctl = LocoController(cfg, None)
    r = ctl.step(T0, standing_state(cfg, T0, joint_pos=np.zeros(cfg.joints.n)))
    assert r.command is None and r.mode == Mode.STAND_UP


def test_deadline_loop_runs_and_counts() -> None:
    done = threading.Event()
    calls: list[float] = []

    def fn(now: float) -> None:
        calls.append(now)
        if len(calls) >= 5:
            done.set()

    loop = DeadlineLoop(fn, 0.01)
    loop.start()
    assert done.wait(5.0)
    loop.stop()
    assert not loop.running
    stats = loop.stats()
    assert stats.ticks >= 5 and stats.late_max_us >= 0.0
    assert all(b > a for a, b in itertools.pairwise(calls))


def test_deadline_loop_skips_missed_deadlines() -> None:
    """A step longer than several periods counts one overrun and skips the missed deadlines
    (fake clock that advances 0.5 ms per reading)."""
    t = [0.0]
    calls: list[float] = []
    loop: DeadlineLoop

    def clock() -> float:
        t[0] += 0.0005
        return t[0]

    def fn(now: float) -> None:
        calls.append(now)
        if len(calls) == 1:
            t[0] += 0.035  # the first step takes 3.5 periods
        if len(calls) >= 3:
            loop._stop.set()

    loop = DeadlineLoop(fn, 0.01, clock=clock)
    loop._run()
    assert loop.overruns == 1 and loop.skipped == 3
    # Resumes on the grid (start + 4 periods), not with a burst of three late steps.
    assert 0.04 < calls[1] - (calls[0] - 0.0005) < 0.0425


def test_h1_policy_sees_the_pelvis_not_the_torso_imu() -> None:
    """The H1's IMU turns with its torso (torso_joint); the policy was trained on the pelvis.
    A level pelvis with the torso turned 0.5 rad and swinging at 2 rad/s: the IMU reads a yaw
    rate of 2 and a quaternion turned by 0.5, the policy must see a still, level base - and a
    pelvis pitched 0.2 rad must show up as gravity along the pelvis's x, whatever the torso's
    angle (the torso's frame would put it partly on y)."""
    from navila_loco_node.observation import turn_about_z_batch

    cfg = robot_config("h1")
    assert cfg.observation.imu_yaw_joint == "torso_joint"
    # The torso stays turned 0.5 rad through the stand-up: beyond its tolerance, not checked here.
    cfg = replace(cfg, safety=replace(cfg.safety, stand_up_tolerance_rad=0.0))
    k = cfg.joints.names.index("torso_joint")
    policy = ConstPolicy(np.zeros(19), num_inputs=256)
    ctl = LocoController(cfg, policy)
    pitch = np.array([np.cos(0.1), 0.0, np.sin(0.1), 0.0])  # pelvis pitched 0.2 rad
    imu_quat = turn_about_z_batch(pitch[None, :], np.array([0.5]))[0]

    def state(t: float):
        q = np.asarray(cfg.joints.default_pos, dtype=float).copy()
        dq = np.zeros(19)
        q[k], dq[k] = 0.5, 2.0
        imu = {"quat_wxyz": imu_quat, "ang_vel": np.array([0, 0, 2.0])}
        vel = {"lin_vel": np.zeros(3), "lin_vel_stamp": t}  # its layout reads base_lin_vel
        return standing_state(cfg, t, joint_pos=q, joint_vel=dq, **imu, **vel)

    ctl.set_height_map(np.zeros(187), T0)
    ctl.step(T0, state(T0))
    t = T0 + cfg.safety.stand_up_time_s
    ctl.set_height_map(np.zeros(187), t)
    assert ctl.step(t, state(t)).mode == Mode.WALK
    obs = policy.seen[-1]
    np.testing.assert_allclose(obs[3:6], 0.0, atol=1e-12)  # base_ang_vel
    np.testing.assert_allclose(obs[6:9], (np.sin(0.2), 0.0, -np.cos(0.2)), atol=1e-12)


def test_joint_commands_as_joint_state_fields() -> None:
    """/joint_command's JointState (Isaac Sim's articulation controller, navila_sim): positions
    and velocities drive PD, velocities alone damp, efforts alone are zero torque."""
    from navila_loco_node.types import JointCommand

    walk = JointCommand(
        q=np.array([0.1, 0.2]),
        dq=np.zeros(2),
        kp=np.full(2, 40.0),
        kd=np.ones(2),
        tau=np.zeros(2),
        mode="walk",
    )
    pos, vel, eff = walk.joint_state_fields()
    assert pos.tolist() == [0.1, 0.2] and vel.tolist() == [0.0, 0.0] and eff is None
    assert JointCommand.damping(2, 8.0).joint_state_fields()[0] is None
    pos, vel, eff = JointCommand.damping(2, 8.0).joint_state_fields()
    assert vel.tolist() == [0.0, 0.0] and eff is None
    pos, vel, eff = JointCommand.damping(2, 0.0, mode="passive").joint_state_fields()
    assert pos is None and vel is None and eff.tolist() == [0.0, 0.0]
