"""The free distance ahead (heightmap_node.clearance) on synthetic scans in the base frame."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from heightmap_node.clearance import (
    ClearanceConfig,
    around_clearance,
    forward_clearance,
    points_in_base,
)
from heightmap_node.config import clearance_config_from_params, load_params_file
from heightmap_node.transforms import invert, level_matrix, make_transform, rpy_to_matrix

CONFIG_DIR = Path(__file__).resolve().parents[3] / "config"
CFG = ClearanceConfig(enabled=True)  # the Go2's numbers: floor -0.30, faces above 0.20 m
FLOOR = CFG.ground_z


def floor(x0: float = 0.0, x1: float = 2.0, z: float = FLOOR, n: int = 4000) -> np.ndarray:
    rng = np.random.default_rng(3)
    return np.column_stack([rng.uniform(x0, x1, n), rng.uniform(-0.5, 0.5, n), np.full(n, z)])


def face(x: float, height: float, y: tuple[float, float] = (-0.3, 0.3)) -> np.ndarray:
    """A vertical face at x from the floor up to `height` above it, and its top."""
    zs = np.linspace(FLOOR, FLOOR + height, 12)
    ys = np.linspace(*y, 9)
    front = np.array([[x, yy, z] for yy in ys for z in zs])
    top = np.array([[x + dx, yy, FLOOR + height] for yy in ys for dx in (0.05, 0.1, 0.15)])
    return np.concatenate([front, top])


def test_open_floor_is_free_and_a_wall_is_found_at_its_bin() -> None:
    assert forward_clearance(floor(), CFG) == math.inf
    # 0.82 m: the bin [0.80, 0.85) - the near edge is reported (never further than the face)
    got = forward_clearance(np.concatenate([floor(x1=0.82), face(0.82, 0.6)]), CFG)
    assert got == pytest.approx(0.80)


@pytest.mark.parametrize(
    ("height", "blocked"), [(0.08, False), (0.12, False), (0.18, False), (0.25, True), (0.45, True)]
)
def test_boxes_the_policy_climbs_pass_taller_ones_block(height: float, blocked: bool) -> None:
    pts = np.concatenate([floor(x1=1.02), face(1.02, height), floor(1.2, 2.0, FLOOR + height)])
    got = forward_clearance(pts, CFG)
    assert (got == pytest.approx(1.0)) if blocked else (got == math.inf)


def test_a_staircase_of_10_cm_steps_passes_though_it_rises_40_cm() -> None:
    parts = [floor(x1=0.6)]
    for k in range(4):  # 10 cm risers every 0.25 m
        x = 0.6 + 0.25 * k
        parts.append(face(x, 0.1 * (k + 1)))
        parts.append(floor(x, x + 0.25, FLOOR + 0.1 * (k + 1), n=500))
    assert forward_clearance(np.concatenate(parts), CFG) == math.inf


def test_overhead_points_are_ignored_and_a_face_right_at_the_nose_is_not() -> None:
    table = floor(0.5, 1.2, FLOOR + 0.7)  # a table top 0.7 m up: the Go2 walks under it
    assert forward_clearance(np.concatenate([floor(), table]), CFG) == math.inf
    # a wall at the corridor's start is compared with the floor under the feet, not with itself
    assert forward_clearance(face(0.31, 0.6), CFG) == pytest.approx(0.30)


def test_nothing_seen_is_nan_and_sparse_or_nan_points_decide_nothing() -> None:
    assert math.isnan(forward_clearance(np.empty((0, 3)), CFG))
    assert math.isnan(forward_clearance(floor(-1.0, 0.2), CFG))  # nothing in the corridor
    assert math.isnan(forward_clearance(np.array([[0.9, 0.0, FLOOR]]), CFG))  # 1 < min_points
    stray = np.array([[0.7, 0.0, 0.2], [np.nan, 0.0, 0.0], [0.8, np.inf, 0.0]])
    assert forward_clearance(np.concatenate([floor(), stray]), CFG) == math.inf
    # beside the corridor (|y| > half_width) a wall is not in the way
    assert forward_clearance(np.concatenate([floor(), face(0.8, 0.6, (0.3, 0.6))]), CFG) == (
        math.inf
    )


def test_a_ledge_ends_the_walk_at_the_last_floor_seen_before_it() -> None:
    # a 40 cm ledge at 0.9 m: the floor below is seen beyond the shadow of its edge
    below = floor(1.3, 2.0, FLOOR - 0.4)
    assert forward_clearance(np.concatenate([floor(x1=0.9), below]), CFG) == pytest.approx(0.90)
    # standing on the edge: only the floor below in the corridor - the ledge is at the nose
    assert forward_clearance(below, CFG) == pytest.approx(CFG.x_min)
    # a deep ledge: nothing is seen past 1.0 m, more than max_unseen_m short of x_max
    assert forward_clearance(floor(x1=1.0), CFG) == pytest.approx(1.0)
    # a scan that thins out near the corridor's end (0.25 m short: within max_unseen_m) is free
    assert forward_clearance(floor(x1=1.25), CFG) == math.inf
    assert forward_clearance(floor(x1=1.0), replace(CFG, max_unseen_m=0.6)) == math.inf


def test_a_10_cm_step_down_and_the_shadow_behind_a_block_pass() -> None:
    step_down = np.concatenate([floor(x1=0.8), floor(1.0, 2.0, FLOOR - 0.1)])
    assert forward_clearance(step_down, CFG) == math.inf
    block = np.concatenate([floor(x1=0.6), face(0.6, 0.12), floor(1.1, 2.0)])  # shadow 0.75-1.1
    assert forward_clearance(block, CFG) == math.inf
    # the same gap with the floor 25 cm lower after it is a ledge: the far edge of the block
    ledge = np.concatenate([floor(x1=0.6), face(0.6, 0.12), floor(1.1, 2.0, FLOOR - 0.25)])
    assert forward_clearance(ledge, CFG) == pytest.approx(0.80)


def test_points_in_base_applies_the_mount_and_the_levelling() -> None:
    mount = make_transform((0.29, 0.0, -0.06), rpy_to_matrix(0.0, math.radians(165.0), 0.0))
    base = np.concatenate([floor(), face(0.92, 0.5)])
    sensor = base @ invert(mount)[:3, :3].T + invert(mount)[:3, 3]
    # in float32, as clouds are decoded: well under a millimetre
    np.testing.assert_allclose(points_in_base(sensor, mount, None), base, atol=1e-5)
    level = level_matrix(0.0, 0.1)
    np.testing.assert_allclose(
        points_in_base(sensor, mount, (0.0, 0.1)), base @ level[:3, :3].T, atol=1e-5
    )
    assert forward_clearance(points_in_base(sensor, mount, None), CFG) == pytest.approx(0.9)


def ring(n: int = 3000, r: float = 1.0) -> np.ndarray:
    """Floor all around the robot out to r (outside its footprint too)."""
    rng = np.random.default_rng(4)
    return np.column_stack([rng.uniform(-r, r, n), rng.uniform(-r, r, n), np.full(n, FLOOR)])


def post(x: float, y: float, height: float = 0.4) -> np.ndarray:
    """A thin vertical post's points from the floor up to `height` above it."""
    return np.array([[x, y, FLOOR + h] for h in np.linspace(0.0, height, 9)])


def test_around_finds_the_nearest_obstacle_in_any_direction() -> None:
    assert around_clearance(ring(), CFG) == math.inf
    beside = np.concatenate([ring(), post(0.1, -0.40), post(-0.7, 0.0)])
    assert around_clearance(beside, CFG) == pytest.approx(math.hypot(0.1, 0.40))
    behind = np.concatenate([ring(), post(-0.5, 0.2)])
    assert around_clearance(behind, CFG) == pytest.approx(math.hypot(0.5, 0.2))


def test_around_ignores_low_blocks_overhead_points_and_the_robot_itself() -> None:
    low = post(0.0, 0.45, height=0.15)  # a 15 cm block: below step_height, the feet take it
    table = np.array([[0.0, 0.45, FLOOR + 0.7], [0.1, 0.45, FLOOR + 0.7]])  # passes over
    own = np.array([[0.3, 0.1, FLOOR + 0.35], [-0.3, -0.1, FLOOR + 0.4]])  # its own body
    stray = np.array([[0.0, -0.45, FLOOR + 0.3]])  # one return: min_points is 2
    far = post(0.0, 1.2)  # beyond around_max
    pts = np.concatenate([ring(), low, table, own, stray, far])
    assert around_clearance(pts, CFG) == math.inf


def test_around_is_unknown_without_points_near_the_robot() -> None:
    assert math.isnan(around_clearance(np.empty((0, 3)), CFG))
    assert math.isnan(around_clearance(floor(2.0, 3.0), CFG))  # all beyond around_max
    own = np.array([[0.1, 0.0, FLOOR], [0.2, 0.1, FLOOR], [-0.2, 0.0, FLOOR]])
    assert math.isnan(around_clearance(own, CFG))  # inside the footprint only


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("step_height", 0.0),
        ("overhead", 0.1),  # not above step_height
        ("half_width", -0.1),
        ("x_min", -0.1),
        ("x_max", 0.2),  # below x_min
        ("bin_m", 0.0),
        ("min_points", 0),
        ("ground_z", math.nan),
        ("body_half_length", 0.0),
        ("body_half_width", math.inf),
        ("around_max", -1.0),
        ("drop_height", 0.0),
        ("max_unseen_m", math.nan),
    ],
)
def test_bad_settings_are_refused_with_their_name(field: str, value: float) -> None:
    with pytest.raises(ValueError, match=field):
        ClearanceConfig(**{field: value})


def test_go2_config_enables_it_with_its_own_numbers() -> None:
    cfg = clearance_config_from_params(load_params_file(CONFIG_DIR / "go2.yaml"))
    assert cfg.enabled and cfg.step_height == 0.20 and cfg.ground_z == -0.30
    assert cfg.body_half_length == 0.38 and cfg.around_max == 1.0
    assert not clearance_config_from_params(load_params_file(CONFIG_DIR / "h1.yaml")).enabled
