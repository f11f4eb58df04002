"""Training terrain: a curriculum grid of tiles (difficulty levels x terrain types) as one height
field, plus exact height look-ups for spawning, the base-height termination and height maps.

Tile (level l, type t) covers x in [l * tile, (l + 1) * tile), y in [t * tile, (t + 1) * tile).
Difficulty grows with the level: rough-ground noise, step height and box height are interpolated
between the spec's ranges. Types: flat, rough, steps (a pyramid: walking out steps down, coming
back climbs), steps_up (the same pyramid as a pit: walking out climbs), boxes, rubble, pillars
(walls too tall to climb; the level sets how many). Each tile's centre is a flat 1 m square where
robots spawn. No MuJoCo import: `hfield_mjcf()` returns the XML, and the model builder puts it in
navila_sim's scene.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from navila_loco_train.task_spec import TerrainSpec

SPAWN_HALF_M = 0.5  # flat square around each tile centre


@dataclass
class Terrain:
    spec: TerrainSpec
    heights: np.ndarray  # (ny, nx) metres; row = y index, column = x index (MuJoCo hfield order)

    @cached_property
    def _flat32(self) -> np.ndarray:
        return np.ascontiguousarray(self.heights, dtype=np.float32).ravel()

    @property
    def resolution(self) -> float:
        return self.spec.resolution_m

    @property
    def size_x(self) -> float:
        return self.spec.levels * self.spec.tile_m

    @property
    def size_y(self) -> float:
        return len(self.spec.types) * self.spec.tile_m

    def tile_center(self, level: np.ndarray, type_idx: np.ndarray) -> np.ndarray:
        """(N, 2) world xy of the tile centres."""
        t = self.spec.tile_m
        return np.stack([(np.asarray(level) + 0.5) * t, (np.asarray(type_idx) + 0.5) * t], axis=-1)

    def height_at(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Bilinear height at world (x, y) - what MuJoCo's height field surface is between
        vertices along the grid lines (outside the grid: the border value). float64, or float32
        when both inputs are float32 (the training height-map lattice: half the memory)."""
        x, y = np.asarray(x), np.asarray(y)
        single = x.dtype == np.float32 and y.dtype == np.float32  # height-map lattices: fast
        dtype = np.float32 if single else np.float64
        ny, nx = self.heights.shape
        r = dtype(self.resolution)
        edge = 1.001 if single else 1.000001  # stay below the last vertex at this precision
        fx = np.clip(x.astype(dtype, copy=False) / r, 0.0, nx - edge)
        fy = np.clip(y.astype(dtype, copy=False) / r, 0.0, ny - edge)
        ix, iy = np.floor(fx), np.floor(fy)
        ax, ay = fx - ix, fy - iy
        ix, iy = ix.astype(np.intp), iy.astype(np.intp)
        h = self._flat32 if single else np.ascontiguousarray(self.heights).ravel()
        i = iy * nx + ix  # flat takes: training calls this for every height-map point
        top = h.take(i) * (1 - ax) + h.take(i + 1) * ax
        bottom = h.take(i + nx) * (1 - ax) + h.take(i + nx + 1) * ax
        return top * (1 - ay) + bottom * ay

    def hfield_mjcf(self, name: str = "terrain") -> tuple[str, str, np.ndarray]:
        """(asset XML, geom XML, normalised data for model.hfield_data).

        MuJoCo's height field spans [-rx, rx] x [-ry, ry] around the geom position, with vertex
        (row i, column j) at x = -rx + j * 2 rx / (ncol - 1); heights are data * elevation above
        the geom's z. The geom is placed so vertex (0, 0) is at world (0, 0)."""
        ny, nx = self.heights.shape
        rx = (nx - 1) * self.resolution / 2
        ry = (ny - 1) * self.resolution / 2
        lo, hi = float(self.heights.min()), float(self.heights.max())
        elevation = max(hi - lo, 1e-3)
        data = ((self.heights - lo) / elevation).astype(np.float32)
        asset = (
            f'<hfield name="{name}" nrow="{ny}" ncol="{nx}" '
            f'size="{rx:.6f} {ry:.6f} {elevation:.6f} 0.1"/>'
        )
        geom = (
            f'<geom name="{name}" type="hfield" hfield="{name}" pos="{rx:.6f} {ry:.6f} {lo:.6f}" '
            'group="0" contype="1" conaffinity="2" material="grid"/>'
        )
        return asset, geom, data


def _level_value(bounds: tuple[float, float], level: int, levels: int) -> float:
    a, b = bounds
    return a + (b - a) * (level / max(levels - 1, 1))


def _rough(n: int, amplitude: float, res: float, rng: np.random.Generator) -> np.ndarray:
    """Uniform noise on a 0.2 m lattice, bilinearly upsampled (no single-cell spikes)."""
    coarse = max(round(0.2 / res), 1)
    m = n // coarse + 2
    lattice = rng.uniform(-amplitude, amplitude, size=(m, m))
    idx = np.arange(n) / coarse
    i0 = np.floor(idx).astype(int)
    a = idx - i0
    rows = lattice[i0] * (1 - a)[:, None] + lattice[i0 + 1] * a[:, None]
    return rows[:, i0] * (1 - a)[None, :] + rows[:, i0 + 1] * a[None, :]


def _steps(n: int, height: float, res: float) -> np.ndarray:
    """A pyramid of steps down from the centre (0.4 m treads): robots walking outwards step down,
    walking back they climb."""
    c = (n - 1) / 2
    idx = np.arange(n)
    d = np.maximum(np.abs(idx[:, None] - c), np.abs(idx[None, :] - c)) * res
    k = np.floor(np.maximum(d - SPAWN_HALF_M, 0.0) / 0.4)
    return -k * height


def _boxes(n: int, height: float, res: float, rng: np.random.Generator) -> np.ndarray:
    """Random rectangular blocks (0.4-1.0 m sides), up or down by up to `height`."""
    out = np.zeros((n, n))
    for _ in range(int(n * n * res * res / 2.0)):  # about one block per 2 m^2
        w, h = rng.integers(int(0.4 / res), int(1.0 / res) + 1, size=2)
        x, y = rng.integers(0, n - 1, size=2)
        out[y : y + h, x : x + w] = rng.uniform(-height, height)
    return out


def _footprint(
    xx: np.ndarray, yy: np.ndarray, cx: float, cy: float, depth: float, width: float, yaw: float
) -> np.ndarray:
    """Cells of the grid (xx, yy) inside a depth x width rectangle centred at (cx, cy), its depth
    along the direction `yaw`."""
    c, s = np.cos(yaw), np.sin(yaw)
    u = (xx - cx) * c + (yy - cy) * s
    v = -(xx - cx) * s + (yy - cy) * c
    return (np.abs(u) <= depth / 2) & (np.abs(v) <= width / 2)


def _rubble(n: int, height: float, res: float, rng: np.random.Generator) -> np.ndarray:
    """Low blocks on a flat floor, up only, rotated at any yaw, gaps mostly shorter than the
    robot: a block 0.4-0.7 m deep and 0.8-1.5 m wide about every 1.1 m^2, each half to full
    `height` tall (overlaps keep the taller). Unlike `boxes` (axis-aligned, up or down, most of
    the tile raised or sunk) the robot stands on the floor and on a block at once, turns on a
    block's edge and crosses edges at an angle - where the vision policy tipped over on the
    evaluation's held-out rubble field (a different, hand-placed layout)."""
    out = np.zeros((n, n))
    coords = (np.arange(n) + 0.5) * res
    xx, yy = np.meshgrid(coords, coords)  # [y, x]
    side = n * res
    for _ in range(int(side * side / 1.1)):
        depth, width = rng.uniform(0.4, 0.7), rng.uniform(0.8, 1.5)
        cx, cy = rng.uniform(0.0, side, size=2)
        inside = _footprint(xx, yy, cx, cy, depth, width, rng.uniform(-np.pi, np.pi))
        out[inside] = np.maximum(out[inside], rng.uniform(0.5, 1.0) * height)
    return out


PILLAR_HEIGHT_M = (0.25, 0.45)  # the evaluation's tall boxes: above any step the policy climbs
PILLAR_SIDE_M = (0.3, 0.5)
PILLAR_AREA_PER_M2 = 2.5  # one pillar per this many m^2 at the top level


def _pillars(n: int, level: int, levels: int, res: float, rng: np.random.Generator) -> np.ndarray:
    """Tall blocks on a flat floor: 0.3-0.5 m sides at any yaw, 0.25-0.45 m tall - walls, not
    steps (every other type tops out at the box/step range, 12 cm in the shipped configs). Their
    number grows with the level, from one per 25 m^2 to one per 2.5 m^2 (the evaluation's field
    has about one per 2 m^2 along its walking line); no pillar's centre within 1.2 m of the
    tile's, so the spawn square stays floor. Why: the shipped vision policy rolled over against
    the evaluation's 25-45 cm boxes in 3 of 12 trials; it had never met an obstacle it could not
    step onto, so it tried to climb them."""
    out = np.zeros((n, n))
    coords = (np.arange(n) + 0.5) * res
    xx, yy = np.meshgrid(coords, coords)  # [y, x]
    side = n * res
    keep_clear = SPAWN_HALF_M + 0.7
    min_side = np.sqrt(2) * (keep_clear + 0.1)  # corners 0.1 m beyond the clearance
    if side <= min_side:  # nowhere to put one: refuse, do not loop
        raise ValueError(f"pillars need tiles wider than {min_side:.2f} m")
    count = round(side * side / PILLAR_AREA_PER_M2 * (level + 1) / levels)
    placed = 0
    while placed < count:
        cx, cy = rng.uniform(0.0, side, size=2)
        if np.hypot(cx - side / 2, cy - side / 2) < keep_clear:
            continue
        a, b = rng.uniform(*PILLAR_SIDE_M, size=2)
        inside = _footprint(xx, yy, cx, cy, a, b, rng.uniform(-np.pi, np.pi))
        out[inside] = np.maximum(out[inside], rng.uniform(*PILLAR_HEIGHT_M))
        placed += 1
    return out


def make_tile(
    kind: str,
    level: int,
    levels: int,
    n: int,
    resolution: float,
    rough_noise_m: tuple[float, float],
    step_height_m: tuple[float, float],
    box_height_m: tuple[float, float],
    rng: np.random.Generator,
) -> np.ndarray:
    """One n x n tile (metres, indexed [y, x]) of a terrain type at a level (difficulty
    interpolated between the ranges), flat around its centre where robots spawn. Shared with the
    Isaac Lab terrain (isaaclab/kernels.py), so both trainers walk on the same ground."""
    if kind == "flat":
        tile = np.zeros((n, n))
    elif kind == "rough":
        tile = _rough(n, _level_value(rough_noise_m, level, levels), resolution, rng)
    elif kind == "steps":
        tile = _steps(n, _level_value(step_height_m, level, levels), resolution)
    elif kind == "steps_up":  # the pyramid turned into a pit: walking out of it climbs
        tile = -_steps(n, _level_value(step_height_m, level, levels), resolution)
    elif kind == "boxes":
        tile = _boxes(n, _level_value(box_height_m, level, levels), resolution, rng)
    elif kind == "rubble":
        tile = _rubble(n, _level_value(box_height_m, level, levels), resolution, rng)
    elif kind == "pillars":
        tile = _pillars(n, level, levels, resolution, rng)
    else:
        raise ValueError(
            f"unknown terrain type {kind!r}; known: flat rough steps steps_up boxes rubble pillars"
        )
    c = n // 2
    half = round(SPAWN_HALF_M / resolution)
    tile[c - half : c + half + 1, c - half : c + half + 1] = tile[c, c]
    return tile


def make_terrain(spec: TerrainSpec, seed: int = 0) -> Terrain:
    """The curriculum grid, deterministic for a seed."""
    rng = np.random.default_rng(seed)
    res = spec.resolution_m
    n = round(spec.tile_m / res)
    heights = np.zeros((len(spec.types) * n + 1, spec.levels * n + 1))
    ranges = (spec.rough_noise_m, spec.step_height_m, spec.box_height_m)
    for t, kind in enumerate(spec.types):
        for level in range(spec.levels):
            tile = make_tile(kind, level, spec.levels, n, res, *ranges, rng)
            heights[t * n : (t + 1) * n, level * n : (level + 1) * n] = tile
    # The last row/column (the grid has n*k + 1 vertices) repeats its neighbour.
    heights[-1, :] = heights[-2, :]
    heights[:, -1] = heights[:, -2]
    return Terrain(spec, heights)
