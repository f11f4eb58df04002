"""The planner's state machine: when to plan, what to publish, what to say in status.

Pure logic with time passed in (no rclpy, no threads, no torch): the node feeds it messages and
timer ticks, runs the `PlanRequest`s it hands out on a worker thread, and publishes the `Output`s
it returns. Every path that is not "a valid plan from the backend" publishes a stop with a reason:
backend failed to load, planning error or timeout, text the action grammar refuses, repeated
refusals by the executor. Missing inputs (no camera image, no pose) only wait, and say so.

Episode flow: an instruction starts an episode (frame history reset) and asks for a plan. In
`action_done` mode the next plan is asked when the executor reports `action_done`; in `rate` mode
at a fixed rate. A plan whose text is (or ends with) stop, or the executor's `episode_end`, ends
the episode. An empty instruction cancels without publishing (the executor cancels on its own).
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from enum import StrEnum

from instruction_parser import ActionKind, ParseError, ParserConfig, parse_actions
from navila_vla_node.config import PlannerConfig
from navila_vla_node.frames import FrameHistory
from navila_vla_node.types import Frame, PlanRequest, PlanResult, Pose2D

STOP_TEXT = "stop"
EXECUTOR_NODE = "navila_executor"
# The executor cancels what it runs when an instruction arrives, and the instruction and our
# answer to it reach it on two topics with no order between them: with a planner that answers
# at once (direct), the answer can get there first and be cancelled by its own instruction. A
# cancel this soon (executor clock) after our latest output started is taken for that.
REORDER_WINDOW_S = 0.2


class PlannerState(StrEnum):
    LOADING = "loading"  # backend being built (model loading)
    IDLE = "idle"  # no instruction
    WAITING_INPUT = "waiting_input"  # instruction, but no camera image / pose yet
    PLANNING = "planning"  # a request is out on the worker
    EXECUTING = "executing"  # output published, waiting for the executor / next rate tick
    PAUSED = "paused"  # executor e-stopped
    DONE = "done"  # episode over (stop published or executor episode_end)
    ERROR = "error"  # backend unusable: every instruction gets a stop with the reason


@dataclass(frozen=True)
class Output:
    """Text to publish on the planner output topic, and why."""

    text: str
    kind: str  # "plan" | "stop"
    reason: str = ""


@dataclass
class BackendInfo:
    name: str
    needs_images: bool
    needs_pose: bool
    num_frames: int


@dataclass
class _Pending:
    request: PlanRequest
    started: float


@dataclass
class PlannerCore:
    cfg: PlannerConfig
    parser: ParserConfig = field(default_factory=ParserConfig)
    state: PlannerState = PlannerState.LOADING
    backend: BackendInfo | None = None
    backend_error: str | None = None
    instruction: str = ""
    episode: int = 0
    step: int = 0
    last_error: str | None = None
    last_output: str | None = None
    last_latency: dict | None = None
    last_result: dict | None = None
    plans: int = 0
    failures: int = 0  # consecutive
    waiting_for: str | None = None

    def __post_init__(self) -> None:
        self.history = FrameHistory(self.cfg.frame_interval_s, self.cfg.max_history_frames)
        self.pose: Pose2D | None = None
        self._image_time: float | None = None
        self._want_plan = False
        self._pending: _Pending | None = None
        self._last_plan_start: float | None = None
        self._next_frame_id = 0
        # Which executor seq belongs to which of our outputs. The executor numbers every text it
        # receives and answers each with exactly one `action_started` or `rejected` (in order);
        # its later `action_done`/`episode_end` carry that seq. Events about an older output
        # (e.g. the previous episode's stop, arriving after a new instruction) are then ignored.
        self._awaiting: deque[tuple[int, int]] = deque(maxlen=64)
        self._seq_owner: dict[int, tuple[int, int]] = {}
        self._last_mapped = -1
        self._current_out: tuple[int, int] | None = None
        self._last_out: Output | None = None
        self._current_started: float | None = None  # executor time its action_started said

    # ------------------------------------------------------------------ backend lifecycle
    def set_backend_ready(self, info: BackendInfo) -> list[Output]:
        self.backend = info
        self.backend_error = None
        if self.state is PlannerState.LOADING:
            self.state = PlannerState.WAITING_INPUT if self.instruction else PlannerState.IDLE
        return []

    def set_backend_error(self, message: str) -> list[Output]:
        """Loading failed: the node stays up, reports the error, and answers every instruction
        with a stop (the robot stays still)."""
        self.backend = None
        self.backend_error = message
        self.last_error = message
        self.state = PlannerState.ERROR
        self._want_plan = False
        if self.instruction:
            return [self._stop(f"planner backend unavailable: {message}")]
        return []

    # ------------------------------------------------------------------ inputs
    def new_frame_id(self) -> int:
        self._next_frame_id += 1
        return self._next_frame_id

    def on_image(self, rgb, now: float) -> Frame:
        frame = Frame(self.new_frame_id(), now, rgb)
        self.history.observe(frame, now)
        self._image_time = now
        return frame

    def on_pose(self, pose: Pose2D, now: float) -> None:
        self.pose = pose

    def on_instruction(self, text: str, now: float) -> list[Output]:
        text = text.strip()
        self.episode += 1
        self.step = 0
        self.failures = 0
        self._pending = None  # a late result of the old episode is dropped
        self._last_plan_start = None
        self.history.reset(keep_latest=True)
        self.instruction = text
        # Events still to come about the old episode's outputs are stale from now on: without
        # this, a late episode_end of the old final stop would end the new episode before its
        # first plan (it would still be "about our latest output").
        self._current_out = None
        if not text:
            self._want_plan = False
            if self.state is not PlannerState.ERROR and self.state is not PlannerState.LOADING:
                self.state = PlannerState.IDLE
            return []
        if self.state is PlannerState.ERROR:
            return [self._stop(f"planner backend unavailable: {self.backend_error}")]
        self.last_error = None
        self._want_plan = True
        if self.state is not PlannerState.LOADING:
            self.state = PlannerState.WAITING_INPUT
        return []

    def on_executor_status(self, status: dict, now: float) -> list[Output]:
        """React to the executor's events (its JSON status on the shared status topic)."""
        if status.get("node") != EXECUTOR_NODE:
            return []
        event = status.get("event")
        seq = status.get("seq")
        if not isinstance(seq, int) or isinstance(seq, bool):
            seq = None
        new_seq = seq is not None and seq > self._last_mapped
        if event in ("action_started", "rejected") and new_seq and self._awaiting:
            self._seq_owner[seq] = self._awaiting.popleft()
            self._last_mapped = seq
            for old in [k for k in self._seq_owner if k < seq - 64]:
                del self._seq_owner[old]
        mine = (
            seq is not None
            and self._current_out is not None
            and self._seq_owner.get(seq) == self._current_out
        )
        if not self.instruction or self.state in (PlannerState.ERROR, PlannerState.LOADING):
            return []
        if event in ("episode_end", "action_done", "rejected") and not mine:
            return []  # about an output that is not our latest one: stale
        if event == "action_started" and mine:
            self._current_started = _number(status.get("time"))
        if event == "cancelled" and mine and self._cancelled_by_its_own_instruction(status):
            return [self._resend()]
        if event == "episode_end" and self.state is not PlannerState.PLANNING:
            self._finish()
        elif event in ("estop",) or status.get("state") == "estopped":
            if self.state is not PlannerState.DONE:
                self.state = PlannerState.PAUSED
                self._want_plan = False
        elif event == "estop_released":
            if self.state is PlannerState.PAUSED:
                self.state = PlannerState.WAITING_INPUT
                self._want_plan = True
        elif event == "action_done" and self.state is PlannerState.EXECUTING:
            self.failures = 0
            self._want_plan = self.cfg.replan_mode == "action_done" or self._want_plan
            self.state = PlannerState.WAITING_INPUT
        elif event == "rejected" and self.state is PlannerState.EXECUTING:
            err = status.get("error") or {}
            reason = err.get("reason", "refused") if isinstance(err, dict) else str(err)
            return self._failure(f"executor refused the plan: {reason}")
        return []

    # ------------------------------------------------------------------ time
    def missing_input(self, now: float) -> str | None:
        if self.backend is None:
            return None
        if self.backend.needs_images:
            if self.history.latest is None:
                return "camera image"
            stale = self.cfg.image_stale_s
            if stale > 0 and self._image_time is not None and now - self._image_time > stale:
                return "fresh camera image"
        if self.backend.needs_pose and self.pose is None:
            return "pose (/odom)"
        return None

    def poll(self, now: float, worker_idle: bool = True) -> tuple[PlanRequest | None, list[Output]]:
        """Called by the node's timer: maybe a request to run, maybe a timeout stop."""
        outs: list[Output] = []
        if self._pending is not None and now - self._pending.started > self.cfg.plan_timeout_s:
            self._pending = None
            outs.append(self._stop(f"planning step timed out after {self.cfg.plan_timeout_s:g} s"))
            self._finish()
            return None, outs
        if self.backend is None or not self.instruction or self._pending is not None:
            return None, outs
        if self.state in (PlannerState.DONE, PlannerState.PAUSED, PlannerState.ERROR):
            return None, outs
        due = self._want_plan
        if self.cfg.replan_mode == "rate":
            period = 1.0 / self.cfg.replan_rate_hz
            last = self._last_plan_start
            due = due or last is None or now - last >= period - 1e-9
        if not due or not worker_idle:
            return None, outs
        missing = self.missing_input(now)
        self.waiting_for = missing
        if missing:
            self.state = PlannerState.WAITING_INPUT
            return None, outs
        n = self.backend.num_frames
        frames = tuple(self.history.sample(n)) if (self.backend.needs_images and n > 0) else ()
        self.step += 1
        req = PlanRequest(self.instruction, frames, self.episode, self.step, self.pose)
        self._pending = _Pending(req, now)
        self._want_plan = False
        self._last_plan_start = now
        self.state = PlannerState.PLANNING
        return req, outs

    def on_plan_done(self, request: PlanRequest, result: PlanResult, now: float) -> list[Output]:
        """The worker finished `request`. Stale results (other episode, timed out) are dropped."""
        if self._pending is None or self._pending.request is not request:
            return []
        self._pending = None
        self.last_latency = result.latency.to_dict()
        self.last_result = {
            "text": result.text,
            "ok": result.ok,
            "finish_reason": result.finish_reason,
            "error": result.error,
            "step": request.step,
        }
        if not result.ok:
            out = self._stop(f"planner error: {result.error}")
            self._finish()
            return [out]
        text = result.text.strip()
        try:
            actions = parse_actions(text, self.parser)
        except ParseError as exc:
            shown = text if len(text) <= 120 else text[:120] + "..."
            out = self._stop(f"model output is not an action ({exc.code.value}): {shown!r}")
            self._finish()
            return [out]
        self.plans += 1  # `failures` resets only when the executor completes an action
        self.last_output = text
        self.state = PlannerState.EXECUTING
        if any(a.kind is ActionKind.STOP for a in actions) or (
            result.episode_done and actions[-1].kind is ActionKind.STOP
        ):
            self._finish()
        elif self.cfg.replan_mode == "rate":
            self._want_plan = False
        return [self._record(Output(text, "plan"))]

    # ------------------------------------------------------------------ helpers
    def _failure(self, reason: str) -> list[Output]:
        self.failures += 1
        self.last_error = reason
        if self.failures >= self.cfg.max_consecutive_failures:
            out = self._stop(f"{reason} ({self.failures} failures in a row)")
            self._finish()
            return [out]
        self.state = PlannerState.WAITING_INPUT
        self._want_plan = True
        return []

    def _stop(self, reason: str) -> Output:
        self.last_error = reason
        self.last_output = STOP_TEXT
        return self._record(Output(STOP_TEXT, "stop", reason))

    def _record(self, out: Output) -> Output:
        """Every output goes to the executor: remember it to match the executor's events."""
        self._current_out = (self.episode, self.step)
        self._awaiting.append(self._current_out)
        self._last_out = out
        self._current_started = None
        return out

    def _cancelled_by_its_own_instruction(self, status: dict) -> bool:
        """Our latest output (an answer to the instruction we hold: a newer one would have
        cleared `_current_out`) was cancelled by an instruction within REORDER_WINDOW_S of
        starting, so the executor got our answer before the instruction it answers. A later
        cancel is an operator's new instruction that has not reached us yet: nothing is resent."""
        at = _number(status.get("time"))
        return (
            status.get("reason") == "new instruction"
            and self._last_out is not None
            and self._current_started is not None
            and at is not None
            and 0.0 <= at - self._current_started <= REORDER_WINDOW_S
        )

    def _resend(self) -> Output:
        """The same output again, owned by the same (episode, step): the executor numbers it anew
        and its events about the new seq count as ours."""
        assert self._last_out is not None and self._current_out is not None
        self._awaiting.append(self._current_out)
        self._current_started = None
        out = self._last_out
        return Output(
            out.text, out.kind, "resent: the executor cancelled it on its own instruction"
        )

    def _finish(self) -> None:
        self._want_plan = False
        self._pending = None
        if self.state is not PlannerState.ERROR:
            self.state = PlannerState.DONE

    @property
    def busy(self) -> bool:
        return self._pending is not None

    def status(self, now: float) -> dict:
        hist = self.history.stats()
        msg = None
        if self.state is PlannerState.WAITING_INPUT and self.waiting_for:
            msg = f"waiting for {self.waiting_for}"
        elif self.state is PlannerState.ERROR:
            msg = self.backend_error
        return {
            "state": self.state.value,
            "message": msg,
            "backend": self.backend.name if self.backend else None,
            "instruction": self.instruction,
            "episode": self.episode,
            "step": self.step,
            "plans": self.plans,
            "planning_for_s": (now - self._pending.started) if self._pending else 0.0,
            "last_output": self.last_output,
            "last_result": self.last_result,
            "latency": self.last_latency,
            "last_error": self.last_error,
            "history_frames": hist.frames,
            "history_thinned": hist.thinned,
            "has_image": self.history.latest is not None,
            "has_pose": self.pose is not None,
            "time": now,
            "wall_time": time.time(),
        }


def _number(value: object) -> float | None:
    """A JSON number (not a bool) as float, else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)
