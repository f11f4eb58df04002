"""Types that flow between the parser, the velocity mapping and the executor.

They are plain dataclasses so every consumer (the executor node, the planner's direct and oracle
backends, evaluation scripts, tests) shares one vocabulary and none of them needs rclpy.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from enum import StrEnum


class ActionKind(StrEnum):
    """Mid-level actions. NaVILA's own vocabulary is FORWARD, TURN_LEFT, TURN_RIGHT and STOP."""

    FORWARD = "forward"
    BACKWARD = "backward"
    LEFT = "left"  # sideways step (strafe), robot +y
    RIGHT = "right"  # sideways step (strafe), robot -y
    TURN_LEFT = "turn_left"  # counter-clockwise seen from above, +yaw
    TURN_RIGHT = "turn_right"
    STOP = "stop"

    @property
    def is_turn(self) -> bool:
        return self in (ActionKind.TURN_LEFT, ActionKind.TURN_RIGHT)

    @property
    def is_translation(self) -> bool:
        return self in (ActionKind.FORWARD, ActionKind.BACKWARD, ActionKind.LEFT, ActionKind.RIGHT)


@dataclass(frozen=True)
class MidLevelAction:
    """One parsed action with its amount in SI units (metres, or radians for turns; 0 for stop).

    `requested` keeps the amount the text asked for before clamping/snapping so logs and UIs can
    show both; it and `source` (the clause the action came from) do not take part in equality.
    """

    kind: ActionKind
    amount: float = 0.0
    speed_scale: float = 1.0
    clamped: bool = False
    snapped: bool = False
    requested: float | None = field(default=None, compare=False)
    source: str = field(default="", compare=False)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["kind"] = self.kind.value
        d["unit"] = "rad" if self.kind.is_turn else ("m" if self.kind.is_translation else "")
        if self.kind.is_turn:
            d["amount_deg"] = math.degrees(self.amount)
        return d


@dataclass(frozen=True)
class VelocityCommand:
    """A body-frame velocity (REP 103: x forward, y left, z up) held for `duration` seconds."""

    vx: float
    vy: float
    wz: float
    duration: float
    ends_episode: bool = False

    def to_dict(self) -> dict:
        return asdict(self)


class ParseErrorCode(StrEnum):
    """Why a text did not become actions. Every one of them leaves the robot stopped."""

    EMPTY = "empty"
    INVALID_ENCODING = "invalid_encoding"
    TOO_LONG = "too_long"
    NO_ACTION = "no_action"
    AMBIGUOUS = "ambiguous"
    NEGATED = "negated"
    NEGATIVE = "negative"
    NON_FINITE = "non_finite"
    ABSURD = "absurd"
    INVALID_NUMBER = "invalid_number"
    MISSING_UNIT = "missing_unit"
    MISSING_NUMBER = "missing_number"
    WRONG_UNIT = "wrong_unit"
    MISSING_AMOUNT = "missing_amount"
    MISSING_DIRECTION = "missing_direction"
    NOT_ALLOWED = "not_allowed"
    TOO_MANY_ACTIONS = "too_many_actions"


class ParseError(ValueError):
    """A typed refusal: `code` for programs, `reason` for people. Never means "move anyway"."""

    def __init__(self, code: ParseErrorCode, reason: str) -> None:
        super().__init__(f"{code.value}: {reason}")
        self.code = code
        self.reason = reason

    def to_dict(self) -> dict:
        return {"code": self.code.value, "reason": self.reason}
