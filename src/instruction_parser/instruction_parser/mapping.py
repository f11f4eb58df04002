"""Mid-level action -> timed body velocity, NaVILA's way: fixed speed, duration = amount / speed.

75 cm at 0.5 m/s is 1.5 s; 45 degrees at pi/6 rad/s is 1.5 s; stop is zero velocity and ends the
episode. Speed words scale the nominal speed, capped by the config's maxima, and the duration is
recomputed so the distance stays what the text asked for.
"""

from __future__ import annotations

from instruction_parser.actions import ActionKind, MidLevelAction, VelocityCommand
from instruction_parser.config import MotionConfig


def to_velocity_command(action: MidLevelAction, motion: MotionConfig) -> VelocityCommand:
    kind = action.kind
    if kind is ActionKind.STOP:
        return VelocityCommand(0.0, 0.0, 0.0, 0.0, ends_episode=True)
    if kind.is_turn:
        rate = min(motion.turn_rate * action.speed_scale, motion.max_turn_rate)
        sign = 1.0 if kind is ActionKind.TURN_LEFT else -1.0
        return VelocityCommand(0.0, 0.0, sign * rate, action.amount / rate)
    nominal = {
        ActionKind.FORWARD: motion.forward_speed,
        ActionKind.BACKWARD: motion.backward_speed,
        ActionKind.LEFT: motion.lateral_speed,
        ActionKind.RIGHT: motion.lateral_speed,
    }[kind]
    speed = min(nominal * action.speed_scale, motion.max_linear_speed)
    vx = {ActionKind.FORWARD: speed, ActionKind.BACKWARD: -speed}.get(kind, 0.0)
    vy = {ActionKind.LEFT: speed, ActionKind.RIGHT: -speed}.get(kind, 0.0)
    return VelocityCommand(vx, vy, 0.0, action.amount / speed)


def to_velocity_commands(
    actions: list[MidLevelAction], motion: MotionConfig
) -> list[VelocityCommand]:
    return [to_velocity_command(a, motion) for a in actions]
