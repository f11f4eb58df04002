"""A small rclpy helper node for demos and tests: publish to, and record from, a running graph.

It spins on its own thread with its own executor and context, records every message with the
monotonic time it arrived, and lets the caller wait for a condition without busy loops. The demo
(`navila demo`) and the ROS integration tests both drive the real nodes through it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import rclpy
from rclpy.context import Context
from rclpy.executors import SingleThreadedExecutor
from rclpy.node import Node
from rclpy.parameter import Parameter
from rclpy.qos import QoSProfile

MsgT = TypeVar("MsgT")


@dataclass(frozen=True)
class Received(Generic[MsgT]):
    t: float  # time.monotonic() at arrival
    msg: MsgT


class Recorder(Generic[MsgT]):
    """Thread-safe log of one topic's messages (the newest `keep` only, when given)."""

    def __init__(self, keep: int | None = None) -> None:
        self._cond = threading.Condition()
        self._items: list[Received[MsgT]] = []
        self._keep = keep

    def _add(self, msg: MsgT) -> None:
        with self._cond:
            self._items.append(Received(time.monotonic(), msg))
            if self._keep is not None and len(self._items) > 2 * self._keep:
                del self._items[: -self._keep]  # amortised: trimmed in batches
            self._cond.notify_all()

    @property
    def items(self) -> list[Received[MsgT]]:
        with self._cond:
            return list(self._items)

    def __len__(self) -> int:
        with self._cond:
            return len(self._items)

    def clear(self) -> None:
        with self._cond:
            self._items.clear()

    def drain(self) -> list[Received[MsgT]]:
        """Everything so far, removed: a long-running follower keeps no growing history."""
        with self._cond:
            items, self._items = self._items, []
            return items

    def wait_for(self, predicate: Callable[[list[Received[MsgT]]], bool], timeout: float) -> bool:
        """Wait until predicate(all messages so far) is true; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate(self._items):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
            return True

    def wait_count(self, n: int, timeout: float) -> bool:
        return self.wait_for(lambda items: len(items) >= n, timeout)


def message_class(type_name: str) -> type:
    """'geometry_msgs/msg/Twist' -> the Twist class."""
    import importlib

    pkg, _, name = type_name.replace("/msg/", "/").partition("/")
    return getattr(importlib.import_module(f"{pkg}.msg"), name)


class Probe:
    """One helper node on its own context/thread. Always `close()` it (or use `with`)."""

    def __init__(
        self, name: str = "navila_probe", domain_id: int | None = None, use_sim_time: bool = False
    ) -> None:
        self.context = Context()
        rclpy.init(context=self.context, domain_id=domain_id)
        overrides = [Parameter("use_sim_time", Parameter.Type.BOOL, use_sim_time)]
        self.node: Node = rclpy.create_node(
            name, context=self.context, parameter_overrides=overrides
        )
        self._executor = SingleThreadedExecutor(context=self.context)
        self._executor.add_node(self.node)
        self._thread = threading.Thread(target=self._spin, name=f"{name}-spin", daemon=True)
        self._thread.start()

    def _spin(self) -> None:
        while self.context.ok():
            try:
                self._executor.spin_once(timeout_sec=0.05)
            except Exception:  # the context was shut down under us
                if self.context.ok():
                    raise
                return

    def record(
        self, msg_type: type, topic: str, qos: QoSProfile | int = 50, keep: int | None = None
    ) -> Recorder[Any]:
        rec: Recorder[Any] = Recorder(keep)
        self.node.create_subscription(msg_type, topic, rec._add, qos)
        return rec

    def record_raw(self, topic: str, type_name: str, sink: Any, qos: QoSProfile | int = 50) -> None:
        """Hand every message of `topic` as CDR bytes to `sink.write(topic, data, log_time_ns)`
        (e.g. an McapRosWriter): no deserialisation, so recording costs little."""

        def on_msg(data: bytes) -> None:
            sink.write(topic, data, time.time_ns())

        self.node.create_subscription(message_class(type_name), topic, on_msg, qos, raw=True)

    def publisher(self, msg_type: type, topic: str, qos: QoSProfile | int = 10) -> Any:
        return self.node.create_publisher(msg_type, topic, qos)

    @staticmethod
    def wait_matched(pub: Any, timeout: float, n: int = 1, settle: float = 0.3) -> bool:
        """Wait until `pub` has n subscribers, then `settle` seconds more: the publisher sees a
        subscriber before the subscriber has matched the publisher, and a volatile message sent in
        between is lost. Where a lost message matters, also confirm it (see sim_run)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if pub.get_subscription_count() >= n:
                time.sleep(settle)
                return True
            time.sleep(0.02)
        return False

    def close(self) -> None:
        if self.context.ok():
            rclpy.shutdown(context=self.context)
        self._thread.join(timeout=2.0)
        self._executor.shutdown(timeout_sec=1.0)
        self.node.destroy_node()

    def __enter__(self) -> Probe:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
