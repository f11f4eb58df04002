"""The simulated robot's sport controller state (navila_sim.sport_mode): what CheckMode answers
before and after a release, and a select; its DDS service is exercised by the `navila robot`
rehearsal (tests/test_navila_robot_rehearsal.py)."""

from __future__ import annotations

import pytest

from navila_sim.sport_mode import SportMode
from navila_sim.unitree_sim import parse_args


def test_a_booted_robot_is_in_sport_mode_until_released() -> None:
    mode = SportMode("normal")
    assert mode.active and mode.check() == {"form": "0", "name": "normal"}
    mode.release()
    assert not mode.active and mode.check()["name"] == "" and mode.releases == 1
    mode.select("ai")
    assert mode.active and mode.name == "ai"
    with pytest.raises(ValueError):
        mode.select("")


def test_unitree_sim_starts_released_unless_asked() -> None:
    assert parse_args([]).sport_mode == ""
    assert parse_args(["--sport-mode", "normal"]).sport_mode == "normal"
    assert not SportMode(parse_args([]).sport_mode).active
