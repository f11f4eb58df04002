"""legged-loco observation layouts, pinned slot by slot (Go2 vision 909, Go2 blind, H1 256)."""

from __future__ import annotations

import numpy as np
import pytest

from navila_loco_node.observation import (
    ObservationBuilder,
    projected_gravity,
    rpy_from_quat,
)

from .conftest import robot_config

PROPRIO = ["base_ang_vel", "base_rpy", "velocity_command", "joint_pos_rel", "joint_vel_rel",
           "last_action"]  # fmt: skip


def slots(builder: ObservationBuilder) -> dict[str, tuple[int, int]]:
    return {s.name: (s.start, s.stop) for s in builder.layout()}


def build(b: ObservationBuilder, cfg, **kw):
    n = cfg.joints.n
    args = {
        "joint_pos": np.asarray(cfg.joints.default_pos),
        "joint_vel": np.zeros(n),
        "quat_wxyz": np.array([1.0, 0, 0, 0]),
        "ang_vel": np.zeros(3),
        "command": np.zeros(3),
        "last_action": np.zeros(n),
        "height_map": np.zeros(b.height_map_size) if b.height_map_size else None,
    }
    args.update(kw)
    return b.build(**args)


def test_go2_vision_layout_is_909() -> None:
    b = ObservationBuilder(robot_config("go2"))
    assert b.size == 909 and b.frame_size == 45 and b.height_map_size == 459
    s = slots(b)
    assert s["base_ang_vel"] == (0, 3)
    assert s["base_rpy"] == (3, 6)
    assert s["velocity_command"] == (6, 9)
    assert s["joint_pos_rel"] == (9, 21)
    assert s["joint_vel_rel"] == (21, 33)
    assert s["last_action"] == (33, 45)
    assert s["height_map"] == (45, 504)
    assert s["history[0].base_ang_vel"] == (504, 507)  # oldest frame right after the map
    assert s["history[8].last_action"] == (897, 909)  # the newest frame ends the vector
    assert len(b.layout()) == 7 + 9 * 6


def test_go2_history_order_oldest_first_current_last() -> None:
    cfg = robot_config("go2")
    b = ObservationBuilder(cfg)
    first = build(b, cfg, ang_vel=np.array([1.0, 0, 0]))
    # After a reset the whole history is copies of the first frame (legged-loco get_observations).
    hist = first[504:].reshape(9, 45)
    assert np.all(hist[:, 0] == 1.0)
    for k in range(2, 12):
        out = build(b, cfg, ang_vel=np.array([float(k), 0, 0]))
    hist = out[504:].reshape(9, 45)
    assert hist[:, 0].tolist() == [float(k) for k in range(3, 12)]  # oldest .. current
    assert np.array_equal(hist[-1], out[:45])  # the current proprio frame appears twice
    b.reset()
    again = build(b, cfg, ang_vel=np.array([5.0, 0, 0]))
    assert np.all(again[504:].reshape(9, 45)[:, 0] == 5.0)


def test_go2_term_values() -> None:
    cfg = robot_config("go2")
    b = ObservationBuilder(cfg)
    q = np.asarray(cfg.joints.default_pos) + 0.1
    hm = np.arange(459, dtype=float) / 100.0
    hm[3] = 50.0  # clipped to 10 (legged-loco clips the lidar height map at +-10)
    out = build(
        b, cfg, joint_pos=q, joint_vel=np.full(12, 2.0), command=np.array([0.5, 0, 0.3]),
        last_action=np.arange(12.0), height_map=hm, ang_vel=np.array([0.1, 0.2, 0.3]),
    )  # fmt: skip
    np.testing.assert_allclose(out[0:3], [0.1, 0.2, 0.3], atol=1e-6)
    np.testing.assert_allclose(out[6:9], [0.5, 0, 0.3], atol=1e-6)
    np.testing.assert_allclose(out[9:21], 0.1, atol=1e-6)
    np.testing.assert_allclose(out[21:33], 2.0)
    np.testing.assert_allclose(out[33:45], np.arange(12.0))
    assert out[45 + 3] == 10.0 and out[45 + 4] == pytest.approx(0.04)
    assert out.dtype == np.float32


def test_go2_blind_layout() -> None:
    cfg = robot_config(
        "go2",
        **{"observation.terms": PROPRIO, "observation.scales": [1.0] * 6,
           "observation.clips": [0.0] * 6},
    )  # fmt: skip
    b = ObservationBuilder(cfg)
    assert b.size == 45 + 9 * 45 == 450 and b.height_map_size == 0
    assert slots(b)["history[0].base_ang_vel"] == (45, 48)


def test_h1_layout_is_256_without_history() -> None:
    cfg = robot_config("h1")
    b = ObservationBuilder(cfg)
    assert b.size == 256 and b.height_map_size == 187
    s = slots(b)
    assert s["base_lin_vel"] == (0, 3)
    assert s["base_ang_vel"] == (3, 6)
    assert s["projected_gravity"] == (6, 9)
    assert s["velocity_command"] == (9, 12)
    assert s["joint_pos_rel"] == (12, 31)
    assert s["joint_vel_rel"] == (31, 50)
    assert s["last_action"] == (50, 69)
    assert s["height_map"] == (69, 256)
    out = build(b, cfg, height_map=np.full(187, 3.0), lin_vel=np.array([0.4, 0, 0]))
    np.testing.assert_allclose(out[6:9], [0, 0, -1], atol=1e-6)  # level: gravity straight down
    np.testing.assert_allclose(out[0:3], [0.4, 0, 0], atol=1e-6)
    assert np.all(out[69:] == 1.0)  # height scan clipped to +-1 as in training


def test_scales_come_from_config() -> None:
    cfg = robot_config("go2", **{"observation.scales": [0.25, 1, 1, 1, 0.05, 1, 1]})
    b = ObservationBuilder(cfg)
    out = build(b, cfg, ang_vel=np.array([4.0, 0, 0]), joint_vel=np.full(12, 20.0))
    assert out[0] == 1.0 and out[21] == pytest.approx(1.0)


def test_wrong_height_map_size_is_an_error() -> None:
    cfg = robot_config("go2")
    with pytest.raises(ValueError, match="459"):
        build(ObservationBuilder(cfg), cfg, height_map=np.zeros(100))


def test_unknown_term_and_preset_rejected() -> None:
    with pytest.raises(ValueError, match="unknown observation term"):
        ObservationBuilder(robot_config("go2", **{"observation.terms": ["foo"] * 7}))
    with pytest.raises(ValueError, match="preset"):
        ObservationBuilder(robot_config("go2", **{"observation.height_map_preset": "nope"}))


def test_orientation_terms() -> None:
    level = np.array([1.0, 0, 0, 0])
    np.testing.assert_allclose(rpy_from_quat(level), 0.0)
    a = 0.3  # roll by 0.3 rad about x
    q = np.array([np.cos(a / 2), np.sin(a / 2), 0, 0])
    np.testing.assert_allclose(rpy_from_quat(q), [a, 0, 0], atol=1e-9)
    np.testing.assert_allclose(projected_gravity(q), [0, -np.sin(a), -np.cos(a)], atol=1e-9)
    yaw = np.array([np.cos(0.5), 0, 0, np.sin(0.5)])  # yaw 1 rad: gravity unchanged
    np.testing.assert_allclose(projected_gravity(yaw), [0, 0, -1], atol=1e-9)
    np.testing.assert_allclose(rpy_from_quat(yaw), [0, 0, 1.0], atol=1e-9)


def test_batch_builder_matches_the_deployed_builder_step_by_step() -> None:
    """Training (batched) and deployment (one robot) must produce identical inputs, history
    included, also after one env is reset mid-way."""
    from navila_loco_node.observation import BatchObservationBuilder, ObservationBuilder

    cfg = robot_config("go2")
    n = 3
    batch = BatchObservationBuilder(cfg, n)
    singles = [ObservationBuilder(cfg) for _ in range(n)]
    rng = np.random.default_rng(0)
    for step in range(12):
        q = rng.normal(size=(n, 4))
        q /= np.linalg.norm(q, axis=1, keepdims=True)
        inputs = {
            "joint_pos": rng.normal(size=(n, 12)),
            "joint_vel": rng.normal(size=(n, 12)),
            "quat_wxyz": q,
            "ang_vel": rng.normal(size=(n, 3)),
            "command": rng.normal(size=(n, 3)),
            "last_action": rng.normal(size=(n, 12)),
            "height_map": rng.normal(scale=5.0, size=(n, 459)),
        }
        if step == 7:
            batch.reset(np.array([1]))
            singles[1].reset()
        got = batch.build(**inputs)
        for i in range(n):
            want = singles[i].build(**{k: v[i] for k, v in inputs.items()})
            np.testing.assert_allclose(got[i], want, rtol=1e-6, atol=1e-6)
