"""navila_loco (backend unitree_sdk2) against navila_sim's Unitree DDS mode, physics on.

Two processes talk over CycloneDDS on `lo` exactly as with a real robot: `navila_sim.unitree_sim`
(rclpy-free; LowState_ out, LowCmd_ in, CRC checked) and the loco node, whose SDK bridge runs in
its own child process. Read on the ROBOT's side (the sim's status file):
- the Go2 without a policy: the stand-up over DDS from lying with motors off to the default
  pose, every LowCmd_ CRC valid, e-stop -> damping (kp = 0, kd = 8) at the motors, reset ->
  passive, SIGINT of the node -> damping again;
- the shipped models/go2_blind walking on /cmd_vel through the SDK path (slot mapping, CRCs,
  the keep-alive, real-time pacing), then stopping and damping on SIGINT;
- the H1's sensor path: the IMU from LowState_ republished by the loco node and the LiDAR from
  the simulator's driver process, into heightmap_node.
The DDS domain comes from its own DomainLease (never the ROS one). The state timeout is
loosened to 0.5 s: a shared 2-core CI machine can pause a process > 50 ms (the 50 ms default is
pinned by the supervisor unit tests).
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import numpy as np
import pytest
import unitree_sdk2py  # noqa: F401 - a declared requirement: fail, never skip
from geometry_msgs.msg import Twist, Vector3
from rclpy.qos import QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import Imu
from std_msgs.msg import Bool, Float32MultiArray, String

from navila_bringup.graph import DomainLease, NodeGraph, NodeSpec, ros_env
from navila_bringup.probe import Probe
from navila_loco_node.observation import rpy_from_quat
from navila_loco_node.policy_dir import policy_overrides

from .conftest import CONFIG_DIR, REPO_ROOT

pytestmark = pytest.mark.ros

TIMEOUT = 30.0


def read_status(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def wait_status(path: Path, predicate, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    status = None
    while time.monotonic() < deadline:
        status = read_status(path)
        if status is not None and predicate(status):
            return status
        time.sleep(0.05)
    raise AssertionError(f"sim status never matched; last: {json.dumps(status)[:2000]}")


def all_damped(s: dict, kd: float = 8.0) -> bool:
    return s["drive"] == "damping" and all(v == kd for v in s["kd"].values())


def stood_up(s: dict) -> bool:
    q, q0 = s["joint_pos"], s["default_pos"]
    return (
        s["drive"] == "pd"
        and abs(s["trunk_height"] - s["nominal_height"]) < 0.05
        and max(abs(q[n] - q0[n]) for n in q) < 0.2
    )


def sim_spec(robot: str, dds_domain: int, status_file: Path, *args: str) -> NodeSpec:
    """navila_sim.unitree_sim on `lo` in its own DDS domain, writing its status file."""
    return NodeSpec(
        name="unitree_sim",
        module="navila_sim.unitree_sim",
        args=[
            *("--robot", robot, "--domain", str(dds_domain), "--interface", "lo"),
            *("--status-file", str(status_file), *args),
        ],
    )


def loco_spec(config: str, dds_domain: int, **params: object) -> NodeSpec:
    """The loco node on the Unitree backend against the simulator's DDS domain."""
    return NodeSpec(
        name="navila_loco",
        module="navila_loco_node.node",
        params_file=str(CONFIG_DIR / config),
        params={
            "backend.name": "unitree_sdk2",
            "backend.unitree.domain_id": dds_domain,
            "backend.unitree.network_interface": "lo",
            "safety.state_timeout_s": 0.5,
            **params,
        },
    )


def test_go2_stand_up_estop_and_sigint_over_dds(node_graph, ros_domain, tmp_path: Path) -> None:
    status_file = tmp_path / "sim_status.json"
    with DomainLease() as dds:
        lie_passive = ("--start-posture", "lie", "--start-drive", "passive")
        sim = node_graph(sim_spec("go2", dds.domain_id, status_file, *lie_passive))
        assert sim.wait_for_log("unitree_sim", "ready", TIMEOUT), sim.read_log("unitree_sim")
        # The robot side before any controller: lying, motors off.
        lying = wait_status(status_file, lambda s: s["sim_time"] > 0.5, TIMEOUT)
        assert lying["drive"] == "passive" and lying["lowcmd_received"] == 0
        assert lying["trunk_height"] < 0.5 * lying["nominal_height"]

        loco = node_graph(loco_spec("go2.yaml", dds.domain_id, **{"topics.imu_out": "/imu/data"}))
        assert loco.wait_for_log("navila_loco", "ready", TIMEOUT), loco.read_log("navila_loco")
        # Stand-up (2 s interpolation) from the lying pose to the default pose, over DDS.
        up = wait_status(status_file, stood_up, TIMEOUT)
        assert up["lowcmd_crc_errors"] == 0 and up["lowcmd_rejected"] == 0
        # Commands keep arriving (the bridge's keep-alive); each physics step takes the newest.
        assert up["lowcmd_received"] >= up["lowcmd_applied"] > 50
        assert up["kp"]["FR_calf_joint"] == 40.0 and up["kd"]["RL_hip_joint"] == 1.0
        assert abs(up["base_rpy"][0]) < 0.1 and abs(up["base_rpy"][1]) < 0.1

        with Probe(domain_id=ros_domain) as probe:
            # The IMU from LowState_ reaches ROS (for heightmap_node's levelling on a robot),
            # w first: the standing robot's attitude as the simulator has it.
            best_effort = QoSProfile(depth=5, reliability=ReliabilityPolicy.BEST_EFFORT)
            imu = probe.record(Imu, "/imu/data", best_effort)
            assert imu.wait_count(25, TIMEOUT), "no /imu/data from the loco node"
            last = imu.items[-1].msg
            o = last.orientation
            rpy = rpy_from_quat((o.w, o.x, o.y, o.z))
            now = read_status(status_file)
            assert now is not None
            for k in range(3):  # the robot stands still: the newest readings agree
                assert abs(rpy[k] - now["base_rpy"][k]) < 0.02, (rpy, now["base_rpy"])
            assert last.linear_acceleration_covariance[0] == -1.0  # not read: unknown
            estop = probe.publisher(Bool, "/navila/estop")
            command = probe.publisher(String, "/navila/loco/command")
            assert Probe.wait_matched(estop, TIMEOUT) and Probe.wait_matched(command, TIMEOUT)
            estop.publish(Bool(data=True))
            damped = wait_status(status_file, all_damped, TIMEOUT)
            assert all(v == 0.0 for v in damped["kp"].values())
            # Release and reset: PASSIVE (zero torque, passive_kd 0) reaches the motors.
            estop.publish(Bool(data=False))
            time.sleep(0.2)
            command.publish(String(data="reset"))
            wait_status(status_file, lambda s: s["drive"] == "passive", TIMEOUT)

        # SIGINT to the node: its safe stop damps the motors before it exits 0.
        assert loco.stop(timeout=10.0) == {"navila_loco": 0}
        final = wait_status(status_file, all_damped, 5.0)
        assert final["lowcmd_crc_errors"] == 0
        assert sim.stop(timeout=10.0) == {"unitree_sim": 0}


def test_h1_lidar_and_imu_reach_the_height_map_over_dds(
    node_graph, ros_domain, tmp_path: Path
) -> None:
    """The H1's sensor path on a robot: LowState_ over DDS to the loco node, which republishes
    the IMU on /imu/data (`topics.imu_out`, as robot_stack sets it); the LiDAR from the
    simulator's driver process on /lidar/points; heightmap_node (config/h1.yaml) levels with the
    one and maps the other. The robot hangs in its gantry with its motors off (no auto start),
    so the map it sees is the floor at its measured height: value = base z - floor - 0.5."""
    status_file = tmp_path / "sim_status.json"
    with DomainLease() as dds:
        sim = node_graph(
            sim_spec("h1", dds.domain_id, status_file, "--lidar-ros-domain", str(ros_domain))
        )
        assert sim.wait_for_log("unitree_sim", "ready", TIMEOUT), sim.read_log("unitree_sim")
        motors_off = {"safety.auto_start": False, "topics.imu_out": "/imu/data"}
        nodes = node_graph(
            loco_spec("h1.yaml", dds.domain_id, **motors_off),
            NodeSpec(
                name="heightmap_node",
                module="heightmap_node.node",
                params_file=str(CONFIG_DIR / "h1.yaml"),
            ),
        )
        for name in ("navila_loco", "heightmap_node"):
            assert nodes.wait_for_log(name, "ready", TIMEOUT), nodes.read_log(name)
        with Probe(domain_id=ros_domain) as probe:
            status = probe.record(String, "/navila/status")
            maps = probe.record(Float32MultiArray, "/navila/height_map")

            def mapping(items: list) -> bool:
                for r in reversed(items):
                    s = json.loads(r.msg.data)
                    if s.get("node") == "heightmap_node":
                        return bool(s["attitude_known"] and s["known_cells"] > 100)
                return False

            assert status.wait_for(mapping, TIMEOUT), nodes.read_log("heightmap_node")
            assert maps.wait_count(3, TIMEOUT)
            robot = read_status(status_file)
            values = np.asarray(maps.items[-1].msg.data)
        assert robot is not None and robot["lidar_scans"] > 3
        assert robot["drive"] == "passive" and robot["support"] == "holding"
        assert values.size == 187  # 17 x 11
        expected = robot["trunk_height"] - 0.5
        # The gantry holds it ~0.9 m up: 0.40, well apart from the 0.55 of unseen cells.
        on_floor = np.abs(values - expected) < 0.03
        assert on_floor.mean() > 0.9, (expected, values)
        assert nodes.stop(timeout=10.0) == {"navila_loco": 0, "heightmap_node": 0}
        assert sim.stop(timeout=10.0) == {"unitree_sim": 0}
        assert "LiDAR driver exit code" not in sim.read_log("unitree_sim")


def test_go2_blind_policy_walks_over_dds(node_graph, ros_domain, tmp_path: Path) -> None:
    """The shipped blind policy through the Unitree SDK path: stand-up, 0.5 m/s forward on
    /cmd_vel for 4 s (at least 80 % of the 2 m, upright), a stop, SIGINT -> damped."""
    status_file = tmp_path / "sim_status.json"
    policy = policy_overrides(REPO_ROOT / "models" / "go2_blind", config=CONFIG_DIR / "go2.yaml")
    with DomainLease() as dds:
        sim = node_graph(sim_spec("go2", dds.domain_id, status_file))
        assert sim.wait_for_log("unitree_sim", "ready", TIMEOUT), sim.read_log("unitree_sim")
        loco = node_graph(loco_spec("go2.yaml", dds.domain_id, **policy))
        assert loco.wait_for_log("navila_loco", "ready", TIMEOUT), loco.read_log("navila_loco")
        with Probe(domain_id=ros_domain) as probe:
            status = probe.record(String, "/navila/status")
            cmd_vel = probe.publisher(Twist, "/cmd_vel")
            assert Probe.wait_matched(cmd_vel, TIMEOUT)

            def walking(items: list) -> bool:
                return any(json.loads(r.msg.data).get("mode") == "walk" for r in items)

            assert status.wait_for(walking, TIMEOUT), loco.read_log("navila_loco")
            start = wait_status(status_file, lambda s: True, TIMEOUT)

            def drive(vx: float, seconds: float) -> None:
                end = time.monotonic() + seconds
                while time.monotonic() < end:
                    cmd_vel.publish(Twist(linear=Vector3(x=vx)))
                    time.sleep(0.05)

            drive(0.5, 4.0)
            moved = read_status(status_file)
            drive(0.0, 2.0)
            stopped = read_status(status_file)
        assert moved is not None and stopped is not None
        (x0, y0, _), (x1, y1, _) = start["base_pos"], moved["base_pos"]
        dt = moved["sim_time"] - start["sim_time"]
        yaw = start["base_rpy"][2]
        forward = (x1 - x0) * math.cos(yaw) + (y1 - y0) * math.sin(yaw)
        # 2.00 m in 4.0 s when measured; the NaVILA goal is 0.066 m/s of error.
        assert forward > 0.8 * 0.5 * dt, (forward, dt, loco.read_log("navila_loco"))
        assert math.dist(moved["base_pos"][:2], stopped["base_pos"][:2]) < 0.4  # it stops
        for s in (moved, stopped):
            assert abs(s["base_rpy"][0]) < 0.3 and abs(s["base_rpy"][1]) < 0.3
            assert s["trunk_height"] > 0.7 * s["nominal_height"]
        assert stopped["lowcmd_crc_errors"] == 0 and stopped["lowcmd_rejected"] == 0
        assert loco.stop(timeout=10.0) == {"navila_loco": 0}
        wait_status(status_file, all_damped, 5.0)
        assert sim.stop(timeout=10.0) == {"unitree_sim": 0}


def test_a_second_controller_on_the_same_robot_is_refused(
    node_graph, ros_domain, tmp_path: Path
) -> None:
    """Two bring-ups on one robot would interleave their LowCmd_: the second loco node hears
    rt/lowcmd already written before it writes any, refuses to start (exit 2, saying why) and
    the first keeps the robot standing, undisturbed."""
    status_file = tmp_path / "sim_status.json"
    with DomainLease() as dds:
        sim = node_graph(sim_spec("go2", dds.domain_id, status_file))
        assert sim.wait_for_log("unitree_sim", "ready", TIMEOUT), sim.read_log("unitree_sim")
        first = node_graph(loco_spec("go2.yaml", dds.domain_id))
        assert first.wait_for_log("navila_loco", "ready", TIMEOUT), first.read_log("navila_loco")
        wait_status(status_file, stood_up, TIMEOUT)
        # The same node again (same name and config section), as a second bring-up starts it.
        second = NodeGraph(
            [loco_spec("go2.yaml", dds.domain_id)],
            env=ros_env(ros_domain),
            log_dir=tmp_path / "second",
        )
        with second:
            deadline = time.monotonic() + TIMEOUT
            while not second.dead() and time.monotonic() < deadline:
                time.sleep(0.1)
            log = second.read_log("navila_loco")
            assert second.dead() == {"navila_loco": 2}, log
        assert "another controller is already writing rt/lowcmd" in log, log
        assert not first.dead()
        still = wait_status(status_file, lambda s: True, TIMEOUT)
        assert stood_up(still) and still["lowcmd_crc_errors"] == 0
        assert first.stop(timeout=10.0) == {"navila_loco": 0}
        assert sim.stop(timeout=10.0) == {"unitree_sim": 0}
