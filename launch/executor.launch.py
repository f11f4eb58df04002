"""Start the action executor with one robot's parameters (on a machine with a full ROS 2 install).

    ros2 launch launch/executor.launch.py robot:=go2 use_sim_time:=false

Without the `launch` package (this project's pip-only set-up) the same node comes up through
`navila_bringup.graph`, from the same config/<robot>.yaml.
"""

from pathlib import Path

from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument
from launch.substitutions import LaunchConfiguration, PathJoinSubstitution
from launch_ros.actions import Node

CONFIG_DIR = str(Path(__file__).resolve().parent.parent / "config")


def generate_launch_description() -> LaunchDescription:
    robot = LaunchConfiguration("robot")
    return LaunchDescription(
        [
            DeclareLaunchArgument("robot", default_value="go2", description="config/<robot>.yaml"),
            DeclareLaunchArgument("use_sim_time", default_value="false"),
            Node(
                package="instruction_parser",
                executable="executor_node",
                name="navila_executor",
                output="screen",
                parameters=[
                    PathJoinSubstitution([CONFIG_DIR, [robot, ".yaml"]]),
                    {"use_sim_time": LaunchConfiguration("use_sim_time")},
                ],
            ),
        ]
    )
