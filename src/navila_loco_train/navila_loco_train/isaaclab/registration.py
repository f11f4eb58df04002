"""Gym registration of the Isaac Lab tasks (the env itself is NOT RUNNABLE ON THIS MACHINE).

Registering needs gymnasium only: the entry points are strings, resolved by Isaac Lab's
``gym.make`` / ``hydra_task_config`` inside a running simulator, as Isaac Lab's own tasks are
registered (``isaaclab_tasks/.../velocity/config/go2/__init__.py``: kwargs
``env_cfg_entry_point`` and ``rsl_rl_cfg_entry_point``). The entry point is ``mdp.NavilaRLEnv``,
Isaac Lab's ``ManagerBasedRLEnv`` with task_spec's only-positive step reward.
"""

from __future__ import annotations

from navila_loco_train.isaaclab.spec import TASK_IDS, class_stem

ENV_ENTRY_POINT = "navila_loco_train.isaaclab.mdp:NavilaRLEnv"  # only-positive rewards
_PKG = "navila_loco_train.isaaclab"


def task_entries() -> dict[str, dict[str, str]]:
    """{task id: gym kwargs} for every task (training config x train / play)."""
    out = {}
    for (config, play), task_id in TASK_IDS.items():
        name = class_stem(config)
        out[task_id] = {
            "env_cfg_entry_point": f"{_PKG}.env_cfg:{name}{'Play' if play else ''}EnvCfg",
            "rsl_rl_cfg_entry_point": f"{_PKG}.agents:{name}PPORunnerCfg",
        }
    return out


def register_tasks() -> list[str]:
    """Register the tasks with gymnasium (again is a no-op); returns their ids."""
    try:
        import gymnasium as gym
    except ImportError as exc:
        raise ImportError(
            f"{__name__} needs gymnasium (it comes with Isaac Lab); not installed here"
        ) from exc
    entries = task_entries()
    for task_id, kwargs in entries.items():
        if task_id in gym.registry:
            continue
        gym.register(
            id=task_id,
            entry_point=ENV_ENTRY_POINT,
            disable_env_checker=True,
            kwargs=dict(kwargs),
        )
    return list(entries)
