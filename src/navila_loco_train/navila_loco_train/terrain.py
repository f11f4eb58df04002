"""Training terrain: a curriculum grid of tiles (difficulty levels x terrain types) as one height
field, plus exact height look-ups for spawning, the base-height termination and height maps.

Tile (level l, type t) covers x in [l * tile, (l + 1) * tile), y in [t * tile, (t + 1) * tile).
Difficulty grows with the level: rough-ground noise, step height and box height are interpolated
between the spec's ranges. Each tile's centre is a flat 1 m square where robots spawn. No MuJoCo
import: `hfield_mjcf()` returns the XML, and the model builder puts it in navila_sim's scene.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from navila_loco_train.task_spec import TerrainSpec

SPAWN_HALF_M = 0.5  # flat square around each tile centre


@dataclass
class Terrain:
    spec: TerrainSpec
    heights: np.ndarray  # (ny, nx) metres; row = y index, column = x index (MuJoCo hfield order)

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
        vertices along the grid lines (outside the grid: the border value)."""
        r = self.resolution
        ny, nx = self.heights.shape
        fx = np.clip(np.asarray(x, dtype=np.float64) / r, 0.0, nx - 1.000001)
        fy = np.clip(np.asarray(y, dtype=np.float64) / r, 0.0, ny - 1.000001)
        ix, iy = np.floor(fx).astype(np.int64), np.floor(fy).astype(np.int64)
        ax, ay = fx - ix, fy - iy
        h = self.heights
        top = h[iy, ix] * (1 - ax) + h[iy, ix + 1] * ax
        bottom = h[iy + 1, ix] * (1 - ax) + h[iy + 1, ix + 1] * ax
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


def make_terrain(spec: TerrainSpec, seed: int = 0) -> Terrain:
    """The curriculum grid, deterministic for a seed."""
    rng = np.random.default_rng(seed)
    res = spec.resolution_m
    n = round(spec.tile_m / res)
    heights = np.zeros((len(spec.types) * n + 1, spec.levels * n + 1))
    half = round(SPAWN_HALF_M / res)
    for t, kind in enumerate(spec.types):
        for level in range(spec.levels):
            if kind == "flat":
                tile = np.zeros((n, n))
            elif kind == "rough":
                tile = _rough(n, _level_value(spec.rough_noise_m, level, spec.levels), res, rng)
            elif kind == "steps":
                tile = _steps(n, _level_value(spec.step_height_m, level, spec.levels), res)
            elif kind == "boxes":
                tile = _boxes(n, _level_value(spec.box_height_m, level, spec.levels), res, rng)
            else:
                raise ValueError(f"unknown terrain type {kind!r}; known: flat rough steps boxes")
            c = n // 2
            tile[c - half : c + half + 1, c - half : c + half + 1] = tile[c, c]
            heights[t * n : (t + 1) * n, level * n : (level + 1) * n] = tile
    # The last row/column (the grid has n*k + 1 vertices) repeats its neighbour.
    heights[-1, :] = heights[-2, :]
    heights[:, -1] = heights[:, -2]
    return Terrain(spec, heights)
