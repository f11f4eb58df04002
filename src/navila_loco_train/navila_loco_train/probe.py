"""A trained policy directory driving the batched training env, without ROS: what the probes in
benchmarks/ (probe_stumbles.py, probe_drift.py) measure a policy on.

The policy is the exported TorchScript actor (``policy.jit``, the normaliser inside), the env the
MuJoCo trainer's own ``LocoEnv`` built from a training config, so a probe sees the policy exactly
as training did. A policy whose input count differs from the config's layout is refused before
any step (TorchScript would only fail inside its first matrix product).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from navila_loco_node.policy_dir import policy_overrides
from navila_loco_train.env import LocoEnv
from navila_loco_train.task_spec import TaskSpec
from navila_loco_train.train import build_env


@dataclass
class PolicyInEnv:
    """A policy and the env it drives; ``step()`` is one control step on the policy's actions."""

    policy: torch.jit.ScriptModule
    env: LocoEnv
    # Gaussian noise of this std on every action (policy units), seeded: how small a nudge a
    # policy that stands exactly still until nudged needs (probe_drift.py --action-noise).
    action_noise: float = 0.0
    rng: np.random.Generator = field(default_factory=lambda: np.random.default_rng(0))

    def step(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        with torch.no_grad():
            obs = torch.as_tensor(self.env.policy_obs, dtype=torch.float32)
            actions = self.policy(obs).numpy()
        if self.action_noise > 0:
            actions = actions + self.action_noise * self.rng.standard_normal(actions.shape)
        return self.env.step(actions)

    def close(self) -> None:
        self.env.close()


def policy_in_env(
    policy_dir: str, cfg: dict[str, Any], task: TaskSpec, env_overrides: dict[str, Any]
) -> PolicyInEnv:
    """``policy_dir``'s actor on ``build_env(cfg, env_overrides, task)``; refuses a layout
    mismatch (ValueError) and a directory without policy.jit (FileNotFoundError)."""
    jit = Path(policy_dir) / "policy.jit"
    if not jit.is_file():
        raise FileNotFoundError(f"no policy.jit in {policy_dir}")
    inputs = policy_overrides(policy_dir).get("policy.num_inputs")
    policy = torch.jit.load(str(jit))
    env, _, _ = build_env(cfg, env_overrides, task)
    if inputs is not None and inputs != env.obs.size:
        env.close()
        raise ValueError(
            f"policy {policy_dir} takes {inputs} inputs, config {cfg.get('_path')} builds "
            f"{env.obs.size}"
        )
    return PolicyInEnv(policy, env)


def probe_parser(doc: str, envs: int, out: str) -> argparse.ArgumentParser:
    """The arguments every probe takes: --policy, --config, --envs, --threads, --out."""
    ap = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    ap.add_argument("--policy", required=True, help="policy directory (policy.jit)")
    ap.add_argument("--config", required=True, help="training config (its terrain and layout)")
    ap.add_argument("--envs", type=int, default=envs, help="robots")
    ap.add_argument("--threads", type=int, default=1, help="physics threads")
    ap.add_argument("--out", default=out, help="JSON output")
    return ap


def run_probe(
    ap: argparse.ArgumentParser,
    args: argparse.Namespace,
    measure: Callable[[], dict[str, Any]],
    show: Callable[[dict[str, Any]], None],
) -> int:
    """Check the shared arguments, measure, print the table, save the JSON; 2 if refused."""
    for flag in ("envs", "threads"):
        if getattr(args, flag) < 1:
            ap.error(f"--{flag} must be >= 1, got {getattr(args, flag)}")
    try:
        result = measure()
    except (FileNotFoundError, ValueError, RuntimeError) as exc:
        print(f"[probe] refused: {exc}", file=sys.stderr)
        return 2
    show(result)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1))
    print(f"[probe] saved {out}")
    return 0
