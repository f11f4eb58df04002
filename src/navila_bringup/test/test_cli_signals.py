"""`navila` stops on SIGINT and SIGTERM even when it was started with SIGINT ignored (a
background job of a shell without job control), through KeyboardInterrupt: the path on which
its nodes get their safe stop."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent("""
    import time
    from navila_bringup.graph import stop_on_signals

    stop_on_signals()
    try:  # "ready" inside: the signal may come while print is still returning
        print("ready", flush=True)
        time.sleep(60)
    except KeyboardInterrupt:
        print("interrupted", flush=True)
""")


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signals_interrupt_even_when_sigint_was_ignored_at_start(sig: signal.Signals) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", SCRIPT],
        stdout=subprocess.PIPE,
        text=True,
        preexec_fn=_ignore_sigint,
    )
    try:
        assert proc.stdout.readline().strip() == "ready"
        proc.send_signal(sig)
        out, _ = proc.communicate(timeout=30)  # without the handler: the 60 s sleep, then kill
    finally:
        proc.kill()
        proc.wait()
    assert out.strip() == "interrupted" and proc.returncode == 0
