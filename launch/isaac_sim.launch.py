"""Our nodes against Isaac Sim's ROS 2 bridge (it publishes /joint_states, /imu/data, /odom,
/lidar/points, /camera/image_raw and /clock, and takes /joint_command); all nodes on sim time.

    ros2 launch launch/isaac_sim.launch.py robot:=go2 planner:=navila policy:=models/go2_blind
"""

from pathlib import Path

from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, OpaqueFunction
from launch.substitutions import LaunchConfiguration

from navila_bringup.stack import isaac_stack, launch_nodes

CONFIG_DIR = Path(__file__).resolve().parent.parent / "config"
ARGS = {
    "robot": ("go2", "config/<robot>.yaml"),
    "planner": ("direct", "direct | navila | openai | vllm"),
    "policy": ("", "locomotion policy: a policy directory or a .jit/.onnx file"),
}


def _nodes(context):
    a = {k: context.perform_substitution(LaunchConfiguration(k)) for k in ARGS}
    return launch_nodes(
        isaac_stack(str(CONFIG_DIR / f"{a['robot']}.yaml"), a["planner"], a["policy"])
    )


def generate_launch_description() -> LaunchDescription:
    return LaunchDescription(
        [DeclareLaunchArgument(k, default_value=d, description=h) for k, (d, h) in ARGS.items()]
        + [OpaqueFunction(function=_nodes)]
    )
