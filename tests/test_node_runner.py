"""navila_common.run_node, the lifecycle every node shares: exit codes, and safe_stop on SIGINT and
SIGTERM (also when rclpy wraps the interrupt in another error), and a teardown that cannot hang
the process after the safe stop."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap

import pytest

from navila_bringup.graph import DomainLease, ros_env

SCRIPT = textwrap.dedent("""
    import os
    import signal
    import sys
    import time
    from rclpy.node import Node
    from navila_common.node_runner import run_node

    class Fake(Node):
        def __init__(self):
            if sys.argv[1] == "bad":
                raise ValueError("no such robot")
            super().__init__("fake")
            if sys.argv[1] == "wrapped":
                self.create_timer(0.05, self.wrapped)
            print("ready", flush=True)
            if sys.argv[1] == "slow":
                time.sleep(1.0)  # still constructing when the signal arrives

        def wrapped(self):
            # What rclpy does when SIGINT lands while it converts a message: the
            # KeyboardInterrupt comes out as a RuntimeError.
            try:
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(1.0)
            except KeyboardInterrupt:
                raise RuntimeError("Unable to convert call argument") from None

        def safe_stop(self):
            print("safe stop", flush=True)

        def destroy_node(self):
            if sys.argv[1] == "hang":
                time.sleep(600)  # what a teardown stuck in the DDS layer looks like from here
            super().destroy_node()

    sys.exit(run_node(Fake, name="fake"))
""")


def _start(mode: str, domain: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", SCRIPT, mode],
        env=ros_env(domain),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_refused_configuration_exits_2_with_the_reason() -> None:
    with DomainLease() as lease:
        proc = _start("bad", lease.domain_id)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2 and "no such robot" in err and "safe stop" not in out


def _stop_when_ready(mode: str, sig: signal.Signals = signal.SIGINT) -> tuple[int, str, str]:
    """Start the fake in `mode`, signal it once it says it is ready: (exit code, stdout, stderr).
    The 60 s bound only keeps a broken stop from hanging the suite."""
    with DomainLease() as lease:
        proc = _start(mode, lease.domain_id)
        assert proc.stdout.readline().strip() == "ready"
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=60)
    return proc.returncode, out, err


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signal_runs_safe_stop_and_exits_0(sig: signal.Signals) -> None:
    code, out, err = _stop_when_ready("good", sig)
    assert code == 0 and "safe stop" in out, err


def test_signal_wrapped_in_another_error_is_still_a_clean_stop() -> None:
    with DomainLease() as lease:
        proc = _start("wrapped", lease.domain_id)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "safe stop" in out


def test_signal_during_construction_waits_for_the_node_and_safe_stops_it() -> None:
    code, out, err = _stop_when_ready("slow")
    assert code == 0, err
    assert "safe stop" in out


def test_hung_teardown_after_the_safe_stop_is_abandoned_with_the_clean_exit_code() -> None:
    from navila_common.node_runner import TEARDOWN_TIMEOUT_S

    # Without the bound the fake's destroy_node hangs 600 s (a launcher's SIGKILL: exit -9).
    code, out, err = _stop_when_ready("hang")
    assert code == 0, err
    assert "safe stop" in out
    assert f"teardown after the safe stop did not finish within {TEARDOWN_TIMEOUT_S:g} s" in err
