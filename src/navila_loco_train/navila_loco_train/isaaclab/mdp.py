"""Custom Isaac Lab manager terms of the NaVILA Go2 tasks - NOT RUNNABLE ON THIS MACHINE.

Needs Isaac Lab 2.3 (imported only inside a running simulator); importing it here raises
ImportError ("... needs Isaac Lab; not installed here"). The math lives in ``kernels.py`` (tested
here against the deployed code); the functions below only read simulator state and call it.

Isaac Lab API used (names checked against the Isaac Lab 2.3 sources and API docs,
isaac-sim.github.io/IsaacLab/v2.3.1/source/api/lab/isaaclab.envs.mdp.html):

* ``isaaclab.managers.ManagerTermBase`` - class-based terms: built with ``(cfg, env)``, called
  with ``(env, [env_ids,] **params)``, ``reset(env_ids)`` called by the observation manager;
* ``isaaclab.envs.mdp`` observation functions ``base_lin_vel``, ``base_ang_vel``,
  ``projected_gravity``, ``generated_commands``, ``joint_pos_rel``, ``joint_vel_rel``,
  ``last_action`` (reused for the history frames so they equal the policy terms);
* ``Articulation.data.root_pos_w / root_quat_w (w, x, y, z) / joint_pos / default_joint_pos``,
  ``Articulation.data.body_lin_vel_w`` ((N, bodies, 3), world frame),
  ``Articulation.actuators[...]`` with ``stiffness`` / ``effort_limit`` (explicit actuators);
* ``ContactSensor.compute_first_contact(dt)``, ``ContactSensor.data.last_air_time``,
  ``current_air_time`` / ``current_contact_time`` ((N, bodies) s, ``track_air_time=True``),
  ``net_forces_w_history`` ((N, T, bodies, 3), newest first);
* ``RayCaster.data.ray_hits_w`` (inf for rays that hit nothing);
* ``TerrainImporter.update_env_origins(env_ids, move_up, move_down)`` / ``terrain_levels``;
* ``isaaclab.terrains.height_field.utils.height_field_to_mesh`` and ``HfTerrainBaseCfg`` for
  the curriculum tiles;
* ``isaaclab.envs.mdp.UniformVelocityCommand`` (``vel_command_b``, ``_resample_command``,
  ``_update_metrics``, ``metrics``: summed every step, averaged into the log and zeroed by the
  command manager's reset, which runs after the curriculum's) and ``UniformVelocityCommandCfg``
  (``class_type``);
* ``ManagerBasedRLEnv.load_managers`` / ``reward_manager``, ``RewardManager.compute(dt)``,
  ``termination_manager.terminated`` (ended by a termination term, time-outs excluded),
  ``common_step_counter``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import MISSING

import numpy as np
import torch

from navila_loco_train.heightmap import lidar_keep, map_refresh_due
from navila_loco_train.isaaclab import check_isaaclab_version, isaaclab_import_error, kernels
from navila_loco_train.rewards import AFTER_CLIP
from navila_loco_train.task_spec import CommandSpec, TerrainSpec, feet_stumbling

try:
    import isaaclab.envs.mdp as il_mdp
    from isaaclab.actuators import ImplicitActuator
    from isaaclab.envs import ManagerBasedEnv, ManagerBasedRLEnv
    from isaaclab.envs.mdp import UniformVelocityCommand, UniformVelocityCommandCfg
    from isaaclab.managers import (
        EventTermCfg,
        ManagerTermBase,
        ObservationTermCfg,
        RewardManager,
        SceneEntityCfg,
    )
    from isaaclab.terrains.height_field.hf_terrains_cfg import HfTerrainBaseCfg
    from isaaclab.terrains.height_field.utils import height_field_to_mesh
    from isaaclab.utils import configclass
except ImportError as exc:
    raise isaaclab_import_error(__name__, exc) from exc

check_isaaclab_version()


# ------------------------------------------------------------------------------ observations
def base_rpy(env: ManagerBasedEnv, asset_cfg: SceneEntityCfg) -> torch.Tensor:
    """Base roll, pitch, yaw from the root orientation (legged-loco's ``base_rpy`` term)."""
    asset = env.scene[asset_cfg.name]
    return kernels.rpy_from_quat(asset.data.root_quat_w)


class HeightMap(ManagerTermBase):
    """The vision policy's height map, built as heightmap_node builds it from a LiDAR cloud.

    The points are the terrain's top surface under a vertical ray lattice around the robot (the
    ``height_scanner`` ray caster - what the MuJoCo trainer samples too), taken from the frame of
    the LiDAR's body (``asset_cfg``'s one body: the base, or the H1's torso, which turns on
    torso_joint - heightmap_node builds the deployed map in that body's frame) into the policy's
    grid frame (levelled first with ``gravity_align``) and reduced per cell by
    ``kernels.height_map``. As in the MuJoCo trainer
    (``LocoEnv.height_maps``), each env's map is rebuilt every ``period_steps`` policy steps
    (the LiDAR's rate; envs staggered by index, every env fresh after a reset) and, with a
    ``density_range``, its points are thinned like a LiDAR scan with an r_ref drawn per map;
    in between the env keeps its last map. A second call in the same step returns the same maps.
    """

    def __init__(self, cfg: ObservationTermCfg, env: ManagerBasedEnv) -> None:
        super().__init__(cfg, env)
        if int(cfg.params.get("period_steps", 1)) < 1:
            raise ValueError("height map period_steps must be >= 1")
        self._maps: torch.Tensor | None = None
        self._due = torch.ones(env.num_envs, dtype=torch.bool, device=env.device)
        self._index = torch.arange(env.num_envs, device=env.device)
        self._step: int | None = None

    def reset(self, env_ids: Sequence[int] | torch.Tensor | None = None) -> None:
        if env_ids is None:
            self._due[:] = True
        else:
            self._due[env_ids] = True

    def __call__(
        self,
        env: ManagerBasedEnv,
        sensor_cfg: SceneEntityCfg,
        asset_cfg: SceneEntityCfg,
        map_cfg: dict,
        grid_pos: Sequence[float],
        grid_quat_wxyz: Sequence[float],
        period_steps: int = 1,
        density_range: Sequence[float] | None = None,
        gravity_align: bool = False,
    ) -> torch.Tensor:
        step = int(getattr(env, "common_step_counter", 0))
        if step != self._step:
            self._due |= map_refresh_due(step, self._index, int(period_steps))
            self._step = step
        ids = self._due.nonzero().squeeze(-1)
        if len(ids):
            sensor = env.scene.sensors[sensor_cfg.name]
            robot = env.scene[asset_cfg.name]
            hits = sensor.data.ray_hits_w[ids]
            pos = torch.tensor(grid_pos, dtype=hits.dtype, device=hits.device)
            quat = torch.tensor(grid_quat_wxyz, dtype=hits.dtype, device=hits.device)
            body = asset_cfg.body_ids[0]  # the LiDAR's body (resolved from body_names)
            points = kernels.points_in_grid_frame(
                hits,
                robot.data.body_pos_w[ids, body],
                robot.data.body_quat_w[ids, body],
                pos,
                quat,
                gravity_align=bool(gravity_align),
            )
            if density_range is not None:
                lo, hi = float(density_range[0]), float(density_range[1])
                r_ref = torch.empty(len(ids), dtype=points.dtype, device=points.device)
                r_ref.uniform_(lo, hi)
                keep = lidar_keep(points, r_ref, torch.rand_like(points[..., 0]))
                points = torch.where(keep[..., None], points, torch.full_like(points, np.nan))
            maps = kernels.height_map(points, **map_cfg)
            if self._maps is None:
                self._maps = maps.new_zeros((env.num_envs, maps.shape[1]))
            self._maps[ids] = maps
            self._due[:] = False
        if self._maps is None:
            raise RuntimeError("height map asked for before any env was due")
        return self._maps.clone()


FrameFunc = Callable[[ManagerBasedEnv, SceneEntityCfg, str], torch.Tensor]


def _frame_funcs() -> dict[str, FrameFunc]:
    """History frame terms -> the same functions the policy group uses for them."""
    return {
        "base_lin_vel": lambda env, a, _c: il_mdp.base_lin_vel(env, asset_cfg=a),
        "base_ang_vel": lambda env, a, _c: il_mdp.base_ang_vel(env, asset_cfg=a),
        "projected_gravity": lambda env, a, _c: il_mdp.projected_gravity(env, asset_cfg=a),
        "base_rpy": lambda env, a, _c: base_rpy(env, asset_cfg=a),
        "velocity_command": lambda env, _a, c: il_mdp.generated_commands(env, command_name=c),
        "joint_pos_rel": lambda env, a, _c: il_mdp.joint_pos_rel(env, asset_cfg=a),
        "joint_vel_rel": lambda env, a, _c: il_mdp.joint_vel_rel(env, asset_cfg=a),
        "last_action": lambda env, _a, _c: il_mdp.last_action(env),
    }


class ProprioHistory(ManagerTermBase):
    """The last ``history_length`` proprio frames, oldest first, the current one last.

    One frame = the ``terms`` as the policy group computes them (same functions, uniform noise of
    the same half-widths when ``corrupt``, same scale and clip); a fresh episode's history is
    copies of its first frame. See ``kernels.HistoryBuffer``.
    """

    def __init__(self, cfg: ObservationTermCfg, env: ManagerBasedRLEnv) -> None:
        super().__init__(cfg, env)
        p = cfg.params
        funcs = _frame_funcs()
        unknown = [t for t in p["terms"] if t not in funcs]
        if unknown:
            raise ValueError(f"proprio history: unknown terms {unknown}; known {sorted(funcs)}")
        lengths = {len(p["terms"]), len(p["noise"]), len(p["scale"]), len(p["clip"])}
        if len(lengths) != 1:
            raise ValueError("proprio history: terms, noise, scale and clip must align")
        self._funcs = [funcs[t] for t in p["terms"]]
        self._buffer = kernels.HistoryBuffer(env.num_envs, int(p["history_length"]), env.device)

    def reset(self, env_ids: Sequence[int] | torch.Tensor | None = None) -> None:
        self._buffer.mark_fresh(env_ids)

    def __call__(
        self,
        env: ManagerBasedRLEnv,
        history_length: int,
        terms: Sequence[str],
        noise: Sequence[float],
        scale: Sequence[float],
        clip: Sequence[float],
        corrupt: bool,
        command_name: str,
        asset_cfg: SceneEntityCfg,
    ) -> torch.Tensor:
        parts = []
        for func, half_width, s, c in zip(self._funcs, noise, scale, clip, strict=True):
            x = func(env, asset_cfg, command_name)
            if corrupt and half_width > 0:
                x = x + (2.0 * torch.rand_like(x) - 1.0) * half_width
            x = x * s
            if c > 0:
                x = x.clamp(-c, c)
            parts.append(x)
        frame = torch.cat(parts, dim=1)
        step = getattr(env, "common_step_counter", None)
        return self._buffer.push(frame, step).clone()


# ------------------------------------------------------------------------------ rewards
def feet_air_time(
    env: ManagerBasedRLEnv,
    command_name: str,
    sensor_cfg: SceneEntityCfg,
    threshold: float,
    command_small: float,
) -> torch.Tensor:
    """Air time beyond ``threshold`` at each touchdown, when told to move.

    Unlike Isaac Lab's locomotion ``feet_air_time`` (|v_xy| > 0.1), "moving" includes turning in
    place (|(vx, vy, wz)| > small), as in the MuJoCo trainer.
    """
    sensor = env.scene.sensors[sensor_cfg.name]
    first_contact = sensor.compute_first_contact(env.step_dt)[:, sensor_cfg.body_ids]
    last_air_time = sensor.data.last_air_time[:, sensor_cfg.body_ids]
    command = env.command_manager.get_command(command_name)
    return kernels.feet_air_time_reward(
        last_air_time, first_contact, threshold, command, command_small
    )


def feet_air_time_biped(
    env: ManagerBasedRLEnv,
    command_name: str,
    sensor_cfg: SceneEntityCfg,
    threshold: float,
    command_small: float,
) -> torch.Tensor:
    """The humanoid air-time reward (``kernels.feet_air_time_biped_reward``): in single
    support, the shorter of the feet's current air / contact times, capped at ``threshold``.

    Isaac Lab's ``feet_air_time_positive_biped``, a foot in contact when its current contact
    time is positive (as there); "moving" is |(vx, vy, wz)| > small, as in the MuJoCo trainer.
    """
    sensor = env.scene.sensors[sensor_cfg.name]
    air_time = sensor.data.current_air_time[:, sensor_cfg.body_ids]
    contact_time = sensor.data.current_contact_time[:, sensor_cfg.body_ids]
    return kernels.feet_air_time_biped_reward(
        air_time,
        contact_time,
        contact_time > 0.0,
        threshold,
        env.command_manager.get_command(command_name),
        command_small,
    )


def feet_slide(
    env: ManagerBasedRLEnv,
    sensor_cfg: SceneEntityCfg,
    threshold: float,
    asset_cfg: SceneEntityCfg,
) -> torch.Tensor:
    """Horizontal speed of each grounded foot, summed (``kernels.feet_slide_penalty``).

    A foot is grounded when its contact force exceeded ``threshold`` in the sensor's history
    (the control period's physics steps, as the MuJoCo trainer's contact flag); ``sensor_cfg``
    and ``asset_cfg`` must name the same feet in the same order (one body regex for both).
    """
    sensor = env.scene.sensors[sensor_cfg.name]
    forces = sensor.data.net_forces_w_history[:, :, sensor_cfg.body_ids]  # (N, T, feet, 3)
    in_contact = torch.linalg.norm(forces, dim=-1).amax(dim=1) > threshold
    robot = env.scene[asset_cfg.name]
    foot_vel_xy = robot.data.body_lin_vel_w[:, asset_cfg.body_ids, :2]
    if foot_vel_xy.shape[1] != in_contact.shape[1]:
        raise ValueError(
            f"feet_slide: {in_contact.shape[1]} feet in the contact sensor, "
            f"{foot_vel_xy.shape[1]} in the robot"
        )
    return kernels.feet_slide_penalty(foot_vel_xy, in_contact)


def joint_deviation_l1(
    env: ManagerBasedRLEnv, scales: Sequence[float], asset_cfg: SceneEntityCfg
) -> torch.Tensor:
    """sum_j scale_j |q_j - q0_j| (``kernels.joint_deviation_l1``).

    ``asset_cfg`` must list the joints in the order of ``scales`` (policy order,
    ``preserve_order=True``).
    """
    robot = env.scene[asset_cfg.name]
    ids = asset_cfg.joint_ids
    q = robot.data.joint_pos[:, ids]
    s = torch.tensor(scales, dtype=q.dtype, device=q.device)
    if s.numel() != q.shape[1]:
        raise ValueError(f"joint_deviation_l1: {q.shape[1]} joints but {s.numel()} scales")
    return kernels.joint_deviation_l1(q, robot.data.default_joint_pos[:, ids], s)


def stand_still(
    env: ManagerBasedRLEnv,
    command_name: str,
    command_small: float,
    asset_cfg: SceneEntityCfg,
) -> torch.Tensor:
    """sum |q - q0| while told to stand."""
    robot = env.scene[asset_cfg.name]
    ids = asset_cfg.joint_ids
    return kernels.stand_still_penalty(
        robot.data.joint_pos[:, ids],
        robot.data.default_joint_pos[:, ids],
        env.command_manager.get_command(command_name),
        command_small,
    )


def joint_pos_limits(
    env: ManagerBasedRLEnv,
    lower: Sequence[float],
    upper: Sequence[float],
    asset_cfg: SceneEntityCfg,
) -> torch.Tensor:
    """How far the joints are outside the deployed limits (config/<robot>.yaml pos_min/max).

    ``asset_cfg`` must list the joints in the order of ``lower`` / ``upper`` (policy order,
    ``preserve_order=True``).
    """
    robot = env.scene[asset_cfg.name]
    q = robot.data.joint_pos[:, asset_cfg.joint_ids]
    lo = torch.tensor(lower, dtype=q.dtype, device=q.device)
    hi = torch.tensor(upper, dtype=q.dtype, device=q.device)
    if lo.numel() != q.shape[1] or hi.numel() != q.shape[1]:
        raise ValueError(f"joint_pos_limits: {q.shape[1]} joints but {lo.numel()} limits")
    return kernels.joint_limit_violation(q, lo, hi)


def feet_stumble(
    env: ManagerBasedRLEnv, sensor_cfg: SceneEntityCfg, ratio: float, threshold: float
) -> torch.Tensor:
    """1 when a foot's contact force was more sideways than downwards in the sensor's history
    (the last physics steps), as the MuJoCo trainer's feet_stumble over a control period."""
    sensor = env.scene.sensors[sensor_cfg.name]
    forces = sensor.data.net_forces_w_history[:, :, sensor_cfg.body_ids]  # (N, T, feet, 3)
    hit = feet_stumbling(forces, threshold, ratio)
    return hit.flatten(1).any(dim=1).to(forces.dtype)


# ------------------------------------------------------------------------------ terminations
def base_height_below(
    env: ManagerBasedRLEnv,
    minimum_height: float,
    sensor_cfg: SceneEntityCfg,
    asset_cfg: SceneEntityCfg,
) -> torch.Tensor:
    """Base closer than ``minimum_height`` to the ground below it (a vertical ray under the base).

    Envs whose ray hit nothing (off the terrain) are not terminated by this term.
    """
    sensor = env.scene.sensors[sensor_cfg.name]
    robot = env.scene[asset_cfg.name]
    ground_z = sensor.data.ray_hits_w[..., 2]
    hit = torch.isfinite(ground_z)
    mean_ground = torch.where(hit, ground_z, torch.zeros_like(ground_z)).sum(dim=1)
    count = hit.sum(dim=1)
    mean_ground = mean_ground / count.clamp(min=1)
    height = robot.data.root_pos_w[:, 2] - mean_ground
    return (count > 0) & (height < minimum_height)


# ------------------------------------------------------------------------------ events
class MotorStrength(ManagerTermBase):
    """Scale each env's PD stiffness and torque limit by one factor from ``strength_range``.

    Task_spec's motor strength (the MuJoCo trainer scales kp and the torque limit of all joints
    by one factor per model variant). Works on explicit actuators only (their gains are applied
    in Python); an implicit actuator is refused with a clear error.
    """

    def __init__(self, cfg: EventTermCfg, env: ManagerBasedEnv) -> None:
        super().__init__(cfg, env)
        asset_cfg: SceneEntityCfg = cfg.params["asset_cfg"]
        self._robot = env.scene[asset_cfg.name]
        self._defaults: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}
        for name, actuator in self._robot.actuators.items():
            if isinstance(actuator, ImplicitActuator):
                raise TypeError(
                    f"motor strength randomisation: actuator '{name}' is implicit (PhysX drives "
                    "it); use an explicit one (DelayedPDActuatorCfg) so kp and the torque limit "
                    "can be scaled per env"
                )
            if not isinstance(actuator.effort_limit, torch.Tensor):
                raise TypeError(f"actuator '{name}': effort_limit is not a per-env tensor")
            self._defaults[name] = (actuator.stiffness.clone(), actuator.effort_limit.clone())

    def __call__(
        self,
        env: ManagerBasedEnv,
        env_ids: torch.Tensor | None,
        asset_cfg: SceneEntityCfg,
        strength_range: tuple[float, float],
    ) -> None:
        if env_ids is None:
            env_ids = torch.arange(env.num_envs, device=env.device)
        lo, hi = float(strength_range[0]), float(strength_range[1])
        if not 0.0 < lo <= hi:
            raise ValueError(f"motor strength range must satisfy 0 < lo <= hi, got {lo}, {hi}")
        factor = torch.empty(len(env_ids), 1, device=env.device).uniform_(lo, hi)
        for name, actuator in self._robot.actuators.items():
            kp0, tau0 = self._defaults[name]
            actuator.stiffness[env_ids] = kp0[env_ids] * factor
            actuator.effort_limit[env_ids] = tau0[env_ids] * factor


# ------------------------------------------------------------------------------ commands
class NavilaVelocityCommand(UniformVelocityCommand):
    """Isaac Lab's uniform (vx, vy, wz) command, plus what the MuJoCo trainer adds to it.

    * Turn-in-place commands: ``turn_in_place_fraction`` of the draws become vx = vy = 0 with
      |wz| in [``turn_in_place_min_wz``, max |wz|] (NaVILA's "turn left 30 degrees"), by
      task_spec's ``CommandSpec.turn_in_place`` - the MuJoCo trainer's own code.
    * Deployed commands: ``deploy_fraction`` of the draws become exactly one of
      ``deploy_commands`` (NaVILA's forward 0.5 m/s and +-pi/6 rad/s turns), by
      ``CommandSpec.deployed``.
    * The curriculum's odometer: metrics ``path_m`` (|v_xy| of the base, world frame) and
      ``commanded_path_m`` (|command v_xy|), summed over the episode every step.
    """

    cfg: NavilaVelocityCommandCfg

    def __init__(self, cfg: NavilaVelocityCommandCfg, env: ManagerBasedRLEnv) -> None:
        super().__init__(cfg, env)
        r = cfg.ranges
        self.spec = CommandSpec(
            vx=tuple(r.lin_vel_x),
            vy=tuple(r.lin_vel_y),
            wz=tuple(r.ang_vel_z),
            turn_in_place_fraction=float(cfg.turn_in_place_fraction),
            turn_in_place_min_wz=float(cfg.turn_in_place_min_wz),
            deploy_commands=tuple(tuple(float(v) for v in c) for c in cfg.deploy_commands),
            deploy_fraction=float(cfg.deploy_fraction),
        )
        self.metrics["path_m"] = torch.zeros(self.num_envs, device=self.device)
        self.metrics["commanded_path_m"] = torch.zeros(self.num_envs, device=self.device)

    def _resample_command(self, env_ids: Sequence[int]) -> None:
        super()._resample_command(env_ids)
        ids = torch.arange(self.num_envs, device=self.device)[env_ids]  # a slice, list or tensor
        k = len(ids)
        if k == 0:
            return
        cmd = self.vel_command_b[ids]
        if self.spec.turn_in_place_fraction > 0:
            turn = torch.rand(k, device=self.device) < self.spec.turn_in_place_fraction
            flip = torch.rand(k, device=self.device) < 0.5
            self.spec.turn_in_place(cmd, turn, torch.rand(k, device=self.device), flip)
        if self.spec.deploy_fraction > 0:
            pick = torch.rand(k, device=self.device) < self.spec.deploy_fraction
            which = torch.randint(0, len(self.spec.deploy_commands), (k,), device=self.device)
            self.spec.deployed(cmd, pick, which)
        self.vel_command_b[ids] = cmd

    def _update_metrics(self) -> None:
        super()._update_metrics()
        dt = self._env.step_dt
        v = self.robot.data.root_lin_vel_w[:, :2]
        self.metrics["path_m"] += torch.linalg.norm(v, dim=1) * dt
        self.metrics["commanded_path_m"] += torch.linalg.norm(self.vel_command_b[:, :2], dim=1) * dt


@configclass
class NavilaVelocityCommandCfg(UniformVelocityCommandCfg):
    """``UniformVelocityCommandCfg`` with task_spec's turn-in-place and deployed-command shares."""

    class_type: type = NavilaVelocityCommand
    turn_in_place_fraction: float = 0.0
    turn_in_place_min_wz: float = 0.3
    deploy_fraction: float = 0.0
    deploy_commands: tuple = ()  # ((vx, vy, wz), ...)


# ------------------------------------------------------------------------------ curriculum
def terrain_levels(
    env: ManagerBasedRLEnv,
    env_ids: Sequence[int],
    command_name: str,
    promote_fraction: float,
    demote_fraction: float,
) -> torch.Tensor:
    """Move finished episodes up or down the difficulty rows: task_spec's
    ``TerrainSpec.level_moves`` (the MuJoCo trainer's code) on the command term's odometer.

    Runs at reset before the command manager's reset zeroes the odometer. A fall is an episode
    ended by a termination term (time-outs excluded).
    """
    terrain = env.scene.terrain
    ids = torch.as_tensor(env_ids, device=env.device, dtype=torch.long)
    metrics = env.command_manager.get_term(command_name).metrics
    rule = TerrainSpec(
        tile_m=float(terrain.cfg.terrain_generator.size[0]),
        promote_fraction=promote_fraction,
        demote_fraction=demote_fraction,
    )
    fell = env.termination_manager.terminated[ids]
    up, down = rule.level_moves(metrics["path_m"][ids], metrics["commanded_path_m"][ids], fell)
    terrain.update_env_origins(ids, up, down)
    return torch.mean(terrain.terrain_levels.float())


# ------------------------------------------------------------------------------ environment
class OnlyPositiveRewardManager(RewardManager):
    """The step reward clipped at 0 (task_spec's ``only_positive_rewards``, as legged_gym and
    the MuJoCo trainer do); the per-term episode sums in the log stay unclipped, as there. The
    terms the MuJoCo trainer adds after the clip (rewards.AFTER_CLIP: the termination penalty)
    are taken out before it and added back after; Isaac Lab computes terminations before
    rewards, so ``is_terminated`` already holds this step's falls."""

    def compute(self, dt: float) -> torch.Tensor:
        total = super().compute(dt)
        after = torch.zeros_like(total)
        for name in AFTER_CLIP:
            if name in self.active_terms:
                term = self.get_term_cfg(name)
                if term.weight != 0.0:
                    after += term.func(self._env, **term.params).float() * (term.weight * dt)
        return (total - after).clamp_(min=0.0) + after


class NavilaRLEnv(ManagerBasedRLEnv):
    """``ManagerBasedRLEnv`` whose reward manager honours ``cfg.only_positive_rewards``."""

    def load_managers(self) -> None:
        super().load_managers()
        if getattr(self.cfg, "only_positive_rewards", False):
            self.reward_manager = OnlyPositiveRewardManager(self.cfg.rewards, self)


# ------------------------------------------------------------------------------ terrain
@height_field_to_mesh
def navila_tile_terrain(difficulty: float, cfg: NavilaTileTerrainCfg) -> np.ndarray:
    """One curriculum tile of the MuJoCo trainer's terrain, as an Isaac Lab height field.

    ``height_field_to_mesh`` passes the tile size without its border and expects heights in
    units of ``vertical_scale`` on a (size / horizontal_scale) grid.
    """
    nx = round(cfg.size[0] / cfg.horizontal_scale)
    ny = round(cfg.size[1] / cfg.horizontal_scale)
    if nx != ny:
        raise ValueError(f"curriculum tiles must be square, got {cfg.size}")
    # Isaac Lab seeds numpy's global generator from TerrainGeneratorCfg.seed; derive from it.
    rng = np.random.default_rng(int(np.random.randint(0, 2**31 - 1)))
    heights = kernels.tile_heights(
        cfg.kind,
        difficulty,
        nx,
        cfg.horizontal_scale,
        cfg.levels,
        tuple(cfg.rough_noise_m),
        tuple(cfg.step_height_m),
        tuple(cfg.box_height_m),
        rng,
    )
    return np.rint(heights / cfg.vertical_scale).astype(np.int16)


@configclass
class NavilaTileTerrainCfg(HfTerrainBaseCfg):
    """A curriculum tile: ``kind`` (flat, rough, steps, steps_up, boxes, rubble, pillars),
    task_spec.TerrainSpec's ranges."""

    function = navila_tile_terrain

    kind: str = MISSING
    levels: int = MISSING
    rough_noise_m: tuple[float, float] = MISSING
    step_height_m: tuple[float, float] = MISSING
    box_height_m: tuple[float, float] = MISSING
