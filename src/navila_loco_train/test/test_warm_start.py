"""Starting the vision policy from a blind checkpoint: inputs matched by name, the started policy
acts exactly like the source, wrong directions are refused, and the CLI runs it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from tensordict import TensorDict

from navila_loco_train.inputs import input_names
from navila_loco_train.train import (
    build_env,
    load_train_config,
    loco_for,
    main,
    make_runner,
    task_from_config,
)
from navila_loco_train.warm_start import load_source, remap_state, warm_start

from .conftest import SHIPPED_VISION, tiny_config


@pytest.fixture(scope="module")
def blind_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("blind")
    args = ["--config", str(tiny_config(tmp, "go2_blind")), "--iterations", "1"]
    assert main([*args, "--device", "cpu", "--out", str(tmp / "runs")]) == 0
    return next((tmp / "runs" / "go2_blind").glob("*/model_*.pt"))


def runner_for(config: Path):
    cfg = load_train_config(str(config))
    task = task_from_config(cfg)
    env, _, _ = build_env(cfg, {}, task)
    return env, make_runner(env, task, "t")


def act(runner, obs: np.ndarray) -> np.ndarray:
    policy = runner.get_inference_policy(device="cpu")
    with torch.no_grad():
        td = TensorDict({"policy": torch.from_numpy(obs)}, batch_size=[len(obs)])
        return policy(td).numpy()


def test_vision_policy_started_from_blind_acts_like_it(
    blind_checkpoint: Path, tmp_path: Path
) -> None:
    blind_env, blind = runner_for(tiny_config(tmp_path, "go2_blind"))
    blind.load(str(blind_checkpoint), map_location="cpu")
    env, vision = runner_for(tiny_config(tmp_path, "go2_vision"))
    counts = warm_start(vision, env, blind_checkpoint, loco_for)
    assert counts == {"copied_inputs": 450, "new_inputs": 459, "fresh_critic": False}
    names = input_names(env.loco, env.task.critic_extra_terms)
    blind_names = input_names(blind_env.loco, env.task.critic_extra_terms)
    cols = [names["policy"].index(n) for n in blind_names["policy"]]
    obs = env.policy_obs.astype(np.float32)
    assert obs.shape == (4, 909) and np.mean(obs[:, 45:504] > 0) > 0.5  # it does see the ground
    np.testing.assert_allclose(act(vision, obs), act(blind, obs[:, cols]), atol=1e-5)
    # new inputs start at weight 0 with the terrain's statistics; copied ones keep the source's
    state = vision.alg.save()["actor_state_dict"]
    w = state["mlp.0.weight"]
    assert torch.all(w[:, 45:504] == 0) and torch.any(w[:, :45] != 0)
    mean = state["obs_normalizer._mean"][0]
    assert 0.1 < float(mean[45:504].mean()) < 1.0  # ground depth below the LiDAR, metres
    src = torch.load(blind_checkpoint, map_location="cpu", weights_only=False)
    np.testing.assert_array_equal(
        mean[cols].numpy(), src["actor_state_dict"]["obs_normalizer._mean"][0].numpy()
    )
    # the other way round is refused: the blind layout lacks the vision policy's height map
    with pytest.raises(ValueError, match="not in the new layout"):
        remap_state(
            state, blind.alg.save()["actor_state_dict"], names["policy"], blind_names["policy"]
        )
    env.close()
    blind_env.close()


def test_cli_trains_the_vision_policy_from_a_blind_checkpoint(
    blind_checkpoint: Path, tmp_path: Path
) -> None:
    args = ["--config", str(tiny_config(tmp_path, "go2_vision")), "--iterations", "1"]
    args += ["--device", "cpu", "--out", str(tmp_path / "runs")]
    assert main([*args, "--init-from", str(blind_checkpoint)]) == 0
    assert main([*args, "--init-from", str(tmp_path / "missing.pt")]) == 2


@pytest.fixture
def actor_only(tmp_path: Path) -> Path:
    """A policy directory as exported before checkpoint.pt existed: the shipped vision policy's
    checkpoint exported as trained (not symmetrized), less its checkpoint."""
    work = tmp_path / "actor_only_export"
    work.mkdir()
    plain = tmp_path / "actor_only"
    args = ["--config", str(tiny_config(work, "go2_vision_finetune_turn")), "--export-only"]
    args += ["--resume", str(SHIPPED_VISION), "--out", str(work / "runs")]
    assert main([*args, "--export-to", str(plain)]) == 0
    (plain / "checkpoint.pt").unlink()
    return plain


def test_a_symmetrized_policy_jit_is_not_taken_for_an_actor(tmp_path: Path) -> None:
    """The shipped policy.jit averages stage 27's actor with its mirror image: without its
    checkpoint.pt there is no single actor to start from, so it is refused with the reason."""
    out = tmp_path / "sym_only"
    out.mkdir()
    for name in ("policy.jit", "policy.onnx", "loco_params.yaml", "train.yaml"):
        shutil.copy(SHIPPED_VISION / name, out / name)
    with pytest.raises(ValueError, match="not a plain actor"):
        load_source(out, std=0.37)


def test_policy_directory_without_checkpoint_starts_the_actor_with_a_fresh_critic(
    tmp_path: Path, actor_only: Path
) -> None:
    from navila_loco_node.policy import load_policy

    env, runner = runner_for(tiny_config(tmp_path, "go2_vision"))
    with pytest.raises(ValueError, match="exploration noise std"):
        warm_start(runner, env, actor_only, loco_for)  # only the actor: std must be given
    fresh_critic = {k: v.clone() for k, v in runner.alg.save()["critic_state_dict"].items()}
    counts = warm_start(runner, env, actor_only, loco_for, std=0.37)
    assert counts == {"copied_inputs": 909, "new_inputs": 0, "fresh_critic": True}
    shipped = load_policy(actor_only / "policy.jit", 909, 12)
    obs = env.policy_obs.astype(np.float32)
    want = np.stack([shipped(row) for row in obs])
    np.testing.assert_allclose(act(runner, obs), want, atol=1e-5)
    saved = runner.alg.save()
    assert torch.allclose(saved["actor_state_dict"]["distribution.std_param"], torch.tensor(0.37))
    for key, value in fresh_critic.items():  # untouched: the source has no critic
        assert torch.equal(saved["critic_state_dict"][key], value)
    # the critic learns alone: the actor and the learning rate are as they were afterwards
    runner.alg.learning_rate = 3e-4
    for group in runner.alg.optimizer.param_groups:
        group["lr"] = 3e-4
    actor_before = {
        k: v.clone() for k, v in saved["actor_state_dict"].items() if "normalizer" not in k
    }
    runner.learn_critic_only(2)
    after = runner.alg.save()
    for key, value in actor_before.items():
        assert torch.equal(after["actor_state_dict"][key], value), key
    assert not torch.equal(after["critic_state_dict"]["mlp.0.weight"], fresh_critic["mlp.0.weight"])
    assert runner.alg.learning_rate == 3e-4
    assert all(p.requires_grad for p in runner.alg.get_policy().parameters())
    assert runner.current_learning_iteration == 2
    env.close()


def test_cli_continues_a_policy_directory(tmp_path: Path, actor_only: Path, capsys) -> None:
    args = ["--config", str(tiny_config(tmp_path, "go2_vision")), "--iterations", "1"]
    args += ["--device", "cpu", "--out", str(tmp_path / "runs")]
    first = tmp_path / "first"
    init = ["--init-from", str(actor_only), "--init-std", "0.37", "--critic-warmup", "1"]
    assert main([*args, *init, "--export-to", str(first)]) == 0
    out = capsys.readouterr().out
    assert "critic alone for 1 iterations" in out and "'fresh_critic': True" in out
    ck = torch.load(first / "checkpoint.pt", weights_only=False)
    assert "optimizer_state_dict" not in ck and len(ck["infos"]["terrain_levels"]) == 4
    assert ck["iter"] == 1  # the warm-up iteration, then one PPO iteration
    assert json.loads((first / "summary.json").read_text())["action_std"] > 0
    # the exported directory carries its critic: --resume continues it, --init-from needs no std
    assert main([*args, "--resume", str(first), "--export-to", str(tmp_path / "second")]) == 0
    assert "terrain levels resumed" in capsys.readouterr().out
    assert main([*args, "--init-from", str(first), "--export-to", str(tmp_path / "third")]) == 0
    out = capsys.readouterr().out
    assert "'fresh_critic': False" in out and "critic alone" not in out
    assert main([*args, "--init-from", str(actor_only)]) == 2  # no std for an actor-only dir
    assert "exploration noise std" in capsys.readouterr().err
    assert main([*args, "--resume", str(actor_only)]) == 2  # nothing to resume there
    assert "no checkpoint" in capsys.readouterr().err


def test_the_shipped_vision_policy_directory_resumes_with_its_critic(tmp_path: Path) -> None:
    env, runner = runner_for(tiny_config(tmp_path, "go2_vision"))
    counts = warm_start(runner, env, SHIPPED_VISION, loco_for)
    assert counts == {"copied_inputs": 909, "new_inputs": 0, "fresh_critic": False}
    ck = torch.load(SHIPPED_VISION / "checkpoint.pt", weights_only=False)
    for key, value in runner.alg.save()["critic_state_dict"].items():
        assert torch.equal(value, ck["critic_state_dict"][key]), key
    env.close()


def test_resume_with_init_std_sets_only_the_exploration_noise(
    blind_checkpoint: Path, tmp_path: Path, capsys
) -> None:
    """--resume --init-std S: the resumed actor explores with std S on every action; its
    weights are the checkpoint's (what a humanoid needs to learn without the noise's help)."""
    from navila_loco_train.warm_start import STD_KEY, set_noise_std

    config = tiny_config(tmp_path, "go2_blind")
    env, runner = runner_for(config)
    runner.load(str(blind_checkpoint), map_location="cpu")
    before = runner.alg.save()["actor_state_dict"]
    set_noise_std(runner, 0.2)
    after = runner.alg.save()["actor_state_dict"]
    assert torch.allclose(after[STD_KEY], torch.full_like(before[STD_KEY], 0.2))
    assert all(torch.equal(before[k], after[k]) for k in before if k != STD_KEY)
    for bad in (0.0, -1.0, float("nan")):
        with pytest.raises(ValueError, match="std must be > 0"):
            set_noise_std(runner, bad)
    env.close()
    args = ["--config", str(config), "--iterations", "1", "--device", "cpu"]
    args += ["--resume", str(blind_checkpoint), "--init-std", "0.2", "--out", str(tmp_path / "r")]
    assert main(args) == 0
    assert "exploration noise std set to 0.2" in capsys.readouterr().out
    resumed = sorted((tmp_path / "r" / "go2_blind").glob("*/model_*.pt"))[-1]
    std = torch.load(resumed, map_location="cpu", weights_only=False)["actor_state_dict"][STD_KEY]
    assert torch.all((std - 0.2).abs() < 0.05)  # one update moved it a little at most
