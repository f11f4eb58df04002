"""Small, fast training set-ups shared by the tests (a 2 x 2-tile terrain, few envs)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from navila_loco_node.config import LocoConfig, load_loco_config
from navila_loco_train.task_spec import TaskSpec, TerrainSpec
from navila_loco_train.train import load_train_config

CONFIG_DIR = Path(__file__).resolve().parents[3] / "config"
SHIPPED_VISION = Path(__file__).resolve().parents[3] / "models" / "go2_vision"
SMALL_TERRAIN = TerrainSpec(types=("flat", "steps"), levels=2, tile_m=4.0)
TINY = {"types": ["flat", "steps"], "levels": 2, "tile_m": 4.0}


def tiny_config(tmp: Path, name: str) -> Path:
    """A shipped training config on 4 robots, one terrain variant and a 2 x 2-tile terrain,
    written to `tmp` for --config."""
    cfg = load_train_config(name)
    cfg.pop("_path")
    cfg["env"].update(num_envs=4, num_threads=1, num_variants=1)
    cfg["terrain"] = dict(TINY)
    path = tmp / f"{name}.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def blind_config() -> LocoConfig:
    cfg = load_train_config("go2_blind")
    return load_loco_config(CONFIG_DIR / "go2.yaml", **cfg["loco_overrides"])


@pytest.fixture
def small_task() -> TaskSpec:
    return TaskSpec(terrain=SMALL_TERRAIN)
