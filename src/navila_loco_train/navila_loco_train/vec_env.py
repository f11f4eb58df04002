"""rsl-rl's VecEnv interface over `LocoEnv` (numpy -> torch TensorDicts, observation groups
"policy" for the actor and "critic" for the asymmetric critic)."""

from __future__ import annotations

import numpy as np
import torch
from rsl_rl.env import VecEnv
from tensordict import TensorDict

from navila_loco_train.env import LocoEnv


class RslLocoVecEnv(VecEnv):
    def __init__(self, env: LocoEnv, device: str = "cpu") -> None:
        self.env = env
        self.num_envs = env.n
        self.num_actions = env.num_actions
        self.max_episode_length = env.max_episode_length
        self.device = device
        self.cfg = {"num_envs": env.n, "dt": env.dt}
        self._episode_length = torch.zeros(env.n, dtype=torch.long, device=device)

    # rsl-rl randomises initial episode lengths through this buffer; mirror it into the env.
    @property
    def episode_length_buf(self) -> torch.Tensor:
        self._episode_length = torch.as_tensor(self.env.episode_length, device=self.device)
        return self._episode_length

    @episode_length_buf.setter
    def episode_length_buf(self, value: torch.Tensor) -> None:
        self.env.episode_length = value.detach().cpu().numpy().astype(np.int64)
        self._episode_length = value

    def _obs(self) -> TensorDict:
        return TensorDict(
            {
                "policy": torch.as_tensor(self.env.policy_obs, device=self.device),
                "critic": torch.as_tensor(
                    self.env.critic_obs.astype(np.float32), device=self.device
                ),
            },
            batch_size=[self.num_envs],
            device=self.device,
        )

    def get_observations(self) -> TensorDict:
        return self._obs()

    def step(self, actions: torch.Tensor) -> tuple[TensorDict, torch.Tensor, torch.Tensor, dict]:
        _, _, reward, terminated, timed_out = self.env.step(actions.detach().cpu().numpy())
        dones = torch.as_tensor(terminated | timed_out, device=self.device).long()
        extras = {
            "time_outs": torch.as_tensor(timed_out & ~terminated, device=self.device),
            "log": dict(self.env.log),
        }
        self.env.log = {}
        return (
            self._obs(),
            torch.as_tensor(reward, dtype=torch.float32, device=self.device),
            dones,
            extras,
        )
