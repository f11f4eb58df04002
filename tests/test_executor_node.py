"""The executor node as its own process, driven over real ROS 2 topics."""

from __future__ import annotations

import json
import signal

import pytest
from geometry_msgs.msg import Twist
from rosgraph_msgs.msg import Clock
from std_msgs.msg import Bool, String

from navila_bringup.graph import NodeSpec
from navila_bringup.probe import Probe, Recorder

from .conftest import CONFIG_DIR

pytestmark = pytest.mark.ros

RATE = 50.0
PERIOD = 1.0 / RATE
TIMEOUT = 20.0  # generous: CI machines are slow; nothing here asserts speed


def executor_spec(**params: object) -> NodeSpec:
    return NodeSpec(
        name="navila_executor",
        module="instruction_parser.executor_node",
        params_file=str(CONFIG_DIR / "go2.yaml"),
        params={"rate_hz": RATE, **params},
    )


def twist(msg: Twist) -> tuple[float, float, float]:
    return (msg.linear.x, msg.linear.y, msg.angular.z)


def statuses(rec: Recorder) -> list[dict]:
    return [json.loads(r.msg.data) for r in rec.items]


def events(rec: Recorder, kind: str) -> list[dict]:
    return [s for s in statuses(rec) if s.get("event") == kind]


@pytest.fixture
def executor(node_graph, ros_domain):
    """Start the executor (steady clock) and a probe wired to all its topics."""
    graph = node_graph(executor_spec())
    assert graph.wait_for_log("navila_executor", "ready", TIMEOUT), graph.read_log(
        "navila_executor"
    )
    with Probe(domain_id=ros_domain) as probe:
        rec = {
            "cmd": probe.record(Twist, "/cmd_vel"),
            "action": probe.record(String, "/navila/action"),
            "status": probe.record(String, "/navila/status"),
        }
        pubs = {
            "text": probe.publisher(String, "/navila/vla/output"),
            "estop": probe.publisher(Bool, "/navila/estop"),
        }
        for p in pubs.values():
            assert Probe.wait_matched(p, TIMEOUT)
        assert rec["cmd"].wait_count(1, TIMEOUT), "idle executor publishes zero Twists"
        yield graph, probe, pubs, rec


def nonzero(rec: Recorder) -> list:
    return [r for r in rec.items if any(v != 0.0 for v in twist(r.msg))]


def test_stream_values_and_done_event(executor) -> None:
    _, _, pubs, rec = executor
    pubs["text"].publish(String(data="The next action is move forward 50 cm."))
    assert rec["status"].wait_for(lambda _: events(rec["status"], "action_done"), TIMEOUT)
    assert rec["action"].wait_count(1, TIMEOUT)
    action = json.loads(rec["action"].items[-1].msg.data)
    assert action["ok"] and action["actions"][0]["kind"] == "forward"
    assert action["commands"][0]["duration"] == pytest.approx(1.0)
    moving = nonzero(rec["cmd"])
    assert moving and all(twist(r.msg) == (0.5, 0.0, 0.0) for r in moving)
    # roughly rate * duration messages (ticks can slip on a loaded machine, never extra ones)
    assert 0.5 * RATE <= len(moving) <= RATE + 2
    started = events(rec["status"], "action_started")[-1]
    done = events(rec["status"], "action_done")[-1]
    assert done["seq"] == started["seq"] == action["seq"]
    assert done["time"] - started["time"] >= 1.0 - 1e-6
    assert rec["cmd"].wait_for(lambda items: twist(items[-1].msg) == (0.0, 0.0, 0.0), TIMEOUT)


def test_preemption_garbage_and_estop(executor) -> None:
    _, _, pubs, rec = executor
    pubs["text"].publish(String(data="move forward 3 m"))
    assert rec["cmd"].wait_for(lambda items: twist(items[-1].msg)[0] == 0.5, TIMEOUT)
    pubs["text"].publish(String(data="turn right 30 degrees"))
    assert rec["cmd"].wait_for(lambda items: twist(items[-1].msg)[2] < 0, TIMEOUT)
    assert twist(rec["cmd"].items[-1].msg)[0] == 0.0
    assert rec["status"].wait_for(lambda _: events(rec["status"], "preempted"), TIMEOUT)
    assert events(rec["status"], "preempted")[-1]["seq"] == 1

    # garbage pre-empts too, and stops the robot with a reason
    pubs["text"].publish(String(data="move forward 2 m"))
    assert rec["cmd"].wait_for(lambda items: twist(items[-1].msg)[0] == 0.5, TIMEOUT)
    n_actions = len(rec["action"])
    pubs["text"].publish(String(data="I see a sofa, maybe go there?"))
    assert rec["status"].wait_for(lambda _: events(rec["status"], "rejected"), TIMEOUT)
    assert rec["action"].wait_count(n_actions + 1, TIMEOUT)
    assert rec["cmd"].wait_for(lambda items: twist(items[-1].msg) == (0.0, 0.0, 0.0), TIMEOUT)
    refused = json.loads(rec["action"].items[-1].msg.data)
    assert not refused["ok"] and refused["error"]["code"] == "missing_direction"
    assert events(rec["status"], "rejected")[-1]["state"] == "error"

    # e-stop: zero at once, actions refused until released
    pubs["text"].publish(String(data="move forward 3 m"))
    assert rec["cmd"].wait_for(lambda items: twist(items[-1].msg)[0] == 0.5, TIMEOUT)
    pubs["estop"].publish(Bool(data=True))
    assert rec["status"].wait_for(lambda _: events(rec["status"], "estop"), TIMEOUT)
    assert rec["cmd"].wait_for(lambda items: twist(items[-1].msg) == (0.0, 0.0, 0.0), TIMEOUT)
    n_before = len(rec["action"])
    mark = len(rec["cmd"])
    pubs["text"].publish(String(data="move forward 1 m"))
    assert rec["action"].wait_count(n_before + 1, TIMEOUT)
    assert json.loads(rec["action"].items[-1].msg.data)["error"]["code"] == "estop"
    assert rec["cmd"].wait_count(mark + 3, TIMEOUT)  # idle zeros keep coming ...
    assert all(twist(r.msg) == (0.0, 0.0, 0.0) for r in rec["cmd"].items[mark:])  # ... only zeros
    pubs["estop"].publish(Bool(data=False))
    assert rec["status"].wait_for(lambda _: events(rec["status"], "estop_released"), TIMEOUT)
    pubs["text"].publish(String(data="turn left 15 degrees"))
    assert rec["cmd"].wait_for(lambda items: twist(items[-1].msg)[2] > 0, TIMEOUT)


def test_sigint_publishes_zero_and_exits_cleanly(executor) -> None:
    graph, _, pubs, rec = executor
    pubs["text"].publish(String(data="move forward 3 m"))
    assert rec["cmd"].wait_for(lambda items: twist(items[-1].msg)[0] == 0.5, TIMEOUT)
    proc = graph.procs["navila_executor"]
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=TIMEOUT) == 0
    # the zero was acknowledged by our reader before exit; wait for its callback to run
    assert rec["cmd"].wait_for(lambda items: twist(items[-1].msg) == (0.0, 0.0, 0.0), TIMEOUT)
    assert "zero velocity published" in graph.read_log("navila_executor")


def test_sim_time_duration_is_exact(node_graph, ros_domain) -> None:
    """With use_sim_time the stream follows /clock: 75 cm at 0.5 m/s lasts exactly 1.5 s."""
    graph = node_graph(executor_spec(use_sim_time=True))
    assert graph.wait_for_log("navila_executor", "ready", TIMEOUT), graph.read_log(
        "navila_executor"
    )
    with Probe(domain_id=ros_domain) as probe:
        cmd = probe.record(Twist, "/cmd_vel")
        status = probe.record(String, "/navila/status")
        actions = probe.record(String, "/navila/action")
        clock = probe.publisher(Clock, "/clock")
        text = probe.publisher(String, "/navila/vla/output")
        assert Probe.wait_matched(clock, TIMEOUT) and Probe.wait_matched(text, TIMEOUT)

        def set_clock(t_ns: int) -> None:
            msg = Clock()
            msg.clock.sec, msg.clock.nanosec = divmod(t_ns, 1_000_000_000)
            clock.publish(msg)

        t0 = 100_000_000_000  # 100 s
        set_clock(t0)
        # the status timer runs on sim time: a status stamped t0 proves the node has our clock
        assert status.wait_for(
            lambda items: any(json.loads(r.msg.data)["time"] >= 100.0 for r in items), TIMEOUT
        )
        cmd.clear()
        text.publish(String(data="The next action is move forward 75 cm."))
        assert cmd.wait_count(1, TIMEOUT)
        assert json.loads(actions.items[-1].msg.data)["time"] == pytest.approx(100.0)
        assert twist(cmd.items[0].msg) == (0.5, 0.0, 0.0)
        period_ns = round(PERIOD * 1e9)
        first_zero_at = None
        for k in range(1, 100):
            n = len(cmd)
            set_clock(t0 + k * period_ns)
            assert cmd.wait_count(n + 1, TIMEOUT), f"no tick for sim step {k}"
            if twist(cmd.items[-1].msg) == (0.0, 0.0, 0.0):
                first_zero_at = k * PERIOD
                break
            assert twist(cmd.items[-1].msg) == (0.5, 0.0, 0.0)
        assert first_zero_at == pytest.approx(1.5)  # exactly the action's duration
        assert len(nonzero(cmd)) == 75  # 1.5 s x 50 Hz
