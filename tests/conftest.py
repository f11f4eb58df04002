"""Shared fixtures for the ROS 2 integration tests.

Every test that touches ROS gets its own ROS_DOMAIN_ID (an exclusive lease across all processes on
the machine) and localhost-only discovery, and everything it starts is shut down afterwards.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from navila_bringup.graph import DomainLease, NodeGraph, NodeSpec, ros_env

REPO_ROOT = Path(__file__).resolve().parents[1]
CONFIG_DIR = REPO_ROOT / "config"


@pytest.fixture
def ros_domain(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """A private ROS_DOMAIN_ID for this test, exported to this process and its children."""
    with DomainLease() as lease:
        for key, value in ros_env(lease.domain_id).items():
            if os.environ.get(key) != value:
                monkeypatch.setenv(key, value)
        yield lease.domain_id


@pytest.fixture
def rclpy_context(ros_domain: int) -> Iterator[object]:
    """An initialised rclpy Context on the test's domain, shut down after the test."""
    import rclpy
    from rclpy.context import Context

    ctx = Context()
    rclpy.init(context=ctx, domain_id=ros_domain)
    try:
        yield ctx
    finally:
        if ctx.ok():
            rclpy.shutdown(context=ctx)


@pytest.fixture
def node_graph(ros_domain: int, tmp_path: Path) -> Iterator[callable]:
    """Factory: start node processes on the test's domain; all are stopped after the test.

    On failure the node logs are printed, so a broken node explains itself in the test output.
    """
    graphs: list[NodeGraph] = []

    def start(*specs: NodeSpec) -> NodeGraph:
        graph = NodeGraph(list(specs), env=ros_env(ros_domain), log_dir=tmp_path / "logs")
        graph.start()
        graphs.append(graph)
        return graph

    yield start
    for graph in graphs:
        graph.stop()
        for spec in graph.specs:
            print(f"----- log of node {spec.name} -----\n{graph.read_log(spec.name)}")


@pytest.fixture
def run_probe() -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run benchmarks/<script> on a shipped policy (models/<policy>) with more arguments."""

    def run(script: str, *args: str, policy: str = "go2_blind") -> subprocess.CompletedProcess[str]:
        cmd = [sys.executable, str(REPO_ROOT / "benchmarks" / script)]
        cmd += ["--policy", str(REPO_ROOT / "models" / policy), *args]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=300)

    return run


def child_processes(pid: int) -> dict[int, list[bytes]]:
    """pid -> argv of each live child process of `pid` (read from /proc: Linux only)."""
    out = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            argv = (stat.parent / "cmdline").read_bytes().split(b"\0")
        except (OSError, IndexError, ValueError):
            continue  # gone meanwhile
        if ppid == pid:
            out[int(stat.parent.name)] = argv
    return out
