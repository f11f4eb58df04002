"""The node list of each bring-up, as data: one source for the `navila` CLI and the launch files.

`sim_stack` is the embedded-simulation graph (simulator, height map, locomotion, executor,
planner), `isaac_stack` the same without our simulator (Isaac Sim's ROS 2 bridge publishes the
sensors and /clock), `robot_stack` a real robot (the robot's SDK backend from the config). The
launch files in launch/ import these functions and turn each `NodeSpec` into a `launch_ros` Node
(`launch_nodes`), so the CLI on this machine and `ros2 launch` on a robot start the same nodes
with the same parameter files. No rclpy or launch import at module level.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from navila_bringup.graph import NodeSpec

PLANNERS = ("direct", "oracle", "navila", "openai", "vllm")
LOW_LEVELS = ("physics", "kinematic")

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


@dataclass(frozen=True)
class SimStackOptions:
    robot: str = "go2"
    config: str = ""  # config/<robot>.yaml
    planner: str = "direct"
    low_level: str = "kinematic"
    scene: str = "two_rooms"
    start_pose: tuple[float, float, float] | None = None
    real_time: bool = True
    policy_path: str = ""  # locomotion policy (physics mode)
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
        specs.append(spec(HEIGHTMAP, cfg, use_sim_time=True))
        loco: dict[str, Any] = {"backend.name": "ros_topics"}
        if opts.policy_path:
            loco["policy.path"] = opts.policy_path
        specs.append(spec(LOCO, cfg, **loco))
    specs.append(spec(EXECUTOR, cfg, use_sim_time=True))
    vla: dict[str, Any] = {"backend": opts.planner, "use_sim_time": True}
    if opts.planner == "oracle":
        vla["episode_file"] = opts.episode_file
    specs.append(spec(VLA, cfg, **vla))
    for s in specs:
        s.params.update(opts.extra.get(s.name, {}))
    return specs


def default_config(robot: str) -> str:
    from navila_bringup.paths import find_config

    return str(find_config(robot))


# The SDK backend each robot uses on hardware (its config's default is the simulators' ROS topics).
HARDWARE_BACKENDS = {"go2": "unitree_sdk2", "h1": "unitree_sdk2", "t1": "booster_loco"}


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
    loco: dict[str, Any] = {"backend.name": "ros_topics"}
    if policy_path:
        loco["policy.path"] = policy_path
    return _control_stack(config, planner, True, height_map, loco, {})


def robot_stack(
    robot: str,
    config: str,
    planner: str = "direct",
    policy_path: str = "",
    network_interface: str = "",
    height_map: bool = True,
) -> list[NodeSpec]:
    """A real robot: the vendor SDK backend, wall-clock time."""
    backend = HARDWARE_BACKENDS[robot]
    loco: dict[str, Any] = {"backend.name": backend}
    if policy_path:
        loco["policy.path"] = policy_path
    if network_interface:
        key = "unitree" if backend == "unitree_sdk2" else "booster"
        loco[f"backend.{key}.network_interface"] = network_interface
    return _control_stack(
        config, planner, False, height_map and backend != "booster_loco", loco, {}
    )


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
