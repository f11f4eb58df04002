"""How far the robot can walk straight ahead before something it cannot step onto or down from
(no ROS).

The locomotion policy climbs what it was trained on (the Go2's curriculum: steps and boxes up to
about 12 cm); it does not steer. Asked to walk into a 30 cm box it shoulders or climbs into it
(models/go2_vision/README.md, the boxes course): nothing between the planner's 1-2 Hz language
commands and the 50 Hz policy stops it. This module measures the free distance ahead from the
same LiDAR scan the height map is built from, so navila_loco can hold the forward command in
front of a wall while the planner decides what to do.

Method, on one scan in the base frame (levelled with the IMU's roll and pitch where known):
keep the points in a corridor as wide as the robot (``|y| <= half_width``) from ``x_min`` (past
the robot's own nose) to ``x_max``; bin them along x (``bin_m``); a bin with at least
``min_points`` points is seen, its height the ``min_points``-th highest point in it (so one
stray return lifts nothing). Walking outward from the
floor under the feet (``ground_z``), each seen bin is compared with the previous seen one: a rise
of more than ``step_height`` between them is a face the robot cannot step onto, and its bin's
near edge is the clearance. A staircase (each rise below the limit) or a slope passes; a 12 cm
box passes; a 25 cm box or a wall does not. Points more than ``overhead`` above the floor are
ignored (a table the robot walks under). Bins with too few points are skipped, not read as free
floor or as obstacles: nothing is made up.

A ledge ends the walk as a face does: a fall of more than ``drop_height`` between neighbouring
seen bins (or from the floor under the feet to the first seen bin) is an edge at the far end of
the higher bin; the floor below a deep ledge may not be seen at all (the rays that pass the edge
land beyond ``x_max``), so where the seen bins end more than ``max_unseen_m`` short of ``x_max``
the known floor ends there too. A gap inside the corridor followed by floor at the same height
is the shadow behind a bump (a rubble block) and passes; followed by a lower floor it is a
ledge. In navila_sim a Go2 on a 40 cm platform read free (+inf) with its edge 0.6 m and 1.0 m
ahead before this; its scan sees flat floor out to ~1.05 m in every bin, sparser beyond.

The result is ``+inf`` when the corridor is seen and free out to ``x_max``, ``NaN`` when the
scan has no point in the corridor at all (a blind sensor: nothing is known ahead), else the
distance in metres from the base origin.

Turning in place sweeps the body's corners around a circle (the Go2's half-diagonal is 0.38 m):
a box beside the robot is struck by a turn though nothing is ahead (the boxes course's falls
and thigh contacts after the guard stopped the walking ones). ``around_clearance`` is the
horizontal distance from the base origin to the nearest point of an obstacle in any direction:
a point between ``step_height`` and ``overhead`` above the floor under the feet, outside the
robot's own footprint (``body_half_length`` x ``body_half_width``: the sensor may see its own
body), the ``min_points``-th nearest such point within ``around_max`` (+inf if fewer; NaN when
the scan has fewer than ``min_points`` points of any kind there).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from heightmap_node.transforms import level_matrix


@dataclass(frozen=True)
class ClearanceConfig:
    """The corridor and the step the robot can take, in the base frame (x forward, z up)."""

    enabled: bool = False
    ground_z: float = -0.30  # the floor under the feet standing (Go2: base 0.30 m up), m
    step_height: float = 0.20  # a rise above this between neighbouring bins is a face, m
    overhead: float = 0.55  # points this far above the floor pass over the robot, m
    half_width: float = 0.22  # corridor half width: half the robot's width plus a margin, m
    x_min: float = 0.30  # from here (past the robot's own nose and front feet) ..., m
    x_max: float = 1.50  # ... to here, m
    bin_m: float = 0.05
    min_points: int = 2  # a bin with fewer points is not seen (one stray return decides nothing)
    body_half_length: float = 0.38  # the footprint whose points are the robot's own, m
    body_half_width: float = 0.17
    around_max: float = 1.0  # around_clearance looks this far, m
    drop_height: float = 0.20  # a fall above this between neighbouring bins is a ledge, m
    max_unseen_m: float = 0.30  # seen floor ending this far short of x_max ends the walk, m

    def __post_init__(self) -> None:
        for name in (
            "ground_z",
            "step_height",
            "overhead",
            "half_width",
            "x_min",
            "x_max",
            "body_half_length",
            "body_half_width",
            "around_max",
            "drop_height",
            "max_unseen_m",
        ):
            if not math.isfinite(getattr(self, name)):
                raise ValueError(f"clearance.{name} must be finite")
        for name in (
            "step_height",
            "overhead",
            "half_width",
            "bin_m",
            "body_half_length",
            "body_half_width",
            "around_max",
            "drop_height",
            "max_unseen_m",
        ):
            if not getattr(self, name) > 0:
                raise ValueError(f"clearance.{name} must be > 0, got {getattr(self, name)}")
        if not self.overhead > self.step_height:
            raise ValueError(
                f"clearance.overhead ({self.overhead}) must exceed clearance.step_height "
                f"({self.step_height}): nothing could be an obstacle"
            )
        if not 0 <= self.x_min < self.x_max:
            raise ValueError(f"clearance needs 0 <= x_min < x_max, got {self.x_min, self.x_max}")
        if self.min_points < 1:
            raise ValueError(f"clearance.min_points must be >= 1, got {self.min_points}")


def points_in_base(
    points_sensor: np.ndarray, sensor_to_base: np.ndarray, attitude: tuple[float, float] | None
) -> np.ndarray:
    """A scan's (N, 3) points from the sensor frame into the base frame, levelled by the IMU's
    (roll, pitch) where given. Without it the body frame: the ahead test (rises between
    neighbouring bins) tolerates its tilt, the around test (heights above the floor) does not."""
    a = np.asarray(sensor_to_base, dtype=np.float64)
    if attitude is not None:
        a = level_matrix(*attitude) @ a
    # float32 like the decoded cloud (sub-millimetre at 10 m): no float64 copy of a big scan
    p = np.asarray(points_sensor, dtype=np.float32).reshape(-1, 3)
    return p @ a[:3, :3].T.astype(np.float32) + a[:3, 3].astype(np.float32)


def forward_clearance(points_base: np.ndarray, cfg: ClearanceConfig) -> float:
    """Free distance ahead (m from the base origin) to the first face, ledge or end of the seen
    floor; +inf if seen and free to x_max, NaN if unseen."""
    p = np.asarray(points_base).reshape(-1, 3)
    x, y, z = p[:, 0], p[:, 1], p[:, 2]
    # comparisons with NaN are false: a NaN coordinate leaves the point out of the corridor
    keep = (x >= cfg.x_min) & (x < cfg.x_max) & (np.abs(y) <= cfg.half_width)
    keep &= (z <= cfg.ground_z + cfg.overhead) & np.isfinite(z)
    if not np.any(keep):
        return math.nan
    n_bins = math.ceil((cfg.x_max - cfg.x_min) / cfg.bin_m)
    idx = np.minimum(((x[keep] - cfg.x_min) / cfg.bin_m).astype(np.int64), n_bins - 1)
    zk = z[keep].astype(np.float64)
    order = np.lexsort((-zk, idx))  # by bin, highest first inside each bin
    counts = np.bincount(idx, minlength=n_bins)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    seen = np.flatnonzero(counts >= cfg.min_points)
    if seen.size == 0:
        return math.nan
    # A bin's height is its min_points-th highest point: one stray return lifts nothing.
    heights = zk[order[starts[seen] + cfg.min_points - 1]]
    previous = np.concatenate(([cfg.ground_z], heights[:-1]))
    rise = heights - previous
    ends = [math.inf]
    faces = np.flatnonzero(rise > cfg.step_height)
    if faces.size:  # a face: its bin's near edge
        ends.append(cfg.x_min + float(seen[faces[0]]) * cfg.bin_m)
    drops = np.flatnonzero(-rise > cfg.drop_height)
    if drops.size:  # a ledge: the far edge of the bin before it (x_min when that is the floor)
        i = drops[0]
        ends.append(cfg.x_min + (float(seen[i - 1]) + 1.0) * cfg.bin_m if i else cfg.x_min)
    seen_end = cfg.x_min + (float(seen[-1]) + 1.0) * cfg.bin_m
    if cfg.x_max - seen_end > cfg.max_unseen_m:  # the floor is not seen past here
        ends.append(seen_end)
    return min(ends)


def around_clearance(points_base: np.ndarray, cfg: ClearanceConfig) -> float:
    """Distance (m, horizontal, from the base origin) to the nearest obstacle point in any
    direction outside the robot's footprint: +inf if none within around_max, NaN if unseen."""
    p = np.asarray(points_base).reshape(-1, 3)
    # the square around the robot first (cheap comparisons; NaN is never inside), then circles
    box = (np.abs(p[:, 0]) <= cfg.around_max) & (np.abs(p[:, 1]) <= cfg.around_max)
    p = p[box & np.isfinite(p[:, 2])].astype(np.float64)
    x, y, z = p[:, 0], p[:, 1], p[:, 2]
    own = (np.abs(x) <= cfg.body_half_length) & (np.abs(y) <= cfg.body_half_width)
    r = np.hypot(x, y)
    near = ~own & (r <= cfg.around_max)
    if np.count_nonzero(near) < cfg.min_points:
        return math.nan
    dz = z[near] - cfg.ground_z
    hits = np.sort(r[near][(dz > cfg.step_height) & (dz <= cfg.overhead)])
    return float(hits[cfg.min_points - 1]) if hits.size >= cfg.min_points else math.inf
