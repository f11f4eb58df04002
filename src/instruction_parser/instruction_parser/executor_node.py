"""ROS 2 shell around `ActionExecutor`: planner text in, a /cmd_vel stream out.

Subscribes: /navila/vla/output (String), /navila/estop (Bool), /navila/instruction (String: a new
instruction or an empty one cancels what runs). Publishes: /navila/action (String JSON, the parsed
action), /cmd_vel (Twist, streamed at `rate_hz` while an action runs, zero when idle),
/navila/status (String JSON: state, sequence id, events such as action_done, last error).

Time comes from the node clock when `use_sim_time` is true (simulators publish /clock) and from
the steady (monotonic) clock otherwise, so wall-clock jumps never stretch or cut an action.
On SIGINT/SIGTERM the node publishes a zero Twist, waits for it to be delivered, then exits 0.
"""

from __future__ import annotations

import json
import sys
from dataclasses import fields
from typing import Any

from geometry_msgs.msg import Twist
from navila_common.node_params import declare_robot_and_topics
from navila_common.node_runner import run_node
from rcl_interfaces.msg import ParameterDescriptor
from rclpy.clock import Clock, ClockType
from rclpy.duration import Duration
from rclpy.node import Node
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
from std_msgs.msg import Bool, String

from instruction_parser.config import (
    PARAM_DESCRIPTIONS,
    ExecutorConfig,
    MotionConfig,
    ParserConfig,
    executor_config_from_params,
)
from instruction_parser.executor import ActionExecutor, ExecutorEvent, TickResult

NODE_NAME = "navila_executor"
TOPICS = {
    "vla_output": ("/navila/vla/output", "planner text to execute (std_msgs/String)"),
    "action": ("/navila/action", "parsed action as JSON (std_msgs/String)"),
    "cmd_vel": ("/cmd_vel", "velocity stream to the locomotion node (geometry_msgs/Twist)"),
    "status": ("/navila/status", "executor status and events as JSON (std_msgs/String)"),
    "estop": (
        "/navila/estop",
        "true stops at once and refuses actions until false (std_msgs/Bool)",
    ),
    "instruction": (
        "/navila/instruction",
        "operator instruction; any new one cancels (std_msgs/String)",
    ),
}


class ExecutorNode(Node):
    def __init__(self) -> None:
        super().__init__(NODE_NAME)
        topics = declare_robot_and_topics(self, TOPICS)
        params = self._declare_config_parameters()
        try:
            self.config = executor_config_from_params(params)
        except (ValueError, TypeError) as exc:
            self.get_logger().fatal(f"invalid executor configuration: {exc}")
            raise
        self.core = ActionExecutor(self.config)

        use_sim_time = bool(self.get_parameter("use_sim_time").value)
        self._clock = self.get_clock() if use_sim_time else Clock(clock_type=ClockType.STEADY_TIME)

        reliable = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE)
        status_qos = QoSProfile(
            depth=50, reliability=ReliabilityPolicy.RELIABLE, durability=DurabilityPolicy.VOLATILE
        )
        self._cmd_pub = self.create_publisher(Twist, topics["cmd_vel"], reliable)
        self._action_pub = self.create_publisher(String, topics["action"], reliable)
        self._status_pub = self.create_publisher(String, topics["status"], status_qos)
        self.create_subscription(String, topics["vla_output"], self._on_text, reliable)
        self.create_subscription(Bool, topics["estop"], self._on_estop, reliable)
        self.create_subscription(String, topics["instruction"], self._on_instruction, reliable)
        self.create_timer(1.0 / self.config.rate_hz, self._on_tick, clock=self._clock)
        self.create_timer(1.0 / self.config.status_rate_hz, self._publish_status, clock=self._clock)
        self.get_logger().info(
            f"ready: streaming {topics['cmd_vel']} at {self.config.rate_hz:g} Hz "
            f"({'sim' if use_sim_time else 'steady'} clock), allowed actions "
            f"{', '.join(self.config.parser.allowed_actions)}"
        )

    def _declare_config_parameters(self) -> dict[str, Any]:
        """Declare every config field as a ROS parameter (with its description), return values."""
        values: dict[str, Any] = {}
        groups = (
            ("", ExecutorConfig(), ("rate_hz", "idle_rate_hz", "status_rate_hz")),
            ("parser.", ParserConfig(), None),
            ("motion.", MotionConfig(), None),
        )
        for prefix, defaults, only in groups:
            for f in fields(defaults):
                if only is not None and f.name not in only:
                    continue
                default = getattr(defaults, f.name)
                if isinstance(default, tuple):
                    default = list(default)
                desc = PARAM_DESCRIPTIONS.get(prefix + f.name, f.name.replace("_", " "))
                values[prefix + f.name] = self.declare_parameter(
                    prefix + f.name, default, ParameterDescriptor(description=desc)
                ).value
        return values

    # ---------------------------------------------------------------- callbacks
    def now(self) -> float:
        return self._clock.now().nanoseconds * 1e-9

    def _on_text(self, msg: String) -> None:
        now = self.now()
        result = self.core.submit(msg.data, now)
        self._action_pub.publish(String(data=json.dumps({**result.to_dict(), "time": now})))
        if result.ok:
            self.get_logger().info(
                f"[{result.seq}] executing {len(result.actions)} action(s): {result.text!r}"
            )
        else:
            self.get_logger().warning(
                f"[{result.seq}] refused {result.text!r}: {result.error['reason']}"
            )
        self._apply(self.core.tick(now))  # start (or stop) at once, not at the next tick

    def _on_estop(self, msg: Bool) -> None:
        now = self.now()
        self.core.set_estop(bool(msg.data), now)
        self.get_logger().warning("E-STOP active: zero velocity" if msg.data else "e-stop released")
        self._apply(self.core.tick(now))

    def _on_instruction(self, msg: String) -> None:
        now = self.now()
        self.core.cancel(now, reason="new instruction" if msg.data.strip() else "empty instruction")
        self._apply(self.core.tick(now))

    def _on_tick(self) -> None:
        self._apply(self.core.tick(self.now()))

    def _apply(self, result: TickResult) -> None:
        if result.publish:
            self._cmd_pub.publish(make_twist(*result.twist))
        for event in result.events:
            self._publish_status(event)

    def _publish_status(self, event: ExecutorEvent | None = None) -> None:
        status = {"node": NODE_NAME, **self.core.status(self.now()), "event": None}
        # Matched /cmd_vel readers (the locomotion node or the simulator): bring-up tools wait
        # for one before the first instruction, or its first command could go to no one.
        status["cmd_vel_subscribers"] = self._cmd_pub.get_subscription_count()
        if event is not None:
            status.update(event.to_dict())
        self._status_pub.publish(String(data=json.dumps(status)))

    def safe_stop(self) -> None:
        """Zero velocity, delivered before the process goes away."""
        self._cmd_pub.publish(make_twist(0.0, 0.0, 0.0))
        self._cmd_pub.wait_for_all_acked(Duration(seconds=0.5))
        self.get_logger().info("shutdown: zero velocity published")


def make_twist(vx: float, vy: float, wz: float) -> Twist:
    msg = Twist()
    msg.linear.x, msg.linear.y, msg.angular.z = float(vx), float(vy), float(wz)
    return msg


def main(args: list[str] | None = None) -> int:
    return run_node(ExecutorNode, args, name=NODE_NAME)


if __name__ == "__main__":
    sys.exit(main())
