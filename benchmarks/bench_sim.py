"""Real-time factor of the embedded simulation with the camera and the LiDAR on.

For each robot and low-level mode, runs the core `Sim` as fast as possible for `--seconds` of
simulated time in a shipped scene (L1-like LiDAR 32 x 90 rays at 15 Hz, 160 x 120 RGB at 5 Hz,
state at 50 Hz) and reports the real-time factor (sim seconds per wall second) and the cost of
each part. Physics mode holds the default pose under PD (no policy: this measures the simulator,
not a controller); kinematic mode drives the oracle base at 0.5 m/s while turning.
Goals (issue 4): kinematic >= 2x, physics >= 1x on the 2-core development machine.

    .venv/bin/python benchmarks/bench_sim.py [--seconds 10] [--robots go2 h1 t1] [--scene two_rooms]
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

from navila_sim.sim import Sim, SimConfig

REPO = Path(__file__).resolve().parents[1]


def run(robot: str, mode: str, scene: str, seconds: float) -> dict:
    sim = Sim(SimConfig(robot=robot, scene=scene, mode=mode, start_pose=(-3.0, 0.0, 0.0)))
    if mode == "kinematic":
        sim.set_cmd_vel(0.5, 0.0, 0.3)
    sim.render()  # create the GL context outside the timed loop
    periods = round(seconds / (sim.config.physics_dt * sim.config.control_decimation))
    t_lidar = t_cam = 0.0
    n_lidar = n_cam = 0
    wall0 = time.perf_counter()
    for _ in range(periods):
        sim.step(sim.config.control_decimation)
        if mode == "kinematic":
            sim._kinematic_forward()
        sim.joint_state(), sim.imu(), sim.odom()
        # The simulator's own sensor schedule (Sim.due_*), timed only when it produced one.
        t0 = time.perf_counter()
        if sim.due_lidar() is not None:
            t_lidar += time.perf_counter() - t0
            n_lidar += 1
        t0 = time.perf_counter()
        if sim.due_camera() is not None:
            t_cam += time.perf_counter() - t0
            n_cam += 1
    wall = time.perf_counter() - wall0
    sim.close()
    return {
        "robot": robot,
        "mode": mode,
        "sim_seconds": sim.time,
        "wall_seconds": round(wall, 3),
        "real_time_factor": round(sim.time / wall, 2),
        "lidar_scans": n_lidar,
        "lidar_ms_per_scan": round(1e3 * t_lidar / max(n_lidar, 1), 2),
        "camera_frames": n_cam,
        "camera_ms_per_frame": round(1e3 * t_cam / max(n_cam, 1), 2),
        "physics_and_state_ms_per_sim_s": round(1e3 * (wall - t_lidar - t_cam) / sim.time, 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=10.0, help="simulated seconds per run")
    ap.add_argument("--robots", nargs="+", default=["go2", "h1", "t1"])
    ap.add_argument("--modes", nargs="+", default=["kinematic", "physics"])
    ap.add_argument("--scene", default="two_rooms")
    ap.add_argument("--out", default=str(REPO / "results" / "bench_sim.json"))
    args = ap.parse_args()
    rows = []
    for robot in args.robots:
        for mode in args.modes:
            row = run(robot, mode, args.scene, args.seconds)
            rows.append(row)
            print(
                f"{robot:4s} {mode:9s} RTF {row['real_time_factor']:6.2f}x  "
                f"lidar {row['lidar_ms_per_scan']:5.2f} ms/scan  "
                f"camera {row['camera_ms_per_frame']:5.2f} ms/frame  "
                f"physics+state {row['physics_and_state_ms_per_sim_s']:6.1f} ms per sim s"
            )
    result = {
        "benchmark": "navila_sim real-time factor (camera 160x120 @ 5 Hz, LiDAR 32x90 @ 15 Hz)",
        "scene": args.scene,
        "machine": {"platform": platform.platform(), "python": platform.python_version()},
        "goals": {"kinematic": 2.0, "physics": 1.0},
        "runs": rows,
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(f"saved {out}")


if __name__ == "__main__":
    main()
