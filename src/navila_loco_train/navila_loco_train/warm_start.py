"""Start a policy from another one: from a checkpoint or a shipped policy directory, with the
same observation layout or a smaller one (the vision policy from the blind one), so a run does
not have to learn to walk again.

The blind policy's inputs are a subset of the vision policy's (the same proprio terms and
history; the vision layout adds the height map). Every input is named (`input_names`), the
source network's first-layer columns and observation-normaliser entries are copied to the inputs
of the same name, and the new inputs get zero weights: the started policy acts exactly like the
source one (tested), and PPO then learns what the height map is worth. The new inputs'
normaliser statistics come from height maps sampled on the training terrain (`terrain_stats`),
since the source's sample count is large and the running statistics would adapt to them slowly.

Sources (`load_source`): an rsl-rl checkpoint (model_*.pt, its run's train.yaml beside it), or a
policy directory as `navila-loco-train` exports it (models/go2_vision). A policy directory
carries `checkpoint.pt` (actor and critic, no optimiser state) since this was written; older ones
(the first shipped policies, whose run checkpoints were not kept) hold only the exported actor:
its weights and observation normaliser come from policy.jit, the exploration noise is given
(`std`), and the critic starts fresh - train it alone for a few iterations first
(`LocoRunner.learn_critic_only`), or its first random advantages would spoil the actor.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import yaml

from navila_loco_node.config import LocoConfig
from navila_loco_train.inputs import input_names
from navila_loco_train.train import POLICY_CHECKPOINT, resume_path

FIRST_LAYER = "mlp.0.weight"
NORMALIZER = ("obs_normalizer._mean", "obs_normalizer._var", "obs_normalizer._std")
STD_KEY = "distribution.std_param"  # rsl-rl's Gaussian head, noise_std_type "scalar"
POLICY_JIT = "policy.jit"


@dataclass
class StartSource:
    """Weights to start from: the actor's state, the critic's (None: it starts fresh), and the
    training config of the run they came from (for its observation layout)."""

    actor: dict[str, torch.Tensor]
    critic: dict[str, torch.Tensor] | None
    train_config: dict[str, Any]


def load_source(path: str | Path, std: float | None = None) -> StartSource:
    """A checkpoint file, or a policy directory (its checkpoint.pt, else its policy.jit actor
    with exploration noise `std`, which must then be given)."""
    path = Path(path)
    if path.is_dir() and not (path / POLICY_CHECKPOINT).is_file():
        if not (path / POLICY_JIT).is_file():
            raise FileNotFoundError(f"{path}: neither {POLICY_CHECKPOINT} nor {POLICY_JIT}")
        if std is None or not std > 0:
            raise ValueError(
                f"{path} holds only the exported actor (no {POLICY_CHECKPOINT}): give its "
                "exploration noise std (> 0; the run's last Policy/mean_std in its logs)"
            )
        actor = dict(torch.jit.load(str(path / POLICY_JIT), map_location="cpu").state_dict())
        if FIRST_LAYER not in actor:
            raise ValueError(
                f"{path / POLICY_JIT} is not a plain actor (a --symmetrize export averages an "
                "actor with its mirror image, which no single actor is): start from the "
                f"{POLICY_CHECKPOINT} it was exported from"
            )
        out_dim = actor[_last_layer(actor)].shape[0]
        actor[STD_KEY] = torch.full((out_dim,), float(std))
        return StartSource(actor, None, source_layout(path / POLICY_JIT))
    path = Path(resume_path(str(path)))  # a checkpoint file, or the directory's checkpoint.pt
    ck = torch.load(path, map_location="cpu", weights_only=False)
    if std is not None and STD_KEY in ck["actor_state_dict"]:
        ck["actor_state_dict"][STD_KEY] = torch.full_like(ck["actor_state_dict"][STD_KEY], std)
    return StartSource(ck["actor_state_dict"], ck["critic_state_dict"], source_layout(path))


def _last_layer(state: dict[str, torch.Tensor]) -> str:
    """The output layer's weight key (the highest-numbered mlp.K.weight)."""
    keys = [k for k in state if k.startswith("mlp.") and k.endswith(".weight")]
    return max(keys, key=lambda k: int(k.split(".")[1]))


def remap_state(
    src: dict[str, torch.Tensor],
    dst: dict[str, torch.Tensor],
    src_names: Sequence[str],
    dst_names: Sequence[str],
    new_stats: dict[str, tuple[float, float]] | None = None,
) -> dict[str, torch.Tensor]:
    """`dst`'s state dict with `src`'s weights: inputs matched by name, new inputs weighted 0.

    `new_stats` gives (mean, var) for new inputs' normaliser entries (others stay 0 / 1). Every
    source input must exist in the destination, every other tensor must have the same shape.
    """
    index = {name: i for i, name in enumerate(dst_names)}
    missing = [n for n in src_names if n not in index]
    if missing:
        raise ValueError(
            f"{len(missing)} inputs of the source policy are not in the new layout "
            f"(first: {missing[0]}): it cannot start from this policy"
        )
    if src[FIRST_LAYER].shape[1] != len(src_names) or dst[FIRST_LAYER].shape[1] != len(dst_names):
        raise ValueError("the networks' input sizes do not match their layouts")
    s_idx = torch.arange(len(src_names))
    d_idx = torch.tensor([index[n] for n in src_names])
    out: dict[str, torch.Tensor] = {}
    for key, value in dst.items():
        if key == FIRST_LAYER:
            w = torch.zeros_like(value)
            w[:, d_idx] = src[key][:, s_idx]
            out[key] = w
        elif key in NORMALIZER:
            v = value.clone()
            v.fill_(0.0 if key.endswith("_mean") else 1.0)
            which = NORMALIZER.index(key)  # mean, var or std
            for name, (mean, var) in (new_stats or {}).items():
                if name in index:
                    v[0, index[name]] = (mean, var, var**0.5)[which]
            v[:, d_idx] = src[key][:, s_idx]
            out[key] = v
        elif key not in src or src[key].shape != value.shape:
            raise ValueError(
                f"{key}: the source network has no tensor of shape {tuple(value.shape)}"
            )
        else:
            out[key] = src[key].clone()
    return out


def terrain_stats(env: Any, samples: int = 2048, seed: int = 0) -> dict[str, tuple[float, float]]:
    """(mean, var) per height-map cell over robots standing level at random places and headings
    on the training terrain, keyed by `input_names`' names (policy and critic copies)."""
    if env.hm is None:
        return {}
    rng = np.random.default_rng(seed)
    t = env.terrain
    xy = np.column_stack([rng.uniform(0, t.size_x, samples), rng.uniform(0, t.size_y, samples)])
    z = t.height_at(xy[:, 0], xy[:, 1]) + env.stand_height
    yaw = rng.uniform(-np.pi, np.pi, samples)
    quat = np.column_stack([np.cos(yaw / 2), np.zeros(samples), np.zeros(samples), np.sin(yaw / 2)])
    maps = env.hm.sample(t, np.column_stack([xy, z]), quat).astype(np.float64)
    mean, var = maps.mean(axis=0), maps.var(axis=0)
    names = input_names(env.loco, env.task.critic_extra_terms)
    hm_policy = [n for n in names["policy"] if n.startswith("height_map[")]
    hm_critic = [n for n in names["critic"] if n.startswith("critic.height_map[")]
    stats: dict[str, tuple[float, float]] = {}
    for group in (hm_policy, hm_critic):
        for i, name in enumerate(group):
            stats[name] = (float(mean[i]), float(var[i]))
    return stats


def source_layout(checkpoint: Path) -> dict[str, Any]:
    """The training config of the run a checkpoint (or an exported policy file) belongs to: the
    train.yaml beside it (run directories and policy directories both have one)."""
    run_cfg = checkpoint.parent / "train.yaml"
    if not run_cfg.is_file():
        raise FileNotFoundError(f"{checkpoint}: no train.yaml beside it (not a run or policy dir)")
    return yaml.safe_load(run_cfg.read_text())["train_config"]


def set_noise_std(runner: Any, std: float) -> None:
    """Set the actor's exploration noise to `std` on every action (a resumed run's own noise
    otherwise: a humanoid whose mean action stands still where the noisy one turns needs less
    noise to learn to turn without it). The actor's weights and the optimiser state stay."""
    if not std > 0:
        raise ValueError(f"exploration noise std must be > 0, got {std}")
    state = runner.alg.save()
    actor = state["actor_state_dict"]
    if STD_KEY not in actor:
        raise KeyError(f"the actor has no {STD_KEY} (a noise head other than rsl-rl's scalar std)")
    actor[STD_KEY] = torch.full_like(actor[STD_KEY], float(std))
    runner.alg.load({"actor_state_dict": actor}, {"actor": True, "critic": False}, strict=True)


def warm_start(
    runner: Any,
    env: Any,
    source: str | Path,
    loco_of: Callable[[dict[str, Any]], LocoConfig],
    std: float | None = None,
) -> dict[str, Any]:
    """Load `source` (a model_*.pt of another run, or a policy directory; see `load_source`)
    into `runner`, remapped to `env`'s layouts. `loco_of(train_config)` builds the source run's
    LocoConfig; `std` sets the actor's exploration noise (required for an actor-only source).
    Returns counts and whether the critic starts fresh."""
    src = load_source(source, std)
    src_loco = loco_of(src.train_config)
    crit = env.task.critic_extra_terms
    src_names = input_names(src_loco, crit)
    dst_names = input_names(env.loco, crit)
    mine = runner.alg.save()
    stats = terrain_stats(env)
    state = {
        "actor_state_dict": remap_state(
            src.actor, mine["actor_state_dict"], src_names["policy"], dst_names["policy"], stats
        )
    }
    if src.critic is not None:
        state["critic_state_dict"] = remap_state(
            src.critic, mine["critic_state_dict"], src_names["critic"], dst_names["critic"], stats
        )
    runner.alg.load(state, {"actor": True, "critic": src.critic is not None}, strict=True)
    return {
        "copied_inputs": len(src_names["policy"]),
        "new_inputs": len(dst_names["policy"]) - len(src_names["policy"]),
        "fresh_critic": src.critic is None,
    }
