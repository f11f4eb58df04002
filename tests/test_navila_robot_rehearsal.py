"""`navila robot`, the real-robot bring-up, rehearsed against the simulated Go2 over Unitree DDS.

The graph is what launch/robot.launch.py starts on a robot (config/go2.yaml's `navila_robot`
section: unitree_sdk2 backend, sport mode released; the direct planner, the executor, the loco
node with models/go2_blind), started by the `navila robot` CLI as an operator would, against
`navila_sim.unitree_sim` playing a Go2 as it boots: lying with its motors off and Unitree's sport
controller owning them (`--sport-mode normal`, LowCmd_ ignored until it is released over the
motion_switcher service). Only two things differ from the robot: the SDK's DDS domain (a leased
one on `lo`, `--sdk-domain-id`) and the loco node's state timeout (0.5 s on a shared 2-core CI
machine; `--set`). Read on the robot's side (the simulator's status file).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from mcap.reader import make_reader

from navila_bringup.graph import DomainLease, ros_env

from .conftest import REPO_ROOT, child_processes
from .test_navila_loco_sim_unitree import TIMEOUT, all_damped, sim_spec, stood_up, wait_status

pytestmark = pytest.mark.ros

INSTRUCTION = "move forward 1 m, then stop"  # NaVILA's executor: 0.5 m/s for 2 s, then zero
# config/go2.yaml's robot graph for the blind policy (no height map node).
NODES = {"navila_camera", "navila_loco", "navila_executor", "navila_vla"}


def _wait_for_line(path: Path, text: str, proc: subprocess.Popen, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        out = path.read_text(errors="replace") if path.exists() else ""
        if text in out:
            return out
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    out = path.read_text(errors="replace") if path.exists() else ""
    raise AssertionError(f"`navila robot` never printed {text!r}:\n{out}")


@contextlib.contextmanager
def navila_robot(
    dds_domain: int, ros_domain: int, tmp_path: Path, *args: str, robot: str = "go2"
) -> Iterator[tuple[subprocess.Popen, Path]]:
    """`navila robot` as an operator starts it, pointed at the simulator's DDS domain on `lo`,
    results in tmp_path/robot_run; yields the process and its console file; killed if still
    running at the end. The Go2 with models/go2_blind unless `args` names another --policy."""
    console = tmp_path / "navila_robot.txt"
    policy = () if "--policy" in args else ("--policy", str(REPO_ROOT / "models" / "go2_blind"))
    cmd = [
        sys.executable,
        "-m",
        "navila_bringup.cli",
        "robot",
        *("--robot", robot, *policy),
        *("--network-interface", "lo", "--sdk-domain-id", str(dds_domain)),
        *("--set", "navila_loco:safety.state_timeout_s=0.5"),
        *("--out", str(tmp_path / "robot_run"), *args),
    ]
    with console.open("wb") as log:
        proc = subprocess.Popen(
            cmd,
            env=ros_env(ros_domain),
            stdin=subprocess.PIPE,  # the operator's console; closed at once unless typed into
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=REPO_ROOT,
        )
    try:
        yield proc, console
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _walk_then_interrupt(
    proc: subprocess.Popen, console: Path, status_file: Path
) -> tuple[int, str, dict]:
    """Wait for the planner's stop, let the walk end, read the robot's side, then Ctrl-C as
    an operator would: (exit code, console text, the robot's status before the Ctrl-C)."""
    _wait_for_line(console, "the planner said stop", proc, 60.0)
    time.sleep(1.5)  # the executor's 2 s walk is over; the policy holds the stand
    end = wait_status(status_file, lambda s: True, TIMEOUT)
    proc.send_signal(signal.SIGINT)
    rc = proc.wait(timeout=30.0)
    return rc, console.read_text(errors="replace"), end


def _forward(start: dict, end: dict) -> float:
    """Metres walked along the robot's heading at the start (the simulator's status files)."""
    (x0, y0, _), (x1, y1, _) = start["base_pos"], end["base_pos"]
    yaw = start["base_rpy"][2]
    return (x1 - x0) * math.cos(yaw) + (y1 - y0) * math.sin(yaw)


def _children(pid: int) -> dict[str, int]:
    """Node name -> pid of the node processes `navila robot` (pid) started."""
    out = {}
    for child, argv in child_processes(pid).items():
        names = [a[len(b"__node:=") :].decode() for a in argv if a.startswith(b"__node:=")]
        if names:
            out[names[0]] = child
    return out


def test_navila_robot_releases_sport_mode_walks_an_instruction_and_damps_on_ctrl_c(
    node_graph, ros_domain, tmp_path: Path
) -> None:
    status_file = tmp_path / "sim_status.json"
    out_dir = tmp_path / "robot_run"
    with DomainLease() as dds:
        boot = ("--start-posture", "lie", "--start-drive", "passive", "--sport-mode", "normal")
        camera = ("--camera", "--camera-size", "64", "48")
        sim = node_graph(sim_spec("go2", dds.domain_id, status_file, *boot, *camera))
        assert sim.wait_for_log("unitree_sim", "ready", TIMEOUT), sim.read_log("unitree_sim")
        booted = wait_status(status_file, lambda s: s["sim_time"] > 0.2, TIMEOUT)
        assert booted["sport_mode"] == "normal" and booted["drive"] == "passive"

        args = ("--instruction", INSTRUCTION, "--record-sensors")
        with navila_robot(dds.domain_id, ros_domain, tmp_path, *args) as (proc, console):
            _wait_for_line(console, "robot standing, policy walking", proc, 90.0)
            start = wait_status(status_file, lambda s: True, TIMEOUT)
            # The bring-up released the sport controller before its first command landed.
            assert start["sport_mode"] == "" and start["sport_mode_releases"] >= 1
            assert start["lowcmd_ignored_sport_mode"] == 0
            text = _wait_for_line(console, "the planner said stop", proc, 60.0)
            time.sleep(1.5)  # the executor's 2 s walk is over; the policy holds the stand
            end = wait_status(status_file, lambda s: True, TIMEOUT)
            assert proc.poll() is None, text  # it keeps the robot standing until Ctrl-C
            proc.send_signal(signal.SIGINT)
            rc = proc.wait(timeout=30.0)
        text = console.read_text(errors="replace")
        assert rc == 0, text
        damped = wait_status(status_file, all_damped, 5.0)  # Ctrl-C: the loco node's safe stop

    (x0, y0, _), (x1, y1, _) = start["base_pos"], end["base_pos"]
    yaw = start["base_rpy"][2]
    forward = _forward(start, end)
    # "1 m" open loop; go2_blind walks ~0.56 m/s for 0.5 (models/go2_blind/README.md).
    assert 0.8 < forward < 1.3, (forward, text)
    assert abs(-(x1 - x0) * math.sin(yaw) + (y1 - y0) * math.cos(yaw)) < 0.25
    assert abs(end["base_rpy"][0]) < 0.3 and abs(end["base_rpy"][1]) < 0.3
    assert end["trunk_height"] > 0.7 * end["nominal_height"]
    assert damped["lowcmd_crc_errors"] == 0 and damped["lowcmd_rejected"] == 0
    # The direct planner's stepwise outputs: the move (2.00 s at 0.5 m/s), then the stop.
    assert "[executor] 1 action(s), 2.00 s" in text and "[loco] walk" in text, text
    assert "(discovery LOCALHOST)" in text  # the test's environment, kept
    print(f"forward {forward:.3f} m in the rehearsal")

    run = json.loads((out_dir / "run.json").read_text())
    assert run["outcome"] == "interrupted" and run["episodes_ended"] == 1
    assert run["instructions"] == [INSTRUCTION]
    assert set(run["exit_codes"]) == NODES and not any(run["exit_codes"].values())
    assert [m["mode"] for m in run["loco_modes"]][-1] == "walk"
    assert run["actions"][0]["ok"]
    # The robot's front camera reached the planner's topic (the Go2's videohub -> camera node).
    assert end["camera_requests"] > 0
    with (out_dir / "run.mcap").open("rb") as f:
        summary = make_reader(f).get_summary()
    counts = {
        summary.channels[c].topic: n for c, n in summary.statistics.channel_message_counts.items()
    }
    assert counts.get("/camera/image_raw", 0) >= 5 and counts.get("/cmd_vel", 0) > 50, counts


def test_navila_robot_stops_everything_when_a_node_dies(
    node_graph, ros_domain, tmp_path: Path
) -> None:
    """The executor killed (SIGKILL) while the robot stands: `navila robot` says which node
    died, stops the others through their safe stop (the motors damp) and exits 1."""
    status_file = tmp_path / "sim_status.json"
    out_dir = tmp_path / "robot_run"
    with DomainLease() as dds:
        sim = node_graph(sim_spec("go2", dds.domain_id, status_file, "--sport-mode", "normal"))
        assert sim.wait_for_log("unitree_sim", "ready", TIMEOUT), sim.read_log("unitree_sim")
        with navila_robot(dds.domain_id, ros_domain, tmp_path, "--no-record") as (proc, console):
            _wait_for_line(console, "waiting for instructions", proc, 90.0)
            nodes = _children(proc.pid)
            assert set(nodes) == NODES, nodes
            os.kill(nodes["navila_executor"], signal.SIGKILL)
            rc = proc.wait(timeout=30.0)
        text = console.read_text(errors="replace")
        assert rc == 1, text
        wait_status(status_file, all_damped, 5.0)
    assert "node(s) exited: {'navila_executor': -9}" in text, text
    run = json.loads((out_dir / "run.json").read_text())
    assert run["outcome"] == "node_died" and "navila_executor" in run["error"]
    assert run["exit_codes"]["navila_loco"] == 0 and run["exit_codes"]["navila_executor"] == -9
    assert not (out_dir / "run.mcap").exists()


def test_a_robot_whose_sport_mode_is_not_released_is_never_walked(
    node_graph, ros_domain, tmp_path: Path
) -> None:
    """The bring-up told not to release the sport controller (the H1's way on a Go2): its
    commands never land, the robot stays lying, the loco node's stand-up check damps instead of
    handing the policy a lying robot, and `navila robot` says so and exits 1."""
    status_file = tmp_path / "sim_status.json"
    out_dir = tmp_path / "robot_run"
    with DomainLease() as dds:
        boot = ("--start-posture", "lie", "--start-drive", "passive", "--sport-mode", "normal")
        sim = node_graph(sim_spec("go2", dds.domain_id, status_file, *boot))
        assert sim.wait_for_log("unitree_sim", "ready", TIMEOUT), sim.read_log("unitree_sim")
        keep = ("--set", "navila_loco:backend.unitree.release_sport_mode=false", "--no-record")
        cli = navila_robot(dds.domain_id, ros_domain, tmp_path, *keep, "--instruction", INSTRUCTION)
        with cli as (proc, console):
            rc = proc.wait(timeout=90.0)
        text = console.read_text(errors="replace")
        end = wait_status(status_file, lambda s: True, TIMEOUT)
    assert rc == 1, text
    assert "the locomotion node damped the robot: stand-up failed" in text, text
    assert end["sport_mode"] == "normal" and end["lowcmd_ignored_sport_mode"] > 0
    assert end["lowcmd_applied"] == 0 and end["drive"] == "passive"
    assert end["trunk_height"] < 0.5 * end["nominal_height"]  # still lying
    run = json.loads((out_dir / "run.json").read_text())
    assert run["outcome"] == "bringup_failed" and "stand-up failed" in run["error"]
    assert run["instructions"] == [] and run["actions"] == []


def test_the_vision_policy_bring_up_maps_the_robots_own_lidar_topic_and_walks(
    node_graph, ros_domain, tmp_path: Path
) -> None:
    """models/go2_vision through the robot graph: heightmap_node reads the L1's own topic
    (/utlidar/cloud, config/go2.yaml's navila_robot section), here from the simulator's LiDAR
    driver process; the policy waits for a map, then walks "move forward 1 m"."""
    status_file = tmp_path / "sim_status.json"
    with DomainLease() as dds:
        lidar = ("--lidar-ros-domain", str(ros_domain), "--lidar-topic", "/utlidar/cloud")
        sim = node_graph(sim_spec("go2", dds.domain_id, status_file, *lidar))
        assert sim.wait_for_log("unitree_sim", "ready", TIMEOUT), sim.read_log("unitree_sim")
        args = ("--policy", str(REPO_ROOT / "models" / "go2_vision"), "--no-record")
        args += ("--instruction", INSTRUCTION)
        with navila_robot(dds.domain_id, ros_domain, tmp_path, *args) as (proc, console):
            _wait_for_line(console, "robot standing, policy walking", proc, 90.0)
            start = wait_status(status_file, lambda s: True, TIMEOUT)
            rc, text, end = _walk_then_interrupt(proc, console, status_file)
        assert rc == 0, text
    run = json.loads((tmp_path / "robot_run" / "run.json").read_text())
    assert set(run["exit_codes"]) == NODES | {"heightmap_node"}, run["exit_codes"]
    assert not any(run["exit_codes"].values())
    forward = _forward(start, end)
    print(f"go2_vision forward {forward:.3f} m in the rehearsal")
    assert 0.8 < forward < 1.3, (forward, text)
    assert end["lidar_scans"] > 0 and end["trunk_height"] > 0.7 * end["nominal_height"]


def test_the_h1_walks_on_its_leg_odometry_through_the_sdk(
    node_graph, ros_domain, tmp_path: Path
) -> None:
    """models/h1_vision through the H1's robot graph (config/h1.yaml's navila_robot: the
    unitree_sdk2 backend, whose low-level state has no base velocity, so leg_odometry estimates
    the one the policy reads; without it the robot would stay PASSIVE). The simulated H1 hangs
    in its gantry until the policy holds it (a real H1 in its hoist until the operator lowers
    it); the operator then types "move forward 1 m"."""
    status_file = tmp_path / "sim_status.json"
    with DomainLease() as dds:
        lidar = ("--lidar-ros-domain", str(ros_domain))
        sim = node_graph(sim_spec("h1", dds.domain_id, status_file, *lidar))
        assert sim.wait_for_log("unitree_sim", "ready", TIMEOUT), sim.read_log("unitree_sim")
        args = ("--policy", str(REPO_ROOT / "models" / "h1_vision"), "--no-record")
        with navila_robot(dds.domain_id, ros_domain, tmp_path, *args, robot="h1") as (
            proc,
            console,
        ):
            _wait_for_line(console, "type an instruction", proc, 90.0)
            start = wait_status(status_file, lambda s: s["support"] == "released", 60.0)
            proc.stdin.write(INSTRUCTION.encode() + b"\n")
            proc.stdin.flush()
            rc, text, end = _walk_then_interrupt(proc, console, status_file)
        assert rc == 0, text
    assert "cannot start" not in text, text  # no "no base linear velocity has arrived"
    run = json.loads((tmp_path / "robot_run" / "run.json").read_text())
    assert not any(run["exit_codes"].values()), run["exit_codes"]
    forward = _forward(start, end)
    print(f"h1_vision forward {forward:.3f} m in the rehearsal")
    # "1 m" open loop: h1_vision walks ~0.43 m/s for 0.5 (models/h1_vision/README.md)
    assert 0.6 < forward < 1.3, (forward, text)
    assert abs(end["base_rpy"][0]) < 0.3 and abs(end["base_rpy"][1]) < 0.3
    assert end["trunk_height"] > 0.7 * end["nominal_height"]


def test_the_operator_types_instructions_and_the_estop_at_the_console(
    node_graph, ros_domain, tmp_path: Path
) -> None:
    """`navila robot`'s console: a typed instruction is walked; !estop damps the motors at once;
    a typo'd command is refused, never sent as an instruction; !release, !reset, !start stand
    the robot up again."""
    status_file = tmp_path / "sim_status.json"
    with DomainLease() as dds:
        sim = node_graph(sim_spec("go2", dds.domain_id, status_file))
        assert sim.wait_for_log("unitree_sim", "ready", TIMEOUT), sim.read_log("unitree_sim")
        with navila_robot(dds.domain_id, ros_domain, tmp_path, "--no-record") as (proc, console):

            def type_line(text: str) -> None:
                proc.stdin.write(text.encode() + b"\n")
                proc.stdin.flush()

            _wait_for_line(console, "type an instruction", proc, 90.0)
            start = wait_status(status_file, stood_up, TIMEOUT)
            type_line(INSTRUCTION)
            _wait_for_line(console, "the planner said stop", proc, 60.0)
            time.sleep(1.5)
            walked = wait_status(status_file, lambda s: True, TIMEOUT)
            type_line("!estpo")  # a typo: refused, not an instruction
            _wait_for_line(console, "unknown command '!estpo'", proc, TIMEOUT)
            type_line("!estop")
            wait_status(status_file, all_damped, TIMEOUT)
            _wait_for_line(console, "[loco] damp: e-stop", proc, TIMEOUT)
            for line in ("!release", "!reset", "!start"):
                type_line(line)
                time.sleep(0.5)
            wait_status(status_file, stood_up, TIMEOUT)
            deadline = time.monotonic() + TIMEOUT  # the policy takes over again
            while console.read_text().count("[loco] walk") < 2 and time.monotonic() < deadline:
                time.sleep(0.1)
            proc.send_signal(signal.SIGINT)
            rc = proc.wait(timeout=30.0)
        text = console.read_text(errors="replace")
        assert rc == 0, text
    (x0, y0, _), (x1, y1, _) = start["base_pos"], walked["base_pos"]
    assert 0.8 < math.dist((x0, y0), (x1, y1)) < 1.3, text
    run = json.loads((tmp_path / "robot_run" / "run.json").read_text())
    assert run["instructions"] == [INSTRUCTION]  # the typo never went out
    modes = [m["mode"] for m in run["loco_modes"]]
    assert modes[-4:] == ["damp", "passive", "stand_up", "walk"], modes
