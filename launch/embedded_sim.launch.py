"""The whole stack in the embedded MuJoCo simulator (the same nodes `navila sim` starts).

ros2 launch launch/embedded_sim.launch.py robot:=go2 planner:=direct low_level:=kinematic
ros2 topic pub --once /navila/instruction std_msgs/String "data: 'move forward 1 m, then stop'"
"""

from pathlib import Path

from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, OpaqueFunction
from launch.substitutions import LaunchConfiguration

from navila_bringup.stack import SimStackOptions, launch_nodes, sim_stack

CONFIG_DIR = Path(__file__).resolve().parent.parent / "config"
ARGS = {
    "robot": ("go2", "config/<robot>.yaml"),
    "planner": ("direct", "direct | oracle | navila | openai | vllm"),
    "low_level": ("kinematic", "kinematic (base follows /cmd_vel) | physics (policy)"),
    "scene": ("two_rooms", "two_rooms | office | courtyard | a scene YAML"),
    "policy": ("", "locomotion policy (physics): a policy directory or a .jit/.onnx file"),
    "episode_file": ("", "oracle planner: file with the reference path"),
}


def _nodes(context):
    a = {k: context.perform_substitution(LaunchConfiguration(k)) for k in ARGS}
    opts = SimStackOptions(
        robot=a["robot"],
        config=str(CONFIG_DIR / f"{a['robot']}.yaml"),
        planner=a["planner"],
        low_level=a["low_level"],
        scene=a["scene"],
        policy_path=a["policy"],
        episode_file=a["episode_file"],
    )
    return launch_nodes(sim_stack(opts))


def generate_launch_description() -> LaunchDescription:
    return LaunchDescription(
        [DeclareLaunchArgument(k, default_value=d, description=h) for k, (d, h) in ARGS.items()]
        + [OpaqueFunction(function=_nodes)]
    )
