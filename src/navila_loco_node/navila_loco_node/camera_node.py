"""ROS 2 shell of the robot camera driver: the Go2's front camera on /camera/image_raw.

Takes the newest JPEG from the grabber process (navila_loco_node.robot_camera), decodes it and
publishes sensor_msgs/Image rgb8 (best effort, depth 1, stamped on arrival). A failed call, a
frame that does not decode or a dead grabber is counted, logged once per change and reported
on /navila/status ("node": "navila_camera", "ok": false after `stale_s` without a frame); the
node stays up and restarts a dead grabber after `restart_s`, and nothing is ever published in
place of a frame. With the planner's `image_stale_s` set (the robot bring-up sets it), a camera
that stops means the planner stops planning, not that it plans on the last frame.
"""

from __future__ import annotations

import json
import sys
import time

from navila_common.node_params import declare_robot_and_topics
from navila_common.node_runner import run_node
from rcl_interfaces.msg import ParameterDescriptor
from rclpy.node import Node
from rclpy.qos import QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import Image
from std_msgs.msg import String

from navila_loco_node.robot_camera import CameraGrabber, CameraHealth, CameraParams, decode_jpeg

NODE_NAME = "navila_camera"
TOPICS = {
    "image": ("/camera/image_raw", "sensor_msgs/Image rgb8 out (the planner's camera)"),
    "status": ("/navila/status", "status JSON out"),
}
PARAMS = {  # name: (default, description)
    "frame_id": ("camera", "frame_id of the images"),
    "rate_hz": (5.0, "frames asked for per second (the planner samples 1-2 Hz)"),
    "timeout_s": (1.0, "one GetImageSample call's timeout"),
    "stale_s": (1.0, "no frame for this long: status ok = false"),
    "restart_s": (2.0, "a dead grabber process is restarted after this long"),
    "status_rate_hz": (1.0, "status messages per second"),
    "unitree.network_interface": ("", "NIC of the robot's DDS network ('' = SDK default)"),
    "unitree.domain_id": (1, "DDS domain: 1 = Unitree's simulators on lo, 0 = the robot"),
}


class CameraNode(Node):
    def __init__(self) -> None:
        super().__init__(NODE_NAME)
        self.topics = declare_robot_and_topics(self, TOPICS)
        p = {
            name: self.declare_parameter(name, default, ParameterDescriptor(description=desc)).value
            for name, (default, desc) in PARAMS.items()
        }
        self.params = CameraParams(
            network_interface=str(p["unitree.network_interface"]),
            domain_id=int(p["unitree.domain_id"]),
            rate_hz=float(p["rate_hz"]),
            timeout_s=float(p["timeout_s"]),
            stale_s=float(p["stale_s"]),
        )  # ValueError: run_node reports it, exit 2
        self.frame_id = str(p["frame_id"])
        self.restart_s = float(p["restart_s"])
        self.health = CameraHealth(self.params.stale_s)
        sensor = QoSProfile(depth=1, reliability=ReliabilityPolicy.BEST_EFFORT)
        self.pub_image = self.create_publisher(Image, self.topics["image"], sensor)
        self.pub_status = self.create_publisher(String, self.topics["status"], 10)
        self.grabber: CameraGrabber | None = CameraGrabber(self.params)
        self._dead_since: float | None = None
        self._was_ok = False
        self._last_logged_error = ""
        self.create_timer(0.5 / self.params.rate_hz, self._on_tick)
        self.create_timer(1.0 / float(p["status_rate_hz"]), self._publish_status)
        self.get_logger().info(
            f"ready: {self.topics['image']} from the robot's camera service (DDS domain "
            f"{self.params.domain_id} on {self.params.network_interface or 'the default NIC'!r}, "
            f"{self.params.rate_hz:g} Hz)"
        )

    def _on_tick(self) -> None:
        now = time.monotonic()
        if self.grabber is not None and not self.grabber.alive:
            self._error(f"grabber process exited (code {self.grabber.exitcode})")
            self.grabber.close()
            self.grabber, self._dead_since = None, now
        if self.grabber is None:
            if self._dead_since is not None and now - self._dead_since >= self.restart_s:
                self.get_logger().info("restarting the grabber process")
                try:
                    self.grabber, self._dead_since = CameraGrabber(self.params), None
                except OSError as exc:  # no process to be had: try again later, stay up
                    self._error(f"grabber process could not start: {exc}")
                    self._dead_since = now
            return
        grab = self.grabber.take()
        if grab is None:
            return
        if grab.code != 0:
            self._error(f"GetImageSample failed: code {grab.code}")
            return
        try:
            rgb = decode_jpeg(grab.jpeg)
        except ValueError as exc:
            self._error(f"frame dropped: {exc}")
            return
        msg = Image()
        msg.header.stamp = self.get_clock().now().to_msg()
        msg.header.frame_id = self.frame_id
        msg.height, msg.width = int(rgb.shape[0]), int(rgb.shape[1])
        msg.encoding, msg.is_bigendian, msg.step = "rgb8", 0, int(rgb.shape[1]) * 3
        msg.data = rgb.tobytes()
        self.pub_image.publish(msg)
        self.health.on_frame(grab.t, rgb.shape)

    def _error(self, text: str) -> None:
        self.health.on_error(text)
        if text != self._last_logged_error:  # once per kind, not at the frame rate
            self.get_logger().warning(text)
            self._last_logged_error = text

    def _publish_status(self) -> None:
        now = time.monotonic()
        status = self.health.status(now)
        ok = bool(status["ok"])
        if ok != self._was_ok:  # one call site per severity: rclpy refuses a mixed one
            if ok:
                self.get_logger().info("camera frames arriving")
            else:
                self.get_logger().warning(f"no camera frame: {status['last_error']}")
            self._was_ok, self._last_logged_error = ok, ""
        self.pub_status.publish(String(data=json.dumps({"node": NODE_NAME, **status})))

    def safe_stop(self) -> None:
        if self.grabber is not None:
            self.grabber.close()
            self.grabber = None


def main(args: list[str] | None = None) -> int:
    return run_node(CameraNode, args, name=NODE_NAME)


if __name__ == "__main__":
    sys.exit(main())
