"""rsl-rl PPO runner configs for the Isaac Lab Go2 and H1 tasks - NOT RUNNABLE ON THIS MACHINE.

Needs Isaac Lab 2.3's ``isaaclab_rl`` (rsl-rl-lib 3.x); importing it without Isaac Lab raises
ImportError ("... needs Isaac Lab; not installed here"). The numbers are task_spec.PPOSpec's (the
MuJoCo trainer's), the iterations and seed the policy config's, the action clip
config/<robot>.yaml's.

Isaac Lab API used (``isaaclab_rl.rsl_rl``, 2.3): ``RslRlOnPolicyRunnerCfg`` with ``obs_groups``
and ``clip_actions`` (the RslRlVecEnvWrapper clips the actions), ``RslRlPpoActorCriticCfg`` with
``actor_obs_normalization`` / ``critic_obs_normalization``, ``RslRlPpoAlgorithmCfg`` with
``symmetry_cfg`` (``RslRlSymmetryCfg``: the config's ``symmetry:`` section, None when off).
Isaac Lab 3.x still accepts the ``policy`` field (it converts it to actor / critic models with a
warning), but the env config refuses Isaac Lab 3 (see ``check_isaaclab_version``).
"""

from __future__ import annotations

from navila_loco_train.isaaclab import check_isaaclab_version, isaaclab_import_error, spec
from navila_loco_train.isaaclab.symmetry import augment
from navila_loco_train.task_spec import PPOSpec, SymmetrySpec

try:
    from isaaclab.utils import configclass
    from isaaclab_rl.rsl_rl import (
        RslRlOnPolicyRunnerCfg,
        RslRlPpoActorCriticCfg,
        RslRlPpoAlgorithmCfg,
        RslRlSymmetryCfg,
    )
except ImportError as exc:
    raise isaaclab_import_error(__name__, exc) from exc

check_isaaclab_version()

BLIND = spec.load("go2_blind")
VISION = spec.load("go2_vision")
BLIND_FINETUNE = spec.load("go2_blind_finetune")
VISION_FINETUNE = spec.load("go2_vision_finetune_deploy")
H1 = spec.load("h1_vision")
PPO = VISION.task.ppo
# Checkpoint every this many iterations (the MuJoCo trainer's rsl_cfg save_interval).
SAVE_INTERVAL = 100


def _policy(ppo: PPOSpec = PPO) -> RslRlPpoActorCriticCfg:
    return RslRlPpoActorCriticCfg(
        init_noise_std=ppo.init_noise_std,
        actor_obs_normalization=ppo.obs_normalization,
        critic_obs_normalization=ppo.obs_normalization,
        actor_hidden_dims=list(ppo.hidden_dims),
        critic_hidden_dims=list(ppo.hidden_dims),
        activation=ppo.activation,
    )


def _symmetry(symmetry: SymmetrySpec) -> RslRlSymmetryCfg | None:
    """The config's left-right symmetry (isaaclab.symmetry.augment finds the task's mirror)."""
    if not symmetry.enabled:
        return None
    return RslRlSymmetryCfg(
        use_data_augmentation=symmetry.augmentation,
        use_mirror_loss=symmetry.mirror_loss_coeff > 0,
        mirror_loss_coeff=float(symmetry.mirror_loss_coeff),
        data_augmentation_func=augment,
    )


def _algorithm(ppo: PPOSpec, symmetry: SymmetrySpec) -> RslRlPpoAlgorithmCfg:
    return RslRlPpoAlgorithmCfg(
        value_loss_coef=ppo.value_loss_coef,
        use_clipped_value_loss=True,  # rsl-rl's PPO default, which the MuJoCo trainer uses
        clip_param=ppo.clip_param,
        entropy_coef=ppo.entropy_coef,
        num_learning_epochs=ppo.num_learning_epochs,
        num_mini_batches=ppo.num_mini_batches,
        learning_rate=ppo.learning_rate,
        schedule=ppo.schedule,
        gamma=ppo.gamma,
        lam=ppo.lam,
        desired_kl=ppo.desired_kl,
        max_grad_norm=ppo.max_grad_norm,
        symmetry_cfg=_symmetry(symmetry),
    )


@configclass
class NavilaPPORunnerCfg(RslRlOnPolicyRunnerCfg):
    """What every task's runner shares: the checkpoint interval and the observation sets."""

    save_interval = SAVE_INTERVAL

    def __post_init__(self) -> None:
        getattr(super(), "__post_init__", lambda: None)()
        self.obs_groups = {k: list(v) for k, v in spec.OBS_GROUPS.items()}


@configclass
class Go2BlindPPORunnerCfg(NavilaPPORunnerCfg):
    seed = BLIND.train.seed
    num_steps_per_env = PPO.num_steps_per_env
    max_iterations = BLIND.train.iterations
    experiment_name = f"navila_{BLIND.train.policy_name}"
    clip_actions = BLIND.robot.action_clip
    policy = _policy()
    algorithm = _algorithm(PPO, BLIND.task.symmetry)


@configclass
class Go2VisionPPORunnerCfg(NavilaPPORunnerCfg):
    seed = VISION.train.seed
    num_steps_per_env = PPO.num_steps_per_env
    max_iterations = VISION.train.iterations
    experiment_name = f"navila_{VISION.train.policy_name}"
    clip_actions = VISION.robot.action_clip
    policy = _policy()
    algorithm = _algorithm(PPO, VISION.task.symmetry)


# The finetune tasks continue a base task's run: the same experiment (Isaac Lab's --resume looks
# for --load_run there), their own configs' seed and iterations.
@configclass
class Go2BlindFinetunePPORunnerCfg(Go2BlindPPORunnerCfg):
    seed = BLIND_FINETUNE.train.seed
    max_iterations = BLIND_FINETUNE.train.iterations
    experiment_name = f"navila_{BLIND_FINETUNE.train.policy_name}"
    algorithm = _algorithm(PPO, BLIND_FINETUNE.task.symmetry)


@configclass
class Go2VisionFinetunePPORunnerCfg(Go2VisionPPORunnerCfg):
    seed = VISION_FINETUNE.train.seed
    max_iterations = VISION_FINETUNE.train.iterations
    experiment_name = f"navila_{VISION_FINETUNE.train.policy_name}"
    algorithm = _algorithm(PPO, VISION_FINETUNE.task.symmetry)


@configclass
class H1VisionPPORunnerCfg(NavilaPPORunnerCfg):
    seed = H1.train.seed
    num_steps_per_env = H1.task.ppo.num_steps_per_env
    max_iterations = H1.train.iterations
    experiment_name = f"navila_{H1.train.policy_name}"
    clip_actions = H1.robot.action_clip
    policy = _policy(H1.task.ppo)
    algorithm = _algorithm(H1.task.ppo, H1.task.symmetry)
