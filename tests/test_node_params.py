"""navila_common.node_params on a real rclpy node: `robot` and the `topics.<key>` parameters
every node declares, a params-file remap taking effect, the descriptions ros2 param shows."""

from __future__ import annotations

import pytest
from navila_common.node_params import ROBOT_DESCRIPTION, declare_robot_and_topics

pytestmark = pytest.mark.ros

TOPICS = {
    "cmd_vel": ("/cmd_vel", "velocity commands in (geometry_msgs/Twist)"),
    "status": ("/navila/status", "node status as JSON (std_msgs/String)"),
}


def test_topics_take_their_defaults_or_the_remap_and_carry_their_descriptions(
    rclpy_context: object,
) -> None:
    from rclpy.node import Node
    from rclpy.parameter import Parameter

    remap = [Parameter("topics.cmd_vel", value="/go2/cmd_vel"), Parameter("robot", value="go2")]
    node = Node("node_params_test", context=rclpy_context, parameter_overrides=remap)
    try:
        topics = declare_robot_and_topics(node, TOPICS)
        assert topics == {"cmd_vel": "/go2/cmd_vel", "status": "/navila/status"}
        assert node.get_parameter("robot").value == "go2"
        [robot, cmd, status] = node.describe_parameters(
            ["robot", "topics.cmd_vel", "topics.status"]
        )
        assert robot.description == ROBOT_DESCRIPTION
        assert (cmd.description, status.description) == (TOPICS["cmd_vel"][1], TOPICS["status"][1])
    finally:
        node.destroy_node()
