"""Oracle backend (simulation only): NaVILA-style action text from the ground-truth pose and the
episode's reference path, like R2R-CE's shortest-path follower.

The follower takes atomic steps (forward 25 cm or turn 15 degrees) towards a look-ahead point on
the reference path and says stop within `goal_radius` of the path's end. Consecutive identical
atomic steps are merged (simulated kinematically from the current pose) up to 3: 75 cm / 45
degrees, as in NaVILA's training labels. A pure function of (pose, path, parameters): unit-tested
without ROS, deterministic.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from navila_vla_node.types import Latency, PlanRequest, PlanResult, Pose2D


@dataclass(frozen=True)
class OracleConfig:
    forward_step_m: float = 0.25
    turn_step_deg: float = 15.0
    max_merge: int = 3
    goal_radius_m: float = 0.3
    lookahead_m: float = 0.5

    def __post_init__(self) -> None:
        if self.forward_step_m <= 0 or self.turn_step_deg <= 0 or self.max_merge < 1:
            raise ValueError("oracle steps must be positive and max_merge >= 1")
        if self.goal_radius_m <= 0 or self.lookahead_m <= 0:
            raise ValueError("goal_radius_m and lookahead_m must be positive")


def _wrap(a: float) -> float:
    return (a + math.pi) % (2.0 * math.pi) - math.pi


def _project(path: np.ndarray, p: np.ndarray) -> float:
    """Arc length of the path point closest to p."""
    seg = path[1:] - path[:-1]
    seg_len = np.linalg.norm(seg, axis=1)
    cum = np.concatenate([[0.0], np.cumsum(seg_len)])
    best_d, best_s = math.inf, 0.0
    for i, (a, v, ln) in enumerate(zip(path[:-1], seg, seg_len, strict=True)):
        t = 0.0 if ln < 1e-12 else float(np.clip(np.dot(p - a, v) / (ln * ln), 0.0, 1.0))
        d = float(np.linalg.norm(a + t * v - p))
        if d < best_d - 1e-12:
            best_d, best_s = d, float(cum[i] + t * ln)
    return best_s


def _point_at(path: np.ndarray, s: float) -> np.ndarray:
    seg = path[1:] - path[:-1]
    seg_len = np.linalg.norm(seg, axis=1)
    for a, v, ln in zip(path[:-1], seg, seg_len, strict=True):
        if s <= ln:
            return a + (v * (s / ln) if ln > 1e-12 else 0.0)
        s -= ln
    return path[-1]


def atomic_action(pose: Pose2D, path: np.ndarray, cfg: OracleConfig) -> str:
    """'stop', 'forward', 'left' or 'right' (one 25 cm / 15 degree step)."""
    p = np.array([pose.x, pose.y])
    if float(np.linalg.norm(path[-1] - p)) <= cfg.goal_radius_m:
        return "stop"
    target = _point_at(path, _project(path, p) + cfg.lookahead_m) if len(path) > 1 else path[-1]
    if float(np.linalg.norm(target - p)) < 1e-6:
        target = path[-1]
    err = _wrap(math.atan2(target[1] - p[1], target[0] - p[0]) - pose.yaw)
    if abs(err) > math.radians(cfg.turn_step_deg) / 2.0:
        return "left" if err > 0 else "right"
    return "forward"


def _apply(pose: Pose2D, action: str, cfg: OracleConfig) -> Pose2D:
    if action == "forward":
        return Pose2D(
            pose.x + cfg.forward_step_m * math.cos(pose.yaw),
            pose.y + cfg.forward_step_m * math.sin(pose.yaw),
            pose.yaw,
        )
    turn = math.radians(cfg.turn_step_deg) * (1.0 if action == "left" else -1.0)
    return Pose2D(pose.x, pose.y, _wrap(pose.yaw + turn))


def oracle_text(
    pose: Pose2D, path: Sequence[Sequence[float]], cfg: OracleConfig | None = None
) -> str:
    """NaVILA-style text for the next (merged) action from `pose` along `path` (x, y metres)."""
    cfg = cfg or OracleConfig()
    pts = np.asarray([[float(q[0]), float(q[1])] for q in path], dtype=float)
    if pts.ndim != 2 or len(pts) == 0 or not np.all(np.isfinite(pts)):
        raise ValueError("reference path must be a non-empty list of finite (x, y) points")
    if not all(math.isfinite(v) for v in (pose.x, pose.y, pose.yaw)):
        raise ValueError("pose is not finite")
    first = atomic_action(pose, pts, cfg)
    if first == "stop":
        return "The next action is stop."
    count, cur = 1, _apply(pose, first, cfg)
    while count < cfg.max_merge and atomic_action(cur, pts, cfg) == first:
        count += 1
        cur = _apply(cur, first, cfg)
    if first == "forward":
        cm = round(count * cfg.forward_step_m * 100.0)
        return f"The next action is move forward {cm} cm."
    deg = round(count * cfg.turn_step_deg)
    return f"The next action is turn {first} {deg} degrees."


def load_reference_path(source: str) -> list[tuple[float, float]]:
    """A path from a JSON/YAML file (`reference_path: [[x, y(, z)], ...]`, REP 103 x/y used)."""
    text = Path(source).expanduser().read_text()
    if source.endswith((".yaml", ".yml")):
        import yaml

        data = yaml.safe_load(text)
    else:
        data = json.loads(text)
    if isinstance(data, dict):
        data = data.get("reference_path", data.get("path"))
    if not isinstance(data, list) or not data:
        raise ValueError(f"{source}: no reference_path list")
    return [(float(p[0]), float(p[1])) for p in data]


def path_from_flat(values: Sequence[float]) -> list[tuple[float, float]]:
    """ROS parameters cannot hold nested lists: [x0, y0, x1, y1, ...] -> points."""
    if len(values) % 2 or not values:
        raise ValueError("reference path parameter needs an even, non-zero number of values")
    return [(float(values[i]), float(values[i + 1])) for i in range(0, len(values), 2)]


class OracleBackend:
    needs_images = False
    needs_pose = True
    num_frames = 0

    def __init__(self, path: Sequence[Sequence[float]], cfg: OracleConfig | None = None) -> None:
        self.name = "oracle"
        self.cfg = cfg or OracleConfig()
        self.path = [(float(p[0]), float(p[1])) for p in path]
        if not self.path:
            raise ValueError("oracle backend needs a non-empty reference path")

    def plan(self, request: PlanRequest) -> PlanResult:
        t0 = time.perf_counter()
        if request.pose is None:
            return PlanResult(
                "", False, "no ground-truth pose (/odom) yet", Latency(), "error", self.name
            )
        try:
            text = oracle_text(request.pose, self.path, self.cfg)
        except ValueError as exc:
            return PlanResult("", False, f"oracle: {exc}", Latency(), "error", self.name)
        lat = Latency(total=time.perf_counter() - t0)
        done = text.endswith("stop.")
        return PlanResult(text, True, None, lat, "stop", self.name, episode_done=done)

    def reset(self) -> None:
        pass

    def close(self) -> None:
        pass
