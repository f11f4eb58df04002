"""VLN-CE metrics against hand-computed trajectories."""

from __future__ import annotations

import math

import numpy as np
import pytest

from navila_sim.metrics import (
    aggregate,
    densify,
    dtw,
    episode_metrics,
    path_length,
    resample_by_distance,
)


def brute_dtw(p, r) -> float:
    p, r = np.asarray(p, float), np.asarray(r, float)
    d = np.full((len(p) + 1, len(r) + 1), np.inf)
    d[0, 0] = 0.0
    for i in range(1, len(p) + 1):
        for j in range(1, len(r) + 1):
            c = np.linalg.norm(p[i - 1] - r[j - 1])
            d[i, j] = c + min(d[i - 1, j], d[i, j - 1], d[i - 1, j - 1])
    return float(d[-1, -1])


def test_dtw_hand_example() -> None:
    # costs [[0,2],[1,1],[2,0]] -> best warping 0 + 1 + 0 = 1
    assert dtw(np.array([[0, 0], [1, 0], [2, 0]]), np.array([[0, 0], [2, 0]])) == pytest.approx(1.0)


def test_dtw_matches_brute_force_on_random_paths() -> None:
    rng = np.random.default_rng(3)
    for _ in range(30):
        p = rng.normal(size=(rng.integers(1, 25), 2))
        r = rng.normal(size=(rng.integers(1, 25), 2))
        assert dtw(p, r) == pytest.approx(brute_dtw(p, r), rel=1e-9, abs=1e-12)


def test_densify_keeps_ends_and_spacing() -> None:
    ref = densify([[0, 0], [1, 0], [1, 1.1]])
    assert np.allclose(ref[0], [0, 0]) and np.allclose(ref[-1], [1, 1.1])
    assert np.linalg.norm(np.diff(ref, axis=0), axis=1).max() <= 0.25 + 1e-12
    assert path_length(ref) == pytest.approx(2.1)


def test_perfect_episode() -> None:
    ref = [[0, 0], [4, 0]]
    path = densify(ref)  # walk exactly the dense reference
    m = episode_metrics(path, goal=[4, 0], stopped=True, reference=ref)
    assert (m.ne, m.sr, m.osr, m.spl, m.ndtw, m.sdtw) == (0.0, 1.0, 1.0, 1.0, 1.0, 1.0)
    assert m.path_length == pytest.approx(4.0) and m.steps == 16


def test_success_needs_stop_and_strict_radius() -> None:
    path = [[0, 0], [5, 0], [7, 0]]
    m = episode_metrics(path, goal=[10, 0], stopped=False)
    assert m.ne == 3.0 and m.sr == 0.0 and m.osr == 0.0  # 3.0 is not < 3.0
    m = episode_metrics([[0, 0], [5, 0], [7.5, 0]], goal=[10, 0], stopped=False)
    assert m.sr == 0.0 and m.osr == 1.0  # never stopped: fails
    m = episode_metrics([[0, 0], [5, 0], [7.5, 0]], goal=[10, 0], stopped=True)
    assert m.sr == 1.0 and m.ne == 2.5


def test_osr_counts_the_start_and_overshoot() -> None:
    m = episode_metrics([[9, 0], [0, 0]], goal=[10, 0], stopped=True)
    assert m.osr == 1.0 and m.sr == 0.0 and m.spl == 0.0


def test_spl_hand_computed() -> None:
    # d0 = 10 (straight), detour walked: 0->(5,5)->(10,0): 2*sqrt(50) = 14.142
    m = episode_metrics([[0, 0], [5, 5], [10, 0]], goal=[10, 0], stopped=True)
    assert m.spl == pytest.approx(10 / (2 * math.sqrt(50)))
    # with a reference, d0 is the reference length (the shortest path), here 12
    m = episode_metrics(
        [[0, 0], [5, 5], [10, 0]],
        goal=[10, 0],
        stopped=True,
        reference=[[0, 0], [0, 2], [10, 2], [10, 0]],
    )
    assert m.spl == pytest.approx(14 / (2 * math.sqrt(50)))


def test_ndtw_hand_computed() -> None:
    ref = [[0, 0], [0.25, 0]]  # already dense: 2 points
    path = [[0, 1], [0.25, 1]]  # parallel, 1 m off: DTW = 1 + 1 = 2
    m = episode_metrics(path, goal=[0.25, 0], stopped=True, reference=ref)
    assert m.ndtw == pytest.approx(math.exp(-2 / (2 * 3.0)))
    assert m.sdtw == pytest.approx(m.ndtw)


def test_aggregate_and_bad_input() -> None:
    a = episode_metrics([[0, 0], [1, 0]], goal=[1, 0], stopped=True)
    b = episode_metrics([[0, 0], [0, 0]], goal=[10, 0], stopped=True)
    agg = aggregate([a, b])
    assert agg["sr"] == 0.5 and agg["episodes"] == 2 and agg["ne"] == pytest.approx(5.0)
    assert math.isnan(agg["ndtw"])  # no references given
    with pytest.raises(ValueError):
        episode_metrics([], goal=[0, 0], stopped=True)
    with pytest.raises(ValueError):
        episode_metrics([[0, float("nan")]], goal=[0, 0], stopped=True)


def test_ndtw_of_densely_sampled_odometry_along_the_reference_is_near_one() -> None:
    ref = [[0, 0], [5, 0]]
    odom = np.stack([np.linspace(0, 5, 1001), np.zeros(1001)], axis=1)  # 5 mm apart, like 50 Hz
    assert len(resample_by_distance(odom)) == 21
    m = episode_metrics(odom, goal=[5, 0], stopped=True, reference=ref)
    assert m.ndtw > 0.99 and m.steps == 1000
