"""The obstacle guard: the velocity command against heightmap_node's clearances (no ROS)."""

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
CFG = ObstacleGuardConfig(
    mode="always", stop_m=0.5, slow_m=1.0, turn_stop_m=0.4, hysteresis_m=0.05, timeout_s=0.5
)
FREE = math.inf


def guard_at(
    ahead: float | None, around: float = FREE, now: float = 10.0, age: float = 0.0
) -> ObstacleGuard:
    g = ObstacleGuard(CFG, active=True)
    if ahead is not None:
        g.set_clearance(ahead, around, now - age)
    g.update(now)
    return g


@pytest.mark.parametrize(
    ("ahead", "vx"),
    [(FREE, 0.5), (1.2, 0.5), (1.0, 0.5), (0.75, 0.25), (0.5, 0.0), (0.3, 0.0)],
)
def test_forward_speed_ramps_down_to_zero_at_stop_m(ahead: float, vx: float) -> None:
    g = guard_at(ahead, around=0.6)
    assert g.limit(0.5, 0.3) == pytest.approx((vx, 0.3))  # turning free: nothing within 0.4 m
    assert g.holding is (vx == 0.0) and not g.turn_held


def test_standing_and_backward_steps_are_never_limited() -> None:
    g = guard_at(0.2, around=0.2)
    assert g.limit(0.0, 0.0) == (0.0, 0.0) and g.limit(-0.3, 0.0) == (-0.3, 0.0)


@pytest.mark.parametrize(("around", "held"), [(0.39, True), (0.41, False), (FREE, False)])
def test_turning_is_held_while_an_obstacle_is_within_the_sweep(around: float, held: bool) -> None:
    """A box beside the robot: a turn in place would strike it; walking on (free ahead) may
    take the robot out of the tight spot."""
    g = guard_at(FREE, around=around)
    assert g.limit(0.5, -0.5) == (0.5, 0.0 if held else -0.5)
    assert g.turn_held is held
    if held:
        assert g.turn_reason == "obstacle 0.39 m beside: a turn in place would hit it"


def test_a_hold_ends_only_hysteresis_m_past_where_it_began() -> None:
    """The clearance comes in 5 cm bins: without the margin a robot at the line would start and
    stop several times a second. A hold for lack of clearance has no margin to undo."""
    g = ObstacleGuard(CFG, active=True)  # stop_m 0.5, turn_stop_m 0.4, hysteresis 0.05
    seq = [(0.6, 0.5), (0.5, 0.38), (0.53, 0.42), (0.56, 0.46), (0.6, 0.5)]
    got = []
    for k, (ahead, around) in enumerate(seq):
        g.set_clearance(ahead, around, float(k))
        g.update(float(k))
        got.append((g.holding, g.turn_held))
    assert got == [(False, False), (True, True), (True, True), (False, False), (False, False)]
    assert g.factor == pytest.approx(0.2)  # the ramp itself is unchanged: (0.6 - 0.5) / 0.5


def test_turning_is_never_held_with_turn_stop_m_zero() -> None:
    g = ObstacleGuard(replace(CFG, turn_stop_m=0.0), active=True)
    assert not g.turn_held
    g.set_clearance(FREE, 0.1, 10.0)
    assert g.update(10.0) == ["forward motion released: the way is clear"]
    assert g.limit(0.5, 0.5) == (0.5, 0.5)


@pytest.mark.parametrize(
    ("ahead", "around", "age", "reason"),
    [
        (None, FREE, 0.0, "no clearance received yet"),
        (FREE, FREE, 0.6, "clearance stale"),
        (math.nan, FREE, 0.0, "nothing seen ahead"),
    ],
)
def test_no_fresh_clearance_holds_forward_motion(ahead, around, age, reason) -> None:
    g = guard_at(ahead, around=around, age=age)
    assert g.limit(0.5, 0.0)[0] == 0.0 and g.holding and g.reason.startswith(reason)
    assert g.status()["holding"] is True
    # no clearance at all holds turning too; a NaN ahead alone does not (around is known)
    assert g.turn_held is (ahead is None or age > 0)


def test_nothing_seen_around_holds_turning() -> None:
    g = guard_at(FREE, around=math.nan)
    assert g.limit(0.5, 0.5) == (0.5, 0.0)
    assert g.turn_reason == "nothing seen around (clearance unknown)"


def test_inactive_guard_passes_everything_and_says_so() -> None:
    g = ObstacleGuard(CFG, active=False)
    assert g.update(1.0) == [] and g.limit(0.7, -0.4) == (0.7, -0.4)
    assert g.status() == {"active": False}


def test_holds_and_releases_are_logged_once_each() -> None:
    g = ObstacleGuard(CFG, active=True)
    g.set_clearance(FREE, FREE, 0.0)
    assert g.update(0.0) == [
        "forward motion released: the way is clear",
        "turning released: the way is clear",
    ]
    notes = []
    steps = [(0.9, FREE), (0.6, 0.6), (0.45, 0.45), (0.4, 0.38), (0.42, 0.37), (FREE, 0.5)]
    for k, (ahead, around) in enumerate(steps):
        g.set_clearance(ahead, around, 0.1 * (k + 1))
        notes += g.update(0.1 * (k + 1))
    assert notes == [
        "forward motion held: obstacle or drop 0.45 m ahead",
        "turning held: obstacle 0.38 m beside: a turn in place would hit it",
        "forward motion released: the way is clear",
        "turning released: the way is clear",
    ]
    assert g.status() == {
        "active": True,
        "clearance_m": "free",
        "around_m": 0.5,
        "forward_factor": 1.0,
        "holding": False,
        "reason": "",
        "turn_held": False,
        "turn_reason": "",
    }


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"mode": "maybe"}, "obstacle_guard"),
        ({"mode": "on"}, "obstacle_guard"),  # YAML's boolean words are not modes
        ({"stop_m": 1.0, "slow_m": 0.5}, "obstacle_stop_m"),
        ({"stop_m": -0.1}, "obstacle_stop_m"),
        ({"slow_m": math.inf}, "obstacle_slow_m"),
        ({"turn_stop_m": -0.1}, "obstacle_turn_stop_m"),
        ({"turn_stop_m": math.nan}, "obstacle_turn_stop_m"),
        ({"hysteresis_m": -0.01}, "obstacle_hysteresis_m"),
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
    one, updated every tick, and the status says why motion is held."""
    cfg = load_loco_config(CONFIG_DIR / "go2.yaml")
    sup = Supervisor(cfg, has_policy=True)
    assert sup.obstacle.active and cfg.safety.obstacle.turn_stop_m == 0.43
    assert sup.update(T0, standing_state(cfg, T0), T0) == Mode.STAND_UP
    t = T0 + cfg.safety.stand_up_time_s
    assert sup.update(t, standing_state(cfg, t), t) == Mode.WALK
    sup.set_command(VelocityCommand(0.5, 0.0, 0.3, stamp=t))

    def tick(ahead: float | None, around: float = FREE) -> list[float]:
        if ahead is not None:
            sup.obstacle.set_clearance(ahead, around, t)
        sup.update(t, standing_state(cfg, t), t)
        return sup.effective_command().tolist()

    assert tick(None) == [0.0, 0.0, 0.0]  # nothing received yet: standing
    assert sup.status(t)["obstacle_guard"]["reason"] == "no clearance received yet"
    assert tick(0.75) == pytest.approx([0.5 * 0.2 / 0.4, 0.0, 0.3])
    assert tick(FREE) == [0.5, 0.0, 0.3]
    assert "forward motion released: the way is clear" in sup.pop_notes()
    assert tick(0.5, 0.5) == [0.0, 0.0, 0.3]  # a wall ahead: turning away is free
    assert sup.status(t)["obstacle_guard"]["holding"] is True
    assert "forward motion held: obstacle or drop 0.50 m ahead" in sup.pop_notes()
    assert tick(FREE, 0.4) == [0.5, 0.0, 0.0]  # a box beside: walking on is free
    assert sup.mode == Mode.WALK  # held, never damped: the robot keeps balancing

    blind = replace(cfg, observation=replace(cfg.observation, terms=("base_ang_vel",)))
    assert not Supervisor(blind, has_policy=True).obstacle.active
