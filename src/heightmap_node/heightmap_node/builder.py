"""Point clouds -> the locomotion policy's robot-centric height map (no ROS in here).

Pipeline for one map (every step is vectorised NumPy, no per-point Python loop):

1. Each accumulated scan's points (sensor frame) go to the grid frame with one 3x4 affine:
   ``A = G^-1 @ L @ (T_now^-1 @ T_scan) @ E`` where E = sensor->base extrinsics, T = base pose in
   odom at the scan / now (identity without odometry), L = roll/pitch levelling from the IMU
   (only with ``gravity_align``), G = the grid frame's pose in the (levelled) base frame. The
   transform is fused with a float32 box cull, one coordinate at a time (``grid_candidates``),
   so the (usually many) points far from the small grid cost one dot product each. The float32
   arithmetic is spelled out (``_row``), not left to BLAS, so a point's grid coordinates do not
   depend on the BLAS build, the CPU or the size of the cloud.
2. Non-finite points are dropped, then exact cell indices are computed in float64 against the
   cell edges (see ``grid.axis_index``).
3. Per cell reduction of z: ``lowest`` (NaVILA), ``highest`` (what a downward ray cast sees) or
   ``mean``; cells without points are *unknown* (NaN) from here on.
4. ``value = value_scale * z - value_offset``; optional ``value < zero_below -> 0``.
5. Optional 3x3 max filter over known cells (a border cell takes the max of its in-grid
   neighbours, like ``max_pool2d(kernel 3, stride 1, padding 1)``).
6. Optional temporal max over the last K maps, each shifted into the current grid by the planar
   base motion from odometry (nearest cell; cells that moved out of the grid are unknown).
7. Optional clip, then unknown cells get ``empty_value`` (the map also carries the known mask).

For the Go2 preset (values >= 0 after step 4 and empty -> 0) steps 5-7 give exactly
legged-loco's ``inf -> 0`` then ``max_pool2d``, which is tested against that formula.

Steps 1-3 have two implementations with bit-identical output (``BuilderConfig.kernel``): the
vectorised NumPy functions below, and ``fast_kernel``'s compiled loops (numba, optional; about
4x faster than NumPy at 130k points), which ``auto`` picks when numba is installed.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from heightmap_node import fast_kernel
from heightmap_node.grid import GO2_GRID, H1_GRID, GridSpec, axis_index
from heightmap_node.transforms import invert, level_matrix, planar_part, pose_transform

Reduction = Literal["lowest", "highest", "mean"]
REDUCTIONS: tuple[str, ...] = ("lowest", "highest", "mean")
Kernel = Literal["auto", "numpy", "numba"]
KERNELS: tuple[str, ...] = ("auto", "numpy", "numba")


@dataclass(frozen=True)
class MapConfig:
    """What each cell's number means: the policy-facing semantics of the map."""

    grid: GridSpec = GO2_GRID
    reduction: Reduction = "lowest"
    z_min: float = -math.inf  # points with z outside [z_min, z_max] (grid frame) are ignored
    z_max: float = math.inf
    value_scale: float = 1.0  # value = value_scale * z - value_offset
    value_offset: float = 0.0
    zero_below: float | None = None  # values < zero_below become 0 (Go2: 0.05)
    empty_value: float = 0.0
    clip: tuple[float, float] | None = None
    max_filter: bool = False  # NaVILA's 3x3 spatial max
    temporal_frames: int = 1  # max over the last K maps (1 = off; the paper uses 5)

    def __post_init__(self) -> None:
        if self.reduction not in REDUCTIONS:
            raise ValueError(f"reduction must be one of {REDUCTIONS}, got {self.reduction!r}")
        if math.isnan(self.z_min) or math.isnan(self.z_max) or self.z_min > self.z_max:
            raise ValueError(f"invalid z range [{self.z_min}, {self.z_max}]")
        for name in ("value_scale", "value_offset", "empty_value"):
            if not math.isfinite(getattr(self, name)):
                raise ValueError(f"{name} must be finite")
        if self.value_scale == 0:
            raise ValueError("value_scale must not be 0")
        if self.clip is not None and not (self.clip[0] <= self.clip[1]):
            raise ValueError(f"clip must be (lo, hi) with lo <= hi, got {self.clip}")
        if not 1 <= self.temporal_frames <= 100:
            raise ValueError(f"temporal_frames must be in 1..100, got {self.temporal_frames}")


def go2_map_config(**overrides: object) -> MapConfig:
    """legged-loco's Go2 LiDAR map: lowest z in [0, 5], < 0.05 -> 0, empty -> 0, 3x3 max."""
    base = {
        "grid": GO2_GRID,
        "reduction": "lowest",
        "z_min": 0.0,
        "z_max": 5.0,
        "zero_below": 0.05,
        "empty_value": 0.0,
        "max_filter": True,
    }
    return MapConfig(**{**base, **overrides})


def h1_map_config(**overrides: object) -> MapConfig:
    """Isaac Lab's ``height_scan``: sensor_z - hit_z - 0.5 clipped to [-1, 1], top surface hit.

    In a levelled base frame with the origin at the scanner body, value = -z - 0.5 of the highest
    point in the cell. Unseen cells read as level ground at H1's nominal base height (1.05 m)
    unless configured otherwise.
    """
    base = {
        "grid": H1_GRID,
        "reduction": "highest",
        "value_scale": -1.0,
        "value_offset": 0.5,
        "clip": (-1.0, 1.0),
        "empty_value": 0.55,
    }
    return MapConfig(**{**base, **overrides})


PRESETS = {"go2": go2_map_config, "h1": h1_map_config}


def identity4() -> np.ndarray:
    return np.eye(4)


@dataclass(frozen=True)
class BuilderConfig:
    """Frames and timing around a MapConfig."""

    map: MapConfig = field(default_factory=go2_map_config)
    sensor_to_base: np.ndarray = field(default_factory=identity4)  # T_base_sensor
    grid_in_base: np.ndarray = field(default_factory=identity4)  # T_base_grid
    gravity_align: bool = False
    accumulate_window_s: float = 0.0  # scans newer than (latest - window) are merged
    accumulate_max_scans: int = 1
    stale_after_s: float = 0.5
    max_points: int = 2_000_000
    # steps 1-3: "numba" (fast_kernel, compiled), "numpy", or "auto" = numba when installed
    kernel: Kernel = "auto"

    def __post_init__(self) -> None:
        for name in ("sensor_to_base", "grid_in_base"):
            t = np.asarray(getattr(self, name), dtype=np.float64)
            if t.shape != (4, 4) or not np.all(np.isfinite(t)):
                raise ValueError(f"{name} must be a finite 4x4 transform")
        if not (self.accumulate_window_s >= 0 and math.isfinite(self.accumulate_window_s)):
            raise ValueError("accumulate_window_s must be finite and >= 0")
        if not 1 <= self.accumulate_max_scans <= 1000:
            raise ValueError("accumulate_max_scans must be in 1..1000")
        if not (self.stale_after_s > 0 and math.isfinite(self.stale_after_s)):
            raise ValueError("stale_after_s must be finite and > 0")
        if self.max_points < 1:
            raise ValueError("max_points must be >= 1")
        if self.kernel not in KERNELS:
            raise ValueError(f"kernel must be one of {KERNELS}, got {self.kernel!r}")
        if self.kernel == "numba" and not fast_kernel.AVAILABLE:
            raise ValueError("kernel 'numba' asked for but numba is not installed")

    @property
    def resolved_kernel(self) -> str:
        """The implementation of steps 1-3 in use: "numba" or "numpy"."""
        if self.kernel == "auto":
            return "numba" if fast_kernel.AVAILABLE else "numpy"
        return self.kernel


# ------------------------------------------------------------------------------ pure functions
def transform_points(points: np.ndarray, affine: np.ndarray) -> np.ndarray:
    """N x 3 float32 points through a 4x4 transform (float32 arithmetic, new array)."""
    rot = affine[:3, :3].astype(np.float32)
    out = points @ rot.T
    out += affine[:3, 3].astype(np.float32)
    return out


def _cull_bounds(cfg: MapConfig) -> tuple[tuple[float, float], tuple[float, float]]:
    """Open (x, y) bounds a bit larger than the grid, for the cheap float32 pre-cull."""
    g = cfg.grid
    pad = g.resolution + (g.resolution if g.cell_mode == "centered" else 0.0)
    return (g.x_lo - pad, g.x_hi + pad), (g.y_lo - pad, g.y_hi + pad)


_IDENTITY_ATOL = 1e-12  # an affine this close to identity is skipped (error < 1e-12 m)
_EYE4 = np.eye(4)


def effective_affine(affine: np.ndarray | None) -> np.ndarray | None:
    """None (no transform at all) for an affine within 1e-12 of the identity."""
    if affine is not None and float(np.abs(affine - _EYE4).max()) <= _IDENTITY_ATOL:
        return None
    return affine


def _row(points: np.ndarray, affine: np.ndarray | None, i: int) -> np.ndarray:
    """Coordinate i of the transformed points, float32 (3 columns, not an N x 3 product).

    ``(p0 * a0 + p1 * a1) + p2 * a2`` then ``+ t`` (only when t != 0), each operation rounded to
    float32 and no FMA: the same numbers on every machine and for any cloud size (a BLAS
    matrix-vector product rounds differently with the CPU, the library and even the number of
    rows), and the same as ``fast_kernel``, which is tested for bit-identical maps.
    """
    if affine is None:
        return points[:, i]
    a = affine[i, :3].astype(np.float32)
    with np.errstate(invalid="ignore", over="ignore"):  # inf * 0 -> NaN: dropped by the cull
        out = points[:, 0] * a[0]
        tmp = points[:, 1] * a[1]
        out += tmp
        np.multiply(points[:, 2], a[2], out=tmp)
        out += tmp
        if affine[i, 3] != 0.0:
            out += np.float32(affine[i, 3])
    return out


def grid_candidates(
    points: np.ndarray, affine: np.ndarray | None, cfg: MapConfig
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Grid-frame x, y, z (float32) of the points that may fall in the grid.

    Fuses the transform with a cheap float32 box cull, coordinate by coordinate: y is only
    computed for points whose x is near the grid and z for those whose y also is, so a big cloud
    (mostly far from a 1 m grid) costs little more than one matrix-vector product. NaN and inf
    points fail the comparisons and are dropped here. The exact cell test comes later.
    """
    affine = effective_affine(affine)
    (x0, x1), (y0, y1) = _cull_bounds(cfg)
    x = _row(points, affine, 0)
    idx = np.flatnonzero((x > x0) & (x < x1))
    sub = np.take(points, idx, axis=0)
    x = x[idx]
    y = _row(sub, affine, 1)
    keep = (y > y0) & (y < y1)
    z = _row(sub, affine, 2)
    keep &= np.isfinite(z)
    if math.isfinite(cfg.z_min):
        keep &= z >= cfg.z_min - 1e-3
    if math.isfinite(cfg.z_max):
        keep &= z <= cfg.z_max + 1e-3
    if keep.all():
        return x, y, z
    return x[keep], y[keep], z[keep]


def cell_indices_xyz(
    x: np.ndarray, y: np.ndarray, z: np.ndarray, cfg: MapConfig
) -> tuple[np.ndarray, np.ndarray]:
    """Exact (flat [ix * ny + iy] cell index, z) of candidate points in the grid and z range."""
    cell, ok = cell_index_mask(x, y, z, cfg)
    if ok.all():
        return cell, z
    return cell[ok], z[ok]


def cell_index_mask(
    x: np.ndarray, y: np.ndarray, z: np.ndarray, cfg: MapConfig
) -> tuple[np.ndarray, np.ndarray]:
    """(flat cell index of every point, mask of the points in the grid and z range).

    The exact cell test (float64 against the cell edges); indices where the mask is False are
    meaningless. Finite z is assumed (``grid_candidates`` drops the rest).
    """
    g = cfg.grid
    ix, in_x = axis_index(x, g.x_lo, g.x_hi, g.resolution, g.nx, g.cell_mode)
    iy, in_y = axis_index(y, g.y_lo, g.y_hi, g.resolution, g.ny, g.cell_mode)
    ok = in_x & in_y
    if math.isfinite(cfg.z_min) or math.isfinite(cfg.z_max):
        z64 = z.astype(np.float64)
        ok &= (z64 >= cfg.z_min) & (z64 <= cfg.z_max)
    return ix * g.ny + iy, ok


def cell_indices(points: np.ndarray, cfg: MapConfig) -> tuple[np.ndarray, np.ndarray]:
    """(flat cell index, z) of grid-frame points that land in the grid and z range."""
    return cell_indices_xyz(*grid_candidates(points, None, cfg), cfg)


def reduce_cells(
    cell: np.ndarray, z: np.ndarray, cfg: MapConfig, maps: int | None = None
) -> np.ndarray:
    """(nx, ny) float64 array of the per-cell reduction of z; NaN where a cell has no point.

    With ``maps = B`` the indices run over B stacked grids (``b * size + cell``) and the result
    is (B, nx, ny): one reduction for a batch of maps (training builds one per robot).
    """
    g = cfg.grid
    n = g.size * (1 if maps is None else maps)
    shape = (g.nx, g.ny) if maps is None else (maps, g.nx, g.ny)
    if cfg.reduction == "mean":
        counts = np.bincount(cell, minlength=n)
        sums = np.bincount(cell, weights=z, minlength=n)
        with np.errstate(invalid="ignore", divide="ignore"):
            out = sums / counts
        out[counts == 0] = np.nan
        return out.reshape(shape)
    if cfg.reduction == "lowest":
        acc = np.full(n, np.inf, dtype=np.float32)
        np.minimum.at(acc, cell, z)
        empty = acc == np.inf
    else:
        acc = np.full(n, -np.inf, dtype=np.float32)
        np.maximum.at(acc, cell, z)
        empty = acc == -np.inf
    out = acc.astype(np.float64)
    out[empty] = np.nan
    return out.reshape(shape)


def max_filter_3x3(cells: np.ndarray) -> np.ndarray:
    """NaN-aware 3x3 max (stride 1, same size) over the last two axes; NaN where no neighbour
    is known. Leading axes are a batch of maps."""
    *lead, nx, ny = cells.shape
    padded = np.full((*lead, nx + 2, ny + 2), -np.inf)
    padded[..., 1:-1, 1:-1] = np.where(np.isnan(cells), -np.inf, cells)
    out = padded[..., 1:-1, 1:-1].copy()
    for dx in (0, 1, 2):
        for dy in (0, 1, 2):
            np.maximum(out, padded[..., dx : dx + nx, dy : dy + ny], out=out)
    out[out == -np.inf] = np.nan
    return out


def apply_values(cells: np.ndarray, cfg: MapConfig) -> np.ndarray:
    """Steps 4-5: reduced z -> policy values (NaN = unknown stays NaN)."""
    vals = cfg.value_scale * cells - cfg.value_offset
    if cfg.zero_below is not None:
        vals[vals < cfg.zero_below] = 0.0
    if cfg.max_filter:
        vals = max_filter_3x3(vals)
    return vals


def finish(cells: np.ndarray, cfg: MapConfig) -> tuple[np.ndarray, np.ndarray]:
    """Step 7: clip and fill. Returns (float32 values, known mask)."""
    known = ~np.isnan(cells)
    out = cells.copy()
    if cfg.clip is not None:
        np.clip(out, cfg.clip[0], cfg.clip[1], out=out)
    out[~known] = cfg.empty_value
    return out.astype(np.float32), known


def single_frame_map(points_grid: np.ndarray, cfg: MapConfig) -> np.ndarray:
    """Steps 2-5 for points already in the grid frame: (nx, ny) values, NaN = unknown."""
    cell, z = cell_indices(points_grid, cfg)
    return apply_values(reduce_cells(cell, z, cfg), cfg)


def build_height_map(points_grid: np.ndarray, cfg: MapConfig) -> np.ndarray:
    """One-shot map (no history) as the policy's flat float32 vector."""
    vals, _ = finish(single_frame_map(points_grid, cfg), cfg)
    return cfg.grid.flatten(vals)


def build_height_maps(points_grid: np.ndarray, cfg: MapConfig) -> np.ndarray:
    """``build_height_map`` for a batch: (B, P, 3) grid-frame points -> (B, cells) float32.

    Map b equals ``build_height_map(points_grid[b], cfg)`` exactly (tested); the batch is one
    pass of the same steps, so a training run building a map per robot per step costs a few
    array operations instead of B Python calls. Non-finite points are dropped.
    """
    pts = np.asarray(points_grid)
    if pts.ndim != 3 or pts.shape[2] != 3:
        raise ValueError(f"points must be B x P x 3, got shape {pts.shape}")
    b, p, _ = pts.shape
    flat = pts.reshape(-1, 3)
    offset = np.repeat(np.arange(b, dtype=np.intp) * cfg.grid.size, p)
    finite = np.isfinite(flat).all(axis=1)
    if not finite.all():
        flat, offset = flat[finite], offset[finite]
    x, y, z = flat[:, 0], flat[:, 1], flat[:, 2]
    cell, ok = cell_index_mask(x, y, z, cfg)
    cell += offset
    cells = reduce_cells(cell[ok], z[ok], cfg, maps=b)
    vals, _ = finish(apply_values(cells, cfg), cfg)
    return cfg.grid.flatten(vals)


def shift_map(
    prev: np.ndarray, grid: GridSpec, grid_in_base: np.ndarray, motion: np.ndarray
) -> np.ndarray:
    """Resample a previous (nx, ny) map into the current grid.

    ``motion`` = T_prev_base^-1 @ T_now_base (planar): maps current-base points into the previous
    base frame. Each current cell centre is carried into the previous grid frame and takes the
    value of the previous cell containing it (NaN if none). Values are not re-levelled.
    """
    xs, ys = np.meshgrid(grid.x_centers(), grid.y_centers(), indexing="ij")
    pts = np.stack([xs.ravel(), ys.ravel(), np.zeros(xs.size), np.ones(xs.size)])
    to_prev = invert(grid_in_base) @ motion @ grid_in_base
    q = to_prev @ pts
    ix, in_x = axis_index(q[0], grid.x_lo, grid.x_hi, grid.resolution, grid.nx, grid.cell_mode)
    iy, in_y = axis_index(q[1], grid.y_lo, grid.y_hi, grid.resolution, grid.ny, grid.cell_mode)
    out = np.full(xs.size, np.nan)
    ok = in_x & in_y
    out[ok] = prev[ix[ok], iy[ok]]
    return out.reshape(grid.nx, grid.ny)


# --------------------------------------------------------------------------------- the builder
@dataclass(frozen=True)
class HeightMap:
    """One published map. ``values`` is (nx, ny) indexed [ix, iy]; ``flat`` is the policy order."""

    values: np.ndarray
    known: np.ndarray
    flat: np.ndarray
    stamp: float
    points_in: int
    points_used: int
    scans: int
    warnings: tuple[str, ...] = ()

    @property
    def valid(self) -> bool:
        """False when no cell was observed: the map carries no information (all unknown)."""
        return bool(self.known.any())


@dataclass
class _Scan:
    points: np.ndarray  # sensor frame, float32 N x 3
    stamp: float
    pose: np.ndarray | None  # T_odom_base at the scan (None without odometry)


class HeightMapBuilder:
    """Stateful wrapper: scan accumulation, attitude, temporal history, staleness."""

    def __init__(self, cfg: BuilderConfig) -> None:
        self.cfg = cfg
        self._scans: deque[_Scan] = deque()
        self._history: deque[tuple[np.ndarray, np.ndarray | None]] = deque(
            maxlen=max(1, cfg.map.temporal_frames - 1)
        )
        self._attitude: tuple[float, float] | None = None
        self._grid_inv = invert(np.asarray(cfg.grid_in_base, dtype=np.float64))
        self.kernel = cfg.resolved_kernel
        self._plan: fast_kernel.KernelPlan | None = None
        if self.kernel == "numba":
            self._plan = fast_kernel.KernelPlan(cfg.map, _cull_bounds(cfg.map))
            fast_kernel.warm_up()  # JIT now (once per process), not in the first map's latency
        self.last_scan_time: float | None = None
        self.maps_built = 0
        self.scans_received = 0

    def set_attitude(self, roll: float, pitch: float) -> None:
        if not (math.isfinite(roll) and math.isfinite(pitch)):
            raise ValueError(f"non-finite attitude roll={roll} pitch={pitch}")
        self._attitude = (float(roll), float(pitch))

    @property
    def attitude(self) -> tuple[float, float] | None:
        return self._attitude

    def reset(self) -> None:
        self._scans.clear()
        self._history.clear()

    def add_scan(self, points: np.ndarray, stamp: float, pose: np.ndarray | None = None) -> None:
        """Queue a sensor-frame scan (N x 3). ``stamp`` in seconds on the caller's clock."""
        pts = np.asarray(points)
        if pts.ndim != 2 or pts.shape[1] != 3:
            raise ValueError(f"points must be N x 3, got shape {pts.shape}")
        if pts.shape[0] > self.cfg.max_points:
            raise ValueError(f"{pts.shape[0]} points exceed max_points {self.cfg.max_points}")
        if not math.isfinite(stamp):
            raise ValueError("scan stamp must be finite")
        self._scans.append(_Scan(pts.astype(np.float32, copy=False), float(stamp), pose))
        self.scans_received += 1
        self.last_scan_time = (
            float(stamp) if self.last_scan_time is None else max(self.last_scan_time, float(stamp))
        )
        newest = self.last_scan_time
        while len(self._scans) > self.cfg.accumulate_max_scans or (
            self._scans and self._scans[0].stamp < newest - self.cfg.accumulate_window_s
        ):
            self._scans.popleft()

    def is_stale(self, now: float) -> bool:
        return self.last_scan_time is None or now - self.last_scan_time > self.cfg.stale_after_s

    def _affine(self, scan: _Scan, pose_now: np.ndarray | None) -> np.ndarray:
        a = np.asarray(self.cfg.sensor_to_base, dtype=np.float64)
        if scan.pose is not None and pose_now is not None:
            a = invert(pose_now) @ scan.pose @ a
        if self.cfg.gravity_align and self._attitude is not None:
            a = level_matrix(*self._attitude) @ a
        return self._grid_inv @ a

    def scan_to_grid(self, index: int = -1, pose_now: np.ndarray | None = None) -> np.ndarray:
        """The 4x4 sensor -> grid transform used for a queued scan (for tools and tests)."""
        return self._affine(self._scans[index], pose_now)

    def build(self, pose_now: np.ndarray | None = None) -> HeightMap:
        """A map from the accumulated scans (+ temporal history). Call after add_scan."""
        cfg = self.cfg.map
        warnings: list[str] = []
        if self.cfg.gravity_align and self._attitude is None:
            warnings.append("gravity_align is on but no attitude received yet: map not levelled")
        if pose_now is None and self._scans:
            pose_now = self._scans[-1].pose
        points_in = sum(s.points.shape[0] for s in self._scans)
        if self._plan is not None:  # steps 1-3 compiled, one pass per scan (fast_kernel)
            scans = [(s.points, effective_affine(self._affine(s, pose_now))) for s in self._scans]
            reduced, points_used = fast_kernel.reduce_scans(scans, self._plan)
        else:
            parts = [grid_candidates(s.points, self._affine(s, pose_now), cfg) for s in self._scans]
            if len(parts) == 1:
                x, y, z = parts[0]
            else:
                empty = np.empty(0, np.float32)
                x, y, z = (np.concatenate([p[i] for p in parts] or [empty]) for i in range(3))
            cell, z = cell_indices_xyz(x, y, z, cfg)
            reduced, points_used = reduce_cells(cell, z, cfg), int(cell.size)
        current = apply_values(reduced, cfg)
        if points_in == 0:
            warnings.append("empty point cloud: map unknown")
        elif points_used == 0:
            warnings.append("no point fell inside the grid: map unknown")
        combined = current
        if cfg.temporal_frames > 1:
            grid_in_base = np.asarray(self.cfg.grid_in_base, dtype=np.float64)
            for prev, prev_pose in self._history:
                if prev_pose is not None and pose_now is not None:
                    motion = planar_part(prev_pose)
                    motion = invert(motion) @ planar_part(pose_now)
                    prev = shift_map(prev, cfg.grid, grid_in_base, motion)
                combined = np.fmax(combined, prev)  # NaN-aware: unknown never wins
            self._history.append((current, pose_now))
        values, known = finish(combined, cfg)
        self.maps_built += 1
        return HeightMap(
            values=values,
            known=known,
            flat=cfg.grid.flatten(values),
            stamp=self.last_scan_time if self.last_scan_time is not None else math.nan,
            points_in=points_in,
            points_used=points_used,
            scans=len(self._scans),
            warnings=tuple(warnings),
        )


def pose_from_params(translation: list[float], rotation_wxyz: list[float]) -> np.ndarray:
    """A 4x4 transform from config values (validated, clear error on nonsense)."""
    return pose_transform(translation, rotation_wxyz)
