"""The process graph: start, log capture, safe stop, and no orphans when the owner dies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from navila_bringup.graph import DomainLease, NodeGraph, NodeSpec, format_param, ros_env

# A node with no signal handling of its own: Python's KeyboardInterrupt is its stop path.
STOPPABLE_NODE = textwrap.dedent("""
    import sys, time
    try:  # "ready" inside: the graph's SIGINT may come while print is still returning
        print("ready", flush=True)
        time.sleep(60)
    except KeyboardInterrupt:
        print("safe stop", flush=True)
        sys.exit(0)
""")


def test_command_line_and_params() -> None:
    spec = NodeSpec(
        "n", "pkg.mod", params_file="/x.yaml", params={"a": True, "b": [1, 2], "c": "it's"}
    )
    cmd = spec.command("python")
    assert cmd[:4] == ["python", "-u", "-m", "pkg.mod"]
    assert cmd[cmd.index("--ros-args") + 1 :] == [
        "-r",
        "__node:=n",
        "--params-file",
        "/x.yaml",
        "-p",
        "a:=true",
        "-p",
        "b:=[1, 2]",
        "-p",
        "c:='it''s'",
    ]
    assert format_param(0.5) == "0.5"


def test_domain_leases_are_exclusive() -> None:
    with DomainLease() as a, DomainLease(start=a.domain_id) as b:
        assert a.domain_id != b.domain_id and 1 <= b.domain_id <= 101


def test_a_given_domain_is_used_as_is_and_never_locked() -> None:
    with DomainLease() as mine:
        with DomainLease.unless_given(mine.domain_id) as given:
            assert given.domain_id == mine.domain_id  # no "already leased" refusal
        with DomainLease.unless_given(None) as free:
            assert free.domain_id not in (-1, mine.domain_id)
        # releasing the given one left the owner's lock in place: nobody else gets the id
        with DomainLease(start=mine.domain_id) as other:
            assert other.domain_id != mine.domain_id


def test_stop_interrupts_nodes_and_collects_logs(tmp_path) -> None:
    mod = tmp_path / "fake_node.py"
    mod.write_text(STOPPABLE_NODE)
    env = {**ros_env(1), "PYTHONPATH": str(tmp_path)}
    graph = NodeGraph([NodeSpec("a", "fake_node"), NodeSpec("b", "fake_node")], env, tmp_path / "l")
    graph.start()
    assert graph.wait_for_log("a", "ready", 20) and graph.wait_for_log("b", "ready", 20)
    assert graph.stop() == {"a": 0, "b": 0}
    assert "safe stop" in graph.read_log("a") and "safe stop" in graph.read_log("b")


def test_nodes_are_interrupted_when_the_owner_is_killed(tmp_path) -> None:
    (tmp_path / "fake_node.py").write_text(
        textwrap.dedent("""
        import os, sys, time
        try:
            print("ready", os.getpid(), flush=True)
            time.sleep(60)
        except KeyboardInterrupt:
            open(sys.argv[1], "w").write("interrupted")
    """)
    )
    marker = tmp_path / "marker"
    owner = textwrap.dedent(f"""
        import time
        from navila_bringup.graph import NodeGraph, NodeSpec, ros_env
        env = {{**ros_env(1), "PYTHONPATH": {str(tmp_path)!r}}}
        spec = NodeSpec("a", "fake_node", args=[{str(marker)!r}])
        g = NodeGraph([spec], env, {str(tmp_path / "l")!r})
        g.start()
        g.wait_for_log("a", "ready", 20)
        print("up", flush=True)
        time.sleep(60)
    """)
    proc = subprocess.Popen([sys.executable, "-c", owner], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "up"
    os.kill(proc.pid, signal.SIGKILL)  # the owner dies without any chance to clean up
    proc.wait(10)
    deadline = time.monotonic() + 20
    # open(.., "w") creates the file before the write lands: poll for the content, not the file
    while time.monotonic() < deadline and not (marker.exists() and marker.read_text()):
        time.sleep(0.05)
    assert marker.read_text() == "interrupted"


def test_wait_ready_reports_every_node_and_refuses_one_that_dies(tmp_path) -> None:
    (tmp_path / "ok_node.py").write_text(
        "import time\nprint('ready', flush=True)\ntime.sleep(60)\n"
    )
    (tmp_path / "bad_node.py").write_text(
        "import sys\nprint('no config', flush=True)\nsys.exit(2)\n"
    )
    env = {**ros_env(1), "PYTHONPATH": str(tmp_path)}
    seen: list[str] = []
    graph = NodeGraph([NodeSpec("a", "ok_node"), NodeSpec("b", "ok_node")], env, tmp_path / "l")
    graph.start()
    try:
        ready = graph.wait_ready(20, lambda name, t: seen.append(name))
        assert sorted(ready) == sorted(seen) == ["a", "b"] and all(t >= 0 for t in ready.values())
    finally:
        graph.stop()
    graph = NodeGraph([NodeSpec("a", "ok_node"), NodeSpec("c", "bad_node")], env, tmp_path / "m")
    graph.start()
    try:
        with pytest.raises(RuntimeError, match="node c did not come up:\nno config"):
            graph.wait_ready(20)
    finally:
        graph.stop()


def test_nodes_of_an_owner_started_with_sigint_ignored_still_stop_on_it(tmp_path) -> None:
    """A background job of a script starts with SIGINT ignored and exec keeps it so; the graph
    gives every node SIGINT's default back, so a node without handlers of its own (Python's
    KeyboardInterrupt) still stops on the graph's SIGINT instead of waiting for SIGTERM."""
    (tmp_path / "fake_node.py").write_text(STOPPABLE_NODE)
    owner = textwrap.dedent(f"""
        from navila_bringup.graph import NodeGraph, NodeSpec, ros_env
        env = {{**ros_env(1), "PYTHONPATH": {str(tmp_path)!r}}}
        g = NodeGraph([NodeSpec("a", "fake_node")], env, {str(tmp_path / "l")!r})
        g.start()
        assert g.wait_for_log("a", "ready", 20)
        print(g.stop(), flush=True)
    """)
    proc = subprocess.run(
        [sys.executable, "-c", owner],
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "{'a': 0}"
