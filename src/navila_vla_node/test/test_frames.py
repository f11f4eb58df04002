"""Frame sampling against NaVILA's own definition, and the time-gated frame history."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from navila_vla_node.frames import FrameHistory, sample_frames, sample_indices
from navila_vla_node.types import Frame


def navila_reference(frames: list, num_frames: int = 8) -> list:
    """NaVILA's `sample_and_pad_images`, transcribed: pad front with black, linspace, current."""
    frames = copy.copy(frames)
    while len(frames) < num_frames:
        frames.insert(0, "black")
    latest = frames[-1]
    idx = np.linspace(0, len(frames) - 1, num=num_frames - 1, endpoint=False, dtype=int)
    return [frames[i] for i in idx] + [latest]


@pytest.mark.parametrize("n", range(1, 51))
def test_sampling_matches_navila(n: int) -> None:
    history = list(range(n))
    ours = ["black" if i is None else history[i] for i in sample_indices(n)]
    assert ours == navila_reference(history)
    assert len(ours) == 8 and ours[-1] == n - 1  # current frame always last
    assert ours[ours.count("black")] == 0  # the first real frame is always kept
    assert ours.count("black") == max(0, 8 - n)  # black padding only at the front
    assert all(isinstance(i, int) for i in ours if i != "black")


def test_sampling_known_values() -> None:
    assert sample_indices(1) == [None] * 7 + [0]
    assert sample_indices(8) == list(range(8))
    assert sample_indices(15) == [0, 2, 4, 6, 8, 10, 12, 14]
    assert sample_indices(50) == [0, 7, 14, 21, 28, 35, 42, 49]
    assert sample_indices(0) == [None] * 8
    with pytest.raises(ValueError):
        sample_indices(3, num_frames=1)


def frame(i: int, t: float) -> Frame:
    return Frame(i, t, np.full((4, 6, 3), i % 255, dtype=np.uint8))


def test_history_interval_reset_and_current_frame() -> None:
    h = FrameHistory(interval_s=0.5)
    assert h.sample()[0].is_black and len(h.sample()) == 8
    for k in range(10):  # a camera at 10 Hz for 1 s: entries at 0.0, 0.5
        h.observe(frame(k + 1, k * 0.1), k * 0.1)
    assert [f.frame_id for f in h.sequence()] == [1, 6, 10]  # two entries + the current one
    s = h.sample()
    assert [f.frame_id for f in s[-3:]] == [1, 6, 10] and all(f.is_black for f in s[:5])
    assert s[0].rgb.shape == (4, 6, 3) and not s[0].rgb.any()
    h.observe(frame(11, 1.0), 1.0)  # 0.5 s after the last entry: enters, is also current
    assert [f.frame_id for f in h.sequence()] == [1, 6, 11]
    h.reset()  # new instruction: history restarts from the current image
    assert [f.frame_id for f in h.sequence()] == [11]
    h.reset(keep_latest=False)
    assert h.sequence() == [] and h.latest is None


def test_history_is_bounded_by_thinning() -> None:
    h = FrameHistory(interval_s=0.0, max_frames=10)
    for k in range(1, 40):
        h.observe(frame(k, float(k)), float(k))
    seq = h.sequence()
    assert len(seq) <= 11 and seq[0].frame_id == 1 and seq[-1].frame_id == 39
    assert h.stats().thinned > 0
    ids = [f.frame_id for f in seq]
    assert ids == sorted(ids)


def test_sample_frames_pads_with_black_of_the_camera_shape() -> None:
    hist = [frame(1, 0.0), frame(2, 0.5)]
    s = sample_frames(hist)
    assert [f.frame_id for f in s] == [-1] * 6 + [1, 2]
    assert s[0].rgb.shape == (4, 6, 3)
