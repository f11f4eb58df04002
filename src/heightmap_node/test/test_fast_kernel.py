"""The compiled kernel (numba) gives bit-identical maps to the NumPy path, in every configuration.

Equality is tested bit for bit (float arrays compared as integers), not to a tolerance: the two
implementations of steps 1-3 must be interchangeable (``BuilderConfig.kernel``). numba is a
declared requirement, so these tests run everywhere the workspace is installed.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from heightmap_node import fast_kernel
from heightmap_node.builder import (
    BuilderConfig,
    HeightMap,
    HeightMapBuilder,
    MapConfig,
    _cull_bounds,
    cell_indices_xyz,
    effective_affine,
    go2_map_config,
    grid_candidates,
    h1_map_config,
    reduce_cells,
)
from heightmap_node.grid import GridSpec
from heightmap_node.transforms import make_transform, planar_transform, rpy_to_matrix

CONFIGS = {
    "go2": go2_map_config(),
    "h1": h1_map_config(),
    "go2_mean": go2_map_config(reduction="mean"),
    "go2_highest": go2_map_config(reduction="highest", max_filter=False),
    "h1_lowest": h1_map_config(reduction="lowest", clip=(-0.2, 0.3)),
    "h1_mean_zrange": h1_map_config(reduction="mean", z_min=-0.3, z_max=0.7),
    # raw z out (no offset, no zero_below, no filter): the sign of a zero reaches the map
    "go2_raw": go2_map_config(zero_below=None, max_filter=False),
    # an odd grid far from the origin: edges where float rounding is not kind
    "far_left_open": MapConfig(
        grid=GridSpec(x_lo=100.3, x_hi=101.07, y_lo=-7.7, y_hi=-6.93, resolution=0.07),
        z_min=-0.5,
        z_max=0.5,
    ),
    "far_centered": MapConfig(
        grid=GridSpec(
            x_lo=-33.3, x_hi=-32.2, y_lo=2.1, y_hi=3.2, resolution=0.11, cell_mode="centered"
        ),
        reduction="highest",
    ),
}

AFFINES = {
    "none": None,
    "identity": np.eye(4),  # skipped as the identity by both paths
    "gravity": make_transform((0.02, -0.01, 0.45), rpy_to_matrix(0.02, 0.05, 0.0)),
    "yaw_only": make_transform(rotation=rpy_to_matrix(0.0, 0.0, 0.7)),  # no translation
    "rot90_exact": make_transform((0.25, -0.5, 0.125), rpy_to_matrix(0.0, 0.0, math.pi / 2)),
    # float64 translation != 0 that is 0 in float32 (skipped: within 1e-12 of the identity)
    "tiny_translation": make_transform((1e-50, 0.0, 1e-50)),
}


def bits(a: np.ndarray) -> np.ndarray:
    """The array's bytes as unsigned integers: equality of these is bit-for-bit equality."""
    a = np.ascontiguousarray(a)
    return a.view(f"u{a.dtype.itemsize}")


def assert_bit_identical(a: np.ndarray, b: np.ndarray) -> None:
    assert a.shape == b.shape and a.dtype == b.dtype
    np.testing.assert_array_equal(bits(a), bits(b))


def axis_edges(lo: float, n: int, res: float, mode: str) -> np.ndarray:
    """Every cell boundary of one axis (float64), as the grid computes them, and one beyond."""
    k = np.arange(n + 1)
    return lo + k * res if mode == "left_open" else lo + (k - 0.5) * res


def tricky_cloud(rng: np.random.Generator, n: int, cfg: MapConfig) -> np.ndarray:
    """Random points around the grid plus the cases where an off-by-one or a sign would hide.

    Points exactly on cell edges (as float32) and one float32 step either side, z exactly on
    z_min / z_max and one step either side, z = +0.0 and -0.0 in the same cells in both orders,
    NaN and +-inf in every coordinate, duplicates.
    """
    g = cfg.grid
    pad = 3 * g.resolution
    zlo = cfg.z_min if math.isfinite(cfg.z_min) else -1.0
    zhi = cfg.z_max if math.isfinite(cfg.z_max) else 1.5
    pts = rng.uniform(
        [g.x_lo - pad, g.y_lo - pad, zlo - 0.2], [g.x_hi + pad, g.y_hi + pad, zhi + 0.2], (n, 3)
    ).astype(np.float32)
    q = n // 8
    xe = axis_edges(g.x_lo, g.nx, g.resolution, g.cell_mode).astype(np.float32)
    ye = axis_edges(g.y_lo, g.ny, g.resolution, g.cell_mode).astype(np.float32)
    pts[:q, 0] = rng.choice(xe, q)
    pts[q : 2 * q, 1] = rng.choice(ye, q)
    pts[2 * q : 3 * q, 0] = np.nextafter(rng.choice(xe, q), np.float32(np.inf))
    pts[2 * q : 3 * q, 1] = np.nextafter(rng.choice(ye, q), np.float32(-np.inf))
    zs = np.array([zlo, zhi], np.float32)
    zs = np.concatenate([zs, np.nextafter(zs, np.float32(np.inf)), np.nextafter(zs, -np.inf)])
    pts[3 * q : 4 * q, 2] = rng.choice(zs.astype(np.float32), q)
    pts[4 * q : 5 * q, 2] = rng.choice(np.array([0.0, -0.0], np.float32), q)
    pts[5 * q : 5 * q + 30] = pts[4 * q : 4 * q + 30]  # duplicates
    bad = rng.integers(0, n, n // 20)
    pts[bad, rng.integers(0, 3, bad.size)] = rng.choice(
        np.array([np.nan, np.inf, -np.inf]), bad.size
    )
    return pts


def rotated(pts: np.ndarray, t: np.ndarray) -> np.ndarray:
    """pts @ R (float32): grid-frame points carried roughly back into the sensor frame."""
    with np.errstate(invalid="ignore"):  # the cloud's NaN / inf points
        return pts @ t[:3, :3].astype(np.float32)


def numpy_reduce(scans: list, cfg: MapConfig) -> tuple[np.ndarray, int]:
    """HeightMapBuilder.build's NumPy steps 1-3 over (points, affine) scans."""
    parts = [grid_candidates(p, a, cfg) for p, a in scans]
    x, y, z = (np.concatenate([p[i] for p in parts]) for i in range(3))
    cell, z = cell_indices_xyz(x, y, z, cfg)
    return reduce_cells(cell, z, cfg), int(cell.size)


def kernel_reduce(scans: list, cfg: MapConfig) -> tuple[np.ndarray, int]:
    plan = fast_kernel.KernelPlan(cfg, _cull_bounds(cfg))
    return fast_kernel.reduce_scans([(p, effective_affine(a)) for p, a in scans], plan)


def test_numba_is_there_and_auto_picks_it() -> None:
    assert fast_kernel.AVAILABLE, "numba is a declared requirement (requirements.txt)"
    assert BuilderConfig().resolved_kernel == "numba"
    assert HeightMapBuilder(BuilderConfig()).kernel == "numba"
    assert HeightMapBuilder(BuilderConfig(kernel="numpy")).kernel == "numpy"
    with pytest.raises(ValueError, match="kernel must be one of"):
        BuilderConfig(kernel="cuda")  # type: ignore[arg-type]


@pytest.mark.parametrize("affine", sorted(AFFINES))
@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_kernel_reduction_is_bit_identical(name: str, affine: str) -> None:
    cfg = CONFIGS[name]
    a = AFFINES[affine]
    rng = np.random.default_rng(sorted(CONFIGS).index(name) * 100 + sorted(AFFINES).index(affine))
    scans = [(tricky_cloud(rng, 4000, cfg), a)]
    if a is not None:  # the points are in the sensor frame: bring the grid's edges there too
        scans.append((rotated(tricky_cloud(rng, 4000, cfg), a), a))
    ref, ref_used = numpy_reduce(scans, cfg)
    got, used = kernel_reduce(scans, cfg)
    assert used == ref_used > 0
    assert_bit_identical(got, ref)


@pytest.mark.parametrize("name", ["go2_raw", "go2_highest", "go2_mean"])
def test_signed_zero_ties_resolve_like_numpy(name: str) -> None:
    cfg = CONFIGS[name]
    cell_centre = np.array([-0.5, 0.1], np.float32)
    pts = np.zeros((6, 3), np.float32)
    pts[:, :2] = cell_centre
    pts[:, 2] = np.array([0.0, -0.0, 0.0, -0.0, -0.0, 0.0], np.float32)
    for order in (pts, pts[::-1].copy(), pts[[1, 3, 4, 0, 2, 5]]):
        assert_bit_identical(
            kernel_reduce([(order, None)], cfg)[0], numpy_reduce([(order, None)], cfg)[0]
        )


def test_translation_added_where_its_float64_value_is_not_zero() -> None:
    """A translation that rounds to 0 in float32 is still added (-0.0 + 0.0 = +0.0), as in NumPy."""
    swap = np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])  # exact 90 deg yaw
    a = make_transform((0.0, 0.0, 1e-50), swap)
    pts = np.array([[-0.3, -0.1, -0.0], [-0.31, -0.15, -0.0]], np.float32)  # z = -0.0 + 0.0
    cfg = CONFIGS["go2_raw"]
    got, used = kernel_reduce([(pts, a)], cfg)
    ref, ref_used = numpy_reduce([(pts, a)], cfg)
    assert used == ref_used == 2
    assert_bit_identical(got, ref)
    assert not np.signbit(got[~np.isnan(got)]).any()


def test_candidates_use_the_same_float32_arithmetic() -> None:
    """The transform itself, coordinate by coordinate (an FMA or a BLAS kernel would differ)."""
    rng = np.random.default_rng(7)
    cfg = MapConfig(grid=GridSpec(x_lo=-40, x_hi=40, y_lo=-40, y_hi=40, resolution=0.5))
    pts = rng.normal(0.0, 10.0, (50_000, 3)).astype(np.float32)
    for a in (AFFINES["gravity"], AFFINES["yaw_only"], make_transform((1.5, -2.25, 0.3))):
        plan = fast_kernel.KernelPlan(cfg, _cull_bounds(cfg))
        buf, _ = plan.scratch(pts.shape[0])
        flags = np.array([True, a[0, 3] != 0, a[1, 3] != 0, a[2, 3] != 0])
        aff = np.ascontiguousarray(a[:3], dtype=np.float32)
        m = fast_kernel._cull_affine(pts.reshape(-1), aff, flags[1:], plan.cull, *buf)
        x, y, z = grid_candidates(pts, a, cfg)
        assert m == x.size > 40_000
        for got, ref in zip(buf[1:], (x, y, z), strict=True):
            assert_bit_identical(got[:m], ref)


def assert_same_map(a: HeightMap, b: HeightMap) -> None:
    assert_bit_identical(a.values, b.values)
    assert_bit_identical(a.flat, b.flat)
    np.testing.assert_array_equal(a.known, b.known)
    assert (a.points_in, a.points_used, a.scans, a.warnings) == (
        b.points_in,
        b.points_used,
        b.scans,
        b.warnings,
    )


def builder_pair(**kwargs: object) -> tuple[HeightMapBuilder, HeightMapBuilder]:
    return tuple(  # type: ignore[return-value]
        HeightMapBuilder(BuilderConfig(kernel=k, **kwargs)) for k in ("numpy", "numba")
    )


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_builder_maps_identical_with_poses_extrinsics_and_gravity(name: str) -> None:
    """Several accumulated scans with odometry poses, extrinsics, a grid offset, the IMU."""
    cfg = CONFIGS[name]
    e = make_transform((0.1, 0.0, 0.3), rpy_to_matrix(0.0, 0.3, 0.05))
    grid_in_base = make_transform((0.05, -0.02, -0.3))
    numpy_b, numba_b = builder_pair(
        map=MapConfig(**{**cfg.__dict__, "temporal_frames": 3}),
        sensor_to_base=e,
        grid_in_base=grid_in_base,
        gravity_align=True,
        accumulate_window_s=0.35,
        accumulate_max_scans=4,
    )
    rng = np.random.default_rng(11)
    for step in range(8):
        t = 0.1 * step
        pose = planar_transform(0.07 * step, -0.02 * step, 0.05 * step)
        # sensor-frame points whose grid-frame image covers the grid and its edges
        pts = rotated(tricky_cloud(rng, 3000, cfg), e)
        empty = step == 5  # an empty scan in the middle of the window
        for b in (numpy_b, numba_b):
            if step == 2:
                b.set_attitude(0.03, -0.06)
            b.add_scan(pts[:0] if empty else pts, stamp=t, pose=pose)
        assert_same_map(numpy_b.build(), numba_b.build())
        # asked with another "now" pose than the last scan's: every scan gets its own affine
        now = planar_transform(0.07 * step + 0.01, 0.0, 0.05 * step + 0.02)
        assert_same_map(numpy_b.build(now), numba_b.build(now))


def test_builder_identical_on_degenerate_clouds() -> None:
    numpy_b, numba_b = builder_pair(map=go2_map_config())
    clouds = [
        np.empty((0, 3), np.float32),
        np.full((10, 3), np.nan, np.float32),
        np.array([[5.0, 5.0, 0.3]], np.float32),  # outside the grid
        np.array([[-0.5, 0.0, 0.3]], np.float64),  # float64 input
        np.asfortranarray(np.random.default_rng(0).uniform(-1, 1, (500, 3)).astype(np.float32)),
    ]
    for i, c in enumerate(clouds):
        for b in (numpy_b, numba_b):
            b.add_scan(c, stamp=float(i))
        assert_same_map(numpy_b.build(), numba_b.build())


def coord(lo: float, hi: float) -> st.SearchStrategy[float]:
    special = st.sampled_from([math.nan, math.inf, -math.inf, 0.0, -0.0])
    return st.one_of(st.floats(lo, hi, width=32), special)


@settings(max_examples=80, deadline=None, derandomize=True)
@given(
    st.lists(st.tuples(coord(-1.0, 1.0), coord(-1.0, 1.0), coord(-0.25, 5.5)), max_size=60),
    st.sampled_from(sorted(CONFIGS)),
    st.sampled_from(sorted(AFFINES)),
)
def test_kernel_equals_numpy_property(points: list, name: str, affine: str) -> None:
    pts = np.array(points, dtype=np.float32).reshape(-1, 3)
    scans = [(pts, AFFINES[affine])]
    ref, ref_used = numpy_reduce(scans, CONFIGS[name])
    got, used = kernel_reduce(scans, CONFIGS[name])
    assert used == ref_used
    assert_bit_identical(got, ref)


def test_without_numba_the_builder_keeps_the_numpy_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fast_kernel, "AVAILABLE", False)
    assert BuilderConfig().resolved_kernel == "numpy"
    with pytest.raises(ValueError, match="numba is not installed"):
        BuilderConfig(kernel="numba")
    b = HeightMapBuilder(BuilderConfig(map=h1_map_config()))
    assert b.kernel == "numpy"
    b.add_scan(np.array([[0.0, 0.0, -1.0]], np.float32), stamp=0.0)
    assert b.build().points_used == 1


def test_unwritable_cache_falls_back_to_per_process_compile(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Read-only install and home: numba's cache=True raises when decorating; we compile."""
    real_njit = fast_kernel.numba.njit

    def njit(*args: object, cache: bool = False, **kwargs: object):
        if cache:
            raise RuntimeError("cannot cache function 'f': no locator available for file 'x'")
        return real_njit(*args, **kwargs)

    monkeypatch.setattr(fast_kernel.numba, "njit", njit)
    monkeypatch.setattr(fast_kernel, "_cache", True)
    with pytest.warns(UserWarning, match="numba cache unavailable"):
        f = fast_kernel._jit(lambda v: v + 1)
    assert f(41) == 42 and fast_kernel._cache is False
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # warned once, not for every function
        assert fast_kernel._jit(lambda v: v * 2)(21) == 42
