"""A real robot: Go2 or H1 (Unitree SDK2 low-level control) or T1 (Booster locomotion client).

    ros2 launch launch/robot.launch.py robot:=go2 network_interface:=eth0 policy:=models/go2_blind

Read the README's safety procedure first: the robot stands up when the locomotion node starts.
What differs on the hardware (SDK backend, DDS domain 0, the Go2's sport-mode release) is in
config/<robot>.yaml's `navila_robot` section. Without `launch` (ROS 2 from PyPI), `navila robot`
starts the same nodes.
"""

from pathlib import Path

from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, OpaqueFunction
from launch.substitutions import LaunchConfiguration

from navila_bringup.stack import launch_nodes, robot_stack

CONFIG_DIR = Path(__file__).resolve().parent.parent / "config"
ARGS = {
    "robot": ("go2", "go2 | h1 | t1"),
    "planner": ("direct", "direct | navila | openai | vllm | none (the planner runs elsewhere)"),
    "policy": ("", "locomotion policy: a policy directory (models/go2_blind) or a .jit/.onnx file"),
    "network_interface": ("", "the robot's network interface, e.g. eth0"),
}


def _nodes(context):
    a = {k: context.perform_substitution(LaunchConfiguration(k)) for k in ARGS}
    return launch_nodes(
        robot_stack(
            a["robot"],
            str(CONFIG_DIR / f"{a['robot']}.yaml"),
            a["planner"],
            a["policy"],
            a["network_interface"],
        )
    )


def generate_launch_description() -> LaunchDescription:
    return LaunchDescription(
        [DeclareLaunchArgument(k, default_value=d, description=h) for k, (d, h) in ARGS.items()]
        + [OpaqueFunction(function=_nodes)]
    )
