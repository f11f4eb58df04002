"""navila_loco (backend ros_topics) against the navila_sim node in physics mode.

The loop the Isaac Sim set-up uses, with the embedded sim: /joint_states + /imu/data from the sim
-> the loco node -> /joint_command -> the sim's PD drive. The simulated Go2 starts LYING with its
motors off; the node has NO policy (none is trained yet; a random one cannot walk), so it stands
the robot up to the default pose and holds it. Checked on the robot's side: trunk height near the
default standing height, joint angles at the default pose, the sim driving PD; then
/navila/estop -> the sim's drive becomes damping (kp = 0, kd = 8). Camera and LiDAR are off (not
needed here; 2 shared cores). The state timeout is loosened to 0.5 s as in the other loco tests.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from rclpy.qos import QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import JointState
from std_msgs.msg import Bool, String

from navila_bringup.graph import NodeSpec
from navila_bringup.probe import Probe, Recorder
from navila_loco_node.config import load_loco_config

from .conftest import CONFIG_DIR

pytestmark = pytest.mark.ros

TIMEOUT = 30.0
GO2 = load_loco_config(CONFIG_DIR / "go2.yaml")
DEFAULT = dict(zip(GO2.joints.names, GO2.joints.default_pos, strict=True))


def sim_statuses(rec: Recorder) -> list[dict]:
    return [s for s in (json.loads(r.msg.data) for r in rec.items) if s.get("node") == "navila_sim"]


def newest_sim_status(rec: Recorder) -> dict | None:
    found = sim_statuses(rec)
    return found[-1] if found else None


def at_default_pose(js: Recorder) -> bool:
    if not js.items:
        return False
    msg = js.items[-1].msg
    err = [abs(q - DEFAULT[n]) for n, q in zip(msg.name, msg.position, strict=True)]
    return max(err) < 0.2


def test_go2_stand_up_and_estop_through_ros_topics(node_graph, ros_domain) -> None:
    sim = NodeSpec(
        name="navila_sim",
        module="navila_sim.node",
        params_file=str(CONFIG_DIR / "go2.yaml"),
        params={
            "scene": "",
            "mode": "physics",
            "start_posture": "lie",
            "start_drive": "passive",
            "lidar.enabled": False,
            "camera.enabled": False,
            "status_rate_hz": 5.0,
        },
    )
    graph = node_graph(sim)
    assert graph.wait_for_log("navila_sim", "ready", TIMEOUT), graph.read_log("navila_sim")
    with Probe(domain_id=ros_domain) as probe:
        status = probe.record(String, "/navila/status")
        js = probe.record(
            JointState,
            "/joint_states",
            QoSProfile(depth=5, reliability=ReliabilityPolicy.BEST_EFFORT),
        )
        estop = probe.publisher(Bool, "/navila/estop")
        # Before any controller: lying, motors off.
        assert status.wait_for(lambda _: newest_sim_status(status) is not None, TIMEOUT)
        lying = newest_sim_status(status)
        assert lying["drive"] == "passive"
        assert lying["trunk_height"] < 0.5 * lying["nominal_height"]

        loco = node_graph(
            NodeSpec(
                name="navila_loco",
                module="navila_loco_node.node",
                params_file=str(CONFIG_DIR / "go2.yaml"),
                params={"backend.name": "ros_topics", "safety.state_timeout_s": 0.5},
            )
        )
        assert loco.wait_for_log("navila_loco", "ready", TIMEOUT), loco.read_log("navila_loco")

        def standing(_: object) -> bool:
            s = newest_sim_status(status)
            return (
                s is not None
                and s["drive"] == "pd"
                and abs(s["trunk_height"] - s["nominal_height"]) < 0.05
                and at_default_pose(js)
            )

        assert status.wait_for(standing, TIMEOUT), (
            sim_statuses(status)[-3:],
            loco.read_log("navila_loco"),
        )
        stood = newest_sim_status(status)
        assert stood["last_error"] == "", stood["last_error"]
        assert float(np.abs(stood["trunk_height"] - stood["nominal_height"])) < 0.05

        assert Probe.wait_matched(estop, TIMEOUT)
        estop.publish(Bool(data=True))
        assert status.wait_for(
            lambda _: (newest_sim_status(status) or {}).get("drive") == "damping", TIMEOUT
        ), loco.read_log("navila_loco")
        damped = newest_sim_status(status)
        assert damped["kp_range"] == [0.0, 0.0] and damped["kd_range"] == [8.0, 8.0]
        assert "joint drive: pd -> damping" in graph.read_log("navila_sim")
        assert "stand_up -> damp: e-stop" in loco.read_log("navila_loco")
    assert loco.stop(timeout=10.0) == {"navila_loco": 0}
