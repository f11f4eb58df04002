"""Reward terms of the velocity-tracking task, vectorised over envs (names as in task_spec).

Each function returns one unweighted value per env; `compute` evaluates the terms that have a
weight. Definitions follow Isaac Lab's locomotion MDP terms so both trainers optimise the same
thing (task_spec.py holds the weights).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from navila_loco_train.task_spec import TaskSpec

if TYPE_CHECKING:
    from navila_loco_train.env import LocoEnv


def track_lin_vel_xy_exp(env: LocoEnv, task: TaskSpec) -> np.ndarray:
    err = np.sum((env.commands[:, :2] - env.lin_vel[:, :2]) ** 2, axis=1)
    return np.exp(-err / task.tracking_std2)


def track_ang_vel_z_exp(env: LocoEnv, task: TaskSpec) -> np.ndarray:
    err = (env.commands[:, 2] - env.ang_vel[:, 2]) ** 2
    return np.exp(-err / task.tracking_std2)


def lin_vel_z_l2(env: LocoEnv) -> np.ndarray:
    return env.lin_vel[:, 2] ** 2


def ang_vel_xy_l2(env: LocoEnv) -> np.ndarray:
    return np.sum(env.ang_vel[:, :2] ** 2, axis=1)


def joint_torques_l2(env: LocoEnv) -> np.ndarray:
    return np.sum(env.torques**2, axis=1)


def joint_acc_l2(env: LocoEnv) -> np.ndarray:
    return np.sum(env.joint_acc**2, axis=1)


def action_rate_l2(env: LocoEnv) -> np.ndarray:
    return np.sum((env.actions - env.last_actions) ** 2, axis=1)


def _moving(env: LocoEnv, task: TaskSpec) -> np.ndarray:
    return np.linalg.norm(env.commands, axis=1) > task.commands.small


def feet_air_time(env: LocoEnv, task: TaskSpec) -> np.ndarray:
    """Reward long steps: at each touchdown, the air time beyond the threshold (moving only)."""
    air_beyond = env.feet_air_time_at_contact - task.feet_air_time_threshold_s
    gain = np.sum(air_beyond * env.first_contact, 1)
    return gain * _moving(env, task)


def feet_air_time_biped(env: LocoEnv, task: TaskSpec) -> np.ndarray:
    """Isaac Lab's humanoid air-time term: while exactly one foot is down, the shorter of the
    two feet's times in their current mode (the stance foot's contact time, the swing foot's air
    time), capped at the threshold; zero in double support or flight, and when told to stand.
    It pays for a long single-support phase every step instead of penalising short swings."""
    mode_time = np.where(env.feet_contact, env.feet_contact_time, env.feet_air_time)
    single = np.sum(env.feet_contact, axis=1) == 1
    held = np.min(np.where(single[:, None], mode_time, 0.0), axis=1)
    return np.minimum(held, task.feet_air_time_threshold_s) * _moving(env, task)


def feet_slide(env: LocoEnv) -> np.ndarray:
    """Horizontal speed (m/s) of each foot that touches the ground, summed: a planted foot
    should not skid."""
    speed = np.linalg.norm(env.feet_vel[:, :, :2], axis=2)
    return np.sum(speed * env.feet_contact, axis=1)


def joint_deviation_l1(env: LocoEnv) -> np.ndarray:
    """sum_j scale_j |q_j - q_default_j| (scales from the config's rewards: joint_deviation)."""
    return np.sum(env.joint_deviation_scale * np.abs(env.q - env.default_pos), axis=1)


def undesired_contacts(env: LocoEnv) -> np.ndarray:
    return np.sum(env.undesired, axis=1).astype(np.float64)


def feet_stumble(env: LocoEnv) -> np.ndarray:
    """1 when a foot hit something more sideways than downwards this step (a step's face, a
    box's side), legged_gym's stumble term: the falls on 10 cm steps and boxes begin so."""
    return np.any(env.feet_stumble, axis=1).astype(np.float64)


def termination(terminated: np.ndarray) -> np.ndarray:
    """1 for a robot whose episode ended by falling this step (a time-out is not a fall)."""
    return terminated.astype(np.float64)


def flat_orientation_l2(env: LocoEnv) -> np.ndarray:
    return np.sum(env.gravity[:, :2] ** 2, axis=1)


def joint_pos_limits(env: LocoEnv) -> np.ndarray:
    lo = np.clip(env.tm.pos_min - env.q, 0.0, None)
    hi = np.clip(env.q - env.tm.pos_max, 0.0, None)
    return np.sum(lo + hi, axis=1)


def stand_still(env: LocoEnv, task: TaskSpec) -> np.ndarray:
    return np.sum(np.abs(env.q - env.default_pos), axis=1) * ~_moving(env, task)


TERMS = {
    "track_lin_vel_xy_exp": track_lin_vel_xy_exp,
    "track_ang_vel_z_exp": track_ang_vel_z_exp,
    "lin_vel_z_l2": lin_vel_z_l2,
    "ang_vel_xy_l2": ang_vel_xy_l2,
    "joint_torques_l2": joint_torques_l2,
    "joint_acc_l2": joint_acc_l2,
    "action_rate_l2": action_rate_l2,
    "feet_air_time": feet_air_time,
    "undesired_contacts": undesired_contacts,
    "flat_orientation_l2": flat_orientation_l2,
    "joint_pos_limits": joint_pos_limits,
    "stand_still": stand_still,
    "feet_stumble": feet_stumble,
    "feet_air_time_biped": feet_air_time_biped,
    "feet_slide": feet_slide,
    "joint_deviation_l1": joint_deviation_l1,
}
# Terms the env adds after the `only_positive_rewards` clip, as legged_gym adds its termination
# reward: clipped with the rest, a fall costs nothing in the steps whose penalties already
# outweigh tracking - exactly the steps before a fall. They take the terminated flags, so the env
# evaluates them once terminations are known (`after_clip`).
AFTER_CLIP = {"termination": termination}
NEEDS_TASK = {
    "track_lin_vel_xy_exp",
    "track_ang_vel_z_exp",
    "feet_air_time",
    "feet_air_time_biped",
    "stand_still",
}


def compute(env: LocoEnv, task: TaskSpec) -> dict[str, np.ndarray]:
    unknown = sorted(set(task.reward_weights) - set(TERMS) - set(AFTER_CLIP))
    if unknown:
        raise ValueError(f"unknown reward terms {unknown}; known: {sorted({*TERMS, *AFTER_CLIP})}")
    out = {}
    for name, weight in task.reward_weights.items():
        if weight == 0 or name in AFTER_CLIP:
            continue
        fn = TERMS[name]
        out[name] = fn(env, task) if name in NEEDS_TASK else fn(env)
    return out


def after_clip(task: TaskSpec, terminated: np.ndarray) -> dict[str, np.ndarray]:
    """The weighted-later terms (AFTER_CLIP) that have a weight, unweighted, like `compute`."""
    return {
        name: fn(terminated)
        for name, fn in AFTER_CLIP.items()
        if task.reward_weights.get(name, 0.0) != 0
    }
