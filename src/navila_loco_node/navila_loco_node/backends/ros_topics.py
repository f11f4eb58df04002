"""ROS topics backend: /joint_states + /imu/data (+ /odom) in, /joint_command out.

This is how the embedded MuJoCo sim and the Isaac Sim ROS 2 bridge are driven. Part of the ROS
shell (it needs the node to create its subscriptions); the mapping logic is in joint_map.

Command convention on /joint_command (sensor_msgs/JointState, names = policy joint names):
* PD modes (stand_up, walk): `position` = targets, `velocity` = zeros (Isaac Sim's articulation
  controller applies its drive gains; the embedded sim uses the config's kp/kd for these names).
* damp: `position` EMPTY, `velocity` = zeros -> a pure velocity (damping) drive to rest.
* passive: `position` and `velocity` empty, `effort` = zeros -> zero torque.
"""

from __future__ import annotations

import threading
import time

import numpy as np
from nav_msgs.msg import Odometry
from rclpy.node import Node
from rclpy.qos import QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import Imu, JointState

from navila_loco_node.config import LocoConfig
from navila_loco_node.joint_map import index_map
from navila_loco_node.types import JointCommand, RobotState


class RosTopicsBackend:
    kind = "ros_topics"

    def __init__(self, node: Node, config: LocoConfig) -> None:
        self.node = node
        self.names = list(config.joints.names)
        self.n = len(self.names)
        self.damping_kd = config.safety.damping_kd
        topics = config.ros_topics
        sensor_qos = QoSProfile(depth=5, reliability=ReliabilityPolicy.BEST_EFFORT)
        command_qos = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE)
        self._lock = threading.Lock()
        self._idx_cache: dict[tuple[str, ...], np.ndarray] = {}
        self._joint: tuple[np.ndarray, np.ndarray, float] | None = None
        self._imu: tuple[np.ndarray, np.ndarray, float] | None = None
        self._lin_vel: tuple[np.ndarray, float] | None = None
        self._seq = 0
        self.rejected = 0
        self.last_error = ""
        node.create_subscription(
            JointState, topics["joint_states_topic"], self._on_joints, sensor_qos
        )
        node.create_subscription(Imu, topics["imu_topic"], self._on_imu, sensor_qos)
        node.create_subscription(Odometry, topics["odom_topic"], self._on_odom, sensor_qos)
        self._pub = node.create_publisher(JointState, topics["joint_command_topic"], command_qos)

    # ---------------------------------------------------------------- inputs
    def _on_joints(self, msg: JointState) -> None:
        now = time.monotonic()
        key = tuple(msg.name)
        idx = self._idx_cache.get(key)
        if idx is None:
            try:
                idx = index_map(key, self.names)
            except ValueError as exc:
                self.rejected += 1
                self.last_error = f"joint_states rejected: {exc}"
                return
            if len(msg.position) != len(key) or len(msg.velocity) not in (0, len(key)):
                self.rejected += 1
                self.last_error = "joint_states: position/velocity length differs from names"
                return
            self._idx_cache[key] = idx
        pos = np.asarray(msg.position, dtype=float)[idx]
        vel = np.asarray(msg.velocity, dtype=float)[idx] if len(msg.velocity) else np.zeros(self.n)
        with self._lock:
            self._seq += 1
            self._joint = (pos, vel, now)

    def _on_imu(self, msg: Imu) -> None:
        now = time.monotonic()
        o, w = msg.orientation, msg.angular_velocity
        with self._lock:
            self._imu = (np.array([o.w, o.x, o.y, o.z]), np.array([w.x, w.y, w.z]), now)

    def _on_odom(self, msg: Odometry) -> None:
        """nav_msgs/Odometry twist is in child_frame_id (base_link): already the body frame."""
        v = msg.twist.twist.linear
        with self._lock:
            self._lin_vel = (np.array([v.x, v.y, v.z]), time.monotonic())

    def read_state(self) -> RobotState | None:
        with self._lock:
            joint, imu, lin, seq = self._joint, self._imu, self._lin_vel, self._seq
        if joint is None or imu is None:
            return None
        return RobotState(
            joint_pos=joint[0],
            joint_vel=joint[1],
            quat_wxyz=imu[0],
            ang_vel=imu[1],
            joint_stamp=joint[2],
            imu_stamp=imu[2],
            lin_vel=np.zeros(3) if lin is None else lin[0],
            lin_vel_stamp=None if lin is None else lin[1],
            seq=seq,
        )

    # ---------------------------------------------------------------- outputs
    def write_command(self, cmd: JointCommand) -> None:
        msg = JointState()
        msg.header.stamp = self.node.get_clock().now().to_msg()
        msg.name = self.names
        position, velocity, effort = cmd.joint_state_fields()
        if position is not None:
            msg.position = [float(v) for v in position]
        if velocity is not None:
            msg.velocity = [float(v) for v in velocity]
        if effort is not None:
            msg.effort = [float(v) for v in effort]
        self._pub.publish(msg)

    def damp(self) -> None:
        self.write_command(JointCommand.damping(self.n, self.damping_kd))

    def close(self) -> None:
        self.damp()
