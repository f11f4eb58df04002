"""Compiled height-map kernel (numba): steps 1-3 of the builder, an optional drop-in.

Why it exists: the NumPy path (``builder.grid_candidates`` -> ``cell_indices_xyz`` ->
``reduce_cells``) makes a dozen passes over the cloud with temporaries and ends in
``np.minimum.at``; on a 130k-point cloud it is only ~4x faster than the straightforward
reference (``benchmarks/bench_heightmap.py``). This kernel runs steps 1-3 as a few tight compiled
loops over each scan, with no per-map allocation: the 3x4 affine (sensor -> grid) and float32
box cull, the NaN/inf drop, the exact cell index and the per-cell reduction into the
accumulator: >= 10x the reference at 130k points. The builder uses it when numba is installed
(``BuilderConfig.kernel``); without numba (``AVAILABLE`` False) it keeps the NumPy path.

Its maps are *bit-identical* to the NumPy path's, tested for equality, not closeness:

* the transform is ``builder._row``'s float32 arithmetic, ``(p0 * a0 + p1 * a1) + p2 * a2``
  then ``+ t`` only where the float64 ``t != 0``, each operation rounded to float32, no FMA
  (``fastmath=False``); an affine within 1e-12 of the identity is not applied, in both paths;
* the pre-cull compares float32 coordinates with float32 bounds (as NumPy compares a float32
  array with a Python float);
* the cell index is ``grid.axis_index`` point by point: the same float64 subtract-divide-round
  guess, the same 1e-6 "near an edge" test and, near an edge, the same float64 edge values
  (computed by NumPy as ``grid._exact_index`` does) with the same ``searchsorted`` side;
* the z range test is the float64 one of ``cell_indices_xyz``;
* ``lowest`` / ``highest`` follow ``np.minimum.at`` / ``np.maximum.at`` on float32 in point
  order, down to the sign of a zero (on a tie the later point wins); ``mean`` sums float64 in
  point order as ``np.bincount(weights=...)`` does.

Compiled with ``cache=True`` (see ``_jit`` for read-only installs); ``warm_up`` compiles or loads
it ahead of the first map. No ROS in here.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from typing import Any

import numpy as np

from heightmap_node.grid import GO2_GRID, GridSpec

try:  # optional: the NumPy path is complete without it
    import numba
except ImportError:  # pragma: no cover - exercised only where numba is not installed
    numba = None

AVAILABLE: bool = numba is not None
VERSION: str | None = None if numba is None else numba.__version__

_LOWEST, _HIGHEST, _MEAN = 0, 1, 2
_REDUCTION_CODES = {"lowest": _LOWEST, "highest": _HIGHEST, "mean": _MEAN}


_cache = True  # False once numba found no writable directory for its on-disk cache


def _jit(fn: Any) -> Any:
    """``njit(cache=True, nogil=True)``, or without the on-disk cache where none can be written.

    numba caches next to this file, else in the user's cache directory (``~/.cache/numba``);
    where neither is writable (read-only install and home) ``cache=True`` raises when decorating,
    so the kernel is then compiled in each process instead (a few seconds, at the first builder),
    with one warning.
    """
    global _cache
    if numba is None:
        return fn
    opts = {"nogil": True, "fastmath": False, "error_model": "numpy", "boundscheck": False}
    if _cache:
        try:
            return numba.njit(cache=True, **opts)(fn)
        except RuntimeError as exc:  # "cannot cache function ...: no locator available ..."
            _cache = False
            warnings.warn(f"numba cache unavailable, compiling per process: {exc}", stacklevel=2)
    return numba.njit(**opts)(fn)


@_jit
def _exact_index(v, edges, n, centered):  # pragma: no cover - compiled
    """``grid._exact_index`` for one value: searchsorted on the float64 edges, clipped."""
    k = 0
    if centered:  # side="right": edges <= v
        while k < n and edges[k] <= v:
            k += 1
    else:  # side="left": edges < v
        while k < n and edges[k] < v:
            k += 1
    return min(max(k - 1, 0), n - 1)


@_jit
def _near(t, r):  # pragma: no cover - compiled
    """``grid.axis_index``'s test: t within 1e-6 cells of an integer (an edge)."""
    d = abs(r - t)
    return (d < 1e-6) | (d > 1.0 - 1e-6)


@_jit
def _cull_identity(flat, cull, cx, cy, cz):  # pragma: no cover - compiled
    """Candidates of points already in the grid frame: ``grid_candidates`` with no affine.

    The z bounds are always tested: an unset one is -inf / +inf, which a finite z passes, as it
    passes ``grid_candidates`` skipping the test.
    """
    x0, x1, y0, y1, zlo, zhi = cull[0], cull[1], cull[2], cull[3], cull[4], cull[5]
    m = 0
    for i in range(flat.shape[0] // 3):
        x = flat[3 * i]
        if not ((x > x0) & (x < x1)):
            continue
        y = flat[3 * i + 1]
        if not ((y > y0) & (y < y1)):
            continue
        z = flat[3 * i + 2]
        if not (np.isfinite(z) & (z >= zlo) & (z <= zhi)):
            continue
        cx[m] = x
        cy[m] = y
        cz[m] = z
        m += 1
    return m


@_jit
def _cull_affine(flat, aff, add, cull, xb, cx, cy, cz):  # pragma: no cover - compiled
    """Candidates through the affine: ``grid_candidates`` with ``_row``'s float32 arithmetic.

    x of every point first, in a branch-free loop that vectorises; y and z only for the points
    whose x is near the grid. ``add[i]``: add the translation (the float64 one is not 0).
    """
    x0, x1, y0, y1, zlo, zhi = cull[0], cull[1], cull[2], cull[3], cull[4], cull[5]
    r00, r01, r02, t0 = aff[0, 0], aff[0, 1], aff[0, 2], aff[0, 3]
    r10, r11, r12, t1 = aff[1, 0], aff[1, 1], aff[1, 2], aff[1, 3]
    r20, r21, r22, t2 = aff[2, 0], aff[2, 1], aff[2, 2], aff[2, 3]
    add1, add2 = add[1], add[2]
    npts = flat.shape[0] // 3
    if add[0]:  # two loops: a branch inside would keep them from vectorising
        for i in range(npts):
            x = flat[3 * i] * r00 + flat[3 * i + 1] * r01
            xb[i] = (x + flat[3 * i + 2] * r02) + t0
    else:
        for i in range(npts):
            x = flat[3 * i] * r00 + flat[3 * i + 1] * r01
            xb[i] = x + flat[3 * i + 2] * r02
    m = 0
    for i in range(npts):
        x = xb[i]
        if not ((x > x0) & (x < x1)):
            continue
        p0, p1, p2 = flat[3 * i], flat[3 * i + 1], flat[3 * i + 2]
        y = p0 * r10 + p1 * r11
        y = y + p2 * r12
        if add1:
            y = y + t1
        if not ((y > y0) & (y < y1)):
            continue
        z = p0 * r20 + p1 * r21
        z = z + p2 * r22
        if add2:
            z = z + t2
        if not (np.isfinite(z) & (z >= zlo) & (z <= zhi)):
            continue
        cx[m] = x
        cy[m] = y
        cz[m] = z
        m += 1
    return m


@_jit
def _cells(m, cx, cy, cz, fp, nx, ny, centered, xedges, yedges, cell):  # pragma: no cover
    """``cell_indices_xyz`` of m candidates into cell (flat ix * ny + iy, -1 = out)."""
    xlo, xhi, xres = fp[0], fp[1], fp[2]
    ylo, yhi, yres = fp[3], fp[4], fp[5]
    zmin, zmax = fp[6], fp[7]
    nnear = 0
    for j in range(m):  # axis_index's float64 guess, branch-free
        xv = np.float64(cx[j])
        yv = np.float64(cy[j])
        z64 = np.float64(cz[j])
        tx = (xv - xlo) / xres
        ty = (yv - ylo) / yres
        if centered:  # cell k = [b_k, b_k+1)
            ok = (xv >= xlo) & (xv < xhi) & (yv >= ylo) & (yv < yhi)
            rx = np.floor(tx)
            ry = np.floor(ty)
            ix = np.int64(rx)
            iy = np.int64(ry)
        else:  # cell k = (e_k, e_k+1]
            ok = (xv > xlo) & (xv <= xhi) & (yv > ylo) & (yv <= yhi)
            rx = np.ceil(tx)
            ry = np.ceil(ty)
            ix = np.int64(rx) - 1
            iy = np.int64(ry) - 1
        ok = ok & (z64 >= zmin) & (z64 <= zmax)
        dx = abs(rx - tx)  # near 0 or near 1: t is within 1e-6 cells of an edge
        dy = abs(ry - ty)
        near = (dx < 1e-6) | (dx > 1.0 - 1e-6) | (dy < 1e-6) | (dy > 1.0 - 1e-6)
        ix = min(max(ix, 0), nx - 1)
        iy = min(max(iy, 0), ny - 1)
        cell[j] = ix * ny + iy if ok else -1
        nnear += near & ok
    if nnear:  # values near an edge (rare): the float64 edge values decide
        for j in range(m):
            if cell[j] < 0:
                continue
            xv = np.float64(cx[j])
            yv = np.float64(cy[j])
            tx = (xv - xlo) / xres
            ty = (yv - ylo) / yres
            near_x = _near(tx, np.floor(tx) if centered else np.ceil(tx))
            near_y = _near(ty, np.floor(ty) if centered else np.ceil(ty))
            if near_x or near_y:
                ix = cell[j] // ny
                iy = cell[j] - ix * ny
                if near_x:
                    ix = _exact_index(xv, xedges, nx, centered)
                if near_y:
                    iy = _exact_index(yv, yedges, ny, centered)
                cell[j] = ix * ny + iy


@_jit
def _reduce(m, cell, cz, reduction, acc, sums, counts):  # pragma: no cover - compiled
    """``reduce_cells`` in point order: ``np.minimum.at`` / ``np.maximum.at`` / ``np.bincount``."""
    used = 0
    if reduction == 0:
        for j in range(m):
            c = cell[j]
            if c >= 0:
                z = cz[j]
                a = acc[c]
                acc[c] = a if a < z else z  # np.minimum: on a tie (0.0, -0.0) the later wins
                used += 1
    elif reduction == 1:
        for j in range(m):
            c = cell[j]
            if c >= 0:
                z = cz[j]
                a = acc[c]
                acc[c] = a if a > z else z
                used += 1
    else:
        for j in range(m):
            c = cell[j]
            if c >= 0:
                sums[c] += np.float64(cz[j])
                counts[c] += 1
                used += 1
    return used


@_jit
def _accumulate(
    flat,  # (3N,) float32: the N x 3 C-contiguous sensor points, flattened
    aff,  # (3, 4) float32: the affine's rows (unused for the identity)
    flags,  # (4,) bool: apply the affine (False: identity), add translation x / y / z
    cull,  # (6,) float32: x0, x1, y0, y1 (open bounds), z_lo, z_hi (pre-cull, may be inf)
    fp,  # (8,) float64: x lower, upper, resolution; y the same; exact z_min, z_max
    ip,  # (4,) int64: nx, ny, centered (cell_mode), reduction (0 lowest, 1 highest, 2 mean)
    xedges,  # float64 edge values for values near an edge (grid._exact_index)
    yedges,
    acc,  # (nx * ny,) float32 accumulator (lowest / highest)
    sums,  # (nx * ny,) float64 (mean)
    counts,  # (nx * ny,) int64 (mean)
    buf,  # (4, >= N) float32 scratch: x of every point, candidates' x, y, z
    cell,  # (>= N,) int32 scratch: candidates' flat cell (-1: out)
):  # pragma: no cover - compiled
    """Fold one scan into the accumulator; returns the number of points used.

    Tight loops one after the other rather than one loop doing everything per point, which
    measured about twice as fast: cull (with the transform), exact cells, reduction. The caller
    keeps the scratch buffers: fresh ones of a few MB per map cost about as much as the kernel
    in page faults. Few arguments, each an array: numba's dispatch cost grows with their number.
    """
    nx, ny, centered = ip[0], ip[1], ip[2] != 0
    xb, cx, cy, cz = buf[0], buf[1], buf[2], buf[3]
    if flags[0]:
        m = _cull_affine(flat, aff, flags[1:], cull, xb, cx, cy, cz)
    else:
        m = _cull_identity(flat, cull, cx, cy, cz)
    _cells(m, cx, cy, cz, fp, nx, ny, centered, xedges, yedges, cell)
    return _reduce(m, cell, cz, ip[3], acc, sums, counts)


class KernelPlan:
    """Everything the kernel needs about one MapConfig, computed once, and its scratch memory.

    The values are computed with the same float64 expressions as ``grid.axis_index``,
    ``grid._exact_index`` and ``builder.grid_candidates``. The scratch buffers (20 bytes per point
    of the largest scan seen) are reused from map to map, so one plan serves one thread at a time
    (as a HeightMapBuilder does).
    """

    def __init__(self, cfg: Any, cull_bounds: tuple[tuple[float, float], tuple[float, float]]):
        g: GridSpec = cfg.grid
        self.grid = g
        self.nx, self.ny = g.nx, g.ny
        self.reduction = _REDUCTION_CODES[cfg.reduction]
        centered = g.cell_mode == "centered"
        (x0, x1), (y0, y1) = cull_bounds
        # grid_candidates: float32 bounds (NumPy casts the Python float to the array's float32)
        zlo, zhi = cfg.z_min - 1e-3, cfg.z_max + 1e-3
        with np.errstate(over="ignore"):  # an absurd |z| bound beyond float32 -> inf, as NumPy
            self.cull = np.array([x0, x1, y0, y1, zlo, zhi]).astype(np.float32)
        xlo, xhi, self.xedges = self._axis(g.x_lo, g.x_hi, self.nx, g.resolution, centered)
        ylo, yhi, self.yedges = self._axis(g.y_lo, g.y_hi, self.ny, g.resolution, centered)
        res = g.resolution
        self.fp = np.array([xlo, xhi, res, ylo, yhi, res, cfg.z_min, cfg.z_max], np.float64)
        self.ip = np.array([self.nx, self.ny, int(centered), self.reduction], np.int64)
        size = g.size
        red = self.reduction
        self.empty = np.inf if red == _LOWEST else -np.inf
        self._acc = np.full(size if red != _MEAN else 0, self.empty, np.float32)
        self._sums = np.zeros(size if red == _MEAN else 0, np.float64)
        self._counts = np.zeros(size if red == _MEAN else 0, np.int64)
        self._buf = np.empty((4, 0), np.float32)
        self._cell = np.empty(0, np.int32)

    @staticmethod
    def _axis(lo: float, hi: float, n: int, res: float, centered: bool):
        """(lower, upper, edge values) of one axis, as grid.axis_index / grid._exact_index."""
        if centered:  # cell k = [lo + (k - 0.5) res, lo + (k + 0.5) res)
            edges = lo + (np.arange(n) - 0.5) * res
            return lo - 0.5 * res, lo + (n - 0.5) * res, np.ascontiguousarray(edges)
        edges = lo + np.arange(n) * res  # cell k = (lo + k res, lo + (k + 1) res]
        return lo, hi, np.ascontiguousarray(edges)

    def scratch(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """The (4, >= n) float32 and (>= n,) int32 scratch buffers, grown when needed."""
        if self._buf.shape[1] < n:
            cap = max(n, 1024)
            self._buf = np.empty((4, cap), np.float32)
            self._cell = np.empty(cap, np.int32)
        return self._buf, self._cell

    def accumulators(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Reset and return acc (lowest / highest), sums and counts (mean)."""
        self._acc.fill(self.empty)
        self._sums.fill(0.0)
        self._counts.fill(0)
        return self._acc, self._sums, self._counts


_NO_AFFINE = np.zeros((3, 4), np.float32)
_IDENTITY_FLAGS = np.zeros(4, np.bool_)


def reduce_scans(
    scans: Iterable[tuple[np.ndarray, np.ndarray | None]], plan: KernelPlan
) -> tuple[np.ndarray, int]:
    """``reduce_cells(cell_indices_xyz(grid_candidates(...)))`` over the scans, compiled.

    ``scans``: (N x 3 float32 sensor points, 4x4 sensor -> grid affine, or None for the
    identity, as ``builder.effective_affine`` gives), in the builder's order. Returns the
    (nx, ny) float64 reduced z (NaN = no point) and the number of points used.
    """
    acc, sums, counts = plan.accumulators()
    used = 0
    for points, affine in scans:
        flat = np.ascontiguousarray(points, dtype=np.float32).reshape(-1)
        if flat.size == 0:
            continue
        if affine is None:
            aff, flags = _NO_AFFINE, _IDENTITY_FLAGS
        else:
            aff = np.ascontiguousarray(affine[:3], dtype=np.float32)
            flags = np.array([True, affine[0, 3] != 0, affine[1, 3] != 0, affine[2, 3] != 0])
        buf, cell = plan.scratch(flat.size // 3)
        used += _accumulate(
            flat, aff, flags, plan.cull, plan.fp, plan.ip, plan.xedges, plan.yedges,
            acc, sums, counts, buf, cell,
        )  # fmt: skip
    if plan.reduction == _MEAN:
        with np.errstate(invalid="ignore", divide="ignore"):
            out = sums / counts
        out[counts == 0] = np.nan
    else:
        out = acc.astype(np.float64)
        out[acc == plan.empty] = np.nan
    return out.reshape(plan.nx, plan.ny), used


_warm = False


def warm_up() -> None:
    """Compile (or load from numba's cache) the kernel now, not in the first map's latency."""
    global _warm
    if _warm or not AVAILABLE:
        return

    class _Cfg:  # the few MapConfig fields KernelPlan reads (no import of builder here)
        grid, reduction, z_min, z_max = GO2_GRID, "lowest", 0.0, 1.0

    plan = KernelPlan(_Cfg(), ((-1.0, 1.0), (-1.0, 1.0)))
    reduce_scans([(np.zeros((1, 3), np.float32), np.eye(4))], plan)
    _warm = True


def cache_hits() -> int:
    """Signatures of the kernel loaded from numba's on-disk cache in this process (0: compiled)."""
    if not AVAILABLE:
        return 0
    return sum(_accumulate.stats.cache_hits.values())
