"""rsl-rl's PPO runner, with the terrain curriculum in its checkpoints.

A checkpoint alone restarts every robot near the bottom of the curriculum, and a short training
lease (15 minutes on a lent GPU machine) then spends a good part of its iterations climbing back
to where the previous run stopped. `LocoRunner` writes each robot's terrain level into the
checkpoint's `infos` (rsl-rl's slot for extra state), and `terrain_levels_from` reads them back
for `LocoEnv.set_levels` on `--resume`.

It also writes the compact checkpoint a policy directory ships (`save_weights`: actor, critic and
levels, no optimiser state - a third of the size), which `--resume` and `--init-from` accept, and
trains the critic alone (`learn_critic_only`) when a run starts from an actor without its critic,
stops a run cleanly when asked to between two iterations (`learn_until`: the time budget), and
gives the PPO update its own thread count (`set_update_threads`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from rsl_rl.runners import OnPolicyRunner

from navila_loco_train.vec_env import RslLocoVecEnv

LEVELS_KEY = "terrain_levels"
# save_weights' default: the levels of the runner's own env (a distinct object, since None there
# means "no levels").
ENV_LEVELS: Any = object()


class _StopRequestedError(Exception):
    """Raised between two iterations to leave rsl-rl's learning loop (see learn_until)."""


class LocoRunner(OnPolicyRunner):
    env: RslLocoVecEnv
    # the env's left-right mirror (symmetry.task_mirror) when the task's symmetry is on,
    # set by train.make_runner; a --symmetrize export reuses it
    mirror: Any = None

    def save(self, path: str, infos: dict[str, Any] | None = None) -> None:
        super().save(path, {**(infos or {}), LEVELS_KEY: self._levels()})

    def save_weights(self, path: str | Path, levels: Any = ENV_LEVELS) -> None:
        """Actor, critic, iteration and terrain levels, without the optimiser's state (Adam's
        moments double the size, and a resumed run rebuilds them in a few iterations). Tensors are
        saved on the CPU, so a policy directory trained on a GPU loads anywhere with plain
        torch.load. `levels`: ENV_LEVELS (this env's), any sequence of ints (an export-only run on
        a few robots keeps the checkpoint's own curriculum), or None (the checkpoint exported
        carried none: neither does its export, so a --resume from either starts the curriculum
        from the start instead of from the few robots an export built)."""
        state = self.alg.save()
        state.pop("optimizer_state_dict", None)
        for key in ("actor_state_dict", "critic_state_dict"):
            state[key] = {k: v.detach().cpu() for k, v in state[key].items()}
        state["iter"] = self.current_learning_iteration
        if levels is None:
            state["infos"] = {}
        else:
            kept = self._levels() if levels is ENV_LEVELS else [int(v) for v in levels]
            state["infos"] = {LEVELS_KEY: kept}
        torch.save(state, str(path))

    def load(self, path: str, load_cfg=None, strict: bool = True, map_location=None) -> dict:
        """rsl-rl's load, also for checkpoints without optimiser state (`save_weights`')."""
        if load_cfg is None:
            ck = torch.load(path, weights_only=False, map_location="cpu")
            if "optimizer_state_dict" not in ck:
                load_cfg = {"actor": True, "critic": True, "iteration": True}
        return super().load(path, load_cfg, strict, map_location)

    def learn_critic_only(self, iterations: int) -> None:
        """Collect and update with the actor frozen: a fresh critic learns the values of the
        policy as it is before any advantage reaches the actor. The adaptive learning rate sees
        no policy change (KL 0) and would grow meanwhile, so it is put back afterwards."""
        if iterations < 1:
            return
        actor = self.alg.get_policy()
        frozen = [p for p in actor.parameters() if p.requires_grad]
        lr = self.alg.learning_rate
        for p in frozen:
            p.requires_grad_(False)
        try:
            self.learn(iterations, init_at_random_ep_len=True)
        finally:
            for p in frozen:
                p.requires_grad_(True)
            self.alg.learning_rate = lr
            for group in self.alg.optimizer.param_groups:
                group["lr"] = lr
        self.current_learning_iteration += 1  # learn() restarts at the last index done

    def learn_until(
        self,
        iterations: int,
        deadline: float | None = None,
        init_at_random_ep_len: bool = False,
        clock: Callable[[], float] = time.time,
    ) -> bool:
        """rsl-rl's learn for up to `iterations`, ended after the first iteration that finishes
        past `deadline` (a `clock()` time): that iteration is logged and checkpointed, and the log
        closed, as learn() ends. Returns True when the deadline ended it.

        Why: navila-loco-train's --time-budget-s is first turned into an iteration count from the
        first iterations' speed; a machine that slows down later (another job on its cores, a
        thermally limited GPU) would overrun the budget by as much as it slowed. The check runs
        after each iteration's log, the one per-iteration call rsl-rl's loop makes outside it.
        """
        if deadline is None:
            self.learn(iterations, init_at_random_ep_len=init_at_random_ep_len)
            return False
        log = self.logger.log

        def log_then_check(*args: Any, **kwargs: Any) -> None:
            log(*args, **kwargs)
            if clock() > deadline:
                raise _StopRequestedError

        self.logger.log = log_then_check
        try:
            self.learn(iterations, init_at_random_ep_len=init_at_random_ep_len)
        except _StopRequestedError:
            if self.logger.writer is not None:
                it = self.current_learning_iteration
                self.save(os.path.join(self.logger.log_dir, f"model_{it}.pt"))
                self.logger.stop_logging_writer()
            return True
        finally:
            self.logger.log = log
        return False

    def set_update_threads(self, threads: int | None) -> None:
        """PyTorch's intra-op threads while PPO updates (None: as the process set them).

        Why: a CPU run gives torch half the cores, so the policy's inference between physics
        steps does not fight MuJoCo's rollout threads for them; but the update - most of an
        iteration on the 2-core machine (stage 23: 54 of 74 s) - runs while the physics waits, and
        on half the cores it leaves the rest idle. The process's setting comes back after each
        update, exceptions included."""
        if threads is not None and threads < 1:
            raise ValueError(f"update threads must be >= 1, got {threads}")
        self._update_threads = threads
        if getattr(self, "_plain_update", None) is None:
            self._plain_update = self.alg.update
            self.alg.update = self._update_on_threads

    def _update_on_threads(self, *args: Any, **kwargs: Any) -> Any:
        threads = self._update_threads  # installed by set_update_threads, which sets it first
        if threads is None:
            return self._plain_update(*args, **kwargs)
        before = torch.get_num_threads()
        torch.set_num_threads(threads)
        try:
            return self._plain_update(*args, **kwargs)
        finally:
            torch.set_num_threads(before)

    def _levels(self) -> list[int]:
        return self.env.env.level.astype(int).tolist()


def terrain_levels_from(infos: dict[str, Any] | None) -> np.ndarray | None:
    """The per-robot levels a `LocoRunner` checkpoint carries (None for older checkpoints)."""
    levels = (infos or {}).get(LEVELS_KEY)
    if levels is None:
        return None
    arr = np.asarray(levels, dtype=int)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"checkpoint terrain levels must be a non-empty list, got {levels!r}")
    return arr
