"""Bring a graph of ROS 2 node processes up and down without the `launch` package.

The `launch`/`launch_ros` packages have no PyPI wheels, so on a machine without a full ROS 2
install the project starts its nodes itself: one OS process per node (as `ros2 launch` would),
each `python -m <module> --ros-args ...` with the same parameter files the launch files use.
Shutdown sends SIGINT first so every node runs its own safe-stop path (zero velocity, damping),
and only escalates to SIGTERM/SIGKILL when a node does not exit in time.

No rclpy import here: this module only manages processes and is unit-tested on its own.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

# Domain ids that are valid for every DDS vendor's port mapping on Linux (0..101).
MAX_DOMAIN_ID = 101
_LOCK_DIR = Path(tempfile.gettempdir()) / "navila_ros_domains"


@dataclass
class NodeSpec:
    """One node process: a Python module with a `main()` and its ROS arguments."""

    name: str
    module: str
    params_file: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    remaps: dict[str, str] = field(default_factory=dict)
    args: list[str] = field(default_factory=list)
    # For launch files on a full ROS 2 install: `ros2 run <package> <executable>`.
    package: str = ""
    executable: str = ""

    def command(self, python: str = sys.executable) -> list[str]:
        """The argv that starts this node, the same shape `ros2 run` produces."""
        cmd = [
            python,
            "-u",
            "-m",
            self.module,
            *self.args,
            "--ros-args",
            "-r",
            f"__node:={self.name}",
        ]
        if self.params_file:
            cmd += ["--params-file", str(self.params_file)]
        for key, value in self.params.items():
            cmd += ["-p", f"{key}:={format_param(value)}"]
        for src, dst in self.remaps.items():
            cmd += ["-r", f"{src}:={dst}"]
        return cmd


def format_param(value: Any) -> str:
    """Render a Python value as a `-p name:=value` literal (YAML syntax, as rcl parses it)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(format_param(v) for v in value) + "]"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return repr(value)


def _raise_interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def stop_on_signals() -> None:
    """For the graph's owner (`navila`, `navila-loco-eval`): SIGINT and SIGTERM both raise
    KeyboardInterrupt, the path on which every node is stopped through its safe stop. SIGINT
    explicitly too: a shell that starts the owner as a background job (`nohup navila sim ... &`
    in a script) leaves SIGINT ignored, and Python then installs no handler of its own, so
    ctrl-C or `kill -INT` would do nothing."""
    signal.signal(signal.SIGINT, _raise_interrupt)
    signal.signal(signal.SIGTERM, _raise_interrupt)


def _interrupt_when_parent_dies() -> None:
    """In the child, before exec: SIGINT it (its safe-stop path) if the graph's owner dies, so a
    killed `navila` never leaves nodes, and a robot, running unsupervised. And SIGINT back at its
    default disposition: an owner started as a background job of a script has it ignored, exec
    keeps an ignored signal ignored, and a node without handlers of its own (any but run_node's)
    could then not be stopped by it. Through libc: Python's signal.signal is main-thread only.
    Linux only."""
    import ctypes

    pr_set_pdeathsig = 1
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.signal(signal.SIGINT, signal.SIG_DFL)
        libc.prctl(pr_set_pdeathsig, signal.SIGINT)


class DomainLease:
    """Exclusive use of one ROS_DOMAIN_ID among all processes on this machine.

    Tests and demos that run at the same time (two pytest runs, a demo beside CI) must not see each
    other's topics; an flock on a per-id file is released by the kernel even if the holder dies.
    """

    def __init__(self, start: int | None = None) -> None:
        _LOCK_DIR.mkdir(parents=True, exist_ok=True)
        first = (os.getpid() * 7) % (MAX_DOMAIN_ID - 1) + 1 if start is None else start
        self._fh: IO[str] | None = None
        self.domain_id = -1
        for i in range(MAX_DOMAIN_ID):
            candidate = (first + i - 1) % MAX_DOMAIN_ID + 1  # 1..101; 0 is left to real robots
            fh = open(_LOCK_DIR / f"{candidate}.lock", "w")  # noqa: SIM115 - held until release()
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                fh.close()
                continue
            self._fh, self.domain_id = fh, candidate
            return
        raise RuntimeError("no free ROS_DOMAIN_ID in 1..101 on this machine")

    @classmethod
    def unless_given(cls, domain_id: int | None) -> DomainLease:
        """A free domain leased as usual, or `domain_id` as is when given: the caller owns that
        domain (e.g. a test's own lease), so nothing is locked and release() does nothing."""
        if domain_id is None:
            return cls()
        lease = cls.__new__(cls)
        lease._fh, lease.domain_id = None, int(domain_id)
        return lease

    def release(self) -> None:
        if self._fh is not None:
            fcntl.flock(self._fh, fcntl.LOCK_UN)
            self._fh.close()
            self._fh = None

    def __enter__(self) -> DomainLease:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def ros_env(domain_id: int, base: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for node processes: own domain, localhost discovery, unbuffered logs."""
    env = dict(os.environ if base is None else base)
    env["ROS_DOMAIN_ID"] = str(domain_id)
    env.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
    env["PYTHONUNBUFFERED"] = "1"
    env.setdefault("RCUTILS_COLORIZED_OUTPUT", "0")
    return env


class NodeGraph:
    """Starts node processes, watches them, and shuts them all down safely.

    Each node's stdout+stderr goes to `<log_dir>/<name>.log` so a failing test or demo can show
    exactly what a node said.
    """

    def __init__(
        self,
        specs: list[NodeSpec],
        env: dict[str, str],
        log_dir: str | Path | None = None,
    ) -> None:
        names = [s.name for s in specs]
        if len(set(names)) != len(names):
            raise ValueError(f"node names must be unique: {names}")
        self.specs = specs
        self.env = env
        self.log_dir = Path(log_dir) if log_dir else Path(tempfile.mkdtemp(prefix="navila_graph_"))
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self._logs: dict[str, IO[bytes]] = {}
        self.started_at: float | None = None  # time.monotonic() at start()

    def start(self) -> None:
        self.started_at = time.monotonic()
        for spec in self.specs:
            log = open(self.log_path(spec.name), "wb")  # noqa: SIM115 - closed in stop()
            self._logs[spec.name] = log
            self.procs[spec.name] = subprocess.Popen(
                spec.command(),
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # our own SIGINT on ctrl-C is forwarded by stop()
                preexec_fn=_interrupt_when_parent_dies,
            )

    def log_path(self, name: str) -> Path:
        return self.log_dir / f"{name}.log"

    def read_log(self, name: str) -> str:
        try:
            return self.log_path(name).read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def dead(self) -> dict[str, int]:
        """Nodes that have exited, with their return codes."""
        return {n: p.returncode for n, p in self.procs.items() if p.poll() is not None}

    def wait_for_log(self, name: str, text: str, timeout: float) -> bool:
        """Wait until a node's log contains `text` (e.g. its 'ready' line) or it dies."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.read_log(name):
                return True
            if self.procs[name].poll() is not None:
                return text in self.read_log(name)
            time.sleep(0.05)
        return False

    def wait_ready(
        self, timeout: float, on_ready: Callable[[str, float], None] | None = None
    ) -> dict[str, float]:
        """Seconds from start() to each node's "ready" log line, all nodes watched at once (a
        slow node does not hide when the others came up). `on_ready(name, seconds)` reports each
        one. RuntimeError with the node's log if one dies or misses `timeout` (from start())."""
        t0 = self.started_at if self.started_at is not None else time.monotonic()
        ready: dict[str, float] = {}
        while len(ready) < len(self.specs):
            now = time.monotonic()
            for s in self.specs:
                if s.name in ready:
                    continue
                if "ready" in self.read_log(s.name):
                    ready[s.name] = round(now - t0, 2)
                    if on_ready is not None:
                        on_ready(s.name, ready[s.name])
                elif self.procs[s.name].poll() is not None or now - t0 > timeout:
                    raise RuntimeError(f"node {s.name} did not come up:\n{self.read_log(s.name)}")
            time.sleep(0.05)
        return ready

    def stop(self, timeout: float = 5.0) -> dict[str, int]:
        """SIGINT every node (its safe-stop path), then escalate. Returns exit codes."""
        for proc in self.procs.values():
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    proc.send_signal(signal.SIGINT)
        deadline = time.monotonic() + timeout
        codes: dict[str, int] = {}
        for name, proc in self.procs.items():
            try:
                codes[name] = proc.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.terminate()
                try:
                    codes[name] = proc.wait(timeout=2.0)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    codes[name] = proc.wait()
        for log in self._logs.values():
            log.close()
        self._logs.clear()
        return codes

    def __enter__(self) -> NodeGraph:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
