"""Shared helpers for navila_loco_node unit tests: configs from the repo and random policies."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from navila_loco_node.config import LocoConfig, load_loco_config
from navila_loco_node.types import RobotState

CONFIG_DIR = Path(__file__).resolve().parents[3] / "config"


def robot_config(robot: str, **overrides: object) -> LocoConfig:
    return load_loco_config(CONFIG_DIR / f"{robot}.yaml", **overrides)


def standing_state(config: LocoConfig, now: float, seq: int = 1, **kw: object) -> RobotState:
    """A level robot in its default pose, measured at `now`."""
    n = config.joints.n
    values = {
        "joint_pos": np.asarray(config.joints.default_pos or np.zeros(n), dtype=float),
        "joint_vel": np.zeros(n),
        "quat_wxyz": np.array([1.0, 0.0, 0.0, 0.0]),
        "ang_vel": np.zeros(3),
        "joint_stamp": now,
        "imu_stamp": now,
        "seq": seq,
    }
    values.update(kw)
    return RobotState(**values)


@pytest.fixture(scope="session")
def go2_policy_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A RANDOMLY INITIALISED 909-512-256-128-12 ELU MLP (no trained policy exists yet),
    exported to TorchScript and ONNX."""
    from navila_loco_node.policy import export_onnx, export_torchscript, random_mlp

    d = tmp_path_factory.mktemp("go2_policy")
    model = random_mlp(909, 12)
    return {
        "jit": export_torchscript(model, d / "policy.jit"),
        "onnx": export_onnx(model, d / "policy.onnx", 909),
    }
