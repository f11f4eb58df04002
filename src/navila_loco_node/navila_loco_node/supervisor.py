"""Safety supervisor: the state machine that decides whether the policy may drive the joints.

    PASSIVE --start/auto--> STAND_UP --done + policy--> WALK
       ^                        |                         |
       +------ reset ------- DAMP <---- any fault --------+

* PASSIVE: zero torque (or light damping); nothing moves until fresh, sane state arrives and an
  operator (or `auto_start`, once) asks to start.
* STAND_UP: linear interpolation from the measured pose to the default pose over
  `stand_up_time_s` (deploy practice of unitree_rl_gym / booster_gym). The joints must then be
  within `stand_up_tolerance_rad` of the default pose (joint-policy mode), given up to
  `stand_up_settle_s` more, or it DAMPs: motors that do not follow (a Go2's sport controller
  still owning them, motor power off, a joint fault) must not be handed to a policy that would
  start from a pose it never saw. Then WALK if a policy is loaded and, for a policy that sees a
  height map, a fresh map has arrived (until then it holds the default pose: the policy never
  walks on terrain made up for it); without a policy it holds the default pose and says so.
* WALK: the policy's targets.
* DAMP: kp = 0, kd = damping_kd. LATCHED: only an explicit `reset` (with the e-stop released)
  returns to PASSIVE, so a flickering fault can never restart the motors by itself.

Faults that damp: e-stop; joint state or IMU older than `state_timeout_s` (and the base's linear
velocity, for a policy that reads it: never started without one); NaN/inf anywhere
(state, command, height map, policy output); |roll| or |pitch| beyond `max_tilt_rad`; a measured
joint beyond its limit plus margin; `stop`; shutdown. Softer conditions keep balancing with a zero
velocity command: /cmd_vel silent for `command.timeout_s`, a stale height map (the policy keeps
seeing the last real map). Velocity commands are clamped to the configured ranges, and the
forward speed and turning are limited by the obstacle guard (obstacle_guard.py: forward held in
front of a face the robot cannot step onto, turning with an obstacle within the body's sweep,
both with no fresh clearance). Every transition is recorded with its
reason; the node logs and publishes them. No rclpy, no clocks: the caller passes `now`
(time.monotonic()).
"""

from __future__ import annotations

import enum
import math
from dataclasses import asdict, dataclass

import numpy as np

from navila_loco_node.config import LocoConfig
from navila_loco_node.observation import rpy_from_quat
from navila_loco_node.obstacle_guard import ObstacleGuard
from navila_loco_node.types import RobotState, VelocityCommand


class Mode(enum.StrEnum):
    PASSIVE = "passive"
    STAND_UP = "stand_up"
    WALK = "walk"
    DAMP = "damp"


@dataclass(frozen=True)
class Transition:
    t: float
    source: str
    target: str
    reason: str

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def _finite(*arrays: object) -> bool:
    return all(np.all(np.isfinite(np.asarray(a, dtype=float))) for a in arrays)


def _kind(problem: str | None) -> str | None:
    """A state problem without its measured numbers ("stale IMU (80 ms > 50 ms)" -> "stale IMU")."""
    return None if problem is None else problem.split(" (")[0]


class Supervisor:
    def __init__(self, config: LocoConfig, has_policy: bool) -> None:
        self.config = config
        self.has_policy = has_policy
        self.mode = Mode.PASSIVE
        self.since = 0.0
        self.reason = "startup"
        self.estop = False
        self._auto_start_used = False
        self._transitions: list[Transition] = []
        self._notes: list[str] = []
        self.cmd: VelocityCommand | None = None
        self.cmd_clamped = False
        self.cmd_timed_out = True
        self.height_map_stale = False
        self.waiting_for_map = False  # stand-up done, a vision policy waits for its first map
        # A policy that reads the base's linear velocity (the H1's legged-loco layout) must get
        # a measured one: a backend without a velocity source (the Unitree and Booster SDKs'
        # low-level state has none) would hand it zeros, "standing still" while it walks.
        # (history_terms are a subset of terms: ObservationBuilder refuses any other layout)
        self.needs_lin_vel = has_policy and "base_lin_vel" in config.observation.terms
        self.start_blocked: str | None = None  # PASSIVE: why this state could not start
        self.stand_start_pos: np.ndarray | None = None
        self.fault_count = 0
        self.obstacle = ObstacleGuard(
            config.safety.obstacle,
            config.safety.obstacle.active("height_map" in config.observation.terms),
        )

    # ------------------------------------------------------------------ transitions
    def _go(self, target: Mode, now: float, reason: str) -> None:
        if target == self.mode:
            return
        self._transitions.append(Transition(now, self.mode.value, target.value, reason))
        if target == Mode.DAMP:
            self.fault_count += 1
        self.mode, self.since, self.reason = target, now, reason

    def pop_transitions(self) -> list[Transition]:
        out, self._transitions = self._transitions, []
        return out

    def pop_notes(self) -> list[str]:
        """Non-transition events worth a log line (command timeout, clamping, refusals)."""
        out, self._notes = self._notes, []
        return out

    def note(self, text: str) -> None:
        self._notes.append(text)

    def damp(self, now: float, reason: str) -> None:
        """Any fault found elsewhere (policy NaN, backend error, shutdown) lands here."""
        self._go(Mode.DAMP, now, reason)

    # ------------------------------------------------------------------ inputs
    def set_estop(self, active: bool, now: float) -> None:
        self.estop = bool(active)
        if self.estop:
            self._go(Mode.DAMP, now, "e-stop")
        else:
            self._notes.append("e-stop released (send 'reset' to leave DAMP)")

    def request(self, what: str, now: float, state: RobotState | None) -> bool:
        """Operator requests: start | stop | reset. Returns whether it was accepted."""
        what = what.strip().lower()
        if what == "stop":
            self._go(Mode.DAMP, now, "stop requested")
            return True
        if what == "reset":
            if self.mode != Mode.DAMP:
                self._notes.append(f"reset ignored: mode is {self.mode.value}, not damp")
                return False
            if self.estop:
                self._notes.append("reset refused: e-stop is active")
                return False
            self._go(Mode.PASSIVE, now, "reset requested")
            return True
        if what == "start":
            if self.mode != Mode.PASSIVE:
                self._notes.append(f"start ignored: mode is {self.mode.value}, not passive")
                return False
            problem = self.check_state(state, now)
            if problem or self.estop:
                self._notes.append(f"start refused: {problem or 'e-stop is active'}")
                return False
            self._begin_stand_up(state, now, "start requested")
            return True
        self._notes.append(f"unknown request {what!r} (expected start, stop or reset)")
        return False

    def set_command(self, cmd: VelocityCommand) -> None:
        """A new /cmd_vel. NaN/inf damps; out-of-range values are clamped, never refused."""
        values = (cmd.vx, cmd.vy, cmd.wz)
        if not all(math.isfinite(v) for v in values):
            self.cmd = None
            self._go(Mode.DAMP, cmd.stamp, f"non-finite velocity command {values}")
            return
        lim = self.config.command
        clamped = (
            min(max(cmd.vx, lim.vx_range[0]), lim.vx_range[1]),
            min(max(cmd.vy, lim.vy_range[0]), lim.vy_range[1]),
            min(max(cmd.wz, lim.wz_range[0]), lim.wz_range[1]),
        )
        was = self.cmd_clamped
        self.cmd_clamped = clamped != values
        if self.cmd_clamped and not was:
            self._notes.append(f"velocity command {values} clamped to {clamped}")
        self.cmd = VelocityCommand(*clamped, stamp=cmd.stamp)

    # ------------------------------------------------------------------ checks
    def check_state(self, state: RobotState | None, now: float) -> str | None:
        """The first reason this state must not drive the robot, or None."""
        s = self.config.safety
        if state is None:
            return "no joint state / IMU received yet"
        age_j, age_i = now - state.joint_stamp, now - state.imu_stamp
        if age_j > s.state_timeout_s:
            return f"stale joint state ({age_j * 1e3:.0f} ms > {s.state_timeout_s * 1e3:.0f} ms)"
        if age_i > s.state_timeout_s:
            return f"stale IMU ({age_i * 1e3:.0f} ms > {s.state_timeout_s * 1e3:.0f} ms)"
        if not _finite(state.joint_pos, state.joint_vel, state.quat_wxyz, state.ang_vel):
            return "NaN/inf in joint state or IMU"
        if not _finite(state.lin_vel):
            return "NaN/inf in base velocity"
        if self.needs_lin_vel:
            if state.lin_vel_stamp is None:
                return (
                    "the policy reads base_lin_vel and no base linear velocity has arrived (a "
                    "backend without a state estimator gives none: odometry or a policy "
                    "without base_lin_vel)"
                )
            age_v = now - state.lin_vel_stamp
            if age_v > s.state_timeout_s:
                return (
                    f"stale base linear velocity ({age_v * 1e3:.0f} ms > "
                    f"{s.state_timeout_s * 1e3:.0f} ms)"
                )
        qn = float(np.linalg.norm(state.quat_wxyz))
        if not 0.9 < qn < 1.1:
            return f"IMU quaternion is not unit length (|q| = {qn:.3f})"
        roll, pitch, _ = rpy_from_quat(np.asarray(state.quat_wxyz) / qn)
        if max(abs(roll), abs(pitch)) > s.max_tilt_rad:
            return (
                f"tilt beyond limit (roll {roll:.2f}, pitch {pitch:.2f} rad, "
                f"limit {s.max_tilt_rad:.2f})"
            )
        j = self.config.joints
        if j.pos_min and j.pos_max:
            q = np.asarray(state.joint_pos)
            low = q < np.asarray(j.pos_min) - s.joint_limit_margin_rad
            high = q > np.asarray(j.pos_max) + s.joint_limit_margin_rad
            bad = np.flatnonzero(low | high)
            if bad.size:
                i = int(bad[0])
                return (
                    f"joint {j.names[i]} at {q[i]:.3f} rad beyond its limits "
                    f"[{j.pos_min[i]:.3f}, {j.pos_max[i]:.3f}] + margin"
                )
        return None

    def _begin_stand_up(self, state: RobotState | None, now: float, reason: str) -> None:
        self.stand_start_pos = None if state is None else np.array(state.joint_pos, dtype=float)
        self._go(Mode.STAND_UP, now, reason)

    # ------------------------------------------------------------------ the tick
    def update(self, now: float, state: RobotState | None, height_map_stamp: float | None) -> Mode:
        """Advance the state machine by one control step; returns the mode to act in."""
        if self.estop and self.mode != Mode.DAMP:
            self._go(Mode.DAMP, now, "e-stop")
        problem = self.check_state(state, now)
        if self.mode in (Mode.STAND_UP, Mode.WALK) and problem:
            self._go(Mode.DAMP, now, problem)
        elif self.mode == Mode.PASSIVE:
            # Said once per kind of problem, not every tick (a stale state's age changes).
            if _kind(problem) != _kind(self.start_blocked) and problem:
                self._notes.append(f"waiting to start: {problem}")
            self.start_blocked = problem
            auto = self.config.safety.auto_start and not self._auto_start_used
            if auto and problem is None and not self.estop:
                self._auto_start_used = True
                self._begin_stand_up(state, now, "auto start: fresh state received")
        elif self.mode == Mode.STAND_UP and self.stand_alpha(now) >= 1.0:
            self._after_stand_up(now, state, height_map_stamp)

        # Soft conditions: keep balancing, but with a zero velocity command.
        timed_out = self.cmd is None or now - self.cmd.stamp > self.config.command.timeout_s
        if timed_out != self.cmd_timed_out:
            self._notes.append(
                "/cmd_vel silent: zero velocity command" if timed_out else "/cmd_vel resumed"
            )
        self.cmd_timed_out = timed_out
        if self.mode != Mode.STAND_UP:
            self.waiting_for_map = False
        if "height_map" in self.config.observation.terms:
            stale = not self._map_fresh(now, height_map_stamp)
            if stale != self.height_map_stale:
                self._notes.append(
                    "height map stale: zero velocity command" if stale else "height map fresh"
                )
            self.height_map_stale = stale
        self._notes.extend(self.obstacle.update(now))
        return self.mode

    def _after_stand_up(
        self, now: float, state: RobotState | None, height_map_stamp: float | None
    ) -> None:
        """The interpolation is over: hold until the joints are there (or damp), then walk."""
        off = self._stand_up_error(state)
        tol = self.config.safety.stand_up_tolerance_rad
        if off is not None and off[1] > tol:
            name, err = off
            late = now - self.since - self.config.safety.stand_up_time_s
            if late > self.config.safety.stand_up_settle_s:
                self._go(
                    Mode.DAMP,
                    now,
                    f"stand-up failed: {name} is {err:.2f} rad from its default pose "
                    f"{late:.1f} s after the stand-up (tolerance {tol:.2f} rad): the motors "
                    "are not following (sport mode not released? motor power? a joint fault?)",
                )
            return
        if not self.has_policy:
            return
        if self._map_fresh(now, height_map_stamp):
            within = "" if off is None else f" ({off[0]} furthest, {off[1]:.2f} rad off)"
            self._go(Mode.WALK, now, "stand-up complete" + within)
        elif not self.waiting_for_map:
            # A vision policy given no map sees terrain that is not there (an all-zero map
            # is "nothing below the LiDAR"): it lurched on its first steps in navila_sim
            # whenever heightmap_node's first map came after the stand-up. Hold the pose.
            self.waiting_for_map = True
            self._notes.append("stand-up complete: holding the pose until a height map")

    def _stand_up_error(self, state: RobotState | None) -> tuple[str, float] | None:
        """(joint, |q - default|) of the joint furthest from the default pose, or None where
        the check does not apply (tolerance 0, no state, or a velocity-command backend whose
        vendor controller stands the robot)."""
        j = self.config.joints
        if (
            self.config.safety.stand_up_tolerance_rad <= 0
            or state is None
            or self.config.control_mode != "joint_policy"
        ):
            return None
        err = np.abs(np.asarray(state.joint_pos, dtype=float) - np.asarray(j.default_pos))
        worst = int(np.argmax(err))
        return j.names[worst], float(err[worst])

    def _map_fresh(self, now: float, height_map_stamp: float | None) -> bool:
        """True for a blind layout; else whether the last height map is recent enough."""
        if "height_map" not in self.config.observation.terms:
            return True
        timeout = self.config.observation.height_map_timeout_s
        return height_map_stamp is not None and now - height_map_stamp <= timeout

    def stand_alpha(self, now: float) -> float:
        if self.mode != Mode.STAND_UP:
            return 0.0
        return min(1.0, max(0.0, (now - self.since) / self.config.safety.stand_up_time_s))

    def effective_command(self) -> np.ndarray:
        """The (vx, vy, wz) the policy sees: zero unless walking on a fresh, valid command."""
        if self.mode != Mode.WALK or self.cmd_timed_out or self.height_map_stale:
            return np.zeros(3)
        assert self.cmd is not None
        vx, wz = self.obstacle.limit(self.cmd.vx, self.cmd.wz)
        return np.array([vx, self.cmd.vy, wz])

    def status(self, now: float) -> dict[str, object]:
        return {
            "mode": self.mode.value,
            "since_s": round(now - self.since, 3),
            "reason": self.reason,
            "estop": self.estop,
            "has_policy": self.has_policy,
            "cmd_timed_out": self.cmd_timed_out,
            "cmd_clamped": self.cmd_clamped,
            "height_map_stale": self.height_map_stale,
            "waiting_for_height_map": self.waiting_for_map,
            "start_blocked": self.start_blocked if self.mode == Mode.PASSIVE else None,
            "command": [float(v) for v in self.effective_command()],
            "faults": self.fault_count,
            "obstacle_guard": self.obstacle.status(),
        }
