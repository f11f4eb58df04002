"""The curriculum terrain: determinism, flat spawn squares, difficulty growth, and that
`height_at` is the surface MuJoCo collides with (vertical rays onto the compiled height field)."""

from __future__ import annotations

import numpy as np
import pytest

from navila_loco_train.model import build_train_model
from navila_loco_train.task_spec import TerrainSpec
from navila_loco_train.terrain import SPAWN_HALF_M, make_terrain
from navila_sim.mujoco_gl import mujoco
from navila_sim.robot import load_robot

from .conftest import SMALL_TERRAIN, blind_config


def test_terrain_is_deterministic_and_spawn_squares_are_flat() -> None:
    spec = TerrainSpec(levels=3, tile_m=4.0)
    a, b = make_terrain(spec, seed=3), make_terrain(spec, seed=3)
    np.testing.assert_array_equal(a.heights, b.heights)
    assert not np.array_equal(a.heights, make_terrain(spec, seed=4).heights)
    levels, types = np.meshgrid(np.arange(3), np.arange(len(spec.types)), indexing="ij")
    centers = a.tile_center(levels.ravel(), types.ravel())
    k = np.linspace(-SPAWN_HALF_M * 0.9, SPAWN_HALF_M * 0.9, 7)
    for cx, cy in centers:
        h = a.height_at(cx + k[:, None], cy + k[None, :])
        assert np.ptp(h) < 1e-9, "spawn square is not flat"


def test_difficulty_grows_with_level() -> None:
    spec = TerrainSpec(types=("rough", "steps"), levels=4, tile_m=4.0)
    t = make_terrain(spec, seed=0)
    n = int(spec.tile_m / spec.resolution_m)
    spread = [
        [np.ptp(t.heights[ty * n : (ty + 1) * n, lv * n : (lv + 1) * n]) for lv in range(4)]
        for ty in range(2)
    ]
    for row in spread:
        assert all(row[i] < row[i + 1] for i in range(3)), spread
    assert spread[1][3] > 0.1  # steps of 12 cm at the hardest level, several of them


def test_steps_walk_down_from_the_spawn_and_steps_up_climb() -> None:
    spec = TerrainSpec(types=("steps", "steps_up"), levels=2, tile_m=4.0)
    t = make_terrain(spec, seed=0)
    cx, cy = t.tile_center(np.array([1, 1]), np.array([0, 1])).T
    out = np.arange(0.0, 1.9, 0.1)  # walking +x from the tile centre
    down = t.height_at(cx[0] + out, np.full_like(out, cy[0]))
    up = t.height_at(cx[1] + out, np.full_like(out, cy[1]))
    assert np.all(np.diff(down) <= 0) and np.all(np.diff(up) >= 0)
    np.testing.assert_allclose(up - up[0], -(down - down[0]))  # the same pyramid, as a pit
    assert up[-1] - up[0] > 0.3  # several 12 cm steps to climb at the top level


def test_a_finer_grid_keeps_the_steps_and_only_sharpens_their_edges() -> None:
    """go2_vision_finetune_sharp's 2 cm grid: the same treads and rises as the 5 cm default, with
    each rise inside one grid cell (a 2 cm wide ramp instead of 5 cm: near the vertical faces of
    the evaluation's platforms)."""
    coarse = make_terrain(TerrainSpec(types=("steps_up",), levels=2, tile_m=4.0), seed=0)
    fine = make_terrain(
        TerrainSpec(types=("steps_up",), levels=2, tile_m=4.0, resolution_m=0.02), seed=0
    )
    cx, cy = coarse.tile_center(np.array([1]), np.array([0]))[0]
    treads = SPAWN_HALF_M + 0.2 + 0.4 * np.arange(3)  # mid-tread distances from the centre
    np.testing.assert_allclose(
        fine.height_at(cx + treads, np.full(3, cy)), coarse.height_at(cx + treads, np.full(3, cy))
    )
    for t in (coarse, fine):
        x = cx + np.arange(SPAWN_HALF_M + 0.3, SPAWN_HALF_M + 0.5, 5e-4)  # across the 1st edge
        h = t.height_at(x, np.full_like(x, cy))
        rise = h.max() - h.min()
        assert rise > 0.1
        ramp = np.ptp(x[(h > h.min() + 1e-6) & (h < h.max() - 1e-6)])
        assert ramp == pytest.approx(t.resolution, abs=1.5e-3)


def test_height_at_matches_the_compiled_height_field() -> None:
    terrain = make_terrain(SMALL_TERRAIN, seed=1)
    tm = build_train_model(
        load_robot("go2"), blind_config(), terrain, ["*_foot"], ["*_thigh"], 0.005
    )
    m, d = tm.model, mujoco.MjData(tm.model)
    mujoco.mj_forward(m, d)
    rng = np.random.default_rng(0)
    res = terrain.resolution
    # At the vertices both surfaces are the vertex heights (between vertices MuJoCo uses two
    # triangles per cell, we interpolate bilinearly: the same on flat cells, not on edges).
    ij = rng.integers(4, int(7.8 / res), size=(200, 2))
    group = np.array([1, 0, 0, 0, 0, 0], dtype=np.uint8)
    geomid = np.zeros(1, dtype=np.int32)
    for i, j in ij:
        x, y = i * res + 1e-7, j * res + 1e-7
        dist = mujoco.mj_ray(
            m, d, np.array([x, y, 5.0]), np.array([0, 0, -1.0]), group, 1, -1, geomid
        )
        assert dist > 0
        assert abs((5.0 - dist) - terrain.height_at(x, y)) < 2e-3, (x, y)


def _edge_angles_deg(tile: np.ndarray) -> np.ndarray:
    """Edge directions modulo 90 deg (0 = along the grid) where a tile's height changes: the
    gradient of the tile smoothed over 7 x 7 cells, so a rotated edge's staircase of grid cells
    reads as the straight edge it draws."""
    k = 7
    c = np.cumsum(np.cumsum(np.pad(tile, ((1, 0), (1, 0))), 0), 1)
    blur = (c[k:, k:] - c[:-k, k:] - c[k:, :-k] + c[:-k, :-k]) / k**2
    gy, gx = np.gradient(blur)
    mag = np.hypot(gx, gy)
    edges = mag > 0.2 * mag.max()
    return np.degrees(np.arctan2(gy[edges], gx[edges])) % 90.0


def test_rubble_is_low_rotated_blocks_up_from_a_flat_floor() -> None:
    """Rubble (go2_vision_finetune_rubble): blocks only up, half to full the level's box height,
    covering part of the floor (the robot stands on both), edges at all angles - unlike boxes,
    whose edges follow the grid and which go up or down."""
    # A 20-70 deg band modulo 90 holds 5/9 of the edges of blocks at uniform yaws.
    spec = TerrainSpec(types=("boxes", "rubble"), levels=10, tile_m=8.0, resolution_m=0.02)
    t = make_terrain(spec, seed=2)
    n = round(spec.tile_m / spec.resolution_m)
    tile = {
        kind: t.heights[i * n : (i + 1) * n, 9 * n : 10 * n] for i, kind in enumerate(spec.types)
    }
    rubble, boxes = tile["rubble"], tile["boxes"]
    top = spec.box_height_m[1]
    raised = rubble[rubble > 1e-9]
    assert rubble.min() == 0.0 and raised.min() >= 0.5 * top - 1e-12 and raised.max() <= top
    assert 0.25 < raised.size / rubble.size < 0.65  # floor and blocks, side by side
    assert boxes.min() < -0.5 * top  # boxes also sink; rubble never does
    oblique = lambda a: np.mean((a > 20.0) & (a < 70.0))  # noqa: E731
    assert oblique(_edge_angles_deg(rubble)) > 0.35  # 0.48-0.60 over seeds 0-3
    assert oblique(_edge_angles_deg(boxes)) < 0.2  # 0.11-0.12: box corners only
    # Lower levels: lower blocks, the same kind of ground.
    easy = t.heights[n : 2 * n, 2 * n : 3 * n]
    assert easy.max() <= spec.box_height_m[0] + (top - spec.box_height_m[0]) * 2 / 9 + 1e-12


def test_pillars_are_tall_walls_whose_number_grows_with_the_level() -> None:
    """Pillars (go2_vision_finetune_pillars): 25-45 cm blocks standing on a flat floor - taller
    than any box or step the configs climb - more of them at higher levels, and none on the spawn
    square, so every robot starts on the floor."""
    from navila_loco_train.terrain import PILLAR_HEIGHT_M, SPAWN_HALF_M

    spec = TerrainSpec(types=("flat", "pillars"), levels=10, tile_m=8.0, resolution_m=0.02)
    t = make_terrain(spec, seed=3)
    n = round(spec.tile_m / spec.resolution_m)
    tiles = [t.heights[n : 2 * n, level * n : (level + 1) * n] for level in range(10)]
    for tile in tiles:
        raised = tile[tile > 1e-9]
        assert tile.min() == 0.0  # a floor, nothing sunk
        assert raised.min() >= PILLAR_HEIGHT_M[0] - 1e-12
        assert raised.max() <= PILLAR_HEIGHT_M[1] + 1e-12
        assert raised.min() > spec.box_height_m[1] and raised.min() > spec.step_height_m[1]
        c, r = n // 2, round(SPAWN_HALF_M / spec.resolution_m)
        assert np.all(tile[c - r : c + r + 1, c - r : c + r + 1] == 0.0)  # spawn square clear
    covered = [np.mean(tile > 1e-9) for tile in tiles]
    assert 0.0 < covered[0] < covered[4] < covered[9] < 0.15  # walls among open floor
    assert covered[9] > 0.03
    with pytest.raises(ValueError, match="pillars need tiles wider than"):
        make_terrain(TerrainSpec(types=("pillars",), levels=2, tile_m=1.6, resolution_m=0.02))
