"""How precisely a trained policy stands, turns in place and walks on flat ground: the open-loop
error behind an instruction like "move forward 1 m, then turn left 90 degrees, then stop".

    .venv/bin/python benchmarks/probe_drift.py --policy models/go2_blind --config go2_blind_finetune

Every robot (nominal model: no randomisation, pushes or observation noise) walks the same script
of NaVILA's commands on flat training tiles: stand, turn left pi/6 rad/s in place, walk 0.5 m/s,
turn right in place, stand - --phase-s each (--mirrored: the right turn first, from standing,
and the left turn after the walk, so that a lopsided pair of turns can be told from the order
they come in: braking from the walk into the second turn; --walk-turn: stand, walk 0.5 m/s
turning left pi/6, walk straight, walk turning right, walk 0.2 m/s turning left - turns while
walking, which a biped can learn before it turns on the spot; --sensor-noise [SCALE]: the
inputs read with the training config's observation noise (times SCALE), as a robot's sensors
never read exactly the same twice; --action-noise STD: Gaussian noise on the actions). For each
phase, after --settle-s, the
script measures: mean linear and angular velocity error (Table V's, in the body frame), the mean
forward velocity and yaw rate, and the net drift, the distance the base moved over the window
(what a standing or turning robot should not do); and over the settling time, the distance moved
while changing commands (a stop's overshoot: the turn after the walk). Prints a table and saves
JSON to results/probe_drift.json (or --out).
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import replace

import numpy as np

from navila_loco_train.probe import policy_in_env, probe_parser, run_probe
from navila_loco_train.train import load_train_config, task_from_config

TURN_WZ = math.pi / 6  # NaVILA's turn rate (rad/s)
WALK_VX = 0.5  # NaVILA's forward speed (m/s)
PHASES = (
    ("stand", (0.0, 0.0, 0.0)),
    ("turn_left", (0.0, 0.0, TURN_WZ)),
    ("walk", (WALK_VX, 0.0, 0.0)),
    ("turn_right", (0.0, 0.0, -TURN_WZ)),
    ("stand_after", (0.0, 0.0, 0.0)),
)
MIRRORED_PHASES = (PHASES[0], PHASES[3], PHASES[2], PHASES[1], PHASES[4])
WALK_TURN_PHASES = (
    ("stand", (0.0, 0.0, 0.0)),
    ("walk_left", (WALK_VX, 0.0, TURN_WZ)),
    ("walk", (WALK_VX, 0.0, 0.0)),
    ("walk_right", (WALK_VX, 0.0, -TURN_WZ)),
    ("slow_left", (0.2, 0.0, TURN_WZ)),
)


def probe(
    policy_dir: str,
    config: str,
    envs: int,
    phase_s: float,
    settle_s: float,
    threads: int,
    phases: tuple = PHASES,
    sensor_noise: float = 0.0,
    action_noise: float = 0.0,
) -> dict:
    base = load_train_config(config)
    terrain = {**(base.get("terrain") or {}), "types": ["flat"]}
    cfg = {**base, "seed": 3, "terrain": terrain}
    task = task_from_config(cfg)
    if sensor_noise > 0:
        scaled = {name: value * sensor_noise for name, value in vars(task.noise).items()}
        task = replace(task, noise=replace(task.noise, **scaled))
    overrides = {
        "num_envs": envs,
        "num_threads": threads,
        "num_variants": 2,
        "randomize": False,
        "observation_noise": sensor_noise > 0,
        "init_max_level": 0,
    }
    run = policy_in_env(policy_dir, cfg, task, overrides)
    run.action_noise = action_noise
    env = run.env
    steps = max(1, round(phase_s / env.dt))
    skip = min(steps - 1, round(settle_s / env.dt))
    rows = {}
    t0 = time.perf_counter()
    try:
        for name, command in phases:
            env.hold_commands(command)
            cmd = np.asarray(command)
            lin_err, ang_err, vx, wz = [], [], [], []
            drift = np.zeros((envs, 2))
            settling = np.zeros((envs, 2))
            fell = np.zeros(envs, dtype=bool)
            for k in range(steps):
                _, _, _, terminated, _ = run.step()
                fell |= terminated
                if k < skip:
                    settling += env.lin_vel_world[:, :2] * env.dt
                    continue
                lin_err.append(np.linalg.norm(env.lin_vel[:, :2] - cmd[:2], axis=1))
                ang_err.append(np.abs(env.ang_vel[:, 2] - cmd[2]))
                vx.append(env.lin_vel[:, 0].copy())
                wz.append(env.ang_vel[:, 2].copy())
                drift += env.lin_vel_world[:, :2] * env.dt
            ok = ~fell  # a fallen robot's respawn is not the policy's drift
            window = (steps - skip) * env.dt
            net = np.linalg.norm(drift, axis=1)[ok]
            moved = np.linalg.norm(settling, axis=1)[ok]
            rows[name] = {
                "command": list(command),
                "window_s": window,
                "lin_err": float(np.stack(lin_err)[:, ok].mean()) if ok.any() else None,
                "ang_err": float(np.stack(ang_err)[:, ok].mean()) if ok.any() else None,
                "vx_mean": float(np.stack(vx)[:, ok].mean()) if ok.any() else None,
                "wz_mean": float(np.stack(wz)[:, ok].mean()) if ok.any() else None,
                "drift_m_mean": float(net.mean()) if net.size else None,
                "drift_m_p90": float(np.percentile(net, 90)) if net.size else None,
                "settling_m_mean": float(moved.mean()) if moved.size and skip else None,
                "falls": int(fell.sum()),
            }
            print(f"[probe] {name} done, {time.perf_counter() - t0:.0f} s", flush=True)
    finally:
        run.close()
    return {
        "policy": policy_dir,
        "config": config,
        "envs": envs,
        "phase_s": phase_s,
        "settle_s": settle_s,
        "sensor_noise": sensor_noise,
        "action_noise": action_noise,
        "phase_order": [name for name, _ in phases],
        "phases": rows,
    }


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def show(result: dict) -> None:
    print(
        f"{'phase':12s} {'command':>16s} {'lin err':>8s} {'ang err':>8s} {'vx':>7s} {'wz':>7s} "
        f"{'drift m':>8s} {'p90':>6s} {'settle m':>8s} {'falls':>5s}"
    )
    for name, row in result["phases"].items():
        command = "(" + ", ".join(f"{c:.2f}" for c in row["command"]) + ")"
        print(
            f"{name:12s} {command:>16s} {_fmt(row['lin_err'], '8.3f')} "
            f"{_fmt(row['ang_err'], '8.3f')} {_fmt(row['vx_mean'], '7.3f')} "
            f"{_fmt(row['wz_mean'], '7.3f')} {_fmt(row['drift_m_mean'], '8.3f')} "
            f"{_fmt(row['drift_m_p90'], '6.3f')} {_fmt(row['settling_m_mean'], '8.3f')} "
            f"{row['falls']:5d}"
        )


def main(argv: list[str] | None = None) -> int:
    ap = probe_parser(__doc__, envs=32, out="results/probe_drift.json")
    ap.add_argument("--phase-s", type=float, default=3.5, help="seconds per command")
    ap.add_argument("--settle-s", type=float, default=1.0, help="not measured after a change")
    script = ap.add_mutually_exclusive_group()
    script.add_argument(
        "--mirrored",
        action="store_true",
        help="turn right first (from standing) and left after the walk",
    )
    script.add_argument(
        "--walk-turn", action="store_true", help="turns while walking instead of in place"
    )
    ap.add_argument(
        "--sensor-noise",
        type=float,
        nargs="?",
        const=1.0,
        default=0.0,
        metavar="SCALE",
        help="the policy reads its sensors with the training config's observation noise times "
        "SCALE (1 if not given; the robot stays nominal): a policy that stands exactly still "
        "until something nudges it shows here",
    )
    ap.add_argument(
        "--action-noise",
        type=float,
        default=0.0,
        metavar="STD",
        help="Gaussian noise of this std on every action (seeded)",
    )
    args = ap.parse_args(argv)
    phases = WALK_TURN_PHASES if args.walk_turn else PHASES
    phases = MIRRORED_PHASES if args.mirrored else phases
    for flag in ("sensor_noise", "action_noise"):
        value = getattr(args, flag)
        if not (math.isfinite(value) and value >= 0):
            ap.error(f"--{flag.replace('_', '-')} must be >= 0, got {value}")
    if not (args.phase_s > 0.0 and 0.0 <= args.settle_s < args.phase_s):
        ap.error(
            f"need --phase-s > 0 and 0 <= --settle-s < --phase-s, got {args.phase_s}, "
            f"{args.settle_s}"
        )
    return run_probe(
        ap,
        args,
        lambda: probe(
            args.policy,
            args.config,
            args.envs,
            args.phase_s,
            args.settle_s,
            args.threads,
            phases,
            args.sensor_noise,
            args.action_noise,
        ),
        show,
    )


if __name__ == "__main__":
    sys.exit(main())
