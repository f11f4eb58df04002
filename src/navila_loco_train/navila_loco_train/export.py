"""Write a trained policy as a policy directory (the contract with navila_loco_node):

    policy.onnx, policy.jit   the actor with its observation normaliser: obs vector -> actions
    checkpoint.pt             actor + critic + terrain levels for training on (--resume), no
                              optimiser state; the node never reads it
    loco_params.yaml          navila_loco overrides (observation layout, policy path/sizes)
    train.yaml, summary.json  how it was trained (config, task numbers, command, seed, figures)

The exported files are checked by loading them with navila_loco_node's own policy loader and
comparing their outputs with the trained actor on random inputs.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import torch
import yaml

from navila_loco_node.config import LocoConfig
from navila_loco_node.policy import load_policy
from navila_loco_node.policy_dir import POLICY_PARAMS_FILE
from navila_loco_train.runner import ENV_LEVELS
from navila_loco_train.train import POLICY_CHECKPOINT


def loco_params(loco: LocoConfig, policy_file: str) -> dict[str, Any]:
    o = loco.observation
    return {
        "navila_loco": {
            "ros__parameters": {
                "observation": {
                    "terms": list(o.terms),
                    "scales": [float(v) for v in o.scales],
                    "clips": [float(v) for v in o.clips],
                    "history_terms": list(o.history_terms),
                    "history_length": int(o.history_length),
                    "height_map_preset": o.height_map_preset,
                },
                "policy": {
                    "path": policy_file,
                    "num_inputs": int(loco.policy_num_inputs),
                    "num_outputs": int(loco.policy_num_outputs),
                },
            }
        }
    }


def _single_file_onnx(path: Path) -> None:
    """torch's exporter may put the weights in a side file (policy.onnx.data); a policy file that
    travels alone is safer to deploy, and these networks are small."""
    import onnx

    model = onnx.load(str(path), load_external_data=True)
    onnx.save_model(model, str(path), save_as_external_data=False)
    side = path.with_name(path.name + ".data")
    if side.exists():
        side.unlink()


def export_policy_dir(
    runner: Any,
    loco: LocoConfig,
    train_cfg: dict[str, Any],
    out: Path,
    run_dir: Path,
    summary: dict[str, Any],
    levels: Any = ENV_LEVELS,
) -> Path:
    """Write the policy directory; `levels` are the terrain levels its checkpoint.pt carries
    (default: the runner's env's; None: none, as `LocoRunner.save_weights`)."""
    out.mkdir(parents=True, exist_ok=True)
    runner.export_policy_to_jit(str(out), "policy.jit")
    runner.export_policy_to_onnx(str(out), "policy.onnx")
    runner.save_weights(out / POLICY_CHECKPOINT, levels)
    _single_file_onnx(out / "policy.onnx")
    params = loco_params(loco, "policy.onnx")
    (out / POLICY_PARAMS_FILE).write_text(
        "# navila_loco parameter overrides for this policy (policy.path is relative to here).\n"
        + yaml.safe_dump(params, sort_keys=False)
    )
    shutil.copy(run_dir / "train.yaml", out / "train.yaml")
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    # The deployed loader must accept both files and agree with the trained actor.
    actor = runner.get_inference_policy(device="cpu")
    n_in = int(loco.policy_num_inputs)
    x = np.random.default_rng(0).normal(size=(4, n_in)).astype(np.float32)
    from tensordict import TensorDict

    with torch.no_grad():
        want = actor(TensorDict({"policy": torch.from_numpy(x)}, batch_size=[4])).numpy()
    for name in ("policy.jit", "policy.onnx"):
        pol = load_policy(out / name, n_in, int(loco.policy_num_outputs))
        got = np.stack([pol(row) for row in x])
        if not np.allclose(got, want, atol=1e-4):
            raise RuntimeError(f"exported {name} disagrees with the trained actor")
    return out
