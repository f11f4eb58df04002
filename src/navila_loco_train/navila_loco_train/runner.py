"""rsl-rl's PPO runner, with the terrain curriculum in its checkpoints.

A checkpoint alone restarts every robot near the bottom of the curriculum, and a short training
lease (15 minutes on a lent GPU machine) then spends a good part of its iterations climbing back
to where the previous run stopped. `LocoRunner` writes each robot's terrain level into the
checkpoint's `infos` (rsl-rl's slot for extra state), and `terrain_levels_from` reads them back
for `LocoEnv.set_levels` on `--resume`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from rsl_rl.runners import OnPolicyRunner

from navila_loco_train.vec_env import RslLocoVecEnv

LEVELS_KEY = "terrain_levels"


class LocoRunner(OnPolicyRunner):
    env: RslLocoVecEnv

    def save(self, path: str, infos: dict[str, Any] | None = None) -> None:
        levels = self.env.env.level.astype(int).tolist()
        super().save(path, {**(infos or {}), LEVELS_KEY: levels})


def terrain_levels_from(infos: dict[str, Any] | None) -> np.ndarray | None:
    """The per-robot levels a `LocoRunner` checkpoint carries (None for older checkpoints)."""
    levels = (infos or {}).get(LEVELS_KEY)
    if levels is None:
        return None
    arr = np.asarray(levels, dtype=int)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"checkpoint terrain levels must be a non-empty list, got {levels!r}")
    return arr
