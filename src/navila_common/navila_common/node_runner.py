"""The lifecycle contract of every NaVILA node process, in one place.

- rclpy's own signal handling is off: it would shut the context down before a node could publish
  its last safe command (zero velocity, damping). SIGINT and SIGTERM both raise KeyboardInterrupt
  in the main thread instead, and the node's `safe_stop()` runs while the context is still up.
- Exit codes: 0 after a clean stop, 2 when the node refused its configuration (the error is
  printed; nodes also log it), so launchers and tests can tell "stopped" from "never started".
- Teardown after the safe stop is bounded: destroying the node and shutting rclpy down once hung
  for seconds in the DDS layer after the loco node had damped the robot, until the launcher's
  SIGKILL turned a clean stop into exit code -9. The robot is already safe by then, so a teardown
  that outlasts TEARDOWN_TIMEOUT_S is abandoned with a message and the process exits with the
  code it would have had.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any, Protocol


class SafeStoppable(Protocol):
    def safe_stop(self) -> None: ...

    def destroy_node(self) -> Any: ...


SIGNAL_POLL_S = 0.2  # longest a signal waits to be noticed by an idle node
# Longest wait for destroy_node + rclpy shutdown after the safe stop. Below navila_bringup's 5 s
# between SIGINT and SIGTERM (graph.NodeGraph.stop), with room for a safe stop's own waits.
TEARDOWN_TIMEOUT_S = 2.0


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
            code = 1  # the exit code if the teardown below has to be abandoned
            raise
    finally:
        if node is not None:
            node.safe_stop()
        _bounded_teardown(node, rclpy.try_shutdown, code, name)
    return code


def _bounded_teardown(
    node: SafeStoppable | None, shutdown: Callable[[], Any], code: int, name: str
) -> None:
    """destroy_node + rclpy shutdown on a helper thread, waited for at most TEARDOWN_TIMEOUT_S;
    past that (or on another signal meanwhile) the process exits with `code` at once. Errors of
    the teardown itself are raised here as before."""
    errors: list[BaseException] = []

    def teardown() -> None:
        try:
            if node is not None:
                node.destroy_node()
            shutdown()
        except BaseException as exc:  # handed to the main thread
            errors.append(exc)

    worker = threading.Thread(target=teardown, name=f"{name}-teardown", daemon=True)
    worker.start()
    try:
        worker.join(TEARDOWN_TIMEOUT_S)
        hung = worker.is_alive()
        reason = f"did not finish within {TEARDOWN_TIMEOUT_S:g} s"
    except KeyboardInterrupt:  # stopped again while tearing down: the robot is already safe
        hung, reason = True, "was interrupted by another signal"
    if hung:
        print(
            f"[{name}] teardown after the safe stop {reason}: exiting without it",
            file=sys.stderr,
            flush=True,
        )
        sys.stdout.flush()
        os._exit(code)
    if errors:
        raise errors[0]
