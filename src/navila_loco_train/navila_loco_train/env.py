"""Batched locomotion environment: N robots on the curriculum terrain, stepped with
`mujoco.rollout` on a thread pool, rewards/terminations/curriculum in numpy.

No torch here (the rsl-rl adapter is `vec_env.py`). Observations come from navila_loco_node's
`BatchObservationBuilder` built from the same config the deployed node reads, so the trained
policy's input layout cannot drift from deployment. The height map (vision policies) is the
terrain sampled at the policy's height-map cells - an exact vertical ray cast (see heightmap.py).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from navila_loco_node.config import LocoConfig
from navila_loco_node.observation import (
    BatchObservationBuilder,
    rotate_inverse_batch,
    turn_about_z_batch,
)
from navila_loco_train import rewards
from navila_loco_train.heightmap import HeightMapSampler, map_refresh_due
from navila_loco_train.inputs import input_names
from navila_loco_train.model import (
    CONTACT_MARGIN_M,
    TrainModel,
    build_train_model,
    make_variants,
)
from navila_loco_train.task_spec import (
    HEIGHT_MAP_PERIOD_STEPS,
    TaskSpec,
    feet_stumbling,
    joint_deviation_scales,
)
from navila_loco_train.terrain import SPAWN_HALF_M, make_terrain
from navila_sim.mujoco_gl import mujoco, rollout
from navila_sim.robot import RobotSpec
from navila_sim.sensor_mount import yaw_joints_to_site
from navila_sim.sim import shape_bottom_z


def map_frame_quat(
    base_quat_wxyz: np.ndarray, joint_pos: np.ndarray, yaw_joints: np.ndarray
) -> np.ndarray:
    """(N, 4) orientation of the body the LiDAR is on, the frame heightmap_node builds the
    deployed map in: the base's (N, 4) turned by the sum of the yaw joints' angles (policy
    indices into `joint_pos` (N, J); the H1's torso_joint, `yaw_joints_to_site`). Its origin is
    the base's."""
    if not len(yaw_joints):
        return base_quat_wxyz
    return turn_about_z_batch(base_quat_wxyz, joint_pos[:, yaw_joints].sum(axis=1))


@dataclass
class EnvConfig:
    num_envs: int = 64
    num_threads: int = 2
    num_variants: int = 16  # domain-randomised model copies shared by the envs
    variant_refresh_steps: int = 2000  # redraw one variant's parameters every this many steps
    physics_dt: float = 0.005
    decimation: int = 4
    feet: list[str] = field(default_factory=lambda: ["*_foot"])
    undesired_contacts: list[str] = field(default_factory=lambda: ["*_thigh"])
    contact_threshold_n: float = 1.0
    init_max_level: int = 2  # envs start on levels 0..this
    randomize: bool = True
    # The task's observation noise (TaskSpec.noise) on the policy's inputs; None: as
    # `randomize`. A probe of the nominal robot can still read the sensors as noisily as
    # training did (benchmarks/probe_drift.py --sensor-noise).
    observation_noise: bool | None = None
    seed: int = 0
    robot_config: str = ""  # config/<robot>.yaml: its heightmap_node section (vision policies)
    # Deployed maps arrive at the LiDAR's rate (navila_sim: 15 Hz), not the policy's 50 Hz: a
    # robot's map is refreshed every this many steps (robots staggered; a reset gets a fresh one).
    height_map_period_steps: int = HEIGHT_MAP_PERIOD_STEPS


class LocoEnv:
    """N robots; `step(actions)` -> (policy obs, critic obs, reward, terminated, timed_out)."""

    def __init__(self, robot: RobotSpec, loco: LocoConfig, task: TaskSpec, cfg: EnvConfig) -> None:
        self.robot, self.loco, self.task, self.cfg = robot, loco, task, cfg
        self.rng = np.random.default_rng(cfg.seed)
        self.n = cfg.num_envs
        self.terrain = make_terrain(task.terrain, seed=cfg.seed)
        self.tm: TrainModel = build_train_model(
            robot,
            loco,
            self.terrain,
            cfg.feet,
            cfg.undesired_contacts,
            cfg.physics_dt,
            base_contact=task.terminations.base_contact,
            feet_velocity=task.reward_weights.get("feet_slide", 0.0) != 0,
        )
        m = self.tm.model
        self.variants = make_variants(
            self.tm, loco, task.randomization, cfg.num_variants, self.rng, cfg.randomize
        )
        self.variant_of = np.arange(self.n) % cfg.num_variants
        self.models = [self.variants[v].model for v in self.variant_of]
        self.datas = [mujoco.MjData(m) for _ in range(cfg.num_threads)]
        self.runner = rollout.Rollout(nthread=cfg.num_threads)
        self.spec = mujoco.mjtState.mjSTATE_FULLPHYSICS
        self.nstate = mujoco.mj_stateSize(m, self.spec)
        self.qpos0 = 1  # FULLPHYSICS = time, qpos, qvel, act, ... (checked in tests)
        self.qvel0 = 1 + m.nq
        self.dt = cfg.physics_dt * cfg.decimation
        self.max_episode_length = round(task.terminations.episode_s / self.dt)
        self.obs = BatchObservationBuilder(loco, self.n)
        input_names(loco, task.critic_extra_terms)  # refuses unknown critic terms up front
        self.num_actions = loco.joints.n
        self.default_pos = np.asarray(loco.joints.default_pos)
        self.joint_deviation_scale = np.asarray(
            joint_deviation_scales(task.joint_deviation, list(loco.joints.names))
        )
        self.stand_height = self._stand_height()
        self.hm = (
            HeightMapSampler(cfg.robot_config, threads=cfg.num_threads)
            if self.obs.single.height_map_shape is not None
            else None
        )
        if self.hm is not None and self.hm.cfg.grid.size != self.obs.single.height_map_size:
            g = self.hm.cfg.grid
            raise ValueError(
                f"{cfg.robot_config}: heightmap_node's grid is {g.nx} x {g.ny} cells, the policy's "
                f"observation.height_map_preset takes {self.obs.single.height_map_shape}: the "
                "deployed node would refuse every map"
            )
        # The deployed map is built in the LiDAR's body frame (levelled): the H1's torso, which
        # turns on torso_joint. Policy indices of the joints between the base and that body.
        names = list(loco.joints.names)
        self.map_yaw_joints = np.array(
            [
                names.index(j)
                for j in yaw_joints_to_site(self.tm.model, robot.lidar_site, robot.base_body)
            ],
            dtype=np.int64,
        )
        if cfg.height_map_period_steps < 1:
            raise ValueError("height_map_period_steps must be >= 1")
        n, j = self.n, self.num_actions
        self._maps = (
            np.zeros((n, self.hm.cfg.grid.size), dtype=np.float32) if self.hm is not None else None
        )
        self._map_due = np.ones(n, dtype=bool)
        self.state = np.zeros((self.n, self.nstate))
        self.targets = np.tile(self.default_pos, (n, 1))
        self.prev_targets = self.targets.copy()
        self.actions = np.zeros((n, j))
        self.last_actions = np.zeros((n, j))
        self.last_dq = np.zeros((n, j))
        self.commands = np.zeros((n, 3))
        self.command_timer = np.zeros(n)
        self._held_command: np.ndarray | None = None  # hold_commands()
        self.delay = np.zeros(n, dtype=np.int64)
        self.feet_air_time = np.zeros((n, len(self.tm.feet_sensors)))
        self.feet_contact = np.zeros((n, len(self.tm.feet_sensors)), dtype=bool)
        self.feet_contact_time = np.zeros((n, len(self.tm.feet_sensors)))
        self.feet_vel = np.zeros((n, len(self.tm.feet_vel_sensors), 3))
        self.feet_stumble = np.zeros((n, len(self.tm.feet_sensors)), dtype=bool)
        self.last_feet_forces = np.zeros((n, cfg.decimation, len(self.tm.feet_sensors), 3))
        self.episode_length = np.zeros(n, dtype=np.int64)
        top = min(cfg.init_max_level, task.terrain.levels - 1)
        self.level = self.rng.integers(0, top + 1, size=n)
        self.type_idx = np.arange(n) % len(task.terrain.types)
        self.path_m = np.zeros(n)  # odometer since the spawn (the curriculum's measure)
        self.commanded_path_m = np.zeros(n)  # what the commands asked for over the same time
        self.push_timer = np.zeros(n)
        self.episode_sums = {k: np.zeros(n) for k, w in task.reward_weights.items() if w != 0}
        self.total_steps = 0
        self._checked = False
        self._state_out = np.zeros((self.n, cfg.decimation, self.nstate))
        self._sens_out = np.zeros((self.n, cfg.decimation, m.nsensordata))
        self.log: dict[str, float] = {}
        self._respawn_all()

    def _respawn_all(self) -> None:
        self.reset_envs(np.arange(self.n))
        self._read_state(np.zeros((self.n, self.tm.model.nsensordata)))
        self.policy_obs, self.critic_obs = self._observe()

    def set_levels(self, levels: np.ndarray) -> None:
        """Put the robots on these curriculum levels (a resumed run's) and respawn them all.

        One level per robot; a run with another robot count draws from the saved levels (their
        distribution is what matters). Levels beyond this curriculum are clipped into it.
        """
        levels = np.asarray(levels, dtype=int)
        if levels.ndim != 1 or levels.size == 0:
            raise ValueError("levels must be a non-empty 1-D array")
        if levels.size != self.n:
            levels = self.rng.choice(levels, size=self.n)
        self.level[:] = np.clip(levels, 0, self.task.terrain.levels - 1)
        self._respawn_all()

    # ------------------------------------------------------------------ state access
    def _read_state(self, sens: np.ndarray) -> None:
        s = self.state
        qp, qv = self.qpos0, self.qvel0
        self.base_pos = s[:, qp : qp + 3]
        self.quat = s[:, qp + 3 : qp + 7]
        self.lin_vel_world = s[:, qv : qv + 3]
        self.ang_vel = s[:, qv + 3 : qv + 6]  # free joint: body-frame angular velocity
        self.lin_vel = rotate_inverse_batch(self.quat, self.lin_vel_world)
        self.gravity = rotate_inverse_batch(self.quat, np.array([0.0, 0.0, -1.0]))
        self.q = s[:, qp + self.tm.qadr]
        self.dq = s[:, qv + self.tm.vadr]
        self.sens = sens

    # ------------------------------------------------------------------ reset
    def _sample_commands(self, ids: np.ndarray) -> None:
        c = self.task.commands
        k = len(ids)
        cmd = np.stack(
            [
                self.rng.uniform(*c.vx, size=k),
                self.rng.uniform(*c.vy, size=k),
                self.rng.uniform(*c.wz, size=k),
            ],
            axis=1,
        )
        turn = self.rng.random(k) < c.turn_in_place_fraction
        if turn.any():
            c.turn_in_place(cmd, turn, self.rng.random(k), self.rng.random(k) < 0.5)
        if c.deploy_fraction > 0:  # (no draws when off: older runs replay unchanged)
            pick = self.rng.random(k) < c.deploy_fraction
            c.deployed(cmd, pick, self.rng.integers(0, len(c.deploy_commands), size=k))
        cmd[self.rng.random(k) < c.standing_fraction] = 0.0
        if self._held_command is not None:
            cmd[:] = self._held_command
        self.commands[ids] = cmd
        if c.resample_range_s is None:  # (no draws when fixed: older runs replay unchanged)
            self.command_timer[ids] = c.resample_s
        else:
            self.command_timer[ids] = self.rng.uniform(*c.resample_range_s, size=k)

    def hold_commands(self, command: Sequence[float] | None) -> None:
        """Command every robot (vx, vy, wz) from now on, respawns included; None goes back to
        the training commands at each robot's next resample.

        For probing a trained policy with fixed commands (benchmarks/probe_drift.py). The robots
        see the command from the next step's observation on (one control step later: building
        an observation now would push an extra frame into the proprio history).
        """
        if command is None:
            self._held_command = None
            return
        cmd = np.asarray(command, dtype=float)
        if cmd.shape != (3,) or not np.all(np.isfinite(cmd)):
            raise ValueError(f"a held command is three finite numbers (vx, vy, wz): {command!r}")
        self._held_command = cmd
        self.commands[:] = cmd
        self.command_timer[:] = self.task.commands.resample_s

    def _update_curriculum(self, ids: np.ndarray, fell: np.ndarray) -> None:
        """Promote robots that walked half a tile of path without falling; demote those that
        fell or walked less than half of their commanded path (see TerrainSpec)."""
        t = self.task.terrain
        up, down = t.level_moves(self.path_m[ids], self.commanded_path_m[ids], fell)
        lvl = self.level[ids] + up.astype(int) - down.astype(int)
        top = lvl >= t.levels  # solved the hardest level: anywhere again
        lvl[top] = self.rng.integers(0, t.levels, size=int(top.sum()))
        self.level[ids] = np.clip(lvl, 0, t.levels - 1)

    def reset_envs(self, ids: np.ndarray) -> None:
        """Respawn robots `ids` on their current levels (the curriculum moves them first, in
        `step`, when their episodes end)."""
        if len(ids) == 0:
            return
        m = self.tm.model
        self.path_m[ids] = 0.0
        self.commanded_path_m[ids] = 0.0
        k = len(ids)
        center = self.terrain.tile_center(self.level[ids], self.type_idx[ids])
        xy = center + self.rng.uniform(-SPAWN_HALF_M * 0.8, SPAWN_HALF_M * 0.8, size=(k, 2))
        yaw = self.rng.uniform(-math.pi, math.pi, size=k)
        ground = self.terrain.height_at(xy[:, 0], xy[:, 1])
        s = np.zeros((k, self.nstate))
        qpos = np.tile(m.qpos0, (k, 1))
        qpos[:, 0:2] = xy
        qpos[:, 2] = ground + self.stand_height + 0.02
        qpos[:, 3] = np.cos(yaw / 2)
        qpos[:, 6] = np.sin(yaw / 2)
        qpos[:, self.tm.qadr] = self.default_pos + self.rng.uniform(
            -0.05, 0.05, size=(k, self.num_actions)
        )
        s[:, self.qpos0 : self.qpos0 + m.nq] = qpos
        self.state[ids] = s
        self.targets[ids] = self.default_pos
        self.prev_targets[ids] = self.default_pos
        self.actions[ids] = 0.0
        self.last_actions[ids] = 0.0
        self.last_dq[ids] = 0.0
        self.feet_air_time[ids] = 0.0
        self.feet_contact[ids] = False
        self.feet_contact_time[ids] = 0.0
        self.feet_stumble[ids] = False
        self.episode_length[ids] = 0
        lo, hi = self.task.randomization.actuator_delay_steps
        self.delay[ids] = self.rng.integers(lo, hi + 1, size=k) if self.cfg.randomize else 0
        self.push_timer[ids] = self.task.randomization.push_interval_s
        self._sample_commands(ids)
        self.obs.reset(ids)
        self._map_due[ids] = True
        for key in self.episode_sums:
            self.episode_sums[key][ids] = 0.0

    def _stand_height(self) -> float:
        """Base height above the ground at the default pose (from the model's kinematics): the
        lowest foot touch site, less the margin the sites were grown by, is the ground."""
        m = self.tm.model
        d = mujoco.MjData(m)
        d.qpos[:] = m.qpos0
        d.qpos[2] = 1.0
        d.qpos[3:7] = (1, 0, 0, 0)
        d.qpos[self.tm.qadr] = self.default_pos
        mujoco.mj_kinematics(m, d)
        feet = [
            m.sensor_objid[sid]
            for sid in range(m.nsensor)
            if m.sensor_type[sid] == mujoco.mjtSensor.mjSENS_TOUCH
            and mujoco.mj_id2name(m, mujoco.mjtObj.mjOBJ_SENSOR, sid).startswith("touch_foot")
        ]
        bottoms = [
            shape_bottom_z(m.site_type[f], m.site_size[f], d.site_xpos[f], d.site_xmat[f])
            for f in feet
        ]
        if not all(math.isfinite(z) for z in bottoms):
            raise ValueError("foot touch sites must be spheres, capsules, boxes or cylinders")
        lowest = min(bottoms) + CONTACT_MARGIN_M
        return 1.0 - lowest

    # ------------------------------------------------------------------ step
    def step(
        self, actions: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        cfg, m = self.cfg, self.tm.model
        clip = self.loco.action_clip
        a = np.clip(np.nan_to_num(actions, nan=0.0), -clip, clip)
        self.last_actions = self.actions
        self.actions = a
        self.prev_targets = self.targets
        self.targets = np.clip(
            self.default_pos + self.loco.action_scale * a, self.tm.pos_min, self.tm.pos_max
        )
        ctrl = np.zeros((self.n, cfg.decimation, m.nu))
        act = self.tm.act_of_policy
        for k in range(cfg.decimation):
            late = k < self.delay  # actuator delay: the old targets for the first steps
            ctrl[:, k, act] = np.where(late[:, None], self.prev_targets, self.targets)
        states, sens = self.runner.rollout(
            self.models,
            self.datas,
            self.state,
            ctrl,
            nstep=cfg.decimation,
            skip_checks=self._checked,  # shapes never change after the first, checked call
            state=self._state_out,
            sensordata=self._sens_out,
        )
        self._checked = True
        self.state = states[:, -1, :].copy()
        self.last_dq = self.dq.copy()
        self._read_state(sens)
        self.total_steps += 1
        self.episode_length += 1

        # contacts over the control period
        touch = sens[:, :, self.tm.feet_sensors].max(axis=1)
        contact = touch > cfg.contact_threshold_n
        first_contact = contact & (self.feet_air_time > 0)
        self.feet_air_time_at_contact = np.where(first_contact, self.feet_air_time, 0.0)
        self.first_contact = first_contact
        self.feet_air_time = np.where(contact, 0.0, self.feet_air_time + self.dt)
        self.feet_contact_time = np.where(contact, self.feet_contact_time + self.dt, 0.0)
        self.feet_contact = contact
        if len(self.tm.feet_vel_sensors):  # the period's last physics step
            self.feet_vel = sens[:, -1, self.tm.feet_vel_sensors]
        # (n, physics steps, feet, 3): world-frame net contact force of each foot, every step
        self.last_feet_forces = sens[:, :, self.tm.feet_force_sensors]
        self.feet_stumble = feet_stumbling(self.last_feet_forces, cfg.contact_threshold_n).any(1)
        if len(self.tm.undesired_sensors):
            self.undesired = (
                sens[:, :, self.tm.undesired_sensors].max(axis=1) > cfg.contact_threshold_n
            )
        else:
            self.undesired = np.zeros((self.n, 0), dtype=bool)
        self.torques = sens[:, -1, self.tm.force_sensors]
        self.joint_acc = (self.dq - self.last_dq) / self.dt

        # rewards
        reward = self._add_terms(np.zeros(self.n), rewards.compute(self, self.task))
        if self.task.only_positive_rewards:
            reward = np.maximum(reward, 0.0)

        # terminations
        tspec = self.task.terminations
        tilt = np.arccos(np.clip(-self.gravity[:, 2], -1.0, 1.0))
        ground = self.terrain.height_at(self.base_pos[:, 0], self.base_pos[:, 1])
        bad = ~np.all(np.isfinite(self.state), axis=1)
        terminated = (
            (tilt > tspec.max_tilt_rad)
            | (self.base_pos[:, 2] - ground < tspec.min_base_height_m)
            | bad
        )
        if len(self.tm.base_contact_sensor):  # any physics step of the control period
            base_force = np.linalg.norm(sens[:, :, self.tm.base_contact_sensor], axis=-1)
            terminated |= base_force.max(axis=1) > cfg.contact_threshold_n
        reward = self._add_terms(reward, rewards.after_clip(self.task, terminated))
        timed_out = self.episode_length >= self.max_episode_length
        done = terminated | timed_out
        self.path_m += np.linalg.norm(self.lin_vel_world[:, :2], axis=1) * self.dt
        self.commanded_path_m += np.linalg.norm(self.commands[:, :2], axis=1) * self.dt
        ended = np.flatnonzero(done)
        if len(ended):
            self._log_episodes(ended)
            self._update_curriculum(ended, terminated[ended])
            self.reset_envs(ended)

        # commands and pushes
        self.command_timer -= self.dt
        self._sample_commands(np.flatnonzero(self.command_timer <= 0))
        self._pushes()
        if self.total_steps % self.cfg.variant_refresh_steps == 0 and self.cfg.randomize:
            self._refresh_variant()
        self._read_state(sens)
        self.policy_obs, self.critic_obs = self._observe()
        return self.policy_obs, self.critic_obs, reward, terminated, timed_out

    def _add_terms(self, reward: np.ndarray, terms: dict[str, np.ndarray]) -> np.ndarray:
        """`reward` plus the weighted terms (weights per second, times the policy dt); the
        episode sums the log reports take them too."""
        for key, value in terms.items():
            w = self.task.reward_weights[key] * self.dt
            reward = reward + w * value
            self.episode_sums[key] += w * value
        return reward

    def _pushes(self) -> None:
        dr = self.task.randomization
        self.push_timer -= self.dt
        ids = np.flatnonzero(self.push_timer <= 0)
        if len(ids) and self.cfg.randomize:
            v = dr.push_velocity_mps
            self.state[ids, self.qvel0 : self.qvel0 + 2] += self.rng.uniform(
                -v, v, size=(len(ids), 2)
            )
        self.push_timer[ids] = dr.push_interval_s

    def _refresh_variant(self) -> None:
        """Redraw one variant (round robin) so the randomisation covers more than `count` draws."""
        k = (self.total_steps // self.cfg.variant_refresh_steps) % len(self.variants)
        fresh = make_variants(self.tm, self.loco, self.task.randomization, 1, self.rng)[0]
        self.variants[k] = fresh
        self.models = [self.variants[v].model for v in self.variant_of]

    def _log_episodes(self, ids: np.ndarray) -> None:
        if len(ids) == 0:
            return
        ep_s = self.task.terminations.episode_s
        log = {f"/rewards/{k}": float(np.mean(v[ids]) / ep_s) for k, v in self.episode_sums.items()}
        log["/curriculum/terrain_level"] = float(np.mean(self.level))
        self.log = log

    # ------------------------------------------------------------------ observations
    def height_maps(self) -> np.ndarray | None:
        """(N, cells) current maps; the robots due (see `height_map_period_steps`) resampled."""
        if self.hm is None or self._maps is None:
            return None
        k = self.cfg.height_map_period_steps
        due = self._map_due | map_refresh_due(self.total_steps, np.arange(self.n), k)
        ids = np.flatnonzero(due)
        if len(ids):
            r_ref = None
            if self.cfg.randomize:
                lo, hi = self.task.randomization.height_map_density_range_m
                r_ref = self.rng.uniform(lo, hi, size=len(ids)).astype(np.float32)
            self._maps[ids] = self.hm.sample(
                self.terrain, self.base_pos[ids], self.map_frame_quat(ids), r_ref, self.rng
            )
        self._map_due[:] = False
        return self._maps.copy()

    def map_frame_quat(self, ids: np.ndarray) -> np.ndarray:
        """(len(ids), 4) orientation of the body the LiDAR is on (see `map_frame_quat`)."""
        return map_frame_quat(self.quat[ids], self.q[ids], self.map_yaw_joints)

    def _observe(self) -> tuple[np.ndarray, np.ndarray]:
        hm = self.height_maps()
        noise = None
        noisy = self.cfg.observation_noise
        if self.cfg.randomize if noisy is None else noisy:
            nz = self.task.noise
            noise = {k: getattr(nz, k) for k in nz.__dataclass_fields__}
        common = {
            "joint_pos": self.q,
            "joint_vel": self.dq,
            "quat_wxyz": self.quat,
            "ang_vel": self.ang_vel,
            "command": self.commands,
            "last_action": self.actions,
            "lin_vel": self.lin_vel,
        }
        policy = self.obs.build(**common, height_map=hm, noise=noise, rng=self.rng)
        extra = {"base_lin_vel": self.lin_vel}  # input_names() has checked the terms
        parts = [policy] + [extra[t].astype(np.float32) for t in self.task.critic_extra_terms]
        if hm is not None:
            parts.append(np.clip(hm, -10, 10).astype(np.float32))
        return policy, np.concatenate(parts, axis=1)

    def close(self) -> None:
        self.runner.close()
        if self.hm is not None:
            self.hm.close()
