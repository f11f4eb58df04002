"""Height-map grid layouts: which metric cell every policy input reads, in which order.

A locomotion policy sees the height map as a flat vector. Getting a cell boundary or the flattening
order wrong is silent (the robot still gets 459 numbers) and fatal (it steps on a box it "saw" a
cell away), so every layout here is explicit and tested against the formula the policy was
trained with.

Two cell conventions exist in the training code this stack must match:

``left_open`` (legged-loco's Go2 LiDAR map)
    Edges ``e_k = lo + k * res`` for ``k = 0 .. n-1``; cell ``k`` holds the points with
    ``e_k < v <= e_{k+1}`` (``torch.bucketize(v, edges) - 1``), points must satisfy
    ``lo < v <= hi``, and the last cell is cut at ``hi`` (Go2 x: ``(0.16, 0.2]``).
    ``n = len(arange(lo, hi + 1e-9, res))``: 17 for x in (-0.8, 0.2], 27 for y in (-0.8, 0.8].

``centered`` (Isaac Lab's ``GridPatternCfg`` height scanner, used by the H1 policy)
    Cell centres ``c_k = -size/2 + k * res`` for ``k = 0 .. n-1`` with
    ``n = len(arange(-size/2, size/2 + 1e-9, res))`` (17 for 1.6 m, 11 for 1.0 m at 0.1 m); a ray
    is cast at each centre. From a point cloud, cell ``k`` takes the points with
    ``c_k - res/2 <= v < c_k + res/2`` (the nearest centre).

Flattening order (``order``):

``x_major``
    ``flat = ix * ny + iy``: x is the outer (slow) index. legged-loco builds a
    ``(num_envs, nx, ny)`` tensor and flattens it row-major, so Go2 input 0 is the cell with the
    smallest x and smallest y, input 26 the smallest x and largest y, input 27 starts the next x.
    Published as a (rows = nx "x", cols = ny "y") matrix.
``y_major``
    ``flat = iy * nx + ix``: x is the inner (fast) index. This is Isaac Lab's ``ordering="xy"``
    default (``meshgrid(x, y, indexing="xy")`` then flatten): H1 input 0 is (x=-0.8, y=-0.5),
    input 1 is (x=-0.7, y=-0.5), input 17 is (x=-0.8, y=-0.4). Published as (rows = ny "y",
    cols = nx "x").

Axes are the grid frame's: x forward, y left (REP 103) once the grid frame's pose is configured.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

CellMode = Literal["left_open", "centered"]
Order = Literal["x_major", "y_major"]

CELL_MODES: tuple[str, ...] = ("left_open", "centered")
ORDERS: tuple[str, ...] = ("x_major", "y_major")


def _count(lo: float, hi: float, res: float) -> int:
    """Number of samples of ``arange(lo, hi + 1e-9, res)``, as the training code computes it."""
    return math.floor((hi - lo + 1e-9) / res + 1e-9) + 1


@dataclass(frozen=True)
class GridSpec:
    """One axis-aligned grid in the grid frame; see the module docstring for the conventions.

    For ``left_open`` the axis ranges are ``(x_lo, x_hi]`` and ``(y_lo, y_hi]``; for ``centered``
    they are the first and last cell centres.
    """

    x_lo: float
    x_hi: float
    y_lo: float
    y_hi: float
    resolution: float
    cell_mode: CellMode = "left_open"
    order: Order = "x_major"

    def __post_init__(self) -> None:
        for name in ("x_lo", "x_hi", "y_lo", "y_hi", "resolution"):
            if not math.isfinite(getattr(self, name)):
                raise ValueError(f"grid {name} must be finite")
        if self.resolution <= 0:
            raise ValueError(f"grid resolution must be > 0, got {self.resolution}")
        if not (self.x_hi > self.x_lo and self.y_hi > self.y_lo):
            raise ValueError("grid ranges must have hi > lo on both axes")
        if self.cell_mode not in CELL_MODES:
            raise ValueError(f"cell_mode must be one of {CELL_MODES}, got {self.cell_mode!r}")
        if self.order not in ORDERS:
            raise ValueError(f"order must be one of {ORDERS}, got {self.order!r}")
        if self.nx * self.ny > 1_000_000:
            raise ValueError(f"grid of {self.nx}x{self.ny} cells is absurdly large")

    @property
    def nx(self) -> int:
        return _count(self.x_lo, self.x_hi, self.resolution)

    @property
    def ny(self) -> int:
        return _count(self.y_lo, self.y_hi, self.resolution)

    @property
    def size(self) -> int:
        return self.nx * self.ny

    @property
    def shape(self) -> tuple[int, int]:
        """Shape of the published (rows, cols) matrix: the flat vector reshaped row-major."""
        return (self.nx, self.ny) if self.order == "x_major" else (self.ny, self.nx)

    @property
    def dim_labels(self) -> tuple[str, str]:
        return ("x", "y") if self.order == "x_major" else ("y", "x")

    def x_centers(self) -> np.ndarray:
        return self._centers(self.x_lo, self.nx)

    def y_centers(self) -> np.ndarray:
        return self._centers(self.y_lo, self.ny)

    def _centers(self, lo: float, n: int) -> np.ndarray:
        k = np.arange(n, dtype=np.float64)
        if self.cell_mode == "centered":
            return lo + k * self.resolution
        return lo + (k + 0.5) * self.resolution

    def origin(self) -> tuple[float, float]:
        """Centre of cell (ix=0, iy=0) in the grid frame (published in the status)."""
        return float(self.x_centers()[0]), float(self.y_centers()[0])

    def flatten(self, cells: np.ndarray) -> np.ndarray:
        """(nx, ny) array indexed [ix, iy] -> the policy's flat vector (see ``order``)."""
        if cells.shape[-2:] != (self.nx, self.ny):
            raise ValueError(f"expected (..., {self.nx}, {self.ny}) cells, got {cells.shape}")
        arranged = cells if self.order == "x_major" else np.swapaxes(cells, -1, -2)
        return np.ascontiguousarray(arranged).reshape(*cells.shape[:-2], -1)

    def unflatten(self, flat: np.ndarray) -> np.ndarray:
        """Inverse of :meth:`flatten`: flat vector -> (nx, ny) array indexed [ix, iy]."""
        grid = np.asarray(flat).reshape(*np.shape(flat)[:-1], *self.shape)
        return grid if self.order == "x_major" else np.swapaxes(grid, -1, -2)

    def flat_index(self, ix: int, iy: int) -> int:
        return ix * self.ny + iy if self.order == "x_major" else iy * self.nx + ix

    def to_dict(self) -> dict[str, object]:
        return {
            "x_lo": self.x_lo,
            "x_hi": self.x_hi,
            "y_lo": self.y_lo,
            "y_hi": self.y_hi,
            "resolution": self.resolution,
            "cell_mode": self.cell_mode,
            "order": self.order,
            "shape": list(self.shape),
            "dims": list(self.dim_labels),
            "origin": list(self.origin()),
        }


def axis_index(
    values: np.ndarray, lo: float, hi: float, res: float, n: int, mode: CellMode
) -> tuple[np.ndarray, np.ndarray]:
    """Cell index of each value along one axis, and the mask of values inside the grid.

    Vectorised and exact at cell edges: a first guess from a subtract-divide-round is only
    trusted where the value is not within 1e-6 cells of an edge; those few values are re-checked
    against the edge values ``e_k`` computed in float64 (``lo + k * res``), so a point lying on an
    edge goes where the training code's ``bucketize`` (or nearest-centre rule) puts it.
    """
    v = values.astype(np.float64)
    if mode == "left_open":
        inside = (v > lo) & (v <= hi)
        t = v - lo
    else:  # centered: cell k is [c_k - res/2, c_k + res/2)
        lower = lo - 0.5 * res
        inside = (v >= lower) & (v < lo + (n - 0.5) * res)
        t = v - lower
    t /= res
    r = np.ceil(t) if mode == "left_open" else np.floor(t)
    d = np.abs(r - t)  # in [0, 1): near 0 or near 1 means t is near an integer (an edge)
    near = np.flatnonzero((d < 1e-6) | (d > 1.0 - 1e-6))
    k = r.astype(np.intp)
    if mode == "left_open":
        k -= 1
    np.clip(k, 0, n - 1, out=k)
    if near.size:
        k[near] = _exact_index(v[near], lo, res, n, mode)
    return k, inside


def _exact_index(v: np.ndarray, lo: float, res: float, n: int, mode: CellMode) -> np.ndarray:
    """Edge-exact index for values close to a cell edge: compare with float64 edge values."""
    if mode == "left_open":  # cell k = (e_k, e_{k+1}], e_k = lo + k * res
        edges = lo + np.arange(n) * res
        k = np.searchsorted(edges, v, side="left") - 1
    else:  # cell k = [b_k, b_{k+1}), b_k = lo + (k - 0.5) * res
        bounds = lo + (np.arange(n) - 0.5) * res
        k = np.searchsorted(bounds, v, side="right") - 1
    return np.clip(k, 0, n - 1)


# ------------------------------------------------------------------------------------- presets
# Go2 (legged-loco / NaVILA vision policy): LiDAR-frame map, cell 0.06 m,
# x in (-0.8, 0.2], y in (-0.8, 0.8] -> 17 x 27 = 459 inputs, x-major.
GO2_GRID = GridSpec(x_lo=-0.8, x_hi=0.2, y_lo=-0.8, y_hi=0.8, resolution=0.06)
# H1 (Isaac Lab height scanner, GridPatternCfg(resolution=0.1, size=[1.6, 1.0]), ordering "xy"):
# centres x = -0.8 .. 0.8 (17), y = -0.5 .. 0.5 (11) -> 187 inputs, x the fast index.
H1_GRID = GridSpec(
    x_lo=-0.8, x_hi=0.8, y_lo=-0.5, y_hi=0.5, resolution=0.1, cell_mode="centered", order="y_major"
)
