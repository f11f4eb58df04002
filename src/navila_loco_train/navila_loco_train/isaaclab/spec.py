"""The Isaac Lab tasks (Go2, H1) as plain data: what they declare; no isaaclab / torch / gym.

NOT RUNNABLE HERE - but this module is: it is the part of the Isaac Lab port that can be checked
on a machine without Isaac Sim. ``env_cfg.py`` and ``agents.py`` build their config classes
from the tables below, so a test that checks these tables checks what an RTX machine will train.

Every number comes from one of the places the MuJoCo trainer reads too, never from this file:

* ``navila_loco_train.task_spec`` - commands, reward weights, terminations, randomisation,
  observation noise, terrain curriculum, PPO (the training engineer owns it);
* ``navila_sim``'s robot model (``navila_sim/robots/<robot>.yaml``) - the base body;
* ``config/<robot>.yaml`` - joints (names in policy order, default pose, kp, kd, torque and
  position limits), action scale and clip, the observation layout (``navila_loco``), the physics
  step and decimation (``navila_sim``), the height-map grid and its frame (``heightmap_node``);
* ``navila_loco_train/configs/<name>.yaml``, read by the MuJoCo trainer's own
  ``load_train_config`` / ``task_from_config`` - the per-policy choices (blind layout overrides,
  feet / undesired-contact bodies, number of envs, iterations, seed, the levels envs start on)
  and a finetune stage's terrain and reward overrides (``TRAIN_CONFIGS`` lists the configs that
  have an Isaac Lab task);
* ``navila_loco_train.terrain`` / ``navila_loco_train.heightmap`` - the tile shapes and the
  height-map sampling lattice of the MuJoCo trainer.

The few constants defined here are Isaac Lab plumbing (manager term names, the contact force
threshold both trainers use) and are named where they are used.
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from heightmap_node.config import builder_config_from_params, load_params_file, preset_defaults
from heightmap_node.grid import GridSpec
from heightmap_node.transforms import pose_transform
from navila_loco_node.config import LocoConfig, load_loco_config, load_params
from navila_loco_node.observation import JOINT_TERMS, VEC3_TERMS
from navila_loco_train.heightmap import SCAN_HALF_M, SCAN_SPACING_M
from navila_loco_train.inputs import input_names
from navila_loco_train.symmetry import Mirror, build_mirror
from navila_loco_train.task_spec import FEET_STUMBLE_RATIO, TaskSpec, joint_deviation_scales
from navila_loco_train.terrain import SPAWN_HALF_M
from navila_loco_train.train import load_train_config, task_from_config
from navila_sim.mujoco_gl import mujoco
from navila_sim.robot import load_robot
from navila_sim.sensor_mount import site_body, yaw_joints_to_site

ROBOT = "go2"  # the robot of the variant names ("blind", "vision")
VARIANTS = ("blind", "vision")  # observation layouts: without / with the height map
# The training configs that have an Isaac Lab task, and the stem of its task id and config classes
# ("Go2-Blind-Finetune": NaVILA-Go2-Blind-Finetune-v0, Go2BlindFinetuneEnvCfg). The finetune tasks
# are the configs of the shipped policies' last stages (models/go2_*/README.md): the same
# observation layout as their base task, other terrain and rewards, robots on all levels; on an
# RTX machine they continue a base task's run (same experiment name, so Isaac Lab's --resume finds
# it). h1_vision is the H1 recipe no machine here could train (docs/training.md): the task an RTX
# user trains it with.
TRAIN_CONFIGS = {
    "go2_blind": "Go2-Blind",
    "go2_vision": "Go2-Vision",
    "go2_blind_finetune": "Go2-Blind-Finetune",
    "go2_vision_finetune_deploy": "Go2-Vision-Finetune",
    "h1_vision": "H1-Vision",
}
# The Isaac Lab asset (USD, collision bodies) of each robot, in isaaclab_assets.robots.unitree;
# its drive, default pose and limits are replaced by config/<robot>.yaml's. A robot without one
# here (the T1: no Isaac Lab asset ships) has no Isaac Lab task.
ISAACLAB_ASSETS = {"go2": "UNITREE_GO2_CFG", "h1": "H1_CFG"}

# Isaac Lab names (manager terms, scene entities, observation groups).
COMMAND_NAME = "base_velocity"
ROBOT_ENTITY = "robot"
CONTACT_SENSOR = "contact_forces"
HEIGHT_SCANNER = "height_scanner"
BASE_HEIGHT_SCANNER = "base_height_scanner"
HISTORY_TERM = "proprio_history"
POLICY_GROUP = "policy"
PRIVILEGED_GROUP = "privileged"
# rsl-rl observation sets: the actor sees "policy"; the critic sees the policy observation plus
# the privileged group (asymmetric actor-critic, as the MuJoCo trainer's critic observation).
OBS_GROUPS = {"policy": [POLICY_GROUP], "critic": [POLICY_GROUP, PRIVILEGED_GROUP]}

# A body is "in contact" above this net force (N): navila_loco_train.env.EnvConfig's
# contact_threshold_n and Isaac Lab's ContactSensorCfg.force_threshold default agree on 1 N.
CONTACT_THRESHOLD_N = 1.0
# Reset spread, as the MuJoCo trainer's LocoEnv.reset_envs: base xy within 80 % of the flat
# spawn square, any yaw, joints within +-0.05 rad of the default pose.
SPAWN_XY_HALF_M = 0.8 * SPAWN_HALF_M
RESET_JOINT_OFFSET_RAD = 0.05
# Envs start on curriculum levels 0..this unless the config's env.init_max_level says otherwise
# (the default of LocoEnv's EnvConfig.init_max_level; env.py imports MuJoCo, so not read from it).
INIT_MAX_TERRAIN_LEVEL = 2

# {(training config, play): gym task id}
TASK_IDS = {
    (config, play): f"NaVILA-{stem}{'-Play' if play else ''}-v0"
    for config, stem in TRAIN_CONFIGS.items()
    for play in (False, True)
}


def class_stem(config: str) -> str:
    """The config classes' name stem of a task's training config: "Go2BlindFinetune"."""
    return TRAIN_CONFIGS[config].replace("-", "")


# ------------------------------------------------------------------------------ file lookup
def _config_dirs() -> list[Path]:
    dirs = []
    if os.environ.get("NAVILA_CONFIG_DIR"):
        dirs.append(Path(os.environ["NAVILA_CONFIG_DIR"]))
    for start in (Path.cwd(), Path(__file__).resolve().parent):
        dirs.extend(parent / "config" for parent in (start, *start.parents))
    return dirs


def find_robot_config(robot: str = ROBOT) -> Path:
    """config/<robot>.yaml: $NAVILA_CONFIG_DIR, else the nearest config/ above cwd or this file.

    Same search as navila_bringup.paths.find_config (this package must not need bringup).
    """
    for folder in _config_dirs():
        path = folder / f"{robot}.yaml"
        if path.is_file():
            return path
    raise FileNotFoundError(
        f"no config for robot '{robot}': looked for {robot}.yaml in $NAVILA_CONFIG_DIR and in "
        "config/ folders above the current directory and above this package; run from the "
        "NaVILA workspace or set NAVILA_CONFIG_DIR"
    )


def config_name(name: str, robot: str = ROBOT) -> str:
    """A training config's name: a variant ("vision") means the robot's base config."""
    return f"{robot}_{name}" if name in VARIANTS else name


# ------------------------------------------------------------------------------ data types
@dataclass(frozen=True)
class ObsTermSpec:
    """One observation term: Isaac Lab term name (= navila_loco_node term name), size, noise."""

    name: str
    size: int
    noise: float = 0.0  # uniform half-width, added before scaling (training only)
    scale: float = 1.0
    clip: float = 0.0  # symmetric clip after scaling, 0 = none

    @property
    def isaaclab_clip(self) -> tuple[float, float] | None:
        """Isaac Lab clips *before* scaling: the bound that gives the same result."""
        if self.clip <= 0:
            return None
        bound = self.clip / abs(self.scale)
        return (-bound, bound)


@dataclass(frozen=True)
class ObservationLayout:
    """The actor input: ``terms`` in order, then ``history_length`` frames of ``frame`` terms."""

    variant: str
    terms: tuple[ObsTermSpec, ...]
    frame: tuple[ObsTermSpec, ...]
    history_length: int
    privileged: tuple[ObsTermSpec, ...]

    @property
    def frame_size(self) -> int:
        return sum(t.size for t in self.frame)

    @property
    def history(self) -> ObsTermSpec:
        """The history as the one Isaac Lab term that produces it (last in the policy group)."""
        return ObsTermSpec(HISTORY_TERM, self.history_length * self.frame_size)

    @property
    def policy(self) -> tuple[ObsTermSpec, ...]:
        """The policy group's Isaac Lab terms, in order."""
        return (*self.terms, self.history) if self.history_length else self.terms

    @property
    def policy_size(self) -> int:
        return sum(t.size for t in self.policy)

    @property
    def critic_size(self) -> int:
        return self.policy_size + sum(t.size for t in self.privileged)

    def term(self, name: str) -> ObsTermSpec:
        for t in (*self.terms, *self.privileged):
            if t.name == name:
                return t
        raise KeyError(f"no observation term {name!r} in the {self.variant} layout")


@dataclass(frozen=True)
class RewardSpec:
    """One reward term: the weight (per second) and the Isaac Lab function computing it."""

    name: str
    weight: float
    func: str  # dotted path of the function the Isaac Lab config uses
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RobotSpec:
    """Joints, PD drive, action mapping and timing: config/<robot>.yaml, policy order; the body
    the base pose, base mass and base contact refer to (navila_sim's robot model); the Isaac Lab
    asset."""

    name: str
    base_body: str
    # the body the LiDAR is on (the H1's torso_link, on a yaw joint above the pelvis): the height
    # map is built in its levelled frame, as heightmap_node builds the deployed one
    map_body: str
    isaaclab_asset: str  # the isaaclab_assets.robots.unitree constant
    joint_names: tuple[str, ...]
    default_pos: tuple[float, ...]
    kp: tuple[float, ...]
    kd: tuple[float, ...]
    torque_limit: tuple[float, ...]
    pos_min: tuple[float, ...]
    pos_max: tuple[float, ...]
    action_scale: float
    action_clip: float
    physics_dt: float
    decimation: int

    @property
    def policy_dt(self) -> float:
        return self.physics_dt * self.decimation

    def per_joint(self, values: tuple[float, ...]) -> dict[str, float]:
        """{joint name: value} - an Isaac Lab regex dict (the names match themselves only)."""
        return dict(zip(self.joint_names, values, strict=True))


@dataclass(frozen=True)
class HeightMapSpec:
    """The vision policy's height map: heightmap_node's grid and cell semantics, plus the
    vertical ray lattice the MuJoCo trainer samples the terrain with (navila_loco_train.heightmap).
    """

    x_lo: float
    x_hi: float
    y_lo: float
    y_hi: float
    resolution: float
    cell_mode: str  # heightmap_node.grid: left_open (the Go2's) or centered (the H1's)
    order: str  # x_major or y_major
    reduction: str
    z_min: float
    z_max: float
    value_scale: float
    value_offset: float
    zero_below: float | None
    empty_value: float
    max_filter: bool
    map_clip: tuple[float, float] | None
    grid_pos: tuple[float, float, float]  # grid (LiDAR) frame origin in the base frame
    grid_quat_wxyz: tuple[float, float, float, float]  # its orientation, normalised
    # heightmap_node's gravity_align: the cloud levelled with the IMU's roll and pitch, so the
    # grid turns with the heading only (the H1's map; the Go2's follows the body)
    gravity_align: bool
    scan_half_m: float
    scan_spacing_m: float

    @property
    def grid(self) -> GridSpec:
        """heightmap_node's grid of this map: its cell count and layout are the node's own."""
        return GridSpec(
            self.x_lo, self.x_hi, self.y_lo, self.y_hi, self.resolution, self.cell_mode, self.order
        )

    @property
    def grid_in_base(self) -> np.ndarray:
        """The grid frame's pose in the base frame (4 x 4), heightmap_node's grid_in_base."""
        return pose_transform(self.grid_pos, self.grid_quat_wxyz)

    @property
    def nx(self) -> int:
        return self.grid.nx

    @property
    def ny(self) -> int:
        return self.grid.ny

    @property
    def size(self) -> int:
        return self.grid.size

    def kernel_params(self) -> dict[str, Any]:
        """Plain values for kernels.height_map (also the Isaac Lab term's ``map_cfg`` param)."""
        return {
            "x_lo": self.x_lo,
            "x_hi": self.x_hi,
            "y_lo": self.y_lo,
            "y_hi": self.y_hi,
            "resolution": self.resolution,
            "cell_mode": self.cell_mode,
            "order": self.order,
            "reduction": self.reduction,
            "z_min": self.z_min,
            "z_max": self.z_max,
            "value_scale": self.value_scale,
            "value_offset": self.value_offset,
            "zero_below": self.zero_below,
            "empty_value": self.empty_value,
            "max_filter": self.max_filter,
            "map_clip": self.map_clip,
        }


@dataclass(frozen=True)
class TrainSpec:
    """The per-policy choices of a training config (navila_loco_train/configs/<name>.yaml)."""

    policy_name: str
    num_envs: int
    iterations: int
    seed: int
    feet_bodies: str  # Isaac Lab body-name regex
    undesired_contact_bodies: str
    loco_overrides: Mapping[str, Any]
    init_max_level: int = INIT_MAX_TERRAIN_LEVEL  # envs start on levels 0..this


@dataclass(frozen=True)
class TaskBundle:
    """Everything one Isaac Lab task needs, for one training config."""

    variant: str  # the observation layout: "blind" or "vision"
    config_name: str  # the training config (go2_vision_finetune_deploy)
    train_config_path: Path
    config_path: Path  # config/<robot>.yaml
    task: TaskSpec
    robot: RobotSpec
    layout: ObservationLayout
    rewards: Mapping[str, RewardSpec]
    train: TrainSpec
    height_map: HeightMapSpec | None


# ------------------------------------------------------------------------------ builders
def _glob_to_regex(pattern: str) -> str:
    """The MuJoCo trainer's body globs ("*_foot") as Isaac Lab body regexes (".*_foot")."""
    if any(c in pattern for c in "?[]().+^$|\\"):
        raise ValueError(f"body pattern {pattern!r}: only '*' wildcards are supported")
    return pattern.replace("*", ".*")


def _bodies(patterns: Any, what: str) -> str:
    if not isinstance(patterns, list) or not patterns:
        raise ValueError(f"policy config: env.{what} must be a non-empty list of body globs")
    regexes = [_glob_to_regex(str(p)) for p in patterns]
    return regexes[0] if len(regexes) == 1 else "|".join(f"(?:{r})" for r in regexes)


def load_train_spec(doc: Mapping[str, Any]) -> TrainSpec:
    """The per-policy choices of a resolved training config (``load_train_config``'s result)."""
    env = doc.get("env") or {}
    try:
        return TrainSpec(
            policy_name=str(doc["policy_name"]),
            num_envs=int(env["num_envs"]),
            iterations=int(doc["iterations"]),
            seed=int(doc["seed"]),
            feet_bodies=_bodies(env.get("feet"), "feet"),
            undesired_contact_bodies=_bodies(env.get("undesired_contacts"), "undesired_contacts"),
            loco_overrides=dict(doc.get("loco_overrides") or {}),
            init_max_level=int(env.get("init_max_level", INIT_MAX_TERRAIN_LEVEL)),
        )
    except KeyError as exc:
        raise ValueError(f"{doc.get('_path')}: missing key {exc}") from exc


def load_robot_spec(loco: LocoConfig, config_path: Path, robot: str) -> RobotSpec:
    if robot not in ISAACLAB_ASSETS:
        raise ValueError(
            f"no Isaac Lab asset for robot {robot!r} (spec.ISAACLAB_ASSETS has "
            f"{sorted(ISAACLAB_ASSETS)}): it has no Isaac Lab task"
        )
    sim = load_params(config_path, "navila_sim")
    physics_dt = float(sim["physics_dt"])
    decimation = int(sim["control_decimation"])
    if not (physics_dt > 0 and decimation >= 1):
        raise ValueError(f"{config_path}: navila_sim physics_dt / control_decimation invalid")
    policy_dt = physics_dt * decimation
    if abs(policy_dt * loco.policy_rate_hz - 1.0) > 1e-6:
        raise ValueError(
            f"{config_path}: physics_dt {physics_dt} x decimation {decimation} = {policy_dt} s "
            f"does not match navila_loco.policy_rate_hz {loco.policy_rate_hz}"
        )
    j = loco.joints
    model = load_robot(robot)
    compiled = mujoco.MjModel.from_xml_path(str(model.mjcf_path))
    yaw_joints_to_site(compiled, model.lidar_site, model.base_body)  # refuses other mounts
    return RobotSpec(
        name=robot,
        base_body=model.base_body,
        map_body=site_body(compiled, model.lidar_site),
        isaaclab_asset=ISAACLAB_ASSETS[robot],
        joint_names=tuple(j.names),
        default_pos=tuple(j.default_pos),
        kp=tuple(j.kp),
        kd=tuple(j.kd),
        torque_limit=tuple(j.torque_limit),
        pos_min=tuple(j.pos_min),
        pos_max=tuple(j.pos_max),
        action_scale=loco.action_scale,
        action_clip=loco.action_clip,
        physics_dt=physics_dt,
        decimation=decimation,
    )


def load_height_map_spec(config_path: Path) -> HeightMapSpec:
    """heightmap_node's section of config/<robot>.yaml, checked for what the port supports."""
    params = load_params_file(config_path, "heightmap_node")
    preset = str(params.get("preset", "go2"))
    merged = {**preset_defaults(preset), **params}
    built = builder_config_from_params(params)  # heightmap_node's own validation
    m = built.map
    g = m.grid
    unsupported = []
    if m.reduction not in ("lowest", "highest"):
        unsupported.append(f"reduction {m.reduction!r} (only lowest/highest)")
    if m.temporal_frames != 1:
        unsupported.append(f"temporal_frames {m.temporal_frames} (single-frame maps only)")
    if unsupported:
        raise ValueError(
            f"{config_path}: the Isaac Lab height map does not support " + "; ".join(unsupported)
        )
    q = [float(v) for v in merged["grid_in_base.rotation_wxyz"]]
    norm = math.sqrt(sum(v * v for v in q))
    return HeightMapSpec(
        x_lo=g.x_lo,
        x_hi=g.x_hi,
        y_lo=g.y_lo,
        y_hi=g.y_hi,
        resolution=g.resolution,
        cell_mode=g.cell_mode,
        order=g.order,
        reduction=m.reduction,
        z_min=m.z_min,
        z_max=m.z_max,
        value_scale=m.value_scale,
        value_offset=m.value_offset,
        zero_below=m.zero_below,
        empty_value=m.empty_value,
        max_filter=m.max_filter,
        map_clip=m.clip,
        grid_pos=tuple(float(v) for v in merged["grid_in_base.translation"]),  # type: ignore[arg-type]
        grid_quat_wxyz=tuple(v / norm for v in q),  # type: ignore[arg-type]
        gravity_align=built.gravity_align,
        scan_half_m=SCAN_HALF_M,
        scan_spacing_m=SCAN_SPACING_M,
    )


def observation_layout(
    variant: str,
    loco: LocoConfig,
    task: TaskSpec,
    height_map: HeightMapSpec | None,
) -> ObservationLayout:
    """The Isaac Lab observation groups for a loco config (its term order, scales and clips).

    Sizes are worked out here (3 per vector, one per joint, the heightmap_node grid's cells), not
    taken from navila_loco_node's ObservationBuilder, so a test can hold the two against each
    other.
    """
    obs = loco.observation
    n_joints = len(loco.joints.names)

    def size(name: str) -> int:
        if name in VEC3_TERMS:
            return 3
        if name in JOINT_TERMS:
            return n_joints
        if name == "height_map":
            if height_map is None:
                raise ValueError("the layout has a height map but no heightmap_node grid")
            return height_map.size
        raise ValueError(f"observation term {name!r} has no Isaac Lab equivalent here")

    def spec(name: str, scale: float, clip: float) -> ObsTermSpec:
        return ObsTermSpec(name, size(name), getattr(task.noise, name, 0.0), scale, clip)

    terms = tuple(spec(n, s, c) for n, s, c in zip(obs.terms, obs.scales, obs.clips, strict=True))
    by_name = {t.name: t for t in terms}
    frame = tuple(by_name[n] for n in obs.history_terms) if obs.history_length else ()
    privileged = []
    for name in task.critic_extra_terms:
        privileged.append(ObsTermSpec(name, size(name)))  # clean: no noise, scale 1
    if "height_map" in by_name:
        hm = by_name["height_map"]
        privileged.append(ObsTermSpec("height_map", hm.size, 0.0, hm.scale, hm.clip))
    return ObservationLayout(
        variant=variant,
        terms=terms,
        frame=frame,
        history_length=obs.history_length if obs.history_terms else 0,
        privileged=tuple(privileged),
    )


# Reward term -> (function the Isaac Lab config uses, what it needs). Weights: task_spec.
_IL = "isaaclab.envs.mdp"
_OURS = "navila_loco_train.isaaclab.mdp"


def reward_table(task: TaskSpec, train: TrainSpec, robot: RobotSpec) -> dict[str, RewardSpec]:
    """Every task_spec reward term with its weight and the Isaac Lab function computing it.

    An unknown term name in task_spec is an error: silently dropping a reward would train a
    different policy than the MuJoCo trainer does.
    """
    std = math.sqrt(task.tracking_std2)
    small = task.commands.small
    known: dict[str, tuple[str, dict[str, Any]]] = {
        "track_lin_vel_xy_exp": (
            f"{_IL}.track_lin_vel_xy_exp",
            {"std": std, "command_name": COMMAND_NAME},
        ),
        "track_ang_vel_z_exp": (
            f"{_IL}.track_ang_vel_z_exp",
            {"std": std, "command_name": COMMAND_NAME},
        ),
        "lin_vel_z_l2": (f"{_IL}.lin_vel_z_l2", {}),
        "ang_vel_xy_l2": (f"{_IL}.ang_vel_xy_l2", {}),
        "joint_torques_l2": (f"{_IL}.joint_torques_l2", {}),
        "joint_acc_l2": (f"{_IL}.joint_acc_l2", {}),
        "action_rate_l2": (f"{_IL}.action_rate_l2", {}),
        "feet_air_time": (
            f"{_OURS}.feet_air_time",
            {
                "command_name": COMMAND_NAME,
                "threshold": task.feet_air_time_threshold_s,
                "command_small": small,
                "sensor_bodies": train.feet_bodies,
            },
        ),
        "undesired_contacts": (
            f"{_IL}.undesired_contacts",
            {"threshold": CONTACT_THRESHOLD_N, "sensor_bodies": train.undesired_contact_bodies},
        ),
        "flat_orientation_l2": (f"{_IL}.flat_orientation_l2", {}),
        # The deployed limits (config/<robot>.yaml), not Isaac Lab's soft USD limits.
        "joint_pos_limits": (
            f"{_OURS}.joint_pos_limits",
            {"lower": list(robot.pos_min), "upper": list(robot.pos_max)},
        ),
        "stand_still": (
            f"{_OURS}.stand_still",
            {"command_name": COMMAND_NAME, "command_small": small},
        ),
        # After the only_positive_rewards clip in both trainers (mdp.OnlyPositiveRewardManager).
        "termination": (f"{_IL}.is_terminated", {}),
        "feet_stumble": (
            f"{_OURS}.feet_stumble",
            {
                "ratio": FEET_STUMBLE_RATIO,
                "threshold": CONTACT_THRESHOLD_N,
                "sensor_bodies": train.feet_bodies,
            },
        ),
        # The humanoid terms (Isaac Lab's H1 task; weight 0 for the Go2).
        "feet_air_time_biped": (
            f"{_OURS}.feet_air_time_biped",
            {
                "command_name": COMMAND_NAME,
                "threshold": task.feet_air_time_threshold_s,
                "command_small": small,
                "sensor_bodies": train.feet_bodies,
            },
        ),
        # The feet as contact-sensor bodies (contact) and as articulation bodies (velocity).
        "feet_slide": (
            f"{_OURS}.feet_slide",
            {
                "threshold": CONTACT_THRESHOLD_N,
                "sensor_bodies": train.feet_bodies,
                "asset_bodies": train.feet_bodies,
            },
        ),
        # One scale per joint, policy order (config rewards.joint_deviation; 0 = free).
        "joint_deviation_l1": (
            f"{_OURS}.joint_deviation_l1",
            {"scales": joint_deviation_scales(task.joint_deviation, list(robot.joint_names))},
        ),
    }
    unknown = sorted(set(task.reward_weights) - set(known))
    if unknown:
        raise ValueError(
            f"task_spec reward terms {unknown} have no Isaac Lab equivalent in "
            "navila_loco_train.isaaclab.spec.reward_table; add them there"
        )
    return {
        name: RewardSpec(name, float(weight), *known[name])
        for name, weight in task.reward_weights.items()
    }


@functools.lru_cache(maxsize=16)
def load(name: str, robot: str | None = None) -> TaskBundle:
    """Everything the Isaac Lab task for a training config declares, from the shared sources.

    ``name``: a training config as navila-loco-train's --config takes it (``extends:`` resolved),
    or a variant ("blind", "vision") for ``robot``'s base config (default the Go2). The robot is
    the config's own ``robot:``; a ``robot`` argument that differs is refused. Its task (terrain,
    reward weights, tracking kernel) comes from the MuJoCo trainer's own ``task_from_config``.
    """
    doc = load_train_config(config_name(name, robot or ROBOT))
    train_path = Path(doc["_path"])
    robot_name = str(doc.get("robot"))
    if robot is not None and robot_name != robot:
        raise ValueError(f"{train_path}: robot {robot_name!r}, asked for {robot!r}")
    config_path = find_robot_config(robot_name)
    train = load_train_spec(doc)
    loco = load_loco_config(config_path, **dict(train.loco_overrides))
    task = task_from_config(doc)
    robot_spec = load_robot_spec(loco, config_path, robot_name)
    has_map = "height_map" in loco.observation.terms
    variant = "vision" if has_map else "blind"
    height_map = load_height_map_spec(config_path) if has_map else None
    layout = observation_layout(variant, loco, task, height_map)
    if loco.policy_num_inputs and layout.policy_size != loco.policy_num_inputs:
        raise ValueError(
            f"{name}: the layout has {layout.policy_size} inputs but policy.num_inputs is "
            f"{loco.policy_num_inputs} ({config_path} + {train_path})"
        )
    return TaskBundle(
        variant=variant,
        config_name=train_path.stem,
        train_config_path=train_path,
        config_path=config_path,
        task=task,
        robot=robot_spec,
        layout=layout,
        rewards=reward_table(task, train, robot_spec),
        train=train,
        height_map=height_map,
    )


def mirror(bundle: TaskBundle) -> Mirror:
    """The left-right mirror of the task's rsl-rl batches (config section ``symmetry:``): the
    MuJoCo trainer's (symmetry.build_mirror: joints from navila_sim's model of the robot, cells
    from heightmap_node's grid and its pose in the base, inputs by ``inputs.input_names``) on
    Isaac Lab's observation groups: the policy group is the trainer's actor input, the
    privileged group the part of its critic input after it (input_names lays the critic input
    out as the policy input, then the rest). Reading the robot model needs the mujoco wheel (a
    workspace requirement)."""
    loco = load_loco_config(bundle.config_path, **dict(bundle.train.loco_overrides))
    names = input_names(loco, bundle.task.critic_extra_terms)
    n = len(names["policy"])
    hm = bundle.height_map
    return build_mirror(
        load_robot(bundle.robot.name).mjcf_path,
        list(bundle.robot.joint_names),
        {POLICY_GROUP: names["policy"], PRIVILEGED_GROUP: names["critic"][n:]},
        None if hm is None else (hm.grid, hm.grid_in_base),
    )


def __getattr__(name: str) -> Any:
    """``LAYOUT`` and ``REWARDS``: {variant: ...} tables, built on first use (they read the
    workspace config, so importing this module never fails for want of it)."""
    if name == "LAYOUT":
        return {v: load(v).layout for v in VARIANTS}
    if name == "REWARDS":
        return {v: dict(load(v).rewards) for v in VARIANTS}
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "TASK_IDS",
    "TRAIN_CONFIGS",
    "HeightMapSpec",
    "ObsTermSpec",
    "ObservationLayout",
    "RewardSpec",
    "RobotSpec",
    "TaskBundle",
    "TrainSpec",
    "find_robot_config",
    "load",
    "mirror",
]
