"""The base's linear velocity from leg kinematics and the IMU (no ROS): for a robot whose backend
has no state estimator, driven by a policy that observes ``base_lin_vel``.

The H1 policies (NaVILA's layout, Isaac Lab's ``base_lin_vel`` first) read the pelvis's linear
velocity, which simulators know exactly and a real H1 in development mode does not report: its
SDK's low-level state has joints and the IMU only (the sport service that estimates motion is
off while a user controller writes rt/lowcmd). Without a source the loco node refuses to start
such a policy (PASSIVE, ``start_blocked``). This module makes one from what the SDK does give.

Method: a foot on the ground does not move. With the base at the origin, oriented as the IMU
says (roll, pitch, yaw) and turning at the IMU's rate, the robot's own model (navila_sim's MJCF
of the same robot: joint origins and axes from the published descriptions) gives each foot's
velocity from the joint positions and velocities alone; the base then moves at minus that
velocity for a foot in stance. Which foot stands is not measured (the H1 has no foot force
sensors in its low-level state): each foot is weighted by how close it is to the lowest foot,
``exp(-(z - z_lowest) / contact_scale_m)``, so the swing foot (lifted centimetres) counts for
little and both count alike in double support. Height alone misreads the H1, whose swing
lifts a foot only 1-3 cm: a foot also counts for little when its motion disagrees with the last
estimate (a stance foot moves against the base at minus the base's velocity; a swinging one is
off by ~1 m/s): ``consistency_mps``. The result, rotated into the base frame, is low-pass
filtered (``filter_tau_s``) and may change by at most ``max_accel_mps2`` per second (a walking
body's acceleration is a few m/s^2; a foot's touchdown on a step edge makes the raw estimate jump
by metres per second for a tick or two).

Measured in navila_sim with the H1 policy walking on the estimate (benchmarks/
probe_deploy_gap.py --leg-odometry, against the true velocity): mean error per axis 0.015 m/s on
flat ground (p95 0.059), 0.033 m/s on 10 cm steps (p95 0.13: the touchdowns on step edges).
Through the nodes the H1 tracks flat ground and 10 cm steps as on the true velocity, no falls
(models/h1_vision/README.md, "Leg odometry"); with a 30 ms filter it fell on the steps 2 of 3
times. The torso IMU's accelerometer (a complementary filter, tried on recorded walks) helped
the vertical axis and hurt the horizontal ones: not used.

What it cannot know: a foot that slips (the estimate reads the slip as the body moving the other
way), a robot carried or pushed while its feet are off the ground. Non-finite inputs make a
non-finite estimate, which the supervisor damps on, as for any NaN in the state.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class LegOdometryConfig:
    """Where the kinematics come from and how stance and smoothing are decided."""

    enabled: bool = False
    model: str = ""  # the robot's MJCF file (a config's robot name: resolved by the bring-up)
    feet: tuple[str, ...] = ()  # the MJCF geoms the robot stands on (their centres)
    contact_scale_m: float = 0.01  # stance weight exp(-(z - z_lowest) / this)
    filter_tau_s: float = 0.01  # first-order low-pass time constant (0: none)
    consistency_mps: float = 0.3  # stance weight also exp(-|v_foot + v_estimate|^2 / this^2)
    max_accel_mps2: float = 5.0  # the estimate changes at most this fast (0: no limit)

    def __post_init__(self) -> None:
        if not self.enabled:
            return
        if not self.model:
            raise ValueError("leg_odometry.model is empty: name the robot's MJCF")
        if not self.feet:
            raise ValueError("leg_odometry.feet is empty: name the geoms the robot stands on")
        if not (math.isfinite(self.contact_scale_m) and self.contact_scale_m > 0):
            raise ValueError(
                f"leg_odometry.contact_scale_m must be > 0, got {self.contact_scale_m}"
            )
        if not (math.isfinite(self.filter_tau_s) and self.filter_tau_s >= 0):
            raise ValueError(f"leg_odometry.filter_tau_s must be >= 0, got {self.filter_tau_s}")
        if not (math.isfinite(self.max_accel_mps2) and self.max_accel_mps2 >= 0):
            raise ValueError(f"leg_odometry.max_accel_mps2 must be >= 0, got {self.max_accel_mps2}")
        if not (math.isfinite(self.consistency_mps) and self.consistency_mps >= 0):
            raise ValueError(
                f"leg_odometry.consistency_mps must be >= 0, got {self.consistency_mps}"
            )


def model_path(model: str) -> Path:
    """The MJCF file `leg_odometry.model` names. The node takes a path; the bring-up
    (navila_bringup.stack.resolve_leg_odometry_model) turns a navila_sim robot name in a
    config into its path."""
    path = Path(model)
    if path.suffix != ".xml":
        raise ValueError(
            f"leg_odometry.model {model!r} is not an MJCF path: start the node through the "
            "bring-up (navila robot, launch/robot.launch.py), which resolves a robot name, or "
            "give the .xml"
        )
    if not path.is_file():
        raise FileNotFoundError(f"leg_odometry.model: no such MJCF {path}")
    return path


class LegOdometry:
    """Base linear velocity (base frame) from joint states and the IMU, one control tick at a
    time. Joints come in the policy's order (``joint_names``)."""

    def __init__(self, config: LegOdometryConfig, joint_names: Sequence[str]) -> None:
        # Here, not at import: only a node that estimates needs it. A process that also renders
        # (tests, benchmarks) imports navila_sim.mujoco_gl first, which picks the headless GL
        # backend mujoco reads once; this node renders nothing.
        import mujoco

        self._mj = mujoco
        self.config = config
        self.model = mujoco.MjModel.from_xml_path(str(model_path(config.model)))
        self.data = mujoco.MjData(self.model)
        m = self.model
        if m.njnt == 0 or m.jnt_type[0] != mujoco.mjtJoint.mjJNT_FREE:
            raise ValueError(f"{config.model}: the model's first joint must be the free base joint")
        qadr, dadr = [], []
        for name in joint_names:
            j = mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_JOINT, name)
            if j < 0:
                raise ValueError(f"leg_odometry: joint {name!r} is not in {config.model}")
            qadr.append(m.jnt_qposadr[j])
            dadr.append(m.jnt_dofadr[j])
        self._qadr, self._dadr = np.array(qadr), np.array(dadr)
        self._base = int(m.jnt_bodyid[0])  # the body the free joint moves
        self._feet = []
        for name in config.feet:
            g = mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_GEOM, name)
            if g < 0:
                raise ValueError(f"leg_odometry: foot geom {name!r} is not in {config.model}")
            self._feet.append(g)
        self._vel6 = np.zeros(6)
        self.estimate: np.ndarray | None = None  # filtered, base frame
        self.raw: np.ndarray | None = None  # this tick's, before the filter
        self.stance: np.ndarray = np.zeros(len(self._feet))  # the feet's weights, sum 1
        self._stamp: float | None = None

    @property
    def known(self) -> bool:
        """An estimate exists and is finite (a NaN reading makes a NaN one: the supervisor
        damps on it, and the next finite reading starts afresh)."""
        return self.estimate is not None and bool(np.all(np.isfinite(self.estimate)))

    def status(self) -> dict[str, object]:
        """For the node's JSON status: the estimate (m/s, base frame; null until known or when
        not finite) and each foot's stance weight, in `feet` order."""
        if not self.known:
            return {"velocity": None, "stance": None}
        return {
            "velocity": [round(float(x), 3) for x in self.estimate],
            "stance": [round(float(w), 3) for w in self.stance],
        }

    def reset(self) -> None:
        """Forget the filter's state: the controller calls it while the robot is passive or
        damped (limp, perhaps lifted), so a restart estimates afresh."""
        self.estimate, self.raw, self._stamp = None, None, None

    def update(
        self,
        joint_pos: np.ndarray,
        joint_vel: np.ndarray,
        quat_wxyz: np.ndarray,
        ang_vel: np.ndarray,
        stamp: float,
    ) -> np.ndarray:
        """The base's linear velocity in the base frame after this reading (filtered).

        `quat_wxyz` and `ang_vel` are the base's (world <- base; body-frame rate), as the
        observation builder gets them; `stamp` in seconds drives the filter.
        """
        if self.estimate is not None and stamp == self._stamp:
            return self.estimate.copy()  # this reading was used already (a second call per tick)
        mujoco, m, d = self._mj, self.model, self.data
        d.qpos[:3] = 0.0
        d.qpos[3:7] = quat_wxyz
        d.qpos[self._qadr] = joint_pos
        d.qvel[:3] = 0.0  # the base's linear velocity: what is estimated
        d.qvel[3:6] = ang_vel  # a free joint's rotational velocity is in the body frame
        d.qvel[self._dadr] = joint_vel
        mujoco.mj_kinematics(m, d)
        mujoco.mj_comPos(m, d)
        mujoco.mj_comVel(m, d)
        heights = np.array([d.geom_xpos[g][2] for g in self._feet])
        vels = np.empty((len(self._feet), 3))
        for i, g in enumerate(self._feet):
            mujoco.mj_objectVelocity(m, d, mujoco.mjtObj.mjOBJ_GEOM, g, self._vel6, 0)
            vels[i] = self._vel6[3:]  # world-aligned linear velocity at the geom's centre
        base_rot = d.xmat[self._base].reshape(3, 3)
        c = self.config
        logw = -(heights - np.min(heights)) / c.contact_scale_m
        known = self.known
        if c.consistency_mps > 0 and known:
            # a foot on the ground moves against the base at the base's velocity: a foot whose
            # motion disagrees with the last estimate by metres per second is swinging
            miss = vels + base_rot @ self.estimate
            logw = logw - np.sum(miss * miss, axis=1) / c.consistency_mps**2
        w = np.exp(logw - np.max(logw))
        self.stance = w / np.sum(w)
        world = -(self.stance @ vels)
        raw = base_rot.T @ world
        self.raw = raw
        if not known or self._stamp is None:
            self.estimate = raw.copy()
        else:
            dt = max(0.0, stamp - self._stamp)
            tau = c.filter_tau_s
            alpha = 1.0 if tau == 0 else dt / (tau + dt)
            step = alpha * (raw - self.estimate)
            limit = c.max_accel_mps2 * dt
            norm = float(np.linalg.norm(step))
            if c.max_accel_mps2 > 0 and norm > limit:  # a touchdown's jolt, not the body's
                step = step * (limit / norm) if norm > 0 and limit > 0 else np.zeros(3)
            self.estimate = self.estimate + step
        self._stamp = stamp
        return self.estimate.copy()
