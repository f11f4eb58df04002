"""The executor state machine, driven with explicit times (no ROS, no sleeping)."""

from __future__ import annotations

import itertools
import math

import pytest

from instruction_parser import (
    ActionExecutor,
    ExecState,
    ExecutorConfig,
    MotionConfig,
    ParserConfig,
    load_executor_config,
    to_velocity_command,
)
from instruction_parser.actions import ActionKind, MidLevelAction
from instruction_parser.config import executor_config_from_params

RATE = 50.0
DT = 1.0 / RATE


def run(ex: ActionExecutor, t0: float, t1: float) -> list[tuple[float, tuple, list[str]]]:
    """Tick from t0 to t1 (inclusive) at RATE; return (time, twist, event kinds) per tick."""
    out = []
    n = round((t1 - t0) * RATE)
    for i in range(n + 1):
        t = t0 + i * DT
        r = ex.tick(t)
        out.append((t, r.twist, [e.kind for e in r.events]))
    return out


def moving_time(trace: list[tuple[float, tuple, list[str]]]) -> float:
    moving = [t for t, tw, _ in trace if any(v != 0.0 for v in tw)]
    return (moving[-1] - moving[0] + DT) if moving else 0.0


def test_navila_velocity_mapping() -> None:
    m = MotionConfig()
    fwd = to_velocity_command(MidLevelAction(ActionKind.FORWARD, 0.75), m)
    assert (fwd.vx, fwd.vy, fwd.wz) == (0.5, 0.0, 0.0) and fwd.duration == pytest.approx(1.5)
    left = to_velocity_command(MidLevelAction(ActionKind.TURN_LEFT, math.radians(45)), m)
    assert left.wz == pytest.approx(math.pi / 6) and left.duration == pytest.approx(1.5)
    right = to_velocity_command(MidLevelAction(ActionKind.TURN_RIGHT, math.radians(30)), m)
    assert right.wz == pytest.approx(-math.pi / 6) and right.duration == pytest.approx(1.0)
    stop = to_velocity_command(MidLevelAction(ActionKind.STOP), m)
    assert (stop.vx, stop.vy, stop.wz, stop.duration, stop.ends_episode) == (0, 0, 0, 0, True)
    back = to_velocity_command(MidLevelAction(ActionKind.BACKWARD, 0.3), m)
    assert back.vx == -m.backward_speed and back.duration == pytest.approx(1.0)
    side = to_velocity_command(MidLevelAction(ActionKind.RIGHT, 0.3), m)
    assert side.vy == -m.lateral_speed
    fast = to_velocity_command(MidLevelAction(ActionKind.FORWARD, 1.0, speed_scale=3.0), m)
    assert fast.vx == m.max_linear_speed
    assert fast.duration == pytest.approx(1.0 / m.max_linear_speed)


def test_action_streams_for_its_duration_then_zero() -> None:
    ex = ActionExecutor()
    res = ex.submit("The next action is move forward 75 cm.", now=10.0)
    assert res.ok and res.commands[0].duration == pytest.approx(1.5)
    trace = run(ex, 10.0, 12.0)
    assert trace[0][1] == (0.5, 0.0, 0.0)
    assert moving_time(trace) == pytest.approx(1.5, abs=DT)
    done = [t for t, _, ev in trace if "action_done" in ev]
    assert done == [pytest.approx(11.5)]
    assert ex.state is ExecState.IDLE
    assert trace[-1][1] == (0.0, 0.0, 0.0)


def test_multi_action_plan_runs_in_order() -> None:
    ex = ActionExecutor()
    ex.submit("turn left 30 degrees, then move forward 1 m", now=0.0)
    trace = run(ex, 0.0, 4.0)
    turning = [t for t, tw, _ in trace if tw[2] > 0]
    forward = [t for t, tw, _ in trace if tw[0] > 0]
    assert turning[0] == 0.0 and turning[-1] == pytest.approx(1.0 - DT)
    assert forward[0] == pytest.approx(1.0) and forward[-1] == pytest.approx(3.0 - DT)
    steps = [ev for _, _, evs in trace for ev in evs if ev in ("step_done", "action_done")]
    assert steps == ["step_done", "step_done", "action_done"]


def test_new_text_preempts_running_action() -> None:
    ex = ActionExecutor()
    ex.submit("move forward 3 m", now=0.0)
    run(ex, 0.0, 1.0)
    ex.submit("turn right 15 degrees", now=1.01)
    r = ex.tick(1.01)
    assert [e.kind for e in r.events] == ["preempted", "action_started"]
    assert r.twist[0] == 0.0 and r.twist[2] < 0
    trace = run(ex, 1.02, 2.0)
    assert all(tw[0] == 0.0 for _, tw, _ in trace)


def test_stop_zeroes_and_ends_episode() -> None:
    ex = ActionExecutor()
    ex.submit("move forward 3 m", now=0.0)
    ex.tick(0.5)
    ex.submit("The next action is stop.", now=0.5)
    r = ex.tick(0.5)
    assert r.twist == (0.0, 0.0, 0.0) and r.publish
    assert "episode_end" in [e.kind for e in r.events]
    assert "action_done" not in [e.kind for e in r.events]  # the planner must not replan
    assert ex.state is ExecState.STOPPED
    assert ex.episode == 1


def test_garbage_stops_the_robot_with_a_reason() -> None:
    ex = ActionExecutor()
    ex.submit("move forward 3 m", now=0.0)
    ex.tick(0.2)
    res = ex.submit("I think I should maybe go somewhere", now=0.3)
    assert not res.ok and res.error["code"] == "missing_direction"
    r = ex.tick(0.3)
    assert r.twist == (0.0, 0.0, 0.0) and r.publish
    assert ex.state is ExecState.ERROR and ex.last_error == res.error
    # a valid action afterwards runs again and clears the error
    assert ex.submit("turn left 15 degrees", now=1.0).ok
    assert ex.tick(1.0).twist[2] > 0 and ex.last_error is None


def test_estop_zeroes_at_once_and_refuses_until_released() -> None:
    ex = ActionExecutor()
    ex.submit("move forward 3 m", now=0.0)
    ex.tick(0.1)
    ex.set_estop(True, now=0.2)
    r = ex.tick(0.2)
    assert r.twist == (0.0, 0.0, 0.0) and r.publish
    assert [e.kind for e in r.events] == ["preempted", "estop"]
    res = ex.submit("move forward 1 m", now=0.3)
    assert not res.ok and res.error["code"] == "estop"
    assert all(tw == (0.0, 0.0, 0.0) for _, tw, _ in run(ex, 0.3, 1.0))
    ex.set_estop(False, now=1.0)
    assert ex.state is ExecState.IDLE
    assert ex.submit("move forward 1 m", now=1.1).ok
    assert ex.tick(1.1).twist[0] == 0.5


def test_cancel_by_new_instruction() -> None:
    ex = ActionExecutor()
    ex.submit("move forward 3 m", now=0.0)
    ex.tick(0.1)
    ex.cancel(now=0.2, reason="new instruction")
    r = ex.tick(0.2)
    assert r.twist == (0.0, 0.0, 0.0) and r.publish
    assert [e.kind for e in r.events] == ["cancelled"]
    assert ex.state is ExecState.IDLE and ex.episode == 1


def test_idle_publishes_zero_at_idle_rate() -> None:
    ex = ActionExecutor(ExecutorConfig(idle_rate_hz=10.0))
    published = [i * DT for i in range(101) if ex.tick(i * DT).publish]
    assert published[0] == 0.0
    gaps = {round(b - a, 6) for a, b in itertools.pairwise(published)}
    assert gaps == {0.1}


def test_idle_rate_zero_publishes_one_zero_per_stop() -> None:
    ex = ActionExecutor(ExecutorConfig(idle_rate_hz=0.0))
    assert ex.tick(0.0).publish
    assert not any(ex.tick(i * DT).publish for i in range(1, 50))
    ex.submit("move forward 10 cm", now=1.0)
    pubs = [ex.tick(1.0 + i * DT) for i in range(0, 50)]
    moving = [p for p in pubs if p.publish and p.twist[0] > 0]
    zeros = [p for p in pubs if p.publish and p.twist == (0.0, 0.0, 0.0)]
    assert len(moving) == 10 and len(zeros) == 1


def test_status_reports_current_action() -> None:
    ex = ActionExecutor()
    ex.submit("turn left 90 degrees", now=0.0)
    ex.tick(0.0)
    st = ex.status(0.5)
    assert st["state"] == "executing" and st["seq"] == 1
    assert st["current"]["action"]["kind"] == "turn_left"
    assert st["remaining_s"] == pytest.approx(3.0 - 0.5)


def test_config_from_yaml_files(tmp_path) -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    for robot in ("go2", "h1", "t1"):
        cfg = load_executor_config(str(root / "config" / f"{robot}.yaml"))
        assert cfg.motion.forward_speed == 0.5
        assert cfg.motion.turn_rate == pytest.approx(math.pi / 6)
        assert "stop" in cfg.parser.allowed_actions
    bad = tmp_path / "bad.yaml"
    bad.write_text("navila_executor:\n  ros__parameters:\n    motion:\n      forward_speed: -1.0\n")
    with pytest.raises(ValueError, match="forward_speed"):
        load_executor_config(str(bad))
    with pytest.raises(ValueError, match="unknown"):
        executor_config_from_params({"parser.no_such_option": 1})
    assert executor_config_from_params({"parser.snap": True}).parser == ParserConfig(snap=True)
