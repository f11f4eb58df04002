"""The left-right mirror (navila_loco_train.symmetry) against the deployed observation builder,
the height map core and the robot models it is derived from."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import yaml

from heightmap_node.builder import build_height_map, go2_map_config, h1_map_config
from navila_loco_node.backends.booster import quat_from_rpy
from navila_loco_node.config import load_loco_config
from navila_loco_node.observation import ObservationBuilder
from navila_loco_train.inputs import input_names
from navila_loco_train.symmetry import (
    Mirror,
    MirrorMap,
    height_map_mirror,
    input_mirror,
    joint_mirror,
    mirror_name,
)
from navila_loco_train.train import load_train_config
from navila_sim.robot import load_robot

from .conftest import CONFIG_DIR


def _loco(robot: str):
    return load_loco_config(CONFIG_DIR / f"{robot}.yaml")


def _joints(robot: str) -> MirrorMap:
    return joint_mirror(load_robot(robot).mjcf_path, list(_loco(robot).joints.names))


def test_side_tokens_swap_and_centre_joints_are_their_own_mirror() -> None:
    assert mirror_name("FL_hip_joint") == "FR_hip_joint"
    assert mirror_name("RR_calf_joint") == "RL_calf_joint"
    assert mirror_name("left_knee_joint") == "right_knee_joint"
    assert mirror_name("Right_Hip_Roll") == "Left_Hip_Roll"
    assert mirror_name("torso_joint") == "torso_joint"
    assert mirror_name("Waist") == "Waist"


def test_go2_joints_swap_sides_and_the_hips_change_sign() -> None:
    names = list(_loco("go2").joints.names)
    mirror = _joints("go2")
    for k, name in enumerate(names):
        assert names[mirror.src[k]] == mirror_name(name)
        assert mirror.sign[k] == (-1.0 if "_hip_" in name else 1.0), name
    default = np.asarray(_loco("go2").joints.default_pos)
    np.testing.assert_allclose(mirror(default), default)  # the default pose is symmetric


@pytest.mark.parametrize("robot", ["go2", "h1"])
def test_derived_signs_agree_with_the_vendor_joint_limits(robot: str) -> None:
    """The signs come from the joint axes; the limits are written independently from vendor
    data: a joint's range, mirrored, is its partner's (e.g. the H1's shoulder roll -0.34..3.11 on
    the left, -3.11..0.34 on the right)."""
    loco = _loco(robot)
    mirror = _joints(robot)
    lo, hi = np.asarray(loco.joints.pos_min), np.asarray(loco.joints.pos_max)
    a, b = mirror.sign * lo[mirror.src], mirror.sign * hi[mirror.src]
    np.testing.assert_allclose(np.minimum(a, b), lo, atol=1e-6)
    np.testing.assert_allclose(np.maximum(a, b), hi, atol=1e-6)
    if robot == "h1":
        names = list(loco.joints.names)
        flips = {n for n, s in zip(names, mirror.sign, strict=True) if s < 0}
        assert flips == {
            f"{side}_{j}_joint"
            for side in ("left", "right")
            for j in ("hip_yaw", "hip_roll", "shoulder_roll", "shoulder_yaw")
        } | {"torso_joint"}


def _two_legs(right_axis: str, right_y: float) -> str:
    leg = '<body name="{s}_leg" pos="0 {y} 0"><joint name="{s}_hip_joint" axis="{a}"/>'
    leg += '<geom type="capsule" size="0.02" fromto="0 0 0 0 0 -0.3"/></body>'
    return (
        '<mujoco><worldbody><body name="base"><freejoint/><geom type="box" size="0.2 0.1 0.05"/>'
        + leg.format(s="left", y=0.1, a="1 0 0")
        + leg.format(s="right", y=right_y, a=right_axis)
        + "</body></worldbody></mujoco>"
    )


@pytest.mark.parametrize(
    "right_axis, right_y, match",
    [
        ("0 1 0", -0.1, "axes that do not mirror"),
        ("1 0 0", -0.12, "not placed mirror-symmetrically"),
    ],
)
def test_an_asymmetric_robot_is_refused(
    tmp_path: Path, right_axis: str, right_y: float, match: str
) -> None:
    path = tmp_path / "robot.xml"
    path.write_text(_two_legs(right_axis, right_y))
    with pytest.raises(ValueError, match=match):
        joint_mirror(path, ["left_hip_joint", "right_hip_joint"])
    path.write_text(_two_legs("1 0 0", -0.1))
    assert joint_mirror(path, ["left_hip_joint", "right_hip_joint"]).sign.tolist() == [-1, -1]
    with pytest.raises(ValueError, match="no mirror joint"):
        joint_mirror(path, ["left_hip_joint"])


@pytest.mark.parametrize("make_cfg", [go2_map_config, h1_map_config])
def test_the_cell_mirror_is_the_map_of_the_mirrored_ground(make_cfg) -> None:
    """A cloud and its mirror image (y -> -y) through the height map core: the second map is the
    first with the cells mirrored (x-major Go2 grid with left-open cells, y-major H1 grid with
    centred ones)."""
    cfg = make_cfg()
    grid = cfg.grid
    cells = height_map_mirror(grid, np.eye(4))
    rng = np.random.default_rng(0)
    xs, ys = np.meshgrid(grid.x_centers(), grid.y_centers(), indexing="ij")
    z = rng.uniform(-0.4, 0.4, size=xs.shape)
    cloud = np.stack([xs.ravel(), ys.ravel(), z.ravel()], axis=1)
    mirrored_cloud = cloud * np.array([1.0, -1.0, 1.0])
    first, second = build_height_map(cloud, cfg), build_height_map(mirrored_cloud, cfg)
    assert np.ptp(first) > 0.1
    np.testing.assert_array_equal(second, first[cells])
    np.testing.assert_array_equal(cells[cells], np.arange(grid.size))


def test_a_sensor_off_the_centre_line_has_no_cell_mirror() -> None:
    grid_in_base = np.eye(4)
    grid_in_base[1, 3] = 0.05
    with pytest.raises(ValueError, match="not mirror-symmetric"):
        height_map_mirror(go2_map_config().grid, grid_in_base)
    tilted = np.eye(4)  # turned 10 deg about x
    c, s = math.cos(0.17), math.sin(0.17)
    tilted[1:3, 1:3] = [[c, -s], [s, c]]
    with pytest.raises(ValueError, match="not mirror-symmetric"):
        height_map_mirror(go2_map_config().grid, tilted)


@pytest.mark.parametrize("config", ["go2_vision", "h1_vision"])
def test_the_observation_of_the_mirrored_robot_is_the_mirrored_observation(config: str) -> None:
    """The deployed ObservationBuilder, fed a robot state and then that state reflected in the
    sagittal plane (joints through the model's mirror, the attitude as a reflected quaternion,
    velocities as polar / axial vectors, the height map of the reflected ground), over several
    steps so the history frames count too: the second input vector is the first one mirrored by
    `input_mirror` over inputs.input_names - the names the training env lays its inputs out by."""
    cfg = load_train_config(config)
    robot = cfg["robot"]
    loco = load_loco_config(CONFIG_DIR / f"{robot}.yaml", **(cfg.get("loco_overrides") or {}))
    joints = joint_mirror(load_robot(robot).mjcf_path, list(loco.joints.names))
    map_cfg = go2_map_config() if robot == "go2" else h1_map_config()
    cells = height_map_mirror(map_cfg.grid, np.eye(4))
    names = input_names(loco, ("base_lin_vel",))
    policy_mirror = input_mirror(names["policy"], joints, cells)
    critic_mirror = input_mirror(names["critic"], joints, cells)
    n = len(names["policy"])
    np.testing.assert_array_equal(critic_mirror.src[:n], policy_mirror.src)
    builder, mirrored_builder = ObservationBuilder(loco), ObservationBuilder(loco)
    rng = np.random.default_rng(1)
    polar, axial = np.array([1.0, -1.0, 1.0]), np.array([-1.0, 1.0, -1.0])
    default = np.asarray(loco.joints.default_pos)
    for _ in range(4):
        roll, pitch, yaw = rng.uniform(-0.3, 0.3, 3)
        q = default + rng.normal(0, 0.2, loco.joints.n)
        dq, action = rng.normal(0, 2.0, loco.joints.n), rng.normal(0, 1.0, loco.joints.n)
        ang, lin = rng.normal(0, 1.0, 3), rng.normal(0, 0.5, 3)
        command = np.array([rng.uniform(0, 1), rng.uniform(-0.5, 0.5), rng.uniform(-1, 1)])
        hm = rng.uniform(-0.5, 0.5, map_cfg.grid.size) if builder.height_map_shape else None
        obs = builder.build(
            joint_pos=q,
            joint_vel=dq,
            quat_wxyz=quat_from_rpy(roll, pitch, yaw),
            ang_vel=ang,
            command=command,
            last_action=action,
            lin_vel=lin,
            height_map=hm,
        )
        mirrored_obs = mirrored_builder.build(
            joint_pos=joints(q),
            joint_vel=joints(dq),
            quat_wxyz=quat_from_rpy(-roll, pitch, -yaw),
            ang_vel=axial * ang,
            command=command * np.array([1.0, -1.0, -1.0]),
            last_action=joints(action),
            lin_vel=polar * lin,
            height_map=None if hm is None else hm[cells],
        )
    np.testing.assert_allclose(mirrored_obs, policy_mirror(obs), atol=1e-6)
    np.testing.assert_allclose(policy_mirror(policy_mirror(obs)), obs)


def test_a_mirror_map_must_be_a_permutation_and_its_own_inverse() -> None:
    with pytest.raises(ValueError, match="permute"):
        MirrorMap(np.array([0, 0]), np.ones(2))
    with pytest.raises(ValueError, match="own inverse"):
        MirrorMap(np.array([1, 2, 0]), np.ones(3))
    with pytest.raises(ValueError, match="own inverse"):
        MirrorMap(np.array([1, 0]), np.array([1.0, -1.0]))


def test_the_batch_mirror_appends_the_mirror_image_and_refuses_an_unknown_group() -> None:
    """rsl-rl's call: the batch, then its mirror (each group through its own map, the actions
    through the joint map); a group it has no map for is refused, not copied unmirrored."""
    import torch
    from tensordict import TensorDict

    policy, critic = (
        MirrorMap(np.array([1, 0]), np.array([-1.0, -1.0])),
        MirrorMap(np.array([0]), np.array([-1.0])),
    )
    mirror = Mirror({"policy": policy, "critic": critic}, MirrorMap(np.array([1, 0]), np.ones(2)))
    obs = TensorDict(
        {"policy": torch.tensor([[1.0, 2.0]]), "critic": torch.tensor([[3.0]])}, batch_size=[1]
    )
    out_obs, out_actions = mirror(env=None, obs=obs, actions=torch.tensor([[5.0, 6.0]]))
    torch.testing.assert_close(out_obs["policy"], torch.tensor([[1.0, 2.0], [-2.0, -1.0]]))
    torch.testing.assert_close(out_obs["critic"], torch.tensor([[3.0], [-3.0]]))
    torch.testing.assert_close(out_actions, torch.tensor([[5.0, 6.0], [6.0, 5.0]]))
    obs["privileged"] = torch.zeros(1, 4)
    with pytest.raises(ValueError, match="privileged"):
        mirror(obs=obs)


def test_the_symmetrized_policy_is_exactly_equivariant_and_keeps_a_symmetric_one() -> None:
    """SymmetrizedPolicy of any actor maps a mirrored input to the mirrored output (scripted
    too, as exported); an actor that is equivariant already comes out unchanged."""
    import torch

    from navila_loco_train.export import SymmetrizedPolicy

    inputs = MirrorMap(np.array([1, 0, 2, 3]), np.array([1.0, 1.0, -1.0, 1.0]))
    actions = MirrorMap(np.array([1, 0, 2]), np.array([1.0, 1.0, -1.0]))
    torch.manual_seed(0)
    actor = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ELU(), torch.nn.Linear(8, 3))
    sym = SymmetrizedPolicy(actor, inputs, actions)
    x = torch.randn(16, 4)
    with torch.no_grad():
        assert not torch.allclose(actor(inputs(x)), actions(actor(x)), atol=1e-3)  # lopsided
        torch.testing.assert_close(sym(inputs(x)), actions(sym(x)))
        scripted = torch.jit.script(sym)
        torch.testing.assert_close(scripted(x), sym(x))
        twice = SymmetrizedPolicy(sym, inputs, actions)  # sym is equivariant: kept as it is
        torch.testing.assert_close(twice(x), sym(x))


def test_training_with_symmetry_runs_and_logs_the_mirror_loss(tmp_path: Path) -> None:
    """A vision config with augmentation and the mirror loss: one PPO iteration through
    navila-loco-train, the mirror loss in tensorboard; a bad setting is refused up front."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    from navila_loco_train.train import main

    path = tmp_path / "sym.yaml"
    cfg = {
        "extends": "go2_vision",
        "env": {"num_envs": 4, "num_threads": 1, "num_variants": 2},
        "terrain": {"types": ["flat", "steps"], "levels": 1, "tile_m": 4.0},
        "symmetry": {"augmentation": True, "mirror_loss_coeff": 0.5},
    }
    path.write_text(yaml.safe_dump(cfg))
    runs = tmp_path / "runs"
    args = ["--config", str(path), "--iterations", "1", "--device", "cpu", "--out", str(runs)]
    assert main([*args, "--export-to", str(tmp_path / "export")]) == 0
    (events,) = runs.glob("go2_vision/*/events.out.tfevents*")
    acc = EventAccumulator(str(events))
    acc.Reload()
    (loss,) = acc.Scalars("Loss/symmetry")
    assert math.isfinite(loss.value) and loss.value >= 0.0
    for bad, match in (({"mirror_loss_coeff": -1}, ">= 0"), ({"augment": True}, "unknown")):
        path.write_text(yaml.safe_dump({**cfg, "symmetry": bad}))
        assert main(args) == 2, match
