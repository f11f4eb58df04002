"""The executor's state machine: planner text in, a velocity to stream at each tick out.

Pure logic with time passed in (seconds on whatever clock the caller trusts: steady time on a
robot, `/clock` in simulation), so every transition is unit-tested without ROS and without
sleeping. The ROS node only feeds it messages and timer ticks and publishes what it returns.

States: idle (nothing to do, zero velocity), executing (streaming a plan), stopped (the planner
said stop: the episode ended), estopped (zero, and every action refused until released), error
(the last text was refused: zero until a valid action arrives).

Every path that is not "executing a valid plan" yields zero velocity.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from instruction_parser.actions import MidLevelAction, ParseError, VelocityCommand
from instruction_parser.config import ExecutorConfig
from instruction_parser.grammar import parse_actions
from instruction_parser.mapping import to_velocity_commands

# Two instants closer than this are the same instant (floating-point noise on ns clocks).
TIME_EPS = 1e-6
ZERO = (0.0, 0.0, 0.0)


class ExecState(StrEnum):
    IDLE = "idle"
    EXECUTING = "executing"
    STOPPED = "stopped"
    ESTOPPED = "estopped"
    ERROR = "error"


@dataclass(frozen=True)
class ExecutorEvent:
    """Something the rest of the graph should hear about (published on /navila/status).

    kinds: action_started, step_done, action_done (the whole text's plan finished: the planner may
    replan), preempted, episode_end (stop), rejected (refused text), estop, estop_released,
    cancelled.
    """

    kind: str
    seq: int
    time: float
    detail: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"event": self.kind, "seq": self.seq, "time": self.time, **self.detail}


@dataclass(frozen=True)
class SubmitResult:
    """What became of one planner text (published on /navila/action as JSON)."""

    seq: int
    text: str
    ok: bool
    actions: tuple[MidLevelAction, ...] = ()
    commands: tuple[VelocityCommand, ...] = ()
    error: dict | None = None

    def to_dict(self) -> dict:
        return {
            "seq": self.seq,
            "text": self.text,
            "ok": self.ok,
            "actions": [a.to_dict() for a in self.actions],
            "commands": [c.to_dict() for c in self.commands],
            "total_duration": sum(c.duration for c in self.commands),
            "error": self.error,
        }


@dataclass(frozen=True)
class TickResult:
    twist: tuple[float, float, float]  # vx, vy, wz
    publish: bool
    events: tuple[ExecutorEvent, ...] = ()


class ActionExecutor:
    """Runs one plan (the actions of one planner text) at a time; a new text pre-empts."""

    def __init__(self, config: ExecutorConfig | None = None) -> None:
        self.config = config or ExecutorConfig()
        self.state = ExecState.IDLE
        self.seq = 0  # id of the last text received
        self.episode = 0
        self.estop_active = False
        self.last_error: dict | None = None
        self._plan: list[
            tuple[MidLevelAction, VelocityCommand, float, float]
        ] = []  # (a, c, t0, t1)
        self._plan_seq = 0
        self._step = 0
        self._pending: list[ExecutorEvent] = []
        self._zero_due = True  # publish a zero on the next tick (after any transition)
        self._last_zero_pub: float | None = None

    # ------------------------------------------------------------------ inputs
    def submit(self, text: str | bytes, now: float) -> SubmitResult:
        """A planner output arrives. Parses it and starts it, pre-empting what runs."""
        self.seq += 1
        seq = self.seq
        shown = text if isinstance(text, str) else bytes(text).decode("utf-8", errors="replace")
        shown = shown if len(shown) <= 200 else shown[:200] + f"... ({len(shown)} chars)"
        if self.estop_active:
            err = {
                "code": "estop",
                "reason": "e-stop is active; actions are refused until it is released",
            }
            self._emit("rejected", seq, now, error=err)
            return SubmitResult(seq, shown, False, error=err)
        try:
            actions = parse_actions(text, self.config.parser)
        except ParseError as exc:
            self._abort_plan(now, "preempted")
            self.last_error = exc.to_dict()
            self._set_state(ExecState.ERROR)
            self._emit("rejected", seq, now, error=self.last_error)
            return SubmitResult(seq, shown, False, error=self.last_error)
        commands = to_velocity_commands(actions, self.config.motion)
        self._abort_plan(now, "preempted")
        self.last_error = None
        t = now
        self._plan = []
        for a, c in zip(actions, commands, strict=True):
            self._plan.append((a, c, t, t + c.duration))
            t += c.duration
        self._plan_seq, self._step = seq, 0
        self._set_state(ExecState.EXECUTING)
        self._emit("action_started", seq, now, total_duration=t - now, n_steps=len(actions))
        return SubmitResult(seq, shown, True, tuple(actions), tuple(commands))

    def set_estop(self, active: bool, now: float) -> None:
        if active == self.estop_active:
            return
        self.estop_active = active
        if active:
            self._abort_plan(now, "preempted")
            self._set_state(ExecState.ESTOPPED)
            self._emit("estop", self.seq, now)
        else:
            self._set_state(ExecState.IDLE)
            self._emit("estop_released", self.seq, now)

    def cancel(self, now: float, reason: str = "cancelled") -> None:
        """A new instruction (or an empty one) ends whatever runs: zero, a new episode."""
        step = self._step if self.state is ExecState.EXECUTING and self._plan else None
        self._plan = []
        self._emit("cancelled", self._plan_seq, now, step=step, reason=reason)
        self.episode += 1
        if not self.estop_active:
            self._set_state(ExecState.IDLE)

    # ------------------------------------------------------------------ time
    def tick(self, now: float) -> TickResult:
        """The velocity to hold at `now`, whether to publish it, and what happened since last."""
        twist = ZERO
        if self.state is ExecState.EXECUTING:
            twist = self._advance(now)
        if self.state is ExecState.EXECUTING:
            publish = True
        else:
            publish = self._zero_due or (
                self.config.idle_rate_hz > 0
                and self._last_zero_pub is not None
                and now - self._last_zero_pub >= 1.0 / self.config.idle_rate_hz - TIME_EPS
            )
            if publish:
                self._zero_due = False
                self._last_zero_pub = now
        events, self._pending = tuple(self._pending), []
        return TickResult(twist, publish, events)

    def _advance(self, now: float) -> tuple[float, float, float]:
        while self._step < len(self._plan):
            action, cmd, _t0, t1 = self._plan[self._step]
            if cmd.ends_episode:
                self._plan = []
                self.episode += 1
                self._set_state(ExecState.STOPPED)
                # No action_done here: a planner must not replan after the episode ended.
                self._emit("episode_end", self._plan_seq, now, reason="stop")
                return ZERO
            if now < t1 - TIME_EPS:
                return (cmd.vx, cmd.vy, cmd.wz)
            self._emit(
                "step_done",
                self._plan_seq,
                now,
                step=self._step,
                action=action.kind.value,
                planned_end=t1,
            )
            self._step += 1
        self._plan = []
        self._set_state(ExecState.IDLE)
        self._emit("action_done", self._plan_seq, now)
        return ZERO

    # ------------------------------------------------------------------ status
    def current(self) -> dict | None:
        if self.state is not ExecState.EXECUTING or self._step >= len(self._plan):
            return None
        action, cmd, t0, t1 = self._plan[self._step]
        return {
            "seq": self._plan_seq,
            "step": self._step,
            "n_steps": len(self._plan),
            "action": action.to_dict(),
            "command": cmd.to_dict(),
            "start": t0,
            "end": t1,
            "plan_end": self._plan[-1][3],
        }

    def status(self, now: float) -> dict:
        cur = self.current()
        return {
            "state": self.state.value,
            "seq": self.seq,
            "episode": self.episode,
            "estop": self.estop_active,
            "current": cur,
            "remaining_s": max(0.0, cur["plan_end"] - now) if cur else 0.0,
            "last_error": self.last_error,
            "time": now,
        }

    # ------------------------------------------------------------------ internals
    def _abort_plan(self, now: float, kind: str, **detail: object) -> None:
        if self.state is ExecState.EXECUTING and self._plan:
            self._emit(kind, self._plan_seq, now, step=self._step, **detail)
        self._plan = []

    def _set_state(self, state: ExecState) -> None:
        if state is not ExecState.EXECUTING:
            self._zero_due = True
        self.state = state

    def _emit(self, kind: str, seq: int, now: float, **detail: object) -> None:
        self._pending.append(ExecutorEvent(kind, seq, now, dict(detail)))
