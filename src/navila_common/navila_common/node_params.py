"""Parameters every NaVILA node declares the same way: `robot` and its `topics.<key>` names.

Each node's topic table (key -> (default name, description)) is the topic contract of
docs/ARCHITECTURE.md as that node sees it; config/<robot>.yaml may remap any of them under
`topics:`. Declared here once so the names, types and descriptions `ros2 param describe` shows
are the same for every node.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rclpy.node import Node

ROBOT_DESCRIPTION = "robot this config is for (informational)"


def declare_robot_and_topics(node: Node, topics: dict[str, tuple[str, str]]) -> dict[str, str]:
    """Declares `robot` and one `topics.<key>` string parameter per entry of topics
    ({key: (default name, description)}); returns {key: the topic name to use}."""
    from rcl_interfaces.msg import ParameterDescriptor

    node.declare_parameter("robot", "", ParameterDescriptor(description=ROBOT_DESCRIPTION))
    return {
        key: str(
            node.declare_parameter(
                f"topics.{key}", default, ParameterDescriptor(description=desc)
            ).value
        )
        for key, (default, desc) in topics.items()
    }
