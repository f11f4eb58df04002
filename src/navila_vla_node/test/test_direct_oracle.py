"""Direct backend (instruction = actions) and the oracle follower (pose + reference path)."""

from __future__ import annotations

import math

import pytest

from instruction_parser import parse_actions
from navila_vla_node.backends.direct import DirectBackend
from navila_vla_node.backends.oracle import (
    OracleBackend,
    OracleConfig,
    load_reference_path,
    oracle_text,
    path_from_flat,
)
from navila_vla_node.types import PlanRequest, Pose2D


def req(text: str, episode: int = 1, pose: Pose2D | None = None) -> PlanRequest:
    return PlanRequest(text, (), episode, 1, pose)


def test_direct_stepwise_then_stop() -> None:
    b = DirectBackend("stepwise")
    outs = [b.plan(req("move forward 2 m, then turn left 90 degrees")) for _ in range(4)]
    assert [o.text for o in outs] == [
        "The next action is move forward 2 m.",
        "The next action is turn left 90 degrees.",
        "The next action is stop.",
        "The next action is stop.",
    ]
    assert [o.episode_done for o in outs] == [False, False, True, True]
    for o in outs:  # everything it says, the executor's parser accepts
        assert parse_actions(o.text)
    # the same words as a new episode start over
    assert b.plan(req("move forward 2 m, then turn left 90 degrees", 2)).text.endswith("2 m.")


def test_direct_whole_and_explicit_stop() -> None:
    b = DirectBackend("whole")
    r = b.plan(req("walk forward half a meter and turn right 45 degrees"))
    assert r.text == "move forward 50 cm, then turn right 45 degrees" and not r.episode_done
    assert b.plan(req("walk forward half a meter and turn right 45 degrees")).text.endswith("stop.")
    r = DirectBackend("stepwise").plan(req("stop"))
    assert r.text == "The next action is stop." and r.episode_done


def test_direct_refuses_non_action_instruction() -> None:
    r = DirectBackend().plan(req("go find the red chair"))
    assert not r.ok and "not a mid-level action" in r.error
    with pytest.raises(ValueError):
        DirectBackend("sometimes")


STRAIGHT = [(0.0, 0.0), (3.0, 0.0)]


def test_oracle_forward_merged_to_75cm() -> None:
    assert oracle_text(Pose2D(0, 0, 0), STRAIGHT) == "The next action is move forward 75 cm."
    # close to the goal fewer steps merge; within the goal radius it stops
    assert oracle_text(Pose2D(2.5, 0, 0), STRAIGHT) == "The next action is move forward 25 cm."
    assert oracle_text(Pose2D(2.8, 0, 0), STRAIGHT) == "The next action is stop."


def test_oracle_turns_in_15_degree_steps_up_to_45() -> None:
    # facing +y, the path goes +x: a right turn of 90 degrees, given as 45 (merge limit)
    assert (
        oracle_text(Pose2D(0, 0, math.pi / 2), STRAIGHT)
        == "The next action is turn right 45 degrees."
    )
    assert (
        oracle_text(Pose2D(0, 0, math.radians(-30)), STRAIGHT)
        == "The next action is turn left 30 degrees."
    )
    # within half a step (7.5 degrees) it goes straight
    assert oracle_text(Pose2D(0, 0, math.radians(5)), STRAIGHT).startswith(
        "The next action is move"
    )


def test_oracle_rollout_reaches_goal_of_an_l_path() -> None:
    path = [(0.0, 0.0), (2.0, 0.0), (2.0, 2.0)]
    pose = Pose2D(0.0, 0.0, 0.0)
    for _ in range(60):
        text = oracle_text(pose, path)
        acts = parse_actions(text)
        a = acts[0]
        if a.kind.value == "stop":
            break
        if a.kind.value == "forward":
            pose = Pose2D(
                pose.x + a.amount * math.cos(pose.yaw),
                pose.y + a.amount * math.sin(pose.yaw),
                pose.yaw,
            )
        else:
            sign = 1.0 if a.kind.value == "turn_left" else -1.0
            pose = Pose2D(pose.x, pose.y, pose.yaw + sign * a.amount)
        assert (
            a.amount <= 0.75 + 1e-9
            if a.kind.value == "forward"
            else a.amount <= math.radians(45) + 1e-9
        )
    else:
        pytest.fail("oracle never stopped")
    assert math.hypot(pose.x - 2.0, pose.y - 2.0) <= OracleConfig().goal_radius_m


def test_oracle_is_pure_and_validates() -> None:
    assert oracle_text(Pose2D(0.3, 0.1, 0.2), STRAIGHT) == oracle_text(
        Pose2D(0.3, 0.1, 0.2), STRAIGHT
    )
    with pytest.raises(ValueError):
        oracle_text(Pose2D(0, 0, 0), [])
    with pytest.raises(ValueError):
        oracle_text(Pose2D(float("nan"), 0, 0), STRAIGHT)
    b = OracleBackend(STRAIGHT)
    assert not b.plan(req("x")).ok  # no pose yet
    r = b.plan(req("x", pose=Pose2D(2.9, 0, 0)))
    assert r.ok and r.episode_done


def test_reference_path_sources(tmp_path) -> None:
    assert path_from_flat([0, 0, 1, 2]) == [(0.0, 0.0), (1.0, 2.0)]
    with pytest.raises(ValueError):
        path_from_flat([0, 0, 1])
    f = tmp_path / "ep.json"
    f.write_text('{"episode_id": 3, "reference_path": [[0, 0, 0], [1, 0, 0]]}')
    assert load_reference_path(str(f)) == [(0.0, 0.0), (1.0, 0.0)]
    y = tmp_path / "ep.yaml"
    y.write_text("reference_path:\n  - [0, 0]\n  - [0, 2]\n")
    assert load_reference_path(str(y)) == [(0.0, 0.0), (0.0, 2.0)]
