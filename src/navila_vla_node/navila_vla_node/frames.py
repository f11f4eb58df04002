"""Frame history and NaVILA's frame sampling.

NaVILA's definition (its `sample_and_pad_images`): the history is every frame observed so far in
the episode plus the current one. With fewer than N (8) frames, black frames are inserted at the
front until there are N. Then 7 = N-1 indices `linspace(0, n-1, N-1, endpoint=False)` cast to int
are taken from the (padded) history and the current frame is appended: the first frame is always
kept and the current frame is always last. In the Isaac benchmark a frame enters the history every
0.5 s; that interval is a parameter here.

Pure Python/NumPy (no torch, no rclpy): unit-tested against NumPy's linspace for n = 1..50.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from navila_vla_node.types import BLACK_FRAME_ID, Frame

NUM_FRAMES = 8


def sample_indices(n: int, num_frames: int = NUM_FRAMES) -> list[int | None]:
    """Indices into a history of `n` frames (current frame last), `None` = a black pad frame.

    Exactly NaVILA's arithmetic: pad to `num_frames` at the front, then
    `np.linspace(0, len-1, num_frames-1, endpoint=False, dtype=int)` and the last index.
    """
    if num_frames < 2:
        raise ValueError("num_frames must be >= 2 (history samples plus the current frame)")
    if n < 0:
        raise ValueError("n must be >= 0")
    if n == 0:
        return [None] * num_frames
    pad = max(0, num_frames - n)
    total = n + pad
    picks = np.linspace(0, total - 1, num=num_frames - 1, endpoint=False, dtype=int).tolist()
    picks.append(total - 1)
    return [None if i < pad else int(i - pad) for i in picks]


def black_frame(shape: tuple[int, int] = (384, 384)) -> Frame:
    """NaVILA pads with black RGB images; after resizing any black image is the same input."""
    return Frame(BLACK_FRAME_ID, 0.0, np.zeros((shape[0], shape[1], 3), dtype=np.uint8))


def sample_frames(history: Sequence[Frame], num_frames: int = NUM_FRAMES) -> list[Frame]:
    """NaVILA's sampled frames from `history` (oldest first, current last), black-padded."""
    shape = history[-1].rgb.shape[:2] if history else (384, 384)
    pad = black_frame(shape)
    return [pad if i is None else history[i] for i in sample_indices(len(history), num_frames)]


@dataclass
class HistoryStats:
    frames: int
    thinned: int
    last_entry: float | None


class FrameHistory:
    """Frames of the current episode: one enters every `interval_s`; the latest is the current one.

    `observe` is called for every camera image. The history gets a new entry when `interval_s` has
    passed since the last entry (the first image of an episode always enters). `sequence()` is the
    history plus the latest image when that image is newer than the last entry: NaVILA's "every
    frame observed so far plus the current one".

    Memory is bounded: past `max_frames` entries, every second entry (never the first) is dropped,
    so the history keeps spanning the whole episode at half the density. NaVILA keeps everything;
    its episodes are minutes long, so the default bound (2400 = 20 min at 2 Hz) is rarely reached,
    and when it is the status says so (`thinned`).
    """

    def __init__(self, interval_s: float = 0.5, max_frames: int = 2400) -> None:
        if interval_s < 0:
            raise ValueError("interval_s must be >= 0")
        if max_frames < NUM_FRAMES:
            raise ValueError(f"max_frames must be >= {NUM_FRAMES}")
        self.interval_s = interval_s
        self.max_frames = max_frames
        self._entries: list[Frame] = []
        self._latest: Frame | None = None
        self._last_entry_t: float | None = None
        self._thinned = 0

    def reset(self, keep_latest: bool = True) -> None:
        """A new episode: the history empties; the latest image stays the current observation."""
        self._entries = []
        self._last_entry_t = None
        self._thinned = 0
        if not keep_latest:
            self._latest = None
        elif self._latest is not None:
            self._add_entry(self._latest, self._latest.stamp)

    def observe(self, frame: Frame, now: float) -> bool:
        """A camera image arrives at time `now`. Returns whether it entered the history."""
        self._latest = frame
        if self._last_entry_t is None or now - self._last_entry_t >= self.interval_s - 1e-9:
            self._add_entry(frame, now)
            return True
        if now < self._last_entry_t:  # clock went backwards (sim reset): restart the cadence
            self._last_entry_t = now
        return False

    def _add_entry(self, frame: Frame, now: float) -> None:
        self._entries.append(frame)
        self._last_entry_t = now
        if len(self._entries) > self.max_frames:
            head, rest = self._entries[0], self._entries[1:]
            self._entries = [head, *rest[1::2]]
            self._thinned += 1

    @property
    def latest(self) -> Frame | None:
        return self._latest

    def sequence(self) -> list[Frame]:
        """History plus the current image (if it did not already enter as the last entry)."""
        seq = list(self._entries)
        if self._latest is not None and (not seq or seq[-1].frame_id != self._latest.frame_id):
            seq.append(self._latest)
        return seq

    def sample(self, num_frames: int = NUM_FRAMES) -> list[Frame]:
        return sample_frames(self.sequence(), num_frames)

    def stats(self) -> HistoryStats:
        return HistoryStats(len(self._entries), self._thinned, self._last_entry_t)
