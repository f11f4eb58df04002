"""Each robot's config is consistent across nodes: what the executor may send, the locomotion
node can execute (an action it would clamp to nothing must be refused by the parser instead)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from instruction_parser import load_executor_config

CONFIG = Path(__file__).resolve().parents[1] / "config"
ROBOTS = sorted(p.stem for p in CONFIG.glob("*.yaml"))


@pytest.mark.parametrize("robot", ROBOTS)
def test_executor_commands_fit_the_locomotion_command_ranges(robot: str) -> None:
    path = CONFIG / f"{robot}.yaml"
    executor = load_executor_config(str(path))
    loco = yaml.safe_load(path.read_text())["navila_loco"]["ros__parameters"]["command"]
    (vx_lo, vx_hi), (vy_lo, vy_hi), (wz_lo, wz_hi) = (
        loco["vx_range"],
        loco["vy_range"],
        loco["wz_range"],
    )
    allowed = set(executor.parser.allowed_actions)
    m = executor.motion
    assert {"forward", "turn_left", "turn_right", "stop"} <= allowed
    assert (
        m.forward_speed <= vx_hi
        and min(m.max_linear_speed, m.forward_speed * executor.parser.fast_scale) <= vx_hi
    )
    assert m.turn_rate <= min(-wz_lo, wz_hi)
    assert min(m.max_turn_rate, m.turn_rate * executor.parser.fast_scale) <= min(-wz_lo, wz_hi)
    if "backward" in allowed:
        assert -m.backward_speed >= vx_lo, f"{robot}: backward speed outside vx_range"
    if allowed & {"left", "right"}:
        assert m.lateral_speed <= min(-vy_lo, vy_hi), f"{robot}: sideways speed outside vy_range"
