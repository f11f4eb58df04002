"""MCAP files hold real CDR messages with schemas a generic ROS 2 decoder understands."""

from __future__ import annotations

from geometry_msgs.msg import Twist
from mcap.reader import make_reader
from mcap_ros2.decoder import DecoderFactory
from nav_msgs.msg import Odometry
from rclpy.serialization import deserialize_message, serialize_message

from navila_bringup.mcap_log import McapRosWriter, message_definition


def test_definition_includes_nested_types_once() -> None:
    text = message_definition("nav_msgs/msg/Odometry")
    assert text.startswith("# This represents an estimate")
    for dep in (
        "std_msgs/Header",
        "builtin_interfaces/Time",
        "geometry_msgs/PoseWithCovariance",
        "geometry_msgs/Pose",
        "geometry_msgs/Point",
        "geometry_msgs/Quaternion",
        "geometry_msgs/TwistWithCovariance",
        "geometry_msgs/Twist",
        "geometry_msgs/Vector3",
    ):
        assert text.count(f"MSG: {dep}\n") == 1, dep


def test_round_trip_through_mcap(tmp_path) -> None:
    twist = Twist()
    twist.linear.x, twist.angular.z = 0.5, -0.25
    odom = Odometry()
    odom.header.frame_id = "odom"
    odom.pose.pose.position.x = 1.25
    path = tmp_path / "run.mcap"
    with McapRosWriter(path) as w:
        w.add_topic("/cmd_vel", "geometry_msgs/msg/Twist")
        w.add_topic("/odom", "nav_msgs/msg/Odometry")
        for i in range(3):
            w.write("/cmd_vel", serialize_message(twist), log_time_ns=1_000 + i)
        w.write("/odom", serialize_message(odom), log_time_ns=5_000)
    with open(path, "rb") as fh:
        reader = make_reader(fh, decoder_factories=[DecoderFactory()])
        decoded = list(reader.iter_decoded_messages())
    assert [c.topic for _, c, _, _ in decoded] == ["/cmd_vel"] * 3 + ["/odom"]
    _, _, msg, obj = decoded[0]
    assert obj.linear.x == 0.5 and obj.angular.z == -0.25  # generic decoder, from our schema
    assert deserialize_message(msg.data, Twist) == twist  # and the exact wire bytes
    assert decoded[-1][3].pose.pose.position.x == 1.25
    assert decoded[-1][3].header.frame_id == "odom"
