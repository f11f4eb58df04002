"""Direct backend: the instruction already is mid-level actions ("move forward 2 m, then turn left
90 degrees"): teleoperation by language, no model, no GPU.

The instruction is parsed with the executor's own grammar (`instruction_parser.parse_actions`) so
the planner never forwards text the executor would refuse. `mode = "stepwise"` emits one action per
planning step in NaVILA's phrasing ("The next action is ..."), then "stop"; `mode = "whole"` emits
the whole sequence once (the executor runs it in order), then "stop".
"""

from __future__ import annotations

import time

from instruction_parser import (
    ParseError,
    ParserConfig,
    format_action,
    format_actions,
    parse_actions,
)
from instruction_parser.actions import ActionKind, MidLevelAction
from navila_vla_node.types import Latency, PlanRequest, PlanResult

STOP_TEXT = "The next action is stop."


class DirectBackend:
    needs_images = False
    needs_pose = False
    num_frames = 0

    def __init__(self, mode: str = "stepwise", parser: ParserConfig | None = None) -> None:
        if mode not in ("stepwise", "whole"):
            raise ValueError(f"direct mode must be 'stepwise' or 'whole', not {mode!r}")
        self.name = "direct"
        self.mode = mode
        self.parser = parser or ParserConfig()
        self._key: tuple[int, str] | None = None
        self._actions: list[MidLevelAction] = []
        self._next = 0
        self._error: str | None = None

    def _load(self, key: tuple[int, str]) -> None:
        self._key = key
        instruction = key[1]
        self._next = 0
        self._error = None
        try:
            self._actions = parse_actions(instruction, self.parser)
        except ParseError as exc:
            self._actions = []
            self._error = (
                f"instruction is not a mid-level action sequence ({exc.code.value}): {exc.reason}"
            )

    def plan(self, request: PlanRequest) -> PlanResult:
        t0 = time.perf_counter()
        key = (request.episode, request.instruction)
        if key != self._key:  # a new episode (even with the same words) starts from the top
            self._load(key)
        lat = Latency()
        if self._error:
            lat.total = time.perf_counter() - t0
            return PlanResult("", False, self._error, lat, "error", self.name)
        remaining = self._actions[self._next :]
        stop_at = next((k for k, a in enumerate(remaining) if a.kind is ActionKind.STOP), None)
        if stop_at is not None:
            remaining = remaining[: stop_at + 1]
        if not remaining:
            lat.total = time.perf_counter() - t0
            return PlanResult(STOP_TEXT, True, None, lat, "stop", self.name, episode_done=True)
        if self.mode == "whole":
            text = format_actions(list(remaining))
            self._next = len(self._actions)
            done = remaining[-1].kind is ActionKind.STOP
        else:
            action = remaining[0]
            text = format_action(action, navila_prefix=True)
            self._next += 1
            done = action.kind is ActionKind.STOP
        if done:
            self._next = len(self._actions)
        lat.total = time.perf_counter() - t0
        return PlanResult(text, True, None, lat, "stop", self.name, episode_done=done)

    def reset(self) -> None:
        self._key = None
        self._actions = []
        self._next = 0
        self._error = None

    def close(self) -> None:
        pass
