"""Fault injection for reliability tests: drop or delay a sensor stream, freeze joint states.

Pure logic between the simulation's outputs and whoever publishes them, so the same faults work
for the ROS node and for batch runs. Pushes act on the simulation itself (Sim.push); they are
parsed here so one JSON command carries all faults:

    {"drop": ["lidar"], "delay_s": {"camera": 0.5}, "freeze_joint_states": true,
     "push": [0.5, 0.0, 0.0], "release_support": true, "clear": false}

`release_support` lowers a humanoid's gantry now (navila_sim.support), as an operator would.

`clear: true` removes every active fault first. Unknown keys or streams are refused with a
ValueError (a typo must not silently test nothing).
"""

from __future__ import annotations

import copy
import json
import math
from collections import deque
from dataclasses import dataclass, field, fields
from typing import Any

from navila_sim.sim import Outputs

STREAMS = ("joint_state", "imu", "odom", "lidar", "image")
_KEYS = {"drop", "delay_s", "freeze_joint_states", "push", "release_support", "clear"}


@dataclass
class FaultCommand:
    drop: set[str] | None = None
    delay_s: dict[str, float] | None = None
    freeze_joint_states: bool | None = None
    push: tuple[float, float, float] | None = None
    release_support: bool = False
    clear: bool = False


def parse_fault_command(text: str | dict[str, Any]) -> FaultCommand:
    """Parse and validate a JSON fault command."""
    raw = json.loads(text) if isinstance(text, str) else text
    if not isinstance(raw, dict):
        raise ValueError("fault command must be a JSON object")
    unknown = set(raw) - _KEYS
    if unknown:
        raise ValueError(f"unknown fault keys {sorted(unknown)} (known: {sorted(_KEYS)})")
    cmd = FaultCommand(clear=bool(raw.get("clear", False)))
    if "drop" in raw:
        drop = set(raw["drop"] or [])
        bad = drop - set(STREAMS)
        if bad:
            raise ValueError(f"cannot drop unknown streams {sorted(bad)} (streams: {STREAMS})")
        cmd.drop = drop
    if "delay_s" in raw:
        delays = {}
        for stream, value in (raw["delay_s"] or {}).items():
            if stream not in STREAMS:
                raise ValueError(f"cannot delay unknown stream {stream!r} (streams: {STREAMS})")
            v = float(value)
            if not (math.isfinite(v) and 0.0 <= v <= 10.0):
                raise ValueError(f"delay for {stream} must be in [0, 10] s, got {value!r}")
            delays[stream] = v
        cmd.delay_s = delays
    if "freeze_joint_states" in raw:
        cmd.freeze_joint_states = bool(raw["freeze_joint_states"])
    if "push" in raw:
        push = [float(v) for v in raw["push"]]
        if len(push) != 3 or not all(math.isfinite(v) and abs(v) <= 5.0 for v in push):
            raise ValueError("push must be 3 velocities (m/s), each |v| <= 5")
        cmd.push = (push[0], push[1], push[2])
    if "release_support" in raw:
        if not isinstance(raw["release_support"], bool):
            raise ValueError("release_support must be true or false")
        cmd.release_support = raw["release_support"]
    return cmd


@dataclass
class FaultInjector:
    """Applies the active faults to each control period's outputs."""

    drop: set[str] = field(default_factory=set)
    delay_s: dict[str, float] = field(default_factory=dict)
    freeze_joint_states: bool = False
    _queue: deque[tuple[float, str, Any]] = field(default_factory=deque)
    _frozen: Any = None

    def apply(self, cmd: FaultCommand) -> None:
        if cmd.clear:
            self.drop, self.delay_s, self.freeze_joint_states = set(), {}, False
            self._frozen = None
        if cmd.drop is not None:
            self.drop = set(cmd.drop)
        if cmd.delay_s is not None:
            self.delay_s = dict(cmd.delay_s)
        if cmd.freeze_joint_states is not None:
            self.freeze_joint_states = cmd.freeze_joint_states
            if not cmd.freeze_joint_states:
                self._frozen = None

    def active(self) -> dict[str, Any]:
        return {
            "drop": sorted(self.drop),
            "delay_s": dict(self.delay_s),
            "freeze_joint_states": self.freeze_joint_states,
        }

    def process(self, out: Outputs) -> Outputs:
        """The outputs to publish now: dropped streams removed, delayed ones held back and
        released when due (with their original stamps), frozen joint states repeated."""
        now = out.stamp
        result = Outputs(stamp=now)
        for f in fields(Outputs):
            if f.name == "stamp":
                continue
            value = getattr(out, f.name)
            if value is None or f.name in self.drop:
                continue
            if f.name == "joint_state" and self.freeze_joint_states:
                if self._frozen is None:
                    self._frozen = copy.deepcopy(value)
                value = copy.deepcopy(self._frozen)
                value.stamp = now
            delay = self.delay_s.get(f.name, 0.0)
            if delay > 0.0:
                self._queue.append((now + delay, f.name, value))
                continue
            setattr(result, f.name, value)
        keep: deque[tuple[float, str, Any]] = deque()
        for due, name, value in self._queue:
            if due > now + 1e-9:
                keep.append((due, name, value))
            elif name not in self.drop:
                setattr(result, name, value)
        self._queue = keep
        return result
