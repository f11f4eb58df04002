"""heightmap_node's clearance on navila_sim's simulated L1 scans (no ROS): what the obstacle
guard is told standing before a 40 cm ledge, and that the terrains the Go2 walks read far enough
to leave its forward command alone (config/go2.yaml: slowing starts at 0.95 m)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from heightmap_node.clearance import around_clearance, forward_clearance, points_in_base
from heightmap_node.config import (
    builder_config_from_params,
    clearance_config_from_params,
    load_params_file,
)
from heightmap_node.transforms import attitude_from_quat
from navila_bringup.paths import find_config
from navila_loco_node.config import load_params as load_loco_params

PARAMS = load_params_file(find_config("go2"))
MOUNT = builder_config_from_params(PARAMS).sensor_to_base
CFG = clearance_config_from_params(PARAMS)
SLOW_M = float(load_loco_params(find_config("go2"))["safety.obstacle_slow_m"])
LEDGE_X = 1.5  # loco_eval_ledge: the platform's edge


def clearances(scene: str, x: float, y: float = 0.0, yaw_deg: float = 0.0) -> list[float]:
    """Forward clearances of 5 scans (0.1 s apart) after standing 0.5 s at the pose."""
    from navila_sim.sim import CameraConfig, Sim, SimConfig

    sim = Sim(
        SimConfig(
            robot="go2",
            scene=scene,
            start_pose=(x, y, math.radians(yaw_deg)),
            camera=CameraConfig(enabled=False),
        )
    )
    try:
        for _ in range(25):
            sim.run_control_period()
        out = []
        for _ in range(5):
            for _ in range(5):
                sim.run_control_period()
            qx, qy, qz, qw = sim.imu().orientation_xyzw
            base = points_in_base(
                sim.lidar_points().astype(np.float64), MOUNT, attitude_from_quat((qw, qx, qy, qz))
            )
            assert math.isinf(around_clearance(base, CFG))  # nothing stands up around it
            out.append(forward_clearance(base, CFG))
        return out
    finally:
        sim.close()


def test_the_config_reads_the_numbers_this_test_assumes() -> None:
    assert CFG.enabled and CFG.drop_height == 0.20 and pytest.approx(0.95) == SLOW_M


@pytest.mark.parametrize("edge", [0.45, 0.6, 0.9])
def test_a_40_cm_ledge_ahead_ends_the_clearance_at_its_edge(edge: float) -> None:
    for got in clearances("loco_eval_ledge", LEDGE_X - edge):
        # never past the edge by more than a bin, never more than two bins short of it
        assert edge - 2 * CFG.bin_m <= got <= edge + CFG.bin_m + 1e-9


@pytest.mark.parametrize(
    ("scene", "x", "yaw_deg"),
    [
        ("loco_eval_flat", 0.0, 0.0),
        ("loco_eval_steps10", 0.6, 0.0),  # a 10 cm step up 0.4 m ahead
        ("loco_eval_steps10", 2.0, 0.0),  # on a platform, a 10 cm step down 0.5 m ahead
        ("loco_eval_rubble", 1.65, 45.0),  # between blocks, turned: their shadows
        ("loco_eval_ledge", -1.0, 0.0),  # 2.5 m from the edge
    ],
)
def test_terrains_the_go2_walks_leave_its_forward_command_alone(
    scene: str, x: float, yaw_deg: float
) -> None:
    for got in clearances(scene, x, 0.1 if scene == "loco_eval_rubble" else 0.0, yaw_deg):
        assert got > SLOW_M
