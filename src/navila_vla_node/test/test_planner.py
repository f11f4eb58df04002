"""The planner state machine: when it plans, what it publishes, and every stop path."""

from __future__ import annotations

import numpy as np
import pytest

from navila_vla_node.config import PlannerConfig
from navila_vla_node.planner import BackendInfo, PlannerCore, PlannerState
from navila_vla_node.types import Latency, PlanResult

NAVILA = BackendInfo("navila", True, False, 8)
IMG = np.zeros((8, 8, 3), dtype=np.uint8)


def core(**cfg: object) -> PlannerCore:
    c = PlannerCore(PlannerConfig(**cfg))
    c.set_backend_ready(NAVILA)
    return c


def ok(text: str) -> PlanResult:
    return PlanResult(text, True, None, Latency(total=0.1))


class FakeExecutor:
    """Numbers every text it receives, like the real executor, and reports events with that seq."""

    def __init__(self) -> None:
        self.seq = 0

    def receive(self, c: PlannerCore, outs: list, ok: bool = True) -> int:
        for _ in outs:
            self.seq += 1
            ev = "action_started" if ok else "rejected"
            c.on_executor_status(self.status(ev, self.seq), 0.0)
        return self.seq

    @staticmethod
    def status(event: str, seq: int, **extra: object) -> dict:
        return {"node": "navila_executor", "state": "idle", "seq": seq, "event": event, **extra}


EX = FakeExecutor.status


def test_waits_for_image_then_plans_and_replans_on_action_done() -> None:
    c = core()
    assert c.on_instruction("go to the kitchen", 0.0) == []
    req, outs = c.poll(0.1)
    assert req is None and outs == [] and c.status(0.1)["message"] == "waiting for camera image"
    c.on_image(IMG, 0.2)
    req, _ = c.poll(0.3)
    assert req is not None and len(req.frames) == 8 and req.frames[-1].frame_id == 1
    assert c.poll(0.4) == (None, [])  # one request at a time
    outs = c.on_plan_done(req, ok("The next action is move forward 75 cm."), 1.0)
    assert [o.text for o in outs] == ["The next action is move forward 75 cm."]
    assert c.state is PlannerState.EXECUTING and c.status(1.0)["latency"]["total"] == 0.1
    ex = FakeExecutor()
    seq = ex.receive(c, outs)
    assert c.poll(2.0) == (None, [])  # waits for the executor
    c.on_executor_status({"node": "navila_vla", "event": "action_done", "seq": seq}, 2.1)
    assert c.poll(2.2) == (None, [])  # our own status is not the executor's
    c.on_executor_status(EX("action_done", seq), 2.5)
    req2, _ = c.poll(2.6)
    assert req2 is not None and req2.step == 2
    outs = c.on_plan_done(req2, ok("The next action is stop."), 3.0)
    assert outs[0].kind == "plan" and c.state is PlannerState.DONE
    seq = ex.receive(c, outs)
    c.on_executor_status(EX("action_done", seq), 3.5)
    assert c.poll(4.0) == (None, [])


def test_nonsense_becomes_stop_with_reason() -> None:
    c = core()
    c.on_image(IMG, 0.0)
    c.on_instruction("go", 0.0)
    req, _ = c.poll(0.1)
    outs = c.on_plan_done(req, ok("I can see a lovely kitchen over there"), 0.5)
    assert [(o.text, o.kind) for o in outs] == [("stop", "stop")]
    assert "not an action" in outs[0].reason and c.state is PlannerState.DONE


def test_backend_error_and_timeout_are_stops() -> None:
    c = core(plan_timeout_s=5.0)
    c.on_image(IMG, 0.0)
    c.on_instruction("go", 0.0)
    req, _ = c.poll(0.1)
    outs = c.on_plan_done(req, PlanResult("", False, "HTTP 500"), 1.0)
    assert outs[0].text == "stop" and "HTTP 500" in outs[0].reason
    c.on_instruction("go again", 2.0)
    req, _ = c.poll(2.1)
    assert req is not None
    _, outs = c.poll(7.2)
    assert outs[0].text == "stop" and "timed out" in outs[0].reason
    assert c.on_plan_done(req, ok("The next action is move forward 1 m."), 9.0) == []  # too late


def test_load_failure_answers_every_instruction_with_stop() -> None:
    c = PlannerCore(PlannerConfig())
    assert c.state is PlannerState.LOADING
    c.on_instruction("go", 0.0)  # arrives while loading
    outs = c.set_backend_error("FileNotFoundError: no config.json")
    assert outs[0].text == "stop" and c.state is PlannerState.ERROR
    outs = c.on_instruction("go there", 1.0)
    assert outs[0].text == "stop" and "no config.json" in outs[0].reason
    assert c.poll(2.0) == (None, [])
    assert c.status(2.0)["message"] == "FileNotFoundError: no config.json"


def test_instruction_while_loading_plans_once_ready() -> None:
    c = PlannerCore(PlannerConfig())
    c.on_image(IMG, 0.0)
    c.on_instruction("go", 0.0)
    assert c.poll(0.1) == (None, [])
    c.set_backend_ready(NAVILA)
    assert c.poll(0.2)[0] is not None


def test_cancel_and_new_instruction_drop_late_results() -> None:
    c = core()
    c.on_image(IMG, 0.0)
    c.on_instruction("go", 0.0)
    req, _ = c.poll(0.1)
    assert c.on_instruction("", 0.2) == [] and c.state is PlannerState.IDLE
    assert c.on_plan_done(req, ok("The next action is move forward 75 cm."), 0.5) == []
    assert c.poll(1.0) == (None, [])
    c.on_instruction("go somewhere else", 1.0)
    req2, _ = c.poll(1.1)
    assert req2.episode == req.episode + 2 and req2.step == 1
    assert c.history.stats().frames == 1  # history restarted from the current image


def test_rate_mode_replans_without_executor() -> None:
    c = core(replan_mode="rate", replan_rate_hz=2.0)
    c.on_image(IMG, 0.0)
    c.on_instruction("go", 0.0)
    req, _ = c.poll(0.0)
    c.on_plan_done(req, ok("turn left 15 degrees"), 0.1)
    assert c.poll(0.3) == (None, [])
    req2, _ = c.poll(0.5)
    assert req2 is not None and req2.step == 2
    assert c.poll(0.6, worker_idle=True) == (None, [])


def test_executor_refusals_retry_then_stop() -> None:
    c = core(max_consecutive_failures=2)
    c.on_image(IMG, 0.0)
    c.on_instruction("go", 0.0)
    req, _ = c.poll(0.1)
    c.on_plan_done(req, ok("move backward 1 m"), 0.2)
    refused = {"reason": "not allowed"}
    assert c.on_executor_status(EX("rejected", 1, error=refused), 0.3) == []
    req, _ = c.poll(0.4)
    c.on_plan_done(req, ok("move backward 1 m"), 0.5)
    outs = c.on_executor_status(EX("rejected", 2, error=refused), 0.6)
    assert outs[0].text == "stop" and "2 failures" in outs[0].reason


def test_estop_pauses_and_release_replans() -> None:
    c = core()
    c.on_image(IMG, 0.0)
    c.on_instruction("go", 0.0)
    req, _ = c.poll(0.1)
    c.on_plan_done(req, ok("move forward 1 m"), 0.2)
    c.on_executor_status(EX("estop", 1, state="estopped"), 0.3)
    assert c.state is PlannerState.PAUSED and c.poll(1.0) == (None, [])
    c.on_executor_status(EX("estop_released", 1), 2.0)
    assert c.poll(2.1)[0] is not None


def test_episode_end_from_executor_ends_planning() -> None:
    c = core()
    c.on_image(IMG, 0.0)
    c.on_instruction("go", 0.0)
    req, _ = c.poll(0.1)
    outs = c.on_plan_done(req, ok("move forward 1 m"), 0.2)
    seq = FakeExecutor().receive(c, outs)
    c.on_executor_status(EX("episode_end", seq), 0.3)
    assert c.state is PlannerState.DONE


def test_stale_executor_events_of_the_previous_episode_are_ignored() -> None:
    """The previous episode's stop ends in the executor after a new instruction has arrived:
    its episode_end must not end the new episode (topics are not ordered with each other)."""
    c = core()
    ex = FakeExecutor()
    c.on_image(IMG, 0.0)
    c.on_instruction("go", 0.0)
    req, _ = c.poll(0.1)
    old = c.on_plan_done(req, ok("The next action is stop."), 0.2)
    assert c.state is PlannerState.DONE
    c.on_instruction("now go back", 1.0)  # arrives before the executor's events about `old`
    req2, _ = c.poll(1.1)
    new = c.on_plan_done(req2, ok("turn left 30 degrees"), 1.2)
    old_seq = ex.receive(c, old)  # late: action_started 1 for the old stop ...
    new_seq = ex.receive(c, new)
    c.on_executor_status(EX("episode_end", old_seq), 1.3)  # ... and its episode_end
    assert c.state is PlannerState.EXECUTING, "stale episode_end ended the new episode"
    c.on_executor_status(EX("action_done", old_seq), 1.4)
    assert c.poll(1.5) == (None, [])
    c.on_executor_status(EX("action_done", new_seq), 1.6)
    assert c.poll(1.7)[0] is not None


def test_late_episode_end_before_the_new_first_plan_is_ignored() -> None:
    """The old episode's stop is acknowledged and ended by the executor after the new instruction
    arrived but before the new episode's first plan: the new episode must still plan."""
    c = core()
    ex = FakeExecutor()
    c.on_image(IMG, 0.0)
    c.on_instruction("go", 0.0)
    req, _ = c.poll(0.1)
    old = c.on_plan_done(req, ok("The next action is stop."), 0.2)
    old_seq = ex.receive(c, old)  # action_started arrives in time ...
    c.on_instruction("now go back", 1.0)
    c.on_executor_status(EX("episode_end", old_seq), 1.05)  # ... its episode_end late
    c.on_executor_status(EX("action_done", old_seq), 1.06)
    assert c.state is PlannerState.WAITING_INPUT, "late episode_end ended the new episode"
    req2, _ = c.poll(1.1)
    assert req2 is not None and req2.instruction == "now go back"


def test_answer_cancelled_by_its_own_late_instruction_is_resent() -> None:
    """The direct planner answers in 0 ms; the executor can get that answer before the
    instruction (two topics, no order) and cancel it on the instruction: seen in CI, the robot
    stood and the planner waited forever for action_done. The answer is sent again, once."""
    c = core()
    ex = FakeExecutor()
    c.on_image(IMG, 0.0)
    c.on_instruction("move forward 1 m, then stop", 3.5)
    req, _ = c.poll(3.6)
    outs = c.on_plan_done(req, ok("The next action is move forward 1 m."), 3.6)
    seq = ex.receive(c, outs)
    c.on_executor_status(EX("action_started", seq, time=3.6), 3.6)  # its time, as the executor's
    again = c.on_executor_status(EX("cancelled", seq, time=3.6, reason="new instruction"), 3.61)
    assert [o.text for o in again] == ["The next action is move forward 1 m."]
    assert again[0].reason.startswith("resent") and c.state is PlannerState.EXECUTING
    seq2 = ex.receive(c, again)
    c.on_executor_status(EX("action_started", seq2, time=3.62), 3.62)
    c.on_executor_status(EX("action_done", seq2, time=5.62), 5.62)  # the resent one counts
    req2, _ = c.poll(5.7)
    assert req2 is not None and req2.step == 2

    # an operator's newer instruction that reaches the executor first cancels later: not resent
    outs = c.on_plan_done(req2, ok("The next action is move forward 50 cm."), 5.8)
    seq3 = ex.receive(c, outs)
    c.on_executor_status(EX("action_started", seq3, time=5.8), 5.8)
    late = EX("cancelled", seq3, time=6.5, reason="new instruction")
    assert c.on_executor_status(late, 6.5) == []
    # nor one about an output we no longer hold, nor one an empty instruction caused
    c.on_instruction("go back", 6.6)
    assert (
        c.on_executor_status(EX("cancelled", seq3, time=5.9, reason="new instruction"), 6.6) == []
    )
    req3, _ = c.poll(6.7)
    outs = c.on_plan_done(req3, ok("turn left 30 degrees"), 6.7)
    seq4 = ex.receive(c, outs)
    c.on_executor_status(EX("action_started", seq4, time=6.7), 6.7)
    empty = EX("cancelled", seq4, time=6.7, reason="empty instruction")
    assert c.on_executor_status(empty, 6.7) == []


def test_pose_backend_waits_for_pose_and_stale_images() -> None:
    c = PlannerCore(PlannerConfig(backend="oracle", reference_path=[0.0, 0.0, 1.0, 0.0]))
    c.set_backend_ready(BackendInfo("oracle", False, True, 0))
    c.on_instruction("go", 0.0)
    assert c.poll(0.1) == (None, []) and c.status(0.1)["message"] == "waiting for pose (/odom)"
    from navila_vla_node.types import Pose2D

    c.on_pose(Pose2D(0, 0, 0), 0.2)
    req, _ = c.poll(0.3)
    assert req is not None and req.frames == () and req.pose == Pose2D(0, 0, 0)
    s = core(image_stale_s=1.0)
    s.on_image(IMG, 0.0)
    s.on_instruction("go", 0.0)
    assert (
        s.poll(5.0) == (None, []) and s.status(5.0)["message"] == "waiting for fresh camera image"
    )


def test_config_validation() -> None:
    with pytest.raises(ValueError):
        PlannerConfig(backend="gpt5")
    with pytest.raises(ValueError, match="model_path"):
        PlannerConfig(backend="navila")
    with pytest.raises(ValueError):
        PlannerConfig(backend="oracle")
    with pytest.raises(ValueError):
        PlannerConfig.from_params({"nonsense": 1})
