"""rsl-rl's ``data_augmentation_func`` for the Isaac Lab tasks whose training config turns
left-right symmetry on (``symmetry:``; navila_loco_train.symmetry). The tasks are NOT RUNNABLE
ON THIS MACHINE; this module imports without Isaac Lab and is tested here.

Why a module-level function and not the Mirror object the MuJoCo trainer hands rsl-rl: Isaac Lab
turns the runner config into a dict before rsl-rl sees it (``configclass.to_dict``), and a
callable becomes its "module:name" string, which rsl-rl resolves again - an object would not
survive that. The function finds its task through the env: every env config of this port names
its training config (``navila_config``, set by env_cfg).
"""

from __future__ import annotations

import functools
from typing import Any

from navila_loco_train.isaaclab import spec
from navila_loco_train.symmetry import Mirror


@functools.cache
def task_mirror(config: str) -> Mirror:
    """The mirror of a training config's Isaac Lab task (spec.mirror), built once."""
    return spec.mirror(spec.load(config))


def augment(env: Any = None, obs: Any = None, actions: Any = None) -> tuple[Any, Any]:
    """(env, obs, actions) -> the batch followed by its mirror image, as rsl-rl calls it; `env`
    is the rsl-rl wrapper of the Isaac Lab env (or the env itself)."""
    cfg = getattr(getattr(env, "unwrapped", env), "cfg", None)
    config = getattr(cfg, "navila_config", "")
    if not config:
        raise ValueError(
            "symmetry: the env's config names no navila training config (navila_config); "
            "only this port's env configs (navila_loco_train.isaaclab.env_cfg) have one"
        )
    return task_mirror(config)(env=env, obs=obs, actions=actions)
