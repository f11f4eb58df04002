"""ROS 2 shell around `PlannerCore`: instruction, camera, executor status in; planner text out.

Subscribes: /navila/instruction (String; empty cancels), /camera/image_raw (Image rgb8/bgr8),
/navila/status (String JSON; the executor's events drive replanning), /odom (Odometry; oracle
backend only). Publishes: /navila/vla/output (String: the plan text, or "stop" with the reason in
status), /navila/status (String JSON with "node": "navila_vla", state, latency, last error).

The backend is built on a worker thread (loading an 8B model takes a while; the node is up and
reporting "loading" meanwhile) and every planning step runs on that thread too, so callbacks never
block. A backend that fails to load leaves the node up, in state "error", answering instructions
with "stop". On SIGINT/SIGTERM the node publishes "stop" and exits 0.
"""

from __future__ import annotations

import json
import math
import queue
import sys
import threading
from dataclasses import fields
from typing import Any

import numpy as np
from navila_common.node_params import declare_robot_and_topics
from navila_common.node_runner import run_node
from rcl_interfaces.msg import ParameterDescriptor
from rclpy.clock import Clock, ClockType
from rclpy.duration import Duration
from rclpy.node import Node
from rclpy.parameter import Parameter
from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy
from std_msgs.msg import String

from navila_vla_node.config import DESCRIPTIONS, PlannerConfig
from navila_vla_node.planner import BackendInfo, Output, PlannerCore
from navila_vla_node.types import PlannerBackend, PlanRequest, PlanResult, Pose2D

NODE_NAME = "navila_vla"
TOPICS = {
    "instruction": ("/navila/instruction", "operator instruction (std_msgs/String); empty cancels"),
    "image": ("/camera/image_raw", "camera images (sensor_msgs/Image, rgb8 or bgr8)"),
    "status": ("/navila/status", "shared JSON status topic: executor events in, ours out"),
    "output": ("/navila/vla/output", "planner text for the executor (std_msgs/String)"),
    "odom": ("/odom", "ground-truth odometry (nav_msgs/Odometry), oracle backend only"),
}


def image_to_rgb(msg: Any) -> np.ndarray:
    """sensor_msgs/Image (rgb8, bgr8, rgba8, bgra8) -> H x W x 3 uint8 RGB. Raises ValueError."""
    channels = {"rgb8": 3, "bgr8": 3, "rgba8": 4, "bgra8": 4}
    enc = msg.encoding.lower()
    if enc not in channels:
        raise ValueError(f"unsupported image encoding {msg.encoding!r} (rgb8/bgr8/rgba8/bgra8)")
    c = channels[enc]
    h, w, step = int(msg.height), int(msg.width), int(msg.step)
    if h <= 0 or w <= 0 or step < w * c or len(msg.data) < step * h:
        raise ValueError(f"inconsistent image: {w}x{h}, step {step}, {len(msg.data)} bytes")
    buf = np.frombuffer(bytes(msg.data), dtype=np.uint8, count=step * h).reshape(h, step)
    img = buf[:, : w * c].reshape(h, w, c)[:, :, :3]
    if enc.startswith("bgr"):
        img = img[:, :, ::-1]
    return np.ascontiguousarray(img)


def yaw_from_quaternion(x: float, y: float, z: float, w: float) -> float:
    return math.atan2(2.0 * (w * z + x * y), 1.0 - 2.0 * (y * y + z * z))


class PlannerNode(Node):
    def __init__(self) -> None:
        super().__init__(NODE_NAME)
        topics = declare_robot_and_topics(self, TOPICS)
        params: dict[str, Any] = {}
        defaults = PlannerConfig()
        for f in fields(PlannerConfig):
            value = getattr(defaults, f.name)
            desc = ParameterDescriptor(description=DESCRIPTIONS.get(f.name, f.name))
            if isinstance(value, list):  # an empty list has no ROS type: declare it typed
                p = self.declare_parameter(f.name, Parameter.Type.DOUBLE_ARRAY, desc)
                params[f.name] = [float(v) for v in (p.value or [])]
            else:
                params[f.name] = self.declare_parameter(f.name, value, desc).value
        self.cfg = PlannerConfig.from_params(params)  # ValueError: logged by main, exit 2
        self.core = PlannerCore(self.cfg)
        self._lock = threading.RLock()
        self._clock = Clock(clock_type=ClockType.STEADY_TIME)
        self._backend: PlannerBackend | None = None
        self._jobs: queue.Queue[PlanRequest | None] = queue.Queue()
        self._worker_busy = False

        reliable = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE)
        sensor = QoSProfile(
            depth=2, reliability=ReliabilityPolicy.BEST_EFFORT, history=HistoryPolicy.KEEP_LAST
        )
        self._out_pub = self.create_publisher(String, topics["output"], reliable)
        self._status_pub = self.create_publisher(String, topics["status"], QoSProfile(depth=50))
        self.create_subscription(String, topics["instruction"], self._on_instruction, reliable)
        self.create_subscription(String, topics["status"], self._on_status, QoSProfile(depth=50))
        from sensor_msgs.msg import Image

        self.create_subscription(Image, topics["image"], self._on_image, sensor)
        if self.cfg.backend == "oracle":
            from nav_msgs.msg import Odometry

            self.create_subscription(Odometry, topics["odom"], self._on_odom, sensor)
        self.create_timer(0.05, self._on_tick, clock=self._clock)
        self.create_timer(1.0 / self.cfg.status_rate_hz, self._publish_status, clock=self._clock)
        self._worker = threading.Thread(target=self._work, name="planner", daemon=True)
        self._worker.start()
        self.get_logger().info(
            f"ready: backend {self.cfg.backend} (loading on a worker thread), "
            f"replan on {self.cfg.replan_mode}, output on {topics['output']}"
        )

    # ---------------------------------------------------------------- worker thread
    def _work(self) -> None:
        from navila_vla_node.backends import make_backend

        try:
            backend = make_backend(self.cfg)
        except Exception as exc:  # any load failure must leave the node up
            msg = f"{type(exc).__name__}: {exc}"
            self.get_logger().error(f"planner backend '{self.cfg.backend}' failed to load: {msg}")
            with self._lock:
                outs = self.core.set_backend_error(msg)
            self._emit(outs)
            return
        self._backend = backend
        info = BackendInfo(
            backend.name,
            bool(backend.needs_images),
            bool(getattr(backend, "needs_pose", False)),
            int(backend.num_frames),
        )
        with self._lock:
            outs = self.core.set_backend_ready(info)
        self._emit(outs)
        self.get_logger().info(f"planner backend '{backend.name}' loaded")
        while True:
            req = self._jobs.get()
            if req is None:
                break
            try:
                result = backend.plan(req)
            except Exception as exc:  # a crash in a backend is a stop, not a hang
                result = PlanResult(
                    "", False, f"{type(exc).__name__}: {exc}", finish_reason="error"
                )
            now = self.now()
            with self._lock:
                self._worker_busy = False
                outs = self.core.on_plan_done(req, result, now)
            lat = result.latency
            self.get_logger().info(
                f"[ep {req.episode} step {req.step}] {result.text!r} "
                f"({lat.total * 1000:.0f} ms; {lat.frames_encoded} frames encoded)"
                if result.ok
                else f"[ep {req.episode} step {req.step}] planner error: {result.error}"
            )
            self._emit(outs)
        backend.close()

    # ---------------------------------------------------------------- callbacks
    def now(self) -> float:
        return self._clock.now().nanoseconds * 1e-9

    def _on_instruction(self, msg: String) -> None:
        with self._lock:
            outs = self.core.on_instruction(msg.data, self.now())
        text = msg.data.strip()
        self.get_logger().info(f"new instruction: {text!r}" if text else "instruction cancelled")
        self._emit(outs)
        self._publish_status()

    def _on_image(self, msg: Any) -> None:
        try:
            rgb = image_to_rgb(msg)
        except ValueError as exc:
            self.get_logger().warning(f"image dropped: {exc}", throttle_duration_sec=5.0)
            return
        with self._lock:
            self.core.on_image(rgb, self.now())

    def _on_odom(self, msg: Any) -> None:
        p, q = msg.pose.pose.position, msg.pose.pose.orientation
        with self._lock:
            self.core.on_pose(Pose2D(p.x, p.y, yaw_from_quaternion(q.x, q.y, q.z, q.w)), self.now())

    def _on_status(self, msg: String) -> None:
        try:
            status = json.loads(msg.data)
        except (json.JSONDecodeError, UnicodeDecodeError):
            return
        if not isinstance(status, dict):
            return
        with self._lock:
            outs = self.core.on_executor_status(status, self.now())
        self._emit(outs)

    def _on_tick(self) -> None:
        with self._lock:
            req, outs = self.core.poll(self.now(), worker_idle=not self._worker_busy)
            if req is not None:
                self._worker_busy = True
        self._emit(outs)
        if req is not None:
            self._jobs.put(req)

    # ---------------------------------------------------------------- output
    def _emit(self, outs: list[Output]) -> None:
        for out in outs:
            self._out_pub.publish(String(data=out.text))
            if out.kind == "stop":
                self.get_logger().warning(f"published stop: {out.reason}")
            elif out.reason:
                self.get_logger().info(f"published {out.text!r}: {out.reason}")
            self._publish_status(event=out)

    def _publish_status(self, event: Output | None = None) -> None:
        with self._lock:
            status = {"node": NODE_NAME, **self.core.status(self.now()), "event": None}
        if event is not None:
            status["event"] = event.kind
            status["reason"] = event.reason
            status["output"] = event.text
        self._status_pub.publish(String(data=json.dumps(status)))

    def safe_stop(self) -> None:
        """On shutdown: a final stop so no executor keeps running an old plan of ours."""
        self._jobs.put(None)
        if self.core.instruction:
            self._out_pub.publish(String(data="stop"))
            self._out_pub.wait_for_all_acked(Duration(seconds=0.5))
        self.get_logger().info("shutdown: stop published")


def main(args: list[str] | None = None) -> int:
    return run_node(PlannerNode, args, name=NODE_NAME)


if __name__ == "__main__":
    sys.exit(main())
