"""Start a policy from one trained on a smaller observation layout (the vision policy from the
blind one), so a CPU-only run does not have to learn to walk again.

The blind policy's inputs are a subset of the vision policy's (the same proprio terms and
history; the vision layout adds the height map). Every input is named (`input_names`), the
source network's first-layer columns and observation-normaliser entries are copied to the inputs
of the same name, and the new inputs get zero weights: the started policy acts exactly like the
source one (tested), and PPO then learns what the height map is worth. The new inputs'
normaliser statistics come from height maps sampled on the training terrain (`terrain_stats`),
since the source's sample count is large and the running statistics would adapt to them slowly.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
import yaml

from navila_loco_node.config import LocoConfig
from navila_loco_train.env import input_names

FIRST_LAYER = "mlp.0.weight"
NORMALIZER = ("obs_normalizer._mean", "obs_normalizer._var", "obs_normalizer._std")


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
    """The training config of the run a checkpoint belongs to (its run directory's train.yaml)."""
    run_cfg = checkpoint.parent / "train.yaml"
    if not run_cfg.is_file():
        raise FileNotFoundError(f"{checkpoint}: no train.yaml beside it (not an rsl-rl run dir)")
    return yaml.safe_load(run_cfg.read_text())["train_config"]


def warm_start(
    runner: Any, env: Any, checkpoint: str | Path, loco_of: Callable[[dict[str, Any]], LocoConfig]
) -> dict[str, int]:
    """Load `checkpoint` (a model_*.pt of another run) into `runner`, remapped to `env`'s
    layouts. `loco_of(train_config)` builds the source run's LocoConfig. Returns counts."""
    path = Path(checkpoint)
    src_loco = loco_of(source_layout(path))
    crit = env.task.critic_extra_terms
    src_names = input_names(src_loco, crit)
    dst_names = input_names(env.loco, crit)
    ck = torch.load(path, map_location="cpu", weights_only=False)
    mine = runner.alg.save()
    stats = terrain_stats(env)
    state = {
        "actor_state_dict": remap_state(
            ck["actor_state_dict"],
            mine["actor_state_dict"],
            src_names["policy"],
            dst_names["policy"],
            stats,
        ),
        "critic_state_dict": remap_state(
            ck["critic_state_dict"],
            mine["critic_state_dict"],
            src_names["critic"],
            dst_names["critic"],
            stats,
        ),
    }
    runner.alg.load(state, {"actor": True, "critic": True}, strict=True)
    return {
        "copied_inputs": len(src_names["policy"]),
        "new_inputs": len(dst_names["policy"]) - len(src_names["policy"]),
    }
