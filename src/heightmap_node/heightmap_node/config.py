"""ROS parameters <-> BuilderConfig, one source of truth for the node, the CLI and the tests.

Parameters are flat dotted names (``grid.resolution``, ``sensor_to_base.translation``), as a
params file's nested ``heightmap_node: ros__parameters:`` section flattens them. ``preset`` picks
the policy layout (``go2``, ``h1``); every other map parameter defaults to the preset's value, so
a robot file only states what differs. Validation happens here, at start-up: a bad file stops the
node before it publishes anything the policy could act on.
"""

from __future__ import annotations

import math
from dataclasses import asdict
from pathlib import Path
from typing import Any

from navila_common.params import load_node_params

from heightmap_node.builder import PRESETS, BuilderConfig, MapConfig, pose_from_params
from heightmap_node.clearance import ClearanceConfig
from heightmap_node.grid import GridSpec

NODE_NAME = "heightmap_node"

PARAM_DESCRIPTIONS: dict[str, str] = {
    "preset": "policy layout preset: go2 (17x27 LiDAR map) or h1 (187-point height scan)",
    "grid.x_lo": "grid x lower bound (left_open: exclusive edge; centered: first centre), m",
    "grid.x_hi": "grid x upper bound (left_open: inclusive edge; centered: last centre), m",
    "grid.y_lo": "grid y lower bound, m (same convention as x)",
    "grid.y_hi": "grid y upper bound, m (same convention as x)",
    "grid.resolution": "cell size, m",
    "grid.cell_mode": "left_open (legged-loco bucketize cells) or centered (Isaac Lab ray grid)",
    "grid.order": "flat order: x_major (flat = ix*ny+iy) or y_major (flat = iy*nx+ix)",
    "reduction": "per-cell reduction of z: lowest, highest or mean",
    "z_min": "points below this z (grid frame) are ignored, m",
    "z_max": "points above this z (grid frame) are ignored, m",
    "value_scale": "cell value = value_scale * z - value_offset",
    "value_offset": "cell value = value_scale * z - value_offset",
    "zero_below_enabled": "set values below zero_below to 0 (NaVILA Go2: true)",
    "zero_below": "threshold for zero_below_enabled (NaVILA Go2: 0.05)",
    "empty_value": "value of cells that saw no point",
    "clip_enabled": "clip values to [clip_lo, clip_hi]",
    "clip_lo": "lower clip bound",
    "clip_hi": "upper clip bound",
    "max_filter": "apply the 3x3 spatial max filter (NaVILA Go2: true)",
    "temporal_frames": "max over the last K maps, shifted by odometry (1 = off)",
    "sensor_to_base.translation": "LiDAR origin in the base frame [x, y, z], m",
    "sensor_to_base.rotation_wxyz": "LiDAR orientation in the base frame, quaternion [w, x, y, z]",
    "grid_in_base.translation": "grid frame origin in the (levelled) base frame [x, y, z], m",
    "grid_in_base.rotation_wxyz": "grid frame orientation in the (levelled) base frame [w,x,y,z]",
    "gravity_align": "level the cloud with the IMU roll/pitch before gridding",
    "accumulate_window_s": "merge scans newer than (latest - window) into one map, s",
    "accumulate_max_scans": "at most this many scans are merged",
    "stale_after_s": "status reports stale when no cloud arrived for this long, s",
    "max_points": "clouds with more points are refused as absurd",
    "kernel": "map implementation: auto (numba when installed), numba (compiled) or numpy",
    "status_rate_hz": "rate of the periodic /navila/status message, Hz",
    "use_odom": "subscribe to odometry to shift accumulated scans and the temporal history",
    "use_imu": "subscribe to the IMU for roll/pitch (gravity_align)",
    "clearance.enabled": "publish the free distance ahead on topics.clearance (std_msgs/Float32)",
    "clearance.ground_z": "floor height under the standing robot in the base frame, m",
    "clearance.step_height": "a rise above this between neighbouring bins ahead is a face the "
    "robot cannot step onto, m",
    "clearance.overhead": "points this far above the floor pass over the robot (ignored), m",
    "clearance.half_width": "corridor half width ahead (half the robot's width + margin), m",
    "clearance.x_min": "corridor start ahead of the base origin (past the nose), m",
    "clearance.x_max": "corridor end: free this far reads +inf, m",
    "clearance.bin_m": "corridor bin length along x, m",
    "clearance.min_points": "points a bin needs to count as seen",
    "clearance.body_half_length": "robot footprint half length (its own points are ignored), m",
    "clearance.body_half_width": "robot footprint half width (its own points are ignored), m",
    "clearance.around_max": "the nearest obstacle around (for turning) is looked for this far, m",
    "clearance.drop_height": "a fall above this between neighbouring bins ahead is a ledge, m",
    "clearance.max_unseen_m": "seen floor ahead ending more than this short of x_max ends it, m",
}

_FRAME_DEFAULTS: dict[str, Any] = {
    "sensor_to_base.translation": [0.0, 0.0, 0.0],
    "sensor_to_base.rotation_wxyz": [1.0, 0.0, 0.0, 0.0],
    "grid_in_base.translation": [0.0, 0.0, 0.0],
    "grid_in_base.rotation_wxyz": [1.0, 0.0, 0.0, 0.0],
    "gravity_align": False,
    "accumulate_window_s": 0.0,
    "accumulate_max_scans": 1,
    "stale_after_s": 0.5,
    "max_points": 2_000_000,
    "kernel": "auto",
    "status_rate_hz": 2.0,
    "use_odom": False,
    "use_imu": False,
    **{f"clearance.{k}": v for k, v in asdict(ClearanceConfig()).items()},
}


def preset_defaults(preset: str) -> dict[str, Any]:
    """Every parameter (except ``preset``) with the preset's default value."""
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; known: {sorted(PRESETS)}")
    m: MapConfig = PRESETS[preset]()
    g = m.grid
    return {
        "grid.x_lo": g.x_lo,
        "grid.x_hi": g.x_hi,
        "grid.y_lo": g.y_lo,
        "grid.y_hi": g.y_hi,
        "grid.resolution": g.resolution,
        "grid.cell_mode": g.cell_mode,
        "grid.order": g.order,
        "reduction": m.reduction,
        "z_min": m.z_min,
        "z_max": m.z_max,
        "value_scale": m.value_scale,
        "value_offset": m.value_offset,
        "zero_below_enabled": m.zero_below is not None,
        "zero_below": m.zero_below if m.zero_below is not None else 0.0,
        "empty_value": m.empty_value,
        "clip_enabled": m.clip is not None,
        "clip_lo": m.clip[0] if m.clip is not None else -1.0,
        "clip_hi": m.clip[1] if m.clip is not None else 1.0,
        "max_filter": m.max_filter,
        "temporal_frames": m.temporal_frames,
        **_FRAME_DEFAULTS,
    }


def builder_config_from_params(params: dict[str, Any]) -> BuilderConfig:
    """Build and validate a BuilderConfig from flat parameters (missing ones: preset defaults)."""
    preset = str(params.get("preset", "go2"))
    p = {**preset_defaults(preset), **{k: v for k, v in params.items() if k != "preset"}}
    unknown = set(p) - set(PARAM_DESCRIPTIONS) - {"topics", "robot"}
    unknown = {k for k in unknown if not k.startswith("topics.")}
    if unknown:
        raise ValueError(f"unknown heightmap parameters: {sorted(unknown)}")
    grid = GridSpec(
        x_lo=float(p["grid.x_lo"]),
        x_hi=float(p["grid.x_hi"]),
        y_lo=float(p["grid.y_lo"]),
        y_hi=float(p["grid.y_hi"]),
        resolution=float(p["grid.resolution"]),
        cell_mode=str(p["grid.cell_mode"]),  # type: ignore[arg-type]
        order=str(p["grid.order"]),  # type: ignore[arg-type]
    )
    zb = float(p["zero_below"])
    if bool(p["zero_below_enabled"]) and not math.isfinite(zb):
        raise ValueError("zero_below must be finite")
    m = MapConfig(
        grid=grid,
        reduction=str(p["reduction"]),  # type: ignore[arg-type]
        z_min=float(p["z_min"]),
        z_max=float(p["z_max"]),
        value_scale=float(p["value_scale"]),
        value_offset=float(p["value_offset"]),
        zero_below=zb if bool(p["zero_below_enabled"]) else None,
        empty_value=float(p["empty_value"]),
        clip=(float(p["clip_lo"]), float(p["clip_hi"])) if bool(p["clip_enabled"]) else None,
        max_filter=bool(p["max_filter"]),
        temporal_frames=int(p["temporal_frames"]),
    )
    return BuilderConfig(
        map=m,
        sensor_to_base=pose_from_params(
            list(p["sensor_to_base.translation"]), list(p["sensor_to_base.rotation_wxyz"])
        ),
        grid_in_base=pose_from_params(
            list(p["grid_in_base.translation"]), list(p["grid_in_base.rotation_wxyz"])
        ),
        gravity_align=bool(p["gravity_align"]),
        accumulate_window_s=float(p["accumulate_window_s"]),
        accumulate_max_scans=int(p["accumulate_max_scans"]),
        stale_after_s=float(p["stale_after_s"]),
        max_points=int(p["max_points"]),
        kernel=str(p["kernel"]),  # type: ignore[arg-type]  # checked by BuilderConfig
    )


def clearance_config_from_params(params: dict[str, Any]) -> ClearanceConfig:
    """The `clearance.*` parameters (missing ones: ClearanceConfig's defaults), validated."""
    p = {**_FRAME_DEFAULTS, **params}
    kinds = {k: type(v) for k, v in asdict(ClearanceConfig()).items()}
    return ClearanceConfig(**{k: kind(p[f"clearance.{k}"]) for k, kind in kinds.items()})


def load_params_file(path: str | Path, node_name: str = NODE_NAME) -> dict[str, Any]:
    """The flattened ``<node_name>: ros__parameters:`` section of a ROS 2 params file."""
    return load_node_params(path, node_name)
