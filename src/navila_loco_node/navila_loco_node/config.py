"""The locomotion node's configuration: one schema, read from ROS parameters or the YAML file.

Robots differ only by `config/<robot>.yaml` (section `navila_loco`). The node declares every entry
of `PARAMS` as a ROS parameter (with its description) and hands the values to
`loco_config_from_params`; tests, benchmarks and the backends' helper processes read the very same
YAML through `load_loco_config`. Validation happens here, once, at start-up: a config that could
move a robot wrongly (mismatched list lengths, a NaN gain, a default pose outside the joint limits)
stops the node before any command is sent.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from navila_common.params import load_node_params

from navila_loco_node.leg_odometry import LegOdometryConfig
from navila_loco_node.obstacle_guard import ObstacleGuardConfig

NODE_NAME = "navila_loco"

CONTROL_MODES = ("joint_policy", "velocity")
BACKENDS = ("ros_topics", "unitree_sdk2", "booster_loco")

# (key, type, default, description). A default of None means "robot-specific, no default".
# Types: str, float, int, bool, str[], float[], int[].
PARAMS: tuple[tuple[str, str, Any, str], ...] = (
    ("robot", "str", "", "robot this config is for (go2, h1, t1)"),
    ("control_mode", "str", "joint_policy", "joint_policy (RL policy -> PD) or velocity (vendor)"),
    ("policy_rate_hz", "float", 50.0, "control loop rate; legged-loco policies run at 50 Hz"),
    ("status_rate_hz", "float", 2.0, "periodic /navila/status rate"),
    ("joints.names", "str[]", None, "joint names in POLICY order (Isaac Lab articulation order)"),
    ("joints.default_pos", "float[]", None, "default pose (rad), policy order"),
    ("joints.kp", "float[]", None, "PD stiffness per joint, policy order"),
    ("joints.kd", "float[]", None, "PD damping per joint, policy order"),
    ("joints.torque_limit", "float[]", None, "effort limit per joint (N m), policy order"),
    ("joints.pos_min", "float[]", None, "lower position limit per joint (rad), policy order"),
    ("joints.pos_max", "float[]", None, "upper position limit per joint (rad), policy order"),
    ("action.scale", "float", 0.25, "joint target = default_pos + scale * action"),
    ("action.clip", "float", 20.0, "policy outputs are clipped to +-clip before scaling"),
    ("command.vx_range", "float[]", [0.0, 1.0], "allowed forward velocity [min, max] (m/s)"),
    ("command.vy_range", "float[]", [0.0, 0.0], "allowed lateral velocity [min, max] (m/s)"),
    ("command.wz_range", "float[]", [-1.0, 1.0], "allowed yaw rate [min, max] (rad/s)"),
    ("command.timeout_s", "float", 0.5, "/cmd_vel older than this -> zero command"),
    ("observation.terms", "str[]", None, "policy input terms, in order (see observation.py)"),
    ("observation.scales", "float[]", None, "scale per term"),
    ("observation.clips", "float[]", None, "symmetric clip per term after scaling, 0 = none"),
    ("observation.history_terms", "str[]", None, "terms of one proprio history frame"),
    ("observation.history_length", "int", 0, "proprio frames appended (oldest first), 0 = none"),
    ("observation.height_map_preset", "str", "", "height map layout name (observation.py)"),
    ("observation.height_map_timeout_s", "float", 1.0, "older map -> zero command"),
    (
        "observation.imu_yaw_joint",
        "str",
        "",
        "yaw joint (about the base's z) between the base and the IMU's body, e.g. the H1's "
        "torso_joint: the IMU's orientation and rate are turned into the base's frame with its "
        "angle and rate; '' = IMU on the base",
    ),
    (
        "leg_odometry.enabled",
        "bool",
        False,
        "estimate the base's linear velocity from leg kinematics and the IMU, replacing the "
        "backend's (SDK backends have none: a real H1 in low-level mode); see leg_odometry.py",
    ),
    (
        "leg_odometry.model",
        "str",
        "",
        "the robot's MJCF file for the kinematics (a navila_sim robot name such as h1 in a "
        "config file is turned into its path by the bring-up)",
    ),
    ("leg_odometry.feet", "str[]", None, "the MJCF geoms the robot stands on"),
    (
        "leg_odometry.contact_scale_m",
        "float",
        0.01,
        "stance weight of a foot: exp(-(its height - the lowest foot's) / this), m",
    ),
    ("leg_odometry.filter_tau_s", "float", 0.01, "low-pass time constant of the estimate, s"),
    (
        "leg_odometry.max_accel_mps2",
        "float",
        5.0,
        "the estimate changes at most this fast (a touchdown's jolt is not the body's motion), "
        "m/s^2; 0 = no limit",
    ),
    (
        "leg_odometry.consistency_mps",
        "float",
        0.3,
        "stance weight also exp(-|foot velocity + last estimate|^2 / this^2): a foot moving "
        "against the base unlike the ground is swinging, m/s; 0 = height alone",
    ),
    ("policy.path", "str", "", "TorchScript (.jit/.pt) or ONNX (.onnx) file; '' = none yet"),
    ("policy.num_inputs", "int", 0, "policy input size the config expects"),
    ("policy.num_outputs", "int", 0, "policy output size (= number of joints)"),
    ("safety.state_timeout_s", "float", 0.05, "joint state or IMU older than this -> damp"),
    ("safety.max_tilt_rad", "float", 0.8, "|roll| or |pitch| beyond this -> damp"),
    ("safety.joint_limit_margin_rad", "float", 0.2, "measured position this far outside -> damp"),
    ("safety.stand_up_time_s", "float", 2.0, "interpolation time to the default pose"),
    (
        "safety.stand_up_tolerance_rad",
        "float",
        0.3,
        "after the stand-up every joint must be this close to its default pose (joint-policy "
        "mode) before the policy takes over; 0 = not checked",
    ),
    (
        "safety.stand_up_settle_s",
        "float",
        1.0,
        "time the joints get after the interpolation to come within the tolerance, else damp",
    ),
    ("safety.damping_kd", "float", 8.0, "damping command kd (kp = 0)"),
    ("safety.passive_kd", "float", 0.0, "PASSIVE kd (0 = zero torque)"),
    ("safety.auto_start", "bool", True, "stand up once fresh state arrives"),
    (
        "safety.obstacle_guard",
        "str",
        "never",
        "hold forward speed before faces the robot cannot step onto (heightmap_node's "
        "clearance): always | never | auto (on when the policy reads the height map)",
    ),
    ("safety.obstacle_stop_m", "float", 0.55, "clearance ahead at which forward speed is 0, m"),
    ("safety.obstacle_slow_m", "float", 0.95, "clearance ahead from which full speed, m"),
    (
        "safety.obstacle_turn_stop_m",
        "float",
        0.0,
        "turning held with an obstacle this near in any direction (the body's sweep), m; 0 = never",
    ),
    ("safety.obstacle_hysteresis_m", "float", 0.05, "a hold ends this far past its start, m"),
    ("safety.obstacle_timeout_s", "float", 0.5, "older clearance -> forward and turning held"),
    ("backend.name", "str", "ros_topics", "ros_topics | unitree_sdk2 | booster_loco"),
    ("backend.ros_topics.joint_states_topic", "str", "/joint_states", "sensor_msgs/JointState in"),
    ("backend.ros_topics.imu_topic", "str", "/imu/data", "sensor_msgs/Imu in"),
    ("backend.ros_topics.joint_command_topic", "str", "/joint_command", "JointState targets out"),
    ("backend.ros_topics.odom_topic", "str", "/odom", "nav_msgs/Odometry in (base lin. vel.)"),
    ("backend.unitree.network_interface", "str", "lo", "NIC for CycloneDDS (robot: e.g. eth0)"),
    ("backend.unitree.domain_id", "int", 1, "DDS domain: 1 = Unitree sims on lo, 0 = robot"),
    ("backend.unitree.msg_family", "str", "unitree_go", "unitree_go (Go2, H1) message types"),
    ("backend.unitree.keepalive_hz", "float", 500.0, "LowCmd re-send rate between policy steps"),
    ("backend.unitree.release_sport_mode", "bool", False, "real Go2: release sport mode first"),
    (
        "backend.unitree.foreign_writer_check_s",
        "float",
        1.0,
        "listen this long on rt/lowcmd before writing it; another writer there -> refuse to "
        "start (two controllers on one robot); 0 = no check",
    ),
    ("backend.unitree.motor_names", "str[]", None, "joint name per SDK motor slot ('' = idle)"),
    ("backend.unitree.motor_mode", "int[]", None, "motor mode per joint, policy order"),
    ("backend.booster.network_interface", "str", "", "NIC for the Booster SDK ('' = default)"),
    ("backend.booster.domain_id", "int", 0, "Booster SDK DDS domain"),
    ("backend.booster.move_rate_hz", "float", 10.0, "Move() calls per second while walking"),
    ("topics.cmd_vel", "str", "/cmd_vel", "geometry_msgs/Twist velocity command in"),
    ("topics.height_map", "str", "/navila/height_map", "std_msgs/Float32MultiArray in"),
    (
        "topics.clearance",
        "str",
        "/navila/clearance",
        "std_msgs/Float32MultiArray [ahead, around] free distances in (heightmap_node)",
    ),
    ("topics.estop", "str", "/navila/estop", "std_msgs/Bool: true -> damp"),
    ("topics.status", "str", "/navila/status", "std_msgs/String JSON status out"),
    ("topics.command", "str", "/navila/loco/command", "std_msgs/String: start | stop | reset"),
    (
        "topics.imu_out",
        "str",
        "",
        "sensor_msgs/Imu out: the IMU as the backend reads it, for heightmap_node's levelling "
        "where no driver publishes one (SDK backends on a robot); '' = off",
    ),
)
PARAM_KEYS = tuple(p[0] for p in PARAMS)


@dataclass(frozen=True)
class JointConfig:
    names: tuple[str, ...]
    default_pos: tuple[float, ...] = ()
    kp: tuple[float, ...] = ()
    kd: tuple[float, ...] = ()
    torque_limit: tuple[float, ...] = ()
    pos_min: tuple[float, ...] = ()
    pos_max: tuple[float, ...] = ()

    @property
    def n(self) -> int:
        return len(self.names)


@dataclass(frozen=True)
class CommandLimits:
    vx_range: tuple[float, float] = (0.0, 1.0)
    vy_range: tuple[float, float] = (0.0, 0.0)
    wz_range: tuple[float, float] = (-1.0, 1.0)
    timeout_s: float = 0.5


@dataclass(frozen=True)
class ObservationConfig:
    terms: tuple[str, ...] = ()
    scales: tuple[float, ...] = ()
    clips: tuple[float, ...] = ()
    history_terms: tuple[str, ...] = ()
    history_length: int = 0
    height_map_preset: str = ""
    height_map_timeout_s: float = 1.0
    imu_yaw_joint: str = ""


@dataclass(frozen=True)
class SafetyConfig:
    state_timeout_s: float = 0.05
    max_tilt_rad: float = 0.8
    joint_limit_margin_rad: float = 0.2
    stand_up_time_s: float = 2.0
    stand_up_tolerance_rad: float = 0.3
    stand_up_settle_s: float = 1.0
    damping_kd: float = 8.0
    passive_kd: float = 0.0
    auto_start: bool = True
    obstacle: ObstacleGuardConfig = field(default_factory=ObstacleGuardConfig)


@dataclass(frozen=True)
class UnitreeConfig:
    network_interface: str = "lo"
    domain_id: int = 1
    msg_family: str = "unitree_go"
    keepalive_hz: float = 500.0
    release_sport_mode: bool = False
    foreign_writer_check_s: float = 1.0
    motor_names: tuple[str, ...] = ()
    motor_mode: tuple[int, ...] = ()


@dataclass(frozen=True)
class BoosterConfig:
    network_interface: str = ""
    domain_id: int = 0
    move_rate_hz: float = 10.0


@dataclass(frozen=True)
class LocoConfig:
    robot: str
    control_mode: str
    joints: JointConfig
    policy_rate_hz: float = 50.0
    status_rate_hz: float = 2.0
    action_scale: float = 0.25
    action_clip: float = 20.0
    command: CommandLimits = field(default_factory=CommandLimits)
    observation: ObservationConfig = field(default_factory=ObservationConfig)
    policy_path: str = ""
    policy_num_inputs: int = 0
    policy_num_outputs: int = 0
    safety: SafetyConfig = field(default_factory=SafetyConfig)
    backend: str = "ros_topics"
    ros_topics: dict[str, str] = field(default_factory=dict)
    unitree: UnitreeConfig = field(default_factory=UnitreeConfig)
    booster: BoosterConfig = field(default_factory=BoosterConfig)
    topics: dict[str, str] = field(default_factory=dict)
    leg_odometry: LegOdometryConfig = field(default_factory=LegOdometryConfig)

    @property
    def period_s(self) -> float:
        return 1.0 / self.policy_rate_hz


def load_params(path: str | Path, node_name: str = NODE_NAME) -> dict[str, Any]:
    """The flattened `ros__parameters` of one node section of a params file."""
    return load_node_params(path, node_name)


def load_loco_config(path: str | Path, **overrides: Any) -> LocoConfig:
    """Read config/<robot>.yaml the way the node does (overrides use dotted keys)."""
    params = load_params(path)
    params.update(overrides)
    return loco_config_from_params(params)


def _floats(values: Any, key: str) -> tuple[float, ...]:
    if values is None:
        return ()
    out = tuple(float(v) for v in values)
    for v in out:
        if not math.isfinite(v):
            raise ValueError(f"{key}: every value must be finite, got {v}")
    return out


def _range(values: Any, key: str) -> tuple[float, float]:
    r = _floats(values, key)
    if len(r) != 2 or r[0] > r[1]:
        raise ValueError(f"{key} must be [min, max] with min <= max, got {list(r)}")
    return (r[0], r[1])


def _positive(value: Any, key: str) -> float:
    v = float(value)
    if not (math.isfinite(v) and v > 0):
        raise ValueError(f"{key} must be finite and > 0, got {value}")
    return v


def _non_negative(value: Any, key: str) -> float:
    v = float(value)
    if not (math.isfinite(v) and v >= 0):
        raise ValueError(f"{key} must be finite and >= 0, got {value}")
    return v


def loco_config_from_params(params: dict[str, Any]) -> LocoConfig:
    """Build and validate the config from dotted-key parameter values (None = not set)."""
    defaults = {key: default for key, _, default, _ in PARAMS}
    unknown = sorted(set(params) - set(defaults))
    if unknown:
        raise ValueError(f"unknown navila_loco parameters: {unknown}")

    def get(key: str) -> Any:
        value = params.get(key)
        return defaults[key] if value is None else value

    mode = str(get("control_mode"))
    if mode not in CONTROL_MODES:
        raise ValueError(f"control_mode must be one of {CONTROL_MODES}, got {mode!r}")
    backend = str(get("backend.name"))
    if backend not in BACKENDS:
        raise ValueError(f"backend.name must be one of {BACKENDS}, got {backend!r}")
    names = tuple(str(n) for n in (get("joints.names") or ()))
    if not names:
        raise ValueError("joints.names is required (joint names in policy order)")
    if len(set(names)) != len(names):
        raise ValueError(f"joints.names has duplicates: {names}")

    joint_lists = ("default_pos", "kp", "kd", "torque_limit", "pos_min", "pos_max")
    lists = {k: _floats(get(f"joints.{k}"), f"joints.{k}") for k in joint_lists}
    if mode == "joint_policy":
        for k, v in lists.items():
            if len(v) != len(names):
                raise ValueError(
                    f"joints.{k} has {len(v)} values but joints.names has {len(names)} joints"
                )
        for i, n in enumerate(names):
            if lists["pos_min"][i] >= lists["pos_max"][i]:
                raise ValueError(f"joint {n}: pos_min must be < pos_max")
            if not lists["pos_min"][i] <= lists["default_pos"][i] <= lists["pos_max"][i]:
                raise ValueError(f"joint {n}: default_pos {lists['default_pos'][i]} outside limits")
            if lists["kp"][i] < 0 or lists["kd"][i] < 0 or lists["torque_limit"][i] <= 0:
                raise ValueError(f"joint {n}: kp, kd must be >= 0 and torque_limit > 0")
    joints = JointConfig(names=names, **lists)

    command = CommandLimits(
        vx_range=_range(get("command.vx_range"), "command.vx_range"),
        vy_range=_range(get("command.vy_range"), "command.vy_range"),
        wz_range=_range(get("command.wz_range"), "command.wz_range"),
        timeout_s=_positive(get("command.timeout_s"), "command.timeout_s"),
    )
    terms = tuple(str(t) for t in (get("observation.terms") or ()))
    scales = _floats(get("observation.scales"), "observation.scales") or (1.0,) * len(terms)
    clips = _floats(get("observation.clips"), "observation.clips") or (0.0,) * len(terms)
    if len(scales) != len(terms) or len(clips) != len(terms):
        raise ValueError(
            f"observation.scales ({len(scales)}) and observation.clips ({len(clips)}) need one "
            f"value per observation term ({len(terms)})"
        )
    history_length = int(get("observation.history_length"))
    if history_length < 0:
        raise ValueError("observation.history_length must be >= 0")
    observation = ObservationConfig(
        terms=terms,
        scales=scales,
        clips=clips,
        history_terms=tuple(str(t) for t in (get("observation.history_terms") or ())),
        history_length=history_length,
        height_map_preset=str(get("observation.height_map_preset")),
        height_map_timeout_s=_positive(
            get("observation.height_map_timeout_s"), "observation.height_map_timeout_s"
        ),
        imu_yaw_joint=str(get("observation.imu_yaw_joint")),
    )
    if observation.imu_yaw_joint and observation.imu_yaw_joint not in names:
        raise ValueError(
            f"observation.imu_yaw_joint {observation.imu_yaw_joint!r} is not in joints.names: the "
            "IMU's readings could not be turned into the base's frame"
        )
    if mode == "joint_policy" and not terms:
        raise ValueError("observation.terms is required in joint_policy mode")

    safety = SafetyConfig(
        state_timeout_s=_positive(get("safety.state_timeout_s"), "safety.state_timeout_s"),
        max_tilt_rad=_positive(get("safety.max_tilt_rad"), "safety.max_tilt_rad"),
        joint_limit_margin_rad=float(get("safety.joint_limit_margin_rad")),
        stand_up_time_s=_positive(get("safety.stand_up_time_s"), "safety.stand_up_time_s"),
        stand_up_tolerance_rad=_non_negative(
            get("safety.stand_up_tolerance_rad"), "safety.stand_up_tolerance_rad"
        ),
        stand_up_settle_s=_non_negative(
            get("safety.stand_up_settle_s"), "safety.stand_up_settle_s"
        ),
        damping_kd=float(get("safety.damping_kd")),
        passive_kd=float(get("safety.passive_kd")),
        auto_start=bool(get("safety.auto_start")),
        obstacle=ObstacleGuardConfig(
            mode=str(get("safety.obstacle_guard")),
            stop_m=float(get("safety.obstacle_stop_m")),
            slow_m=float(get("safety.obstacle_slow_m")),
            turn_stop_m=float(get("safety.obstacle_turn_stop_m")),
            hysteresis_m=float(get("safety.obstacle_hysteresis_m")),
            timeout_s=float(get("safety.obstacle_timeout_s")),
        ),
    )
    motor_names = tuple(str(n) for n in (get("backend.unitree.motor_names") or ()))
    motor_mode = tuple(int(m) for m in (get("backend.unitree.motor_mode") or ()))
    unitree = UnitreeConfig(
        network_interface=str(get("backend.unitree.network_interface")),
        domain_id=int(get("backend.unitree.domain_id")),
        msg_family=str(get("backend.unitree.msg_family")),
        keepalive_hz=_positive(get("backend.unitree.keepalive_hz"), "backend.unitree.keepalive_hz"),
        release_sport_mode=bool(get("backend.unitree.release_sport_mode")),
        foreign_writer_check_s=_non_negative(
            get("backend.unitree.foreign_writer_check_s"), "backend.unitree.foreign_writer_check_s"
        ),
        motor_names=motor_names,
        motor_mode=motor_mode,
    )
    if backend == "unitree_sdk2":
        if mode != "joint_policy":
            raise ValueError("backend unitree_sdk2 needs control_mode joint_policy")
        if unitree.msg_family != "unitree_go":
            raise ValueError("only the unitree_go message family (Go2, H1) is supported")
        if len(motor_mode) != len(names):
            raise ValueError(
                f"backend.unitree.motor_mode has {len(motor_mode)} values for {len(names)} joints"
            )
    if backend == "booster_loco" and mode != "velocity":
        raise ValueError("backend booster_loco drives the vendor walking controller: use velocity")
    if backend != "booster_loco" and mode == "velocity":
        raise ValueError("control_mode velocity is only served by backend booster_loco")

    prefix = "backend.ros_topics."
    ros_topics = {k[len(prefix) :]: str(get(k)) for k in PARAM_KEYS if k.startswith(prefix)}
    topics = {k[len("topics.") :]: str(get(k)) for k in PARAM_KEYS if k.startswith("topics.")}
    if backend == "ros_topics" and topics["imu_out"] == ros_topics["imu_topic"]:
        raise ValueError(
            f"topics.imu_out {topics['imu_out']!r} is the ros_topics backend's own IMU input: "
            "the node would read back what it publishes"
        )
    return LocoConfig(
        robot=str(get("robot")),
        control_mode=mode,
        joints=joints,
        policy_rate_hz=_positive(get("policy_rate_hz"), "policy_rate_hz"),
        status_rate_hz=_positive(get("status_rate_hz"), "status_rate_hz"),
        action_scale=_positive(get("action.scale"), "action.scale"),
        action_clip=_positive(get("action.clip"), "action.clip"),
        command=command,
        observation=observation,
        policy_path=str(get("policy.path")),
        policy_num_inputs=int(get("policy.num_inputs")),
        policy_num_outputs=int(get("policy.num_outputs")),
        safety=safety,
        backend=backend,
        ros_topics=ros_topics,
        unitree=unitree,
        booster=BoosterConfig(
            network_interface=str(get("backend.booster.network_interface")),
            domain_id=int(get("backend.booster.domain_id")),
            move_rate_hz=_positive(get("backend.booster.move_rate_hz"), "move_rate_hz"),
        ),
        topics=topics,
        leg_odometry=LegOdometryConfig(
            enabled=bool(get("leg_odometry.enabled")),
            model=str(get("leg_odometry.model")),
            feet=tuple(str(f) for f in (get("leg_odometry.feet") or ())),
            contact_scale_m=float(get("leg_odometry.contact_scale_m")),
            filter_tau_s=float(get("leg_odometry.filter_tau_s")),
            consistency_mps=float(get("leg_odometry.consistency_mps")),
            max_accel_mps2=float(get("leg_odometry.max_accel_mps2")),
        ),
    )
