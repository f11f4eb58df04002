"""How far what a policy is fed when deployed is from what its trainer would have fed it, in the
same physical state, step by step.

    .venv/bin/python benchmarks/probe_deploy_gap.py --robot h1 --policy DIR
        [--scene loco_eval_flat] [--segment SECONDS VX WZ ...] [--ignore-sensor-joints]
        [--out results/probe_deploy_gap_<robot>.json]

Deployed: navila_sim in this process, driven by navila_loco_node's LocoController through the
messages the nodes exchange (joint states and the IMU as the ROS backend reads them, the base
velocity from odometry, /joint_command as its JointState fields) and fed heightmap_node's
HeightMapBuilder from the simulated LiDAR (the config's mount, IMU levelling) - what
`navila-loco-eval` runs, minus ROS and its timing. Trained: the same robot's state read as
navila_loco_train's LocoEnv reads it (the base's free joint: orientation, body-frame rates; joint
positions and velocities), the height map sampled by its HeightMapSampler from the scene's top
surface (vertical rays) in the LiDAR body's frame, and the same command and last action, through
an ObservationBuilder of the same config. Per observation term: mean, 95th percentile and max of
|deployed - trained| over the walking steps, and the policy's action on each (mean |difference|).
navila_sim reads its sensors at the state after each step, so the proprioceptive terms agree
exactly when the frames are right (they show 0); a frame or mount fault
shows as a large gap in its term - the H1's upside-down head LiDAR mounted upright put every map
cell at the clip, its torso IMU read the torso's yaw rate (`--ignore-sensor-joints` shows what
the torso's joint costs without the corrections).

The robot waits out navila_sim's gantry (humanoids), then walks the segments: by default 1 s
standing, 4 s forward at 0.5 m/s, 4 s turning at +-pi/6 rad/s each way, 1 s standing. A damp or a
fall ends the run early (reported). No noise anywhere: the sim adds none, the builder gets none.
Prints the table and saves JSON (default results/probe_deploy_gap_<robot>.json).
`--leg-odometry` deploys with the config's leg_odometry on (the base velocity estimated from the
joints and the IMU, as on a real H1) instead of the simulator's odometry: the policy walks on the
estimate, and the base_lin_vel row is the estimate's error against the true velocity.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np

from heightmap_node.builder import HeightMapBuilder
from heightmap_node.config import builder_config_from_params, load_params_file
from heightmap_node.transforms import attitude_from_quat, make_transform, quat_to_matrix
from navila_bringup.paths import find_config, results_dir
from navila_bringup.stack import LOCO, add_params, spec
from navila_loco_node.config import load_loco_config
from navila_loco_node.controller import LocoController
from navila_loco_node.joint_map import index_map
from navila_loco_node.observation import ObservationBuilder, rotate_inverse
from navila_loco_node.policy import Policy, load_policy
from navila_loco_node.policy_dir import policy_overrides
from navila_loco_node.supervisor import Mode
from navila_loco_node.types import RobotState, VelocityCommand
from navila_loco_train.env import map_frame_quat
from navila_loco_train.heightmap import HeightMapSampler
from navila_sim.mujoco_gl import mujoco
from navila_sim.sensor_mount import yaw_joints_to_site
from navila_sim.sim import CameraConfig, Sim, SimConfig
from navila_sim.support import out_of_gantry

TURN = math.pi / 6
DEFAULT_SEGMENTS = (
    (1.0, 0.0, 0.0),
    (4.0, 0.5, 0.0),
    (4.0, 0.0, TURN),
    (4.0, 0.0, -TURN),
    (1.0, 0, 0),
)
GANTRY_TIMEOUT_S = 15.0
FALL_TILT_RAD = 1.0


class SceneTerrain:
    """The scene's top surface as navila_loco_train's Terrain offers it (`height_at`): a vertical
    ray per point against the scene's geoms (the robot's are not in their group)."""

    def __init__(self, sim: Sim, start_z: float) -> None:
        self.sim, self.start_z = sim, start_z

    def height_at(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        xs, ys = np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
        pts = (xs.ravel(), ys.ravel())
        flat = [self.sim.floor_height(a, b, self.start_z) for a, b in zip(*pts, strict=True)]
        return np.asarray(flat, dtype=np.float32).reshape(xs.shape)


class Recorder:
    """The policy, keeping the last input it was given and its answer."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.num_inputs, self.num_outputs = policy.num_inputs, policy.num_outputs
        self.obs: np.ndarray | None = None
        self.action: np.ndarray | None = None

    def __call__(self, obs: np.ndarray) -> np.ndarray:
        self.obs = np.array(obs, dtype=float)
        self.action = np.asarray(self.policy(obs), dtype=float)
        return self.action


class TrainedView:
    """The robot's state as the trainer reads it: the base's free joint and the joints' qpos /
    qvel, policy order."""

    def __init__(self, sim: Sim, names: list[str]) -> None:
        m = sim.model
        self.sim = sim
        base = mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_BODY, sim.robot.base_body)
        free = int(m.body_jntadr[base])
        self.qp, self.qv = int(m.jnt_qposadr[free]), int(m.jnt_dofadr[free])
        ids = [mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_JOINT, n) for n in names]
        self.qadr = np.array([m.jnt_qposadr[j] for j in ids])
        self.vadr = np.array([m.jnt_dofadr[j] for j in ids])

    def state(self) -> dict[str, np.ndarray]:
        d = self.sim.data
        quat = d.qpos[self.qp + 3 : self.qp + 7].copy()
        return {
            "base_pos": d.qpos[self.qp : self.qp + 3].copy(),
            "quat_wxyz": quat,
            "ang_vel": d.qvel[self.qv + 3 : self.qv + 6].copy(),  # free joint: body frame
            "lin_vel": rotate_inverse(quat, d.qvel[self.qv : self.qv + 3]),
            "joint_pos": d.qpos[self.qadr].copy(),
            "joint_vel": d.qvel[self.vadr].copy(),
        }


def deployed_state(out, idx: np.ndarray, seq: int) -> RobotState:
    """What the ROS backend assembles from /joint_states, /imu/data and /odom."""
    js, imu, odom = out.joint_state, out.imu, out.odom
    x, y, z, w = imu.orientation_xyzw
    return RobotState(
        joint_pos=np.asarray(js.position)[idx],
        joint_vel=np.asarray(js.velocity)[idx],
        quat_wxyz=np.array([w, x, y, z]),
        ang_vel=np.asarray(imu.angular_velocity, dtype=float),
        joint_stamp=out.stamp,
        imu_stamp=out.stamp,
        lin_vel=np.asarray(odom.linear_velocity, dtype=float),  # base frame (REP 105)
        lin_vel_stamp=out.stamp,
        seq=seq,
    )


def segment_at(t: float, segments: list[tuple[float, float, float]]) -> tuple[float, float] | None:
    for duration, vx, wz in segments:
        if t < duration - 1e-6:  # times are sums of control periods: no float off-by-one
            return vx, wz
        t -= duration
    return None


def gap_stats(diffs: list[np.ndarray]) -> dict[str, float]:
    a = np.abs(np.concatenate(diffs))
    return {
        "mean_abs": float(a.mean()),
        "p95_abs": float(np.percentile(a, 95)),
        "max_abs": float(a.max()),
    }


def probe(
    robot: str,
    policy_dir: str,
    scene: str,
    segments: list[tuple[float, float, float]],
    ignore_sensor_joints: bool = False,
    leg_odometry: bool = False,
) -> dict:
    config = find_config(robot)
    overrides = policy_overrides(policy_dir)
    if ignore_sensor_joints:
        overrides["observation.imu_yaw_joint"] = ""
    if leg_odometry:  # as the bring-up starts it: the config's robot name -> its MJCF's path
        loco = spec(LOCO, str(config), **overrides, **{"leg_odometry.enabled": True})
        overrides = add_params([loco], {})[0].params
    cfg = load_loco_config(config, **overrides)
    if cfg.control_mode != "joint_policy":
        raise ValueError(f"{robot}: navila_loco runs {cfg.control_mode}, no policy to probe")
    policy = Recorder(load_policy(cfg.policy_path, cfg.policy_num_inputs, cfg.policy_num_outputs))
    ctl = LocoController(cfg, policy)
    params = load_params_file(config)
    map_cfg = builder_config_from_params(params)
    builder = HeightMapBuilder(map_cfg)
    use_odom = bool(params.get("use_odom", False))
    trained_obs = ObservationBuilder(cfg)
    map_sampler = HeightMapSampler(config) if trained_obs.height_map_shape is not None else None

    sim = Sim(SimConfig(robot=robot, scene=scene, camera=CameraConfig(enabled=False)))
    names = list(cfg.joints.names)
    idx = index_map(sim.robot.joint_names, names)
    view = TrainedView(sim, names)
    sensor_joints = np.array(
        [
            names.index(j)
            for j in yaw_joints_to_site(sim.model, sim.robot.lidar_site, sim.robot.base_body)
        ],
        dtype=np.int64,
    )
    # the trainer's map frame: the LiDAR's body (or the base, as before the H1's torso counted)
    yaw_joints = sensor_joints[:0] if ignore_sensor_joints else sensor_joints
    terrain = SceneTerrain(sim, start_z=float(sim.data.qpos[view.qp + 2]) + 1.0)
    period = sim.config.physics_dt * sim.config.control_decimation
    total_s = sum(s[0] for s in segments)

    slots = [s for s in trained_obs.layout() if not s.name.startswith("history")]
    diffs: dict[str, list[np.ndarray]] = {s.name: [] for s in slots}
    action_diffs: list[np.ndarray] = []
    yaw_joint_angles: list[float] = []
    trained_map: np.ndarray | None = None
    started_at: float | None = None
    ended, steps, walking, walking_mode = "completed", 0, False, False
    seq = 0
    while True:
        out = sim.run_control_period()
        now = out.stamp
        seq += 1
        state = deployed_state(out, idx, seq)
        truth = view.state()
        if out.lidar is not None:
            qx, qy, qz, qw = out.imu.orientation_xyzw
            roll, pitch = attitude_from_quat((qw, qx, qy, qz))
            if map_cfg.gravity_align:
                builder.set_attitude(roll, pitch)
            pose = None
            if use_odom:
                ox, oy, oz, ow = out.odom.orientation_xyzw
                pose = make_transform(out.odom.position, quat_to_matrix((ow, ox, oy, oz)))
            builder.add_scan(out.lidar.points, now, pose=pose)
            ctl.set_height_map(builder.build(pose_now=pose).values, now)
            if map_sampler is not None:
                frame = map_frame_quat(
                    truth["quat_wxyz"][None], truth["joint_pos"][None], yaw_joints
                )
                trained_map = map_sampler.sample(terrain, truth["base_pos"][None], frame)[0]
        # the segments start once the robot stands on its own and the policy walks it
        if (
            started_at is None
            and walking_mode
            and out_of_gantry({"support": sim.gantry.state.value})
        ):
            started_at = now
        t = None if started_at is None else now - started_at
        seg = (0.0, 0.0) if t is None else segment_at(t, segments)
        if seg is None:
            break
        if started_at is None and now > GANTRY_TIMEOUT_S:
            ended = f"not walking free after {GANTRY_TIMEOUT_S:.0f} s ({ctl.supervisor.reason})"
            break
        ctl.supervisor.set_command(VelocityCommand(seg[0], 0.0, seg[1], now))
        last_action = ctl.last_action.copy()
        policy.obs = None
        res = ctl.step(now, state)
        pos, vel, eff = res.command.joint_state_fields()
        sim.apply_joint_state_command(names, pos, vel, eff)
        walking_mode = res.mode == Mode.WALK
        if t is not None and res.mode != Mode.WALK:
            ended = f"{res.mode.value} at {t:.2f} s: {ctl.supervisor.reason or 'no reason'}"
            break
        if res.mode == Mode.WALK and policy.obs is not None:
            if not walking:  # the history restarts with the controller's (ObservationBuilder)
                trained_obs.reset()
                walking = True
            obs = trained_obs.build(
                joint_pos=truth["joint_pos"],
                joint_vel=truth["joint_vel"],
                quat_wxyz=truth["quat_wxyz"],
                ang_vel=truth["ang_vel"],
                command=res.velocity,
                last_action=last_action,
                lin_vel=truth["lin_vel"],
                height_map=trained_map,
            )
            if t is not None:  # walking in the gantry or before the first segment: not measured
                for s in slots:
                    diffs[s.name].append(policy.obs[s.start : s.stop] - obs[s.start : s.stop])
                trained_action = np.asarray(policy.policy(obs), dtype=float)
                action_diffs.append(policy.action - trained_action)
                yaw_joint_angles.append(float(truth["joint_pos"][sensor_joints].sum()))
                steps += 1
        else:
            walking = False
        _, x, y, _ = truth["quat_wxyz"]
        if math.acos(max(-1.0, min(1.0, 1 - 2 * (x * x + y * y)))) > FALL_TILT_RAD:
            ended = f"fell at {t if t is not None else now:.2f} s"
            break
    if not steps:
        raise RuntimeError(f"the policy never walked ({ended})")
    return {
        "robot": robot,
        "policy": str(Path(policy_dir).resolve()),
        "scene": scene,
        "segments": [list(s) for s in segments],
        "ignore_sensor_joints": ignore_sensor_joints,
        "leg_odometry": leg_odometry,
        "sensor_yaw_joints": [names[i] for i in sensor_joints],
        "started_after_s": started_at,
        "walked_s": steps * period,
        "planned_s": total_s,
        "ended": ended,
        "walking_steps": steps,
        "sensor_joint_angle_rms_rad": float(np.sqrt(np.mean(np.square(yaw_joint_angles)))),
        "terms": {name: gap_stats(d) for name, d in diffs.items()},
        "action": gap_stats(action_diffs),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--robot", default="h1", help="config/<robot>.yaml and navila_sim model")
    ap.add_argument("--policy", required=True, help="policy directory (or file) to drive the robot")
    ap.add_argument("--scene", default="loco_eval_flat", help="navila_sim scene name or YAML")
    ap.add_argument(
        "--segment",
        nargs=3,
        type=float,
        action="append",
        metavar=("SECONDS", "VX", "WZ"),
        help="command segment after the gantry (repeat); default: stand, walk, turn each way",
    )
    ap.add_argument(
        "--ignore-sensor-joints",
        action="store_true",
        help="deploy without observation.imu_yaw_joint and sample the trained map in the base's "
        "frame: the stack before the H1's torso joint was accounted for",
    )
    ap.add_argument(
        "--leg-odometry",
        action="store_true",
        help="deploy with the base velocity estimated from the joints and the IMU (the config's "
        "leg_odometry, as a real H1 runs) instead of the simulator's odometry: the base_lin_vel "
        "row is then the estimate's error",
    )
    ap.add_argument("--out", default=None, help="JSON (default results/probe_deploy_gap_<robot>)")
    args = ap.parse_args(argv)
    segments = [tuple(s) for s in (args.segment or DEFAULT_SEGMENTS)]
    if any(not s[0] > 0 for s in segments):
        ap.error("every --segment needs SECONDS > 0")
    print(f"probe_deploy_gap: {args.robot} on {args.scene}, {sum(s[0] for s in segments):.0f} s")
    try:
        data = probe(
            args.robot,
            args.policy,
            args.scene,
            segments,
            args.ignore_sensor_joints,
            args.leg_odometry,
        )
    except (FileNotFoundError, ValueError, KeyError, RuntimeError) as exc:
        print(f"probe_deploy_gap: refused: {exc}", file=sys.stderr)
        return 2
    print(
        f"{args.robot} on {args.scene}: {data['walking_steps']} walking steps "
        f"({data['walked_s']:.1f} of {data['planned_s']:.1f} s), {data['ended']}; "
        f"sensor joints {data['sensor_yaw_joints'] or 'none'}"
        f"{' (ignored)' if data['ignore_sensor_joints'] else ''} "
        f"(rms angle {data['sensor_joint_angle_rms_rad']:.3f} rad)"
    )
    print(f"{'term':<20} {'mean |d|':>10} {'p95 |d|':>10} {'max |d|':>10}")
    for name, g in [*data["terms"].items(), ("-> action", data["action"])]:
        print(f"{name:<20} {g['mean_abs']:>10.4f} {g['p95_abs']:>10.4f} {g['max_abs']:>10.4f}")
    out = Path(args.out) if args.out else results_dir() / f"probe_deploy_gap_{args.robot}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, indent=1))
    print(f"saved {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
