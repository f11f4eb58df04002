"""ROS 2 shell of the locomotion node: parameters, topics, the 50 Hz loop thread, safe stop.

Subscribes /cmd_vel (Twist), /navila/height_map (Float32MultiArray), /navila/estop (Bool),
/navila/loco/command (String: start | stop | reset) and, with the obstacle guard on,
/navila/clearance (Float32MultiArray [ahead, around] from heightmap_node; obstacle_guard.py).
Publishes /navila/status (String JSON with "node": "navila_loco") on every supervisor transition
and at `status_rate_hz`, and, where `topics.imu_out` names a topic, the IMU the backend reads
(sensor_msgs/Imu, each new finite reading, at most once per step): on a robot driven through a
vendor SDK nothing else publishes the IMU that heightmap_node levels its map with (the H1's
LiDAR driver gives no attitude).
The robot I/O goes through the configured backend; the control step runs on a DeadlineLoop
thread (absolute deadlines on time.monotonic, not an rclpy timer), always on the newest state.
On SIGINT/SIGTERM the robot is damped, the damping is delivered, and the process exits 0.
"""

from __future__ import annotations

import json
import math
import sys
import threading
import time
from collections import deque
from dataclasses import asdict
from typing import Any

import numpy as np
from geometry_msgs.msg import Twist
from navila_common.node_runner import run_node
from rcl_interfaces.msg import ParameterDescriptor
from rclpy.duration import Duration
from rclpy.node import Node
from rclpy.parameter import Parameter
from rclpy.qos import QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import Imu
from std_msgs.msg import Bool, Float32MultiArray, String

from navila_loco_node.config import NODE_NAME, PARAMS, LocoConfig, loco_config_from_params
from navila_loco_node.controller import DeadlineLoop, LocoController
from navila_loco_node.policy import load_policy
from navila_loco_node.supervisor import Mode, Transition
from navila_loco_node.types import RobotState, VelocityCommand

_TYPES = {
    "str": Parameter.Type.STRING,
    "float": Parameter.Type.DOUBLE,
    "int": Parameter.Type.INTEGER,
    "bool": Parameter.Type.BOOL,
    "str[]": Parameter.Type.STRING_ARRAY,
    "float[]": Parameter.Type.DOUBLE_ARRAY,
    "int[]": Parameter.Type.INTEGER_ARRAY,
}


def make_backend(node: Node, config: LocoConfig) -> Any:
    if config.backend == "ros_topics":
        from navila_loco_node.backends.ros_topics import RosTopicsBackend

        return RosTopicsBackend(node, config)
    if config.backend == "unitree_sdk2":
        from navila_loco_node.backends.unitree import UnitreeBackend

        return UnitreeBackend(config)
    from navila_loco_node.backends.booster import BoosterLocoBackend

    return BoosterLocoBackend(config)


class LocoNode(Node):
    def __init__(self) -> None:
        super().__init__(NODE_NAME)
        values = {}
        for key, kind, default, desc in PARAMS:
            descriptor = ParameterDescriptor(description=desc)
            value = _TYPES[kind] if default is None else default
            values[key] = self.declare_parameter(key, value, descriptor).value
        try:
            self.config = loco_config_from_params(values)
        except (ValueError, TypeError) as exc:
            self.get_logger().fatal(f"invalid navila_loco configuration: {exc}")
            raise
        cfg = self.config
        self.policy = None
        if cfg.control_mode == "joint_policy":
            from navila_loco_node.observation import ObservationBuilder

            size = ObservationBuilder(cfg).size
            if cfg.policy_num_inputs and cfg.policy_num_inputs != size:
                msg = (
                    f"policy.num_inputs is {cfg.policy_num_inputs} but the observation layout in "
                    f"this config builds {size} inputs"
                )
                self.get_logger().fatal(msg)
                raise ValueError(msg)
            if cfg.policy_path:
                try:
                    self.policy = load_policy(cfg.policy_path, size, cfg.joints.n)
                except (ValueError, FileNotFoundError) as exc:
                    self.get_logger().fatal(str(exc))
                    raise ValueError(str(exc)) from exc
                self.get_logger().info(f"policy {cfg.policy_path} ({self.policy.kind}, {size} in)")
            else:
                self.get_logger().warning(
                    "no policy.path set: the robot will stand up and hold the default pose"
                )
        self.controller = LocoController(cfg, self.policy)
        self._lock = threading.Lock()  # the controller is shared by callbacks and the loop
        self._latency: deque[float] = deque(maxlen=2000)
        self._last_error = ""

        t = cfg.topics
        reliable = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE)
        sensor = QoSProfile(depth=2, reliability=ReliabilityPolicy.BEST_EFFORT)
        self._status_pub = self.create_publisher(String, t["status"], QoSProfile(depth=50))
        self.backend = make_backend(self, cfg)
        self._imu_pub = None
        self._imu_stamp: float | None = None
        if t["imu_out"]:  # sensor data: best effort, newest only (DEPLOY_FACTS)
            self._imu_pub = self.create_publisher(
                Imu, t["imu_out"], QoSProfile(depth=1, reliability=ReliabilityPolicy.BEST_EFFORT)
            )
        self.create_subscription(Twist, t["cmd_vel"], self._on_cmd_vel, reliable)
        # Best effort matches both reliable and best-effort publishers of the map.
        self.create_subscription(Float32MultiArray, t["height_map"], self._on_height_map, sensor)
        self.create_subscription(Bool, t["estop"], self._on_estop, reliable)
        if self.controller.supervisor.obstacle.active:
            self.create_subscription(Float32MultiArray, t["clearance"], self._on_clearance, sensor)
            g = cfg.safety.obstacle
            self.get_logger().info(
                f"obstacle guard on: forward speed held below {g.stop_m:g} m of clearance "
                f"ahead, turning below {g.turn_stop_m:g} m around, on {t['clearance']}"
            )
        self.create_subscription(String, t["command"], self._on_command, reliable)
        self.create_timer(1.0 / cfg.status_rate_hz, self._publish_status)
        self.loop = DeadlineLoop(self._tick, cfg.period_s, on_error=self._on_loop_error)
        self.loop.start()
        self.get_logger().info(
            f"ready: {cfg.robot} {cfg.control_mode} via {cfg.backend} at "
            f"{cfg.policy_rate_hz:g} Hz, {cfg.joints.n} joints, policy "
            f"{self.policy.kind if self.policy else 'none'}"
        )

    # ---------------------------------------------------------------- callbacks
    def _on_cmd_vel(self, msg: Twist) -> None:
        cmd = VelocityCommand(msg.linear.x, msg.linear.y, msg.angular.z, stamp=time.monotonic())
        with self._lock:
            self.controller.supervisor.set_command(cmd)
        self._flush_events()

    def _on_height_map(self, msg: Float32MultiArray) -> None:
        values = np.asarray(msg.data, dtype=np.float64)
        with self._lock:
            self.controller.set_height_map(values, time.monotonic())
        self._flush_events()

    def _on_clearance(self, msg: Float32MultiArray) -> None:
        """[ahead, around] from heightmap_node; anything else is unknown (NaN: both held)."""
        values = list(msg.data)
        if len(values) == 2:
            ahead, around = values
        else:
            ahead = around = math.nan
            self.get_logger().warning(
                f"clearance message with {len(values)} values (expected [ahead, around]): "
                "read as unknown",
                throttle_duration_sec=5.0,
            )
        with self._lock:
            self.controller.supervisor.obstacle.set_clearance(ahead, around, time.monotonic())

    def _on_estop(self, msg: Bool) -> None:
        with self._lock:
            self.controller.supervisor.set_estop(bool(msg.data), time.monotonic())
        self._flush_events()

    def _on_command(self, msg: String) -> None:
        with self._lock:
            state = self.backend.read_state()
            if state is not None:  # checked as the loop checks it: the base's frame, velocity
                state = self.controller.base_state(state)
            self.controller.supervisor.request(msg.data, time.monotonic(), state)
        self._flush_events()

    # ---------------------------------------------------------------- the loop
    def _tick(self, now: float) -> None:
        state = self.backend.read_state()
        with self._lock:
            result = self.controller.step(now, state)
        if result.command is not None:
            self.backend.write_command(result.command)
            if state is not None and result.mode == Mode.WALK:
                self._latency.append(time.monotonic() - state.joint_stamp)
        else:
            self.backend.set_mode(result.mode.value)
            self.backend.move(*result.velocity)
        if self._imu_pub is not None and state is not None:  # after the command: no latency
            self._publish_imu(state)
        error = getattr(self.backend, "error", None)
        if error and error != self._last_error:  # a backend failure damps and is reported
            self._last_error = error
            with self._lock:
                self.controller.supervisor.damp(now, error)
        self._flush_events()

    def _publish_imu(self, state: RobotState) -> None:
        """The backend's IMU reading (the sensor's frame: the H1's torso), once per new reading;
        a non-finite one is not passed on (the supervisor damps on it)."""
        if state.imu_stamp == self._imu_stamp:
            return
        self._imu_stamp = state.imu_stamp
        q, w = state.quat_wxyz, state.ang_vel
        if not (np.all(np.isfinite(q)) and np.all(np.isfinite(w))):
            return
        msg = Imu()
        msg.header.stamp = self.get_clock().now().to_msg()
        msg.header.frame_id = "imu_link"
        o, r = msg.orientation, msg.angular_velocity
        o.w, o.x, o.y, o.z = (float(v) for v in q)
        r.x, r.y, r.z = (float(v) for v in w)
        msg.linear_acceleration_covariance[0] = -1.0  # not read by the backends: unknown (REP 145)
        try:
            self._imu_pub.publish(msg)
        except Exception as exc:  # a side output: never a reason to damp the robot
            self.get_logger().warning(f"IMU not republished: {exc}", throttle_duration_sec=5.0)

    def _on_loop_error(self, exc: BaseException) -> None:
        """A crash in the step damps the robot; the loop keeps running (in DAMP)."""
        self._last_error = f"{type(exc).__name__}: {exc}"
        with self._lock:
            self.controller.supervisor.damp(time.monotonic(), f"control step error: {exc}")
        try:
            self.backend.damp()
        except Exception as damp_exc:
            self._last_error += f"; damping failed too: {damp_exc}"
        self._flush_events()

    def _flush_events(self) -> None:
        with self._lock:
            transitions = self.controller.supervisor.pop_transitions()
            notes = self.controller.supervisor.pop_notes()
        for tr in transitions:
            # rclpy forbids one call site logging at two severities: two call sites.
            if tr.target == "damp":
                self.get_logger().warning(f"{tr.source} -> {tr.target}: {tr.reason}")
            else:
                self.get_logger().info(f"{tr.source} -> {tr.target}: {tr.reason}")
            self._publish_status(tr)
        for note in notes:
            self.get_logger().info(note)

    def status(self) -> dict[str, Any]:
        now = time.monotonic()
        with self._lock:
            sup = self.controller.supervisor.status(now)
            odo = self.controller.leg_odometry
            legs = None if odo is None else odo.status()
        lat = np.asarray(self._latency) * 1e6 if self._latency else None
        return {
            "node": NODE_NAME,
            "robot": self.config.robot,
            "backend": self.config.backend,
            "policy": None if self.policy is None else self.policy.kind,
            **sup,
            "loop": asdict(self.loop.stats()),
            "state_to_command_us": None
            if lat is None
            else {"p50": float(np.percentile(lat, 50)), "p99": float(np.percentile(lat, 99))},
            "last_error": self._last_error,
            "leg_odometry": legs,  # the estimated base velocity (null: not estimated here)
        }

    def _publish_status(self, transition: Transition | None = None) -> None:
        status = self.status()
        status["event"] = None if transition is None else "transition"
        if transition is not None:
            status["transition"] = transition.to_dict()
        self._status_pub.publish(String(data=json.dumps(status)))

    def safe_stop(self) -> None:
        """Stop the loop, damp, deliver, release the backend."""
        self.loop.stop()
        with self._lock:
            self.controller.supervisor.damp(time.monotonic(), "shutdown")
        self._flush_events()
        try:
            self.backend.close()
        except Exception as exc:
            self.get_logger().error(f"backend close failed: {exc}")
        self._status_pub.wait_for_all_acked(Duration(seconds=0.5))
        self.get_logger().info("shutdown: robot damped")


def main(args: list[str] | None = None) -> int:
    return run_node(
        LocoNode, args, name=NODE_NAME, config_errors=(ValueError, TypeError, RuntimeError)
    )


if __name__ == "__main__":
    sys.exit(main())
