"""The training CLI end to end on a tiny set-up: PPO iterations, checkpoints, tensorboard logs,
and a policy directory that navila_loco_node's own loader runs."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from navila_loco_node.config import load_loco_config
from navila_loco_node.policy import load_policy
from navila_loco_node.policy_dir import policy_overrides
from navila_loco_train.train import main

from .conftest import CONFIG_DIR, SHIPPED_VISION, tiny_config


def test_train_two_iterations_export_and_resume(tmp_path: Path, capsys) -> None:
    cfg = yaml.safe_load(
        (Path(__file__).parents[1] / "navila_loco_train/configs/go2_blind.yaml").read_text()
    )
    cfg["env"].update(num_envs=8, num_threads=1, num_variants=2)
    cfg["terrain"] = {"types": ["flat", "rough"], "levels": 2, "tile_m": 4.0}
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(cfg))
    export = tmp_path / "policy"
    assert (
        main(
            [
                "--config",
                str(path),
                "--iterations",
                "2",
                "--device",
                "cpu",
                "--out",
                str(tmp_path / "runs"),
                "--export-to",
                str(export),
            ]
        )
        == 0
    )
    run = next((tmp_path / "runs" / "go2_blind").iterdir())
    assert list(run.glob("model_*.pt")) and list(run.glob("events.out.tfevents*"))
    summary = json.loads((export / "summary.json").read_text())
    assert summary["iterations"] == 2 and summary["env_steps"] == 2 * 24 * 8
    assert not (export / "policy.onnx.data").exists()  # one self-contained file
    # the deployment reader accepts the directory and the node builds the 450-input layout
    overrides = policy_overrides(export)
    assert overrides["policy.path"] == str((export / "policy.onnx").resolve())
    loco = load_loco_config(CONFIG_DIR / "go2.yaml", **overrides)
    assert loco.policy_num_inputs == 450
    x = np.zeros(450, dtype=np.float32)
    outs = [load_policy(export / f, 450, 12)(x) for f in ("policy.jit", "policy.onnx")]
    np.testing.assert_allclose(outs[0], outs[1], atol=1e-4)
    # the checkpoint carries each robot's terrain level, and --resume puts the robots back there
    ckpt = max(run.glob("model_*.pt"), key=lambda f: f.stat().st_mtime)
    infos = torch.load(ckpt, weights_only=False)["infos"]
    assert len(infos["terrain_levels"]) == 8
    saved = np.array(infos["terrain_levels"])
    resumed = tmp_path / "resumed"
    args = ["--config", str(path), "--iterations", "1", "--device", "cpu", "--resume", str(ckpt)]
    assert main([*args, "--out", str(resumed), "--export-to", str(resumed / "policy")]) == 0
    out = capsys.readouterr().out
    assert f"terrain levels resumed: mean {saved.mean():.2f}" in out
    assert "[train] note: episodes end past a tilt of 1.05 rad" in out  # go2_blind's 60 deg
    assert f"PPO on cpu (update on {os.cpu_count()} threads)" in out  # --update-threads default
    # --export-only: the checkpoint's policy directory, untrained, on fewer robots than it had
    exported = tmp_path / "exported"
    args = ["--config", str(path), "--resume", str(ckpt), "--export-only", "--num-envs", "2"]
    assert main([*args, "--out", str(tmp_path / "x"), "--export-to", str(exported)]) == 0
    source, written = torch.load(ckpt, weights_only=False), torch.load(exported / "checkpoint.pt")
    for part in ("actor_state_dict", "critic_state_dict"):
        for key, value in source[part].items():
            assert torch.equal(written[part][key], value), (part, key)
    assert written["iter"] == source["iter"]
    assert written["infos"]["terrain_levels"] == saved.tolist()  # all 8, not the 2 built
    summary = json.loads((exported / "summary.json").read_text())  # the run's, as it iterated
    assert summary["iterations"] == 2 and summary["env_steps"] == 2 * 24 * 8
    assert summary["exported_from"] == str(ckpt.resolve())
    # an older checkpoint that carries no levels: its export carries none either (not the 2 built)
    bare = tmp_path / "bare.pt"
    torch.save({**source, "infos": None}, bare)
    args = ["--config", str(path), "--resume", str(bare), "--export-only", "--num-envs", "2"]
    assert main([*args, "--out", str(tmp_path / "z"), "--export-to", str(tmp_path / "e2")]) == 0
    assert torch.load(tmp_path / "e2" / "checkpoint.pt")["infos"] == {}
    # a checkpoint of another layout (blind into the vision config): refused, nothing written
    args = ["--config", str(tiny_config(tmp_path, "go2_vision")), "--resume", str(ckpt)]
    assert main([*args, "--export-only", "--out", str(tmp_path / "y")]) == 2
    err = capsys.readouterr().err
    assert f"refused --resume {ckpt}" in err and "size mismatch" in err
    assert not list((tmp_path / "y").rglob("policy.onnx"))


def test_bad_inputs_are_refused_with_a_reason(tmp_path: Path, capsys) -> None:
    assert main(["--config", "nonsense", "--out", str(tmp_path)]) == 2
    assert "no training config 'nonsense'" in capsys.readouterr().err
    assert main(["--resume", str(tmp_path / "missing.pt"), "--out", str(tmp_path)]) == 2
    assert "no checkpoint" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--update-threads", "0", "--out", str(tmp_path)])
    assert "--update-threads must be >= 1, got 0" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--export-only", "--out", str(tmp_path)])
    assert "--export-only needs --resume" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--export-only", "--resume", "x.pt", "--iterations", "3", "--time-budget-s", "9"])
    assert "--iterations, --time-budget-s would be ignored" in capsys.readouterr().err
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"policy_name": "x", "robot": "go2", "env": {"warp": 9}}))
    assert main(["--config", str(bad), "--out", str(tmp_path)]) == 2
    assert "unknown env settings ['warp']" in capsys.readouterr().err
    for section, match in (
        ({"rewards": {"tracking_std2": "abc"}}, "could not convert string to float: 'abc'"),
        ({"rewards": {"weights": {"fly": 1.0}}}, "unknown reward terms ['fly']"),
        ({"terrain": {"hills": 3}}, "unknown terrain keys ['hills']"),
        ({"terminations": {"min_base_height_m": -1}}, "min_base_height_m must be >= 0"),
        ({"terrain": {"resolution_m": 0.03}}, "must divide tile_m 8.0 into whole cells"),
        ({"terrain": {"resolution_m": 0}}, "resolution_m must be > 0"),
        ({"commands": {"deploy_share": 0.3}}, "unknown commands keys ['deploy_share']"),
        ({"commands": {"deploy_fraction": -0.1}}, "deploy_fraction must be in [0, 1]"),
    ):
        bad.write_text(yaml.safe_dump({"policy_name": "x", "robot": "go2", "env": {}, **section}))
        assert main(["--config", str(bad), "--out", str(tmp_path)]) == 2
        assert match in capsys.readouterr().err
    assert not list(tmp_path.glob("x/*")), "a refused run writes no run directory"


def test_extends_lays_a_config_over_another(tmp_path: Path, capsys) -> None:
    from navila_loco_train.train import load_train_config, task_from_config

    (tmp_path / "sub").mkdir()
    (tmp_path / "sub/base.yaml").write_text(
        yaml.safe_dump(
            {
                "policy_name": "base",
                "robot": "go2",
                "env": {"num_envs": 8, "feet": ["*_foot"], "num_variants": 2},
                "terrain": {"types": ["flat", "steps"], "levels": 3},
                "seed": 4,
            }
        )
    )
    child = tmp_path / "child.yaml"
    child.write_text(
        yaml.safe_dump(
            {
                "extends": "sub/base.yaml",  # relative to the extending file's folder
                "env": {"num_envs": 4, "feet": ["FL_foot"]},
                "terrain": {"types": ["boxes"]},
                "seed": 7,
            }
        )
    )
    cfg = load_train_config(str(child))
    assert cfg["env"] == {"num_envs": 4, "feet": ["FL_foot"], "num_variants": 2}  # merged
    assert cfg["terrain"] == {"types": ["boxes"], "levels": 3}  # a list is replaced, not merged
    assert (cfg["policy_name"], cfg["seed"]) == ("base", 7)
    assert "extends" not in cfg and cfg["_path"] == str(child.resolve())
    # a shipped name as parent, from anywhere
    child.write_text(yaml.safe_dump({"extends": "go2_blind", "env": {"num_envs": 16}}))
    blind, cfg = load_train_config("go2_blind"), load_train_config(str(child))
    assert cfg["loco_overrides"] == blind["loco_overrides"]
    assert cfg["env"] == {**blind["env"], "num_envs": 16}
    # the shipped finetune configs: one or two keys over their parent
    ft = load_train_config("go2_blind_finetune")
    assert ft["loco_overrides"] == blind["loco_overrides"]  # same 450-input layout
    assert ft["terrain"]["resolution_m"] == 0.02 and ft["rewards"] == {"tracking_std2": 0.1}
    sharp = load_train_config("go2_vision_finetune_sharp")
    tight = load_train_config("go2_vision_finetune_tight")
    assert sharp["terrain"] == {**tight["terrain"], "resolution_m": 0.02}
    assert {k: v for k, v in sharp.items() if k not in ("terrain", "_path")} == {
        k: v for k, v in tight.items() if k not in ("terrain", "_path")
    }
    stumble = load_train_config("go2_vision_finetune_stumble")
    assert stumble["rewards"] == {"tracking_std2": 0.1, "weights": {"feet_stumble": -1.0}}
    assert {k: v for k, v in stumble.items() if k not in ("rewards", "_path")} == {
        k: v for k, v in sharp.items() if k not in ("rewards", "_path")
    }
    rubble = load_train_config("go2_vision_finetune_rubble")
    deploy = load_train_config("go2_vision_finetune_deploy")
    assert rubble["terrain"] == {
        **deploy["terrain"],
        "types": ["flat", "rough", "steps", "steps_up", "boxes", "rubble"],
    }
    assert task_from_config(rubble).terrain.types[-1] == "rubble"
    pillars = load_train_config("go2_vision_finetune_pillars")
    assert pillars["terrain"] == {
        **rubble["terrain"],
        "types": [*rubble["terrain"]["types"], "pillars"],
    }
    assert {k: v for k, v in pillars.items() if k not in ("terrain", "_path")} == {
        k: v for k, v in rubble.items() if k not in ("terrain", "_path")
    }
    upper = load_train_config("go2_vision_finetune_upper")
    assert upper["env"] == {**pillars["env"], "undesired_contacts": ["*_thigh", "*_hip", "base"]}
    assert {k: v for k, v in upper.items() if k not in ("env", "_path")} == {
        k: v for k, v in pillars.items() if k not in ("env", "_path")
    }
    # loops, a bad extends value and a missing parent are refused with the reason
    loop_a, loop_b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    loop_a.write_text("extends: b.yaml\n")
    loop_b.write_text("extends: a.yaml\n")
    for text, match in (
        (None, "extend each other in a loop"),
        ("extends: [go2_blind]\n", "'extends' names one config"),
        ("extends: nowhere\n", "no training config 'nowhere'"),
        ("- a list\n", "a training config is a mapping"),
    ):
        if text is not None:
            loop_a.write_text(text)
        assert main(["--config", str(loop_a), "--out", str(tmp_path)]) == 2
        assert match in capsys.readouterr().err


def test_checkpoint_terrain_levels_are_read_or_refused() -> None:
    from navila_loco_train.runner import terrain_levels_from

    assert terrain_levels_from(None) is None  # a checkpoint from before levels were saved
    assert terrain_levels_from({"other": 1}) is None
    assert terrain_levels_from({"terrain_levels": [0, 2, 1]}).tolist() == [0, 2, 1]
    for bad in ([], [[1, 2]]):
        with pytest.raises(ValueError, match="terrain levels"):
            terrain_levels_from({"terrain_levels": bad})


def test_config_rewards_section_sets_kernel_and_weights() -> None:
    from navila_loco_train.task_spec import REWARD_WEIGHTS, TRACKING_STD2
    from navila_loco_train.train import load_train_config, task_from_config

    plain = task_from_config({"policy_name": "p", "robot": "go2", "env": {}})
    assert plain.tracking_std2 == TRACKING_STD2 and plain.reward_weights == REWARD_WEIGHTS
    task = task_from_config(
        {"rewards": {"tracking_std2": 0.1, "weights": {"track_lin_vel_xy_exp": 2.0}}}
    )
    assert task.tracking_std2 == 0.1
    assert task.reward_weights == {**REWARD_WEIGHTS, "track_lin_vel_xy_exp": 2.0}
    for bad, match in (
        ({"weights": {"fly": 1.0}}, "fly"),
        ({"tracking_sigma": 0.1}, "tracking_sigma"),
        ({"tracking_std2": 0.0}, "> 0"),
        ({"weights": {"joint_deviation_l1": -1.0}}, "names no joints"),
        ({"joint_deviation": {"torso_joint": -0.1}}, "scales >= 0"),
        ({"joint_deviation": ["torso_joint"]}, "scales >= 0"),
        ({"only_positive_rewards": "no"}, "true or false"),
    ):
        with pytest.raises(ValueError, match=match):
            task_from_config({"rewards": bad})
    h1 = task_from_config(load_train_config("h1_vision"))
    assert h1.joint_deviation["torso_joint"] == 0.1
    assert h1.reward_weights["joint_deviation_l1"] == -1.0
    assert h1.only_positive_rewards is False and plain.only_positive_rewards is True
    tight = task_from_config(load_train_config("go2_vision_finetune_tight"))
    assert tight.tracking_std2 < TRACKING_STD2
    assert tight.terrain == task_from_config(load_train_config("go2_vision_finetune")).terrain
    sharp = task_from_config(load_train_config("go2_vision_finetune_sharp"))
    assert sharp.terrain == replace(tight.terrain, resolution_m=0.02)  # only the grid differs
    assert sharp.tracking_std2 == tight.tracking_std2
    assert sharp.reward_weights == tight.reward_weights


def test_joint_deviation_scales_refuse_a_pattern_that_misses_or_overlaps() -> None:
    from navila_loco_train.task_spec import joint_deviation_scales

    names = ["left_hip_yaw_joint", "right_hip_yaw_joint", "torso_joint", "left_knee_joint"]
    got = joint_deviation_scales({"*_hip_yaw_joint": 0.2, "torso_joint": 0.1}, names)
    assert got == [0.2, 0.2, 0.1, 0.0]
    assert joint_deviation_scales({}, names) == [0.0] * 4
    with pytest.raises(ValueError, match="matches no joint"):
        joint_deviation_scales({"*_elbow_joint": 0.2}, names)  # a typo or another robot's joint
    with pytest.raises(ValueError, match="matches both"):
        joint_deviation_scales({"left_*": 0.2, "*_hip_yaw_joint": 0.1}, names)


def test_config_commands_section_sets_the_command_draws() -> None:
    from navila_loco_train.task_spec import CommandSpec
    from navila_loco_train.train import load_train_config, task_from_config

    assert task_from_config({}).commands == CommandSpec()
    task = task_from_config(
        {"commands": {"deploy_fraction": 0.3, "wz": [-0.8, 0.8], "deploy_commands": [[0.5, 0, 0]]}}
    )
    assert task.commands.deploy_fraction == 0.3 and task.commands.wz == (-0.8, 0.8)
    assert task.commands.deploy_commands == ((0.5, 0.0, 0.0),)
    for bad, match in (
        ({"deploy_share": 0.3}, "unknown commands keys"),
        ({"deploy_fraction": 1.5}, r"deploy_fraction must be in \[0, 1\]"),
        ({"deploy_commands": [[1.5, 0, 0]]}, "not .* within the ranges"),
        ({"deploy_commands": [[0.5, 0]]}, "not .* within the ranges"),
        ({"deploy_fraction": 0.2, "deploy_commands": []}, "needs deploy_commands"),
    ):
        with pytest.raises(ValueError, match=match):
            task_from_config({"commands": bad})
    deploy = task_from_config(load_train_config("go2_blind_finetune_deploy"))
    base = task_from_config(load_train_config("go2_blind_finetune"))
    assert deploy == replace(base, commands=replace(base.commands, deploy_fraction=0.3))
    vision_deploy = task_from_config(load_train_config("go2_vision_finetune_deploy"))
    stumble = task_from_config(load_train_config("go2_vision_finetune_stumble"))
    assert vision_deploy == replace(
        stumble, commands=replace(stumble.commands, deploy_fraction=0.3)
    )


def test_config_terminations_and_randomization_sections() -> None:
    """Another robot's numbers come from its config: lists become the spec's tuples, and an
    unknown key or an impossible value is refused with its name."""
    from navila_loco_train.task_spec import RandomizationSpec, TaskSpec, TerminationSpec
    from navila_loco_train.train import load_train_config, task_from_config

    task = task_from_config(
        {
            "terminations": {"min_base_height_m": 0.6},
            "randomization": {"added_base_mass_kg": [-1, 3], "actuator_delay_steps": [0, 2]},
            "rewards": {"feet_air_time_threshold_s": 0.4},
        }
    )
    assert task.terminations == TerminationSpec(min_base_height_m=0.6)
    assert task.randomization == RandomizationSpec(
        added_base_mass_kg=(-1, 3), actuator_delay_steps=(0, 2)
    )
    assert task.feet_air_time_threshold_s == 0.4
    assert task_from_config({}).feet_air_time_threshold_s == TaskSpec().feet_air_time_threshold_s
    quiet = task_from_config({"noise": {"joint_vel_rel": 0.15, "base_ang_vel": 0}})
    assert (quiet.noise.joint_vel_rel, quiet.noise.base_ang_vel) == (0.15, 0)
    assert quiet.noise.height_map == TaskSpec().noise.height_map  # the rest as they were
    stand_turn = task_from_config(load_train_config("h1_vision_finetune_stand_turn"))
    h1_quiet = task_from_config(load_train_config("h1_vision_finetune_quiet"))
    tenth = {f: v / 10 for f, v in vars(stand_turn.noise).items()}
    assert vars(h1_quiet.noise) == pytest.approx(tenth)
    assert h1_quiet.commands == stand_turn.commands and h1_quiet.ppo.entropy_coef == 0.0
    for bad, match in (
        ({"terminations": {"min_height": 0.6}}, "unknown terminations keys \\['min_height'\\]"),
        ({"terminations": {"min_base_height_m": -0.1}}, "min_base_height_m must be >= 0"),
        ({"terminations": {"max_tilt_rad": 0.0}}, "max_tilt_rad"),
        ({"randomization": {"friction": [1.2, 0.4]}}, "friction must be a range"),
        ({"randomization": {"motor_strength": [0.0, 1.0]}}, "motor_strength > 0"),
        ({"randomization": {"push_interval_s": 0}}, "push_interval_s must be > 0"),
        ({"randomization": {"pushes": 1}}, "unknown randomization keys"),
        ({"terrain": {"tiles": 3}}, "unknown terrain keys"),
        ({"rewards": {"feet_air_time_threshold_s": -1}}, "feet_air_time_threshold_s"),
        ({"noise": {"joint_pos_rel": -0.01}}, "noise.joint_pos_rel must be a half-width >= 0"),
        ({"noise": {"imu": 0.1}}, "unknown noise keys \\['imu'\\]"),
    ):
        with pytest.raises(ValueError, match=match):
            task_from_config(bad)


def test_config_ppo_section_sets_the_runner() -> None:
    """`ppo:` replaces single PPOSpec fields and reaches rsl-rl's runner config; an unknown key
    or an impossible value is refused with its name. The base configs keep PPOSpec's values;
    h1_vision_finetune_turn halves the entropy bonus (with its two other changes, nothing else)."""
    from navila_loco_train.task_spec import PPOSpec
    from navila_loco_train.train import load_train_config, rsl_cfg, task_from_config

    task = task_from_config({"ppo": {"entropy_coef": 0.005, "hidden_dims": [256, 128]}})
    assert task.ppo == PPOSpec(entropy_coef=0.005, hidden_dims=(256, 128))
    cfg = rsl_cfg(task, "x")
    assert cfg["algorithm"]["entropy_coef"] == 0.005 and cfg["actor"]["hidden_dims"] == [256, 128]
    for name in ("go2_blind", "go2_vision", "h1_vision"):
        assert task_from_config(load_train_config(name)).ppo == PPOSpec()
    h1 = task_from_config(load_train_config("h1_vision"))
    assert task_from_config(load_train_config("h1_vision_finetune_turn")) == replace(
        h1,
        commands=replace(h1.commands, turn_in_place_fraction=0.5),
        reward_weights={**h1.reward_weights, "track_ang_vel_z_exp": 1.5},
        ppo=PPOSpec(entropy_coef=0.005),
    )
    for bad, match in (
        ({"entropy": 0.0}, "unknown ppo keys \\['entropy'\\]"),
        ({"entropy_coef": -0.1}, "ppo.entropy_coef must be a number >= 0"),
        ({"init_noise_std": 0}, "ppo.init_noise_std must be a number > 0"),
        ({"learning_rate": "fast"}, "ppo.learning_rate must be a number > 0"),
        ({"gamma": 1.5}, "ppo.gamma must be in \\(0, 1\\]"),
        ({"num_mini_batches": 0}, "ppo.num_mini_batches must be a whole number >= 1"),
        ({"num_learning_epochs": 2.5}, "ppo.num_learning_epochs must be a whole number"),
        ({"hidden_dims": []}, "ppo.hidden_dims"),
        ({"hidden_dims": [64, -1]}, "ppo.hidden_dims"),
        ({"activation": "relu6"}, "ppo.activation must be one of"),
        ({"schedule": "cosine"}, "ppo.schedule is adaptive or fixed"),
        ({"obs_normalization": "yes"}, "ppo.obs_normalization"),
    ):
        with pytest.raises(ValueError, match=match):
            task_from_config({"ppo": bad})


def test_a_training_tilt_limit_laxer_than_the_deployed_one_is_named() -> None:
    """The node damps at safety.max_tilt_rad; an episode that runs on past it trains recoveries
    that deployment calls falls, and the CLI says so (stage 23's rubble falls were such poses)."""
    from navila_loco_train.train import load_train_config, task_from_config, tilt_limit_note

    deployed = load_loco_config(CONFIG_DIR / "go2.yaml").safety.max_tilt_rad
    lax = task_from_config(load_train_config("go2_vision_finetune_mirror"))
    note = tilt_limit_note(lax, deployed)
    assert "1.05 rad" in note and f"{deployed:.2f} (safety.max_tilt_rad)" in note
    matched = task_from_config(load_train_config("go2_vision_finetune_tilt"))
    assert matched.terminations.max_tilt_rad == deployed
    assert tilt_limit_note(matched, deployed) == ""
    assert tilt_limit_note(task_from_config({"terminations": {"max_tilt_rad": 0.5}}), 0.8) == ""
    # stage 25's: the same end, and a fall that costs something (the Go2 default weights it 0)
    penalised = task_from_config(load_train_config("go2_vision_finetune_tilt_penalty"))
    assert penalised.terminations.max_tilt_rad == deployed
    assert penalised.reward_weights["termination"] == -100.0
    assert matched.reward_weights["termination"] == 0.0
    assert replace(penalised, reward_weights=matched.reward_weights) == matched
    # stage 26's: stage 25's with a weaker pull to the flat-ground pose when told to stand
    stand = task_from_config(load_train_config("go2_vision_finetune_stand"))
    assert stand.reward_weights["stand_still"] == -0.1
    assert penalised.reward_weights["stand_still"] == -0.5
    assert replace(stand, reward_weights=penalised.reward_weights) == penalised
    changed = {k for k, w in stand.reward_weights.items() if w != penalised.reward_weights[k]}
    assert changed == {"stand_still"}
    # stage 27's: stage 26's with half of the uniform command draws a turn in place
    turn = task_from_config(load_train_config("go2_vision_finetune_turn"))
    assert turn.commands.turn_in_place_fraction == 0.5
    assert stand.commands.turn_in_place_fraction == 0.3
    assert replace(turn, commands=stand.commands) == stand
    # stage 28's: stage 27's with three times the mirror loss
    even = task_from_config(load_train_config("go2_vision_finetune_even"))
    assert even.symmetry.mirror_loss_coeff == 3.0 and turn.symmetry.mirror_loss_coeff == 1.0
    assert replace(even, symmetry=turn.symmetry) == turn
    # stage 29's: stage 27's with the mirrored samples in PPO's mini-batches as well
    augment = task_from_config(load_train_config("go2_vision_finetune_augment"))
    assert augment.symmetry.augmentation and not turn.symmetry.augmentation
    assert augment.symmetry.mirror_loss_coeff == turn.symmetry.mirror_loss_coeff
    assert replace(augment, symmetry=turn.symmetry) == turn


def test_symmetrize_exports_the_actor_averaged_with_its_mirror_image(tmp_path: Path) -> None:
    """--symmetrize: the policy files give (pi(o) + M pi(M o)) / 2 of the checkpoint's actor,
    a mirrored observation gets the mirrored action, and checkpoint.pt keeps the actor."""
    from heightmap_node.builder import go2_map_config
    from navila_loco_train.inputs import input_names
    from navila_loco_train.symmetry import height_map_mirror, input_mirror, joint_mirror
    from navila_sim.robot import load_robot

    config = tiny_config(tmp_path, "go2_vision_finetune_turn")
    source = SHIPPED_VISION / "checkpoint.pt"
    args = ["--config", str(config), "--resume", str(source), "--export-only"]
    plain, sym = tmp_path / "plain", tmp_path / "sym"
    assert main([*args, "--out", str(tmp_path / "r1"), "--export-to", str(plain)]) == 0
    out = ["--out", str(tmp_path / "r2"), "--export-to", str(sym)]
    assert main([*args, "--symmetrize", *out]) == 0
    loco = load_loco_config(CONFIG_DIR / "go2.yaml", **policy_overrides(plain))
    joints = joint_mirror(load_robot("go2").mjcf_path, list(loco.joints.names))
    cells = height_map_mirror(go2_map_config().grid, np.eye(4))
    inputs = input_mirror(input_names(loco, ())["policy"], joints, cells)
    x = np.random.default_rng(4).normal(size=(6, 909)).astype(np.float32)
    actor = load_policy(plain / "policy.onnx", 909, 12)
    want = [0.5 * (actor(r) + joints(actor(inputs(r).astype(np.float32)))) for r in x]
    for name in ("policy.jit", "policy.onnx"):
        got = load_policy(sym / name, 909, 12)
        np.testing.assert_allclose([got(r) for r in x], want, atol=1e-5)
        mirrored = [got(inputs(r).astype(np.float32)) for r in x]
        np.testing.assert_allclose(mirrored, [joints(got(r)) for r in x], atol=1e-5)
    assert json.loads((sym / "summary.json").read_text())["symmetrized"] is True
    assert "symmetrized" not in json.loads((plain / "summary.json").read_text())
    written, kept = torch.load(sym / "checkpoint.pt"), torch.load(source)
    for key, value in kept["actor_state_dict"].items():
        assert torch.equal(written["actor_state_dict"][key], value), key


@pytest.mark.parametrize(
    ("config", "refusal"),
    [
        ("go2_vision_finetune_deploy", "refused --symmetrize"),  # the export's own mirror
        ("go2_vision_finetune_turn", "refused symmetry"),  # a config with the mirror loss on
    ],
)
def test_symmetrize_on_a_layout_without_a_mirror_is_refused_with_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys, config: str, refusal: str
) -> None:
    """--symmetrize where the env cannot be mirrored (symmetry.task_mirror's refusal, covered
    for its causes in test_symmetry): exit 2 with the reason, no policy directory written."""
    from navila_loco_train import symmetry

    def no_mirror(env: object) -> None:
        raise ValueError("joint 'left_hip_joint' has no mirror joint 'right_hip_joint'")

    monkeypatch.setattr(symmetry, "task_mirror", no_mirror)
    path = tiny_config(tmp_path, config)
    export = tmp_path / "sym"
    args = ["--config", str(path), "--resume", str(SHIPPED_VISION / "checkpoint.pt")]
    out = ["--out", str(tmp_path / "r"), "--export-to", str(export)]
    assert main([*args, "--export-only", "--symmetrize", *out]) == 2
    err = capsys.readouterr().err
    assert f"{refusal}: joint 'left_hip_joint' has no mirror joint" in err
    assert not export.exists()


def test_h1_vision_config_trains_and_exports_the_deployed_layout(tmp_path: Path) -> None:
    """The H1 recipe runs end to end (no H1 policy is shipped: compute, see the config): its
    policy directory loads on config/h1.yaml's 256-input, 19-joint layout."""
    from navila_loco_train.train import load_train_config, task_from_config

    h1 = task_from_config(load_train_config("h1_vision"))
    assert h1.terminations.min_base_height_m == 0.6 and h1.feet_air_time_threshold_s == 0.4
    assert h1.reward_weights["termination"] == -200.0  # Isaac Lab H1's, after the clip
    path = tmp_path / "tiny_h1.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "extends": "h1_vision",
                "env": {"num_envs": 4, "num_threads": 1, "num_variants": 2},
                "terrain": {"types": ["flat", "steps"], "levels": 2, "tile_m": 4.0},
            }
        )
    )
    export = tmp_path / "policy"
    args = ["--config", str(path), "--iterations", "1", "--device", "cpu"]
    assert main([*args, "--out", str(tmp_path / "runs"), "--export-to", str(export)]) == 0
    loco = load_loco_config(CONFIG_DIR / "h1.yaml", **policy_overrides(export))
    assert (loco.policy_num_inputs, loco.policy_num_outputs) == (256, 19)
    act = load_policy(export / "policy.onnx", 256, 19)(np.zeros(256, dtype=np.float32))
    assert act.shape == (19,) and np.all(np.isfinite(act))


def _tiny_runner(tmp_path: Path):
    """A LocoRunner on 4 robots on one flat tile, logging to tmp_path/run; and its env."""
    from navila_loco_train.train import build_env, load_train_config, make_runner, task_from_config

    path = tmp_path / "tiny.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "extends": "go2_blind",
                "env": {"num_envs": 4, "num_threads": 1, "num_variants": 2},
                "terrain": {"types": ["flat"], "levels": 1, "tile_m": 4.0},
            }
        )
    )
    cfg = load_train_config(str(path))
    task = task_from_config(cfg)
    env, _, _ = build_env(cfg, {}, task)
    return make_runner(env, task, "tiny", str(tmp_path / "run")), env


def test_learn_until_stops_cleanly_after_the_deadline(tmp_path: Path) -> None:
    """--time-budget-s's hard stop: the iteration that ends past the deadline is the last one,
    checkpointed; the run can go on from there."""
    runner, env = _tiny_runner(tmp_path)
    ticks = iter(range(100))  # one tick per iteration's check: 0, 1, 2 > deadline 1.5
    assert runner.learn_until(10, deadline=1.5, clock=lambda: float(next(ticks)))
    assert runner.current_learning_iteration == 2
    assert sorted(p.name for p in (tmp_path / "run").glob("model_*.pt")) == [
        "model_0.pt",  # rsl-rl's periodic save (iteration 0)
        "model_2.pt",  # the stop's
    ]
    assert list((tmp_path / "run").glob("events.out.tfevents*"))
    runner.current_learning_iteration += 1
    assert not runner.learn_until(1)  # no deadline: the plain loop, on from where it stopped
    assert runner.current_learning_iteration == 3
    assert (tmp_path / "run" / "model_3.pt").is_file()
    env.close()


def test_the_ppo_update_runs_on_its_own_thread_count(tmp_path: Path) -> None:
    """On the CPU the update gets --update-threads (every core by default) while collecting keeps
    half; the process's count comes back after each update, also when the update raises."""
    runner, env = _tiny_runner(tmp_path)
    plain = runner.alg.update
    seen: list[int] = []

    def update() -> dict:
        seen.append(torch.get_num_threads())
        return plain()

    runner.alg.update = update
    before = torch.get_num_threads()
    target = 2 if before != 2 else 1
    try:
        runner.set_update_threads(target)
        runner.learn(2)
        assert seen == [target, target] and torch.get_num_threads() == before
        runner.set_update_threads(None)  # as the process set them (a GPU run's default)
        runner.learn(1)
        assert seen[-1] == before

        def broken() -> dict:
            raise RuntimeError("update failed")

        runner._plain_update = broken
        runner.set_update_threads(target)
        with pytest.raises(RuntimeError, match="update failed"):
            runner.alg.update()
        assert torch.get_num_threads() == before
        with pytest.raises(ValueError, match="update threads must be >= 1"):
            runner.set_update_threads(0)
    finally:
        torch.set_num_threads(before)
        env.close()


def test_export_only_reproduces_the_shipped_vision_policy(tmp_path: Path, capsys) -> None:
    """The committed checkpoint.pt of models/go2_vision, exported without training and
    symmetrized, acts as the committed policy files do: how a kept, not shipped checkpoint
    becomes a policy to evaluate, and how the shipped one was made (stage 27 symmetrized)."""
    config = tiny_config(tmp_path, "go2_vision_finetune_turn")  # the shipped stage 27's
    out = tmp_path / "policy"
    args = ["--config", str(config), "--resume", str(SHIPPED_VISION), "--export-only"]
    args.append("--symmetrize")
    assert main([*args, "--out", str(tmp_path / "runs"), "--export-to", str(out)]) == 0
    # resuming from it says which actor goes on (its files are symmetrized, checkpoint.pt not)
    assert "holds the plain actor" in capsys.readouterr().out
    x = np.random.default_rng(3).normal(size=(8, 909)).astype(np.float32)
    for name in ("policy.jit", "policy.onnx"):
        want = load_policy(SHIPPED_VISION / name, 909, 12)
        got = load_policy(out / name, 909, 12)
        np.testing.assert_allclose([got(r) for r in x], [want(r) for r in x], atol=1e-5)
    shipped = json.loads((SHIPPED_VISION / "summary.json").read_text())
    summary = json.loads((out / "summary.json").read_text())
    source = SHIPPED_VISION / "checkpoint.pt"
    assert summary == {**shipped, "exported_from": str(source.resolve())}
    levels = torch.load(out / "checkpoint.pt")["infos"]["terrain_levels"]
    assert levels == torch.load(source)["infos"]["terrain_levels"]
    assert policy_overrides(out) == {
        **policy_overrides(SHIPPED_VISION),
        "policy.path": str((out / "policy.onnx").resolve()),
    }


def test_resuming_a_symmetrized_export_names_the_actor_that_goes_on(tmp_path: Path) -> None:
    from navila_loco_train.train import symmetrized_note

    ckpt = str(SHIPPED_VISION / "checkpoint.pt")
    note = symmetrized_note(ckpt, symmetrize=False)
    assert note is not None and "plain actor" in note and "add --symmetrize" in note
    assert "add --symmetrize" not in (symmetrized_note(ckpt, symmetrize=True) or "")
    (tmp_path / "summary.json").write_text(json.dumps({"iterations": 3}))
    assert symmetrized_note(str(tmp_path / "checkpoint.pt"), symmetrize=False) is None
    (tmp_path / "summary.json").write_text("{not json")
    assert symmetrized_note(str(tmp_path / "checkpoint.pt"), symmetrize=False) is None
    assert symmetrized_note(str(tmp_path / "elsewhere" / "model_5.pt"), symmetrize=False) is None
