"""Training height maps: the footprint lattice and the batched builder give the maps a plain
per-robot build over the wide square of terrain points gives (the simple, obviously-right way,
and the Isaac Lab ray pattern's)."""

from __future__ import annotations

import numpy as np

from heightmap_node.builder import build_height_map
from navila_loco_node.observation import rotate_inverse_batch
from navila_loco_train.heightmap import SCAN_HALF_M, SCAN_SPACING_M, HeightMapSampler
from navila_loco_train.task_spec import TerrainSpec
from navila_loco_train.terrain import make_terrain

from .conftest import CONFIG_DIR


def square_lattice_maps(hm: HeightMapSampler, terrain, pos, quat, spacing, half):
    k = np.arange(np.floor(-half / spacing), np.ceil(half / spacing) + 1) * spacing
    gx, gy = np.meshgrid(k, k, indexing="ij")
    out = []
    for p, q in zip(pos, quat, strict=True):
        yaw = np.arctan2(2 * (q[0] * q[3] + q[1] * q[2]), 1 - 2 * (q[2] ** 2 + q[3] ** 2))
        c, s = np.cos(yaw), np.sin(yaw)
        wx = p[0] + c * gx.ravel() - s * gy.ravel()
        wy = p[1] + s * gx.ravel() + c * gy.ravel()
        world = np.stack([wx, wy, terrain.height_at(wx, wy)], axis=1) - p
        base = rotate_inverse_batch(q[None, :], world)
        a = hm.base_to_grid
        out.append(build_height_map((base @ a[:3, :3].T + a[:3, 3]).astype(np.float32), hm.cfg))
    return np.stack(out)


def test_footprint_lattice_gives_the_wide_square_maps() -> None:
    terrain = make_terrain(TerrainSpec(types=("steps", "boxes"), levels=3, tile_m=4.0), seed=3)
    hm = HeightMapSampler(CONFIG_DIR / "go2.yaml")
    rng = np.random.default_rng(0)
    n = 24
    xy = rng.uniform(1.0, 7.0, size=(n, 2))
    pos = np.column_stack([xy, terrain.height_at(xy[:, 0], xy[:, 1]) + rng.uniform(0.25, 0.4, n)])
    # headings all round, body tilted up to ~10 degrees
    yaw = rng.uniform(-np.pi, np.pi, n)
    roll, pitch = rng.uniform(-0.17, 0.17, (2, n))
    cy, sy, cr, sr, cp, sp = (f(a / 2) for a in (yaw, roll, pitch) for f in (np.cos, np.sin))
    quat = np.column_stack(
        [cr * cp * cy + sr * sp * sy, sr * cp * cy - cr * sp * sy,
         cr * sp * cy + sr * cp * sy, cr * cp * sy - sr * sp * cy]
    )  # fmt: skip
    got = hm.sample(terrain, pos, quat)
    want = square_lattice_maps(hm, terrain, pos, quat, SCAN_SPACING_M, SCAN_HALF_M)
    assert got.shape == (n, 459) and np.mean(got > 0) > 0.9  # the ground is seen everywhere
    np.testing.assert_allclose(got, want, atol=2e-6)  # float32 vs float64 point arithmetic
