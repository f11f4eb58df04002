"""The simulated LiDAR on ROS 2 for the Unitree DDS mode: a child process plays the LiDAR driver.

On a real Go2 or H1 the point cloud does not come through unitree_sdk2's LowState: the Go2's
L1 publishes `utlidar/cloud`, the H1's MID-360 is read by Livox's ROS 2 driver - a ROS topic
either way, from a process of its own. `navila_sim.unitree_sim` owns the physics but must stay
free of rclpy (the SDK's CycloneDDS and rclpy collide in one process, DEPLOY_FACTS.md), so it
hands each scan to a child process (spawned: a fresh interpreter, no DDS state inherited) that
publishes it as sensor_msgs/PointCloud2, best effort, depth 1, stamped with the ROS clock at
publication, as a driver does. Scans go through a one-slot queue: when the driver falls behind
the newest scan waits and the rest are dropped and counted, and the physics never blocks.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import queue
import signal

import numpy as np

NODE_NAME = "unitree_sim_lidar"


class LidarRelay:
    """Parent side: starts the driver process, offers scans, shuts it down."""

    def __init__(self, domain_id: int, topic: str, frame_id: str) -> None:
        if domain_id < 0:
            raise ValueError(f"ROS domain id must be >= 0, got {domain_id}")
        ctx = multiprocessing.get_context("spawn")
        self._queue = ctx.Queue(maxsize=1)
        self._proc = ctx.Process(
            target=driver_main,
            args=(self._queue, domain_id, topic, frame_id),
            name=NODE_NAME,
            daemon=True,
        )
        self._proc.start()
        self.offered = 0
        self.dropped = 0

    @property
    def alive(self) -> bool:
        return self._proc.is_alive()

    @property
    def exitcode(self) -> int | None:
        return self._proc.exitcode

    def offer(self, points: np.ndarray) -> bool:
        """Queue a scan for publication; False (and counted) when the driver still has one."""
        self.offered += 1
        try:
            self._queue.put_nowait(np.ascontiguousarray(points, dtype=np.float32))
        except queue.Full:
            self.dropped += 1
            return False
        return True

    def close(self, timeout: float = 5.0) -> int | None:
        """Ask the driver to stop (a None scan), wait, terminate it if it does not; its exit
        code (None if it had to be killed)."""
        if self._proc.is_alive():
            with contextlib.suppress(queue.Full):
                self._queue.put(None, timeout=timeout)
            self._proc.join(timeout)
        if self._proc.is_alive():
            self._proc.terminate()
            self._proc.join(timeout)
            return None
        self._queue.close()
        return self._proc.exitcode


def driver_main(scans: multiprocessing.Queue, domain_id: int, topic: str, frame_id: str) -> None:
    """Child side: publish every scan from `scans` until a None arrives."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when the driver stops
    os.environ["ROS_DOMAIN_ID"] = str(domain_id)
    import rclpy
    from rclpy.qos import QoSProfile, ReliabilityPolicy
    from sensor_msgs.msg import PointCloud2

    from navila_sim.cloud_msg import xyz_cloud

    rclpy.init()
    node = rclpy.create_node(NODE_NAME)
    pub = node.create_publisher(
        PointCloud2, topic, QoSProfile(depth=1, reliability=ReliabilityPolicy.BEST_EFFORT)
    )
    try:
        while True:
            points = scans.get()
            if points is None:
                break
            pub.publish(xyz_cloud(points, node.get_clock().now().to_msg(), frame_id))
    finally:
        node.destroy_node()
        rclpy.try_shutdown()
