"""Locomotion policy training (rsl-rl PPO on batched MuJoCo), export and evaluation."""
