"""The height-map core: exactness against references, geometry, history, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from heightmap_node.builder import (
    BuilderConfig,
    HeightMapBuilder,
    MapConfig,
    apply_values,
    build_height_map,
    build_height_maps,
    go2_map_config,
    h1_map_config,
    max_filter_3x3,
    single_frame_map,
)
from heightmap_node.grid import GO2_GRID, H1_GRID, GridSpec
from heightmap_node.reference import bruteforce_cells, simple_map
from heightmap_node.transforms import (
    attitude_from_quat,
    invert,
    make_transform,
    planar_transform,
    pose_transform,
    rpy_to_matrix,
)

CONFIGS = {
    "go2": go2_map_config(),
    "h1": h1_map_config(),
    "go2_mean": go2_map_config(reduction="mean"),
    "go2_highest_temporalfree": go2_map_config(reduction="highest", max_filter=False),
    "h1_lowest_clip": h1_map_config(reduction="lowest", clip=(-0.2, 0.3)),
}


def random_cloud(rng: np.random.Generator, n: int) -> np.ndarray:
    pts = rng.uniform([-1.2, -1.2, -0.5], [1.2, 1.2, 1.5], (n, 3)).astype(np.float32)
    # points exactly on cell edges and centres, where an off-by-one would hide
    k = rng.integers(0, 28, n // 4)
    pts[: n // 4, 0] = (-0.8 + k * 0.06).astype(np.float32)
    pts[n // 4 : n // 2, 1] = (-0.5 + rng.integers(0, 12, n // 2 - n // 4) * 0.1 - 0.05).astype(
        np.float32
    )
    return pts


@pytest.mark.parametrize("name", sorted(CONFIGS))
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fast_path_equals_bruteforce(name: str, seed: int) -> None:
    cfg = CONFIGS[name]
    pts = random_cloud(np.random.default_rng(seed), 3000)
    fast = single_frame_map(pts, cfg)
    ref = apply_values(bruteforce_cells(pts, cfg), cfg)
    if cfg.reduction == "mean":
        np.testing.assert_allclose(fast, ref, rtol=1e-12, atol=1e-12)
        assert np.array_equal(np.isnan(fast), np.isnan(ref))
    else:
        np.testing.assert_array_equal(fast, ref)  # exact, NaN (unknown) in the same cells
    np.testing.assert_array_equal(build_height_map(pts, cfg), simple_map(pts, cfg))


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_batched_maps_equal_one_map_at_a_time(name: str) -> None:
    """build_height_maps (training: a map per robot per step) is build_height_map per map."""
    cfg = CONFIGS[name]
    rng = np.random.default_rng(7)
    clouds = np.stack([random_cloud(rng, 2000) for _ in range(6)])
    clouds[1, :40] = np.nan
    clouds[2, :40, 2] = np.inf
    clouds[4] = np.nan  # nothing seen: the empty map
    batch = build_height_maps(clouds, cfg)
    assert batch.shape == (6, cfg.grid.size) and batch.dtype == np.float32
    one_by_one = np.stack([build_height_map(c, cfg) for c in clouds])
    np.testing.assert_array_equal(batch, one_by_one)
    np.testing.assert_array_equal(batch[4], np.full(cfg.grid.size, cfg.empty_value, np.float32))
    with pytest.raises(ValueError, match="B x P x 3"):
        build_height_maps(clouds[0], cfg)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    st.lists(
        st.tuples(
            st.floats(-1.0, 1.0, width=32),
            st.floats(-1.0, 1.0, width=32),
            st.floats(-0.25, 5.5, width=32),
        ),
        max_size=60,
    ),
    st.sampled_from(sorted(CONFIGS)),
)
def test_fast_path_equals_bruteforce_property(points: list, name: str) -> None:
    cfg = CONFIGS[name]
    pts = np.array(points, dtype=np.float32).reshape(-1, 3)
    fast = single_frame_map(pts, cfg)
    ref = apply_values(bruteforce_cells(pts, cfg), cfg)
    np.testing.assert_allclose(fast, ref, rtol=1e-12, atol=0)
    assert np.array_equal(np.isnan(fast), np.isnan(ref))


def legged_loco_formula(points: np.ndarray) -> np.ndarray:
    """legged-loco's Go2 height_map_lidar, written out from its published description (torch)."""
    import torch  # the training framework's formula (a declared requirement)
    import torch.nn.functional as F  # noqa: N812

    p = torch.from_numpy(points)
    x_bins = torch.arange(-0.8, 0.2 + 1e-9, 0.06)
    y_bins = torch.arange(-0.8, 0.8 + 1e-9, 0.06)
    x, y, z = p.unbind(-1)
    valid = (x > -0.8) & (x <= 0.2 + 1e-9) & (y > -0.8) & (y <= 0.8 + 1e-9) & (z >= 0) & (z <= 5)
    xi = torch.bucketize(x[valid], x_bins) - 1
    yi = torch.bucketize(y[valid], y_bins) - 1
    flat = torch.full((len(x_bins) * len(y_bins),), float("inf"))
    flat = flat.scatter_reduce(0, xi * len(y_bins) + yi, z[valid], reduce="amin")
    flat = torch.where(flat < 0.05, torch.zeros_like(flat), flat)
    flat = torch.where(torch.isinf(flat), torch.zeros_like(flat), flat)
    pooled = F.max_pool2d(flat.view(1, 1, len(x_bins), len(y_bins)), 3, stride=1, padding=1)
    return pooled.reshape(-1).numpy()


@pytest.mark.parametrize("seed", [3, 4, 5])
def test_go2_preset_reproduces_legged_loco(seed: int) -> None:
    rng = np.random.default_rng(seed)
    # a LiDAR-frame cloud: depth 0..0.6 below the sensor, some boxes, some out-of-range points
    pts = rng.uniform([-1.0, -1.0, -0.2], [0.4, 1.0, 0.6], (4000, 3)).astype(np.float32)
    pts[::7, 2] = rng.uniform(0.0, 0.04, pts[::7].shape[0])  # < 0.05 -> 0 path
    expected = legged_loco_formula(pts)
    assert expected.shape == (459,)
    np.testing.assert_array_equal(build_height_map(pts, go2_map_config()), expected)


# ------------------------------------------------------------------------------ geometry
def floor(z: float, spacing: float = 0.01, extent: float = 1.5) -> np.ndarray:
    g = -extent + (np.arange(round(2 * extent / spacing)) + 0.5) * spacing
    xs, ys = np.meshgrid(g, g, indexing="ij")
    return np.stack([xs.ravel(), ys.ravel(), np.full(xs.size, z)], axis=1).astype(np.float32)


def box(
    x0: float, x1: float, y0: float, y1: float, top: float, spacing: float = 0.01
) -> np.ndarray:
    def samples(lo: float, hi: float) -> np.ndarray:
        n = round((hi - lo) / spacing)  # np.arange's float length is off by one at times
        return lo + (np.arange(n) + 0.5) * spacing

    xs, ys = np.meshgrid(samples(x0, x1), samples(y0, y1), indexing="ij")
    return np.stack([xs.ravel(), ys.ravel(), np.full(xs.size, top)], axis=1).astype(np.float32)


def test_h1_flat_floor_box_step_and_wall() -> None:
    cfg = h1_map_config()
    base_h = 1.05  # torso above the floor; grid frame = levelled base frame
    np.testing.assert_allclose(build_height_map(floor(-base_h), cfg), 0.55, atol=1e-6)

    # a 0.3 m box covering cells ix 10..12 (x 0.15..0.45), iy 4..6 (y -0.15..0.15)
    cloud = np.concatenate([floor(-base_h), box(0.15, 0.45, -0.15, 0.15, -base_h + 0.3)])
    vals = H1_GRID.unflatten(build_height_map(cloud, cfg))
    expected = np.full((17, 11), 0.55)
    expected[10:13, 4:7] = 0.25
    np.testing.assert_allclose(vals, expected, atol=1e-6)

    # a step up of 0.2 m for x >= 0.25 (cells ix >= 11): a straight edge across the map
    step = np.concatenate([floor(-base_h), box(0.25, 1.5, -1.5, 1.5, -base_h + 0.2)])
    vals = H1_GRID.unflatten(build_height_map(step, cfg))
    np.testing.assert_allclose(vals[:11], 0.55, atol=1e-6)
    np.testing.assert_allclose(vals[11:], 0.35, atol=1e-6)

    # a tall wall outside the grid changes nothing; clipping bounds a huge obstacle at -1
    wall = box(1.0, 1.1, -1.5, 1.5, 2.0)
    np.testing.assert_array_equal(
        build_height_map(np.concatenate([floor(-base_h), wall]), cfg),
        build_height_map(floor(-base_h), cfg),
    )
    pillar = np.concatenate([floor(-base_h), box(-0.05, 0.05, -0.05, 0.05, 1.0)])
    vals = H1_GRID.unflatten(build_height_map(pillar, cfg))
    assert vals[8, 5] == -1.0 and np.sum(np.abs(vals - 0.55) > 1e-6) == 1


def test_go2_box_cells_and_max_filter() -> None:
    cfg = go2_map_config()
    depth = 0.32  # floor depth below the LiDAR (grid z points down)
    assert np.all(build_height_map(floor(depth), cfg) == np.float32(depth))
    # a box top 0.2 below the LiDAR exactly covering cells ix 5..9, iy 10..14
    x0, y0 = -0.8 + 5 * 0.06, -0.8 + 10 * 0.06
    cloud = np.concatenate([floor(depth), box(x0 + 0.001, x0 + 0.299, y0 + 0.001, y0 + 0.299, 0.2)])
    no_filter = GO2_GRID.unflatten(build_height_map(cloud, go2_map_config(max_filter=False)))
    expected = np.full((17, 27), np.float32(depth))
    expected[5:10, 10:15] = np.float32(0.2)
    np.testing.assert_array_equal(no_filter, expected)
    # the 3x3 max (larger depth wins) erodes the box by one cell on each side
    filtered = GO2_GRID.unflatten(build_height_map(cloud, cfg))
    eroded = np.full((17, 27), np.float32(depth))
    eroded[6:9, 11:14] = np.float32(0.2)
    np.testing.assert_array_equal(filtered, eroded)


def test_max_filter_borders_and_unknown() -> None:
    cells = np.full((4, 5), np.nan)
    cells[0, 0] = 1.0
    cells[3, 4] = 2.0
    out = max_filter_3x3(cells)
    assert out[1, 1] == 1.0 and out[2, 3] == 2.0 and out[0, 0] == 1.0
    assert np.isnan(out[0, 4]) and np.isnan(out[3, 0])


# ------------------------------------------------------------------------- frames & builder
def test_nan_inf_points_dropped_and_empty_cloud_unknown() -> None:
    b = HeightMapBuilder(BuilderConfig(map=go2_map_config()))
    pts = floor(0.3)
    bad = np.array([[np.nan, 0, 0.3], [0, np.inf, 0.3], [0, 0, np.nan], [-0.5, 0, -np.inf]])
    b.add_scan(np.concatenate([pts, bad.astype(np.float32)]), stamp=1.0)
    hm = b.build()
    assert hm.valid and np.all(hm.values == np.float32(0.3)) and not hm.warnings

    b.add_scan(np.empty((0, 3), np.float32), stamp=2.0)
    hm = b.build()
    assert not hm.valid and not hm.known.any()
    assert np.all(hm.flat == 0.0)  # filled with empty_value, flagged by `valid`/`known`
    assert any("empty point cloud" in w for w in hm.warnings)

    b.add_scan(np.array([[5.0, 5.0, 0.3]], np.float32), stamp=3.0)
    assert any("no point fell inside" in w for w in b.build().warnings)


def test_extrinsics_and_grid_frame() -> None:
    # sensor 0.5 m above the base, rotated 90 deg in yaw: sensor +x is base +y
    e = make_transform((0.0, 0.0, 0.5), rpy_to_matrix(0.0, 0.0, math.pi / 2))
    cfg = BuilderConfig(map=h1_map_config(empty_value=9.0, clip=None), sensor_to_base=e)
    b = HeightMapBuilder(cfg)
    # a point 0.3 m ahead of the sensor along its x, 1.2 m below it -> base (0, 0.3, -0.7)
    b.add_scan(np.array([[0.3, 0.0, -1.2]], np.float32), stamp=0.0)
    vals = b.build().values
    ix, iy = 8, 8  # x = 0.0, y = 0.3
    assert vals[ix, iy] == pytest.approx(0.7 - 0.5, abs=1e-6)
    assert np.sum(vals != 9.0) == 1


def test_gravity_alignment_levels_a_pitched_floor() -> None:
    pitch = 0.2
    # the base is pitched nose-down by `pitch`: the level floor 1.0 m below appears tilted
    tilt = rpy_to_matrix(0.0, pitch, 0.0)
    pts_base = (floor(-1.0, spacing=0.02) @ tilt).astype(np.float32)  # R^T p: world -> base
    cfg = BuilderConfig(map=h1_map_config(), gravity_align=True)
    b = HeightMapBuilder(cfg)
    b.add_scan(pts_base, stamp=0.0)
    assert any("no attitude" in w for w in b.build().warnings)
    tilted = b.build().flat
    assert np.ptp(tilted) > 0.2  # without attitude, the floor looks like a slope
    b.set_attitude(0.0, pitch)
    hm = b.build()
    assert not hm.warnings
    np.testing.assert_allclose(hm.flat, 0.5, atol=1e-5)  # 1.0 - 0.5 everywhere


def two_halves() -> tuple[np.ndarray, np.ndarray]:
    f = floor(0.3)
    return f[f[:, 1] < 0], f[f[:, 1] >= 0]


def test_scan_accumulation_window() -> None:
    left, right = two_halves()
    cfg = go2_map_config(max_filter=False)
    only_last = HeightMapBuilder(BuilderConfig(map=cfg))
    merged = HeightMapBuilder(
        BuilderConfig(map=cfg, accumulate_window_s=0.25, accumulate_max_scans=3)
    )
    for b in (only_last, merged):
        b.add_scan(left, stamp=10.0)
        b.add_scan(right, stamp=10.1)
    assert 0 < only_last.build().known.sum() < GO2_GRID.size
    hm = merged.build()
    assert hm.known.all() and hm.scans == 2
    # a scan older than the window is dropped
    merged.add_scan(right, stamp=10.3)
    assert merged.build().scans == 2  # 10.1 and 10.3; 10.0 fell out


def test_accumulated_scans_are_moved_by_odometry() -> None:
    cfg = BuilderConfig(
        map=h1_map_config(empty_value=9.0, clip=None),
        accumulate_window_s=1.0,
        accumulate_max_scans=2,
    )
    b = HeightMapBuilder(cfg)
    point = np.array([[0.4, 0.0, -1.0]], np.float32)
    b.add_scan(point, stamp=0.0, pose=planar_transform(0.0, 0.0, 0.0))
    # the robot moved 0.2 m forward: the same world point is now 0.2 m ahead, seen again
    b.add_scan(point - [0.2, 0, 0], stamp=0.1, pose=planar_transform(0.2, 0.0, 0.0))
    vals = b.build().values
    assert np.sum(vals != 9.0) == 1 and vals[10, 5] == pytest.approx(0.5)  # x = 0.2


def test_temporal_max_shifted_by_odometry() -> None:
    cfg = go2_map_config(max_filter=False, temporal_frames=3)
    # grid frame = base frame here, to make the shift easy to state
    b = HeightMapBuilder(BuilderConfig(map=cfg))
    f = floor(0.3)
    # a deeper hole (depth 0.5) in cell ix 8, iy 13 at pose x = 0
    hole_center = (-0.8 + 8.5 * 0.06, -0.8 + 13.5 * 0.06)
    in_hole = (np.abs(f[:, 0] - hole_center[0]) < 0.03) & (np.abs(f[:, 1] - hole_center[1]) < 0.03)
    f1 = f.copy()
    f1[in_hole, 2] = 0.5
    b.add_scan(f1, stamp=0.0, pose=planar_transform(0.0, 0.0, 0.0))
    first = b.build().values
    assert first[8, 13] == np.float32(0.5)
    # the robot moves 2 cells (0.12 m) forward and now sees only flat floor (hole occluded)
    b.add_scan(f, stamp=0.1, pose=planar_transform(0.12, 0.0, 0.0))
    second = b.build().values
    assert second[6, 13] == np.float32(0.5)  # the hole kept, 2 cells further back
    assert np.sum(second != np.float32(0.3)) == 1
    # without odometry, history is not shifted
    b2 = HeightMapBuilder(BuilderConfig(map=cfg))
    b2.add_scan(f1, stamp=0.0)
    b2.build()
    b2.add_scan(f, stamp=0.1)
    assert b2.build().values[8, 13] == np.float32(0.5)


def test_temporal_history_is_bounded() -> None:
    b = HeightMapBuilder(BuilderConfig(map=go2_map_config(max_filter=False, temporal_frames=2)))
    b.add_scan(floor(0.5), stamp=0.0)
    assert np.all(b.build().values == np.float32(0.5))
    for t in (0.1, 0.2):
        b.add_scan(floor(0.3), stamp=t)
        vals = b.build().values
    assert np.all(vals == np.float32(0.3))  # the 0.5 map is more than K = 2 frames old


def test_staleness() -> None:
    b = HeightMapBuilder(BuilderConfig(stale_after_s=0.5))
    assert b.is_stale(0.0)  # nothing received yet
    b.add_scan(floor(0.3), stamp=10.0)
    assert not b.is_stale(10.4) and b.is_stale(10.6)


def test_bad_scans_and_configs_are_refused() -> None:
    b = HeightMapBuilder(BuilderConfig(max_points=10))
    with pytest.raises(ValueError, match="N x 3"):
        b.add_scan(np.zeros((5, 2), np.float32), stamp=0.0)
    with pytest.raises(ValueError, match="max_points"):
        b.add_scan(np.zeros((11, 3), np.float32), stamp=0.0)
    with pytest.raises(ValueError, match="stamp"):
        b.add_scan(np.zeros((1, 3), np.float32), stamp=math.nan)
    with pytest.raises(ValueError, match="attitude"):
        b.set_attitude(math.nan, 0.0)
    with pytest.raises(ValueError, match="reduction"):
        MapConfig(reduction="median")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="z range"):
        MapConfig(z_min=1.0, z_max=0.0)
    with pytest.raises(ValueError, match="temporal_frames"):
        MapConfig(temporal_frames=0)
    with pytest.raises(ValueError, match="quaternion"):
        pose_transform((0, 0, 0), (0, 0, 0, 0))
    with pytest.raises(ValueError, match="4x4"):
        BuilderConfig(sensor_to_base=np.eye(3))


def test_transform_helpers() -> None:
    t = pose_transform((1.0, 2.0, 3.0), (math.cos(0.3), 0.0, 0.0, math.sin(0.3)))
    np.testing.assert_allclose(invert(t) @ t, np.eye(4), atol=1e-12)
    np.testing.assert_allclose(t[:3, :3], rpy_to_matrix(0, 0, 0.6), atol=1e-12)
    assert GridSpec(-1, 1, -1, 1, 0.5).size == 5 * 5


def test_attitude_from_quat_ignores_yaw() -> None:
    """An IMU's (roll, pitch) for levelling, whatever its heading (ZYX: yaw applied last)."""
    for yaw in (0.0, 1.2, -2.9):
        rot = rpy_to_matrix(0.1, -0.2, yaw)
        w = math.sqrt(max(0.0, 1.0 + np.trace(rot))) / 2.0
        x = (rot[2, 1] - rot[1, 2]) / (4.0 * w)
        y = (rot[0, 2] - rot[2, 0]) / (4.0 * w)
        z = (rot[1, 0] - rot[0, 1]) / (4.0 * w)
        np.testing.assert_allclose(attitude_from_quat((w, x, y, z)), (0.1, -0.2), atol=1e-12)
