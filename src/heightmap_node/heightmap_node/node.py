"""ROS 2 shell around ``HeightMapBuilder``: /lidar/points in, the policy's height map out.

Subscribes: /lidar/points (PointCloud2, best effort), optionally /odom (nav_msgs/Odometry: shifts
accumulated scans and the temporal history) and /imu/data (sensor_msgs/Imu: roll/pitch for
``gravity_align``). Publishes, once per accepted cloud: /navila/height_map
(Float32MultiArray, dims named "x"/"y" in the preset's order, ``data`` = the policy's flat input
vector; an all-NaN map means "no information", e.g. an empty cloud), /navila/height_map/image
(sensor_msgs/Image 32FC1, the same matrix, for rqt/rviz), and /navila/status (String JSON) on
every event and at ``status_rate_hz``: state, last error, resolution, origin, shape, counters and
the ``stale`` flag the locomotion node uses to fall back to its blind policy. With
``clearance.enabled`` also /navila/clearance (std_msgs/Float32MultiArray [ahead, around], per
cloud): the free distances straight ahead and in any direction, for navila_loco's obstacle guard
(``heightmap_node.clearance``).

A malformed cloud (missing/non-float fields, truncated data, big-endian, absurd sizes) is logged,
counted, reported in the status and skipped; the node stays up. Staleness is measured on the
steady clock (or the ROS clock with ``use_sim_time``) from the arrival of the last good cloud.
"""

from __future__ import annotations

import array
import json
import math
import sys
from typing import Any

import numpy as np
from nav_msgs.msg import Odometry
from navila_common.distances import json_distance
from navila_common.node_params import declare_robot_and_topics
from navila_common.node_runner import run_node
from rcl_interfaces.msg import ParameterDescriptor
from rclpy.clock import Clock, ClockType
from rclpy.duration import Duration
from rclpy.node import Node
from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import Image, Imu, PointCloud2
from std_msgs.msg import Float32MultiArray, MultiArrayDimension, String

from heightmap_node.builder import HeightMap, HeightMapBuilder
from heightmap_node.clearance import (
    around_clearance,
    forward_clearance,
    points_in_base,
)
from heightmap_node.config import (
    NODE_NAME,
    PARAM_DESCRIPTIONS,
    builder_config_from_params,
    clearance_config_from_params,
    preset_defaults,
)
from heightmap_node.pointcloud import Field, PointCloudError, decode_xyz
from heightmap_node.transforms import attitude_from_quat, make_transform, quat_to_matrix

TOPICS = {
    "points": ("/lidar/points", "input cloud (sensor_msgs/PointCloud2, best effort)"),
    "height_map": ("/navila/height_map", "policy height map (std_msgs/Float32MultiArray)"),
    "image": ("/navila/height_map/image", "debug view of the map (sensor_msgs/Image 32FC1)"),
    "status": ("/navila/status", "node status as JSON (std_msgs/String)"),
    "odom": ("/odom", "base odometry (nav_msgs/Odometry), used when use_odom is true"),
    "imu": ("/imu/data", "base IMU (sensor_msgs/Imu), used when use_imu is true"),
    "clearance": (
        "/navila/clearance",
        "[ahead, around] free distances, m (std_msgs/Float32MultiArray; +inf free, NaN unseen), "
        "when clearance.enabled",
    ),
}


class HeightMapNode(Node):
    def __init__(self) -> None:
        super().__init__(NODE_NAME)
        preset = self.declare_parameter(
            "preset", "go2", ParameterDescriptor(description=PARAM_DESCRIPTIONS["preset"])
        ).value
        try:
            defaults = preset_defaults(str(preset))
        except ValueError as exc:
            self.get_logger().fatal(f"invalid heightmap configuration: {exc}")
            raise
        params: dict[str, Any] = {"preset": preset}
        for name, default in defaults.items():
            desc = ParameterDescriptor(description=PARAM_DESCRIPTIONS[name])
            params[name] = self.declare_parameter(name, default, desc).value
        topics = declare_robot_and_topics(self, TOPICS)
        try:
            self.config = builder_config_from_params(params)
            self.clearance = clearance_config_from_params(params)
        except (ValueError, TypeError) as exc:
            self.get_logger().fatal(f"invalid heightmap configuration: {exc}")
            raise
        self.preset = str(preset)
        self.builder = HeightMapBuilder(self.config)
        self.grid = self.config.map.grid

        use_sim_time = bool(self.get_parameter("use_sim_time").value)
        self._clock = self.get_clock() if use_sim_time else Clock(clock_type=ClockType.STEADY_TIME)

        sensor_qos = QoSProfile(
            depth=5, reliability=ReliabilityPolicy.BEST_EFFORT, history=HistoryPolicy.KEEP_LAST
        )
        reliable = QoSProfile(depth=5, reliability=ReliabilityPolicy.RELIABLE)
        self._map_pub = self.create_publisher(Float32MultiArray, topics["height_map"], reliable)
        self._img_pub = self.create_publisher(Image, topics["image"], reliable)
        self._status_pub = self.create_publisher(String, topics["status"], QoSProfile(depth=50))
        self.create_subscription(PointCloud2, topics["points"], self._on_cloud, sensor_qos)
        self._clearance_pub = None
        self.last_clearance: tuple[float, float] | None = None  # (ahead, around)
        if self.clearance.enabled:  # published like the map: a best-effort reader matches it
            self._clearance_pub = self.create_publisher(
                Float32MultiArray, topics["clearance"], reliable
            )
        self._pose: np.ndarray | None = None
        if bool(params["use_odom"]):
            self.create_subscription(Odometry, topics["odom"], self._on_odom, sensor_qos)
        if bool(params["use_imu"]):
            self.create_subscription(Imu, topics["imu"], self._on_imu, sensor_qos)

        if not bool(params["use_odom"]) and (
            self.config.map.temporal_frames > 1 or self.config.accumulate_max_scans > 1
        ):
            self.get_logger().warning(
                "temporal_frames or accumulate_max_scans > 1 without use_odom: earlier scans and "
                "maps are merged without motion compensation (smears while the robot moves)"
            )
        self.clouds_received = 0
        self.clouds_rejected = 0
        self.maps_published = 0
        self.last_error: dict[str, Any] | None = None
        self.last_map: HeightMap | None = None
        self.frame_id = ""
        self._was_stale = True
        self._started = self.now()
        rate = float(params["status_rate_hz"])
        if not (math.isfinite(rate) and rate > 0):
            self.get_logger().fatal(f"invalid heightmap configuration: status_rate_hz {rate}")
            raise ValueError(f"status_rate_hz must be > 0, got {rate}")
        self.create_timer(1.0 / rate, self._on_status_timer, clock=self._clock)
        self.get_logger().info(
            f"ready: preset {self.preset}, grid {self.grid.shape} ({'/'.join(self.grid.dim_labels)}"
            f") at {self.grid.resolution:g} m, {topics['points']} -> {topics['height_map']}"
        )

    def now(self) -> float:
        return self._clock.now().nanoseconds * 1e-9

    # ------------------------------------------------------------------------------ callbacks
    def _on_cloud(self, msg: PointCloud2) -> None:
        self.clouds_received += 1
        now = self.now()
        try:
            fields = [Field(f.name, f.offset, f.datatype, f.count) for f in msg.fields]
            points = decode_xyz(
                msg.data,
                fields,
                width=msg.width,
                height=msg.height,
                point_step=msg.point_step,
                row_step=msg.row_step,
                is_bigendian=msg.is_bigendian,
                max_points=self.config.max_points,
            )
            self.builder.add_scan(points, stamp=now, pose=self._pose)
            hm = self.builder.build(pose_now=self._pose)
        except (PointCloudError, ValueError) as exc:
            self.clouds_rejected += 1
            code = exc.code if isinstance(exc, PointCloudError) else "bad_cloud"
            self.last_error = {"code": code, "message": str(exc), "time": now}
            self.get_logger().error(f"skipped point cloud #{self.clouds_received}: {exc}")
            self._publish_status(event="rejected")
            return
        self.frame_id = msg.header.frame_id
        self.last_map = hm
        self._publish_map(hm, msg)
        if self._clearance_pub is not None:
            self._publish_clearance(points)
        for w in hm.warnings:
            self.get_logger().warning(w, throttle_duration_sec=5.0)
        if self._was_stale:
            self._was_stale = False
            self.get_logger().info("receiving point clouds: height map live")
            self._publish_status(event="live")
        elif not hm.valid:
            self._publish_status(event="no_data")

    def _on_odom(self, msg: Odometry) -> None:
        p, q = msg.pose.pose.position, msg.pose.pose.orientation
        try:
            rot = quat_to_matrix((q.w, q.x, q.y, q.z))
        except ValueError as exc:
            self.get_logger().warning(f"ignored odometry: {exc}", throttle_duration_sec=5.0)
            return
        if not all(math.isfinite(v) for v in (p.x, p.y, p.z)):
            self.get_logger().warning("ignored odometry: non-finite position")
            return
        self._pose = make_transform((p.x, p.y, p.z), rot)

    def _on_imu(self, msg: Imu) -> None:
        q = msg.orientation
        if msg.orientation_covariance[0] == -1.0:
            self.get_logger().warning("IMU has no orientation", throttle_duration_sec=10.0)
            return
        try:
            roll, pitch = attitude_from_quat((q.w, q.x, q.y, q.z))
            self.builder.set_attitude(roll, pitch)
        except ValueError as exc:
            self.get_logger().warning(f"ignored IMU: {exc}", throttle_duration_sec=5.0)

    def _on_status_timer(self) -> None:
        stale = self.builder.is_stale(self.now())
        if stale and not self._was_stale:
            self._was_stale = True
            self.get_logger().warning(
                f"no point cloud for > {self.config.stale_after_s:g} s: height map stale"
            )
            self._publish_status(event="stale")
            return
        self._publish_status()

    # ------------------------------------------------------------------------------- outputs
    def _publish_map(self, hm: HeightMap, cloud: PointCloud2) -> None:
        flat = hm.flat if hm.valid else np.full(self.grid.size, np.nan, np.float32)
        rows, cols = self.grid.shape
        msg = Float32MultiArray()
        msg.layout.dim = [
            MultiArrayDimension(label=self.grid.dim_labels[0], size=rows, stride=rows * cols),
            MultiArrayDimension(label=self.grid.dim_labels[1], size=cols, stride=cols),
        ]
        msg.layout.data_offset = 0
        msg.data = array.array("f", flat.astype(np.float32).tobytes())
        self._map_pub.publish(msg)
        img = Image()
        img.header.stamp = cloud.header.stamp
        img.header.frame_id = cloud.header.frame_id
        img.height, img.width = rows, cols
        img.encoding = "32FC1"
        img.is_bigendian = 0
        img.step = cols * 4
        img.data = flat.astype("<f4").tobytes()
        self._img_pub.publish(img)
        self.maps_published += 1

    def _publish_clearance(self, points: np.ndarray) -> None:
        """The newest scan's free distances ahead and around (clearance module), levelled
        where the IMU's attitude is known; NaN where the scan saw nothing."""
        base = points_in_base(points, self.config.sensor_to_base, self.builder.attitude)
        ahead = forward_clearance(base, self.clearance)
        around = around_clearance(base, self.clearance)
        self.last_clearance = (ahead, around)
        msg = Float32MultiArray()
        msg.layout.dim = [MultiArrayDimension(label="ahead_around", size=2, stride=2)]
        msg.data = array.array("f", [ahead, around])
        self._clearance_pub.publish(msg)

    def status(self, event: str | None = None) -> dict[str, Any]:
        now = self.now()
        stale = self.builder.is_stale(now)
        hm = self.last_map
        if self.builder.last_scan_time is None:
            state = "waiting"
        elif stale:
            state = "stale"
        elif hm is not None and not hm.valid:
            state = "no_data"
        else:
            state = "ok"
        last_t = self.builder.last_scan_time
        return {
            "node": NODE_NAME,
            "state": state,
            "event": event,
            "stale": stale,
            "error": self.last_error,
            "warnings": list(hm.warnings) if hm is not None else [],
            "preset": self.preset,
            "resolution": self.grid.resolution,
            "origin": list(self.grid.origin()),
            "shape": list(self.grid.shape),
            "dims": list(self.grid.dim_labels),
            "order": self.grid.order,
            "cell_mode": self.grid.cell_mode,
            "frame_id": self.frame_id,
            "clouds_received": self.clouds_received,
            "clouds_rejected": self.clouds_rejected,
            "maps_published": self.maps_published,
            "last_points": hm.points_in if hm is not None else 0,
            "last_points_used": hm.points_used if hm is not None else 0,
            "known_cells": int(hm.known.sum()) if hm is not None else 0,
            "age_s": None if last_t is None else round(now - last_t, 3),
            "stale_after_s": self.config.stale_after_s,
            "kernel": self.builder.kernel,
            "attitude_known": self.builder.attitude is not None,
            "odom_known": self._pose is not None,
            # JSON has no inf/NaN: free to the corridor's end -> "free", unseen -> null
            "clearance_m": _json_clearance(self.last_clearance),
            "time": now,
        }

    def _publish_status(self, event: str | None = None) -> None:
        self._status_pub.publish(String(data=json.dumps(self.status(event))))

    def safe_stop(self) -> None:
        """Tell consumers the map stops now, so the locomotion node falls back at once."""
        status = {**self.status("shutdown"), "state": "stopped", "stale": True}
        self._status_pub.publish(String(data=json.dumps(status)))
        self._status_pub.wait_for_all_acked(Duration(seconds=0.5))
        self.get_logger().info("shutdown: stale status published")


def _json_clearance(value: tuple[float, float] | None) -> dict[str, float | str | None] | None:
    """{"ahead", "around"}: JSON has no inf/NaN, so free -> "free" and unseen -> null."""
    if value is None:
        return None
    return {k: json_distance(v) for k, v in zip(("ahead", "around"), value, strict=True)}


def main(args: list[str] | None = None) -> int:
    return run_node(HeightMapNode, args, name=NODE_NAME)


if __name__ == "__main__":
    sys.exit(main())
