"""The lifecycle contract of every NaVILA node process, in one place.

- rclpy's own signal handling is off: it would shut the context down before a node could publish
  its last safe command (zero velocity, damping). SIGINT and SIGTERM both raise KeyboardInterrupt
  in the main thread instead, and the node's `safe_stop()` runs while the context is still up.
- Exit codes: 0 after a clean stop, 2 when the node refused its configuration (the error is
  printed; nodes also log it), so launchers and tests can tell "stopped" from "never started".
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable
from typing import Any, Protocol


class SafeStoppable(Protocol):
    def safe_stop(self) -> None: ...

    def destroy_node(self) -> Any: ...


SIGNAL_POLL_S = 0.2  # longest a signal waits to be noticed by an idle node


_signalled = {"stop": False, "constructing": False}


def _interrupt(*_: object) -> None:
    """SIGINT/SIGTERM: stop. While the node is being built the first signal is only recorded
    (raised once the node exists, so a built node always gets its safe stop); a second one
    interrupts a constructor that hangs."""
    first = not _signalled["stop"]
    _signalled["stop"] = True
    if _signalled["constructing"] and first:
        return
    raise KeyboardInterrupt


def run_node(
    make_node: Callable[[], SafeStoppable],
    args: list[str] | None = None,
    name: str = "node",
    config_errors: tuple[type[BaseException], ...] = (ValueError, TypeError),
) -> int:
    """Init rclpy, build the node, spin it on a single-threaded executor until SIGINT/SIGTERM,
    then safe-stop, destroy and shut down. Returns the process exit code."""
    import rclpy
    from rclpy.executors import SingleThreadedExecutor
    from rclpy.signals import SignalHandlerOptions

    rclpy.init(args=args, signal_handler_options=SignalHandlerOptions.NO)
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    node = None
    code = 0
    try:
        _signalled["constructing"] = True
        try:
            node = make_node()
        finally:
            _signalled["constructing"] = False
        if _signalled["stop"]:
            raise KeyboardInterrupt
        # Single-threaded on purpose: nodes with their own threads (the 50 Hz control loop) were
        # starved of the GIL for seconds by rclpy's MultiThreadedExecutor.
        executor = SingleThreadedExecutor()
        executor.add_node(node)
        # Bounded waits: a Python signal handler only runs between bytecodes, and rcl's wait with
        # no timer due would block in C forever, so SIGINT/SIGTERM would never be seen.
        while rclpy.ok():
            executor.spin_once(timeout_sec=SIGNAL_POLL_S)
    except KeyboardInterrupt:
        pass
    except Exception as exc:
        if _signalled["stop"]:
            # A signal landing inside rclpy's C code (e.g. while it converts a message) comes
            # out as another error ("Unable to convert call argument"): still a requested stop.
            pass
        elif isinstance(exc, config_errors):
            print(f"[{name}] refused to start: {exc}", file=sys.stderr)
            code = 2
        else:
            raise
    finally:
        if node is not None:
            node.safe_stop()
            node.destroy_node()
        rclpy.try_shutdown()
    return code
