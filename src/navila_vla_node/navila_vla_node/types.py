"""Plain data passed between the frame history, the planner backends, the planner core and the node.

Dataclasses only (no rclpy, no torch), so every backend, test and benchmark shares one vocabulary.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np


@dataclass(frozen=True)
class Frame:
    """One RGB camera image (H x W x 3, uint8, RGB order) with a unique id within the process.

    The id is what the per-frame embedding cache is keyed on: a frame is encoded by the vision
    tower once, however many planning steps sample it. `BLACK_FRAME_ID` marks NaVILA's padding.
    """

    frame_id: int
    stamp: float
    rgb: np.ndarray = field(repr=False, compare=False)

    @property
    def is_black(self) -> bool:
        return self.frame_id == BLACK_FRAME_ID


BLACK_FRAME_ID = -1


@dataclass
class Latency:
    """Where a planning step spent its time (seconds). Zero for stages a backend does not have."""

    preprocess: float = 0.0
    vision: float = 0.0
    projector: float = 0.0
    prefill: float = 0.0
    decode: float = 0.0
    network: float = 0.0
    total: float = 0.0
    frames_encoded: int = 0  # vision-tower passes this step (cache misses)
    frames_cached: int = 0  # frames served from the embedding cache
    prompt_tokens: int = 0
    new_tokens: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class PlanResult:
    """What a backend answered for one planning step.

    `ok` false means the backend failed (timeout, HTTP error, model not loaded...): the planner
    core turns that into a published "stop" with `error` as the reason, never into motion.
    """

    text: str
    ok: bool = True
    error: str | None = None
    latency: Latency = field(default_factory=Latency)
    finish_reason: str = ""  # "stop" (end token), "length" (token limit), "error", ...
    backend: str = ""
    episode_done: bool = False  # backend knows the task is over (direct plan exhausted, oracle)
    detail: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["latency"] = self.latency.to_dict()
        return d


@dataclass(frozen=True)
class Pose2D:
    """Ground-truth planar pose (sim only): metres and radians, REP 103 (x forward, yaw CCW)."""

    x: float
    y: float
    yaw: float


@dataclass(frozen=True)
class PlanRequest:
    """Everything one planning step needs; a snapshot, so the worker thread owns it alone."""

    instruction: str
    frames: tuple[Frame, ...]  # the sampled frames, oldest first, current last (may be empty)
    episode: int
    step: int
    pose: Pose2D | None = None


@runtime_checkable
class PlannerBackend(Protocol):
    """One interface for every planner (NaVILA checkpoint, vLLM, OpenAI-compatible, direct, oracle).

    `plan` may block for a long time (model inference, HTTP); the node calls it on a worker thread.
    `reset` starts a new episode (new instruction); `needs_images` tells the core whether to wait
    for a camera image before planning; `close` frees resources.
    """

    name: str
    needs_images: bool
    num_frames: int

    def plan(self, request: PlanRequest) -> PlanResult: ...

    def reset(self) -> None: ...

    def close(self) -> None: ...
