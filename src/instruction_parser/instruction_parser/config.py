"""Parser and motion settings, with NaVILA's values as defaults.

The node fills these from ROS parameters (config/<robot>.yaml); tests and benchmarks build them
from the same YAML with `from_params`, so every consumer reads one source of truth. Validation
happens here, at start-up, so a bad config file stops the node before it can move the robot.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Any

from instruction_parser.actions import ActionKind

ALL_ACTIONS: tuple[str, ...] = tuple(k.value for k in ActionKind)
NAVILA_ACTIONS: tuple[str, ...] = ("forward", "turn_left", "turn_right", "stop")


@dataclass(frozen=True)
class ParserConfig:
    """What text the robot accepts and how amounts are bounded."""

    allowed_actions: tuple[str, ...] = ALL_ACTIONS
    max_input_chars: int = 2000
    max_actions: int = 8
    # NaVILA's Habitat code uses 25 cm / 15 degrees when the model names no amount.
    require_amount: bool = False
    default_distance_m: float = 0.25
    default_angle_deg: float = 15.0
    # Per-action clamps (an amount above is cut to the limit and flagged `clamped`) ...
    max_forward_m: float = 3.0
    max_backward_m: float = 1.0
    max_lateral_m: float = 1.0
    max_turn_deg: float = 180.0
    # ... and refusal limits (an amount above is nonsense, e.g. 1e9 m, and is an error).
    reject_distance_m: float = 100.0
    reject_angle_deg: float = 1080.0
    # NaVILA "snap" mode: numeric amounts go to the nearest allowed step (25/50/75 cm, 15/30/45°).
    snap: bool = False
    snap_distances_m: tuple[float, ...] = (0.25, 0.50, 0.75)
    snap_angles_deg: tuple[float, ...] = (15.0, 30.0, 45.0)
    turn_around_direction: str = "left"
    slow_scale: float = 0.5
    fast_scale: float = 1.5

    def __post_init__(self) -> None:
        unknown = set(self.allowed_actions) - set(ALL_ACTIONS)
        if unknown:
            raise ValueError(
                f"allowed_actions has unknown kinds {sorted(unknown)}; known: {ALL_ACTIONS}"
            )
        if "stop" not in self.allowed_actions:
            raise ValueError("allowed_actions must include 'stop': a robot must always accept stop")
        if self.turn_around_direction not in ("left", "right"):
            raise ValueError("turn_around_direction must be 'left' or 'right'")
        _positive(
            self,
            "max_input_chars",
            "max_actions",
            "default_distance_m",
            "default_angle_deg",
            "max_forward_m",
            "max_backward_m",
            "max_lateral_m",
            "max_turn_deg",
            "reject_distance_m",
            "reject_angle_deg",
            "slow_scale",
            "fast_scale",
        )
        if self.snap and (not self.snap_distances_m or not self.snap_angles_deg):
            raise ValueError("snap mode needs non-empty snap_distances_m and snap_angles_deg")
        for v in (*self.snap_distances_m, *self.snap_angles_deg):
            if not (math.isfinite(v) and v > 0):
                raise ValueError(f"snap values must be finite and > 0, got {v}")

    def allows(self, kind: ActionKind) -> bool:
        return kind.value in self.allowed_actions

    def max_amount(self, kind: ActionKind) -> float:
        """The clamp for one action of this kind, in SI units."""
        return {
            ActionKind.FORWARD: self.max_forward_m,
            ActionKind.BACKWARD: self.max_backward_m,
            ActionKind.LEFT: self.max_lateral_m,
            ActionKind.RIGHT: self.max_lateral_m,
            ActionKind.TURN_LEFT: math.radians(self.max_turn_deg),
            ActionKind.TURN_RIGHT: math.radians(self.max_turn_deg),
        }.get(kind, 0.0)


@dataclass(frozen=True)
class MotionConfig:
    """Action -> velocity mapping. Defaults are NaVILA's: 0.5 m/s forward, pi/6 rad/s turns."""

    forward_speed: float = 0.5
    backward_speed: float = 0.3
    lateral_speed: float = 0.3
    turn_rate: float = math.pi / 6
    max_linear_speed: float = 1.0  # caps speed words ("quickly")
    max_turn_rate: float = 1.0

    def __post_init__(self) -> None:
        _positive(self, *(f.name for f in fields(self)))


@dataclass(frozen=True)
class ExecutorConfig:
    """Streaming behaviour of the executor."""

    rate_hz: float = 50.0
    idle_rate_hz: float = 10.0  # zero Twist while idle; 0 = only one zero on each stop
    status_rate_hz: float = 2.0
    parser: ParserConfig = field(default_factory=ParserConfig)
    motion: MotionConfig = field(default_factory=MotionConfig)

    def __post_init__(self) -> None:
        _positive(self, "rate_hz", "status_rate_hz")
        if not (math.isfinite(self.idle_rate_hz) and self.idle_rate_hz >= 0):
            raise ValueError("idle_rate_hz must be >= 0")


PARAM_DESCRIPTIONS: dict[str, str] = {
    "rate_hz": "rate of the /cmd_vel stream while an action runs [Hz] (NaVILA's policy runs at 50)",
    "idle_rate_hz": "rate of zero Twists while idle [Hz]; 0 publishes a single zero per stop",
    "status_rate_hz": "rate of periodic /navila/status messages [Hz] (events are sent at once)",
    "parser.allowed_actions": "action kinds this robot accepts: forward, backward, left, right "
    "(sideways), turn_left, turn_right, stop (stop is mandatory)",
    "parser.max_input_chars": "longer planner texts are refused unparsed (too_long)",
    "parser.max_actions": "most actions accepted in one text",
    "parser.require_amount": "refuse 'move forward' without an amount instead of NaVILA's default",
    "parser.default_distance_m": "distance when the text names none [m] (NaVILA: 0.25)",
    "parser.default_angle_deg": "turn angle when the text names none [deg] (NaVILA: 15)",
    "parser.max_forward_m": "clamp for one forward action [m]",
    "parser.max_backward_m": "clamp for one backward action [m]",
    "parser.max_lateral_m": "clamp for one sideways action [m]",
    "parser.max_turn_deg": "clamp for one turn [deg]",
    "parser.reject_distance_m": "distances above this are refused as absurd [m]",
    "parser.reject_angle_deg": "angles above this are refused as absurd [deg]",
    "parser.snap": "NaVILA snap mode: numeric amounts go to the nearest snap value",
    "parser.snap_distances_m": "snap values for distances [m] (NaVILA: 0.25, 0.5, 0.75)",
    "parser.snap_angles_deg": "snap values for turns [deg] (NaVILA: 15, 30, 45)",
    "parser.turn_around_direction": "'left' or 'right': which way 'turn around' turns",
    "parser.slow_scale": "speed factor for 'slowly'",
    "parser.fast_scale": "speed factor for 'quickly' (capped by motion.max_*)",
    "motion.forward_speed": "forward speed [m/s] (NaVILA: 0.5)",
    "motion.backward_speed": "backward speed [m/s]",
    "motion.lateral_speed": "sideways speed [m/s]",
    "motion.turn_rate": "turn rate [rad/s] (NaVILA: pi/6)",
    "motion.max_linear_speed": "cap on any linear speed after speed words [m/s]",
    "motion.max_turn_rate": "cap on the turn rate after speed words [rad/s]",
}


def _positive(obj: object, *names: str) -> None:
    for name in names:
        value = getattr(obj, name)
        if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
            raise ValueError(
                f"{type(obj).__name__}.{name} must be a finite number > 0, got {value!r}"
            )


def _build(cls: type, params: dict[str, Any]):
    known = {f.name: f for f in fields(cls)}
    unknown = set(params) - set(known)
    if unknown:
        raise ValueError(f"unknown {cls.__name__} parameters: {sorted(unknown)}")
    kwargs = {}
    for name, value in params.items():
        default = getattr(cls(), name) if name not in ("parser", "motion") else None
        if isinstance(default, tuple):
            value = tuple(value)
        elif isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        kwargs[name] = value
    return cls(**kwargs)


def executor_config_from_params(params: dict[str, Any]) -> ExecutorConfig:
    """Build the config from a node's flat or nested parameter dict (`parser.snap` or nested).

    Accepts exactly what config/<robot>.yaml holds under `navila_executor.ros__parameters`, minus
    keys that belong to the node shell (topics, robot name).
    """
    nested: dict[str, Any] = {}
    for key, value in params.items():
        parts = key.split(".")
        target = nested
        for p in parts[:-1]:
            target = target.setdefault(p, {})
        target[parts[-1]] = value
    parser = _build(ParserConfig, nested.pop("parser", {}))
    motion = _build(MotionConfig, nested.pop("motion", {}))
    own = {k: v for k, v in nested.items() if k in {f.name for f in fields(ExecutorConfig)}}
    return ExecutorConfig(**{k: float(v) for k, v in own.items()}, parser=parser, motion=motion)


def load_executor_config(yaml_path: str, node_name: str = "navila_executor") -> ExecutorConfig:
    """Read the executor section of a ROS params file (the same file the node is started with)."""
    import yaml
    from navila_common.params import node_section

    with open(yaml_path) as fh:
        doc = yaml.safe_load(fh) or {}
    params = node_section(doc, node_name) or {}
    shell_keys = {"robot", "topics", "use_sim_time"}
    return executor_config_from_params({k: v for k, v in params.items() if k not in shell_keys})
