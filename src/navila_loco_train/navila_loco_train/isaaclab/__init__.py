"""Isaac Lab task configs for the NaVILA Go2 and H1 locomotion policies - NOT RUNNABLE HERE.

These train the same policies as ``navila-loco-train`` (rsl-rl PPO on MuJoCo) in Isaac Lab, for
users with an RTX machine: the same observation layout (Go2 blind 450 inputs, vision 909; H1
vision 256), rewards, terminations, domain randomisation, terrain curriculum and PPO settings,
read from the same sources (``navila_loco_train.task_spec``, ``config/<robot>.yaml``, the
training configs ``configs/<name>.yaml``).
Isaac Sim cannot run here (no RTX GPU, no Isaac Lab install), so the Isaac Lab side was written
against the Isaac Lab 2.3 API and has never been executed; see README.md in this folder.

Layout of this package:

* ``spec`` - the tasks as plain tables (``LAYOUT``, ``REWARDS``, ``load()``); no Isaac Lab.
* ``kernels`` - the math of the custom terms in torch/numpy; no Isaac Lab, tested here against
  navila_loco_node's observation builder and heightmap_node's map builder.
* ``registration`` - the gym task ids; needs gymnasium only.
* ``launch`` - ``python -m navila_loco_train.isaaclab.launch train|play ...``: registers the
  tasks and runs Isaac Lab's own rsl_rl scripts.
* ``mdp``, ``env_cfg``, ``agents`` - the Isaac Lab manager-based env config, its custom terms
  and the rsl-rl runner config. They need Isaac Lab 2.x; importing them elsewhere raises
  ImportError ("... needs Isaac Lab; not installed here").

Importing this package imports nothing from Isaac Lab, and ``import navila_loco_train`` never
imports this package.
"""

from __future__ import annotations

import importlib.util
import os

# What the config modules import. isaaclab_tasks is not needed (the custom terms live in mdp.py).
ISAACLAB_PACKAGES = ("isaaclab", "isaaclab_assets", "isaaclab_rl")
SUPPORTED = "Isaac Lab 2.3.x (Isaac Sim 5.x, rsl-rl-lib 3.x)"
SKIP_VERSION_CHECK_ENV = "NAVILA_ISAACLAB_SKIP_VERSION_CHECK"


def isaaclab_import_error(module: str, exc: ImportError) -> ImportError:
    """The ImportError a config module raises when Isaac Lab cannot be imported."""
    missing = [p for p in ISAACLAB_PACKAGES if importlib.util.find_spec(p) is None]
    if missing:
        return ImportError(
            f"{module} needs Isaac Lab; not installed here (missing: {', '.join(missing)}). "
            f"It is the Isaac Lab version of the NaVILA training tasks, for {SUPPORTED} on "
            "an RTX machine; on this machine train with `navila-loco-train` (MuJoCo) instead. "
            "See navila_loco_train/isaaclab/README.md."
        )
    return ImportError(
        f"{module} needs Isaac Lab, which is installed but failed to import ({exc}). Isaac Lab "
        "modules only import inside a running simulator: start it first (isaaclab.AppLauncher), "
        "e.g. through `python -m navila_loco_train.isaaclab.launch train --task ...`."
    )


def check_isaaclab_version() -> None:
    """Refuse Isaac Lab 3.x, whose breaking changes this port does not handle.

    Isaac Lab 3 stores quaternions as (x, y, z, w) and returns warp arrays from the asset data;
    the terms here assume 2.x's (w, x, y, z) torch tensors, and would silently compute wrong
    observations. 3.x is recognised by its physics backend packages (isaaclab_physx /
    isaaclab_newton), which 2.x does not have. Set NAVILA_ISAACLAB_SKIP_VERSION_CHECK=1 to try
    anyway.
    """
    if os.environ.get(SKIP_VERSION_CHECK_ENV) == "1":
        return
    backends = [p for p in ("isaaclab_physx", "isaaclab_newton") if importlib.util.find_spec(p)]
    if backends:
        raise ImportError(
            f"navila_loco_train.isaaclab is written for {SUPPORTED}; this looks like Isaac Lab "
            f"3.x ({', '.join(backends)} installed), which changed the quaternion order to "
            "(x, y, z, w) and the asset data to warp arrays - the terms here would compute wrong "
            f"observations. Use Isaac Lab 2.3, or set {SKIP_VERSION_CHECK_ENV}=1 to try anyway."
        )
