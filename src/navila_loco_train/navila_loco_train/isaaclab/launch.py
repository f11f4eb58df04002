"""Train or play the NaVILA tasks with Isaac Lab's own rsl_rl scripts - NOT RUNNABLE HERE.

    python -m navila_loco_train.isaaclab.launch train --task NaVILA-Go2-Vision-v0 --headless
    python -m navila_loco_train.isaaclab.launch play --task NaVILA-Go2-Vision-Play-v0 \\
        --checkpoint logs/rsl_rl/navila_go2_vision/<run>/model_1499.pt

Run it with Isaac Lab's Python (``./isaaclab.sh -p -m navila_loco_train.isaaclab.launch ...``,
which also sets ISAACLAB_PATH). It registers the tasks, then runs
``scripts/reinforcement_learning/rsl_rl/{train,play}.py`` of that Isaac Lab checkout unchanged,
with every other argument passed through (``--num_envs``, ``--seed``, ``--max_iterations``,
``--video``, hydra overrides ...). Those scripts print the training progress, write
``logs/rsl_rl/<experiment>/<time>/`` under the current directory, and ``play.py`` exports the
policy to ``<run>/exported/policy.pt`` (TorchScript) and ``policy.onnx``, with the observation
normaliser folded in - the files navila_loco_node's ``policy.path`` takes.
"""

from __future__ import annotations

import argparse
import os
import runpy
import sys
from pathlib import Path

from navila_loco_train.isaaclab import SUPPORTED
from navila_loco_train.isaaclab.registration import register_tasks, task_entries
from navila_loco_train.isaaclab.spec import TASK_IDS, load

SCRIPTS = {
    "train": Path("scripts/reinforcement_learning/rsl_rl/train.py"),
    "play": Path("scripts/reinforcement_learning/rsl_rl/play.py"),
}


def isaaclab_script(action: str, isaaclab_path: str | None) -> Path:
    """Isaac Lab's rsl_rl script for ``action``, from --isaaclab or $ISAACLAB_PATH."""
    root = isaaclab_path or os.environ.get("ISAACLAB_PATH")
    if not root:
        raise SystemExit(
            "error: where is Isaac Lab? Pass --isaaclab /path/to/IsaacLab or run through "
            f"./isaaclab.sh -p (it sets ISAACLAB_PATH). This needs {SUPPORTED} and an RTX GPU; "
            "without them train with `navila-loco-train` (MuJoCo)."
        )
    script = Path(root).expanduser() / SCRIPTS[action]
    if not script.is_file():
        raise SystemExit(f"error: {script} not found: is {root} an Isaac Lab 2.x checkout?")
    return script


def _task_config(task: str) -> tuple[str, bool]:
    """(training config, play) of a task id."""
    for key, task_id in TASK_IDS.items():
        if task_id == task:
            return key
    raise SystemExit(
        f"error: unknown task {task!r}; the NaVILA tasks are {sorted(TASK_IDS.values())}"
    )


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(
        prog="python -m navila_loco_train.isaaclab.launch",
        description="Run Isaac Lab's rsl_rl train/play scripts on the NaVILA tasks (Go2, H1).",
        epilog="Every other argument goes to Isaac Lab's script unchanged.",
    )
    ap.add_argument("action", choices=sorted(SCRIPTS), help="train or play")
    ap.add_argument("--task", required=True, help=f"one of {sorted(task_entries())}")
    ap.add_argument("--isaaclab", default=None, help="Isaac Lab checkout (default $ISAACLAB_PATH)")
    args, rest = ap.parse_known_args(argv)
    config, _play = _task_config(args.task)
    script = isaaclab_script(args.action, args.isaaclab)
    register_tasks()
    experiment = f"navila_{load(config).train.policy_name}"
    logs = Path.cwd() / "logs" / "rsl_rl" / experiment
    print(
        f"[navila] {args.action} {args.task} with {script}\n"
        f"[navila] runs, checkpoints and tensorboard logs go to {logs}/<time>/"
        + ("; the exported policy to <run>/exported/" if args.action == "play" else ""),
        flush=True,
    )
    sys.argv = [str(script), "--task", args.task, *rest]
    sys.path.insert(0, str(script.parent))  # the scripts import their cli_args.py neighbour
    runpy.run_path(str(script), run_name="__main__")


if __name__ == "__main__":
    main()
