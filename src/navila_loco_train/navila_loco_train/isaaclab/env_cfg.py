"""Isaac Lab manager-based env configs for the NaVILA Go2 and H1 policies - NOT RUNNABLE HERE.

Needs Isaac Lab 2.3 inside a running simulator (``python -m navila_loco_train.isaaclab.launch``
starts one); importing it without Isaac Lab raises ImportError ("... needs Isaac Lab; not
installed here"). It was written from the Isaac Lab 2.3 sources and docs and has not been run.

Tasks (registered by ``registration.register_tasks``):

* ``Go2BlindEnvCfg``  - 450 policy inputs: 45 proprio + 9 x 45 history; critic + base lin. vel.
* ``Go2VisionEnvCfg`` - 909 policy inputs: 45 proprio + 459 height map + 9 x 45 history;
  critic + base lin. vel. + the clean height map.
* ``Go2BlindFinetuneEnvCfg`` / ``Go2VisionFinetuneEnvCfg`` - the same layouts with the terrain,
  rewards and start levels of the shipped policies' last training stages (``configs/
  go2_blind_finetune.yaml``, ``go2_vision_finetune_deploy.yaml``), to continue a base task's run.
* ``H1VisionEnvCfg`` - 256 policy inputs: 3 x 4 + 3 x 19 proprio + the 11 x 17 levelled height
  scan, no history (legged-loco's H1 layout, config/h1.yaml); critic + base lin. vel. + the clean
  scan. ``configs/h1_vision.yaml``'s terminations (pelvis above 0.6 m), randomisation and rewards.
* ``...PlayEnvCfg`` of each - the same, for evaluation and export.

Every number is read through ``spec.load`` from ``task_spec.py``, ``config/<robot>.yaml`` and the
training configs (``configs/<name>.yaml``), the sources of the MuJoCo trainer; ``spec.py`` says
which is which.

Isaac Lab API used (Isaac Lab 2.3; manager-based workflow as in isaaclab_tasks'
``locomotion/velocity/velocity_env_cfg.py``): ``isaaclab.envs.ManagerBasedRLEnvCfg``;
``isaaclab.managers`` ``ObservationGroupCfg``, ``ObservationTermCfg``, ``RewardTermCfg``,
``TerminationTermCfg``, ``EventTermCfg``, ``CurriculumTermCfg``, ``SceneEntityCfg``;
``isaaclab.envs.mdp`` (observation, reward, termination and event functions,
``JointPositionActionCfg``, ``UniformVelocityCommandCfg``); ``isaaclab.scene.InteractiveSceneCfg``;
``isaaclab.sensors`` ``ContactSensorCfg``, ``RayCasterCfg`` + ``patterns.GridPatternCfg``;
``isaaclab.terrains`` ``TerrainImporterCfg``, ``TerrainGeneratorCfg``;
``isaaclab.actuators.DelayedPDActuatorCfg``; ``isaaclab.utils.noise.AdditiveUniformNoiseCfg``;
``isaaclab_assets.robots.unitree`` ``UNITREE_GO2_CFG`` / ``H1_CFG`` (the USDs; drive, pose and
limits replaced).
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from navila_loco_train.isaaclab import check_isaaclab_version, isaaclab_import_error, spec
from navila_loco_train.task_spec import HEIGHT_MAP_PERIOD_STEPS, CommandSpec, TerrainSpec

try:
    import isaaclab.envs.mdp as il_mdp
    import isaaclab.sim as sim_utils
    from isaaclab.actuators import DelayedPDActuatorCfg
    from isaaclab.assets import ArticulationCfg, AssetBaseCfg
    from isaaclab.envs import ManagerBasedRLEnvCfg
    from isaaclab.managers import CurriculumTermCfg as CurrTerm
    from isaaclab.managers import EventTermCfg as EventTerm
    from isaaclab.managers import ObservationGroupCfg as ObsGroup
    from isaaclab.managers import ObservationTermCfg as ObsTerm
    from isaaclab.managers import RewardTermCfg as RewTerm
    from isaaclab.managers import SceneEntityCfg
    from isaaclab.managers import TerminationTermCfg as DoneTerm
    from isaaclab.scene import InteractiveSceneCfg
    from isaaclab.sensors import ContactSensorCfg, RayCasterCfg, patterns
    from isaaclab.terrains import TerrainGeneratorCfg, TerrainImporterCfg
    from isaaclab.utils import configclass
    from isaaclab.utils.noise import AdditiveUniformNoiseCfg as Unoise
    from isaaclab_assets.robots import unitree as unitree_assets

    from navila_loco_train.isaaclab import mdp
except ImportError as exc:
    raise isaaclab_import_error(__name__, exc) from exc

check_isaaclab_version()

BLIND = spec.load("go2_blind")
VISION = spec.load("go2_vision")
BLIND_FINETUNE = spec.load("go2_blind_finetune")
VISION_FINETUNE = spec.load("go2_vision_finetune_deploy")
H1 = spec.load("h1_vision")
if BLIND.robot != VISION.robot or BLIND.rewards != VISION.rewards:
    raise ValueError("the blind and vision Go2 tasks must share the robot and the rewards")
ROBOT = VISION.robot
TASK = VISION.task
HEIGHT_MAP = VISION.height_map
for _bundle in (VISION, H1):
    if _bundle.height_map is None:
        raise ValueError(f"{_bundle.config_path}: the vision layout has no height map")

# Isaac Lab plumbing (not part of the task definition).
ENV_SPACING_M = 2.5  # unused with a generated terrain (envs sit on the tiles); Isaac Lab's value
RAY_START_HEIGHT_M = 20.0  # vertical rays start this far above the base (Isaac Lab's scanner)
TERRAIN_BORDER_M = 20.0  # flat border around the tile grid (Isaac Lab's rough-terrain value)
# 1 mm height steps: the int16 height field keeps the MuJoCo tiles' heights to the millimetre.
TERRAIN_VERTICAL_SCALE_M = 0.001
PLAY_NUM_ENVS = 50
MATERIAL_BUCKETS = 64  # distinct friction materials PhysX gets (Isaac Lab's usual value)


def _robot() -> SceneEntityCfg:
    return SceneEntityCfg(spec.ROBOT_ENTITY)


def _joints(robot: spec.RobotSpec = ROBOT) -> SceneEntityCfg:
    """All joints in policy order (config/<robot>.yaml joints.names), whatever the USD order."""
    return SceneEntityCfg(
        spec.ROBOT_ENTITY, joint_names=list(robot.joint_names), preserve_order=True
    )


# ------------------------------------------------------------------------------ scene
def robot_cfg(bundle: spec.TaskBundle) -> ArticulationCfg:
    """Isaac Lab's asset of the robot with the deployed default pose and PD drive
    (config/<robot>.yaml).

    An explicit delayed PD actuator over all joints: kp / kd / torque limit per joint, a command
    delay of task_spec's ``actuator_delay_steps`` physics steps drawn per env at reset, and gains
    the motor-strength event can scale.
    """
    robot = bundle.robot
    asset = getattr(unitree_assets, robot.isaaclab_asset)
    lo, hi = bundle.task.randomization.actuator_delay_steps
    return asset.replace(
        prim_path="{ENV_REGEX_NS}/Robot",
        init_state=asset.init_state.replace(
            joint_pos=robot.per_joint(robot.default_pos), joint_vel={".*": 0.0}
        ),
        actuators={
            "base_legs": DelayedPDActuatorCfg(
                joint_names_expr=list(robot.joint_names),
                stiffness=robot.per_joint(robot.kp),
                damping=robot.per_joint(robot.kd),
                effort_limit=robot.per_joint(robot.torque_limit),
                min_delay=int(lo),
                max_delay=int(hi),
            )
        },
    )


def terrain_generator_cfg(t: TerrainSpec) -> TerrainGeneratorCfg:
    """A TerrainSpec's grid: rows = difficulty levels, one column per terrain type."""
    tiles = {
        kind: mdp.NavilaTileTerrainCfg(
            proportion=1.0 / len(t.types),
            kind=kind,
            levels=t.levels,
            rough_noise_m=tuple(t.rough_noise_m),
            step_height_m=tuple(t.step_height_m),
            box_height_m=tuple(t.box_height_m),
        )
        for kind in t.types
    }
    return TerrainGeneratorCfg(
        size=(t.tile_m, t.tile_m),
        border_width=TERRAIN_BORDER_M,
        num_rows=t.levels,
        num_cols=len(t.types),
        horizontal_scale=t.resolution_m,
        vertical_scale=TERRAIN_VERTICAL_SCALE_M,
        slope_threshold=None,  # keep one-cell ramps, as MuJoCo's height field has them
        use_cache=False,
        curriculum=True,
        sub_terrains=tiles,
    )


def _vertical_scanner(resolution: float, size: float, base_body: str) -> RayCasterCfg:
    """Vertical rays around the base body, turning with its heading only (as the MuJoCo trainer's
    lattice)."""
    return RayCasterCfg(
        prim_path=f"{{ENV_REGEX_NS}}/Robot/{base_body}",
        offset=RayCasterCfg.OffsetCfg(pos=(0.0, 0.0, RAY_START_HEIGHT_M)),
        ray_alignment="yaw",
        pattern_cfg=patterns.GridPatternCfg(resolution=resolution, size=(size, size)),
        debug_vis=False,
        mesh_prim_paths=["/World/ground"],
    )


@configclass
class Go2SceneCfg(InteractiveSceneCfg):
    """Curriculum terrain, the Go2, its contact sensors and a ray under the base (the H1 scene
    replaces the robot and the rays)."""

    terrain = TerrainImporterCfg(
        prim_path="/World/ground",
        terrain_type="generator",
        terrain_generator=terrain_generator_cfg(TASK.terrain),
        max_init_terrain_level=VISION.train.init_max_level,  # each task sets its own (_finish_env)
        collision_group=-1,
        # friction 1 combined by "multiply": the robot's randomised friction is the contact's
        physics_material=sim_utils.RigidBodyMaterialCfg(
            friction_combine_mode="multiply",
            restitution_combine_mode="multiply",
            static_friction=1.0,
            dynamic_friction=1.0,
        ),
        debug_vis=False,
    )
    robot: ArticulationCfg = robot_cfg(VISION)
    contact_forces = ContactSensorCfg(
        prim_path="{ENV_REGEX_NS}/Robot/.*",
        history_length=3,
        track_air_time=True,
        force_threshold=spec.CONTACT_THRESHOLD_N,
    )
    # one vertical ray (a 0 x 0 grid; the resolution is then unused): the ground height under
    # the base, for the base-height termination
    base_height_scanner = _vertical_scanner(resolution=0.1, size=0.0, base_body=ROBOT.base_body)
    sky_light = AssetBaseCfg(
        prim_path="/World/skyLight",
        spawn=sim_utils.DomeLightCfg(intensity=750.0, color=(0.9, 0.9, 0.9)),
    )


@configclass
class Go2VisionSceneCfg(Go2SceneCfg):
    """Plus the height-map rays: the MuJoCo trainer's vertical lattice around the base."""

    height_scanner = _vertical_scanner(
        resolution=HEIGHT_MAP.scan_spacing_m,
        size=2.0 * HEIGHT_MAP.scan_half_m,
        base_body=ROBOT.map_body,
    )


@configclass
class H1VisionSceneCfg(Go2SceneCfg):
    """The H1 on the same terrain: its asset, and the map's rays around its torso (the LiDAR's
    body; it turns on torso_joint above the pelvis), as Isaac Lab's own H1 task hangs them."""

    robot: ArticulationCfg = robot_cfg(H1)
    base_height_scanner = _vertical_scanner(resolution=0.1, size=0.0, base_body=H1.robot.base_body)
    height_scanner = _vertical_scanner(
        resolution=H1.height_map.scan_spacing_m,
        size=2.0 * H1.height_map.scan_half_m,
        base_body=H1.robot.map_body,
    )


# ------------------------------------------------------------------------------ observations
def _obs(layout: spec.ObservationLayout, name: str, func: Any, **params: Any) -> ObsTerm:
    """An observation term with the layout's noise, clip and scale for ``name``."""
    t = layout.term(name)
    return ObsTerm(
        func=func,
        params=params,
        noise=Unoise(n_min=-t.noise, n_max=t.noise) if t.noise > 0 else None,
        clip=t.isaaclab_clip,
        scale=t.scale if t.scale != 1.0 else None,
    )


def _height_map_params(lidar_like: bool, bundle: spec.TaskBundle = VISION) -> dict[str, Any]:
    """The map term's parameters; `lidar_like`: the policy's map, refreshed at the LiDAR's rate
    and thinned like a scan (task_spec, as in the MuJoCo trainer); else the
    critic's clean map, fresh every step."""
    hm = bundle.height_map
    assert hm is not None  # checked at import for the vision bundles
    return {
        "sensor_cfg": SceneEntityCfg(spec.HEIGHT_SCANNER),
        # the map's frame: the LiDAR's body (the base, or the H1's torso), as deployed
        "asset_cfg": SceneEntityCfg(spec.ROBOT_ENTITY, body_names=[bundle.robot.map_body]),
        "map_cfg": hm.kernel_params(),
        "grid_pos": list(hm.grid_pos),
        "grid_quat_wxyz": list(hm.grid_quat_wxyz),
        "gravity_align": hm.gravity_align,
        "period_steps": HEIGHT_MAP_PERIOD_STEPS if lidar_like else 1,
        "density_range": (
            list(bundle.task.randomization.height_map_density_range_m) if lidar_like else None
        ),
    }


def _critic_height_map(bundle: spec.TaskBundle) -> ObsTerm:
    """The critic's clean height map (no noise or thinning, fresh every step), clipped as the
    layout's privileged map term."""
    term = next(t for t in bundle.layout.privileged if t.name == "height_map")
    return ObsTerm(
        func=mdp.HeightMap,
        params=_height_map_params(False, bundle),
        clip=term.isaaclab_clip,
    )


def _history(layout: spec.ObservationLayout) -> ObsTerm:
    """The proprio history: frames of ``layout.frame`` terms, computed like the policy terms."""
    return ObsTerm(
        func=mdp.ProprioHistory,
        params={
            "history_length": layout.history_length,
            "terms": [t.name for t in layout.frame],
            "noise": [t.noise for t in layout.frame],
            "scale": [t.scale for t in layout.frame],
            "clip": [t.clip for t in layout.frame],
            "corrupt": True,
            "command_name": spec.COMMAND_NAME,
            "asset_cfg": _joints(),
        },
    )


def _finish_group(group: ObsGroup, expected: list[str], corrupt: bool) -> None:
    """Concatenate, set corruption, and refuse a term order other than the declared layout."""
    group.enable_corruption = corrupt
    group.concatenate_terms = True
    names = [k for k, v in group.__dict__.items() if isinstance(v, ObsTerm)]
    if names != expected:
        raise ValueError(f"observation terms {names} differ from the declared layout {expected}")


@configclass
class ProprioTermsCfg(ObsGroup):
    """The proprio terms, in navila_loco observation.terms order (45 for the Go2)."""

    base_ang_vel = _obs(VISION.layout, "base_ang_vel", il_mdp.base_ang_vel, asset_cfg=_robot())
    base_rpy = _obs(VISION.layout, "base_rpy", mdp.base_rpy, asset_cfg=_robot())
    velocity_command = _obs(
        VISION.layout, "velocity_command", il_mdp.generated_commands, command_name=spec.COMMAND_NAME
    )
    joint_pos_rel = _obs(VISION.layout, "joint_pos_rel", il_mdp.joint_pos_rel, asset_cfg=_joints())
    joint_vel_rel = _obs(VISION.layout, "joint_vel_rel", il_mdp.joint_vel_rel, asset_cfg=_joints())
    last_action = _obs(VISION.layout, "last_action", il_mdp.last_action)


@configclass
class BlindPolicyCfg(ProprioTermsCfg):
    """Actor input of the blind policy: proprio terms, then the history (450)."""

    proprio_history = _history(BLIND.layout)

    def __post_init__(self) -> None:
        _finish_group(self, [t.name for t in BLIND.layout.policy], corrupt=True)


@configclass
class VisionPolicyCfg(ProprioTermsCfg):
    """Actor input of the vision policy: proprio terms, height map, then the history (909)."""

    height_map = _obs(VISION.layout, "height_map", mdp.HeightMap, **_height_map_params(True))
    proprio_history = _history(VISION.layout)

    def __post_init__(self) -> None:
        _finish_group(self, [t.name for t in VISION.layout.policy], corrupt=True)


@configclass
class BlindPrivilegedCfg(ObsGroup):
    """What only the critic sees (task_spec.critic_extra_terms), without noise."""

    base_lin_vel = ObsTerm(func=il_mdp.base_lin_vel, params={"asset_cfg": _robot()})

    def __post_init__(self) -> None:
        _finish_group(self, [t.name for t in BLIND.layout.privileged], corrupt=False)


@configclass
class VisionPrivilegedCfg(ObsGroup):
    """The critic's extras for the vision policy: base lin. vel. and the clean height map."""

    base_lin_vel = ObsTerm(func=il_mdp.base_lin_vel, params={"asset_cfg": _robot()})
    height_map = _critic_height_map(VISION)

    def __post_init__(self) -> None:
        _finish_group(self, [t.name for t in VISION.layout.privileged], corrupt=False)


@configclass
class H1PolicyCfg(ObsGroup):
    """Actor input of the H1 vision policy (256): proprio terms, then the levelled height scan;
    no history (config/h1.yaml)."""

    base_lin_vel = _obs(H1.layout, "base_lin_vel", il_mdp.base_lin_vel, asset_cfg=_robot())
    base_ang_vel = _obs(H1.layout, "base_ang_vel", il_mdp.base_ang_vel, asset_cfg=_robot())
    projected_gravity = _obs(
        H1.layout, "projected_gravity", il_mdp.projected_gravity, asset_cfg=_robot()
    )
    velocity_command = _obs(
        H1.layout, "velocity_command", il_mdp.generated_commands, command_name=spec.COMMAND_NAME
    )
    joint_pos_rel = _obs(
        H1.layout, "joint_pos_rel", il_mdp.joint_pos_rel, asset_cfg=_joints(H1.robot)
    )
    joint_vel_rel = _obs(
        H1.layout, "joint_vel_rel", il_mdp.joint_vel_rel, asset_cfg=_joints(H1.robot)
    )
    last_action = _obs(H1.layout, "last_action", il_mdp.last_action)
    height_map = _obs(H1.layout, "height_map", mdp.HeightMap, **_height_map_params(True, H1))

    def __post_init__(self) -> None:
        _finish_group(self, [t.name for t in H1.layout.policy], corrupt=True)


@configclass
class H1PrivilegedCfg(ObsGroup):
    """The critic's extras for the H1 policy: base lin. vel. and the clean height scan."""

    base_lin_vel = ObsTerm(func=il_mdp.base_lin_vel, params={"asset_cfg": _robot()})
    height_map = _critic_height_map(H1)

    def __post_init__(self) -> None:
        _finish_group(self, [t.name for t in H1.layout.privileged], corrupt=False)


@configclass
class BlindObservationsCfg:
    policy: BlindPolicyCfg = BlindPolicyCfg()
    privileged: BlindPrivilegedCfg = BlindPrivilegedCfg()


@configclass
class VisionObservationsCfg:
    policy: VisionPolicyCfg = VisionPolicyCfg()
    privileged: VisionPrivilegedCfg = VisionPrivilegedCfg()


@configclass
class H1ObservationsCfg:
    policy: H1PolicyCfg = H1PolicyCfg()
    privileged: H1PrivilegedCfg = H1PrivilegedCfg()


# ------------------------------------------------------------------------------ actions, commands
def _command_fields(c: CommandSpec) -> dict[str, Any]:
    """A CommandSpec as NavilaVelocityCommandCfg fields (each task sets its config's)."""
    return {
        "resampling_time_range": c.resample_range_s or (c.resample_s, c.resample_s),
        "rel_standing_envs": c.standing_fraction,
        "turn_in_place_fraction": c.turn_in_place_fraction,
        "turn_in_place_min_wz": c.turn_in_place_min_wz,
        "deploy_fraction": c.deploy_fraction,
        "deploy_commands": tuple(c.deploy_commands),
        "ranges": mdp.NavilaVelocityCommandCfg.Ranges(
            lin_vel_x=tuple(c.vx),
            lin_vel_y=tuple(c.vy),
            ang_vel_z=tuple(c.wz),
            heading=(-math.pi, math.pi),  # unused: heading_command is off
        ),
    }


def _joint_action(robot: spec.RobotSpec) -> il_mdp.JointPositionActionCfg:
    return il_mdp.JointPositionActionCfg(
        asset_name=spec.ROBOT_ENTITY,
        joint_names=list(robot.joint_names),
        scale=robot.action_scale,
        use_default_offset=True,
        preserve_order=True,
    )


@configclass
class ActionsCfg:
    """Joint targets = default pose + action_scale x action, policy joint order."""

    joint_pos = _joint_action(ROBOT)


@configclass
class H1ActionsCfg:
    """The H1's 19 joint targets, config/h1.yaml's order and action scale."""

    joint_pos = _joint_action(H1.robot)


@configclass
class CommandsCfg:
    """task_spec.CommandSpec: vx, vy, wz uniform, turns in place, deployed commands, a standing
    fraction, fixed resampling time; the command term also keeps the curriculum's odometer."""

    base_velocity = mdp.NavilaVelocityCommandCfg(
        asset_name=spec.ROBOT_ENTITY,
        rel_heading_envs=0.0,
        heading_command=False,
        debug_vis=False,
        **_command_fields(TASK.commands),
    )


# ------------------------------------------------------------------------------ rewards
def _reward(name: str, func: Any, **extra: Any) -> RewTerm:
    """The task_spec reward ``name`` (weight per second; Isaac Lab multiplies by the step dt).

    ``func`` must be the function spec.REWARDS names for it; ``extra`` adds Isaac Lab-only
    parameters (which joints), ``sensor_bodies`` becomes the contact sensor's body selection,
    ``asset_bodies`` the robot's (see ``_reward_params``).
    """
    r = VISION.rewards[name]
    module, _, func_name = r.func.rpartition(".")
    if func.__name__ != func_name or not func.__module__.startswith(module):
        used = f"{func.__module__}.{func.__name__}"
        raise ValueError(f"reward {name}: the config uses {used}, spec.REWARDS says {r.func}")
    return RewTerm(func=func, weight=r.weight, params={**_reward_params(r), **extra})


def _reward_params(r: spec.RewardSpec) -> dict[str, Any]:
    """A reward's spec params as Isaac Lab takes them: ``sensor_bodies`` -> ``sensor_cfg`` (the
    contact sensor's bodies), ``asset_bodies`` -> ``asset_cfg`` (the robot's bodies, e.g. the
    feet whose velocity feet_slide reads)."""
    params = dict(r.params)
    bodies = params.pop("sensor_bodies", None)
    if bodies is not None:
        params["sensor_cfg"] = SceneEntityCfg(spec.CONTACT_SENSOR, body_names=bodies)
    bodies = params.pop("asset_bodies", None)
    if bodies is not None:
        params["asset_cfg"] = SceneEntityCfg(spec.ROBOT_ENTITY, body_names=bodies)
    return params


def _apply_rewards(rewards: RewardsCfg, bundle: spec.TaskBundle) -> None:
    """A training config's weights, kernel widths and bodies over the terms (their functions
    stay); the joint terms take the bundle's robot's joints, the body terms its bodies."""
    for name, r in bundle.rewards.items():
        term = getattr(rewards, name)
        term.weight = r.weight
        params = _reward_params(r)
        term.params = {**term.params, **params}
        # the joint terms (joint_torques_l2, stand_still, joint_deviation_l1, ...): an asset_cfg
        # the spec does not set (asset_bodies) lists the joints
        if "asset_cfg" in term.params and "asset_cfg" not in params:
            term.params["asset_cfg"] = _joints(bundle.robot)


@configclass
class RewardsCfg:
    """Every task_spec reward term (spec.REWARDS); each attribute is named after its term."""

    track_lin_vel_xy_exp = _reward("track_lin_vel_xy_exp", il_mdp.track_lin_vel_xy_exp)
    track_ang_vel_z_exp = _reward("track_ang_vel_z_exp", il_mdp.track_ang_vel_z_exp)
    lin_vel_z_l2 = _reward("lin_vel_z_l2", il_mdp.lin_vel_z_l2)
    ang_vel_xy_l2 = _reward("ang_vel_xy_l2", il_mdp.ang_vel_xy_l2)
    joint_torques_l2 = _reward("joint_torques_l2", il_mdp.joint_torques_l2, asset_cfg=_joints())
    joint_acc_l2 = _reward("joint_acc_l2", il_mdp.joint_acc_l2, asset_cfg=_joints())
    action_rate_l2 = _reward("action_rate_l2", il_mdp.action_rate_l2)
    feet_air_time = _reward("feet_air_time", mdp.feet_air_time)
    undesired_contacts = _reward("undesired_contacts", il_mdp.undesired_contacts)
    flat_orientation_l2 = _reward("flat_orientation_l2", il_mdp.flat_orientation_l2)
    joint_pos_limits = _reward("joint_pos_limits", mdp.joint_pos_limits, asset_cfg=_joints())
    stand_still = _reward("stand_still", mdp.stand_still, asset_cfg=_joints())
    feet_stumble = _reward("feet_stumble", mdp.feet_stumble)
    feet_air_time_biped = _reward("feet_air_time_biped", mdp.feet_air_time_biped)
    feet_slide = _reward("feet_slide", mdp.feet_slide)
    joint_deviation_l1 = _reward("joint_deviation_l1", mdp.joint_deviation_l1, asset_cfg=_joints())
    termination = _reward("termination", il_mdp.is_terminated)

    def __post_init__(self) -> None:
        names = {k for k, v in self.__dict__.items() if isinstance(v, RewTerm)}
        if names != set(VISION.rewards):
            raise ValueError(
                f"reward terms {sorted(names)} differ from task_spec's {sorted(VISION.rewards)}"
            )


# ------------------------------------------------------------------------------ terminations
def _base_contact_term(base_body: str) -> DoneTerm:
    """Any contact of the base body above the threshold (terminations.base_contact)."""
    return DoneTerm(
        func=il_mdp.illegal_contact,
        params={
            "sensor_cfg": SceneEntityCfg(spec.CONTACT_SENSOR, body_names=base_body),
            "threshold": spec.CONTACT_THRESHOLD_N,
        },
    )


@configclass
class TerminationsCfg:
    """task_spec.TerminationSpec: time out, tilt, base too low above the ground and, where the
    task says so (terminations.base_contact), a base contact; None where it does not."""

    time_out = DoneTerm(func=il_mdp.time_out, time_out=True)
    bad_orientation = DoneTerm(
        func=il_mdp.bad_orientation,
        params={"limit_angle": TASK.terminations.max_tilt_rad, "asset_cfg": _robot()},
    )
    base_height = DoneTerm(
        func=mdp.base_height_below,
        params={
            "minimum_height": TASK.terminations.min_base_height_m,
            "sensor_cfg": SceneEntityCfg(spec.BASE_HEIGHT_SCANNER),
            "asset_cfg": _robot(),
        },
    )
    base_contact = _base_contact_term(ROBOT.base_body) if TASK.terminations.base_contact else None


# ------------------------------------------------------------------------------ events
_R = TASK.randomization
_PUSH = _R.push_velocity_mps


@configclass
class EventsCfg:
    """task_spec.RandomizationSpec (actuator delay: in the actuator) and the episode reset."""

    physics_material = EventTerm(
        func=il_mdp.randomize_rigid_body_material,
        mode="startup",
        params={
            "asset_cfg": SceneEntityCfg(spec.ROBOT_ENTITY, body_names=".*"),
            "static_friction_range": tuple(_R.friction),
            "dynamic_friction_range": tuple(_R.friction),
            "restitution_range": (0.0, 0.0),
            "num_buckets": MATERIAL_BUCKETS,
        },
    )
    add_base_mass = EventTerm(
        func=il_mdp.randomize_rigid_body_mass,
        mode="startup",
        params={
            "asset_cfg": SceneEntityCfg(spec.ROBOT_ENTITY, body_names=ROBOT.base_body),
            "mass_distribution_params": tuple(_R.added_base_mass_kg),
            "operation": "add",
        },
    )
    motor_strength = EventTerm(
        func=mdp.MotorStrength,
        mode="reset",
        params={"asset_cfg": _robot(), "strength_range": tuple(_R.motor_strength)},
    )
    reset_base = EventTerm(
        func=il_mdp.reset_root_state_uniform,
        mode="reset",
        params={
            "pose_range": {
                "x": (-spec.SPAWN_XY_HALF_M, spec.SPAWN_XY_HALF_M),
                "y": (-spec.SPAWN_XY_HALF_M, spec.SPAWN_XY_HALF_M),
                "yaw": (-math.pi, math.pi),
            },
            "velocity_range": {},
            "asset_cfg": _robot(),
        },
    )
    reset_robot_joints = EventTerm(
        func=il_mdp.reset_joints_by_offset,
        mode="reset",
        params={
            "position_range": (-spec.RESET_JOINT_OFFSET_RAD, spec.RESET_JOINT_OFFSET_RAD),
            "velocity_range": (0.0, 0.0),
            "asset_cfg": _robot(),
        },
    )
    push_robot = EventTerm(
        func=il_mdp.push_by_setting_velocity,
        mode="interval",
        interval_range_s=(_R.push_interval_s, _R.push_interval_s),
        params={
            "velocity_range": {"x": (-_PUSH, _PUSH), "y": (-_PUSH, _PUSH)},
            "asset_cfg": _robot(),
        },
    )


@configclass
class CurriculumCfg:
    terrain_levels = CurrTerm(
        func=mdp.terrain_levels,
        params={
            "command_name": spec.COMMAND_NAME,
            "promote_fraction": TASK.terrain.promote_fraction,
            "demote_fraction": TASK.terrain.demote_fraction,
        },
    )


# ------------------------------------------------------------------------------ environments
def _apply_train_config(
    cfg: ManagerBasedRLEnvCfg, bundle: spec.TaskBundle, base: spec.TaskBundle | None = None
) -> None:
    """What a training config sets: envs, seed, terrain grid and start levels, commands,
    rewards, terminations, randomisation and the robot's base body.

    ``base``: the bundle the config classes were declared with (the observation groups and the
    actions are built from its layout and robot; default: the Go2 task of the bundle's
    variant). Observation noise, PPO and the critic's extra terms are the base's; a bundle whose
    task differs there, or whose layout or robot differs, is refused rather than trained
    half-applied. Its left-right symmetry is the runner's (agents: the same bundle).
    """
    if base is None:
        base = VISION if bundle.variant == "vision" else BLIND
    t = bundle.task
    same_elsewhere = replace(
        t,
        terrain=base.task.terrain,
        commands=base.task.commands,
        tracking_std2=base.task.tracking_std2,
        feet_air_time_threshold_s=base.task.feet_air_time_threshold_s,
        joint_deviation=base.task.joint_deviation,
        only_positive_rewards=base.task.only_positive_rewards,
        reward_weights=base.task.reward_weights,
        terminations=base.task.terminations,
        randomization=base.task.randomization,
        symmetry=base.task.symmetry,
    )
    if same_elsewhere != base.task:
        raise ValueError(
            f"{bundle.train_config_path}: its task differs from {base.config_name}'s in more "
            "than the terrain, commands, rewards, terminations, randomisation and symmetry, "
            "which this port does not apply"
        )
    if bundle.layout != base.layout or bundle.robot != base.robot:
        raise ValueError(
            f"{bundle.train_config_path}: a task on the {bundle.variant} config classes needs "
            f"{base.config_name}'s observation layout and robot"
        )
    terrain = t.terrain
    cfg.seed = bundle.train.seed
    cfg.scene.num_envs = bundle.train.num_envs
    cfg.scene.terrain.terrain_generator = terrain_generator_cfg(terrain)
    cfg.scene.terrain.max_init_terrain_level = min(bundle.train.init_max_level, terrain.levels - 1)
    cfg.curriculum.terrain_levels.params.update(
        promote_fraction=terrain.promote_fraction, demote_fraction=terrain.demote_fraction
    )
    for name, value in _command_fields(t.commands).items():
        setattr(cfg.commands.base_velocity, name, value)
    _apply_rewards(cfg.rewards, bundle)
    cfg.only_positive_rewards = t.only_positive_rewards  # read by mdp.NavilaRLEnv
    _apply_terminations(cfg.terminations, bundle)
    _apply_randomization(cfg.events, bundle)


def _apply_terminations(terms: TerminationsCfg, bundle: spec.TaskBundle) -> None:
    """task_spec.TerminationSpec of the bundle, the contact (if any) on its robot's base body."""
    ts = bundle.task.terminations
    terms.bad_orientation.params["limit_angle"] = ts.max_tilt_rad
    terms.base_height.params["minimum_height"] = ts.min_base_height_m
    terms.base_contact = _base_contact_term(bundle.robot.base_body) if ts.base_contact else None


def _apply_randomization(events: EventsCfg, bundle: spec.TaskBundle) -> None:
    """task_spec.RandomizationSpec of the bundle (the actuator delay is in robot_cfg, the map's
    thinning in its term), the added mass on its robot's base body."""
    r = bundle.task.randomization
    friction = events.physics_material.params
    friction["static_friction_range"] = friction["dynamic_friction_range"] = tuple(r.friction)
    events.add_base_mass.params["asset_cfg"] = SceneEntityCfg(
        spec.ROBOT_ENTITY, body_names=bundle.robot.base_body
    )
    events.add_base_mass.params["mass_distribution_params"] = tuple(r.added_base_mass_kg)
    events.motor_strength.params["strength_range"] = tuple(r.motor_strength)
    events.push_robot.interval_range_s = (r.push_interval_s, r.push_interval_s)
    v = r.push_velocity_mps
    events.push_robot.params["velocity_range"] = {"x": (-v, v), "y": (-v, v)}


def _finish_env(
    cfg: ManagerBasedRLEnvCfg, bundle: spec.TaskBundle, base: spec.TaskBundle | None = None
) -> None:
    """The training config's settings, timing (config/<robot>.yaml), episode length (task_spec)
    and sensor update rates."""
    _apply_train_config(cfg, bundle, base)
    cfg.navila_config = bundle.config_name
    cfg.decimation = bundle.robot.decimation
    cfg.episode_length_s = bundle.task.terminations.episode_s
    cfg.sim.dt = bundle.robot.physics_dt
    cfg.sim.render_interval = cfg.decimation
    cfg.sim.physics_material = cfg.scene.terrain.physics_material
    cfg.sim.physx.gpu_max_rigid_patch_count = 10 * 2**15  # large terrain: many contact patches
    cfg.scene.contact_forces.update_period = cfg.sim.dt  # air time needs every physics step
    for name in (spec.BASE_HEIGHT_SCANNER, spec.HEIGHT_SCANNER):
        scanner = getattr(cfg.scene, name, None)
        if scanner is not None:
            scanner.update_period = cfg.decimation * cfg.sim.dt


def _make_play(cfg: ManagerBasedRLEnvCfg) -> None:
    """Evaluation: few envs on random tiles, no observation noise, pushes or curriculum."""
    cfg.scene.num_envs = PLAY_NUM_ENVS
    cfg.scene.terrain.max_init_terrain_level = None
    cfg.scene.terrain.terrain_generator.curriculum = False
    cfg.observations.policy.enable_corruption = False
    history = getattr(cfg.observations.policy, spec.HISTORY_TERM, None)
    if history is not None:  # the H1 layout has none
        history.params["corrupt"] = False
    height_map = getattr(cfg.observations.policy, "height_map", None)
    if height_map is not None:
        height_map.params["density_range"] = None  # evaluation: no thinning (the trainer's too)
    cfg.events.push_robot = None
    cfg.curriculum.terrain_levels = None
    cfg.commands.base_velocity.debug_vis = True


@configclass
class Go2BlindEnvCfg(ManagerBasedRLEnvCfg):
    """NaVILA Go2 blind locomotion policy (450 inputs)."""

    scene: Go2SceneCfg = Go2SceneCfg(num_envs=BLIND.train.num_envs, env_spacing=ENV_SPACING_M)
    observations: BlindObservationsCfg = BlindObservationsCfg()
    actions: ActionsCfg = ActionsCfg()
    commands: CommandsCfg = CommandsCfg()
    rewards: RewardsCfg = RewardsCfg()
    terminations: TerminationsCfg = TerminationsCfg()
    events: EventsCfg = EventsCfg()
    curriculum: CurriculumCfg = CurriculumCfg()
    only_positive_rewards: bool = TASK.only_positive_rewards  # read by mdp.NavilaRLEnv
    navila_config: str = ""  # the training config (_finish_env); isaaclab.symmetry reads it

    def __post_init__(self) -> None:
        getattr(super(), "__post_init__", lambda: None)()
        _finish_env(self, BLIND)


@configclass
class Go2VisionEnvCfg(ManagerBasedRLEnvCfg):
    """NaVILA Go2 vision locomotion policy (909 inputs, LiDAR-frame height map)."""

    scene: Go2VisionSceneCfg = Go2VisionSceneCfg(
        num_envs=VISION.train.num_envs, env_spacing=ENV_SPACING_M
    )
    observations: VisionObservationsCfg = VisionObservationsCfg()
    actions: ActionsCfg = ActionsCfg()
    commands: CommandsCfg = CommandsCfg()
    rewards: RewardsCfg = RewardsCfg()
    terminations: TerminationsCfg = TerminationsCfg()
    events: EventsCfg = EventsCfg()
    curriculum: CurriculumCfg = CurriculumCfg()
    only_positive_rewards: bool = TASK.only_positive_rewards  # read by mdp.NavilaRLEnv
    navila_config: str = ""  # the training config (_finish_env); isaaclab.symmetry reads it

    def __post_init__(self) -> None:
        getattr(super(), "__post_init__", lambda: None)()
        _finish_env(self, VISION)


@configclass
class Go2BlindFinetuneEnvCfg(Go2BlindEnvCfg):
    """go2_blind_finetune: the blind layout on go2_blind stage 4's terrain, rewards and start
    levels."""

    def __post_init__(self) -> None:
        super().__post_init__()
        _finish_env(self, BLIND_FINETUNE)


@configclass
class Go2VisionFinetuneEnvCfg(Go2VisionEnvCfg):
    """go2_vision_finetune_deploy: the vision layout on the shipped go2_vision stage's terrain
    (steps_up tiles, 2 cm grid), tracking kernel, stumble penalty, command draws (30 % exactly
    NaVILA's deployed commands) and start levels."""

    def __post_init__(self) -> None:
        super().__post_init__()
        _finish_env(self, VISION_FINETUNE)


@configclass
class H1VisionEnvCfg(ManagerBasedRLEnvCfg):
    """NaVILA H1 vision locomotion policy (256 inputs, levelled height scan): configs/h1_vision.yaml
    on the Go2's terrain, commands and reward terms."""

    scene: H1VisionSceneCfg = H1VisionSceneCfg(
        num_envs=H1.train.num_envs, env_spacing=ENV_SPACING_M
    )
    observations: H1ObservationsCfg = H1ObservationsCfg()
    actions: H1ActionsCfg = H1ActionsCfg()
    commands: CommandsCfg = CommandsCfg()
    rewards: RewardsCfg = RewardsCfg()
    terminations: TerminationsCfg = TerminationsCfg()
    events: EventsCfg = EventsCfg()
    curriculum: CurriculumCfg = CurriculumCfg()
    only_positive_rewards: bool = H1.task.only_positive_rewards  # read by mdp.NavilaRLEnv
    navila_config: str = ""  # the training config (_finish_env); isaaclab.symmetry reads it

    def __post_init__(self) -> None:
        getattr(super(), "__post_init__", lambda: None)()
        _finish_env(self, H1, base=H1)


@configclass
class Go2BlindPlayEnvCfg(Go2BlindEnvCfg):
    def __post_init__(self) -> None:
        super().__post_init__()
        _make_play(self)


@configclass
class Go2VisionPlayEnvCfg(Go2VisionEnvCfg):
    def __post_init__(self) -> None:
        super().__post_init__()
        _make_play(self)


@configclass
class Go2BlindFinetunePlayEnvCfg(Go2BlindFinetuneEnvCfg):
    def __post_init__(self) -> None:
        super().__post_init__()
        _make_play(self)


@configclass
class Go2VisionFinetunePlayEnvCfg(Go2VisionFinetuneEnvCfg):
    def __post_init__(self) -> None:
        super().__post_init__()
        _make_play(self)


@configclass
class H1VisionPlayEnvCfg(H1VisionEnvCfg):
    def __post_init__(self) -> None:
        super().__post_init__()
        _make_play(self)
