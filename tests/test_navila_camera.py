"""The robot camera driver (navila_loco_node.camera_node) against the simulated Go2's video
service over Unitree DDS: frames on /camera/image_raw as the planner reads them; the service
gone -> status not ok with the reason, nothing published, the node still up; back -> frames
again; its grabber process killed -> reported, restarted, frames again."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import numpy as np
import pytest
from rclpy.qos import QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import Image
from std_msgs.msg import String

from navila_bringup.graph import DomainLease, NodeSpec
from navila_bringup.probe import Probe

from .conftest import CONFIG_DIR, child_processes
from .test_navila_loco_sim_unitree import TIMEOUT, sim_spec, wait_status

pytestmark = pytest.mark.ros


def spawned_children(pid: int) -> list[int]:
    """The multiprocessing workers (spawn_main; not its resource tracker) process `pid` started."""
    return [
        child
        for child, argv in child_processes(pid).items()
        if any(b"spawn_main" in a for a in argv) and not any(b"resource_tracker" in a for a in argv)
    ]


def camera_statuses(items: list) -> list[dict]:
    out = []
    for r in items:
        s = json.loads(r.msg.data)
        if s.get("node") == "navila_camera":
            out.append(s)
    return out


def test_camera_frames_from_the_robots_video_service(
    node_graph, ros_domain, tmp_path: Path
) -> None:
    status_file = tmp_path / "sim_status.json"
    with DomainLease() as dds:
        camera_args = ("--camera", "--camera-size", "64", "48", "--camera-rate-hz", "10")
        sim = node_graph(sim_spec("go2", dds.domain_id, status_file, *camera_args))
        assert sim.wait_for_log("unitree_sim", "ready", TIMEOUT), sim.read_log("unitree_sim")
        camera = node_graph(
            NodeSpec(
                name="navila_camera",
                module="navila_loco_node.camera_node",
                params_file=str(CONFIG_DIR / "go2.yaml"),
                params={"unitree.domain_id": dds.domain_id, "unitree.network_interface": "lo"},
            )
        )
        assert camera.wait_for_log("navila_camera", "ready", TIMEOUT), camera.read_log(
            "navila_camera"
        )
        with Probe(domain_id=ros_domain) as probe:
            best_effort = QoSProfile(depth=5, reliability=ReliabilityPolicy.BEST_EFFORT)
            images = probe.record(Image, "/camera/image_raw", best_effort)
            status = probe.record(String, "/navila/status")
            assert images.wait_count(5, TIMEOUT), camera.read_log("navila_camera")
            msg = images.items[-1].msg
            assert (msg.encoding, msg.width, msg.height, msg.step) == ("rgb8", 64, 48, 192)
            rgb = np.frombuffer(bytes(msg.data), np.uint8).reshape(48, 64, 3)
            assert rgb.std() > 5.0  # a scene (floor, horizon), not a blank frame
            assert status.wait_for(
                lambda items: any(s["ok"] for s in camera_statuses(items)), TIMEOUT
            )
            served = wait_status(status_file, lambda s: s["camera_requests"] >= 5, TIMEOUT)
            assert served["camera_frames"] >= 1

            # The robot's video service goes away: the node says so and publishes nothing.
            assert sim.stop(timeout=10.0) == {"unitree_sim": 0}
            assert status.wait_for(
                lambda items: any(
                    not s["ok"] and "GetImageSample failed" in s["last_error"]
                    for s in camera_statuses(items)
                ),
                TIMEOUT,
            ), camera.read_log("navila_camera")
            time.sleep(0.5)
            images.clear()
            time.sleep(1.5)
            assert len(images) == 0
            assert not camera.dead(), camera.read_log("navila_camera")

            # ... and comes back: frames again, without restarting the driver.
            node_graph(sim_spec("go2", dds.domain_id, status_file, *camera_args))
            assert images.wait_count(3, 2 * TIMEOUT), camera.read_log("navila_camera")

            # The driver's grabber process dies: reported, restarted, frames again.
            [grabber] = spawned_children(camera.procs["navila_camera"].pid)
            os.kill(grabber, signal.SIGKILL)
            assert status.wait_for(
                lambda items: any(
                    "grabber process exited (code -9)" in s["last_error"]
                    for s in camera_statuses(items)
                ),
                TIMEOUT,
            ), camera.read_log("navila_camera")
            images.clear()
            assert images.wait_count(3, 2 * TIMEOUT), camera.read_log("navila_camera")
            assert "restarting the grabber process" in camera.read_log("navila_camera")
        assert camera.stop(timeout=10.0) == {"navila_camera": 0}
