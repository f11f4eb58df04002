"""The control step and the deadline-scheduled loop that runs it (no rclpy).

`LocoController.step()` turns the newest robot state into one joint command: supervisor update,
observation, policy, action -> PD targets, clipping. It is pure given its inputs, so it is tested
without threads or ROS. `DeadlineLoop` runs any step function on its own thread at absolute
deadlines (`next = start + k * period` on time.monotonic()), which does not drift the way
"compute, then sleep(period)" does; it counts overruns and records how late each wake-up was.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from navila_loco_node.config import LocoConfig
from navila_loco_node.leg_odometry import LegOdometry
from navila_loco_node.observation import ObservationBuilder, imu_to_base
from navila_loco_node.policy import Policy
from navila_loco_node.supervisor import Mode, Supervisor
from navila_loco_node.types import JointCommand, RobotState


@dataclass
class StepResult:
    mode: Mode
    command: JointCommand | None  # None in velocity mode
    velocity: np.ndarray  # the effective (vx, vy, wz)
    action: np.ndarray | None = None


class LocoController:
    """One control step per call; holds the last action and the observation history."""

    def __init__(self, config: LocoConfig, policy: Policy | None) -> None:
        self.config = config
        self.policy = policy
        self.supervisor = Supervisor(config, has_policy=policy is not None)
        j = config.joints
        self.n = j.n
        self.joint_policy = config.control_mode == "joint_policy"
        if self.joint_policy:
            self.obs = ObservationBuilder(config)
            if policy is not None:
                if policy.num_inputs != self.obs.size:
                    raise ValueError(
                        f"policy takes {policy.num_inputs} inputs, the observation layout builds "
                        f"{self.obs.size}"
                    )
                if policy.num_outputs != self.n:
                    raise ValueError(
                        f"policy gives {policy.num_outputs} actions for {self.n} joints"
                    )
            self.default_pos = np.asarray(j.default_pos)
            self.kp, self.kd = np.asarray(j.kp), np.asarray(j.kd)
            self.pos_min, self.pos_max = np.asarray(j.pos_min), np.asarray(j.pos_max)
        imu_joint = config.observation.imu_yaw_joint
        self._imu_joint = j.names.index(imu_joint) if imu_joint and self.joint_policy else None
        self.leg_odometry: LegOdometry | None = None
        if config.leg_odometry.enabled and self.joint_policy:
            self.leg_odometry = LegOdometry(config.leg_odometry, j.names)
        self.last_action = np.zeros(self.n)
        self.height_map: np.ndarray | None = None
        self.height_map_stamp: float | None = None
        self.steps = 0
        self._was_walking = False

    def set_height_map(self, values: np.ndarray, stamp: float) -> None:
        values = np.asarray(values, dtype=np.float64).reshape(-1)
        if not np.all(np.isfinite(values)):
            # heightmap_node publishes an all-NaN map for "no information" (e.g. an empty scan).
            # Exteroception is lost, not the robot's state: stop walking at once (zero command,
            # as for a stale map) but keep balancing on the last real map; damping here would
            # drop the robot.
            self.height_map_stamp = None
            self.supervisor.note("height map unknown (NaN/inf): zero velocity command")
            return
        if self.joint_policy and values.size != self.obs.height_map_size:
            self.supervisor.note(
                f"height map of {values.size} cells ignored: the policy expects "
                f"{self.obs.height_map_size}"
            )
            return
        self.height_map, self.height_map_stamp = values, stamp

    def base_state(self, state: RobotState) -> RobotState:
        """`state` with the IMU's orientation and rate in the base's frame (see
        `observation.imu_to_base`; unchanged for an IMU on the base) and, with leg odometry on,
        the base's linear velocity estimated from them and the joints (`leg_odometry`), stamped
        with the older of the joint and IMU readings it came from."""
        k = self._imu_joint
        if k is not None:
            quat, gyro = imu_to_base(
                state.quat_wxyz, state.ang_vel, state.joint_pos[k], state.joint_vel[k]
            )
            state = replace(state, quat_wxyz=quat, ang_vel=gyro)
        if self.leg_odometry is not None:
            v = self.leg_odometry.update(
                state.joint_pos, state.joint_vel, state.quat_wxyz, state.ang_vel, state.joint_stamp
            )
            state = replace(state, lin_vel=v, lin_vel_stamp=min(state.joint_stamp, state.imu_stamp))
        return state

    def step(self, now: float, state: RobotState | None) -> StepResult:
        if state is not None:
            state = self.base_state(state)
        sup = self.supervisor
        mode = sup.update(now, state, self.height_map_stamp)
        cmd = sup.effective_command()
        if self.leg_odometry is not None and mode in (Mode.PASSIVE, Mode.DAMP):
            self.leg_odometry.reset()  # limp or lifted: the next start estimates afresh
        if not self.joint_policy:
            return StepResult(mode, None, cmd)
        self.steps += 1
        if mode == Mode.WALK and self.obs.height_map_shape is not None and self.height_map is None:
            # Unreachable through the supervisor (no walking before a first map); never invent
            # terrain for the policy: an all-zero map is not flat ground but "nothing below".
            sup.damp(now, "walking without any height map")
            mode, cmd = sup.mode, sup.effective_command()
        if mode == Mode.WALK and state is not None:
            return self._walk(now, state, cmd)
        self._was_walking = False
        self.last_action = np.zeros(self.n)
        seq = 0 if state is None else state.seq
        if mode == Mode.STAND_UP and state is not None:
            start = sup.stand_start_pos if sup.stand_start_pos is not None else state.joint_pos
            alpha = sup.stand_alpha(now)
            q = (1 - alpha) * np.asarray(start) + alpha * self.default_pos
            out = JointCommand(
                q=np.clip(q, self.pos_min, self.pos_max),
                dq=np.zeros(self.n),
                kp=self.kp.copy(),
                kd=self.kd.copy(),
                tau=np.zeros(self.n),
                mode=mode.value,
                state_seq=seq,
            )
            return StepResult(mode, out, cmd)
        kd = (
            self.config.safety.passive_kd if mode == Mode.PASSIVE else self.config.safety.damping_kd
        )
        q = None if state is None else state.joint_pos
        out = JointCommand.damping(self.n, kd, q, mode=mode.value)
        out.state_seq = seq
        return StepResult(mode, out, cmd)

    def _walk(self, now: float, state: RobotState, cmd: np.ndarray) -> StepResult:
        assert self.policy is not None
        if not self._was_walking:
            self.obs.reset()  # the history starts from copies of the first walking frame
            self._was_walking = True
        # A stale map (the command is zero then) stays the last real one: the robot stops
        # where it saw the terrain last, not on terrain made up for it.
        hm = self.height_map
        obs = self.obs.build(
            joint_pos=state.joint_pos,
            joint_vel=state.joint_vel,
            quat_wxyz=state.quat_wxyz,
            ang_vel=state.ang_vel,
            command=cmd,
            last_action=self.last_action,
            lin_vel=state.lin_vel,
            height_map=hm,
        )
        action = self.policy(obs)
        if action.shape != (self.n,) or not np.all(np.isfinite(action)):
            self.supervisor.damp(now, "policy output is NaN/inf or has the wrong size")
            self.last_action = np.zeros(self.n)
            out = JointCommand.damping(self.n, self.config.safety.damping_kd, state.joint_pos)
            out.state_seq = state.seq
            return StepResult(Mode.DAMP, out, np.zeros(3))
        action = np.clip(action, -self.config.action_clip, self.config.action_clip)
        self.last_action = action
        q = np.clip(
            self.default_pos + self.config.action_scale * action, self.pos_min, self.pos_max
        )
        out = JointCommand(
            q=q,
            dq=np.zeros(self.n),
            kp=self.kp.copy(),
            kd=self.kd.copy(),
            tau=np.zeros(self.n),
            mode=Mode.WALK.value,
            state_seq=state.seq,
        )
        return StepResult(Mode.WALK, out, cmd, action)


@dataclass
class LoopStats:
    ticks: int
    overruns: int
    skipped: int
    late_p50_us: float
    late_p99_us: float
    late_max_us: float
    step_p50_us: float
    step_p99_us: float


class DeadlineLoop:
    """Runs `fn(now)` at absolute deadlines on a dedicated thread.

    Wake-up lateness (actual - deadline) and step duration are recorded (bounded buffers). A
    step that ends after the next deadline is an overrun; deadlines already missed are skipped
    (counted) instead of run back-to-back, so a stall never produces a burst of stale commands.
    """

    def __init__(
        self,
        fn: Callable[[float], None],
        period_s: float,
        name: str = "loco-loop",
        on_error: Callable[[BaseException], None] | None = None,
        keep: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.fn = fn
        self.period = float(period_s)
        self.name = name
        self.on_error = on_error
        self.clock = clock
        self.lateness: deque[float] = deque(maxlen=keep)
        self.durations: deque[float] = deque(maxlen=keep)
        self.ticks = 0
        self.overruns = 0
        self.skipped = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        start = self.clock()
        k = 0
        while not self._stop.is_set():
            deadline = start + k * self.period
            while True:  # sleep most of the way, then a short spin for sub-ms accuracy
                left = deadline - self.clock()
                if left <= 0 or self._stop.is_set():
                    break
                if left > 0.002:
                    self._stop.wait(left - 0.001)
                else:
                    time.sleep(0)
            if self._stop.is_set():
                return
            now = self.clock()
            self.lateness.append(now - deadline)
            try:
                self.fn(now)
            except BaseException as exc:  # the loop must never die silently
                if self.on_error is not None:
                    self.on_error(exc)
                else:
                    raise
            end = self.clock()
            self.durations.append(end - now)
            self.ticks += 1
            k += 1
            next_deadline = start + k * self.period
            if end > next_deadline:  # overrun: skip every deadline already in the past
                self.overruns += 1
                missed = int((end - next_deadline) // self.period) + 1
                self.skipped += missed
                k += missed

    def stats(self) -> LoopStats:
        late = np.asarray(self.lateness) * 1e6 if self.lateness else np.zeros(1)
        dur = np.asarray(self.durations) * 1e6 if self.durations else np.zeros(1)
        return LoopStats(
            ticks=self.ticks,
            overruns=self.overruns,
            skipped=self.skipped,
            late_p50_us=float(np.percentile(late, 50)),
            late_p99_us=float(np.percentile(late, 99)),
            late_max_us=float(late.max()),
            step_p50_us=float(np.percentile(dur, 50)),
            step_p99_us=float(np.percentile(dur, 99)),
        )
