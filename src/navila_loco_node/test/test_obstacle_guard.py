"""The obstacle guard: forward speed against heightmap_node's clearance (no ROS, no clocks)."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from navila_loco_node.config import load_loco_config
from navila_loco_node.obstacle_guard import ObstacleGuard, ObstacleGuardConfig
from navila_loco_node.supervisor import Mode, Supervisor
from navila_loco_node.types import VelocityCommand

from .conftest import CONFIG_DIR, standing_state

T0 = 100.0
CFG = ObstacleGuardConfig(mode="always", stop_m=0.5, slow_m=1.0, timeout_s=0.5)


def guard_at(clearance: float | None, now: float = 10.0, age: float = 0.0) -> ObstacleGuard:
    g = ObstacleGuard(CFG, active=True)
    if clearance is not None:
        g.set_clearance(clearance, now - age)
    g.update(now)
    return g


@pytest.mark.parametrize(
    ("clearance", "vx"),
    [(math.inf, 0.5), (1.2, 0.5), (1.0, 0.5), (0.75, 0.25), (0.5, 0.0), (0.3, 0.0)],
)
def test_forward_speed_ramps_down_to_zero_at_stop_m(clearance: float, vx: float) -> None:
    g = guard_at(clearance)
    assert g.limit_vx(0.5) == pytest.approx(vx)
    assert g.holding is (vx == 0.0)


def test_turns_stands_and_backward_steps_are_never_limited() -> None:
    g = guard_at(0.2)
    assert g.limit_vx(0.0) == 0.0 and g.limit_vx(-0.3) == -0.3


@pytest.mark.parametrize(
    ("clearance", "age", "reason"),
    [
        (None, 0.0, "no clearance received yet"),
        (math.inf, 0.6, "clearance stale"),
        (math.nan, 0.0, "nothing seen ahead"),
    ],
)
def test_no_fresh_clearance_holds_forward_motion(clearance, age, reason) -> None:
    g = guard_at(clearance, age=age)
    assert g.limit_vx(0.5) == 0.0 and g.holding and g.reason.startswith(reason)
    assert g.status()["holding"] is True


def test_inactive_guard_passes_everything_and_says_so() -> None:
    g = ObstacleGuard(CFG, active=False)
    assert g.update(1.0) is None and g.limit_vx(0.7) == 0.7
    assert g.status() == {"active": False}


def test_hold_and_release_are_logged_once_each() -> None:
    g = ObstacleGuard(CFG, active=True)
    g.set_clearance(math.inf, 0.0)
    assert g.update(0.0) == "forward motion released: the way ahead is clear"
    notes = []
    for k, c in enumerate([0.9, 0.6, 0.45, 0.4, 0.42, 0.38, math.inf]):
        g.set_clearance(c, 0.1 * (k + 1))
        notes.append(g.update(0.1 * (k + 1)))
    assert [n for n in notes if n] == [
        "forward motion held: obstacle 0.45 m ahead",
        "forward motion released: the way ahead is clear",
    ]
    assert g.status() == {
        "active": True,
        "clearance_m": "free",
        "forward_factor": 1.0,
        "holding": False,
        "reason": "",
    }


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"mode": "maybe"}, "obstacle_guard"),
        ({"stop_m": 1.0, "slow_m": 0.5}, "obstacle_stop_m"),
        ({"stop_m": -0.1}, "obstacle_stop_m"),
        ({"slow_m": math.inf}, "obstacle_slow_m"),
        ({"timeout_s": 0.0}, "obstacle_timeout_s"),
    ],
)
def test_bad_settings_are_refused_with_their_name(kwargs, match) -> None:
    with pytest.raises(ValueError, match=match):
        ObstacleGuardConfig(**kwargs)


def test_auto_is_on_exactly_for_a_policy_that_reads_the_height_map() -> None:
    auto = ObstacleGuardConfig(mode="auto")
    assert auto.active(True) and not auto.active(False)
    assert ObstacleGuardConfig(mode="always").active(False)
    assert not ObstacleGuardConfig(mode="never").active(True)


def test_supervisor_walks_with_the_guard_between_command_and_policy() -> None:
    """config/go2.yaml (vision layout, guard auto): the policy's velocity command is the guarded
    one, updated every tick, and the status says why forward motion is held."""
    cfg = load_loco_config(CONFIG_DIR / "go2.yaml")
    sup = Supervisor(cfg, has_policy=True)
    assert sup.obstacle.active
    assert sup.update(T0, standing_state(cfg, T0), T0) == Mode.STAND_UP
    t = T0 + cfg.safety.stand_up_time_s
    assert sup.update(t, standing_state(cfg, t), t) == Mode.WALK
    sup.set_command(VelocityCommand(0.5, 0.0, 0.3, stamp=t))

    def tick(clearance: float | None) -> list[float]:
        if clearance is not None:
            sup.obstacle.set_clearance(clearance, t)
        sup.update(t, standing_state(cfg, t), t)
        return sup.effective_command().tolist()

    assert tick(None) == [0.0, 0.0, 0.3]  # nothing received yet: turning only
    assert sup.status(t)["obstacle_guard"]["reason"] == "no clearance received yet"
    assert tick(0.75) == pytest.approx([0.5 * 0.2 / 0.4, 0.0, 0.3])
    assert tick(math.inf) == [0.5, 0.0, 0.3]
    assert "forward motion released: the way ahead is clear" in sup.pop_notes()
    assert tick(0.5) == [0.0, 0.0, 0.3]
    assert sup.status(t)["obstacle_guard"]["holding"] is True
    assert "forward motion held: obstacle 0.50 m ahead" in sup.pop_notes()
    assert sup.mode == Mode.WALK  # held, never damped: the robot keeps balancing

    blind = replace(cfg, observation=replace(cfg.observation, terms=("base_ang_vel",)))
    assert not Supervisor(blind, has_policy=True).obstacle.active
