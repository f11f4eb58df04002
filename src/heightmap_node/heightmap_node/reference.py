"""Reference implementations the fast path is checked and benchmarked against.

``bruteforce_cells`` is deliberately naive and independent of ``grid.axis_index``: it tests every
cell's bounds against every point, in float64, with the written-out interval rules. Slow (cells x
points), only for tests. ``simple_map`` is the straightforward vectorised version one would write
first (float64 everywhere, ``np.searchsorted`` for the bins, ``np.minimum.at``); it is the
baseline of ``benchmarks/bench_heightmap.py``.
"""

from __future__ import annotations

import math

import numpy as np

from heightmap_node.builder import MapConfig, apply_values, finish


def _cell_bounds(lo: float, n: int, res: float, mode: str) -> list[tuple[float, float]]:
    if mode == "left_open":
        return [(lo + k * res, lo + (k + 1) * res) for k in range(n)]
    return [(lo + (k - 0.5) * res, lo + (k + 0.5) * res) for k in range(n)]


def bruteforce_cells(points_grid: np.ndarray, cfg: MapConfig) -> np.ndarray:
    """(nx, ny) reduced z per cell (NaN = no point), by testing each cell against all points."""
    g = cfg.grid
    p = np.asarray(points_grid, dtype=np.float64)
    x, y, z = p[:, 0], p[:, 1], p[:, 2]
    finite = np.isfinite(x) & np.isfinite(y) & np.isfinite(z)
    in_z = finite & (z >= cfg.z_min) & (z <= cfg.z_max)
    out = np.full((g.nx, g.ny), np.nan)
    xb = _cell_bounds(g.x_lo, g.nx, g.resolution, g.cell_mode)
    yb = _cell_bounds(g.y_lo, g.ny, g.resolution, g.cell_mode)
    for ix, (x0, x1) in enumerate(xb):
        if g.cell_mode == "left_open":
            in_x = (x > x0) & (x <= x1) & (x <= g.x_hi)
        else:
            in_x = (x >= x0) & (x < x1)
        for iy, (y0, y1) in enumerate(yb):
            if g.cell_mode == "left_open":
                in_y = (y > y0) & (y <= y1) & (y <= g.y_hi)
            else:
                in_y = (y >= y0) & (y < y1)
            sel = z[in_x & in_y & in_z].astype(np.float32)
            if sel.size == 0:
                continue
            if cfg.reduction == "lowest":
                out[ix, iy] = float(sel.min())
            elif cfg.reduction == "highest":
                out[ix, iy] = float(sel.max())
            else:
                out[ix, iy] = math.fsum(sel.astype(np.float64)) / sel.size
    return out


def simple_cells(points_grid: np.ndarray, cfg: MapConfig) -> np.ndarray:
    """Straightforward vectorised reduction: float64, searchsorted bins, ufunc.at."""
    g = cfg.grid
    p = np.asarray(points_grid, dtype=np.float64)
    x, y, z = p[:, 0], p[:, 1], p[:, 2]
    if g.cell_mode == "left_open":
        xe = g.x_lo + np.arange(g.nx) * g.resolution
        ye = g.y_lo + np.arange(g.ny) * g.resolution
        ix = np.searchsorted(xe, x, side="left") - 1
        iy = np.searchsorted(ye, y, side="left") - 1
        ok = (x > g.x_lo) & (x <= g.x_hi) & (y > g.y_lo) & (y <= g.y_hi)
    else:
        xe = g.x_lo + (np.arange(g.nx + 1) - 0.5) * g.resolution
        ye = g.y_lo + (np.arange(g.ny + 1) - 0.5) * g.resolution
        ix = np.searchsorted(xe, x, side="right") - 1
        iy = np.searchsorted(ye, y, side="right") - 1
        ok = (x >= xe[0]) & (x < xe[-1]) & (y >= ye[0]) & (y < ye[-1])
    ok &= np.isfinite(z) & (z >= cfg.z_min) & (z <= cfg.z_max)
    cell = ix[ok] * g.ny + iy[ok]
    zs = z[ok]
    if cfg.reduction == "mean":
        sums = np.zeros(g.size)
        counts = np.zeros(g.size)
        np.add.at(sums, cell, zs)
        np.add.at(counts, cell, 1.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            out = sums / counts
    elif cfg.reduction == "lowest":
        out = np.full(g.size, np.inf)
        np.minimum.at(out, cell, zs)
        out[out == np.inf] = np.nan
    else:
        out = np.full(g.size, -np.inf)
        np.maximum.at(out, cell, zs)
        out[out == -np.inf] = np.nan
    return out.reshape(g.nx, g.ny)


def simple_map(points_grid: np.ndarray, cfg: MapConfig) -> np.ndarray:
    """The baseline end to end: reduction + the same value steps -> flat float32 vector."""
    vals, _ = finish(apply_values(simple_cells(points_grid, cfg), cfg), cfg)
    return cfg.grid.flatten(vals)
