"""Episodes: scene, start pose, instruction, reference path and goal, with VLN-CE field names.

A file is JSON `{"episodes": [...]}` where each episode carries VLN-CE's fields: episode_id,
scene_id, start_position, start_rotation (quaternion x, y, z, w), goals [{position, radius}],
reference_path, instruction.instruction_text. One difference on purpose: positions are ROS
z-up metres in the scene frame (Habitat's are y-up), so they feed the sim and /odom directly.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

EPISODE_DIR = Path(__file__).resolve().parent / "episodes"


class EpisodeError(ValueError):
    """An episode that cannot be used; the message names the episode and field."""


@dataclass(frozen=True)
class Episode:
    episode_id: str
    scene_id: str
    start_position: tuple[float, float, float]
    start_rotation: tuple[float, float, float, float]  # x, y, z, w
    instruction_text: str
    reference_path: tuple[tuple[float, float, float], ...]
    goal_position: tuple[float, float, float]
    goal_radius: float

    @property
    def start_yaw(self) -> float:
        x, y, z, w = self.start_rotation
        return math.atan2(2 * (w * z + x * y), 1 - 2 * (y * y + z * z))

    def to_dict(self) -> dict[str, Any]:
        return {
            "episode_id": self.episode_id,
            "scene_id": self.scene_id,
            "start_position": list(self.start_position),
            "start_rotation": list(self.start_rotation),
            "instruction": {"instruction_text": self.instruction_text},
            "reference_path": [list(p) for p in self.reference_path],
            "goals": [{"position": list(self.goal_position), "radius": self.goal_radius}],
        }


def _vec(value: Any, n: int, where: str) -> tuple[float, ...]:
    try:
        vals = tuple(float(v) for v in value)
    except (TypeError, ValueError):
        raise EpisodeError(f"{where}: expected {n} numbers, got {value!r}") from None
    if len(vals) != n or not all(math.isfinite(v) for v in vals):
        raise EpisodeError(f"{where}: expected {n} finite numbers, got {value!r}")
    return vals


def parse_episode(raw: Any) -> Episode:
    """Validate one episode mapping. Raises EpisodeError naming the bad field."""
    if not isinstance(raw, dict):
        raise EpisodeError("an episode must be a JSON object")
    eid = str(raw.get("episode_id", "")).strip()
    if not eid:
        raise EpisodeError("episode without episode_id")
    where = f"episode {eid}"
    scene = str(raw.get("scene_id", "")).strip()
    if not scene:
        raise EpisodeError(f"{where}: scene_id missing")
    start = _vec(raw.get("start_position"), 3, f"{where}.start_position")
    rot = _vec(raw.get("start_rotation", [0, 0, 0, 1]), 4, f"{where}.start_rotation")
    norm = math.sqrt(sum(v * v for v in rot))
    if not 0.99 < norm < 1.01:
        raise EpisodeError(f"{where}.start_rotation: not a unit quaternion (norm {norm:.3f})")
    instruction = raw.get("instruction", {})
    text = instruction.get("instruction_text", "") if isinstance(instruction, dict) else ""
    if not str(text).strip():
        raise EpisodeError(f"{where}: instruction.instruction_text missing")
    path = tuple(
        _vec(p, 3, f"{where}.reference_path[{i}]")
        for i, p in enumerate(raw.get("reference_path", []) or [])
    )
    if len(path) < 2:
        raise EpisodeError(f"{where}: reference_path needs at least 2 points")
    goals = raw.get("goals") or []
    if not goals or not isinstance(goals[0], dict):
        raise EpisodeError(f"{where}: goals[0] missing")
    goal = _vec(goals[0].get("position"), 3, f"{where}.goals[0].position")
    radius = float(goals[0].get("radius", 3.0))
    if not (math.isfinite(radius) and radius > 0):
        raise EpisodeError(f"{where}.goals[0].radius must be > 0")
    return Episode(
        eid,
        scene,
        start,
        rot,
        str(text).strip(),
        path,
        goal,
        radius,  # type: ignore[arg-type]
    )


def load_episodes(path: str | Path | None = None) -> list[Episode]:
    """All episodes of a file (default: the shipped navila_sim_val.json)."""
    p = Path(path) if path else EPISODE_DIR / "navila_sim_val.json"
    with open(p) as fh:
        doc = json.load(fh)
    raw = doc.get("episodes") if isinstance(doc, dict) else None
    if not isinstance(raw, list) or not raw:
        raise EpisodeError(f"{p}: expected a JSON object with a non-empty 'episodes' list")
    episodes = [parse_episode(e) for e in raw]
    ids = [e.episode_id for e in episodes]
    if len(set(ids)) != len(ids):
        raise EpisodeError(f"{p}: duplicate episode ids")
    return episodes
