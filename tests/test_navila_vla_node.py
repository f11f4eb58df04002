"""The planner node as its own process over real ROS 2 topics: direct backend with the real
executor, a tiny NaVILA checkpoint (no image -> waits; nonsense -> stop), a broken model path."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sensor_msgs.msg import Image
from std_msgs.msg import String

from navila_bringup.graph import NodeSpec
from navila_bringup.probe import Probe, Recorder

from .conftest import CONFIG_DIR

pytestmark = pytest.mark.ros

TIMEOUT = 30.0  # generous: nothing here asserts speed


def planner_spec(**params: object) -> NodeSpec:
    return NodeSpec(
        name="navila_vla",
        module="navila_vla_node.node",
        params_file=str(CONFIG_DIR / "go2.yaml"),
        params=params,
    )


def statuses(rec: Recorder, node: str = "navila_vla") -> list[dict]:
    out = []
    for r in rec.items:
        s = json.loads(r.msg.data)
        if s.get("node") == node:
            out.append(s)
    return out


def texts(rec: Recorder) -> list[str]:
    return [r.msg.data for r in rec.items]


def rgb_image(h: int = 48, w: int = 64) -> Image:
    msg = Image()
    msg.height, msg.width, msg.encoding, msg.step = h, w, "rgb8", w * 3
    msg.data = np.random.default_rng(0).integers(0, 255, (h, w, 3), dtype=np.uint8).tobytes()
    return msg


def test_direct_backend_drives_the_real_executor(node_graph, ros_domain) -> None:
    """Instruction -> one action per step; the executor's action_done triggers each replan."""
    graph = node_graph(
        planner_spec(backend="direct"),
        NodeSpec(
            name="navila_executor",
            module="instruction_parser.executor_node",
            params_file=str(CONFIG_DIR / "go2.yaml"),
            params={"motion.forward_speed": 1.0, "motion.turn_rate": 3.0},
        ),
    )
    for name in ("navila_vla", "navila_executor"):
        assert graph.wait_for_log(name, "ready", TIMEOUT), graph.read_log(name)
    assert graph.wait_for_log("navila_vla", "loaded", TIMEOUT), graph.read_log("navila_vla")
    with Probe(domain_id=ros_domain) as probe:
        out = probe.record(String, "/navila/vla/output")
        status = probe.record(String, "/navila/status")
        instr = probe.publisher(String, "/navila/instruction")
        assert Probe.wait_matched(instr, TIMEOUT, n=2)
        instr.publish(String(data="move forward 0.5 m, then turn left 30 degrees"))
        assert out.wait_count(3, TIMEOUT), texts(out)
        assert texts(out)[:3] == [
            "The next action is move forward 50 cm.",
            "The next action is turn left 30 degrees.",
            "The next action is stop.",
        ]
        assert status.wait_for(
            lambda _: any(
                s.get("event") == "episode_end" for s in statuses(status, "navila_executor")
            ),
            TIMEOUT,
        )
        assert status.wait_for(
            lambda _: statuses(status) and statuses(status)[-1]["state"] == "done", TIMEOUT
        )
        # A refused instruction (not actions) is a stop with the reason, never motion. (The
        # executor may cancel the episode's last stop on this instruction within the planner's
        # reorder window, and the planner then sends that stop once more before the refusal: a
        # loaded machine did. Every text in between is a stop too.)
        n = len(out)
        instr.publish(String(data="find the kitchen and wait there"))
        assert out.wait_for(lambda _: "stop" in texts(out)[n:], TIMEOUT), texts(out)
        assert set(texts(out)[n:]) <= {"stop", "The next action is stop."}
        assert status.wait_for(
            lambda _: any(
                "not a mid-level action" in (s.get("reason") or "") for s in statuses(status)
            ),
            TIMEOUT,
        )


@pytest.fixture(scope="module")
def tiny_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from navila_vla_node.checkpoint import write_checkpoint

    return write_checkpoint(tmp_path_factory.mktemp("navila_tiny"))


def test_tiny_navila_waits_for_image_then_stops_on_nonsense(
    node_graph, ros_domain, tiny_checkpoint: Path
) -> None:
    graph = node_graph(
        planner_spec(backend="navila", model_path=str(tiny_checkpoint), device="cpu")
    )
    assert graph.wait_for_log("navila_vla", "ready", TIMEOUT), graph.read_log("navila_vla")
    assert graph.wait_for_log("navila_vla", "loaded", 60.0), graph.read_log("navila_vla")
    with Probe(domain_id=ros_domain) as probe:
        out = probe.record(String, "/navila/vla/output")
        status = probe.record(String, "/navila/status")
        instr = probe.publisher(String, "/navila/instruction")
        cam = probe.publisher(Image, "/camera/image_raw")
        assert Probe.wait_matched(instr, TIMEOUT) and Probe.wait_matched(cam, TIMEOUT)
        instr.publish(String(data="walk to the kitchen"))
        assert status.wait_for(
            lambda _: any(s.get("message") == "waiting for camera image" for s in statuses(status)),
            TIMEOUT,
        )
        assert len(out) == 0, "no image: nothing may be published"
        cam.publish(rgb_image())
        # The random-weight model answers nonsense: the planner publishes stop with the reason.
        assert out.wait_count(1, 60.0), graph.read_log("navila_vla")
        assert texts(out) == ["stop"]
        assert status.wait_for(
            lambda _: any(s.get("event") == "stop" for s in statuses(status)), TIMEOUT
        )
        stops = [s for s in statuses(status) if s.get("event") == "stop"]
        assert stops and "not an action" in stops[-1]["reason"], stops
        assert stops[-1]["latency"]["prompt_tokens"] > 8 * 196
        assert stops[-1]["latency"]["frames_encoded"] >= 1


def test_broken_model_path_keeps_node_up_and_stops(node_graph, ros_domain, tmp_path) -> None:
    graph = node_graph(planner_spec(backend="navila", model_path=str(tmp_path / "nope")))
    assert graph.wait_for_log("navila_vla", "ready", TIMEOUT), graph.read_log("navila_vla")
    assert graph.wait_for_log("navila_vla", "failed to load", TIMEOUT), graph.read_log("navila_vla")
    with Probe(domain_id=ros_domain) as probe:
        out = probe.record(String, "/navila/vla/output")
        status = probe.record(String, "/navila/status")
        instr = probe.publisher(String, "/navila/instruction")
        assert Probe.wait_matched(instr, TIMEOUT)
        assert status.wait_for(
            lambda _: statuses(status) and statuses(status)[-1]["state"] == "error", TIMEOUT
        )
        assert "config.json" in statuses(status)[-1]["message"]
        instr.publish(String(data="walk to the kitchen"))
        assert out.wait_count(1, TIMEOUT)
        assert texts(out) == ["stop"]
    assert not graph.dead(), "the node must stay up after a failed model load"
    codes = graph.stop()
    assert codes["navila_vla"] == 0, graph.read_log("navila_vla")


def test_oracle_backend_follows_odom(node_graph, ros_domain) -> None:
    from nav_msgs.msg import Odometry

    graph = node_graph(planner_spec(backend="oracle", reference_path=[0.0, 0.0, 3.0, 0.0]))
    assert graph.wait_for_log("navila_vla", "loaded", TIMEOUT), graph.read_log("navila_vla")
    with Probe(domain_id=ros_domain) as probe:
        out = probe.record(String, "/navila/vla/output")
        status = probe.record(String, "/navila/status")
        instr = probe.publisher(String, "/navila/instruction")
        odom = probe.publisher(Odometry, "/odom")
        assert Probe.wait_matched(instr, TIMEOUT) and Probe.wait_matched(odom, TIMEOUT)
        instr.publish(String(data="walk down the hall"))
        assert status.wait_for(
            lambda _: any(s.get("message") == "waiting for pose (/odom)" for s in statuses(status)),
            TIMEOUT,
        )
        msg = Odometry()
        msg.pose.pose.orientation.z, msg.pose.pose.orientation.w = 0.7071068, 0.7071068  # +90 deg
        odom.publish(msg)
        assert out.wait_count(1, TIMEOUT), graph.read_log("navila_vla")
        assert texts(out) == ["The next action is turn right 45 degrees."]
