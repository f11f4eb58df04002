"""How far the height map a policy gets when deployed is from the one it was trained on, at given
poses in a navila_sim scene.

    .venv/bin/python benchmarks/probe_map_gap.py [--robot go2] [--scene loco_eval_rubble]
        [--pose X Y YAW_DEG ...] [--settle-s 0.5] [--out results/probe_map_gap.json]

Deployed: navila_sim's simulated LiDAR scan (L1-like rays from the sensor: a block's face hides
the ground behind it) through heightmap_node's builder with the robot's preset - what
`navila-loco-eval` feeds the policy. Trained: navila_sim's oracle scan (LiDAR mode top_surface:
the scene's top surface from above on a 4 cm lattice; navila_loco_train.heightmap samples the
training terrain the same way, thinned but never occluded), through the same builder.
The robot is placed at each pose and stands on its default pose for --settle-s first. Both scans
go through heightmap_node's HeightMapBuilder as the node runs it: the config's sensor mount
(sensor_to_base), levelled by the simulated IMU's roll and pitch where the config says so. Per
pose: the share of cells empty in the deployed map (value 0, NaVILA's "no return") where the
trained one has the ground, the mean |difference| where both have a value, and the deployed map's
mean value over its seen cells (level floor: base height - 0.5 m for the H1 scan, NaVILA's; a
wrong sensor mount shows here as a map at its clip). Prints a table and saves
JSON to results/probe_map_gap.json (or --out). No policy runs: this measures the sensor path.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np

from heightmap_node.builder import BuilderConfig, HeightMapBuilder
from heightmap_node.config import builder_config_from_params, load_params_file
from heightmap_node.transforms import attitude_from_quat
from navila_bringup.paths import find_config, results_dir
from navila_sim.sim import CameraConfig, Sim, SimConfig

# Rubble poses: open floor before the field, the edge between blocks 1 and 2 facing along the
# walking line and turned (where go2_vision tipped over in navila-loco-eval), on block 4.
DEFAULT_POSES = ((-1.0, 0.0, 0.0), (1.65, 0.1, 0.0), (1.65, 0.1, 45.0), (3.1, 0.24, 0.0))


def settled_scans(
    robot: str, scene: str, pose: tuple[float, float, float], settle_s: float
) -> tuple[np.ndarray, np.ndarray, tuple[float, float]]:
    """(LiDAR scan, oracle top-surface scan), both in the LiDAR frame, and the IMU's (roll,
    pitch), after standing --settle-s at the pose."""
    x, y, yaw_deg = pose
    sim = Sim(
        SimConfig(
            robot=robot,
            scene=scene,
            start_pose=(x, y, math.radians(yaw_deg)),
            camera=CameraConfig(enabled=False),
        )
    )
    period_s = sim.config.physics_dt * sim.config.control_decimation
    for _ in range(max(1, round(settle_s / period_s))):
        sim.run_control_period()
    qx, qy, qz, qw = sim.imu().orientation_xyzw  # attitude as heightmap_node takes it from the IMU
    roll, pitch = attitude_from_quat((qw, qx, qy, qz))
    scans = sim.lidar_points().astype(np.float64), sim.top_surface_points().astype(np.float64)
    return *scans, (float(roll), float(pitch))


def node_map(cfg: BuilderConfig, scan: np.ndarray, attitude: tuple[float, float]) -> np.ndarray:
    """The map heightmap_node would publish for this one scan (its builder, mount, levelling)."""
    builder = HeightMapBuilder(cfg)
    if cfg.gravity_align:
        builder.set_attitude(*attitude)
    builder.add_scan(scan, 0.0)
    return builder.build().values


def map_gap(deployed: np.ndarray, trained: np.ndarray) -> dict[str, float]:
    """Cells the trained map has and the deployed one lacks; the difference where both have."""
    seen = trained != 0
    unseen = seen & (deployed == 0)
    both = seen & (deployed != 0)
    return {
        "cells": int(deployed.size),
        "unseen_fraction": float(unseen.sum() / max(int(seen.sum()), 1)),
        "mean_abs_diff_m": float(np.abs(deployed - trained)[both].mean()) if both.any() else 0.0,
        "trained_empty_cells": int((~seen).sum()),
        "deployed_mean_m": float(deployed[deployed != 0].mean()) if (deployed != 0).any() else 0.0,
    }


def probe(robot: str, scene: str, poses: list[tuple[float, float, float]], settle_s: float) -> dict:
    params = load_params_file(find_config(robot))  # the node's reading: preset + overrides
    preset = str(params["preset"])
    cfg = builder_config_from_params(params)
    rows = []
    for pose in poses:
        scan, surface, attitude = settled_scans(robot, scene, pose, settle_s)
        deployed = node_map(cfg, scan, attitude)
        trained = node_map(cfg, surface, attitude)
        rows.append({"pose": list(pose), **map_gap(deployed, trained)})
    return {"robot": robot, "scene": scene, "preset": preset, "settle_s": settle_s, "poses": rows}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--robot", default="go2", help="config/<robot>.yaml (its heightmap_node map settings)"
    )
    ap.add_argument("--scene", default="loco_eval_rubble", help="navila_sim scene name or YAML")
    ap.add_argument(
        "--pose",
        nargs=3,
        type=float,
        action="append",
        metavar=("X", "Y", "YAW_DEG"),
        help="robot pose (repeat); default: poses on rubble",
    )
    ap.add_argument("--settle-s", type=float, default=0.5, help="standing time before the scan")
    ap.add_argument("--out", default=None, help="JSON output (default results/probe_map_gap.json)")
    args = ap.parse_args(argv)
    if not args.settle_s > 0:
        ap.error("need --settle-s > 0")
    poses = [tuple(p) for p in (args.pose or DEFAULT_POSES)]
    try:
        data = probe(args.robot, args.scene, poses, args.settle_s)
    except (FileNotFoundError, ValueError, KeyError) as exc:
        print(f"probe_map_gap: refused: {exc}", file=sys.stderr)
        return 2
    print(f"{'pose (x, y, yaw deg)':<24} {'unseen':>8} {'mean |diff| m':>14} {'mean value m':>13}")
    for r in data["poses"]:
        pose = "({:.2f}, {:.2f}, {:.0f})".format(*r["pose"])
        print(
            f"{pose:<24} {r['unseen_fraction']:>8.1%} {r['mean_abs_diff_m']:>14.3f} "
            f"{r['deployed_mean_m']:>13.3f}"
        )
    out = Path(args.out) if args.out else results_dir() / "probe_map_gap.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, indent=1))
    print(f"saved {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
