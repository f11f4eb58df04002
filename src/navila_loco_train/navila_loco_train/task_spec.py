"""The locomotion task in numbers: one place for the MuJoCo trainer and the Isaac Lab config.

Everything that defines *what* the policy learns - command ranges, reward terms and weights,
terminations, domain randomisation, terrain curriculum, observation noise and the PPO settings -
lives here as plain data (no mujoco, no torch, no isaaclab import), so the two training back-ends
cannot drift apart. The observation *layout* is not here: it comes from the robot's navila_loco
config (config/<robot>.yaml) through navila_loco_node's ObservationBuilder, exactly as deployed.

Weights follow the Isaac Lab / legged_gym velocity-tracking recipe used for the Go2 (NaVILA trains
its policies in Isaac Lab with rsl-rl); the per-step reward is the weighted sum times the policy dt.

The few rules that act on per-robot arrays (turn-in-place commands, curriculum moves) are methods
here written against the operators NumPy arrays and torch tensors share, so the MuJoCo trainer
(NumPy) and the Isaac Lab terms (torch) run the same code, not two copies (tested on both).
"""

from __future__ import annotations

import fnmatch
import math
from dataclasses import dataclass, field
from typing import Any, TypeVar

Array = TypeVar("Array", bound=Any)  # a numpy.ndarray or a torch.Tensor (same type in and out)


@dataclass(frozen=True)
class CommandSpec:
    """Velocity commands sampled for training (NaVILA's Go2 ranges: forward only, turns)."""

    vx: tuple[float, float] = (0.0, 1.0)
    vy: tuple[float, float] = (0.0, 0.0)
    wz: tuple[float, float] = (-1.0, 1.0)
    standing_fraction: float = 0.1  # envs given a zero command (learn to stand still)
    # NaVILA's "turn left 30 degrees" is a turn in place (vx = 0): uniform (vx, wz) samples
    # almost never ask for it, and a policy trained on them barely turns on the spot.
    turn_in_place_fraction: float = 0.3
    turn_in_place_min_wz: float = 0.3  # |wz| of turn-in-place commands: [this, wz max]
    resample_s: float = 10.0
    # Each draw lasts a uniform time in this range instead (Isaac Lab's resampling_time_range).
    # NaVILA's commands are short ("turn left 30 degrees" is 1 s at pi/6 rad/s, "move forward
    # 1 m" 2 s) and follow stops, while 10 s draws in 20 s episodes give a robot about one
    # command change per episode: a turn in place right after standing is a rare sample.
    resample_range_s: tuple[float, float] | None = None
    small: float = 0.1  # |command| below this counts as "stand" (air-time off, stand_still on)
    # NaVILA's executor sends exactly these (forward 0.5 m/s, turns +-pi/6 rad/s, for distance /
    # speed seconds: NAVILA_FACTS.md). A share of the draws can be exactly one of them, so the
    # policy tracks the deployed commands themselves, not the ranges on average: go2_blind stage
    # 4 walks 0.559 m/s when asked for 0.5 (benchmarks/probe_drift.py), 12 % long on every
    # "move forward". Off by default (configs: commands: deploy_fraction).
    deploy_commands: tuple[tuple[float, float, float], ...] = (
        (0.5, 0.0, 0.0),
        (0.0, 0.0, math.pi / 6),
        (0.0, 0.0, -math.pi / 6),
    )
    deploy_fraction: float = 0.0

    def __post_init__(self) -> None:
        for name in ("standing_fraction", "turn_in_place_fraction", "deploy_fraction"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"commands.{name} must be in [0, 1], got {value}")
        if not self.resample_s > 0:
            raise ValueError(f"commands.resample_s must be > 0, got {self.resample_s}")
        r = self.resample_range_s
        if r is not None:
            pair = isinstance(r, tuple) and len(r) == 2
            if not (pair and all(isinstance(v, (int, float)) for v in r) and 0 < r[0] <= r[1]):
                raise ValueError(
                    f"commands.resample_range_s must be (lo, hi) with 0 < lo <= hi, "
                    f"got {self.resample_range_s}"
                )
        if self.deploy_fraction > 0 and not self.deploy_commands:
            raise ValueError("commands.deploy_fraction > 0 needs deploy_commands")
        ranges = (self.vx, self.vy, self.wz)
        for cmd in self.deploy_commands:
            inside = len(cmd) == 3 and all(
                lo <= v <= hi for v, (lo, hi) in zip(cmd, ranges, strict=True)
            )
            if not inside:
                raise ValueError(
                    f"deploy command {cmd} is not (vx, vy, wz) within the ranges vx {self.vx}, "
                    f"vy {self.vy}, wz {self.wz}"
                )

    def deployed(self, cmd: Array, pick: Array, which: Array) -> Array:
        """Make the `pick` rows of the (N, 3) command deploy_commands[which], in place.

        `pick` (bool) and `which` (ints in [0, len(deploy_commands))) are (N,) draws.
        """
        for i, (vx, vy, wz) in enumerate(self.deploy_commands):
            rows = pick & (which == i)
            cmd[rows, 0] = vx
            cmd[rows, 1] = vy
            cmd[rows, 2] = wz
        return cmd

    def turn_in_place(self, cmd: Array, turn: Array, uniform: Array, flip: Array) -> Array:
        """Make the `turn` rows of the (N, 3) command a turn on the spot, in place.

        vx = vy = 0, |wz| = turn_in_place_min_wz + uniform x (max |wz| - that), negative where
        `flip`, clipped to the wz range. `uniform` in [0, 1) and `flip` (bool) are (N,) draws.
        """
        top = max(abs(self.wz[0]), abs(self.wz[1]))
        mag = self.turn_in_place_min_wz + uniform * (top - self.turn_in_place_min_wz)
        wz = (mag * (1.0 - 2.0 * flip)).clip(self.wz[0], self.wz[1])
        cmd[turn, 0] = 0.0
        cmd[turn, 1] = 0.0
        cmd[turn, 2] = wz[turn]
        return cmd


# Reward weights (per second; multiplied by the policy dt each step).
REWARD_WEIGHTS: dict[str, float] = {
    "track_lin_vel_xy_exp": 1.5,
    "track_ang_vel_z_exp": 0.75,
    "lin_vel_z_l2": -2.0,
    "ang_vel_xy_l2": -0.05,
    "joint_torques_l2": -2e-4,
    "joint_acc_l2": -2.5e-7,
    "action_rate_l2": -0.01,
    "feet_air_time": 0.25,
    "undesired_contacts": -1.0,
    "flat_orientation_l2": -1.0,
    "joint_pos_limits": -10.0,
    "stand_still": -0.5,
    "feet_stumble": 0.0,  # off by default; finetune configs may weight it (rewards: weights:)
    # legged_gym's / Isaac Lab's termination penalty, added after the only_positive_rewards clip
    # (rewards.AFTER_CLIP). Off for the Go2, which learned not to fall from tracking alone; a
    # humanoid falls within seconds for a long time, and then forgone tracking is a weak signal.
    "termination": 0.0,
    # Isaac Lab's humanoid terms (its H1 velocity task), off for the Go2:
    # - feet_air_time_biped: the shorter foot's time in its current mode (air or contact) while
    #   exactly one foot is down, capped at feet_air_time_threshold_s, when told to move. The
    #   quadruped feet_air_time pays (air time - threshold) at each touchdown, negative for a
    #   biped's short steps: it rewards shuffling without lifting a foot.
    # - feet_slide: each grounded foot's horizontal speed (m/s), summed.
    # - joint_deviation_l1: sum over the joints of scale * |q - q_default|, the scales per joint
    #   pattern in the config's `rewards: joint_deviation` (Isaac Lab's hip yaw / roll, arm and
    #   torso terms as one term: those joints do not walk, they should hold their pose).
    "feet_air_time_biped": 0.0,
    "feet_slide": 0.0,
    "joint_deviation_l1": 0.0,
}
# The policy's height map is rebuilt every this many policy steps (a 15 Hz LiDAR under a 50 Hz
# policy), robots staggered; both trainers read it from here.
HEIGHT_MAP_PERIOD_STEPS = 3
TRACKING_STD2 = 0.25  # exp(-err^2 / std^2) for both tracking terms
FEET_AIR_TIME_THRESHOLD_S = 0.5
# A foot stumbles when its contact force is more than this many times as horizontal as vertical
# (legged_gym's feet_stumble uses 5 on trimesh walls). Friction alone stays under 1.25 (the
# largest randomised coefficient) on level ground; MuJoCo's height-field contacts near cell edges
# tilt their normals a little, so a hard-slipping foot can pass 2 there, but a walking policy
# does so in 0.01 % of foot contacts on flat tiles, against 1-13 % on steps_up and boxes tiles
# (benchmarks/probe_stumbles.py, shipped policies). On the 2 cm grid a step's edge is 79 deg,
# whose normal alone is 5.1 times as horizontal as vertical: 5 would miss a foot caught on it.
FEET_STUMBLE_RATIO = 2.0


def feet_stumbling(forces: Any, threshold_n: float, ratio: float = FEET_STUMBLE_RATIO) -> Any:
    """Which contact forces (..., 3: world x, y, z) are stumbles: the horizontal part above
    `ratio` times the vertical one and above `threshold_n` (no contact is no stumble). Plain
    arithmetic, so numpy (MuJoCo trainer) and torch (Isaac Lab) arrays run the same code."""
    horizontal2 = forces[..., 0] ** 2 + forces[..., 1] ** 2
    return (horizontal2 > ratio**2 * forces[..., 2] ** 2) & (horizontal2 > threshold_n**2)


@dataclass(frozen=True)
class TerminationSpec:
    episode_s: float = 20.0
    max_tilt_rad: float = 1.0472  # 60 deg between the body z axis and the vertical
    min_base_height_m: float = 0.18  # base above the ground below it (Go2 stands at ~0.32)
    # End on any contact of the base body (its every collision geom) above the contact threshold:
    # legged_gym's terminate_after_contacts_on ["base"]. Off in the shipped configs, which were
    # trained without it; both trainers (MuJoCo, Isaac Lab) follow this one switch.
    base_contact: bool = False

    def __post_init__(self) -> None:
        if not self.episode_s > 0.0:
            raise ValueError(f"terminations.episode_s must be > 0, got {self.episode_s}")
        if not 0.0 < self.max_tilt_rad <= math.pi:
            raise ValueError(
                f"terminations.max_tilt_rad must be in (0, pi], got {self.max_tilt_rad}"
            )
        if not self.min_base_height_m >= 0.0:
            raise ValueError(
                f"terminations.min_base_height_m must be >= 0, got {self.min_base_height_m}"
            )


@dataclass(frozen=True)
class RandomizationSpec:
    friction: tuple[float, float] = (0.4, 1.25)
    added_base_mass_kg: tuple[float, float] = (-1.0, 2.0)
    motor_strength: tuple[float, float] = (0.9, 1.1)  # scales kp and the torque limit
    push_interval_s: float = 8.0
    push_velocity_mps: float = 0.5  # uniform in [-v, v] on x and y
    actuator_delay_steps: tuple[int, int] = (0, 3)  # physics steps (dt 0.005 s) -> 0-15 ms
    # A LiDAR's ground hits thin out with the square of the range: a height-map point at distance
    # r from the sensor (in the grid's xy plane) is kept with probability min(1, (r_ref / r)^2),
    # r_ref drawn per map. navila_sim's L1-like scan has ~0.2 of the lattice's density at the Go2
    # grid's far corners (r ~ 1.1 m), 1-2 hits per far cell, and leaves ~3 % of cells unseen
    # after the builder's 3x3 max filter (which fills gaps here exactly as on the robot).
    height_map_density_range_m: tuple[float, float] = (0.3, 0.8)

    def __post_init__(self) -> None:
        for name in (
            "friction",
            "added_base_mass_kg",
            "motor_strength",
            "actuator_delay_steps",
            "height_map_density_range_m",
        ):
            value = getattr(self, name)
            if len(value) != 2 or not value[0] <= value[1]:
                raise ValueError(f"randomization.{name} must be a range [lo, hi], got {value}")
        if (
            self.friction[0] < 0.0
            or self.motor_strength[0] <= 0.0
            or self.actuator_delay_steps[0] < 0
        ):
            raise ValueError(
                "randomization: friction must be >= 0, motor_strength > 0 and "
                f"actuator_delay_steps >= 0 (got {self.friction}, {self.motor_strength}, "
                f"{self.actuator_delay_steps})"
            )
        if not (self.push_interval_s > 0.0 and self.push_velocity_mps >= 0.0):
            raise ValueError(
                "randomization.push_interval_s must be > 0 and push_velocity_mps >= 0, got "
                f"{self.push_interval_s}, {self.push_velocity_mps}"
            )


@dataclass(frozen=True)
class ObservationNoise:
    """Uniform noise half-widths per observation term (before scaling), training only."""

    base_ang_vel: float = 0.2
    base_rpy: float = 0.05
    projected_gravity: float = 0.05
    base_lin_vel: float = 0.1
    joint_pos_rel: float = 0.01
    joint_vel_rel: float = 1.5
    height_map: float = 0.05

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
                raise ValueError(f"noise.{name} must be a half-width >= 0, got {value!r}")


@dataclass(frozen=True)
class TerrainSpec:
    """Curriculum grid: rows = difficulty levels, columns = terrain types."""

    types: tuple[str, ...] = ("flat", "rough", "steps", "boxes")
    levels: int = 10
    tile_m: float = 8.0
    resolution_m: float = 0.05
    rough_noise_m: tuple[float, float] = (0.02, 0.06)  # level 0 -> level max
    step_height_m: tuple[float, float] = (0.02, 0.12)
    box_height_m: tuple[float, float] = (0.02, 0.12)
    # Curriculum on the path walked (odometer), not legged_gym's straight-line distance from the
    # spawn: its heading commands walk straight, ours (vx, wz drawn independently, as NaVILA's
    # "move" and "turn" actions) walk arcs and rarely get half a tile away, so nobody was promoted
    # (mean level ~0.7 of 10 after 29 M steps). A fall always demotes.
    promote_fraction: float = 0.5  # path > this x tile size without a fall -> harder
    demote_fraction: float = 0.5  # path < this x commanded path, or a fall -> easier

    def __post_init__(self) -> None:
        """A grid that does not divide a tile into whole cells builds tiles of round(tile / res)
        cells, off tile_center's positions by a growing amount per level, so robots would spawn
        beside their flat squares; configs set resolution_m (the 2 cm finetune grid), so refuse
        such a grid with its numbers instead."""
        if not self.resolution_m > 0.0:
            raise ValueError(f"terrain resolution_m must be > 0, got {self.resolution_m}")
        cells = self.tile_m / self.resolution_m
        if abs(cells - round(cells)) > 1e-6:
            raise ValueError(
                f"terrain resolution_m {self.resolution_m} must divide tile_m {self.tile_m} "
                f"into whole cells (got {cells:.3f})"
            )

    def level_moves(
        self, path_m: Array, commanded_path_m: Array, fell: Array
    ) -> tuple[Array, Array]:
        """(up, down) at an episode's end from its odometer, the path its commands asked for
        and whether it ended by a fall (bool arrays of the same shape)."""
        up = (path_m > self.promote_fraction * self.tile_m) & ~fell
        down = ((path_m < self.demote_fraction * commanded_path_m) | fell) & ~up
        return up, down


ACTIVATIONS = ("elu", "selu", "relu", "crelu", "lrelu", "tanh", "sigmoid", "softplus", "gelu")


@dataclass(frozen=True)
class PPOSpec:
    """rsl-rl's actor-critic and PPO settings (Isaac Lab's rough-terrain runner values); a config's
    `ppo:` section replaces single fields (a humanoid may want less exploration noise than the
    entropy bonus grows). Changing the network of a run that is resumed cannot load it."""

    hidden_dims: tuple[int, ...] = (512, 256, 128)
    activation: str = "elu"
    init_noise_std: float = 1.0
    obs_normalization: bool = True
    num_steps_per_env: int = 24
    num_learning_epochs: int = 5
    num_mini_batches: int = 4
    learning_rate: float = 1e-3
    schedule: str = "adaptive"
    desired_kl: float = 0.01
    gamma: float = 0.99
    lam: float = 0.95
    clip_param: float = 0.2
    entropy_coef: float = 0.01
    value_loss_coef: float = 1.0
    max_grad_norm: float = 1.0

    def __post_init__(self) -> None:
        def number(value: object) -> bool:
            return isinstance(value, (int, float)) and not isinstance(value, bool)

        dims = self.hidden_dims
        if not (
            isinstance(dims, tuple)
            and dims
            and all(isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in dims)
        ):
            raise ValueError(f"ppo.hidden_dims is a list of layer sizes > 0, got {dims!r}")
        if self.activation not in ACTIVATIONS:
            raise ValueError(
                f"ppo.activation must be one of {ACTIVATIONS}, got {self.activation!r}"
            )
        if self.schedule not in ("adaptive", "fixed"):
            raise ValueError(f"ppo.schedule is adaptive or fixed, got {self.schedule!r}")
        if not isinstance(self.obs_normalization, bool):
            raise ValueError("ppo.obs_normalization is true or false")
        for name in ("num_steps_per_env", "num_learning_epochs", "num_mini_batches"):
            value = getattr(self, name)
            if not (isinstance(value, int) and not isinstance(value, bool) and value >= 1):
                raise ValueError(f"ppo.{name} must be a whole number >= 1, got {value!r}")
        for name in (
            "init_noise_std",
            "learning_rate",
            "desired_kl",
            "clip_param",
            "max_grad_norm",
        ):
            value = getattr(self, name)
            if not (number(value) and math.isfinite(value) and value > 0):
                raise ValueError(f"ppo.{name} must be a number > 0, got {value!r}")
        for name in ("entropy_coef", "value_loss_coef"):
            value = getattr(self, name)
            if not (number(value) and math.isfinite(value) and value >= 0):
                raise ValueError(f"ppo.{name} must be a number >= 0, got {value!r}")
        for name in ("gamma", "lam"):
            value = getattr(self, name)
            if not (number(value) and 0 < value <= 1):
                raise ValueError(f"ppo.{name} must be in (0, 1], got {value!r}")


@dataclass(frozen=True)
class SymmetrySpec:
    """Left-right symmetry in PPO (navila_loco_train.symmetry; rsl-rl's symmetry extension), off
    by default. `augmentation`: every mini-batch also holds its mirror image (twice the samples
    per update). `mirror_loss_coeff` > 0: the policy's mean action on a mirrored observation is
    pulled towards the mirrored mean action, at this weight - the gentler choice for fine-tuning
    an asymmetric policy."""

    augmentation: bool = False
    mirror_loss_coeff: float = 0.0

    def __post_init__(self) -> None:
        if not isinstance(self.augmentation, bool):
            raise ValueError(f"symmetry.augmentation is true or false, got {self.augmentation!r}")
        if not (isinstance(self.mirror_loss_coeff, (int, float)) and self.mirror_loss_coeff >= 0):
            raise ValueError(
                f"symmetry.mirror_loss_coeff must be a number >= 0, got {self.mirror_loss_coeff!r}"
            )

    @property
    def enabled(self) -> bool:
        return self.augmentation or self.mirror_loss_coeff > 0


@dataclass(frozen=True)
class TaskSpec:
    commands: CommandSpec = field(default_factory=CommandSpec)
    terminations: TerminationSpec = field(default_factory=TerminationSpec)
    randomization: RandomizationSpec = field(default_factory=RandomizationSpec)
    noise: ObservationNoise = field(default_factory=ObservationNoise)
    terrain: TerrainSpec = field(default_factory=TerrainSpec)
    ppo: PPOSpec = field(default_factory=PPOSpec)
    symmetry: SymmetrySpec = field(default_factory=SymmetrySpec)
    reward_weights: dict[str, float] = field(default_factory=lambda: dict(REWARD_WEIGHTS))
    # Width of both tracking kernels, exp(-err^2 / tracking_std2). The default 0.25 barely
    # notices small errors (0.14 m/s costs 7 % of the term), so a policy may settle on a speed
    # bias; a fine-tuning config narrows it (train configs' `rewards: tracking_std2`).
    tracking_std2: float = TRACKING_STD2
    # feet_air_time pays a touchdown's air time beyond this: the Go2 trots with ~0.5 s swings; a
    # biped's steps are shorter (Isaac Lab's H1 task: 0.4), and feet_air_time_biped is capped at
    # it. Configs: `rewards: feet_air_time_threshold_s`.
    feet_air_time_threshold_s: float = FEET_AIR_TIME_THRESHOLD_S
    # joint_deviation_l1's scale per joint-name pattern (fnmatch), e.g. {"torso_joint": 0.1};
    # a policy joint no pattern matches is not penalised. Configs: `rewards: joint_deviation`.
    joint_deviation: dict[str, float] = field(default_factory=dict)
    # legged_gym's `only_positive_rewards`: the per-step total is clipped at 0, so ending an
    # episode early (falling on purpose) never pays while the penalties still outweigh tracking,
    # which a short training budget otherwise learns within a few dozen iterations.
    only_positive_rewards: bool = True
    # Privileged critic inputs appended to the policy observation (asymmetric actor-critic).
    critic_extra_terms: tuple[str, ...] = ("base_lin_vel",)


def joint_deviation_scales(patterns: dict[str, float], joint_names: list[str]) -> list[float]:
    """joint_deviation_l1's scale for each joint (policy order) from {pattern: scale}.

    A pattern that matches no joint, or a joint two patterns match, is an error: a typo would
    otherwise leave a joint unpenalised, an overlap would count it twice, silently.
    """
    scales = [0.0] * len(joint_names)
    owner: dict[str, str] = {}
    for pattern, scale in patterns.items():
        hits = [i for i, n in enumerate(joint_names) if fnmatch.fnmatchcase(n, pattern)]
        if not hits:
            raise ValueError(
                f"rewards.joint_deviation: {pattern!r} matches no joint of {list(joint_names)}"
            )
        for i in hits:
            if joint_names[i] in owner:
                raise ValueError(
                    f"rewards.joint_deviation: joint {joint_names[i]!r} matches both "
                    f"{owner[joint_names[i]]!r} and {pattern!r}"
                )
            owner[joint_names[i]] = pattern
            scales[i] = float(scale)
    return scales
