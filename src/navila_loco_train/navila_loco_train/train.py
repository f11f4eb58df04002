"""`navila-loco-train`: train a locomotion policy with rsl-rl PPO on batched MuJoCo, then export it
as a policy directory that navila_loco_node (and `navila sim --policy`) run as is.

    navila-loco-train --config go2_blind --iterations 1500 --out runs/
    navila-loco-train --config go2_blind --time-budget-s 540 \
        --export-to models/go2_blind

Progress: rsl-rl prints every iteration (rewards, episode length, throughput); tensorboard logs
and checkpoints go to <out>/<policy_name>/<time>/; the policy directory goes to
<run dir>/export (or --export-to). A time budget stops training cleanly (the exported policy is
the last iteration's) - how the shipped policies were trained on a lent GPU machine.

A policy directory is also a starting point: it carries checkpoint.pt (actor, critic, iteration
and terrain levels; no optimiser state), so `--resume models/go2_vision` continues a shipped
policy (its actor: a --symmetrize export's files average it with its mirror image, which the
run says when it resumes), and `--init-from <policy dir>` starts a new run (or layout) from
it. Policy directories exported before checkpoint.pt existed hold only the actor:
`--init-from <dir> --init-std S` takes it with a fresh critic, trained alone first
(`--critic-warmup`).

`--resume <checkpoint> --export-only` writes the policy directory of a checkpoint without
training it (one PPO iteration would change the weights): a run's model_*.pt, or the
checkpoint.pt kept of a candidate that was not shipped, becomes a policy directory to evaluate.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import asdict, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from navila_common.params import merged

from navila_loco_train.task_spec import (
    CommandSpec,
    ObservationNoise,
    PPOSpec,
    RandomizationSpec,
    SymmetrySpec,
    TaskSpec,
    TerminationSpec,
    TerrainSpec,
)

if TYPE_CHECKING:
    from navila_loco_train.env import LocoEnv
    from navila_loco_train.runner import LocoRunner

CONFIG_DIR = Path(__file__).resolve().parent / "configs"
POLICY_CHECKPOINT = "checkpoint.pt"  # in a policy directory: actor + critic, no optimiser state
CRITIC_WARMUP_ITERATIONS = 10  # a fresh critic's values settle in about this many iterations
EXPORT_RESERVE_S = 30.0  # of a time budget, kept for the export after training
EXPORT_ONLY_ENVS = 8  # --export-only builds the runner on this many robots (none of them walk)


def load_train_config(name_or_path: str) -> dict[str, Any]:
    """A training config by shipped name or path, resolved: `extends: <name or path>` loads that
    config first (a path relative to this file's folder) and lays this file's keys over it -
    mappings merge key by key, anything else (lists included) is replaced. Why: the finetune
    configs are each one or two keys away from another, and full copies drift apart unseen.
    The run's train.yaml records the resolved config."""
    cfg = _load_config_chain(name_or_path, Path.cwd(), ())
    for key in ("policy_name", "robot", "env"):
        if key not in cfg:
            raise ValueError(f"{cfg['_path']}: missing '{key}'")
    return cfg


def _find_config(name_or_path: str, base_dir: Path) -> Path:
    for path in (base_dir / name_or_path, CONFIG_DIR / f"{name_or_path}.yaml"):
        if path.is_file():
            return path.resolve()
    shipped = sorted(p.stem for p in CONFIG_DIR.glob("*.yaml"))
    raise FileNotFoundError(f"no training config {name_or_path!r}; shipped: {shipped}")


def _load_config_chain(name_or_path: str, base_dir: Path, seen: tuple[Path, ...]) -> dict[str, Any]:
    path = _find_config(name_or_path, base_dir)
    if path in seen:
        chain = " -> ".join(str(p) for p in (*seen, path))
        raise ValueError(f"training configs extend each other in a loop: {chain}")
    cfg = yaml.safe_load(path.read_text()) or {}
    if not isinstance(cfg, dict):
        raise ValueError(f"{path}: a training config is a mapping, got {type(cfg).__name__}")
    parent = cfg.pop("extends", None)
    if parent is not None:
        if not isinstance(parent, str) or not parent:
            raise ValueError(f"{path}: 'extends' names one config, got {parent!r}")
        cfg = merged(_load_config_chain(parent, path.parent, (*seen, path)), cfg)
    cfg["_path"] = str(path)
    return cfg


def _spec_section(cfg: dict[str, Any], section: str, cls: type) -> Any:
    """One config section as its task_spec dataclass: YAML lists become the tuples the
    dataclass holds (nested ones too), and an unknown key is an error, not an ignored setting."""
    given = dict(cfg.get(section) or {})
    known = {f.name for f in fields(cls)}
    if set(given) - known:
        raise ValueError(
            f"unknown {section} keys {sorted(set(given) - known)}; known: {sorted(known)}"
        )

    def as_tuple(value: Any) -> Any:
        return tuple(as_tuple(v) for v in value) if isinstance(value, list) else value

    return cls(**{key: as_tuple(value) for key, value in given.items()})


def task_from_config(cfg: dict[str, Any]) -> TaskSpec:
    """task_spec's numbers, with the config's optional overrides: `terrain:` (smaller grids for
    quick runs and tests, other tile types), `commands:` (CommandSpec fields: ranges, shares),
    `terminations:` and `randomization:` (another robot's fall height, masses, pushes),
    `noise:` (ObservationNoise half-widths) and
    `rewards:` (`tracking_std2`, `feet_air_time_threshold_s`, `joint_deviation` {joint pattern:
    scale} for joint_deviation_l1, `only_positive_rewards`, and `weights` that replace single
    terms' weights), `symmetry:` and `ppo:` (PPOSpec fields: network, noise, PPO settings). An
    unknown key or term is an error, not a silently ignored setting."""
    task = TaskSpec(
        terrain=_spec_section(cfg, "terrain", TerrainSpec),
        commands=_spec_section(cfg, "commands", CommandSpec),
        terminations=_spec_section(cfg, "terminations", TerminationSpec),
        randomization=_spec_section(cfg, "randomization", RandomizationSpec),
        symmetry=_spec_section(cfg, "symmetry", SymmetrySpec),
        ppo=_spec_section(cfg, "ppo", PPOSpec),
        noise=_spec_section(cfg, "noise", ObservationNoise),
    )
    rewards = dict(cfg.get("rewards") or {})
    weights = dict(rewards.pop("weights", None) or {})
    std2 = float(rewards.pop("tracking_std2", task.tracking_std2))
    air = float(rewards.pop("feet_air_time_threshold_s", task.feet_air_time_threshold_s))
    deviation = rewards.pop("joint_deviation", None) or {}
    positive = rewards.pop("only_positive_rewards", task.only_positive_rewards)
    if rewards:
        raise ValueError(
            f"unknown rewards keys {sorted(rewards)}; known: tracking_std2, "
            "feet_air_time_threshold_s, joint_deviation, only_positive_rewards, weights"
        )
    if not isinstance(positive, bool):
        raise ValueError(f"rewards.only_positive_rewards is true or false, got {positive!r}")
    if not isinstance(deviation, dict) or not all(
        isinstance(k, str) and isinstance(v, (int, float)) and v >= 0 for k, v in deviation.items()
    ):
        raise ValueError(
            f"rewards.joint_deviation maps joint-name patterns to scales >= 0, got {deviation!r}"
        )
    unknown = sorted(set(weights) - set(task.reward_weights))
    if unknown:
        raise ValueError(f"unknown reward terms {unknown}; known: {sorted(task.reward_weights)}")
    if not std2 > 0.0:
        raise ValueError(f"rewards.tracking_std2 must be > 0, got {std2}")
    if not air >= 0.0:
        raise ValueError(f"rewards.feet_air_time_threshold_s must be >= 0, got {air}")
    merged = {**task.reward_weights, **{k: float(v) for k, v in weights.items()}}
    if merged["joint_deviation_l1"] != 0 and not deviation:
        raise ValueError(
            "reward joint_deviation_l1 has a weight but rewards.joint_deviation names no joints"
        )
    return replace(
        task,
        tracking_std2=std2,
        feet_air_time_threshold_s=air,
        reward_weights=merged,
        joint_deviation={k: float(v) for k, v in deviation.items()},
        only_positive_rewards=positive,
    )


def tilt_limit_note(task: TaskSpec, deployed_max_tilt_rad: float) -> str:
    """Why a policy can fall in deployment where training let it recover: the training episode
    ends past `terminations.max_tilt_rad` (the body z axis against the vertical), navila_loco_node
    damps past `safety.max_tilt_rad` in |roll| or |pitch|, and the tilt is never below either
    of those, so a training limit at or under the node's is one the node never trips first. Empty
    when it is; otherwise the sentence the CLI prints."""
    limit = task.terminations.max_tilt_rad
    if limit <= deployed_max_tilt_rad:
        return ""
    return (
        f"episodes end past a tilt of {limit:.2f} rad, the deployed node damps past "
        f"{deployed_max_tilt_rad:.2f} (safety.max_tilt_rad): a pose in between that training "
        "recovers from is a fall on the robot (terminations.max_tilt_rad sets the first)"
    )


def resume_path(path: str) -> str:
    """--resume's checkpoint file: the path itself, or a policy directory's checkpoint.pt."""
    if not path:
        return ""
    p = Path(path)
    if p.is_dir():
        p = p / POLICY_CHECKPOINT
    if not p.is_file():
        raise FileNotFoundError(f"no checkpoint {str(p)!r}")
    return str(p)


def collect_threads() -> int:
    """PyTorch's threads for a CPU run while it collects: half the cores, so the policy's
    inference between physics steps does not fight MuJoCo's rollout threads for them (the
    update, while the physics waits, gets every core: LocoRunner.set_update_threads)."""
    return max(1, (os.cpu_count() or 2) // 2)


class SymmetryError(ValueError):
    """The task asks for the mirror loss and the env's model, sensors or layout do not mirror."""


def make_runner(
    env: LocoEnv, task: TaskSpec, experiment: str, log_dir: str | None = None, device: str = "cpu"
) -> LocoRunner:
    """A LocoRunner on `env` for `task`, with the env's left-right mirror when the task's
    symmetry is on (SymmetryError when it cannot be mirrored): the one set-up that
    navila-loco-train, the benchmarks and the tests share. Nothing is written until it learns."""
    from navila_loco_train.runner import LocoRunner
    from navila_loco_train.vec_env import RslLocoVecEnv

    mirror = None
    if task.symmetry.enabled:
        from navila_loco_train.symmetry import task_mirror

        try:
            mirror = task_mirror(env)
        except ValueError as exc:
            raise SymmetryError(str(exc)) from exc
    runner = LocoRunner(
        RslLocoVecEnv(env, device=device),
        rsl_cfg(task, experiment, mirror),
        log_dir=log_dir,
        device=device,
    )
    runner.mirror = mirror
    return runner


def rsl_cfg(task: TaskSpec, experiment: str, mirror: Any = None) -> dict[str, Any]:
    """rsl-rl's runner config; `mirror` (symmetry.task_mirror of the env) is required when the
    task's symmetry is on."""
    p = task.ppo
    symmetry = None
    if task.symmetry.enabled:
        if mirror is None:
            raise ValueError("symmetry is on: rsl_cfg needs the env's symmetry.task_mirror")
        symmetry = {
            "data_augmentation_func": mirror,
            "use_data_augmentation": task.symmetry.augmentation,
            "use_mirror_loss": task.symmetry.mirror_loss_coeff > 0,
            "mirror_loss_coeff": float(task.symmetry.mirror_loss_coeff),
        }
    model = {
        "class_name": "rsl_rl.models.MLPModel",
        "hidden_dims": list(p.hidden_dims),
        "activation": p.activation,
        "obs_normalization": p.obs_normalization,
    }
    return {
        "num_steps_per_env": p.num_steps_per_env,
        "save_interval": 100,
        "experiment_name": experiment,
        "run_name": "",
        "logger": "tensorboard",
        "obs_groups": {"actor": ["policy"], "critic": ["critic"]},
        "actor": {
            **model,
            "distribution_cfg": {
                "class_name": "rsl_rl.modules.distribution.GaussianDistribution",
                "init_std": p.init_noise_std,
            },
        },
        "critic": dict(model),
        "algorithm": {
            "class_name": "rsl_rl.algorithms.PPO",
            "num_learning_epochs": p.num_learning_epochs,
            "num_mini_batches": p.num_mini_batches,
            "clip_param": p.clip_param,
            "gamma": p.gamma,
            "lam": p.lam,
            "value_loss_coef": p.value_loss_coef,
            "entropy_coef": p.entropy_coef,
            "learning_rate": p.learning_rate,
            "max_grad_norm": p.max_grad_norm,
            "schedule": p.schedule,
            "desired_kl": p.desired_kl,
            "symmetry_cfg": symmetry,
        },
    }


def loco_for(cfg: dict[str, Any]):
    """A training config's LocoConfig: the robot's deployed config + the policy's overrides."""
    from navila_bringup.paths import find_config
    from navila_loco_node.config import load_loco_config

    return load_loco_config(find_config(cfg["robot"]), **(cfg.get("loco_overrides") or {}))


def build_env(cfg: dict[str, Any], overrides: dict[str, Any], task: TaskSpec):
    """The robot, its deployed loco config (+ the policy's overrides) and the batched env."""
    from navila_bringup.paths import find_config
    from navila_loco_train.env import EnvConfig, LocoEnv
    from navila_sim.robot import load_robot

    robot_cfg = find_config(cfg["robot"])
    loco = loco_for(cfg)
    known = {f.name for f in fields(EnvConfig)}
    given = {k: v for k, v in overrides.items() if v is not None}  # CLI flags that were set
    env_kw = {**cfg["env"], **given}
    unknown = sorted(set(env_kw) - known)
    if unknown:
        raise ValueError(f"unknown env settings {unknown}; known: {sorted(known)}")
    env_cfg = EnvConfig(**env_kw, seed=int(cfg.get("seed", 0)), robot_config=str(robot_cfg))
    return LocoEnv(load_robot(cfg["robot"]), loco, task, env_cfg), loco, robot_cfg


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="navila-loco-train", description=__doc__.split("\n")[0])
    ap.add_argument("--config", default="go2_blind", help="shipped name or YAML path")
    ap.add_argument("--iterations", type=int, default=None, help="PPO iterations (config)")
    ap.add_argument("--time-budget-s", type=float, default=0.0, help="stop after this long")
    ap.add_argument("--num-envs", type=int, default=None)
    ap.add_argument("--threads", type=int, default=None, help="physics threads (default: config)")
    ap.add_argument("--device", default="auto", help="torch device for PPO: cpu, cuda or auto")
    ap.add_argument(
        "--update-threads",
        type=int,
        default=None,
        help="PyTorch threads for the PPO update on cpu (default: every core; while collecting, "
        "half of them, beside the physics threads)",
    )
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--out", default="runs", help="run directories go here")
    ap.add_argument(
        "--export-to", default="", help="policy directory to write (default: run/export)"
    )
    ap.add_argument(
        "--resume",
        default="",
        help="continue from an rsl-rl checkpoint (model_*.pt) or a policy directory's "
        "checkpoint.pt (same layout; iteration and terrain levels continue)",
    )
    ap.add_argument(
        "--init-from",
        default="",
        help="start from another run: a model_*.pt (its run's train.yaml beside it) or a policy "
        "directory (models/go2_vision), same layout or a sub-layout (vision from blind: new "
        "inputs start at weight 0); the iteration count and curriculum start afresh",
    )
    ap.add_argument(
        "--init-std",
        type=float,
        default=None,
        help="exploration noise std for --init-from (required for a policy directory that holds "
        "only the exported actor: use its run's last Policy/mean_std), or with --resume: the "
        "resumed actor's noise set to this (weights and optimiser state kept)",
    )
    ap.add_argument(
        "--critic-warmup",
        type=int,
        default=None,
        help="iterations that train the critic alone before PPO touches the actor (default: "
        f"{CRITIC_WARMUP_ITERATIONS} when --init-from starts a fresh critic, else 0)",
    )
    ap.add_argument(
        "--export-only",
        action="store_true",
        help="write the policy directory of --resume's checkpoint without training (its actor, "
        "critic, iteration and terrain levels as they are)",
    )
    ap.add_argument(
        "--symmetrize",
        action="store_true",
        help="export policy files that average the actor with its own left-right mirror image "
        "(exactly even left and right turns; the actor on two inputs per step); checkpoint.pt "
        "keeps the actor as trained",
    )
    args = ap.parse_args(argv)
    if args.resume and args.init_from:
        ap.error("--resume and --init-from exclude each other")
    if args.export_only:
        if not args.resume:
            ap.error("--export-only needs --resume (the checkpoint to export)")
        trains = ("iterations", "time_budget_s", "critic_warmup", "init_std")
        given = [f"--{f.replace('_', '-')}" for f in trains if getattr(args, f)]
        if given:
            ap.error(f"--export-only trains nothing: {', '.join(given)} would be ignored")
    if args.init_std is not None and not args.init_std > 0:
        ap.error(f"--init-std must be > 0, got {args.init_std}")
    if args.critic_warmup is not None and args.critic_warmup < 0:
        ap.error(f"--critic-warmup must be >= 0, got {args.critic_warmup}")

    import torch

    from navila_loco_train.export import export_policy_dir
    from navila_loco_train.runner import terrain_levels_from

    for flag in ("iterations", "num_envs", "threads", "update_threads"):
        value = getattr(args, flag)
        if value is not None and value < 1:
            ap.error(f"--{flag.replace('_', '-')} must be >= 1, got {value}")
    try:
        cfg = load_train_config(args.config)
        args.resume = resume_path(args.resume)
        if args.init_from and not Path(args.init_from).exists():
            raise FileNotFoundError(f"no checkpoint or policy directory {args.init_from!r}")
        task = task_from_config(cfg)  # bad terrain / rewards sections: refused, no traceback
    except (FileNotFoundError, ValueError, TypeError, yaml.YAMLError) as exc:
        print(f"[train] refused: {exc}", file=sys.stderr)
        return 2
    if args.seed is not None:
        cfg["seed"] = args.seed
    seed = int(cfg.get("seed", 0))
    torch.manual_seed(seed)
    device = args.device
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    update_threads = None
    if device == "cpu":
        torch.set_num_threads(collect_threads())
        update_threads = args.update_threads or os.cpu_count() or 1
    num_envs = args.num_envs or (EXPORT_ONLY_ENVS if args.export_only else None)
    overrides = {"num_envs": num_envs, "num_threads": args.threads}
    t0 = time.time()
    try:
        env, loco, _ = build_env(cfg, overrides, task)
    except (FileNotFoundError, ValueError, TypeError) as exc:  # bad robot, layout, env settings
        print(f"[train] refused: {exc}", file=sys.stderr)
        return 2
    print(
        f"[train] {cfg['policy_name']}: {env.n} envs x {env.obs.size} inputs, "
        f"{env.cfg.num_threads} physics threads, PPO on {device}"
        + (f" (update on {update_threads} threads)" if update_threads else "")
        + "; terrain "
        f"{task.terrain.levels} levels x {list(task.terrain.types)}",
        flush=True,
    )
    note = tilt_limit_note(task, loco.safety.max_tilt_rad)
    if note:
        print(f"[train] note: {note}", flush=True)
    run_dir = Path(args.out) / cfg["policy_name"] / time.strftime("%Y%m%d-%H%M%S")
    try:
        runner = make_runner(env, task, cfg["policy_name"], str(run_dir), device)
    except SymmetryError as exc:  # an asymmetric model, sensor or layout
        print(f"[train] refused symmetry: {exc}", file=sys.stderr)
        env.close()
        return 2
    mirror = None
    if args.symmetrize:
        from navila_loco_train.symmetry import task_mirror

        try:  # the runner's own when the config's symmetry built one
            mirror = runner.mirror if runner.mirror is not None else task_mirror(env)
        except ValueError as exc:
            print(f"[train] refused --symmetrize: {exc}", file=sys.stderr)
            env.close()
            return 2
    runner.set_update_threads(update_threads)
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "train.yaml").write_text(
        yaml.safe_dump(
            {"train_config": cfg, "task": asdict(task), "command": sys.argv, "device": device},
            sort_keys=False,
        )
    )
    if args.resume:
        note = symmetrized_note(args.resume, args.symmetrize)
        if note:
            print(f"[train] note: {note}", flush=True)
        try:
            infos = runner.load(args.resume, map_location=device)  # GPU checkpoints on CPU too
            levels = terrain_levels_from(infos)
        except (ValueError, RuntimeError, KeyError) as exc:  # another layout, not a checkpoint
            print(f"[train] refused --resume {args.resume}: {exc}", file=sys.stderr)
            env.close()
            return 2
        if args.export_only:
            export_dir = Path(args.export_to) if args.export_to else run_dir / "export"
            return _export_checkpoint(
                runner, env, loco, cfg, args.resume, levels, run_dir, export_dir, mirror
            )
        if args.init_std is not None:
            from navila_loco_train.warm_start import set_noise_std

            set_noise_std(runner, args.init_std)
            print(f"[train] exploration noise std set to {args.init_std}", flush=True)
        if levels is None:
            print(
                "[train] no terrain levels in the checkpoint: curriculum from the start", flush=True
            )
        else:
            env.set_levels(levels)
            print(f"[train] terrain levels resumed: mean {env.level.mean():.2f}", flush=True)
    if args.init_from:
        from navila_loco_train.warm_start import warm_start

        try:
            counts = warm_start(runner, env, args.init_from, loco_for, std=args.init_std)
        except (FileNotFoundError, ValueError, KeyError, RuntimeError) as exc:
            print(f"[train] refused --init-from: {exc}", file=sys.stderr)
            env.close()
            return 2
        print(f"[train] started from {args.init_from}: {counts}", flush=True)
        if args.critic_warmup is None and counts["fresh_critic"]:
            args.critic_warmup = CRITIC_WARMUP_ITERATIONS
    if args.critic_warmup:
        n = args.critic_warmup
        print(f"[train] critic alone for {n} iterations (actor frozen)", flush=True)
        runner.learn_critic_only(n)
    total = int(args.iterations or cfg.get("iterations", 1000))
    done = 0
    deadline = None
    if args.time_budget_s > 0:
        deadline = t0 + args.time_budget_s - EXPORT_RESERVE_S
        warm = min(3, total)
        t = time.time()
        runner.learn(warm, init_at_random_ep_len=True)
        done = warm
        per_it = (time.time() - t) / warm
        total = min(total, done + max(0, int((deadline - time.time()) / per_it)))
        print(f"[train] {per_it:.2f} s/iteration: {total} iterations fit the budget", flush=True)
    if total > done:
        if done:
            runner.current_learning_iteration += 1  # learn() restarts at the last index done
        # the deadline also stops a machine that slows down after the first iterations
        if runner.learn_until(total - done, deadline, init_at_random_ep_len=(done == 0)):
            print(
                f"[train] time budget reached after iteration "
                f"{runner.current_learning_iteration} (slower than the first iterations): "
                "stopping",
                flush=True,
            )
    steps = runner.logger.tot_timesteps
    wall = time.time() - t0
    rew = list(runner.logger.rewbuffer)
    length = list(runner.logger.lenbuffer)
    summary = {
        "policy_name": cfg["policy_name"],
        "iterations": runner.current_learning_iteration + 1,
        "env_steps": int(steps),
        "wall_s": round(wall, 1),
        "env_steps_per_s": round(steps / wall, 1) if wall > 0 else None,
        "mean_episode_reward": sum(rew) / len(rew) if rew else None,
        "mean_episode_length_s": (sum(length) / len(length)) * env.dt if length else None,
        "terrain_level": float(env.level.mean()),
        "device": device,
        "num_envs": env.n,
        "threads": env.cfg.num_threads,
        "seed": seed,
        "action_std": float(runner.alg.get_policy().output_std.detach().mean()),
    }
    (run_dir / "summary.json").write_text(json.dumps(summary, indent=2))
    export_dir = Path(args.export_to) if args.export_to else run_dir / "export"
    export_policy_dir(runner, loco, cfg, export_dir, run_dir, summary, mirror=mirror)
    env.close()
    print(f"[train] done: {json.dumps(summary)}")
    print(f"[train] run (tensorboard, checkpoints): {run_dir}")
    print(f"[train] policy directory: {export_dir}  (navila sim --policy {export_dir})")
    return 0


# summary.json keys an export adds (not the training run's): not carried to another export
EXPORT_KEYS = ("exported_from", "symmetrized")


def symmetrized_note(checkpoint: str, symmetrize: bool) -> str | None:
    """What a user resuming from a --symmetrize export should know: its policy files average
    the actor with its mirror image (no single actor is that), its checkpoint.pt holds the plain
    actor, and that is what trains on or exports (models/go2_vision is such a directory). None
    for other checkpoints."""
    beside = Path(checkpoint).with_name("summary.json")
    try:
        summary = json.loads(beside.read_text()) if beside.is_file() else {}
    except ValueError:
        return None
    if not (isinstance(summary, dict) and summary.get("symmetrized")):
        return None
    where = Path(checkpoint).parent
    then = "" if symmetrize else "; add --symmetrize to export a policy of that kind"
    return (
        f"{where}'s policy files are symmetrized (the actor averaged with its mirror image); "
        f"{Path(checkpoint).name} holds the plain actor, and that is what goes on from here{then}"
    )


def _export_checkpoint(
    runner: LocoRunner,
    env: LocoEnv,
    loco: Any,
    cfg: dict[str, Any],
    checkpoint: str,
    levels: Any,
    run_dir: Path,
    export_dir: Path,
    mirror: Any = None,
) -> int:
    """--export-only: the policy directory of the checkpoint `runner` has loaded, untrained.

    Its summary.json is the one beside the checkpoint (the run that made it) when that one
    describes the same iteration, else only what the checkpoint itself says; either way it
    names the checkpoint it came from. The checkpoint.pt written keeps the checkpoint's terrain
    levels (none if it carries none), not those of the few robots built here. `mirror`
    (--symmetrize): the policy files average the actor with its mirror image."""
    from navila_loco_train.export import export_policy_dir

    iterations = runner.current_learning_iteration + 1
    summary: dict[str, Any] = {"policy_name": cfg["policy_name"], "iterations": iterations}
    beside = Path(checkpoint).with_name("summary.json")
    if beside.is_file():
        try:
            found = json.loads(beside.read_text())
        except ValueError:
            found = None
        if isinstance(found, dict) and found.get("iterations") == iterations:
            # the run's figures; how that directory was exported is not this export's
            summary = {k: v for k, v in found.items() if k not in EXPORT_KEYS}
        else:
            print(f"[train] not used: {beside} is not this checkpoint's summary", flush=True)
    summary = {**summary, "exported_from": str(Path(checkpoint).resolve())}
    (run_dir / "summary.json").write_text(json.dumps(summary, indent=2))
    export_policy_dir(runner, loco, cfg, export_dir, run_dir, summary, levels, mirror)
    env.close()
    print(f"[train] exported {checkpoint} (iteration {iterations}) without training")
    print(f"[train] policy directory: {export_dir}  (navila sim --policy {export_dir})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
