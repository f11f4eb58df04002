"""LiDAR scan patterns (pure NumPy): unit ray directions in the sensor frame.

The NaVILA Go2 policy was trained with an Isaac Lab ray-caster "LiDAR pattern" imitating the
Unitree L1: 32 channels spread evenly over a 0-90 deg vertical field, a ray every 4 deg around the
full circle, about 15 Hz. Elevation 0 is the sensor's x-y plane and 90 deg its +z axis; on the Go2
the sensor frame is mounted about 165 deg around y, so that hemisphere looks down and forward.
Other patterns are just other numbers in the config.

mode "top_surface" is an oracle instead of a sensor: the scene's top surface sampled straight
from above on a square lattice around the base (`surface_spacing_m`, `surface_half_m`), returned
in the LiDAR frame like a scan. Nothing is occluded: a block's face does not hide the ground
behind it. It is what navila_loco_train's height maps are made from (the terrain's top surface
from above), so evaluating a policy on it tells a failure of the sensor path (occlusion) from a
failure of the policy. Never a robot's setting.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

LIDAR_MODES = ("rays", "top_surface")


@dataclass(frozen=True)
class LidarPattern:
    channels: int = 32
    vertical_fov_deg: tuple[float, float] = (0.0, 90.0)
    horizontal_fov_deg: tuple[float, float] = (-180.0, 180.0)
    horizontal_res_deg: float = 4.0
    min_range: float = 0.05
    max_range: float = 20.0
    rate_hz: float = 15.0
    mode: str = "rays"  # rays: the scan above; top_surface: the oracle (module doc)
    surface_spacing_m: float = 0.04
    surface_half_m: float = 1.6

    def validate(self) -> None:
        if self.mode not in LIDAR_MODES:
            raise ValueError(f"lidar mode must be one of {LIDAR_MODES}, got {self.mode!r}")
        if not (0.0 < self.surface_spacing_m <= self.surface_half_m):
            raise ValueError("lidar surface lattice needs 0 < surface_spacing_m <= surface_half_m")
        if self.channels < 1:
            raise ValueError("lidar channels must be >= 1")
        lo, hi = self.vertical_fov_deg
        if not (-90.0 <= lo <= hi <= 90.0):
            raise ValueError(f"lidar vertical fov must satisfy -90 <= lo <= hi <= 90, got {lo, hi}")
        hlo, hhi = self.horizontal_fov_deg
        if not (hhi > hlo and hhi - hlo <= 360.0 + 1e-9):
            raise ValueError(
                f"lidar horizontal fov must be an interval of at most 360 deg: {hlo, hhi}"
            )
        if not self.horizontal_res_deg > 0:
            raise ValueError("lidar horizontal resolution must be > 0")
        if not (0.0 <= self.min_range < self.max_range):
            raise ValueError("lidar ranges must satisfy 0 <= min_range < max_range")
        if not self.rate_hz > 0:
            raise ValueError("lidar rate must be > 0")

    def surface_offsets(self) -> np.ndarray:
        """(k * k, 2) lattice offsets (x, y) from the base for mode top_surface, in metres."""
        self.validate()
        half = self.surface_half_m
        k = np.arange(-half, half + 1e-9, self.surface_spacing_m)
        gx, gy = np.meshgrid(k, k, indexing="ij")
        return np.stack([gx.ravel(), gy.ravel()], axis=1)

    def directions(self) -> np.ndarray:
        """(channels * n_horizontal, 3) unit vectors in the sensor frame, channel-major."""
        self.validate()
        lo, hi = self.vertical_fov_deg
        vert = np.radians(np.linspace(lo, hi, self.channels))
        hlo, hhi = self.horizontal_fov_deg
        full_circle = math.isclose(hhi - hlo, 360.0)
        # A full circle must not repeat its first ray at 360 deg; a sector includes both ends.
        n_h = (
            round((hhi - hlo) / self.horizontal_res_deg)
            if full_circle
            else math.floor((hhi - hlo) / self.horizontal_res_deg + 1e-9) + 1
        )
        horiz = np.radians(hlo + self.horizontal_res_deg * np.arange(n_h))
        v, h = np.meshgrid(vert, horiz, indexing="ij")
        dirs = np.stack([np.cos(v) * np.cos(h), np.cos(v) * np.sin(h), np.sin(v)], axis=-1)
        return dirs.reshape(-1, 3)
