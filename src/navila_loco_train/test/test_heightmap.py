"""Training height maps: the footprint lattice and the batched builder give the maps a plain
per-robot build over the wide square of terrain points gives (the simple, obviously-right way,
and the Isaac Lab ray pattern's)."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from heightmap_node.builder import build_height_map
from heightmap_node.config import builder_config_from_params, load_params_file
from heightmap_node.transforms import level_matrix
from navila_loco_node.observation import rotate_inverse_batch, rpy_from_quat_batch
from navila_loco_train.heightmap import SCAN_HALF_M, SCAN_SPACING_M, HeightMapSampler
from navila_loco_train.task_spec import TerrainSpec
from navila_loco_train.terrain import make_terrain

from .conftest import CONFIG_DIR


def square_lattice_maps(hm: HeightMapSampler, terrain, pos, quat, spacing, half):
    k = np.arange(np.floor(-half / spacing), np.ceil(half / spacing) + 1) * spacing
    gx, gy = np.meshgrid(k, k, indexing="ij")
    out = []
    for p, q in zip(pos, quat, strict=True):
        yaw = np.arctan2(2 * (q[0] * q[3] + q[1] * q[2]), 1 - 2 * (q[2] ** 2 + q[3] ** 2))
        c, s = np.cos(yaw), np.sin(yaw)
        wx = p[0] + c * gx.ravel() - s * gy.ravel()
        wy = p[1] + s * gx.ravel() + c * gy.ravel()
        world = np.stack([wx, wy, terrain.height_at(wx, wy)], axis=1) - p
        base = rotate_inverse_batch(q[None, :], world)
        a = hm.base_to_grid
        out.append(build_height_map((base @ a[:3, :3].T + a[:3, 3]).astype(np.float32), hm.cfg))
    return np.stack(out)


def robots_on(terrain, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(pos, quat) of n robots standing on the terrain, headings all round, tilted up to ~10 deg."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(1.0, 7.0, size=(n, 2))
    pos = np.column_stack([xy, terrain.height_at(xy[:, 0], xy[:, 1]) + rng.uniform(0.25, 0.4, n)])
    yaw = rng.uniform(-np.pi, np.pi, n)
    roll, pitch = rng.uniform(-0.17, 0.17, (2, n))
    cy, sy, cr, sr, cp, sp = (f(a / 2) for a in (yaw, roll, pitch) for f in (np.cos, np.sin))
    quat = np.column_stack(
        [cr * cp * cy + sr * sp * sy, sr * cp * cy - cr * sp * sy,
         cr * sp * cy + sr * cp * sy, cr * cp * sy - sr * sp * cy]
    )  # fmt: skip
    return pos, quat


def test_footprint_lattice_gives_the_wide_square_maps() -> None:
    terrain = make_terrain(TerrainSpec(types=("steps", "boxes"), levels=3, tile_m=4.0), seed=3)
    hm = HeightMapSampler(CONFIG_DIR / "go2.yaml")
    n = 24
    pos, quat = robots_on(terrain, n, seed=0)
    got = hm.sample(terrain, pos, quat)
    want = square_lattice_maps(hm, terrain, pos, quat, SCAN_SPACING_M, SCAN_HALF_M)
    assert got.shape == (n, 459) and np.mean(got > 0) > 0.9  # the ground is seen everywhere
    np.testing.assert_allclose(got, want, atol=2e-6)  # float32 vs float64 point arithmetic


def test_threaded_sampling_gives_the_same_maps_bit_for_bit() -> None:
    """Chunks on a thread pool, LiDAR thinning included: same maps as one thread, same seed."""
    terrain = make_terrain(TerrainSpec(types=("steps", "boxes"), levels=3, tile_m=4.0), seed=5)
    n = 150  # 4 chunks of >= 32 robots
    pos, quat = robots_on(terrain, n, seed=1)
    r_ref = np.random.default_rng(2).uniform(0.3, 0.8, n).astype(np.float32)
    one = HeightMapSampler(CONFIG_DIR / "go2.yaml")
    four = HeightMapSampler(CONFIG_DIR / "go2.yaml", threads=4)
    try:
        maps = []
        for density in (None, r_ref):
            want = one.sample(terrain, pos, quat, density, np.random.default_rng(7))
            got = four.sample(terrain, pos, quat, density, np.random.default_rng(7))
            assert got.shape == (n, 459) and got.dtype == want.dtype
            np.testing.assert_array_equal(got, want)
            maps.append(got)
        assert not np.array_equal(maps[0], maps[1])  # the thinning did thin
    finally:
        four.close()
    with pytest.raises(ValueError, match="threads"):
        HeightMapSampler(CONFIG_DIR / "go2.yaml", threads=0)


def test_a_gravity_aligned_robots_maps_are_levelled_as_heightmap_node_levels_them() -> None:
    """config/h1.yaml deploys with gravity_align: heightmap_node turns the cloud into the base
    frame, levels it with the IMU's roll and pitch (transforms.level_matrix), then grids it.
    Training must do the same, or a leaning torso would see a tilted floor only in training."""
    terrain = make_terrain(TerrainSpec(types=("steps", "boxes"), levels=3, tile_m=4.0), seed=3)
    hm = HeightMapSampler(CONFIG_DIR / "h1.yaml")
    assert hm.gravity_align and not HeightMapSampler(CONFIG_DIR / "go2.yaml").gravity_align
    n = 12
    pos, quat = robots_on(terrain, n, seed=4)
    pos[:, 2] += 0.6  # a pelvis at ~1 m
    got = hm.sample(terrain, pos, quat)
    rpy = rpy_from_quat_batch(quat)
    sp = SCAN_SPACING_M  # the sampler's lattice: the same points, so the same cell minima
    k = np.arange(np.floor(-SCAN_HALF_M / sp), np.ceil(SCAN_HALF_M / sp) + 1) * sp
    gx, gy = np.meshgrid(k, k, indexing="ij")
    want = []
    for p, q, (roll, pitch, yaw) in zip(pos, quat, rpy, strict=True):
        c, s = np.cos(yaw), np.sin(yaw)
        wx = p[0] + c * gx.ravel() - s * gy.ravel()
        wy = p[1] + s * gx.ravel() + c * gy.ravel()
        world = np.stack([wx, wy, terrain.height_at(wx, wy)], axis=1) - p
        base = rotate_inverse_batch(q[None, :], world)  # what the LiDAR cloud is in the base
        a = hm.base_to_grid @ level_matrix(roll, pitch)
        want.append(build_height_map((base @ a[:3, :3].T + a[:3, 3]).astype(np.float32), hm.cfg))
    assert got.shape == (n, 187) and np.ptp(got) > 0.1  # steps and boxes under the robots
    np.testing.assert_allclose(got, np.stack(want), atol=1e-5)
    # Levelled: the same pose upright gives the same map.
    upright = np.column_stack([np.cos(rpy[:, 2] / 2), np.zeros((n, 2)), np.sin(rpy[:, 2] / 2)])
    np.testing.assert_allclose(hm.sample(terrain, pos, upright), got, atol=1e-5)


def test_the_robot_files_map_parameters_reach_training(tmp_path) -> None:
    """heightmap_node builds its map from the preset plus every map parameter the robot file
    sets; training reads the file the same way, so a changed value changes both (a preset alone
    would leave the policy trained on other maps than it is deployed with)."""
    doc = yaml.safe_load((CONFIG_DIR / "go2.yaml").read_text())
    doc["heightmap_node"]["ros__parameters"].update({"max_filter": False, "zero_below": 0.1})
    changed = tmp_path / "go2_changed.yaml"
    changed.write_text(yaml.safe_dump(doc))
    hm = HeightMapSampler(changed)
    want = builder_config_from_params(load_params_file(changed)).map
    assert hm.cfg == want and not hm.cfg.max_filter and hm.cfg.zero_below == 0.1
    terrain = make_terrain(TerrainSpec(types=("steps", "boxes"), levels=3, tile_m=4.0), seed=3)
    pos, quat = robots_on(terrain, 8, seed=0)
    assert not np.array_equal(
        hm.sample(terrain, pos, quat),
        HeightMapSampler(CONFIG_DIR / "go2.yaml").sample(terrain, pos, quat),
    )
    doc["heightmap_node"]["ros__parameters"]["grid"] = {"resolutoin": 0.05}
    changed.write_text(yaml.safe_dump(doc))
    with pytest.raises(ValueError, match="unknown heightmap parameters"):
        HeightMapSampler(changed)  # what the node refuses to start with, training refuses too


def test_a_robot_file_whose_grid_the_policy_cannot_take_is_refused_before_training(
    tmp_path, small_task
) -> None:
    """heightmap_node with another grid would publish maps navila_loco refuses (wrong shape):
    training on them would give a policy that never walks. The env says so at construction."""
    from navila_loco_node.config import load_loco_config
    from navila_loco_train.env import EnvConfig, LocoEnv
    from navila_sim.robot import load_robot

    doc = yaml.safe_load((CONFIG_DIR / "go2.yaml").read_text())
    doc["heightmap_node"]["ros__parameters"]["grid"] = {"resolution": 0.05}
    changed = tmp_path / "go2_fine_grid.yaml"
    changed.write_text(yaml.safe_dump(doc))
    cfg = EnvConfig(num_envs=2, num_threads=1, num_variants=1, robot_config=str(changed))
    with pytest.raises(ValueError, match=r"grid is \d+ x \d+ cells, .* \(17, 27\)"):
        LocoEnv(load_robot("go2"), load_loco_config(changed), small_task, cfg)
