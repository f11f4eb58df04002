"""The batched environment: state layout, standing, terminations, bad actions, rewards,
curriculum and the observation contract with the deployed node."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from navila_loco_node.observation import ObservationBuilder, rpy_from_quat_batch
from navila_loco_train.env import EnvConfig, LocoEnv
from navila_loco_train.task_spec import TaskSpec
from navila_sim.mujoco_gl import mujoco
from navila_sim.robot import load_robot

from .conftest import blind_config


def make_env(task: TaskSpec, n: int = 8, **kw: object) -> LocoEnv:
    return LocoEnv(
        load_robot("go2"),
        blind_config(),
        task,
        EnvConfig(num_envs=n, num_threads=1, num_variants=2, **kw),
    )


def test_state_vector_layout(small_task: TaskSpec) -> None:
    env = make_env(small_task)
    m = env.tm.model
    d = mujoco.MjData(m)
    d.qpos[:] = np.arange(m.nq) + 0.5
    d.qvel[:] = -np.arange(m.nv) - 0.25
    s = np.zeros(env.nstate)
    mujoco.mj_getState(m, d, s, env.spec)
    np.testing.assert_array_equal(s[env.qpos0 : env.qpos0 + m.nq], d.qpos)
    np.testing.assert_array_equal(s[env.qvel0 : env.qvel0 + m.nv], d.qvel)
    env.close()


def test_zero_actions_stand_for_two_seconds(small_task: TaskSpec) -> None:
    env = make_env(small_task, randomize=False)
    for _ in range(100):
        _, _, reward, terminated, timed_out = env.step(np.zeros((env.n, 12)))
        assert not terminated.any() and not timed_out.any()
        assert np.all(np.isfinite(reward))
    ground = env.terrain.height_at(env.base_pos[:, 0], env.base_pos[:, 1])
    assert np.all(env.base_pos[:, 2] - ground > 0.25)
    assert np.all(np.abs(env.gravity[:, 2] + 1) < 0.02)  # level
    env.close()


def test_nan_actions_are_zero_and_never_reach_the_physics(small_task: TaskSpec) -> None:
    env = make_env(small_task, randomize=False)
    a = np.full((env.n, 12), np.nan)
    a[0] = np.inf
    for _ in range(10):
        policy_obs, critic_obs, reward, _, _ = env.step(a)
    assert np.all(np.isfinite(env.state)) and np.all(np.isfinite(policy_obs))
    assert np.all(np.isfinite(critic_obs)) and np.all(np.isfinite(reward))
    # inf is clipped to the action clip, never used raw
    assert np.all(np.abs(env.actions) <= env.loco.action_clip)
    env.close()


def test_a_fallen_robot_terminates_and_respawns(small_task: TaskSpec) -> None:
    env = make_env(small_task, randomize=False)
    roll = math.pi / 2  # on its side
    env.state[0, env.qpos0 + 3 : env.qpos0 + 7] = (math.cos(roll / 2), math.sin(roll / 2), 0, 0)
    _, _, _, terminated, _ = env.step(np.zeros((env.n, 12)))
    assert terminated[0] and not terminated[1:].any()
    assert env.episode_length[0] == 0  # respawned
    assert abs(env.gravity[0, 2] + 1) < 0.05
    env.close()


def test_the_termination_penalty_is_added_after_the_clip(small_task: TaskSpec) -> None:
    """legged_gym's order: a fall costs its penalty although the step's other terms are clipped
    at 0; a time-out is no fall; off (weight 0), nothing is computed or logged."""
    from navila_loco_train import rewards

    assert small_task.reward_weights["termination"] == 0.0
    env = make_env(small_task, n=3, randomize=False)
    env.step(np.zeros((3, 12)))
    assert "termination" not in env.episode_sums
    assert rewards.after_clip(small_task, np.array([True, False, False])) == {}
    env.close()

    task = replace(small_task, reward_weights={"flat_orientation_l2": -1.0, "termination": -200.0})
    assert task.only_positive_rewards
    env = make_env(task, n=3, randomize=False)
    roll = math.pi / 2  # robot 0 on its side: its tilt penalty alone would be clipped away
    env.state[0, env.qpos0 + 3 : env.qpos0 + 7] = (math.cos(roll / 2), math.sin(roll / 2), 0, 0)
    env.episode_length[2] = env.max_episode_length - 1  # robot 2 times out this step
    _, _, reward, terminated, timed_out = env.step(np.zeros((3, 12)))
    assert terminated.tolist() == [True, False, False] and timed_out[2]
    np.testing.assert_allclose(reward, [-200.0 * env.dt, 0.0, 0.0], atol=1e-9)
    # the episode log (per second of episode, as every term) carries it
    assert env.log["/rewards/termination"] == pytest.approx(-200.0 * env.dt / 2 / 20.0)
    env.close()


def test_observations_are_the_deployed_layout(small_task: TaskSpec) -> None:
    env = make_env(small_task, randomize=False)  # no noise: exactly what the node would build
    for _ in range(3):
        policy_obs, critic_obs, *_ = env.step(np.full((env.n, 12), 0.1))
    single = ObservationBuilder(blind_config())
    assert policy_obs.shape == (env.n, single.size) == (env.n, 450)
    slots = {s.name: s for s in single.layout()}
    cmd = slots["velocity_command"]
    np.testing.assert_allclose(policy_obs[:, cmd.start : cmd.stop], env.commands, atol=1e-6)
    act = slots["last_action"]
    np.testing.assert_allclose(policy_obs[:, act.start : act.stop], 0.1, atol=1e-6)
    # critic = policy obs + privileged body-frame linear velocity
    assert critic_obs.shape == (env.n, 453)
    np.testing.assert_allclose(critic_obs[:, 450:], env.lin_vel, atol=1e-5)
    env.close()


def test_observation_noise_on_a_nominal_robot(small_task: TaskSpec) -> None:
    """observation_noise=True reads a nominal (unrandomised) robot's sensors with the task's
    noise (probe_drift.py --sensor-noise): the robots move exactly as without it, their inputs
    differ by at most the noise half-widths."""
    exact, noisy = (
        make_env(small_task, randomize=False, observation_noise=flag) for flag in (False, True)
    )
    for _ in range(3):
        obs_exact, *_ = exact.step(np.full((exact.n, 12), 0.1))
        obs_noisy, *_ = noisy.step(np.full((noisy.n, 12), 0.1))
    np.testing.assert_array_equal(exact.state, noisy.state)  # the same physics
    slots = {s.name: s for s in ObservationBuilder(blind_config()).layout()}
    q = slots["joint_pos_rel"]
    diff = np.abs(obs_noisy[:, q.start : q.stop] - obs_exact[:, q.start : q.stop])
    half = small_task.noise.joint_pos_rel
    assert diff.max() > 0.1 * half and diff.max() <= half * 1.0001
    cmd = slots["velocity_command"]  # commands carry no noise
    np.testing.assert_array_equal(
        obs_noisy[:, cmd.start : cmd.stop], obs_exact[:, cmd.start : cmd.stop]
    )
    exact.close()
    noisy.close()


def test_tracking_reward_is_one_when_tracking_perfectly(small_task: TaskSpec) -> None:
    from navila_loco_train import rewards

    env = make_env(small_task, randomize=False)
    env.step(np.zeros((env.n, 12)))
    env.commands[:] = np.column_stack([env.lin_vel[:, 0], env.lin_vel[:, 1], env.ang_vel[:, 2]])
    np.testing.assert_allclose(rewards.track_lin_vel_xy_exp(env, small_task), 1.0)
    np.testing.assert_allclose(rewards.track_ang_vel_z_exp(env, small_task), 1.0)
    env.commands[:, 0] += 0.5  # 0.5 m/s off: exp(-0.25 / 0.25)
    np.testing.assert_allclose(rewards.track_lin_vel_xy_exp(env, small_task), math.exp(-1.0))
    env.commands[:, 2] += 0.2  # a narrower kernel (std^2 0.1): 0.2 rad/s off costs exp(-0.4)
    narrow = replace(small_task, tracking_std2=0.1)
    np.testing.assert_allclose(rewards.track_ang_vel_z_exp(env, narrow), math.exp(-0.4))
    np.testing.assert_allclose(rewards.track_lin_vel_xy_exp(env, narrow), math.exp(-2.5))
    env.close()


def test_feet_stumble_is_off_by_default_and_counts_robots_with_a_stumbling_foot(
    small_task: TaskSpec,
) -> None:
    from navila_loco_train import rewards

    env = make_env(small_task, n=3, randomize=False)
    env.step(np.zeros((3, 12)))
    assert "feet_stumble" not in rewards.compute(env, small_task)  # weight 0: not computed
    assert "feet_stumble" not in env.episode_sums  # nor logged
    env.close()
    weighted = replace(
        small_task, reward_weights={**small_task.reward_weights, "feet_stumble": -1.0}
    )
    env = make_env(weighted, n=3, randomize=False)
    for _ in range(20):
        env.step(np.zeros((3, 12)))  # standing on the flat: no foot is pushed sideways
    assert env.feet_stumble.shape == (3, 4) and not env.feet_stumble.any()
    assert rewards.compute(env, weighted)["feet_stumble"].tolist() == [0.0, 0.0, 0.0]
    env.feet_stumble[1, 2] = env.feet_stumble[2, :] = True
    assert rewards.feet_stumble(env).tolist() == [0.0, 1.0, 1.0]  # robots, not feet
    env.reset_envs(np.array([2]))
    assert not env.feet_stumble[2].any()
    env.close()


def test_unknown_reward_term_is_refused(small_task: TaskSpec) -> None:
    env = make_env(small_task, randomize=False)
    bad = replace(small_task, reward_weights={"fly": 1.0})
    from navila_loco_train import rewards

    with pytest.raises(ValueError, match="fly"):
        rewards.compute(env, bad)
    env.close()


def test_curriculum_promotes_walkers_and_demotes_stragglers(small_task: TaskSpec) -> None:
    """On the path walked (an arc counts): half a tile without a fall -> up; less than half the
    commanded path, or a fall -> down; standing when told to stand -> same level."""
    env = make_env(small_task, n=5, randomize=False)
    env.level[:] = [0, 1, 1, 1, 1]  # of 2 levels
    half_tile = 0.5 * small_task.terrain.tile_m
    env.path_m[:] = [half_tile + 0.1, 0.2, 0.0, half_tile + 0.1, 0.6 * half_tile]
    env.commanded_path_m[:] = [10.0, 10.0, 0.0, 10.0, half_tile]
    fell = np.array([False, False, False, True, False])
    env._update_curriculum(np.arange(5), fell)
    assert list(env.level) == [1, 0, 1, 0, 1]
    env.close()


def test_set_levels_respawns_every_robot_on_its_level(small_task: TaskSpec) -> None:
    """A resumed run's levels: one per robot, or drawn from them for another robot count."""
    env = make_env(small_task, n=6, randomize=False)
    tile = small_task.terrain.tile_m
    env.commands[:] = [1.0, 0.0, 0.0]
    env.command_timer[:] = 100.0
    for _ in range(5):  # mid-run: standing robots told to walk would be demoted by a curriculum
        env.step(np.zeros((6, 12)))  # move, but setting levels is not an episode end
    env.set_levels(np.array([1, 0, 1, 1, 0, 1]))
    assert env.level.tolist() == [1, 0, 1, 1, 0, 1]
    on_level = np.floor(env.base_pos[:, 0] / tile).astype(int)  # rows of tiles along x
    assert on_level.tolist() == env.level.tolist()
    assert np.all(env.episode_length == 0) and np.all(np.isfinite(env.policy_obs))
    env.set_levels(np.array([1, 1, 7]))  # 3 saved robots for 6, one beyond this curriculum
    assert set(env.level.tolist()) == {1}
    with pytest.raises(ValueError, match="levels"):
        env.set_levels(np.array([], dtype=int))
    env.close()


def test_the_odometer_counts_the_path_and_restarts_at_a_respawn(small_task: TaskSpec) -> None:
    env = make_env(small_task, n=2, randomize=False)
    env.commands[:] = [[0.5, 0.0, 0.0], [0.0, 0.0, 0.0]]
    env.command_timer[:] = 100.0
    for _ in range(10):
        env.step(np.zeros((2, 12)))
    assert np.all(env.path_m >= 0) and env.commanded_path_m[0] == pytest.approx(10 * 0.5 * env.dt)
    assert env.commanded_path_m[1] == 0.0
    env.reset_envs(np.array([0]))
    assert env.path_m[0] == 0.0 and env.commanded_path_m[0] == 0.0
    env.close()


def test_velocities_are_in_the_body_frame(small_task: TaskSpec) -> None:
    """Tracking rewards compare commands with body-frame velocities: walking along world +y
    while facing +y is forward walking; turning left is +wz."""
    env = make_env(small_task, n=1, randomize=False)
    yaw = math.pi / 2
    env.state[0, env.qpos0 + 3 : env.qpos0 + 7] = (math.cos(yaw / 2), 0, 0, math.sin(yaw / 2))
    env.state[0, env.qvel0 : env.qvel0 + 6] = (0.0, 0.5, 0.0, 0.0, 0.0, 0.3)
    env._read_state(np.zeros((1, env.tm.model.nsensordata)))
    np.testing.assert_allclose(env.lin_vel[0], [0.5, 0.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(env.ang_vel[0], [0.0, 0.0, 0.3], atol=1e-12)
    env.close()


def test_vision_env_feeds_909_inputs_with_terrain_height_maps(small_task: TaskSpec) -> None:
    """The vision config (config/go2.yaml as deployed): height maps from the terrain through the
    heightmap core, in the policy's slot, and the clean map for the critic."""
    from navila_loco_node.config import load_loco_config

    from .conftest import CONFIG_DIR

    loco = load_loco_config(CONFIG_DIR / "go2.yaml")
    env = LocoEnv(
        load_robot("go2"),
        loco,
        small_task,
        EnvConfig(
            num_envs=2,
            num_threads=1,
            num_variants=1,
            randomize=False,
            robot_config=str(CONFIG_DIR / "go2.yaml"),
        ),
    )
    policy_obs, critic_obs, *_ = env.step(np.zeros((2, 12)))
    single = ObservationBuilder(loco)
    assert policy_obs.shape == (2, 909) and critic_obs.shape == (2, 909 + 3 + 459)
    hm = {s.name: s for s in single.layout()}["height_map"]
    maps = policy_obs[:, hm.start : hm.stop]
    assert np.all(np.isfinite(maps))
    # standing on flat ground: the map sees the ground (values > 0, the depth below the LiDAR)
    assert np.mean(maps > 0) > 0.9
    np.testing.assert_allclose(critic_obs[:, 912:], maps, atol=1e-5)  # no noise here: equal
    env.close()


def test_height_maps_refresh_at_the_lidar_rate_and_on_reset(small_task: TaskSpec) -> None:
    """A robot's map is resampled every `height_map_period_steps` (staggered), and at once after a
    reset; training maps are thinned like a LiDAR scan (r_ref drawn per map)."""
    from navila_loco_node.config import load_loco_config

    from .conftest import CONFIG_DIR

    env = LocoEnv(
        load_robot("go2"),
        load_loco_config(CONFIG_DIR / "go2.yaml"),
        small_task,
        EnvConfig(
            num_envs=3, num_threads=1, num_variants=1, robot_config=str(CONFIG_DIR / "go2.yaml")
        ),
    )
    calls: list[tuple[list[int], np.ndarray | None]] = []
    sample = env.hm.sample

    def spy(terrain, pos, quat, r_ref=None, rng=None):  # type: ignore[no-untyped-def]
        ids = [int(np.flatnonzero(np.all(env.base_pos == p, axis=1))[0]) for p in pos]
        calls.append((ids, r_ref))
        return sample(terrain, pos, quat, r_ref, rng)

    env.hm.sample = spy  # type: ignore[method-assign]
    zero = np.zeros((3, 12))
    for _ in range(3):
        env.step(zero)
    assert [ids for ids, _ in calls] == [[2], [1], [0]]  # (steps + i) % 3 == 0, one per step
    lo, hi = small_task.randomization.height_map_density_range_m
    assert all(r is not None and lo <= float(r[0]) <= hi for _, r in calls)
    env.reset_envs(np.array([1]))
    env.step(zero)
    assert calls[-1][0] == [1, 2]  # the reset robot at once, robot 2 on its turn
    env.close()


def test_held_commands_survive_resamples_and_respawns(small_task: TaskSpec) -> None:
    env = make_env(small_task, n=4, randomize=False)
    env.hold_commands([0.0, 0.0, math.pi / 6])
    zero = np.zeros((env.n, env.num_actions))
    env.step(zero)
    turn = np.array([0.0, 0.0, math.pi / 6])
    assert np.allclose(env.commands, turn)
    obs_cmd = env.policy_obs[:, 6:9]  # base_ang_vel 3, base_rpy 3, then the command
    assert np.allclose(obs_cmd, turn)
    env.command_timer[:] = 0.0  # due for a resample: still the held command
    env.step(zero)
    assert np.allclose(env.commands, turn)
    roll = math.pi / 2  # robot 1 on its side: terminates and respawns
    env.state[1, env.qpos0 + 3 : env.qpos0 + 7] = (math.cos(roll / 2), math.sin(roll / 2), 0, 0)
    _, _, _, terminated, _ = env.step(zero)
    assert terminated[1]
    assert env.episode_length[1] == 0 and np.allclose(env.commands[1], turn)
    env.hold_commands(None)  # back to training commands at the next resample
    env.command_timer[:] = 0.0
    env.step(zero)
    assert not np.allclose(env.commands, turn)
    for bad in ([0.5, 0.0], [float("nan"), 0.0, 0.0]):
        with pytest.raises(ValueError, match="three finite numbers"):
            env.hold_commands(bad)
    env.close()


def test_deployed_command_draws(small_task: TaskSpec) -> None:
    c = small_task.commands
    task = replace(small_task, commands=replace(c, deploy_fraction=1.0, standing_fraction=0.0))
    env = make_env(task, n=64, randomize=False)
    got = {tuple(np.round(row, 6)) for row in env.commands}
    assert got == {tuple(np.round(d, 6)) for d in c.deploy_commands}  # all three, nothing else
    env.close()
    env = make_env(small_task, n=64, randomize=False)  # off by default: uniform draws
    assert not any(np.allclose(row, c.deploy_commands[0]) for row in env.commands)
    env.close()


def test_command_durations_drawn_from_the_resample_range(small_task: TaskSpec) -> None:
    """With resample_range_s each draw lasts a uniform time in the range (NaVILA's commands last
    1-3 s between stops); without it every draw lasts resample_s, as before."""
    c = replace(small_task.commands, resample_range_s=(1.0, 3.0))
    env = make_env(replace(small_task, commands=c), n=64, randomize=False)
    timers = env.command_timer.copy()
    assert np.all((timers >= 1.0) & (timers <= 3.0)) and np.ptp(timers) > 1.0
    first = env.commands.copy()
    zero = np.zeros((env.n, env.num_actions))
    steps = math.ceil(1.0 / env.dt) + 1  # past the shortest draw: those robots redrew
    for _ in range(steps):
        env.step(zero)
    redrawn = timers <= steps * env.dt
    assert redrawn.any() and not np.allclose(env.commands[redrawn], first[redrawn])
    assert np.all(env.command_timer <= 3.0)
    env.close()
    env = make_env(small_task, n=8, randomize=False)
    assert np.all(env.command_timer == small_task.commands.resample_s)
    env.close()
    for bad in ((0.0, 2.0), (3.0, 1.0), (1.0, 2.0, 3.0), ("1", 2.0)):
        with pytest.raises(ValueError, match="resample_range_s"):
            replace(small_task.commands, resample_range_s=bad)


def test_h1_spawns_on_its_feet_and_terminates_when_it_buckles() -> None:
    """The humanoid's flat box feet start on the ground (a box's half-height, not its
    half-length, below the site: was 9 cm in the air), and its config's fall height ends an
    episode the Go2's 0.18 m would let it crawl through."""
    from navila_loco_train.task_spec import TerrainSpec
    from navila_loco_train.train import build_env, load_train_config, task_from_config

    cfg = load_train_config("h1_vision")
    flat = TerrainSpec(types=("flat",), levels=1, tile_m=4.0)
    task = replace(task_from_config(cfg), terrain=flat)
    small = {"num_envs": 2, "num_threads": 1, "num_variants": 1, "randomize": False}
    env, _, _ = build_env(cfg, small, task)  # the trainer's own: feet, contacts, robot config
    # The spawn leaves a little clearance; 4 policy steps (80 ms) are 3 cm of free fall, the
    # old spawn's 11 cm took 150 ms.
    for _ in range(4):
        env.step(np.zeros((env.n, 19)))
    assert np.all(env.feet_contact)  # both feet down on every robot
    ground = env.terrain.height_at(env.base_pos[:, 0], env.base_pos[:, 1])
    assert np.all(env.base_pos[:, 2] - ground > task.terminations.min_base_height_m)
    # robot 0 upright but with its pelvis at 0.5 m (buckled): terminated by height alone
    env.state[0, env.qpos0 + 2] = ground[0] + 0.5
    env.state[0, env.qpos0 + 3 : env.qpos0 + 7] = (1.0, 0.0, 0.0, 0.0)
    _, _, _, terminated, _ = env.step(np.zeros((env.n, 19)))
    assert terminated[0] and not terminated[1]
    env.close()


@pytest.mark.parametrize("base_contact", [False, True])
def test_a_base_contact_ends_the_episode_only_when_the_task_says_so(
    small_task: TaskSpec, base_contact: bool
) -> None:
    """terminations.base_contact (legged_gym's terminate_after_contacts_on base, Isaac Lab's
    illegal_contact): robot 0 lowered onto its belly, with tilt and height limits out of the
    way so that only the contact can end it. Off, the model has no extra sensor at all (the
    shipped policies' runs stay as they were)."""
    terms = replace(
        small_task.terminations,
        max_tilt_rad=math.pi,
        min_base_height_m=0.0,
        base_contact=base_contact,
    )
    env = make_env(replace(small_task, terminations=terms), n=2, randomize=False)
    assert len(env.tm.base_contact_sensor) == (3 if base_contact else 0)
    ground = env.terrain.height_at(env.base_pos[:1, 0], env.base_pos[:1, 1])[0]
    env.state[0, env.qpos0 + 2] = ground + 0.04  # trunk half-height 0.057: on the floor
    _, _, _, terminated, _ = env.step(np.zeros((env.n, 12)))
    assert terminated.tolist() == [base_contact, False]
    env.close()


def test_humanoid_reward_terms_on_the_h1() -> None:
    """h1_vision's Isaac Lab humanoid terms: the biped air time pays the single-support phase
    (capped, only when told to move), feet_slide reads each grounded foot's world velocity from
    sensors built only for a task that weights it, joint_deviation_l1 weighs |q - q0| per joint
    as the config's patterns say."""
    from navila_loco_train import rewards
    from navila_loco_train.task_spec import TerrainSpec
    from navila_loco_train.train import build_env, load_train_config, task_from_config

    cfg = load_train_config("h1_vision")
    flat = TerrainSpec(types=("flat",), levels=1, tile_m=4.0)
    task = replace(task_from_config(cfg), terrain=flat)
    small = {"num_envs": 3, "num_threads": 1, "num_variants": 1, "randomize": False}
    env, loco, _ = build_env(cfg, small, task)
    for _ in range(4):
        env.step(np.zeros((env.n, 19)))
    assert np.all(env.feet_contact) and np.all(env.feet_contact_time > 0)
    terms = rewards.compute(env, task)
    assert {"feet_air_time_biped", "feet_slide", "joint_deviation_l1"} <= set(terms)
    assert "feet_air_time" not in terms  # the quadruped's term is off for the biped
    assert terms["feet_air_time_biped"].tolist() == [0.0, 0.0, 0.0]  # double support
    assert np.all(terms["feet_slide"] < 0.2)  # settling after the spawn, not walking (0.5 m/s)

    # single support on robots 0 and 1 (stance 0.3 s, swing 0.2 s / 0.7 s), both down on 2
    env.feet_contact[:] = [[True, False], [False, True], [True, True]]
    env.feet_contact_time[:] = [[0.3, 0.0], [0.0, 0.9], [0.5, 0.5]]
    env.feet_air_time[:] = [[0.0, 0.2], [0.7, 0.0], [0.0, 0.0]]
    env.commands[:] = [0.5, 0.0, 0.0]
    got = rewards.feet_air_time_biped(env, task)
    np.testing.assert_allclose(got, [0.2, 0.4, 0.0])  # the shorter of the two; capped at 0.4
    env.commands[1] = [0.0, 0.0, 0.05]  # told to stand: nothing
    np.testing.assert_allclose(rewards.feet_air_time_biped(env, task), [0.2, 0.0, 0.0])

    env.feet_vel[:] = [[3.0, 4.0, 9.0], [1.0, 0.0, 0.0]]  # the vertical part does not count
    np.testing.assert_allclose(rewards.feet_slide(env), [5.0, 1.0, 6.0])  # grounded feet only

    names = list(loco.joints.names)
    scale = dict(zip(names, env.joint_deviation_scale, strict=True))
    assert scale["left_hip_yaw_joint"] == scale["right_shoulder_roll_joint"] == 0.2
    assert scale["left_elbow_joint"] == 0.2 and scale["torso_joint"] == 0.1
    assert scale["left_knee_joint"] == scale["right_hip_pitch_joint"] == 0.0
    env.q[:] = env.default_pos
    env.q[0, names.index("torso_joint")] += 0.5
    env.q[1, names.index("left_knee_joint")] -= 0.5  # a walking joint: free
    env.q[2, names.index("right_elbow_joint")] -= 0.5
    np.testing.assert_allclose(rewards.joint_deviation_l1(env), [0.05, 0.0, 0.1])

    # the velocity sensors: world-frame linear velocity of each foot (a pure slide moves both)
    d = mujoco.MjData(env.tm.model)
    d.qpos[:] = env.tm.model.qpos0
    d.qvel[:2] = (0.7, -0.2)
    mujoco.mj_forward(env.tm.model, d)
    np.testing.assert_allclose(d.sensordata[env.tm.feet_vel_sensors], [[0.7, -0.2, 0.0]] * 2)
    env.close()


def test_foot_velocity_sensors_only_for_a_task_that_weights_feet_slide(
    small_task: TaskSpec,
) -> None:
    env = make_env(small_task, n=2, randomize=False)
    assert env.tm.feet_vel_sensors.shape == (0, 3)  # the Go2 models stay as they were
    assert "feet_slide" not in rewards_of(env, small_task)
    env.close()
    weights = {**small_task.reward_weights, "feet_slide": -0.25}
    env = make_env(replace(small_task, reward_weights=weights), n=2, randomize=False)
    assert env.tm.feet_vel_sensors.shape == (4, 3)
    env.step(np.zeros((2, 12)))
    assert env.feet_vel.shape == (2, 4, 3) and np.all(np.isfinite(env.feet_vel))
    env.close()


def rewards_of(env: LocoEnv, task: TaskSpec) -> dict[str, np.ndarray]:
    from navila_loco_train import rewards

    env.step(np.zeros((env.n, env.num_actions)))
    return rewards.compute(env, task)


def test_h1_height_map_turns_with_the_torso_like_the_deployed_lidar() -> None:
    """The deployed H1 map is built in its LiDAR's body frame, the torso, which turns on
    torso_joint; the trainer samples it there too (it was the pelvis's frame), on ground whose
    map changes when turned (ridges along world y)."""
    from navila_loco_train.heightmap import HeightMapSampler
    from navila_loco_train.task_spec import TerrainSpec
    from navila_loco_train.train import build_env, load_train_config, task_from_config

    cfg = load_train_config("h1_vision")
    task = replace(
        task_from_config(cfg), terrain=TerrainSpec(types=("flat",), levels=1, tile_m=4.0)
    )
    small = {"num_envs": 2, "num_threads": 1, "num_variants": 1, "randomize": False}
    env, _, _ = build_env(cfg, small, task)
    torso = list(env.loco.joints.names).index("torso_joint")
    assert env.map_yaw_joints.tolist() == [torso]
    env.q[:, torso] = (0.0, 0.6)
    yaw = rpy_from_quat_batch(env.map_frame_quat(np.arange(2)))[:, 2]
    base_yaw = rpy_from_quat_batch(env.quat)[:, 2]
    np.testing.assert_allclose(yaw - base_yaw, (0.0, 0.6), atol=1e-9)

    class Ridges:
        def height_at(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
            return (0.1 * np.sin(3.0 * x) + 0.0 * y).astype(np.float32)

    env.terrain = Ridges()
    env._map_due[:] = True
    maps = env.height_maps()
    sampler = HeightMapSampler(env.cfg.robot_config)
    turned = sampler.sample(Ridges(), env.base_pos, env.map_frame_quat(np.arange(2)))
    unturned = sampler.sample(Ridges(), env.base_pos, env.quat)
    np.testing.assert_allclose(maps, turned, atol=1e-6)
    assert np.abs(maps[1] - unturned[1]).max() > 0.05  # the torso's 0.6 rad shows
    np.testing.assert_allclose(maps[0], unturned[0], atol=1e-6)
    env.close()
