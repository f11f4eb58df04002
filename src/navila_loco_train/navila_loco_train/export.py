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
from navila_loco_train.symmetry import Mirror, MirrorMap
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


class SymmetrizedPolicy(torch.nn.Module):
    """An exported actor averaged with its own mirror image: a(o) = (pi(o) + M_a pi(M_o o)) / 2.

    Why: the mirror loss and data augmentation only pull a policy towards left-right symmetry,
    and a few per cent of asymmetry left in the joint targets shows as a few per cent faster
    turns one way (go2_vision stages 27-29: left 0.559 / right 0.508 rad/s, then 0.494 / 0.516
    for 0.524 commanded) - with timed turns, degrees of heading error. The average is exactly
    equivariant (a mirrored observation gives the mirrored action) for any actor, and equals the
    actor wherever the actor is already symmetric. It runs the MLP on two inputs per step.
    `policy` is rsl-rl's scriptable / traceable export module (obs -> actions)."""

    def __init__(self, policy: torch.nn.Module, inputs: MirrorMap, actions: MirrorMap) -> None:
        super().__init__()
        self.policy = policy
        for name, m in (("in", inputs), ("out", actions)):
            self.register_buffer(f"{name}_src", torch.as_tensor(m.src, dtype=torch.long))
            self.register_buffer(f"{name}_sign", torch.as_tensor(m.sign, dtype=torch.float32))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # Both inputs in one call (a new leading axis, so any input shape works): the MLP's
        # weights are read once for the pair, which costs far less than a second call.
        both = self.policy(torch.stack([x, x.index_select(-1, self.in_src) * self.in_sign]))
        return 0.5 * (both[0] + both[1].index_select(-1, self.out_src) * self.out_sign)


def _export_symmetrized(model: Any, mirror: Mirror, out: Path) -> None:
    """policy.jit and policy.onnx of `SymmetrizedPolicy(model)`, as rsl-rl writes its own
    (torch.jit.script; ONNX opset 18 with the export module's own dummy input and names)."""
    inputs = mirror.groups["policy"]
    jit = SymmetrizedPolicy(model.as_jit(), inputs, mirror.actions).to("cpu").eval()
    torch.jit.script(jit).save(str(out / "policy.jit"))
    plain = model.as_onnx(verbose=False)
    onnx = SymmetrizedPolicy(plain, inputs, mirror.actions).to("cpu").eval()
    torch.onnx.export(
        onnx,
        tuple(t.to("cpu") for t in plain.get_dummy_inputs()),
        str(out / "policy.onnx"),
        export_params=True,
        opset_version=18,
        input_names=plain.input_names,
        output_names=plain.output_names,
    )


def export_policy_dir(
    runner: Any,
    loco: LocoConfig,
    train_cfg: dict[str, Any],
    out: Path,
    run_dir: Path,
    summary: dict[str, Any],
    levels: Any = ENV_LEVELS,
    mirror: Mirror | None = None,
) -> Path:
    """Write the policy directory; `levels` are the terrain levels its checkpoint.pt carries
    (default: the runner's env's; None: none, as `LocoRunner.save_weights`). With `mirror`
    (symmetry.task_mirror of the env) the policy files are `SymmetrizedPolicy`s of the actor;
    checkpoint.pt keeps the actor itself, so training on from it trains the actor."""
    out.mkdir(parents=True, exist_ok=True)
    if mirror is None:
        runner.export_policy_to_jit(str(out), "policy.jit")
        runner.export_policy_to_onnx(str(out), "policy.onnx")
    else:
        _export_symmetrized(runner.alg.get_policy(), mirror, out)
        summary = {**summary, "symmetrized": True}
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

    def act(obs: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            td = TensorDict({"policy": torch.from_numpy(obs)}, batch_size=[len(obs)])
            return actor(td).numpy()

    want = act(x)
    if mirror is not None:  # the same average, from the trained actor and numpy mirror maps
        inputs = mirror.groups["policy"]
        want = 0.5 * (want + mirror.actions(act(np.ascontiguousarray(inputs(x)))))
    for name in ("policy.jit", "policy.onnx"):
        pol = load_policy(out / name, n_in, int(loco.policy_num_outputs))
        got = np.stack([pol(row) for row in x])
        if not np.allclose(got, want, atol=1e-4):
            raise RuntimeError(f"exported {name} disagrees with the trained actor")
    return out
