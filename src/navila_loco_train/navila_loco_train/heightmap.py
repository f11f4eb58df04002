"""Training height maps from the terrain through the deployed heightmap core.

A LiDAR mostly sees the ground's top surface; here that is sampled exactly: a dense square of
terrain points around each robot (the terrain's height at each xy - a vertical ray cast), taken
into the policy's grid frame (the robot's `heightmap_node.grid_in_base` from config/<robot>.yaml)
and reduced by `heightmap_node.builder.build_height_map` with the robot's preset - the same code
the heightmap node runs on real LiDAR clouds, so the values mean the same thing.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import yaml

from heightmap_node.builder import PRESETS, build_height_map
from heightmap_node.transforms import invert, pose_transform
from navila_loco_node.observation import rotate_inverse_batch, rpy_from_quat_batch
from navila_loco_train.terrain import Terrain

SCAN_HALF_M = 1.2  # square around the base covering the map's cells
SCAN_SPACING_M = 0.03  # half the Go2 cell: every cell gets several points


class HeightMapSampler:
    def __init__(self, robot_config: str | Path) -> None:
        params = yaml.safe_load(Path(robot_config).read_text())["heightmap_node"]["ros__parameters"]
        preset = str(params["preset"])
        if preset not in PRESETS:
            raise ValueError(f"heightmap preset {preset!r} unknown; known {sorted(PRESETS)}")
        self.cfg = PRESETS[preset]()
        g = params["grid_in_base"]
        self.base_to_grid = invert(pose_transform(g["translation"], g["rotation_wxyz"]))
        k = np.arange(-SCAN_HALF_M, SCAN_HALF_M + 1e-9, SCAN_SPACING_M)
        gx, gy = np.meshgrid(k, k, indexing="ij")
        self.pattern = np.stack([gx.ravel(), gy.ravel()], axis=1)  # base-yaw frame offsets

    def sample(self, terrain: Terrain, base_pos: np.ndarray, quat_wxyz: np.ndarray) -> np.ndarray:
        """(N, cells) maps for robots at `base_pos` (N, 3) with attitude `quat_wxyz` (N, 4)."""
        n = len(base_pos)
        yaw = rpy_from_quat_batch(quat_wxyz)[:, 2]
        c, s = np.cos(yaw)[:, None], np.sin(yaw)[:, None]
        px, py = self.pattern[:, 0][None, :], self.pattern[:, 1][None, :]
        wx = base_pos[:, :1] + c * px - s * py
        wy = base_pos[:, 1:2] + s * px + c * py
        wz = terrain.height_at(wx, wy)
        world = np.stack([wx, wy, wz], axis=-1) - base_pos[:, None, :]
        in_base = rotate_inverse_batch(quat_wxyz[:, None, :], world)
        a = self.base_to_grid
        in_grid = in_base @ a[:3, :3].T + a[:3, 3]
        return np.stack([build_height_map(in_grid[i], self.cfg) for i in range(n)])
