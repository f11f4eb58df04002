"""NaVILA's mid-level action language: parse planner text, map it to timed velocities, execute it.

The public API (no rclpy): `parse_actions`/`parse_action` (text -> actions or `ParseError`),
`format_action` (action -> NaVILA-style text), `to_velocity_command(s)` (action -> velocity),
`ActionExecutor` (the executor's state machine) and the config dataclasses.
"""

from instruction_parser.actions import (
    ActionKind,
    MidLevelAction,
    ParseError,
    ParseErrorCode,
    VelocityCommand,
)
from instruction_parser.config import (
    ExecutorConfig,
    MotionConfig,
    ParserConfig,
    executor_config_from_params,
    load_executor_config,
)
from instruction_parser.executor import ActionExecutor, ExecState, ExecutorEvent, SubmitResult
from instruction_parser.grammar import format_action, format_actions, parse_action, parse_actions
from instruction_parser.mapping import to_velocity_command, to_velocity_commands

__all__ = [
    "ActionExecutor",
    "ActionKind",
    "ExecState",
    "ExecutorConfig",
    "ExecutorEvent",
    "MidLevelAction",
    "MotionConfig",
    "ParseError",
    "ParseErrorCode",
    "ParserConfig",
    "SubmitResult",
    "VelocityCommand",
    "executor_config_from_params",
    "format_action",
    "format_actions",
    "load_executor_config",
    "parse_action",
    "parse_actions",
    "to_velocity_command",
    "to_velocity_commands",
]
