"""navila_sim as its own process: topic contract (names, types, frames, rates), commands, faults.

Rates are checked on the messages' sim-time stamps (deterministic), never on wall-clock timing.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from geometry_msgs.msg import Twist
from nav_msgs.msg import Odometry
from rclpy.qos import QoSProfile, ReliabilityPolicy
from rosgraph_msgs.msg import Clock
from sensor_msgs.msg import Image, Imu, JointState, PointCloud2, PointField
from std_msgs.msg import String

from navila_bringup.graph import NodeSpec
from navila_bringup.probe import Probe
from navila_sim.joint_order import GO2_SDK_ORDER

from .conftest import CONFIG_DIR

pytestmark = pytest.mark.ros

TIMEOUT = 30.0
NODE = "navila_sim"
BEST_EFFORT = QoSProfile(depth=10, reliability=ReliabilityPolicy.BEST_EFFORT)


def t(msg) -> float:
    return msg.header.stamp.sec + msg.header.stamp.nanosec * 1e-9


def statuses(rec) -> list[dict]:
    return [s for s in (json.loads(r.msg.data) for r in rec.items) if s.get("node") == NODE]


def start(node_graph, config: str = "go2.yaml", **params):
    spec = NodeSpec(
        name=NODE,
        module="navila_sim.node",
        params_file=str(CONFIG_DIR / config),
        params={"real_time_factor": 2.0, "status_rate_hz": 5.0, **params},
    )
    graph = node_graph(spec)
    assert graph.wait_for_log(NODE, "ready", TIMEOUT), graph.read_log(NODE)
    return graph


def test_topic_contract_commands_and_faults(node_graph, ros_domain) -> None:
    graph = start(node_graph, mode="physics")
    with Probe(domain_id=ros_domain) as probe:
        rec = {
            "js": probe.record(JointState, "/joint_states", BEST_EFFORT),
            "imu": probe.record(Imu, "/imu/data", BEST_EFFORT),
            "odom": probe.record(Odometry, "/odom", BEST_EFFORT),
            "clock": probe.record(Clock, "/clock", BEST_EFFORT),
            "lidar": probe.record(PointCloud2, "/lidar/points", BEST_EFFORT),
            "cam": probe.record(Image, "/camera/image_raw", BEST_EFFORT),
            "status": probe.record(String, "/navila/status"),
        }
        assert rec["cam"].wait_count(4, TIMEOUT), graph.read_log(NODE)
        assert rec["lidar"].wait_count(8, TIMEOUT)
        assert rec["js"].wait_count(20, TIMEOUT) and rec["imu"].wait_count(20, TIMEOUT)
        assert rec["odom"].wait_count(20, TIMEOUT) and rec["clock"].wait_count(20, TIMEOUT)

        # the graph: names and types as the Isaac Sim bridge publishes them
        topics = dict(probe.node.get_topic_names_and_types())
        assert topics["/joint_states"] == ["sensor_msgs/msg/JointState"]
        assert topics["/imu/data"] == ["sensor_msgs/msg/Imu"]
        assert topics["/odom"] == ["nav_msgs/msg/Odometry"]
        assert topics["/clock"] == ["rosgraph_msgs/msg/Clock"]
        assert topics["/lidar/points"] == ["sensor_msgs/msg/PointCloud2"]
        assert topics["/camera/image_raw"] == ["sensor_msgs/msg/Image"]
        lidar_qos = probe.node.get_publishers_info_by_topic("/lidar/points")[0].qos_profile
        assert lidar_qos.reliability == ReliabilityPolicy.BEST_EFFORT

        # contents
        js = rec["js"].items[-1].msg
        assert sorted(js.name) == sorted(GO2_SDK_ORDER)
        assert len(js.position) == len(js.velocity) == len(js.effort) == 12
        cloud = rec["lidar"].items[-1].msg
        assert [(f.name, f.offset, f.datatype) for f in cloud.fields] == [
            ("x", 0, PointField.FLOAT32),
            ("y", 4, PointField.FLOAT32),
            ("z", 8, PointField.FLOAT32),
        ]
        assert cloud.header.frame_id == "lidar" and cloud.point_step == 12
        pts = np.frombuffer(bytes(cloud.data), "<f4").reshape(-1, 3)
        assert cloud.width == len(pts) > 500 and np.all(np.isfinite(pts))
        img = rec["cam"].items[-1].msg
        assert (img.encoding, img.width, img.height, img.step) == ("rgb8", 160, 120, 480)
        assert np.frombuffer(bytes(img.data), np.uint8).std() > 5
        odom = rec["odom"].items[-1].msg
        assert (odom.header.frame_id, odom.child_frame_id) == ("odom", "base_link")
        assert abs(odom.pose.pose.position.x - (-3.0)) < 0.1
        assert rec["imu"].items[-1].msg.linear_acceleration.z > 8.0  # standing: +g

        # rates from sim-time stamps: 50 Hz state, ~15 Hz LiDAR, 5 Hz camera, /clock monotonic
        js_dt = np.diff([t(r.msg) for r in rec["js"].items])
        assert np.min(js_dt) == pytest.approx(0.02, abs=1e-6)
        lidar_dt = np.diff([t(r.msg) for r in rec["lidar"].items])
        assert 0.059 < np.min(lidar_dt) < 0.081
        # the first frame comes with the first control period (t = 0.02), then on the 0.2 s grid
        cam_t = [t(r.msg) for r in rec["cam"].items if t(r.msg) > 0.021]
        assert np.min(np.diff(cam_t)) == pytest.approx(0.2, abs=1e-6), cam_t
        clocks = [r.msg.clock.sec + r.msg.clock.nanosec * 1e-9 for r in rec["clock"].items]
        assert np.all(np.diff(clocks) > 0)

        # a joint command by name moves that joint; the others keep their targets
        pub = probe.publisher(JointState, "/joint_command")
        assert Probe.wait_matched(pub, TIMEOUT)
        cmd = JointState(name=["FR_calf_joint"], position=[-2.0])
        pub.publish(cmd)

        def calf_moved(items):
            m = items[-1].msg
            return abs(m.position[m.name.index("FR_calf_joint")] + 2.0) < 0.15

        assert rec["js"].wait_for(calf_moved, TIMEOUT)

        # a bad command is refused and reported; the node stays up and keeps holding
        pub.publish(JointState(name=["nope_joint"], position=[0.3]))
        assert rec["status"].wait_for(
            lambda _: any("nope_joint" in s["last_error"] for s in statuses(rec["status"])),
            TIMEOUT,
        )
        assert not graph.dead()
        assert rec["js"].wait_for(calf_moved, TIMEOUT)

        # fault injection: drop the LiDAR, freeze joint states
        fault = probe.publisher(String, "/navila/sim/command")
        assert Probe.wait_matched(fault, TIMEOUT)
        fault.publish(String(data=json.dumps({"drop": ["lidar"], "freeze_joint_states": True})))
        assert rec["status"].wait_for(
            lambda _: any(s["faults"]["drop"] == ["lidar"] for s in statuses(rec["status"])),
            TIMEOUT,
        )
        n_lidar = len(rec["lidar"])
        rec["js"].clear()
        assert rec["js"].wait_count(30, TIMEOUT)
        frozen = [tuple(r.msg.position) for r in rec["js"].items]
        assert len(set(frozen)) == 1  # every message repeats the frozen state
        assert len(rec["lidar"]) <= n_lidar + 1  # at most one scan was already in flight
        fault.publish(String(data="{not json"))
        assert rec["status"].wait_for(
            lambda _: any(
                "sim command refused" in s["last_error"] for s in statuses(rec["status"])
            ),
            TIMEOUT,
        )
    codes = graph.stop()
    assert codes == {NODE: 0}, graph.read_log(NODE)


def test_kinematic_mode_follows_cmd_vel(node_graph, ros_domain) -> None:
    graph = start(node_graph, mode="kinematic", **{"camera.enabled": False})
    with Probe(domain_id=ros_domain) as probe:
        odom = probe.record(Odometry, "/odom", BEST_EFFORT)
        pub = probe.publisher(Twist, "/cmd_vel")
        assert Probe.wait_matched(pub, TIMEOUT)
        assert odom.wait_count(1, TIMEOUT)
        x0 = odom.items[-1].msg.pose.pose.position.x
        twist = Twist()
        twist.linear.x = 0.5

        def moved(items):
            pub.publish(twist)  # streamed, as the executor does (cmd_vel times out after 0.5 s)
            return items[-1].msg.pose.pose.position.x - x0 > 0.5

        assert odom.wait_for(moved, TIMEOUT)
        assert odom.items[-1].msg.twist.twist.linear.x == pytest.approx(0.5)
        # silence: the base stops by itself after cmd_vel_timeout_s
        assert odom.wait_for(lambda items: items[-1].msg.twist.twist.linear.x == 0.0, TIMEOUT)
    assert graph.stop() == {NODE: 0}, graph.read_log(NODE)


def test_lidar_mode_parameter_swaps_in_the_top_surface_oracle(node_graph, ros_domain) -> None:
    """lidar.mode top_surface (a diagnostic): the cloud is the lattice around the base, every
    point a hit, still in the LiDAR frame; the scene and robot otherwise unchanged."""
    graph = start(
        node_graph,
        mode="physics",
        scene="",
        **{"camera.enabled": False, "lidar.mode": "top_surface"},
    )
    with Probe(domain_id=ros_domain) as probe:
        lidar = probe.record(PointCloud2, "/lidar/points", BEST_EFFORT)
        assert lidar.wait_count(2, TIMEOUT)
        cloud = lidar.items[-1].msg
        assert cloud.header.frame_id == "lidar"
        # every ray of the 4 cm lattice (+-1.6 m) hit the empty floor: none is missing
        assert cloud.width * cloud.height == 81 * 81
        xyz = np.frombuffer(bytes(cloud.data), dtype=np.float32).reshape(-1, 3)
        # a flat floor seen in the tilted LiDAR frame: one plane through all points
        centred = xyz - xyz.mean(axis=0)
        assert np.linalg.svd(centred, compute_uv=False)[-1] / np.sqrt(len(xyz)) < 0.005
    assert graph.stop() == {NODE: 0}, graph.read_log(NODE)


def test_h1_hangs_in_its_gantry_until_released(node_graph, ros_domain) -> None:
    """A passive H1 (the loco node's first command) hangs in the gantry; the operator's
    release_support command lowers it and, with the motors off, it falls."""
    graph = start(
        node_graph,
        config="h1.yaml",
        mode="physics",
        scene="",
        **{"camera.enabled": False, "lidar.enabled": False},
    )
    with Probe(domain_id=ros_domain) as probe:
        status = probe.record(String, "/navila/status")
        cmd = probe.publisher(JointState, "/joint_command")
        sim_cmd = probe.publisher(String, "/navila/sim/command")
        assert Probe.wait_matched(cmd, TIMEOUT) and Probe.wait_matched(sim_cmd, TIMEOUT)
        passive = JointState()
        passive.effort = [0.0] * 19
        cmd.publish(passive)

        def hanging_passive(_) -> bool:
            s = statuses(status)
            return bool(s) and s[-1]["drive"] == "passive" and s[-1]["sim_time"] > 2.0

        assert status.wait_for(hanging_passive, TIMEOUT), statuses(status)[-1:]
        last = statuses(status)[-1]
        assert last["support"] == "holding"
        assert last["trunk_height"] > last["nominal_height"] - 0.12
        sim_cmd.publish(String(data=json.dumps({"release_support": True})))

        def fallen(_) -> bool:
            s = statuses(status)
            return bool(s) and s[-1]["support"] == "released" and s[-1]["trunk_height"] < 0.5

        assert status.wait_for(fallen, TIMEOUT), statuses(status)[-1:]
    assert graph.stop() == {NODE: 0}, graph.read_log(NODE)
