"""navila_sim.lidar_relay: the Unitree DDS mode's LiDAR driver process publishes the scans it is
handed as PointCloud2 on its ROS domain, exactly, and stops when asked (exit 0) or is seen dead."""

from __future__ import annotations

import time

import numpy as np
import pytest
from rclpy.qos import QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import PointCloud2

from heightmap_node.pointcloud import Field, decode_xyz
from navila_bringup.probe import Probe
from navila_sim.lidar_relay import LidarRelay

pytestmark = pytest.mark.ros

TIMEOUT = 30.0


def test_scans_reach_ros_exactly_and_the_driver_stops_cleanly(ros_domain) -> None:
    points = np.random.default_rng(0).normal(size=(500, 3)).astype(np.float32)
    relay = LidarRelay(ros_domain, "/lidar/points", "lidar")
    try:
        with Probe(domain_id=ros_domain) as probe:
            best_effort = QoSProfile(depth=5, reliability=ReliabilityPolicy.BEST_EFFORT)
            clouds = probe.record(PointCloud2, "/lidar/points", best_effort)
            deadline = time.monotonic() + TIMEOUT
            while not clouds.wait_count(1, 0.2):  # the driver starts: keep offering
                assert time.monotonic() < deadline, "no cloud from the driver process"
                relay.offer(points)
            msg = clouds.items[-1].msg
        assert msg.header.frame_id == "lidar" and msg.width == 500
        fields = [Field(f.name, f.offset, f.datatype, f.count) for f in msg.fields]
        got = decode_xyz(
            msg.data, fields, width=msg.width, height=msg.height, point_step=msg.point_step,
            row_step=msg.row_step, is_bigendian=msg.is_bigendian,
        )  # fmt: skip
        np.testing.assert_array_equal(got, points)
    finally:
        assert relay.close() == 0
    assert not relay.alive


def test_a_dead_driver_is_seen(ros_domain) -> None:
    relay = LidarRelay(ros_domain, "/lidar/points", "lidar")
    relay._proc.kill()
    relay._proc.join(TIMEOUT)
    assert not relay.alive and relay.exitcode is not None and relay.exitcode != 0
    assert relay.close() == relay.exitcode


def test_a_bad_domain_is_refused() -> None:
    with pytest.raises(ValueError, match="domain id"):
        LidarRelay(-1, "/lidar/points", "lidar")
