"""The node list of each bring-up, as data: one source for the `navila` CLI and the launch files.

`sim_stack` is the embedded-simulation graph (simulator, height map, locomotion, executor,
planner), `isaac_stack` the same without our simulator (Isaac Sim's ROS 2 bridge publishes the
sensors and /clock), `robot_stack` a real robot (the robot's SDK backend from the config). The
launch files in launch/ import these functions and turn each `NodeSpec` into a `launch_ros` Node
(`launch_nodes`), so the CLI on this machine and `ros2 launch` on a robot start the same nodes
with the same parameter files. No rclpy or launch import at module level.

A locomotion policy is given as a file or as a policy directory (models/<name>/ with
loco_params.yaml, see navila_loco_node.policy_dir): a directory's observation layout and policy
sizes go to the navila_loco node as parameters, and the height-map node only comes up for
policies whose observation has a height map.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from navila_bringup.graph import NodeSpec

PLANNERS = ("direct", "oracle", "navila", "openai", "vllm")
LOW_LEVELS = ("physics", "kinematic")
SIM_STATE_TIMEOUT_S = 0.5  # navila_loco's stale-state limit in the embedded simulation

# (ROS package, console script, Python module, node name) of every node in the stack.
SIM = ("navila_sim", "navila_sim_node", "navila_sim.node", "navila_sim")
HEIGHTMAP = ("heightmap_node", "heightmap_node", "heightmap_node.node", "heightmap_node")
LOCO = ("navila_loco_node", "navila_loco_node", "navila_loco_node.node", "navila_loco")
EXECUTOR = (
    "instruction_parser",
    "executor_node",
    "instruction_parser.executor_node",
    "navila_executor",
)
VLA = ("navila_vla_node", "navila_vla_node", "navila_vla_node.node", "navila_vla")
# A robot's camera served through its SDK (the Go2's videohub), on /camera/image_raw.
CAMERA = ("navila_loco_node", "navila_camera_node", "navila_loco_node.camera_node", "navila_camera")


@dataclass(frozen=True)
class SimStackOptions:
    robot: str = "go2"
    config: str = ""  # config/<robot>.yaml
    planner: str = "direct"
    low_level: str = "kinematic"
    scene: str = "two_rooms"
    start_pose: tuple[float, float, float] | None = None
    real_time: bool = True
    policy_path: str = ""  # locomotion policy file or policy directory (physics mode)
    episode_file: str = ""  # oracle planner: a JSON/YAML file with the episode's reference_path
    camera: bool = True
    extra: dict[str, dict[str, Any]] = field(default_factory=dict)  # node name -> params

    def __post_init__(self) -> None:
        if self.planner not in PLANNERS:
            raise ValueError(f"planner must be one of {PLANNERS}, got {self.planner!r}")
        if self.low_level not in LOW_LEVELS:
            raise ValueError(f"low level must be one of {LOW_LEVELS}, got {self.low_level!r}")
        if self.planner == "oracle" and not self.episode_file:
            raise ValueError("the oracle planner needs an episode file with a reference path")


def spec(node: tuple[str, str, str, str], config: str, **params: Any) -> NodeSpec:
    package, executable, module, name = node
    return NodeSpec(
        name=name,
        module=module,
        params_file=config or None,
        params=params,
        package=package,
        executable=executable,
    )


def sim_stack(opts: SimStackOptions) -> list[NodeSpec]:
    """The embedded-simulation graph. Every node but the simulator runs on /clock (sim time)."""
    cfg = opts.config
    sim_params: dict[str, Any] = {
        "mode": opts.low_level,
        "scene": opts.scene,
        "real_time": opts.real_time,
        "camera.enabled": opts.camera,
    }
    if opts.start_pose is not None:
        sim_params["start_pose"] = [float(v) for v in opts.start_pose]
    specs = [spec(SIM, cfg, **sim_params)]
    if opts.low_level == "physics":
        loco: dict[str, Any] = {
            "backend.name": "ros_topics",
            # The simulator shares a few cores with every other node: its 50 Hz sensor stream
            # shows gaps of 50-150 ms under load (measured on 2 cores), which the robot config's
            # 50 ms limit (right for a real robot's 500 Hz DDS stream) would take for a dead
            # sensor and damp. A dead simulator is still caught within this.
            "safety.state_timeout_s": SIM_STATE_TIMEOUT_S,
            **loco_policy_params(opts.policy_path),
        }
        if _can_lie(opts.robot):
            # Like a real robot before its low-level controller takes over: lying, motors off.
            # (Standing on hold gains is a robot hanging on a stand: the controller's first,
            # passive command would drop it mid-stand-up.) Robots without a lying pose, the
            # humanoids, stay on their stand until the policy holds them.
            specs[0].params.update(start_posture="lie", start_drive="passive")
        if _needs_height_map(cfg, {**loco, **opts.extra.get(LOCO[3], {})}):
            specs.append(spec(HEIGHTMAP, cfg, use_sim_time=True))
        else:  # a blind policy: nothing reads the LiDAR
            specs[0].params["lidar.enabled"] = False
        specs.append(spec(LOCO, cfg, **loco))
    specs.append(spec(EXECUTOR, cfg, use_sim_time=True))
    vla: dict[str, Any] = {"backend": opts.planner, "use_sim_time": True}
    if opts.planner == "oracle":
        vla["episode_file"] = opts.episode_file
    specs.append(spec(VLA, cfg, **vla))
    return add_params(specs, opts.extra)


def add_params(specs: list[NodeSpec], extra: dict[str, dict[str, Any]]) -> list[NodeSpec]:
    """Node name -> parameters set on those nodes last (over config and bring-up); `specs`,
    the loco node's leg-odometry model resolved (`resolve_leg_odometry_model`)."""
    for s in specs:
        s.params.update(extra.get(s.name, {}))
        if s.name == LOCO[3]:
            resolve_leg_odometry_model(s)
    return specs


def resolve_leg_odometry_model(loco: NodeSpec) -> None:
    """The loco node's `leg_odometry.model` may name a navila_sim robot (config/h1.yaml: `h1`);
    the node takes an MJCF path (navila_sim depends on navila_loco_node, not the other way
    round), so the name becomes the robot file's path here, where both are installed."""
    from navila_common.params import load_node_params

    merged = load_node_params(loco.params_file, LOCO[3]) if loco.params_file else {}
    merged = {**merged, **loco.params}
    model = str(merged.get("leg_odometry.model") or "")
    if merged.get("leg_odometry.enabled") and model and not model.endswith(".xml"):
        from navila_sim.robot import load_robot

        loco.params["leg_odometry.model"] = str(load_robot(model).mjcf_path)


def loco_policy_params(policy: str) -> dict[str, Any]:
    """navila_loco parameters for a policy file or policy directory ('' = none): the directory's
    loco_params.yaml overrides, typed, with policy.path absolute. Raises FileNotFoundError or
    ValueError (see navila_loco_node.policy_dir.policy_overrides) for a bad policy."""
    if not policy:
        return {}
    from navila_loco_node.policy_dir import policy_overrides

    return policy_overrides(policy)


def _can_lie(robot: str) -> bool:
    from navila_sim.robot import load_robot

    return load_robot(robot).lie_pos is not None


def _needs_height_map(config: str, loco: dict[str, Any]) -> bool:
    """Only a policy that sees a height map, or an obstacle guard set `always` (it
    reads heightmap_node's clearance), needs heightmap_node (and the LiDAR)."""
    if not config:
        return True  # no config to read the observation from: keep the node, as before
    from navila_loco_node.config import load_params
    from navila_loco_node.policy_dir import uses_height_map

    guard = loco.get("safety.obstacle_guard", load_params(config).get("safety.obstacle_guard"))
    if guard == "always":
        return True

    return uses_height_map(
        {k: v for k, v in loco.items() if k.startswith(("observation.", "policy."))}, config
    )


def _height_map_imu_topic(config: str) -> str:
    """The IMU topic heightmap_node levels its map or clearance with ('' when it uses none)."""
    from heightmap_node.config import load_params_file, preset_defaults

    hm = load_params_file(config)
    use_imu = hm.get("use_imu", preset_defaults(str(hm.get("preset", "go2")))["use_imu"])
    return str(hm.get("topics.imu", "/imu/data")) if use_imu else ""


def default_config(robot: str) -> str:
    from navila_bringup.paths import find_config

    return str(find_config(robot))


HARDWARE_SECTION = "navila_robot"  # config/<robot>.yaml: per-node settings for the real robot


def hardware_params(config: str) -> dict[str, dict[str, Any]]:
    """Node name -> the parameters the config's `navila_robot` section sets on the real robot
    (the SDK backend, the robot's DDS domain, releasing its sport controller): what differs from
    the simulators, which the node sections themselves are set up for. ValueError (naming the
    file) when the config has no such section or names no loco backend there."""
    from navila_common.params import load_node_params

    flat = load_node_params(
        config, HARDWARE_SECTION, hint="the real robot's settings, e.g. navila_loco.backend.name"
    )
    out: dict[str, dict[str, Any]] = {}
    for key, value in flat.items():
        node, _, param = key.partition(".")
        out.setdefault(node, {})[param] = value
    if not out.get(LOCO[3], {}).get("backend.name"):
        raise ValueError(f"{config}: {HARDWARE_SECTION} sets no {LOCO[3]}.backend.name")
    return out


def _control_stack(
    config: str,
    planner: str,
    sim_time: bool,
    height_map: bool,
    loco: dict[str, Any],
    vla: dict[str, Any],
) -> list[NodeSpec]:
    """Height map (policies that see one), locomotion, executor and planner."""
    specs = [spec(HEIGHTMAP, config, use_sim_time=sim_time)] if height_map else []
    specs.append(spec(LOCO, config, **loco))
    specs.append(spec(EXECUTOR, config, use_sim_time=sim_time))
    if planner != "none":  # "none": the planner runs on another machine (a GPU box)
        specs.append(spec(VLA, config, backend=planner, use_sim_time=sim_time, **vla))
    return specs


def isaac_stack(
    config: str, planner: str = "direct", policy_path: str = "", height_map: bool = True
) -> list[NodeSpec]:
    """Isaac Sim (ROS 2 bridge) provides /joint_states, /imu/data, /odom, /lidar/points,
    /camera/image_raw and /clock; everything else is ours, on sim time."""
    loco: dict[str, Any] = {"backend.name": "ros_topics", **loco_policy_params(policy_path)}
    height_map = height_map and _needs_height_map(config, loco)
    return add_params(_control_stack(config, planner, True, height_map, loco, {}), {})


def robot_stack(
    robot: str,
    config: str,
    planner: str = "direct",
    policy_path: str = "",
    network_interface: str = "",
    height_map: bool = True,
    sdk_domain_id: int | None = None,
    extra: dict[str, dict[str, Any]] | None = None,
) -> list[NodeSpec]:
    """A real robot: the config's `navila_robot` settings (the vendor SDK backend, its DDS
    domain; the camera driver where the robot's camera comes through its SDK), wall-clock
    time. A Unitree robot's IMU comes in the SDK's LowState: the loco node republishes it where
    heightmap_node levels with one. `sdk_domain_id` replaces the robot's DDS domain (a rehearsal
    against navila_sim.unitree_sim), `extra` adds node parameters last. `robot` names the robot
    in messages only; the config decides."""
    hw = hardware_params(config)
    loco: dict[str, Any] = {**hw.get(LOCO[3], {}), **loco_policy_params(policy_path)}
    backend = str(loco["backend.name"])
    sdk = {"unitree_sdk2": "unitree", "booster_loco": "booster"}.get(backend)
    if sdk is None:
        raise ValueError(f"{robot}: {HARDWARE_SECTION} backend {backend!r} is not a robot SDK")
    height_map = height_map and _needs_height_map(config, loco)
    if network_interface:
        loco[f"backend.{sdk}.network_interface"] = network_interface
    if sdk_domain_id is not None:
        loco[f"backend.{sdk}.domain_id"] = int(sdk_domain_id)
    if height_map and sdk == "unitree":
        # The IMU arrives in the SDK's LowState, not on ROS: the loco node passes it on for the
        # map's levelling (the H1) and the clearance's (the Go2; its map is not levelled).
        imu = _height_map_imu_topic(config)
        if imu:
            loco["topics.imu_out"] = imu
    # The Booster T1 walks on its own controller: no height map for it.
    specs = _control_stack(config, planner, False, height_map and sdk == "unitree", loco, {})
    if CAMERA[3] in hw:  # params below, with the section's
        camera: dict[str, Any] = {}
        if network_interface:
            camera["unitree.network_interface"] = network_interface
        if sdk_domain_id is not None:
            camera["unitree.domain_id"] = int(sdk_domain_id)
        specs.insert(0, spec(CAMERA, config, **camera))
    for s in specs:
        if s.name != LOCO[3]:  # the loco node's are in `loco` already, below the policy's
            s.params = {**hw.get(s.name, {}), **s.params}
    return add_params(specs, extra or {})


def launch_nodes(specs: list[NodeSpec]) -> list[Any]:
    """launch_ros Node actions for these specs (only on a machine with the launch packages)."""
    from launch_ros.actions import Node

    return [
        Node(
            package=s.package,
            executable=s.executable,
            name=s.name,
            output="screen",
            parameters=[p for p in (s.params_file, dict(s.params)) if p],
        )
        for s in specs
    ]
