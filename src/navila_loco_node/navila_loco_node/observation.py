"""Policy input vectors laid out exactly as legged-loco (Isaac Lab + rsl_rl) trained them.

Layout, from legged-loco's observation configs and its RslRlVecEnvHistoryWrapper:

    policy_input = concat(terms...) ++ flatten(history)

* `terms` is the "policy" observation group, concatenated in config order (Go2 vision: base
  angular velocity 3, base roll-pitch-yaw 3, velocity command 3, joint positions minus defaults
  12, joint velocities 12, last action 12, LiDAR height map 459 = 504).
* `history` holds the last `history_length` frames of the "proprio" group (the same terms without
  the height map, 45 for the Go2), OLDEST FIRST, and the newest frame is the CURRENT one: the
  wrapper appends the current proprio frame before concatenating. So the current proprio terms
  appear twice (in `terms` and as the last history frame): 504 + 9 x 45 = 909.
* On (re)start the wrapper fills the whole history with copies of the first frame
  (`get_observations`), which `reset()` reproduces here.
* H1 vision has no history: base lin. vel., ang. vel., projected gravity, command, joint pos,
  joint vel, last action (19 each) and a 187-cell height scan = 256.

Joint terms are in policy (Isaac Lab articulation) order. Order, scales and clips come from the
config only, never from code. No rclpy here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from navila_loco_node.config import LocoConfig

# Height map layouts (rows, cols), flattened row-major as the training code did.
HEIGHT_MAP_PRESETS: dict[str, tuple[int, int]] = {
    # legged-loco height_map_lidar: 0.06 m cells, x in (-0.8, 0.2] (17 rows) by
    # y in (-0.8, 0.8] (27 columns), x-major.
    "go2_lidar_17x27": (17, 27),
    # Isaac Lab GridPattern 1.6 m (x) x 1.0 m (y) at 0.1 m with meshgrid 'xy': 11 rows of y by
    # 17 columns of x, x fastest.
    "h1_scan_11x17": (11, 17),
}

VEC3_TERMS = ("base_lin_vel", "base_ang_vel", "projected_gravity", "base_rpy", "velocity_command")
JOINT_TERMS = ("joint_pos_rel", "joint_vel_rel", "last_action")
ALL_TERMS = (*VEC3_TERMS, *JOINT_TERMS, "height_map")


def rpy_from_quat(q_wxyz: np.ndarray) -> np.ndarray:
    """Roll, pitch, yaw (rad) with the exact formula of legged-loco's `base_rpy` term."""
    w, x, y, z = (float(v) for v in q_wxyz)
    roll = np.arctan2(2 * (w * x + y * z), 1 - 2 * (x * x + y * y))
    sinp = 2 * (w * y - z * x)
    pitch = np.arcsin(sinp) if abs(sinp) < 1 else np.sign(sinp) * (np.pi / 2)
    yaw = np.arctan2(2 * (w * z + x * y), 1 - 2 * (y * y + z * z))
    return np.array([roll, pitch, yaw])


def rotate_inverse(q_wxyz: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Express a world-frame vector in the body frame (q rotates body -> world)."""
    w = float(q_wxyz[0])
    u = np.asarray(q_wxyz[1:], dtype=float)
    v = np.asarray(v, dtype=float)
    return v * (2 * w * w - 1) - np.cross(u, v) * w * 2 + u * np.dot(u, v) * 2


def projected_gravity(q_wxyz: np.ndarray) -> np.ndarray:
    """Unit gravity in the body frame, (0, 0, -1) when level (Isaac Lab's projected_gravity)."""
    return rotate_inverse(q_wxyz, np.array([0.0, 0.0, -1.0]))


def imu_to_base(
    q_imu_wxyz: np.ndarray, gyro: np.ndarray, yaw: float, yaw_rate: float
) -> tuple[np.ndarray, np.ndarray]:
    """The base's orientation and body-frame angular velocity from an IMU on a body that turns by
    `yaw` (rate `yaw_rate`) about the base's z axis - the H1's IMU sits in its torso, above
    torso_joint, while its policy was trained on the pelvis's (Isaac Lab's root) quantities.

    With R_imu = R_base Rz(yaw): q_base = q_imu * qz(-yaw), and the IMU's rate is the base's plus
    the joint's, seen in the IMU frame, so w_base = Rz(yaw) w_imu - (0, 0, yaw_rate).
    Non-finite inputs give non-finite outputs (the supervisor damps on them).
    """
    q = turn_about_z_batch(np.asarray(q_imu_wxyz, dtype=float)[None, :], np.array([-yaw]))[0]
    cy, sy = float(np.cos(yaw)), float(np.sin(yaw))
    g = np.asarray(gyro, dtype=float)
    wb = np.array([cy * g[0] - sy * g[1], sy * g[0] + cy * g[1], g[2] - yaw_rate])
    return q, wb


@dataclass(frozen=True)
class Slot:
    """Where one term lives in the policy input vector."""

    name: str  # term name, or "history[k].term" (k = 0 oldest)
    start: int
    stop: int

    @property
    def size(self) -> int:
        return self.stop - self.start


class ObservationBuilder:
    """Builds one policy input per control step and keeps the proprio history."""

    def __init__(self, config: LocoConfig) -> None:
        obs = config.observation
        self.n_joints = config.joints.n
        self.default_pos = np.asarray(config.joints.default_pos, dtype=np.float64)
        self.terms = obs.terms
        self.scales = dict(zip(obs.terms, obs.scales, strict=True))
        self.clips = dict(zip(obs.terms, obs.clips, strict=True))
        self.history_terms = obs.history_terms if obs.history_length > 0 else ()
        self.history_length = obs.history_length
        for t in (*self.terms, *self.history_terms):
            if t not in ALL_TERMS:
                raise ValueError(f"unknown observation term {t!r}; known: {ALL_TERMS}")
        if len(set(self.terms)) != len(self.terms):
            raise ValueError(f"observation.terms has duplicates: {self.terms}")
        if "height_map" in self.history_terms:
            raise ValueError("the proprio history cannot contain the height map")
        unknown_hist = [t for t in self.history_terms if t not in self.terms]
        if unknown_hist:
            raise ValueError(f"history_terms {unknown_hist} are not observation terms")
        self.height_map_shape: tuple[int, int] | None = None
        if "height_map" in self.terms:
            preset = obs.height_map_preset
            if preset not in HEIGHT_MAP_PRESETS:
                raise ValueError(
                    f"observation.height_map_preset {preset!r} unknown; known: "
                    f"{sorted(HEIGHT_MAP_PRESETS)}"
                )
            self.height_map_shape = HEIGHT_MAP_PRESETS[preset]
        self.frame_size = sum(self.term_size(t) for t in self.history_terms)
        self.size = (
            sum(self.term_size(t) for t in self.terms) + self.history_length * self.frame_size
        )
        self._history: np.ndarray | None = None  # (history_length, frame_size), oldest first

    @property
    def height_map_size(self) -> int:
        return 0 if self.height_map_shape is None else int(np.prod(self.height_map_shape))

    def term_size(self, term: str) -> int:
        if term in VEC3_TERMS:
            return 3
        if term in JOINT_TERMS:
            return self.n_joints
        return self.height_map_size

    def layout(self) -> list[Slot]:
        """Every slot of the input vector, in order (tests pin this; docs print it)."""
        slots: list[Slot] = []
        pos = 0
        for t in self.terms:
            slots.append(Slot(t, pos, pos + self.term_size(t)))
            pos += self.term_size(t)
        for k in range(self.history_length):
            for t in self.history_terms:
                slots.append(Slot(f"history[{k}].{t}", pos, pos + self.term_size(t)))
                pos += self.term_size(t)
        return slots

    def reset(self) -> None:
        """Forget the history: the next build() fills it with copies of its frame."""
        self._history = None

    def _term(
        self,
        term: str,
        state_values: dict[str, np.ndarray],
    ) -> np.ndarray:
        raw = state_values[term]
        out = np.asarray(raw, dtype=np.float64) * self.scales[term]
        clip = self.clips[term]
        if clip > 0:
            out = np.clip(out, -clip, clip)
        return out

    def build(
        self,
        *,
        joint_pos: np.ndarray,
        joint_vel: np.ndarray,
        quat_wxyz: np.ndarray,
        ang_vel: np.ndarray,
        command: np.ndarray,
        last_action: np.ndarray,
        lin_vel: np.ndarray | None = None,
        height_map: np.ndarray | None = None,
    ) -> np.ndarray:
        """One policy input (float32). Advances the history by one frame."""
        values: dict[str, np.ndarray] = {
            "base_lin_vel": np.zeros(3) if lin_vel is None else lin_vel,
            "base_ang_vel": ang_vel,
            "projected_gravity": projected_gravity(quat_wxyz),
            "base_rpy": rpy_from_quat(quat_wxyz),
            "velocity_command": command,
            "joint_pos_rel": np.asarray(joint_pos) - self.default_pos,
            "joint_vel_rel": joint_vel,
            "last_action": last_action,
        }
        if self.height_map_shape is not None:
            if height_map is None:
                raise ValueError("this observation needs a height map")
            hm = np.asarray(height_map, dtype=np.float64).reshape(-1)
            if hm.size != self.height_map_size:
                raise ValueError(
                    f"height map has {hm.size} cells, the policy expects {self.height_map_size} "
                    f"{self.height_map_shape}"
                )
            values["height_map"] = hm
        parts = {t: self._term(t, values) for t in self.terms}
        out = np.empty(self.size, dtype=np.float32)
        pos = 0
        for t in self.terms:
            out[pos : pos + parts[t].size] = parts[t]
            pos += parts[t].size
        if self.history_length:
            frame = np.concatenate([parts[t] for t in self.history_terms])
            if self._history is None:
                self._history = np.tile(frame, (self.history_length, 1))
            else:
                self._history = np.vstack([self._history[1:], frame[None, :]])
            out[pos:] = self._history.reshape(-1)
        return out


# ---------------------------------------------------------------------------------- batched
def rpy_from_quat_batch(q_wxyz: np.ndarray) -> np.ndarray:
    """`rpy_from_quat` for (N, 4) quaternions -> (N, 3); same formula, for training."""
    w, x, y, z = (q_wxyz[:, i] for i in range(4))
    roll = np.arctan2(2 * (w * x + y * z), 1 - 2 * (x * x + y * y))
    sinp = np.clip(2 * (w * y - z * x), -1.0, 1.0)
    pitch = np.arcsin(sinp)
    yaw = np.arctan2(2 * (w * z + x * y), 1 - 2 * (y * y + z * z))
    return np.stack([roll, pitch, yaw], axis=1)


def rotate_inverse_batch(q_wxyz: np.ndarray, v: np.ndarray) -> np.ndarray:
    """`rotate_inverse` for (..., 4) quaternions and (..., 3) world vectors, broadcast against
    each other (e.g. (N, 1, 4) robots with (N, P, 3) points) -> body frame."""
    w = q_wxyz[..., :1]
    u = q_wxyz[..., 1:]
    dot = np.sum(u * v, axis=-1, keepdims=True)
    return v * (2 * w * w - 1) - np.cross(u, v) * w * 2 + u * dot * 2


def turn_about_z_batch(q_wxyz: np.ndarray, yaw: np.ndarray) -> np.ndarray:
    """(N, 4) orientations `q_wxyz` turned by `yaw` (N,) about their own z axis: q * qz(yaw), the
    frame of a body on a yaw hinge (the H1's torso on its pelvis)."""
    c, s = np.cos(yaw / 2), np.sin(yaw / 2)
    w, x, y, z = (q_wxyz[:, i] for i in range(4))
    return np.stack([w * c - z * s, x * c + y * s, y * c - x * s, z * c + w * s], axis=1)


class BatchObservationBuilder:
    """The same policy input as `ObservationBuilder`, for N robots at once (training).

    Layout, scales and clips come from the one `ObservationBuilder` built from the same config, so
    a trained policy sees exactly what the deployed node will feed it (a unit test checks that the
    two give identical vectors step after step). `noise` adds uniform noise per term (half-widths,
    before scaling) as the training recipe asks; deployment never adds noise.
    """

    def __init__(self, config: LocoConfig, num_envs: int) -> None:
        self.single = ObservationBuilder(config)
        self.num_envs = num_envs
        self.size = self.single.size
        self._history: np.ndarray | None = None  # (N, history_length, frame_size)

    def reset(self, env_ids: np.ndarray | None = None) -> None:
        """Forget the history of these envs (all when None): their next frame fills it."""
        if env_ids is None or self._history is None:
            self._history = None
            return
        self._fresh[env_ids] = True

    def build(
        self,
        *,
        joint_pos: np.ndarray,
        joint_vel: np.ndarray,
        quat_wxyz: np.ndarray,
        ang_vel: np.ndarray,
        command: np.ndarray,
        last_action: np.ndarray,
        lin_vel: np.ndarray | None = None,
        height_map: np.ndarray | None = None,
        noise: dict[str, float] | None = None,
        rng: np.random.Generator | None = None,
    ) -> np.ndarray:
        """(N, size) float32 policy inputs; advances every env's history by one frame."""
        b = self.single
        n = self.num_envs
        values: dict[str, np.ndarray] = {
            "base_lin_vel": np.zeros((n, 3)) if lin_vel is None else lin_vel,
            "base_ang_vel": ang_vel,
            "projected_gravity": rotate_inverse_batch(quat_wxyz, np.array([0.0, 0.0, -1.0])),
            "base_rpy": rpy_from_quat_batch(quat_wxyz),
            "velocity_command": command,
            "joint_pos_rel": joint_pos - b.default_pos,
            "joint_vel_rel": joint_vel,
            "last_action": last_action,
        }
        if b.height_map_shape is not None:
            if height_map is None:
                raise ValueError("this observation needs a height map")
            hm = np.asarray(height_map, dtype=np.float64).reshape(n, -1)
            if hm.shape[1] != b.height_map_size:
                raise ValueError(
                    f"height map has {hm.shape[1]} cells, the policy expects {b.height_map_size}"
                )
            values["height_map"] = hm
        parts: dict[str, np.ndarray] = {}
        for t in b.terms:
            raw = np.asarray(values[t], dtype=np.float64)
            if noise and rng is not None and noise.get(t, 0.0) > 0:
                raw = raw + rng.uniform(-noise[t], noise[t], size=raw.shape)
            parts[t] = b._term(t, {t: raw})  # the deployed scale and clip
        obs = np.empty((n, self.size), dtype=np.float32)
        pos = 0
        for t in b.terms:
            width = parts[t].shape[1]
            obs[:, pos : pos + width] = parts[t]
            pos += width
        if b.history_length:
            frame = np.concatenate([parts[t] for t in b.history_terms], axis=1)
            if self._history is None:
                self._history = np.repeat(frame[:, None, :], b.history_length, axis=1)
                self._fresh = np.zeros(n, dtype=bool)
            else:
                self._history[:, :-1] = self._history[:, 1:]
                self._history[:, -1] = frame
                if self._fresh.any():
                    self._history[self._fresh] = frame[self._fresh][:, None, :]
                    self._fresh[:] = False
            obs[:, pos:] = self._history.reshape(n, -1)
        return obs
