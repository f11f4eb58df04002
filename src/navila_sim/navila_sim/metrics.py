"""VLN-CE episode metrics (NE, OSR, SR, SPL, nDTW, SDTW, path length, steps), as VLN-CE defines
them, so our numbers can be read beside the paper's.

Differences from Habitat, on purpose and documented: distances are Euclidean in the ground plane
(our scenes have no navmesh for geodesics), so `d0` for SPL is the reference path's length when a
reference is given (the R2R reference is the shortest path, i.e. the geodesic) and the straight
start-goal distance otherwise. DTW is exact (VLN-CE's fastdtw is an approximation).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

SUCCESS_DISTANCE = 3.0  # metres, VLN-CE's success radius
DENSE_STEP = 0.25  # metres between reference points for nDTW, as VLN-CE's dense references


@dataclass(frozen=True)
class EpisodeMetrics:
    ne: float  # navigation error: final distance to goal [m]
    osr: float  # oracle success: 1 if ever within the radius (start included)
    sr: float  # success: stop was called and final distance < radius
    spl: float  # success weighted by (normalised inverse) path length
    ndtw: float  # normalised dynamic time warping against the reference path
    sdtw: float  # success-weighted nDTW
    path_length: float  # metres walked (sum of Euclidean steps)
    steps: int  # number of recorded poses after the start
    stopped: bool

    def to_dict(self) -> dict:
        return asdict(self)


def _xy(points: Sequence[Sequence[float]] | np.ndarray) -> np.ndarray:
    arr = np.asarray(points, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] < 2:
        raise ValueError(f"expected a non-empty list of (x, y[, z]) points, got shape {arr.shape}")
    if not np.all(np.isfinite(arr[:, :2])):
        raise ValueError("points must be finite")
    return arr[:, :2]


def path_length(points: Sequence[Sequence[float]] | np.ndarray) -> float:
    xy = _xy(points)
    return float(np.linalg.norm(np.diff(xy, axis=0), axis=1).sum())


def densify(points: Sequence[Sequence[float]] | np.ndarray, step: float = DENSE_STEP) -> np.ndarray:
    """Resample a polyline so consecutive points are at most `step` apart (ends kept)."""
    xy = _xy(points)
    out = [xy[0]]
    for a, b in itertools.pairwise(xy):
        n = max(1, math.ceil(float(np.linalg.norm(b - a)) / step))
        t = np.arange(1, n + 1, dtype=np.float64)[:, None] / n
        out.extend(a + t * (b - a))
    return np.asarray(out)


def resample_by_distance(
    points: Sequence[Sequence[float]] | np.ndarray, step: float = DENSE_STEP
) -> np.ndarray:
    """Keep a point each time the robot has moved `step` metres from the last kept one (and the
    final point). VLN-CE records one position per 0.25 m / 15 degree action; a continuous robot's
    50 Hz odometry would otherwise count every sample in DTW and drown nDTW."""
    xy = _xy(points)
    kept = [xy[0]]
    for p in xy[1:]:
        if np.linalg.norm(p - kept[-1]) >= step:
            kept.append(p)
    if not np.array_equal(kept[-1], xy[-1]):
        kept.append(xy[-1])
    return np.asarray(kept)


def dtw(path: np.ndarray, reference: np.ndarray) -> float:
    """Exact DTW with Euclidean point cost, O(n·m) time, one vectorised row at a time.

    Within a row the recurrence D[j] = min(a[j], c[j] + D[j-1]) (a[j] = c[j] + min of the two
    cells above) is a min-plus scan, which is S[j] + cummin(a - S)[j] with S = cumsum(c).
    """
    p, r = _xy(path), _xy(reference)
    prev = np.full(len(r), np.inf)
    for i in range(len(p)):
        c = np.linalg.norm(r - p[i], axis=1)
        if i == 0:
            row = np.cumsum(c)
        else:
            above = np.minimum(prev, np.concatenate(([np.inf], prev[:-1])))
            a = c + above
            s = np.cumsum(c)
            row = s + np.minimum.accumulate(a - s)
        prev = row
    return float(prev[-1])


def episode_metrics(
    path: Sequence[Sequence[float]] | np.ndarray,
    goal: Sequence[float],
    stopped: bool,
    reference: Sequence[Sequence[float]] | np.ndarray | None = None,
    success_distance: float = SUCCESS_DISTANCE,
) -> EpisodeMetrics:
    """Metrics of one episode from the robot's recorded positions (start first, final last)."""
    xy = _xy(path)
    g = np.asarray(goal, dtype=np.float64)[:2]
    dists = np.linalg.norm(xy - g, axis=1)
    ne = float(dists[-1])
    success = bool(stopped and ne < success_distance)
    length = path_length(xy)
    if reference is not None:
        ref = densify(reference)
        d0 = path_length(ref)
        ndtw = math.exp(-dtw(resample_by_distance(xy), ref) / (len(ref) * success_distance))
    else:
        d0 = float(dists[0])
        ndtw = float("nan")
    spl = (d0 / max(d0, length) if max(d0, length) > 0 else 1.0) if success else 0.0
    return EpisodeMetrics(
        ne=ne,
        osr=float(bool(np.any(dists < success_distance))),
        sr=float(success),
        spl=float(spl),
        ndtw=ndtw,
        sdtw=float(success) * ndtw if not math.isnan(ndtw) else float("nan"),
        path_length=length,
        steps=len(xy) - 1,
        stopped=bool(stopped),
    )


def aggregate(results: Sequence[EpisodeMetrics]) -> dict[str, float]:
    """Means over episodes, as the paper reports them (SR/OSR/SPL/nDTW as fractions)."""
    if not results:
        return {}
    keys = ("ne", "osr", "sr", "spl", "ndtw", "sdtw", "path_length", "steps")
    out: dict[str, float] = {"episodes": float(len(results))}
    for k in keys:
        vals = [float(getattr(r, k)) for r in results if not math.isnan(float(getattr(r, k)))]
        out[k] = float(np.mean(vals)) if vals else float("nan")
    return out
