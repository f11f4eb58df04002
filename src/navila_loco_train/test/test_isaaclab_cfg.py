"""The Isaac Lab task config, checked without Isaac Lab.

Isaac Lab cannot run here, so these tests hold what the Isaac Lab config *declares* (spec.py, the
config modules' source) against the sources of truth - navila_loco_node's ObservationBuilder built
from config/go2.yaml, task_spec - and the math of its custom terms (kernels.py) against the
deployed code (navila_loco_node, heightmap_node) and the MuJoCo trainer (terrain, height maps).
"""

from __future__ import annotations

import ast
import copy
import importlib
import json
import math
import subprocess
import sys
import types
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from heightmap_node.builder import PRESETS, build_height_map, go2_map_config
from heightmap_node.transforms import quat_to_matrix
from navila_loco_node.config import load_loco_config
from navila_loco_node.observation import ObservationBuilder, rotate_inverse, rpy_from_quat
from navila_loco_train import isaaclab as il_pkg
from navila_loco_train import rewards as np_rewards
from navila_loco_train.heightmap import HeightMapSampler, lidar_keep, map_refresh_due
from navila_loco_train.isaaclab import kernels, launch, registration, spec
from navila_loco_train.task_spec import (
    FEET_AIR_TIME_THRESHOLD_S,
    FEET_STUMBLE_RATIO,
    REWARD_WEIGHTS,
    TRACKING_STD2,
    TaskSpec,
    TerrainSpec,
    feet_stumbling,
    joint_deviation_scales,
)
from navila_loco_train.terrain import SPAWN_HALF_M, make_terrain
from navila_loco_train.train import load_train_config, task_from_config

PKG_DIR = Path(il_pkg.__file__).resolve().parent
TRAIN_PKG_DIR = PKG_DIR.parent
CONFIG = spec.find_robot_config("go2")


def _builder(variant: str) -> ObservationBuilder:
    """navila_loco_node's builder from config/go2.yaml; blind = the same layout without the map."""
    if variant == "vision":
        return ObservationBuilder(load_loco_config(CONFIG))
    loco = load_loco_config(CONFIG)
    obs = loco.observation
    keep = [i for i, t in enumerate(obs.terms) if t != "height_map"]
    return ObservationBuilder(
        load_loco_config(
            CONFIG,
            **{
                "observation.terms": [obs.terms[i] for i in keep],
                "observation.scales": [obs.scales[i] for i in keep],
                "observation.clips": [obs.clips[i] for i in keep],
                "observation.height_map_preset": "",
            },
        )
    )


# ------------------------------------------------------------------------------ layout
@pytest.mark.parametrize(("variant", "size"), [("blind", 450), ("vision", 909)])
def test_layout_size_matches_the_deployed_observation_builder(variant: str, size: int) -> None:
    layout = spec.LAYOUT[variant]
    builder = _builder(variant)
    assert layout.policy_size == builder.size == size
    assert layout.frame_size == builder.frame_size == 45
    assert layout.history_length == builder.history_length == 9


@pytest.mark.parametrize("variant", spec.VARIANTS)
def test_layout_term_order_and_sizes_match_the_builder(variant: str) -> None:
    layout = spec.LAYOUT[variant]
    builder = _builder(variant)
    assert [t.name for t in layout.terms] == list(builder.terms)
    assert [t.size for t in layout.terms] == [builder.term_size(t) for t in builder.terms]
    assert [t.name for t in layout.frame] == list(builder.history_terms)
    # Slot by slot: the Isaac Lab policy group concatenates to the same vector.
    slots = builder.layout()
    pos = 0
    for term in layout.policy:
        if term.name == spec.HISTORY_TERM:
            hist = [s for s in slots if s.name.startswith("history[")]
            assert (hist[0].start, hist[-1].stop) == (pos, pos + term.size)
        else:
            slot = next(s for s in slots if s.name == term.name)
            assert (slot.start, slot.stop) == (pos, pos + term.size)
        pos += term.size
    assert pos == builder.size
    # No scaling, the height map clipped at 10, as config/go2.yaml says.
    assert all(t.scale == 1.0 for t in layout.terms)
    assert {t.name: t.clip for t in layout.terms if t.clip} == (
        {"height_map": 10.0} if variant == "vision" else {}
    )


def test_layout_blind_is_vision_without_the_height_map() -> None:
    blind, vision = spec.LAYOUT["blind"], spec.LAYOUT["vision"]
    assert [t for t in vision.terms if t.name != "height_map"] == list(blind.terms)
    assert vision.term("height_map").size == 17 * 27 == spec.load("vision").height_map.size


def test_layout_noise_comes_from_task_spec() -> None:
    noise = TaskSpec().noise
    for layout in spec.LAYOUT.values():
        for t in layout.terms:
            assert t.noise == getattr(noise, t.name, 0.0)
    got = {t.name: t.noise for t in spec.LAYOUT["vision"].terms}
    assert got == {
        "base_ang_vel": 0.2,
        "base_rpy": 0.05,
        "velocity_command": 0.0,
        "joint_pos_rel": 0.01,
        "joint_vel_rel": 1.5,
        "last_action": 0.0,
        "height_map": 0.05,
    }


def test_critic_is_policy_plus_clean_privileged_terms() -> None:
    blind, vision = spec.LAYOUT["blind"], spec.LAYOUT["vision"]
    assert [t.name for t in blind.privileged] == list(TaskSpec().critic_extra_terms)
    assert blind.critic_size == 450 + 3
    assert [t.name for t in vision.privileged] == ["base_lin_vel", "height_map"]
    assert vision.critic_size == 909 + 3 + 459
    assert all(t.noise == 0.0 for layout in (blind, vision) for t in layout.privileged)
    assert spec.OBS_GROUPS == {"policy": ["policy"], "critic": ["policy", "privileged"]}


def test_robot_timing_and_drive_come_from_the_robot_config() -> None:
    loco = load_loco_config(CONFIG)
    robot = spec.load("vision").robot
    assert robot.joint_names == tuple(loco.joints.names)
    assert robot.default_pos == tuple(loco.joints.default_pos)
    assert (robot.kp[0], robot.kd[0], robot.action_scale, robot.action_clip) == (40, 1, 0.25, 20)
    assert robot.physics_dt == 0.005 and robot.decimation == 4
    assert robot.policy_dt == pytest.approx(0.02)
    assert spec.load("blind").robot == robot
    assert robot.map_body == robot.base_body == "base"  # the Go2's LiDAR is on its base


def test_height_map_spec_is_heightmap_nodes_go2_map() -> None:
    hm = spec.load("vision").height_map
    ref = go2_map_config()
    assert (hm.nx, hm.ny) == (ref.grid.nx, ref.grid.ny) == (17, 27)
    assert (hm.reduction, hm.z_min, hm.z_max) == (ref.reduction, ref.z_min, ref.z_max)
    assert (hm.zero_below, hm.empty_value, hm.max_filter) == (0.05, 0.0, True)
    assert hm.grid_pos == (0.29, 0.0, -0.06)
    assert math.isclose(sum(q * q for q in hm.grid_quat_wxyz), 1.0)
    assert spec.load("blind").height_map is None


# ------------------------------------------------------------------------------ rewards
def test_rewards_are_task_specs_terms_and_weights() -> None:
    for table in spec.REWARDS.values():
        assert {k: r.weight for k, r in table.items()} == REWARD_WEIGHTS
        for name in ("track_lin_vel_xy_exp", "track_ang_vel_z_exp"):
            assert table[name].params["std"] ** 2 == pytest.approx(TRACKING_STD2)
        air = table["feet_air_time"].params
        assert air["threshold"] == FEET_AIR_TIME_THRESHOLD_S == 0.5
        assert air["command_small"] == TaskSpec().commands.small == 0.1
        assert air["sensor_bodies"] == ".*_foot"
        assert table["undesired_contacts"].params["sensor_bodies"] == ".*_thigh"
        assert table["stand_still"].params["command_small"] == 0.1
        loco = load_loco_config(CONFIG)
        assert table["joint_pos_limits"].params == {
            "lower": list(loco.joints.pos_min),
            "upper": list(loco.joints.pos_max),
        }
        # the humanoid terms: declared with the Go2's feet, weight 0, no joint penalised
        assert table["feet_air_time_biped"].params == {
            "command_name": spec.COMMAND_NAME,
            "threshold": 0.5,
            "command_small": 0.1,
            "sensor_bodies": ".*_foot",
        }
        assert table["feet_slide"].params == {
            "threshold": spec.CONTACT_THRESHOLD_N,
            "sensor_bodies": ".*_foot",
            "asset_bodies": ".*_foot",
        }
        assert table["joint_deviation_l1"].params == {"scales": [0.0] * 12}


HUMANOID_TERMS = ("feet_air_time_biped", "feet_slide", "joint_deviation_l1")


@pytest.mark.parametrize(
    "config", sorted(p.stem for p in (TRAIN_PKG_DIR / "configs").glob("go2_*.yaml"))
)
def test_go2_configs_leave_the_humanoid_terms_off(config: str) -> None:
    bundle = spec.load(config)
    assert {k: bundle.rewards[k].weight for k in HUMANOID_TERMS} == dict.fromkeys(
        HUMANOID_TERMS, 0.0
    )
    assert bundle.rewards["joint_deviation_l1"].params["scales"] == [0.0] * 12


def test_an_unknown_task_spec_reward_is_refused() -> None:
    bundle = spec.load("blind")
    task = replace(TaskSpec(), reward_weights={**REWARD_WEIGHTS, "feet_clearance": -0.1})
    with pytest.raises(ValueError, match="feet_clearance"):
        spec.reward_table(task, bundle.train, bundle.robot)


def test_the_air_time_threshold_is_the_tasks() -> None:
    bundle = spec.load("blind")
    task = replace(TaskSpec(), feet_air_time_threshold_s=0.4)  # a biped's (configs: rewards:)
    table = spec.reward_table(task, bundle.train, bundle.robot)
    assert table["feet_air_time"].params["threshold"] == 0.4


# ------------------------------------------------------------------------------ training configs
@pytest.mark.parametrize("config", list(spec.TRAIN_CONFIGS))
def test_each_task_is_its_training_configs_task(config: str) -> None:
    """The bundle's task is the MuJoCo trainer's task_from_config of the resolved config."""
    doc = load_train_config(config)
    bundle = spec.load(config)
    assert bundle.config_name == config and bundle.train_config_path == Path(doc["_path"])
    assert bundle.task == task_from_config(doc)
    assert bundle.train.init_max_level == doc["env"].get("init_max_level", 2)
    assert bundle.train.num_envs == doc["env"]["num_envs"]
    assert {k: r.weight for k, r in bundle.rewards.items()} == bundle.task.reward_weights
    std2 = bundle.rewards["track_lin_vel_xy_exp"].params["std"] ** 2
    assert std2 == pytest.approx(bundle.task.tracking_std2)
    base = spec.load(bundle.variant, robot=bundle.robot.name)
    assert bundle.layout == base.layout and bundle.robot == base.robot
    assert bundle.train.policy_name == base.train.policy_name  # --resume finds the base run


def test_finetune_tasks_carry_their_stages_terrain_and_rewards() -> None:
    vision = spec.load("go2_vision_finetune_deploy")
    assert vision.variant == "vision" and vision.layout.policy_size == 909
    t = vision.task.terrain
    assert t.types == ("flat", "rough", "steps", "steps_up", "boxes") and t.resolution_m == 0.02
    assert vision.task.tracking_std2 == 0.1 and vision.train.init_max_level == 9
    assert vision.rewards["feet_stumble"].weight == -1.0
    assert vision.task.commands.deploy_fraction == 0.3  # the shipped stage's command draws
    blind = spec.load("go2_blind_finetune")
    assert blind.variant == "blind" and blind.layout.policy_size == 450
    assert blind.task.terrain == t and blind.task.tracking_std2 == 0.1
    assert blind.rewards["feet_stumble"].weight == 0.0
    # the variant names are the base configs
    assert spec.load("blind") == spec.load("go2_blind")
    assert spec.load("vision").task == TaskSpec()


def test_default_start_levels_are_the_mujoco_envs() -> None:
    from navila_loco_train.env import EnvConfig

    assert EnvConfig().init_max_level == spec.INIT_MAX_TERRAIN_LEVEL


def test_a_config_for_another_robot_or_layout_is_refused(tmp_path: Path) -> None:
    (tmp_path / "t1.yaml").write_text("extends: h1_vision\nrobot: t1\n")
    with pytest.raises(ValueError, match="no Isaac Lab asset for robot 't1'"):
        spec.load(str(tmp_path / "t1.yaml"))
    with pytest.raises(ValueError, match="robot 'h1', asked for 'go2'"):
        spec.load("h1_vision", robot="go2")
    (tmp_path / "h1.yaml").write_text("extends: go2_blind\nrobot: h1\n")  # the Go2's layout
    with pytest.raises(ValueError, match=r"66 inputs but policy\.num_inputs is 450"):
        spec.load(str(tmp_path / "h1.yaml"))
    (tmp_path / "wrong.yaml").write_text(
        "extends: go2_blind\nloco_overrides:\n  policy.num_inputs: 451\n"
    )
    with pytest.raises(ValueError, match=r"450 inputs but policy\.num_inputs is 451"):
        spec.load(str(tmp_path / "wrong.yaml"))


def _module_tree(name: str) -> ast.Module:
    return ast.parse((PKG_DIR / f"{name}.py").read_text())


def _classes(tree: ast.Module) -> dict[str, ast.ClassDef]:
    return {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}


def _assigned_calls(tree: ast.Module, cls: str) -> list[tuple[str, ast.Call]]:
    """(attribute, call) of a config class, base classes of the same module first."""
    classes = _classes(tree)
    out: list[tuple[str, ast.Call]] = []
    for base in classes[cls].bases:
        if isinstance(base, ast.Name) and base.id in classes:
            out += _assigned_calls(tree, base.id)
    for stmt in classes[cls].body:
        if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Call):
            (target,) = stmt.targets
            assert isinstance(target, ast.Name)
            out.append((target.id, stmt.value))
    return out


def test_env_cfg_rewards_are_built_from_spec_by_name() -> None:
    """Every reward term is `_reward("<its own name>", func)`: weights and params from spec."""
    tree = _module_tree("env_cfg")
    terms = _assigned_calls(tree, "RewardsCfg")
    assert {name for name, _ in terms} == set(REWARD_WEIGHTS)
    for name, call in terms:
        assert isinstance(call.func, ast.Name) and call.func.id == "_reward"
        assert isinstance(call.args[0], ast.Constant) and call.args[0].value == name
        func = call.args[1]
        ref = spec.REWARDS["vision"][name].func.rsplit(".", 1)[1]
        assert isinstance(func, ast.Attribute) and func.attr == ref
    for node in ast.walk(tree):  # no weight typed in anywhere
        if isinstance(node, ast.Call):
            for kw in node.keywords:
                if kw.arg == "weight":
                    assert not isinstance(kw.value, ast.Constant)


@pytest.mark.parametrize(
    ("cls", "variant", "group"),
    [
        ("BlindPolicyCfg", "blind", "policy"),
        ("VisionPolicyCfg", "vision", "policy"),
        ("BlindPrivilegedCfg", "blind", "privileged"),
        ("VisionPrivilegedCfg", "vision", "privileged"),
    ],
)
def test_env_cfg_observation_groups_follow_the_layout(cls: str, variant: str, group: str) -> None:
    tree = _module_tree("env_cfg")
    names = [name for name, _ in _assigned_calls(tree, cls)]
    layout = spec.LAYOUT[variant]
    assert names == [t.name for t in getattr(layout, group)]


def test_env_cfg_groups_and_sensors_use_the_spec_names() -> None:
    tree = _module_tree("env_cfg")
    classes = _classes(tree)
    for obs_cls in ("BlindObservationsCfg", "VisionObservationsCfg"):
        fields = [s.target.id for s in classes[obs_cls].body if isinstance(s, ast.AnnAssign)]
        assert fields == [spec.POLICY_GROUP, spec.PRIVILEGED_GROUP]
    scene = [n for n, _ in _assigned_calls(tree, "Go2VisionSceneCfg")]
    for name in (spec.CONTACT_SENSOR, spec.HEIGHT_SCANNER, spec.BASE_HEIGHT_SCANNER):
        assert name in scene


# ------------------------------------------------------------------------------ isolation
ISAACLAB_MODULES = ("env_cfg", "agents", "mdp")


@pytest.mark.parametrize("module", ISAACLAB_MODULES)
def test_config_modules_say_they_need_isaaclab(
    monkeypatch: pytest.MonkeyPatch, module: str
) -> None:
    for name in il_pkg.ISAACLAB_PACKAGES:  # hidden even if someone installs Isaac Lab here
        monkeypatch.setitem(sys.modules, name, None)
    for name in ISAACLAB_MODULES:
        monkeypatch.delitem(sys.modules, f"navila_loco_train.isaaclab.{name}", raising=False)
        # `from navila_loco_train.isaaclab import mdp` reads the package attribute first
        monkeypatch.delattr(il_pkg, name, raising=False)
    with pytest.raises(ImportError, match="needs Isaac Lab; not installed here") as err:
        importlib.import_module(f"navila_loco_train.isaaclab.{module}")
    assert "navila-loco-train" in str(err.value)  # and says what to use instead


def test_installed_but_unimportable_isaaclab_says_start_the_simulator(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(il_pkg.importlib.util, "find_spec", lambda name: object())
    err = il_pkg.isaaclab_import_error("x", ImportError("No module named 'omni.physics'"))
    assert "installed but failed to import" in str(err) and "AppLauncher" in str(err)


def test_isaaclab_3_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(il_pkg.SKIP_VERSION_CHECK_ENV, raising=False)
    found = {"isaaclab_physx"}
    monkeypatch.setattr(
        il_pkg.importlib.util, "find_spec", lambda name: object() if name in found else None
    )
    with pytest.raises(ImportError, match=r"Isaac Lab 3\.x.*\(x, y, z, w\)"):
        il_pkg.check_isaaclab_version()
    monkeypatch.setenv(il_pkg.SKIP_VERSION_CHECK_ENV, "1")
    il_pkg.check_isaaclab_version()  # explicit override
    found.clear()
    monkeypatch.delenv(il_pkg.SKIP_VERSION_CHECK_ENV)
    il_pkg.check_isaaclab_version()  # 2.x: fine


def test_import_navila_loco_train_never_touches_isaaclab() -> None:
    code = (
        "import sys, navila_loco_train, navila_loco_train.task_spec\n"
        "print([m for m in sys.modules if m.split('.')[0].startswith('isaaclab')"
        " or m.startswith('navila_loco_train.isaaclab')])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_no_module_outside_the_subpackage_imports_isaaclab() -> None:
    for path in sorted(TRAIN_PKG_DIR.rglob("*.py")):
        if PKG_DIR in path.parents:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = ("." * node.level) + (node.module or "")
                names = [base] + [f"{base}.{a.name}" for a in node.names]
            for name in names:
                bare = name.lstrip(".")
                assert not bare.startswith("isaaclab"), f"{path}: imports {name}"
                assert "navila_loco_train.isaaclab" not in name, f"{path}: imports {name}"
                relative = getattr(node, "level", 0) > 0
                assert not (relative and bare.split(".")[-1] == "isaaclab"), path


# ------------------------------------------------------------------------------ kernels
def _random_quats(rng: np.random.Generator, n: int) -> np.ndarray:
    q = rng.normal(size=(n, 4))
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    s = math.sqrt(0.5)
    special = np.array([[1, 0, 0, 0], [s, 0, s, 0], [s, 0, -s, 0], [0, 0, 0, 1.0]])
    return np.vstack([q, special])


def test_rpy_is_the_deployed_formula() -> None:
    q = _random_quats(np.random.default_rng(0), 500)
    got = kernels.rpy_from_quat(torch.tensor(q)).numpy()
    want = np.stack([rpy_from_quat(row) for row in q])
    np.testing.assert_allclose(got, want, atol=1e-12)


def test_quat_rotate_inverse_is_the_deployed_formula() -> None:
    rng = np.random.default_rng(1)
    q = _random_quats(rng, 200)
    v = rng.normal(size=(len(q), 3))
    got = kernels.quat_rotate_inverse(torch.tensor(q), torch.tensor(v)).numpy()
    want = np.stack([rotate_inverse(a, b) for a, b in zip(q, v, strict=True)])
    np.testing.assert_allclose(got, want, atol=1e-12)


def test_points_in_grid_frame_matches_the_matrix_transforms() -> None:
    rng = np.random.default_rng(2)
    n, r = 3, 50
    base_q = _random_quats(rng, n)[:n]
    base_p = rng.normal(size=(n, 3))
    pts = rng.normal(size=(n, r, 3))
    hm = spec.load("vision").height_map
    got = kernels.points_in_grid_frame(
        torch.tensor(pts),
        torch.tensor(base_p),
        torch.tensor(base_q),
        torch.tensor(hm.grid_pos, dtype=torch.float64),
        torch.tensor(hm.grid_quat_wxyz, dtype=torch.float64),
    ).numpy()
    rg = quat_to_matrix(hm.grid_quat_wxyz)
    for i in range(n):
        in_base = (pts[i] - base_p[i]) @ quat_to_matrix(base_q[i])
        want = (in_base - np.asarray(hm.grid_pos)) @ rg
        np.testing.assert_allclose(got[i], want, atol=1e-12)


def _cloud(rng: np.random.Generator, n: int, dtype: type) -> np.ndarray:
    pts = np.column_stack(
        [rng.uniform(-1.0, 0.4, n), rng.uniform(-1.0, 1.0, n), rng.uniform(-0.3, 1.2, n)]
    )
    pts[:17, 0] = -0.8 + np.arange(17) * 0.06  # exactly on the cell edges
    pts[17:44, 1] = -0.8 + np.arange(27) * 0.06
    pts[50] = np.nan
    pts[51] = np.inf
    return pts.astype(dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_height_map_equals_heightmap_node(dtype: type) -> None:
    rng = np.random.default_rng(3)
    params = spec.load("vision").height_map.kernel_params()
    clouds = [_cloud(rng, 4000, dtype), _cloud(rng, 300, dtype), np.zeros((0, 3), dtype=dtype)]
    width = max(len(c) for c in clouds)
    batch = np.full((len(clouds), width, 3), np.inf, dtype=dtype)  # padding = missed rays
    for i, c in enumerate(clouds):
        batch[i, : len(c)] = c
    got = kernels.height_map(torch.tensor(batch), **params).numpy()
    for i, c in enumerate(clouds):
        want = build_height_map(c.reshape(-1, 3), go2_map_config())
        np.testing.assert_allclose(got[i], want, atol=1e-6)
    assert (got[0] > 0).sum() > 100 and not got[2].any()


def test_height_map_highest_reduction_equals_heightmap_node() -> None:
    pts = _cloud(np.random.default_rng(4), 3000, np.float64)
    params = {**spec.load("vision").height_map.kernel_params(), "reduction": "highest"}
    got = kernels.height_map(torch.tensor(pts)[None], **params)[0].numpy()
    want = build_height_map(pts, go2_map_config(reduction="highest"))
    np.testing.assert_allclose(got, want, atol=1e-6)


def test_h1_height_map_equals_heightmap_node() -> None:
    """The H1's scan (centred cells, y-major, highest point, 0.5 m offset, clip +-1, unseen
    0.55) through the kernel, points on the cell bounds included."""
    hm = spec.load("h1_vision").height_map
    rng = np.random.default_rng(8)
    pts = np.column_stack(
        [rng.uniform(-1.0, 1.0, 3000), rng.uniform(-0.7, 0.7, 3000), rng.uniform(-1.6, 0.2, 3000)]
    )
    pts[:18, 0] = -0.85 + np.arange(18) * 0.1  # on the x bounds, the outer two included
    pts[20:32, 1] = -0.55 + np.arange(12) * 0.1
    pts[40] = np.nan
    pts[2900:, 2] = 5.0  # a few far above the base: values past the clip
    pts = pts[~((pts[:, 0] < -0.5) & (pts[:, 1] > 0.2))]  # a corner nothing hit
    got = kernels.height_map(torch.tensor(pts)[None], **hm.kernel_params())[0].numpy()
    want = build_height_map(pts, PRESETS["h1"]())
    assert got.shape == (187,) and (got == 0.55).any() and (got == -1.0).any()
    np.testing.assert_allclose(got, want, atol=1e-6)


def _quat_from_rpy(roll: float, pitch: float, yaw: float) -> list[float]:
    """(w, x, y, z) of R = Rz(yaw) Ry(pitch) Rx(roll)."""
    cr, sr = math.cos(roll / 2), math.sin(roll / 2)
    cp, sp = math.cos(pitch / 2), math.sin(pitch / 2)
    cy, sy = math.cos(yaw / 2), math.sin(yaw / 2)
    return [
        cr * cp * cy + sr * sp * sy,
        sr * cp * cy - cr * sp * sy,
        cr * sp * cy + sr * cp * sy,
        cr * cp * sy - sr * sp * cy,
    ]


@pytest.mark.parametrize(("config", "base_height"), [("go2_vision", 0.32), ("h1_vision", 1.0)])
def test_height_map_rays_equal_the_mujoco_trainers_sampler(config: str, base_height: float) -> None:
    """The Isaac Lab path (vertical ray lattice around the base in its yaw frame, hits taken to
    the grid frame, kernels.height_map) gives the MuJoCo trainer's map for the same pose; the H1's
    levelled (gravity_align) under a tilted pelvis."""
    terrain = make_terrain(TerrainSpec(levels=2, tile_m=4.0), seed=5)
    bundle = spec.load(config)
    sampler = HeightMapSampler(bundle.config_path)
    hm = bundle.height_map
    k = np.arange(-hm.scan_half_m, hm.scan_half_m + 1e-9, hm.scan_spacing_m)
    gx, gy = np.meshgrid(k, k, indexing="ij")
    lattice = np.stack([gx.ravel(), gy.ravel()], axis=1)  # GridPatternCfg(0.04, 3.2 x 3.2)
    rng = np.random.default_rng(6)
    poses = []
    for center in ([6.0, 2.0], [2.0, 10.0], [6.0, 14.0]):  # rough, steps, boxes tiles
        rpy = (rng.uniform(-0.2, 0.2), rng.uniform(-0.2, 0.2), rng.uniform(-3, 3))
        q = _quat_from_rpy(*rpy)
        x, y = center
        poses.append(([x, y, float(terrain.height_at(x, y)) + base_height], q))
    base_pos = np.array([p for p, _ in poses])
    quat = np.array([q for _, q in poses])
    want = sampler.sample(terrain, base_pos, quat)
    hits = []
    for p, q in poses:
        w, x, y, z = q
        yaw = math.atan2(2 * (w * z + x * y), 1 - 2 * (y * y + z * z))  # Isaac Lab yaw_quat
        c, s = math.cos(yaw), math.sin(yaw)
        wx = p[0] + c * lattice[:, 0] - s * lattice[:, 1]
        wy = p[1] + s * lattice[:, 0] + c * lattice[:, 1]
        hits.append(np.stack([wx, wy, terrain.height_at(wx, wy)], axis=1))
    points = kernels.points_in_grid_frame(
        torch.tensor(np.array(hits)),
        torch.tensor(base_pos),
        torch.tensor(quat),
        torch.tensor(hm.grid_pos, dtype=torch.float64),
        torch.tensor(hm.grid_quat_wxyz, dtype=torch.float64),
        gravity_align=hm.gravity_align,
    )
    got = kernels.height_map(points, **hm.kernel_params()).numpy()
    np.testing.assert_allclose(got, want, atol=1e-5)
    assert np.ptp(want) > 0.02  # the tiles' relief is in the maps


def test_history_buffer_matches_the_deployed_builder() -> None:
    builder = _builder("blind")
    rng = np.random.default_rng(7)
    buf = kernels.HistoryBuffer(num_envs=1, length=builder.history_length)
    n = builder.n_joints
    for step in range(20):
        if step == 12:  # a new episode
            builder.reset()
            buf.mark_fresh()
        q = rng.normal(size=4)
        obs = builder.build(
            joint_pos=rng.normal(size=n),
            joint_vel=rng.normal(size=n),
            quat_wxyz=q / np.linalg.norm(q),
            ang_vel=rng.normal(size=3),
            command=rng.normal(size=3),
            last_action=rng.normal(size=n),
        )
        frame = torch.tensor(obs[: builder.frame_size], dtype=torch.float64)[None]
        got = buf.push(frame, step=step)[0].numpy()
        np.testing.assert_allclose(got, obs[builder.frame_size :], atol=1e-6)


def test_history_buffer_second_call_in_a_step_replaces_the_newest_frame() -> None:
    buf = kernels.HistoryBuffer(num_envs=2, length=3)
    f = [torch.full((2, 2), float(i)) for i in range(5)]
    buf.push(f[0], step=0)
    buf.push(f[1], step=1)
    out = buf.push(f[2], step=1)  # the wrapper's get_observations, same control step
    assert out[0].tolist() == [0, 0, 0, 0, 2, 2]
    buf.mark_fresh(torch.tensor([1]))
    out = buf.push(f[3], step=2)
    assert out[0].tolist() == [0, 0, 2, 2, 3, 3] and out[1].tolist() == [3.0] * 6
    with pytest.raises(ValueError):
        buf.push(torch.zeros(3, 2), step=3)


def test_feet_air_time_and_stand_still() -> None:
    last_air = torch.tensor([[0.6, 0.3], [0.6, 0.3], [0.7, 0.7]])
    first = torch.tensor([[True, True], [True, False], [True, False]])
    cmd = torch.tensor([[0.5, 0.0, 0.0], [0.0, 0.0, 0.05], [0.0, 0.0, 0.5]])  # walk, stand, turn
    got = kernels.feet_air_time_reward(last_air, first, 0.5, cmd, 0.1)
    assert got.tolist() == pytest.approx([0.1 - 0.2, 0.0, 0.2])
    q0 = torch.zeros(3, 2)
    q = torch.tensor([[0.1, -0.2], [0.1, -0.2], [0.1, -0.2]])
    assert kernels.stand_still_penalty(q, q0, cmd, 0.1).tolist() == pytest.approx([0, 0.3, 0])


def test_joint_limit_violation() -> None:
    q = torch.tensor([[0.0, 2.0, -3.0]])
    lo, hi = torch.tensor([-1.0, -1.0, -2.5]), torch.tensor([1.0, 1.5, -1.0])
    assert kernels.joint_limit_violation(q, lo, hi).tolist() == pytest.approx([0.5 + 0.5])


def test_feet_air_time_biped_pays_single_support_up_to_the_threshold() -> None:
    """Two feet: in single support the shorter of the stance foot's contact time and the swing
    foot's air time, capped at the threshold; nothing in double support, flight or standing."""
    contact = torch.tensor(
        [[True, False], [False, True], [True, True], [False, False], [True, False], [True, False]]
    )
    contact_time = torch.tensor(
        [[0.3, 0.0], [0.0, 0.9], [0.5, 0.6], [0.0, 0.0], [0.3, 0.0], [0.1, 0.0]]
    )
    air_time = torch.tensor(
        [[0.0, 0.2], [0.7, 0.0], [0.0, 0.0], [0.2, 0.3], [0.0, 0.2], [0.0, 0.35]]
    )
    cmd = torch.tensor(
        [
            [0.5, 0.0, 0.0],  # walk: min(0.3 contact, 0.2 air)
            [0.5, 0.0, 0.0],  # walk, long phase: min(0.9, 0.7) capped at 0.4
            [0.5, 0.0, 0.0],  # double support
            [0.5, 0.0, 0.0],  # flight
            [0.0, 0.0, 0.05],  # told to stand
            [0.0, 0.0, 0.5],  # turning in place is moving: min(0.1, 0.35)
        ]
    )
    got = kernels.feet_air_time_biped_reward(air_time, contact_time, contact, 0.4, cmd, 0.1)
    assert got.tolist() == pytest.approx([0.2, 0.4, 0.0, 0.0, 0.0, 0.1])


def test_feet_slide_counts_only_grounded_feet() -> None:
    vel = torch.tensor(
        [[[3.0, 4.0], [1.0, 0.0]], [[0.0, 0.5], [0.3, 0.4]], [[2.0, 0.0], [0.0, 2.0]]]
    )
    contact = torch.tensor([[True, False], [True, True], [False, False]])
    assert kernels.feet_slide_penalty(vel, contact).tolist() == pytest.approx([5.0, 1.0, 0.0])


def test_joint_deviation_l1_weighs_each_joint_by_its_scale() -> None:
    q = torch.tensor([[0.1, -0.2, 0.5], [0.0, 0.0, 0.3]])
    q0 = torch.tensor([[0.0, 0.0, 0.3], [0.0, 0.0, 0.3]])
    scales = torch.tensor([0.2, 0.1, 0.0])  # the last joint is free
    got = kernels.joint_deviation_l1(q, q0, scales)
    assert got.tolist() == pytest.approx([0.2 * 0.1 + 0.1 * 0.2, 0.0])
    names = ["left_hip_yaw_joint", "torso_joint", "left_knee_joint"]
    assert joint_deviation_scales({"*_hip_yaw_joint": 0.2, "torso_joint": 0.1}, names) == [
        0.2,
        0.1,
        0.0,
    ]


def test_humanoid_reward_kernels_equal_the_mujoco_trainers_terms() -> None:
    """rewards.feet_air_time_biped / feet_slide / joint_deviation_l1 (NumPy) and the torch
    kernels the Isaac Lab terms call give the same values on random states."""
    rng = np.random.default_rng(7)
    n, feet, joints = 256, 2, 19
    contact = rng.random((n, feet)) < 0.5
    # as both simulators keep them: a foot's time in the mode it is not in is 0
    contact_time = np.where(contact, rng.uniform(0.0, 1.0, (n, feet)), 0.0)
    air_time = np.where(contact, 0.0, rng.uniform(0.0, 1.0, (n, feet)))
    commands = rng.uniform(-1.0, 1.0, (n, 3)) * rng.choice([0.05, 1.0], (n, 1))
    task = replace(TaskSpec(), feet_air_time_threshold_s=0.4)
    env = types.SimpleNamespace(
        feet_contact=contact,
        feet_contact_time=contact_time,
        feet_air_time=air_time,
        commands=commands,
        feet_vel=rng.normal(0.0, 0.5, (n, feet, 3)),
        q=rng.normal(0.0, 0.5, (n, joints)),
        default_pos=rng.normal(0.0, 0.3, joints),
        joint_deviation_scale=rng.choice([0.0, 0.1, 0.2], joints),
    )
    t = torch.from_numpy
    small = task.commands.small
    assert 0 < (np.linalg.norm(commands, axis=1) > small).sum() < n  # both cases drawn
    assert 0 < (contact.sum(1) == 1).sum() < n
    biped = kernels.feet_air_time_biped_reward(
        t(air_time), t(contact_time), t(contact_time) > 0, 0.4, t(commands), small
    )
    np.testing.assert_allclose(biped.numpy(), np_rewards.feet_air_time_biped(env, task))
    assert (biped > 0).any()
    slide = kernels.feet_slide_penalty(t(env.feet_vel[:, :, :2]), t(contact))
    np.testing.assert_allclose(slide.numpy(), np_rewards.feet_slide(env))
    dev = kernels.joint_deviation_l1(
        t(env.q), t(env.default_pos)[None, :], t(env.joint_deviation_scale)
    )
    np.testing.assert_allclose(dev.numpy(), np_rewards.joint_deviation_l1(env))


def test_curriculum_rule_is_one_code_for_numpy_and_torch() -> None:
    """TerrainSpec.level_moves (odometer, a fall demotes) runs the same on both trainers' arrays."""
    t = TaskSpec().terrain
    path = [4.5, 3.9, 0.2, 6.0, 1.0]
    commanded = [10.0, 6.0, 10.0, 10.0, 0.0]
    fell = [False, False, False, True, False]
    want_up = [True, False, False, False, False]  # > half of the 8 m tile, no fall
    want_down = [False, False, True, True, False]  # < half the asked-for path, or fell
    for lib in (np.asarray, torch.tensor):
        up, down = t.level_moves(lib(path), lib(commanded), lib(fell))
        assert up.tolist() == want_up and down.tolist() == want_down


def test_feet_stumbling_is_one_code_for_numpy_and_torch() -> None:
    """A stumble: the contact force more than FEET_STUMBLE_RATIO times as horizontal as vertical
    and above the contact threshold; level-ground friction (<= 1.25) never is one."""
    forces = [
        [0.0, 0.0, -50.0],  # standing
        [-60.0, 0.0, -50.0],  # friction at 1.2: still level ground
        [-60.0, 80.0, -20.0],  # 100 N sideways, 20 down: a step's face
        [0.5, 0.0, 0.0],  # a graze under the contact threshold
        [0.0, -3.0, 1.4],  # small, but sideways
        [0.0, 0.0, 0.0],  # no contact
    ]
    want = [False, False, True, False, True, False]
    for lib in (np.asarray, torch.tensor):
        assert feet_stumbling(lib(forces), 1.0).tolist() == want
    assert feet_stumbling(np.asarray(forces), 1.0, ratio=5.0).tolist() == [False] * 6
    assert spec.REWARDS["vision"]["feet_stumble"].params == {
        "ratio": FEET_STUMBLE_RATIO,
        "threshold": 1.0,
        "sensor_bodies": ".*_foot",
    }


def test_turn_in_place_is_one_code_for_numpy_and_torch() -> None:
    c = TaskSpec().commands
    cmd = [[0.8, 0.0, 0.5], [0.6, 0.0, -0.2], [0.3, 0.0, 0.1]]
    turn, uniform, flip = [True, False, True], [0.0, 0.5, 0.999], [False, True, True]
    out = []
    for lib in (np.asarray, torch.tensor):
        got = c.turn_in_place(lib(cmd), lib(turn), lib(uniform), lib(flip))
        out.append(np.asarray(got.tolist()))
    np.testing.assert_allclose(out[0], out[1], atol=1e-7)
    assert out[0][1].tolist() == [0.6, 0.0, -0.2]  # not a turn: untouched
    assert out[0][0].tolist() == [0.0, 0.0, c.turn_in_place_min_wz]
    assert out[0][2][:2].tolist() == [0.0, 0.0] and out[0][2][2] == pytest.approx(-1.0, abs=1e-3)


def test_deployed_commands_are_one_code_for_numpy_and_torch() -> None:
    c = replace(TaskSpec().commands, deploy_fraction=0.5)
    cmd = [[0.8, 0.0, 0.5], [0.6, 0.0, -0.2], [0.3, 0.0, 0.1], [0.2, 0.0, 0.9]]
    pick, which = [True, False, True, True], [0, 2, 1, 2]
    out = []
    for lib in (np.asarray, torch.tensor):
        got = c.deployed(lib(cmd), lib(pick), lib(which))
        out.append(np.asarray(got.tolist()))
    np.testing.assert_allclose(out[0], out[1], atol=1e-7)
    assert out[0][1].tolist() == [0.6, 0.0, -0.2]  # not picked: untouched
    np.testing.assert_allclose(out[0][[0, 2, 3]], np.asarray(c.deploy_commands)[[0, 1, 2]])


def test_lidar_thinning_and_refresh_rule_work_on_torch() -> None:
    rng = np.random.default_rng(3)
    pts = rng.uniform(-1.5, 1.5, (4, 50, 3)).astype(np.float32)
    r_ref = np.array([0.3, 0.5, 0.8, 2.0], dtype=np.float32)
    u = rng.random((4, 50), dtype=np.float32)
    want = lidar_keep(pts, r_ref, u)
    got = lidar_keep(torch.tensor(pts), torch.tensor(r_ref), torch.tensor(u)).numpy()
    assert np.array_equal(got, want) and 0 < want.mean() < 1
    idx = np.arange(7)
    for step in range(5):
        due = map_refresh_due(step, idx, 3)
        assert np.array_equal(map_refresh_due(step, torch.arange(7), 3).numpy(), due)
        assert due.sum() in (2, 3)  # a third of the robots each step


def test_tiles_are_the_mujoco_trainers_tiles() -> None:
    ts = TaskSpec().terrain
    grid = make_terrain(ts, seed=0)
    n = round(ts.tile_m / ts.resolution_m)

    def tile(kind: str, level: int) -> np.ndarray:
        return kernels.tile_heights(
            kind, (level + 0.5) / ts.levels, n, ts.resolution_m, ts.levels,
            ts.rough_noise_m, ts.step_height_m, ts.box_height_m, np.random.default_rng(level),
        )  # fmt: skip

    half = round(SPAWN_HALF_M / ts.resolution_m)
    c = n // 2
    for t_idx, kind in enumerate(ts.types):
        for level in (0, 4, ts.levels - 1):
            mine = tile(kind, level)
            theirs = grid.heights[t_idx * n : (t_idx + 1) * n, level * n : (level + 1) * n].T
            spawn = mine[c - half : c + half + 1, c - half : c + half + 1]
            assert np.all(spawn == spawn[0, 0])  # the flat spawn square
            if kind in ("flat", "steps"):
                np.testing.assert_array_equal(mine, theirs)
            else:  # random draws: same amplitude bound per level
                bound = {"rough": ts.rough_noise_m, "boxes": ts.box_height_m}[kind]
                amp = bound[0] + (bound[1] - bound[0]) * level / (ts.levels - 1)
                assert np.abs(mine).max() <= amp + 1e-12 and np.abs(mine).max() > 0.5 * amp
    assert kernels.level_of(1.0, 10) == 9 and kernels.level_of(0.0, 10) == 0
    with pytest.raises(ValueError):
        kernels.level_of(1.5, 10)


# ------------------------------------------------------------------------------ registration
class _FakeGym(types.ModuleType):
    def __init__(self) -> None:
        super().__init__("gymnasium")
        self.registry: dict[str, dict] = {}

    def register(self, *, id: str, entry_point: str, disable_env_checker: bool, kwargs: dict):
        assert id not in self.registry
        self.registry[id] = {"entry_point": entry_point, **kwargs}


def test_registration_points_at_existing_configs(monkeypatch: pytest.MonkeyPatch) -> None:
    gym = _FakeGym()
    monkeypatch.setitem(sys.modules, "gymnasium", gym)
    ids = registration.register_tasks()
    assert registration.register_tasks() == ids  # again: no duplicate registration
    assert sorted(ids) == sorted(spec.TASK_IDS.values())
    for task_id, entry in gym.registry.items():
        env_module, env_cls = entry["entry_point"].split(":")
        assert env_module == "navila_loco_train.isaaclab.mdp"
        assert env_cls in _classes(_module_tree("mdp"))
        for key in ("env_cfg_entry_point", "rsl_rl_cfg_entry_point"):
            module, cls = entry[key].split(":")
            assert module.startswith("navila_loco_train.isaaclab.")
            assert cls in _classes(_module_tree(module.rsplit(".", 1)[1])), entry[key]
        assert ("Play" in task_id) == ("Play" in entry["env_cfg_entry_point"])


def test_registration_without_gymnasium_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "gymnasium", None)
    with pytest.raises(ImportError, match="needs gymnasium"):
        registration.register_tasks()


# ------------------------------------------------------------------------------ launcher
def test_launch_without_isaaclab_explains(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ISAACLAB_PATH", raising=False)
    with pytest.raises(SystemExit, match="where is Isaac Lab"):
        launch.main(["train", "--task", "NaVILA-Go2-Blind-v0"])
    with pytest.raises(SystemExit, match="unknown task"):
        launch.main(["train", "--task", "Isaac-Velocity-Rough-Unitree-Go2-v0"])


def test_launch_runs_isaaclabs_script_with_the_tasks_registered(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A stand-in Isaac Lab checkout: its train.py records what it was started with."""
    scripts = tmp_path / "IsaacLab" / "scripts" / "reinforcement_learning" / "rsl_rl"
    scripts.mkdir(parents=True)
    (scripts / "cli_args.py").write_text("MARK = 'neighbour importable'\n")
    record = tmp_path / "record.json"
    (scripts / "train.py").write_text(
        "import json, sys\nimport cli_args\nimport gymnasium\n"
        f"open({str(record)!r}, 'w').write(json.dumps("
        "{'argv': sys.argv, 'registered': sorted(gymnasium.registry), 'mark': cli_args.MARK}))\n"
    )
    monkeypatch.setitem(sys.modules, "gymnasium", _FakeGym())
    monkeypatch.setattr(sys, "argv", list(sys.argv))
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.delitem(sys.modules, "cli_args", raising=False)
    monkeypatch.setenv("ISAACLAB_PATH", str(tmp_path / "IsaacLab"))
    try:
        launch.main(["train", "--task", "NaVILA-Go2-Vision-v0", "--headless", "--num_envs", "8"])
    finally:
        sys.modules.pop("cli_args", None)
    got = json.loads(record.read_text())
    assert got["argv"][1:] == ["--task", "NaVILA-Go2-Vision-v0", "--headless", "--num_envs", "8"]
    assert got["registered"] == sorted(spec.TASK_IDS.values())
    assert got["mark"] == "neighbour importable"
    assert "logs/rsl_rl/navila_go2_vision" in capsys.readouterr().out


# ------------------------------------------------------------------------------ config smoke test
# Isaac Lab cannot be imported here, so the config modules' own code (class composition, the
# order and weight checks, the custom terms' glue) would never run before an RTX user tries it.
# The stand-in below provides only the Isaac Lab 2.3 names they use, with the semantics they rely
# on (configclass: class attributes become per-instance fields, base class first, then
# __post_init__). It checks *our* code, not compatibility with the real Isaac Lab.
class _Cfg:
    """Keyword-argument config object with Isaac Lab's ``replace``."""

    def __init__(self, **kwargs: object) -> None:
        self.__dict__.update(kwargs)

    def replace(self, **kwargs: object) -> _Cfg:
        new = copy.deepcopy(self)
        new.__dict__.update(kwargs)
        return new


def _configclass(cls: type) -> type:
    def fields() -> dict[str, object]:
        out: dict[str, object] = {}
        for klass in reversed(cls.__mro__):
            for name, value in vars(klass).items():
                if name.startswith("__") or name == "replace":
                    continue
                method = isinstance(value, types.FunctionType) and value.__qualname__.startswith(
                    klass.__qualname__ + "."
                )
                if not method and not isinstance(value, (staticmethod, classmethod, property)):
                    out[name] = value
        return out

    def __init__(self: object, **kwargs: object) -> None:  # noqa: N807
        for name, value in fields().items():
            setattr(self, name, copy.deepcopy(value))
        self.__dict__.update(kwargs)
        post = getattr(self, "__post_init__", None)
        if post is not None:
            post()

    cls.__init__ = __init__
    cls.replace = _Cfg.replace
    return cls


class _SceneEntityCfg(_Cfg):
    def __init__(self, name: str, **kwargs: object) -> None:
        super().__init__(name=name, joint_ids=slice(None), body_ids=slice(None), **kwargs)


_IL_MDP_PLAIN = [
    "base_lin_vel",
    "projected_gravity",
    "track_lin_vel_xy_exp",
    "track_ang_vel_z_exp",
    "lin_vel_z_l2",
    "ang_vel_xy_l2",
    "joint_torques_l2",
    "joint_acc_l2",
    "action_rate_l2",
    "undesired_contacts",
    "flat_orientation_l2",
    "time_out",
    "bad_orientation",
    "illegal_contact",
    "randomize_rigid_body_material",
    "randomize_rigid_body_mass",
    "reset_root_state_uniform",
    "reset_joints_by_offset",
    "push_by_setting_velocity",
]
_TERM_CFGS = "ObservationTermCfg RewardTermCfg TerminationTermCfg EventTermCfg CurriculumTermCfg"


def _install_fake_isaaclab(monkeypatch: pytest.MonkeyPatch) -> types.SimpleNamespace:
    def module(name: str, **attrs: object) -> types.ModuleType:
        mod = types.ModuleType(name)
        mod.__dict__.update(attrs)
        monkeypatch.setitem(sys.modules, name, mod)
        parent, _, child = name.rpartition(".")
        if parent:
            setattr(sys.modules[parent], child, mod)
        return mod

    def cfg(name: str) -> type:
        return type(name, (_Cfg,), {})

    def fn(name: str, impl: object = None) -> types.FunctionType:
        def f(*args: object, **kwargs: object) -> object:
            return impl(*args, **kwargs) if impl else None

        f.__name__ = f.__qualname__ = name
        f.__module__ = "isaaclab.envs.mdp.fake"
        return f

    def data(env: object, asset: object) -> object:
        return env.scene[asset.name].data

    class ManagerTermBase:
        def __init__(self, cfg: object, env: object) -> None:
            self.cfg, self._env = cfg, env

    @_configclass
    class ObservationGroupCfg:
        concatenate_terms = True
        enable_corruption = False

    @_configclass
    class HfTerrainBaseCfg:
        proportion = 1.0
        size = (10.0, 10.0)
        border_width = 0.0
        horizontal_scale = 0.1
        vertical_scale = 0.005
        slope_threshold = None

    @_configclass
    class ManagerBasedRLEnvCfg:
        seed = None
        decimation = 1
        episode_length_s = 0.0
        sim = _Cfg(dt=0.01, render_interval=1, physics_material=None, physx=_Cfg())

    @_configclass
    class InteractiveSceneCfg:
        num_envs = 1
        env_spacing = 1.0

    @_configclass
    class RslRlOnPolicyRunnerCfg:
        seed = 42
        clip_actions = None

    ray_caster = cfg("RayCasterCfg")
    ray_caster.OffsetCfg = cfg("OffsetCfg")
    command = cfg("UniformVelocityCommandCfg")
    command.Ranges = cfg("Ranges")

    def joint_pos_rel(env: object, asset_cfg: object) -> torch.Tensor:
        d = data(env, asset_cfg)
        return d.joint_pos[:, asset_cfg.joint_ids] - d.default_joint_pos[:, asset_cfg.joint_ids]

    il_mdp = {name: fn(name) for name in _IL_MDP_PLAIN}
    il_mdp.update(
        base_ang_vel=fn("base_ang_vel", lambda env, asset_cfg: data(env, asset_cfg).root_ang_vel_b),
        generated_commands=fn(
            "generated_commands",
            lambda env, command_name: env.command_manager.get_command(command_name),
        ),
        joint_pos_rel=fn("joint_pos_rel", joint_pos_rel),
        joint_vel_rel=fn(
            "joint_vel_rel",
            lambda env, asset_cfg: data(env, asset_cfg).joint_vel[:, asset_cfg.joint_ids],
        ),
        last_action=fn("last_action", lambda env: env.action_manager.action),
        is_terminated=fn("is_terminated", lambda env: env.termination_manager.terminated.float()),
    )

    def height_field_to_mesh(func: object) -> object:
        def wrapper(difficulty: float, cfg: object) -> object:
            return func(difficulty, cfg)

        wrapper.__name__ = func.__name__
        return wrapper

    class UniformVelocityCommand:
        """The part of Isaac Lab's command term the NaVILA term builds on."""

        def __init__(self, cfg: object, env: object) -> None:
            self.cfg, self._env = cfg, env
            self.num_envs, self.device = env.num_envs, env.device
            self.robot = env.scene[cfg.asset_name]
            self.vel_command_b = torch.zeros(env.num_envs, 3)
            self.metrics: dict[str, torch.Tensor] = {}

        def _resample_command(self, env_ids: object) -> None:
            r = self.cfg.ranges
            k = len(env_ids)
            for i, (lo, hi) in enumerate((r.lin_vel_x, r.lin_vel_y, r.ang_vel_z)):
                self.vel_command_b[env_ids, i] = torch.empty(k).uniform_(lo, hi)

        def _update_metrics(self) -> None:
            pass

    class RewardManager:
        """Isaac Lab's: every term weighted and summed (here: the env's `raw_reward` stands for
        the sum), the terms by name."""

        def __init__(self, cfg: object, env: object) -> None:
            self.cfg, self._env = cfg, env

        @property
        def active_terms(self) -> list[str]:
            return [k for k, v in vars(self.cfg).items() if v is not None]

        def get_term_cfg(self, name: str) -> object:
            return getattr(self.cfg, name)

        def compute(self, dt: float) -> torch.Tensor:
            return self._env.raw_reward.clone()

    class ManagerBasedRLEnv:
        def __init__(self, cfg: object) -> None:
            self.cfg = cfg
            self.load_managers()

        def load_managers(self) -> None:
            self.reward_manager = RewardManager(self.cfg.rewards, self)

    go2 = _Cfg(
        init_state=_Cfg(pos=(0.0, 0.0, 0.4), joint_pos={".*": 0.0}, joint_vel={".*": 0.0}),
        actuators={"base_legs": _Cfg()},
    )
    module("isaaclab")
    module("isaaclab.utils", configclass=_configclass)
    module("isaaclab.utils.noise", AdditiveUniformNoiseCfg=cfg("AdditiveUniformNoiseCfg"))
    module("isaaclab.sim", RigidBodyMaterialCfg=cfg("Material"), DomeLightCfg=cfg("Dome"))
    module(
        "isaaclab.actuators",
        DelayedPDActuatorCfg=cfg("DelayedPDActuatorCfg"),
        ImplicitActuator=type("ImplicitActuator", (), {}),
    )
    module("isaaclab.assets", ArticulationCfg=cfg("ArticulationCfg"), AssetBaseCfg=cfg("Asset"))
    module(
        "isaaclab.envs",
        ManagerBasedEnv=object,
        ManagerBasedRLEnv=ManagerBasedRLEnv,
        ManagerBasedRLEnvCfg=ManagerBasedRLEnvCfg,
    )
    module(
        "isaaclab.envs.mdp",
        JointPositionActionCfg=cfg("JointPositionActionCfg"),
        UniformVelocityCommandCfg=command,
        UniformVelocityCommand=UniformVelocityCommand,
        **il_mdp,
    )
    module(
        "isaaclab.managers",
        ManagerTermBase=ManagerTermBase,
        RewardManager=RewardManager,
        ObservationGroupCfg=ObservationGroupCfg,
        SceneEntityCfg=_SceneEntityCfg,
        **{name: cfg(name) for name in _TERM_CFGS.split()},
    )
    module("isaaclab.scene", InteractiveSceneCfg=InteractiveSceneCfg)
    module(
        "isaaclab.sensors",
        ContactSensorCfg=cfg("ContactSensorCfg"),
        RayCasterCfg=ray_caster,
        patterns=types.SimpleNamespace(GridPatternCfg=cfg("GridPatternCfg")),
    )
    module("isaaclab.terrains", TerrainGeneratorCfg=cfg("TGen"), TerrainImporterCfg=cfg("TImp"))
    module("isaaclab.terrains.height_field")
    module("isaaclab.terrains.height_field.hf_terrains_cfg", HfTerrainBaseCfg=HfTerrainBaseCfg)
    module("isaaclab.terrains.height_field.utils", height_field_to_mesh=height_field_to_mesh)
    module("isaaclab_assets")
    module("isaaclab_assets.robots")
    h1 = _Cfg(
        init_state=_Cfg(pos=(0.0, 0.0, 1.05), joint_pos={".*": 0.0}, joint_vel={".*": 0.0}),
        actuators={"legs": _Cfg(), "feet": _Cfg(), "arms": _Cfg()},
    )
    module("isaaclab_assets.robots.unitree", UNITREE_GO2_CFG=go2, H1_CFG=h1)
    module("isaaclab_rl")
    module(
        "isaaclab_rl.rsl_rl",
        RslRlOnPolicyRunnerCfg=RslRlOnPolicyRunnerCfg,
        RslRlPpoActorCriticCfg=cfg("RslRlPpoActorCriticCfg"),
        RslRlPpoAlgorithmCfg=cfg("RslRlPpoAlgorithmCfg"),
        RslRlSymmetryCfg=cfg("RslRlSymmetryCfg"),
    )
    for name in ISAACLAB_MODULES:
        monkeypatch.delitem(sys.modules, f"navila_loco_train.isaaclab.{name}", raising=False)
        # `from navila_loco_train.isaaclab import mdp` reads the package attribute first
        monkeypatch.delattr(il_pkg, name, raising=False)
    monkeypatch.setattr(il_pkg, "check_isaaclab_version", lambda: None)
    return types.SimpleNamespace(
        env_cfg=importlib.import_module("navila_loco_train.isaaclab.env_cfg"),
        agents=importlib.import_module("navila_loco_train.isaaclab.agents"),
        mdp=importlib.import_module("navila_loco_train.isaaclab.mdp"),
    )


@pytest.fixture
def fake_isaaclab(monkeypatch: pytest.MonkeyPatch) -> types.SimpleNamespace:
    return _install_fake_isaaclab(monkeypatch)


def _terms(group: object) -> dict[str, object]:
    return {k: v for k, v in vars(group).items() if hasattr(v, "func")}


def test_env_cfgs_build_with_the_declared_layout(fake_isaaclab: types.SimpleNamespace) -> None:
    m = fake_isaaclab.env_cfg
    for cls, variant in ((m.Go2BlindEnvCfg, "blind"), (m.Go2VisionEnvCfg, "vision")):
        cfg = cls()
        layout = spec.LAYOUT[variant]
        assert list(_terms(cfg.observations.policy)) == [t.name for t in layout.policy]
        assert list(_terms(cfg.observations.privileged)) == [t.name for t in layout.privileged]
        assert cfg.observations.policy.enable_corruption is True
        assert cfg.observations.privileged.enable_corruption is False
        hist = cfg.observations.policy.proprio_history.params
        assert hist["history_length"] == 9 and hist["corrupt"] is True
        assert hist["terms"] == [t.name for t in layout.frame]
        assert (cfg.sim.dt, cfg.decimation, cfg.episode_length_s) == (0.005, 4, 20.0)
        assert cfg.scene.num_envs == spec.load(variant).train.num_envs
        weights = {k: v.weight for k, v in _terms(cfg.rewards).items()}
        assert weights == REWARD_WEIGHTS
        legs = cfg.scene.robot.actuators["base_legs"]
        assert (legs.min_delay, legs.max_delay) == (0, 3)
        assert set(legs.stiffness.values()) == {40.0} and set(legs.damping.values()) == {1.0}
        assert cfg.actions.joint_pos.preserve_order and cfg.actions.joint_pos.scale == 0.25
        ranges = cfg.commands.base_velocity.ranges
        assert (ranges.lin_vel_x, ranges.lin_vel_y, ranges.ang_vel_z) == (
            (0.0, 1.0), (0.0, 0.0), (-1.0, 1.0)
        )  # fmt: skip
        gen = cfg.scene.terrain.terrain_generator
        assert (gen.num_rows, gen.num_cols, gen.size, gen.curriculum) == (10, 4, (8.0, 8.0), True)
        assert cfg.events.push_robot.interval_range_s == (8.0, 8.0)
        assert cfg.terminations.base_height.params["minimum_height"] == 0.18
    play = m.Go2VisionPlayEnvCfg()
    assert play.observations.policy.enable_corruption is False
    assert play.observations.policy.proprio_history.params["corrupt"] is False
    assert play.events.push_robot is None and play.curriculum.terrain_levels is None


def test_finetune_env_cfgs_apply_their_training_config(
    fake_isaaclab: types.SimpleNamespace,
) -> None:
    m = fake_isaaclab.env_cfg
    for cls, config in (
        (m.Go2BlindFinetuneEnvCfg, "go2_blind_finetune"),
        (m.Go2VisionFinetuneEnvCfg, "go2_vision_finetune_deploy"),
    ):
        bundle = spec.load(config)
        cfg = cls()
        gen = cfg.scene.terrain.terrain_generator
        assert (gen.num_rows, gen.num_cols, gen.horizontal_scale) == (10, 5, 0.02)
        assert [tile.kind for tile in gen.sub_terrains.values()] == list(bundle.task.terrain.types)
        assert {tile.proportion for tile in gen.sub_terrains.values()} == {0.2}
        assert cfg.scene.terrain.max_init_terrain_level == 9
        assert cfg.scene.num_envs == bundle.train.num_envs == 1024
        terms = _terms(cfg.rewards)
        assert {k: v.weight for k, v in terms.items()} == bundle.task.reward_weights
        for name in ("track_lin_vel_xy_exp", "track_ang_vel_z_exp"):
            assert terms[name].params["std"] == pytest.approx(math.sqrt(0.1))
            assert terms[name].params["command_name"] == spec.COMMAND_NAME
        assert terms["stand_still"].params["asset_cfg"].joint_names == list(
            bundle.robot.joint_names
        )  # the Isaac Lab-only params stay
        assert terms["feet_stumble"].params["sensor_cfg"].body_names == ".*_foot"
        # the layout is the base task's
        base = (m.Go2BlindEnvCfg if bundle.variant == "blind" else m.Go2VisionEnvCfg)()
        assert list(_terms(cfg.observations.policy)) == list(_terms(base.observations.policy))
    # building a finetune config leaves the base tasks' defaults alone
    base = m.Go2VisionEnvCfg()
    gen = base.scene.terrain.terrain_generator
    assert (gen.num_cols, gen.horizontal_scale, base.scene.terrain.max_init_terrain_level) == (
        4,
        0.05,
        2,
    )
    assert base.rewards.track_lin_vel_xy_exp.params["std"] == pytest.approx(math.sqrt(0.25))
    play = m.Go2VisionFinetunePlayEnvCfg()
    assert play.scene.num_envs == m.PLAY_NUM_ENVS and play.curriculum.terrain_levels is None
    assert play.scene.terrain.terrain_generator.num_cols == 5
    assert play.scene.terrain.terrain_generator.curriculum is False


def test_a_configs_command_draws_reach_the_command_term(
    fake_isaaclab: types.SimpleNamespace,
) -> None:
    m = fake_isaaclab.env_cfg
    deploy = spec.load("go2_blind_finetune_deploy")
    cfg = m.Go2BlindEnvCfg()
    m._apply_train_config(cfg, deploy)
    cmd = cfg.commands.base_velocity
    assert cmd.deploy_fraction == 0.3 == deploy.task.commands.deploy_fraction
    assert cmd.deploy_commands == deploy.task.commands.deploy_commands
    assert cmd.turn_in_place_fraction == deploy.task.commands.turn_in_place_fraction
    assert (cmd.ranges.lin_vel_x, cmd.ranges.ang_vel_z) == ((0.0, 1.0), (-1.0, 1.0))
    assert m.Go2BlindEnvCfg().commands.base_velocity.deploy_fraction == 0.0  # default: off
    term = fake_isaaclab.mdp.NavilaVelocityCommand(cmd, _FakeEnv(2, 12))
    assert term.spec.deploy_fraction == 0.3
    assert term.spec.deploy_commands == deploy.task.commands.deploy_commands
    assert cmd.resampling_time_range == (10.0, 10.0)  # a fixed resample_s
    ranged = replace(deploy.task.commands, resample_range_s=(1.5, 5.0))
    assert m._command_fields(ranged)["resampling_time_range"] == (1.5, 5.0)  # draws' durations


def test_a_task_that_changes_more_than_the_port_applies_is_refused(
    fake_isaaclab: types.SimpleNamespace,
) -> None:
    """Observation noise is built into the config classes' terms: a config that changes it
    would be trained half-applied, so it is refused."""
    m = fake_isaaclab.env_cfg
    cfg = m.Go2VisionEnvCfg()
    sharp = spec.load("go2_vision_finetune_sharp")
    noisier = replace(
        sharp, task=replace(sharp.task, noise=replace(sharp.task.noise, base_ang_vel=0.3))
    )
    with pytest.raises(ValueError, match="randomisation and symmetry, which this"):
        m._apply_train_config(cfg, noisier)
    with pytest.raises(ValueError, match="needs go2_vision's observation layout"):
        m._apply_train_config(cfg, replace(sharp, layout=spec.load("blind").layout))


def test_the_base_contact_ends_an_episode_where_the_config_says_so(
    fake_isaaclab: types.SimpleNamespace,
) -> None:
    """terminations.base_contact, the switch the MuJoCo trainer follows too: the Go2 configs
    trained the shipped policies without it (no term), a config that sets it gets Isaac Lab's
    illegal_contact on its robot's base body."""
    m = fake_isaaclab.env_cfg
    assert m.Go2VisionEnvCfg().terminations.base_contact is None
    assert m.Go2BlindEnvCfg().terminations.base_contact is None
    rubble = spec.load("go2_vision_finetune_rubble")
    cfg = m.Go2VisionEnvCfg()
    m._apply_train_config(cfg, rubble)
    assert cfg.terminations.base_contact is None
    terms = replace(rubble.task.terminations, base_contact=True)
    m._apply_train_config(cfg, replace(rubble, task=replace(rubble.task, terminations=terms)))
    term = cfg.terminations.base_contact
    assert term.func is sys.modules["isaaclab.envs.mdp"].illegal_contact
    assert term.params["sensor_cfg"].body_names == "base"
    assert term.params["threshold"] == spec.CONTACT_THRESHOLD_N


def test_h1_env_cfg_is_the_h1_vision_config(fake_isaaclab: types.SimpleNamespace) -> None:
    """NaVILA-H1-Vision-v0: config/h1.yaml's robot and 256-input layout, configs/h1_vision.yaml's
    terminations, randomisation and rewards, the base terms on the pelvis, the map's rays and
    frame on the torso (the LiDAR's body, as deployed)."""
    m = fake_isaaclab.env_cfg
    h1 = spec.load("h1_vision")
    joints = list(h1.robot.joint_names)
    assert len(joints) == 19 and h1.robot.base_body == "pelvis"
    cfg = m.H1VisionEnvCfg()
    policy, privileged = cfg.observations.policy, cfg.observations.privileged
    assert list(_terms(policy)) == [t.name for t in h1.layout.policy] == [
        "base_lin_vel", "base_ang_vel", "projected_gravity", "velocity_command",
        "joint_pos_rel", "joint_vel_rel", "last_action", "height_map",
    ]  # fmt: skip
    assert h1.layout.policy_size == 256 and h1.layout.history_length == 0
    assert list(_terms(privileged)) == ["base_lin_vel", "height_map"]
    assert (policy.base_lin_vel.noise.n_max, policy.projected_gravity.noise.n_max) == (0.1, 0.05)
    assert policy.joint_pos_rel.params["asset_cfg"].joint_names == joints
    hm = policy.height_map.params
    assert hm["gravity_align"] is True and policy.height_map.clip == (-1.0, 1.0)
    assert (hm["map_cfg"]["cell_mode"], hm["map_cfg"]["order"]) == ("centered", "y_major")
    assert hm["map_cfg"]["empty_value"] == 0.55 and hm["density_range"] == [0.3, 0.8]
    assert privileged.height_map.params["density_range"] is None
    assert h1.robot.map_body == "torso_link"
    for group in (policy, privileged):
        assert group.height_map.params["asset_cfg"].body_names == ["torso_link"]
    assert cfg.scene.height_scanner.prim_path == "{ENV_REGEX_NS}/Robot/torso_link"
    assert cfg.scene.base_height_scanner.prim_path == "{ENV_REGEX_NS}/Robot/pelvis"
    robot = cfg.scene.robot
    assert list(robot.actuators) == ["base_legs"]  # the asset's groups replaced by one PD drive
    legs = robot.actuators["base_legs"]
    assert legs.joint_names_expr == joints
    assert (legs.stiffness["left_knee_joint"], legs.damping["left_ankle_joint"]) == (200.0, 4.0)
    assert legs.effort_limit["right_knee_joint"] == 300.0
    assert robot.init_state.joint_pos["left_knee_joint"] == 0.79
    assert robot.init_state.pos == (0.0, 0.0, 1.05)  # the asset's spawn height stays
    assert cfg.actions.joint_pos.joint_names == joints and cfg.actions.joint_pos.scale == 0.5
    terms = _terms(cfg.rewards)
    assert {k: v.weight for k, v in terms.items()} == h1.task.reward_weights
    assert (terms["termination"].weight, terms["joint_torques_l2"].weight) == (-200.0, 0.0)
    assert cfg.only_positive_rewards is h1.task.only_positive_rewards is False  # as Isaac Lab's
    air = terms["feet_air_time"].params
    assert air["threshold"] == 0.4 and air["sensor_cfg"].body_names == ".*_ankle_link"
    assert terms["feet_stumble"].params["sensor_cfg"].body_names == ".*_ankle_link"
    undesired = terms["undesired_contacts"].params["sensor_cfg"].body_names
    assert undesired == "(?:.*_knee_link)|(?:.*_elbow_link)"
    limits = terms["joint_pos_limits"].params
    assert limits["asset_cfg"].joint_names == joints and limits["lower"] == list(h1.robot.pos_min)
    for name in ("joint_torques_l2", "joint_acc_l2", "stand_still", "joint_deviation_l1"):
        assert terms[name].params["asset_cfg"].joint_names == joints
    # Isaac Lab's humanoid terms (h1_vision.yaml: weights, threshold, deviation scales)
    assert {k: terms[k].weight for k in HUMANOID_TERMS} == {
        "feet_air_time_biped": 0.25,
        "feet_slide": -0.25,
        "joint_deviation_l1": -1.0,
    }
    assert terms["feet_air_time"].weight == 0.0  # the quadruped term is replaced
    biped = terms["feet_air_time_biped"].params
    assert (biped["threshold"], biped["command_small"]) == (0.4, 0.1)
    assert biped["command_name"] == spec.COMMAND_NAME
    assert biped["sensor_cfg"].name == spec.CONTACT_SENSOR
    assert biped["sensor_cfg"].body_names == ".*_ankle_link"
    slide = terms["feet_slide"].params
    assert slide["threshold"] == spec.CONTACT_THRESHOLD_N
    assert slide["sensor_cfg"].body_names == ".*_ankle_link"
    # the feet's velocity: the robot's ankle bodies, not the policy joints
    assert slide["asset_cfg"].name == spec.ROBOT_ENTITY
    assert slide["asset_cfg"].body_names == ".*_ankle_link"
    assert not hasattr(slide["asset_cfg"], "joint_names")
    scales = dict(zip(joints, terms["joint_deviation_l1"].params["scales"], strict=True))
    assert len(scales) == 19
    for joint, scale in scales.items():
        if joint == "torso_joint":
            want = 0.1
        elif any(k in joint for k in ("hip_yaw", "hip_roll", "shoulder", "elbow")):
            want = 0.2
        else:
            assert any(k in joint for k in ("hip_pitch", "knee", "ankle")), joint
            want = 0.0
        assert scale == want, joint
    assert sum(s == 0.2 for s in scales.values()) == 2 + 2 + 6 + 2  # hips, shoulders, elbows
    assert cfg.terminations.base_height.params["minimum_height"] == 0.6
    assert cfg.terminations.base_contact.params["sensor_cfg"].body_names == "pelvis"
    mass = cfg.events.add_base_mass.params
    assert mass["mass_distribution_params"] == (-1.0, 3.0)
    assert mass["asset_cfg"].body_names == "pelvis"
    assert (cfg.sim.dt, cfg.decimation) == (h1.robot.physics_dt, h1.robot.decimation)
    assert cfg.scene.num_envs == 4096 and cfg.seed == 1
    # building the H1's config leaves the Go2 classes' alone
    go2 = m.Go2VisionEnvCfg()
    assert go2.terminations.base_height.params["minimum_height"] == 0.18
    assert go2.events.add_base_mass.params["asset_cfg"].body_names == "base"
    assert go2.rewards.feet_air_time.params["sensor_cfg"].body_names == ".*_foot"
    go2_terms = _terms(go2.rewards)
    assert {k: go2_terms[k].weight for k in HUMANOID_TERMS} == dict.fromkeys(HUMANOID_TERMS, 0.0)
    assert go2.rewards.feet_slide.params["asset_cfg"].body_names == ".*_foot"
    assert go2.rewards.joint_deviation_l1.params["scales"] == [0.0] * 12
    assert go2.rewards.joint_deviation_l1.params["asset_cfg"].joint_names == list(
        spec.load("go2_vision").robot.joint_names
    )
    assert go2.observations.policy.height_map.params["gravity_align"] is False
    play = m.H1VisionPlayEnvCfg()
    assert play.observations.policy.enable_corruption is False and play.events.push_robot is None
    assert play.observations.policy.height_map.params["density_range"] is None


def test_runner_cfgs_carry_the_ppo_spec(fake_isaaclab: types.SimpleNamespace) -> None:
    ppo = TaskSpec().ppo
    agents = fake_isaaclab.agents
    for cls, variant in (
        (agents.Go2BlindPPORunnerCfg, "blind"),
        (agents.Go2VisionPPORunnerCfg, "vision"),
        # a finetune task continues its base task's experiment
        (agents.Go2BlindFinetunePPORunnerCfg, "blind"),
        (agents.Go2VisionFinetunePPORunnerCfg, "vision"),
    ):
        cfg = cls()
        assert cfg.obs_groups == spec.OBS_GROUPS and cfg.clip_actions == 20.0
        assert cfg.num_steps_per_env == 24 and cfg.max_iterations == 1500
        assert cfg.experiment_name == f"navila_go2_{variant}"
        assert cfg.policy.actor_hidden_dims == [512, 256, 128] == cfg.policy.critic_hidden_dims
        assert cfg.policy.actor_obs_normalization is cfg.policy.critic_obs_normalization is True
        alg = vars(cfg.algorithm)
        for key in ("learning_rate", "desired_kl", "gamma", "lam", "clip_param", "entropy_coef"):
            assert alg[key] == getattr(ppo, key)
        assert (alg["num_learning_epochs"], alg["num_mini_batches"]) == (5, 4)
    h1 = agents.H1VisionPPORunnerCfg()
    assert (h1.experiment_name, h1.max_iterations, h1.clip_actions) == (
        "navila_h1_vision",
        3000,
        20,
    )
    assert h1.obs_groups == spec.OBS_GROUPS and vars(h1.algorithm) == vars(_go2_algorithm(agents))


def _go2_algorithm(agents: types.ModuleType) -> object:
    return agents.Go2VisionPPORunnerCfg().algorithm


# ------------------------------------------------------------------------------ symmetry
@pytest.mark.parametrize("config", ["go2_vision_finetune_deploy", "go2_blind", "h1_vision"])
def test_the_isaaclab_mirror_is_the_trainers_on_isaac_labs_groups(config: str) -> None:
    """spec.mirror: the policy group mirrored as the MuJoCo trainer mirrors its actor input;
    the privileged group as the trainer mirrors the rest of its critic input - with the cells
    of the grid where heightmap_node puts it (its own reading of config/<robot>.yaml)."""
    from heightmap_node.config import builder_config_from_params, load_params_file
    from navila_loco_train.inputs import input_names
    from navila_loco_train.symmetry import height_map_mirror, input_mirror, joint_mirror
    from navila_sim.robot import load_robot

    bundle = spec.load(config)
    mirror = spec.mirror(bundle)
    loco = load_loco_config(bundle.config_path, **dict(bundle.train.loco_overrides))
    joints = joint_mirror(load_robot(bundle.robot.name).mjcf_path, list(loco.joints.names))
    cells = None
    if bundle.height_map is not None:
        node = builder_config_from_params(load_params_file(bundle.config_path, "heightmap_node"))
        cells = height_map_mirror(node.map.grid, node.grid_in_base)
    names = input_names(loco, bundle.task.critic_extra_terms)
    critic = input_mirror(names["critic"], joints, cells)
    n = len(names["policy"])
    assert set(mirror.groups) == {spec.POLICY_GROUP, spec.PRIVILEGED_GROUP}
    assert n == bundle.layout.policy_size
    assert len(names["critic"]) == bundle.layout.critic_size
    rng = np.random.default_rng(0)
    policy = rng.normal(size=(3, n))
    privileged = rng.normal(size=(3, len(names["critic"]) - n))
    both = np.concatenate(
        [mirror.groups["policy"](policy), mirror.groups["privileged"](privileged)], 1
    )
    np.testing.assert_array_equal(both, critic(np.concatenate([policy, privileged], 1)))
    np.testing.assert_array_equal(mirror.actions.src, joints.src)
    np.testing.assert_array_equal(mirror.actions.sign, joints.sign)
    assert privileged.shape[1] == 3 + (0 if cells is None else len(cells))
    # the privileged base velocity's y flips, nothing else of it
    np.testing.assert_array_equal(
        mirror.groups["privileged"](privileged)[:, :3], privileged[:, :3] * [1.0, -1.0, 1.0]
    )


def _mirror_env(config: str) -> types.SimpleNamespace:
    """What rsl-rl hands the augmentation function: the wrapper, whose env's cfg names it."""
    return types.SimpleNamespace(
        unwrapped=types.SimpleNamespace(cfg=types.SimpleNamespace(navila_config=config))
    )


def test_the_augmentation_function_finds_its_task_through_the_env() -> None:
    """isaaclab.symmetry.augment, as rsl-rl calls it (keywords, a TensorDict of Isaac Lab's
    groups): the batch followed by spec.mirror's image of it; an env config without
    navila_config is refused, and so is the function's "module:name" (Isaac Lab's to_dict)
    resolving to anything but itself."""
    from tensordict import TensorDict

    from navila_loco_train.isaaclab import symmetry

    bundle = spec.load("go2_vision_finetune_deploy")
    mirror = spec.mirror(bundle)
    rng = torch.Generator().manual_seed(0)
    obs = TensorDict(
        {
            "policy": torch.randn(4, bundle.layout.policy_size, generator=rng),
            "privileged": torch.randn(
                4, bundle.layout.critic_size - bundle.layout.policy_size, generator=rng
            ),
        },
        batch_size=[4],
    )
    actions = torch.randn(4, len(bundle.robot.joint_names), generator=rng)
    env = _mirror_env("go2_vision_finetune_deploy")
    out_obs, out_actions = symmetry.augment(obs=obs, actions=actions, env=env)
    assert out_obs.batch_size[0] == 8 and out_actions.shape == (8, 12)
    for group in ("policy", "privileged"):
        torch.testing.assert_close(out_obs[group][:4], obs[group])
        torch.testing.assert_close(out_obs[group][4:], mirror.groups[group](obs[group]))
    torch.testing.assert_close(out_actions[4:], mirror.actions(actions))
    with pytest.raises(ValueError, match="navila_config"):
        symmetry.augment(obs=obs, env=_mirror_env(""))
    module, name = f"{symmetry.augment.__module__}:{symmetry.augment.__name__}".split(":")
    assert getattr(importlib.import_module(module), name) is symmetry.augment


def test_runners_carry_the_configs_symmetry(fake_isaaclab: types.SimpleNamespace) -> None:
    """No shipped task's config turns symmetry on: no symmetry_cfg. One that does gets rsl-rl's
    symmetry config with isaaclab.symmetry.augment; its env config names its training config,
    which is how augment finds the mirror, and the port accepts it (not refused)."""
    from navila_loco_train.isaaclab import symmetry
    from navila_loco_train.task_spec import SymmetrySpec

    agents, m = fake_isaaclab.agents, fake_isaaclab.env_cfg
    for cls in (
        agents.Go2BlindPPORunnerCfg,
        agents.Go2VisionPPORunnerCfg,
        agents.Go2BlindFinetunePPORunnerCfg,
        agents.Go2VisionFinetunePPORunnerCfg,
        agents.H1VisionPPORunnerCfg,
    ):
        assert cls().algorithm.symmetry_cfg is None
    alg = agents._algorithm(agents.PPO, SymmetrySpec(mirror_loss_coeff=0.5))
    sym = alg.symmetry_cfg
    assert (sym.use_data_augmentation, sym.use_mirror_loss, sym.mirror_loss_coeff) == (
        False,
        True,
        0.5,
    )
    assert sym.data_augmentation_func is symmetry.augment
    sym = agents._algorithm(agents.PPO, SymmetrySpec(augmentation=True)).symmetry_cfg
    assert (sym.use_data_augmentation, sym.use_mirror_loss) == (True, False)
    for cls, config in (
        (m.Go2BlindEnvCfg, "go2_blind"),
        (m.Go2VisionEnvCfg, "go2_vision"),
        (m.Go2BlindFinetuneEnvCfg, "go2_blind_finetune"),
        (m.Go2VisionFinetuneEnvCfg, "go2_vision_finetune_deploy"),
        (m.H1VisionEnvCfg, "h1_vision"),
    ):
        assert cls().navila_config == config
    mirrored = spec.load("go2_vision_finetune_mirror")
    assert mirrored.task.symmetry.enabled
    cfg = m.Go2VisionEnvCfg()
    m._finish_env(cfg, mirrored)
    assert cfg.navila_config == "go2_vision_finetune_mirror"


class _FakeEnv:
    """The few env / scene attributes the custom terms read, for N envs."""

    def __init__(self, n: int, joints: int) -> None:
        g = torch.Generator().manual_seed(0)
        self.num_envs, self.device, self.step_dt = n, "cpu", 0.02
        self.common_step_counter = 0
        self.max_episode_length_s = 20.0
        self.episode_length_buf = torch.full((n,), 1000)
        q = torch.randn(n, 4, generator=g)
        self.robot = types.SimpleNamespace(
            data=types.SimpleNamespace(
                root_quat_w=q / q.norm(dim=1, keepdim=True),
                root_pos_w=torch.tensor([[5.0, 0.0, 0.3], [0.2, 0.0, 0.1]])[:n],
                root_ang_vel_b=torch.randn(n, 3, generator=g),
                root_lin_vel_w=torch.tensor([[3.0, 4.0, 0.1], [0.0, -1.0, 0.0]])[:n],
                joint_pos=torch.randn(n, joints, generator=g),
                default_joint_pos=torch.zeros(n, joints),
                joint_vel=torch.randn(n, joints, generator=g),
            ),
            actuators={
                "legs": types.SimpleNamespace(
                    stiffness=torch.full((n, joints), 40.0),
                    effort_limit=torch.full((n, joints), 40.0),
                )
            },
        )
        self.command = torch.tensor([[1.0, 0.0, 0.0], [1.0, 0.0, 0.0]])[:n]
        self.command_term = types.SimpleNamespace(
            metrics={"path_m": torch.zeros(n), "commanded_path_m": torch.zeros(n)}
        )
        self.command_manager = types.SimpleNamespace(
            get_command=lambda name: self.command, get_term=lambda name: self.command_term
        )
        self.termination_manager = types.SimpleNamespace(terminated=torch.zeros(n, dtype=bool))
        self.action_manager = types.SimpleNamespace(action=torch.randn(n, joints, generator=g))
        self.terrain = types.SimpleNamespace(
            cfg=types.SimpleNamespace(terrain_generator=types.SimpleNamespace(size=(8.0, 8.0))),
            terrain_levels=torch.tensor([3, 3])[:n],
            moves=None,
        )
        self.terrain.update_env_origins = lambda ids, up, down: setattr(
            self.terrain, "moves", (up.tolist(), down.tolist())
        )
        ray = types.SimpleNamespace(data=types.SimpleNamespace(ray_hits_w=torch.zeros(n, 1, 3)))
        self.scene = _Scene(
            robot=self.robot,
            terrain=self.terrain,
            env_origins=torch.zeros(n, 3),
            sensors={spec.BASE_HEIGHT_SCANNER: ray},
        )


class _Scene(types.SimpleNamespace):
    """``env.scene``: attributes, and ``scene["robot"]``."""

    def __getitem__(self, name: str) -> object:
        assert name == spec.ROBOT_ENTITY
        return self.robot


def test_custom_terms_run(fake_isaaclab: types.SimpleNamespace) -> None:
    mdp = fake_isaaclab.mdp
    cfg = fake_isaaclab.env_cfg.Go2BlindEnvCfg()
    env = _FakeEnv(2, 12)
    asset = cfg.observations.policy.proprio_history.params["asset_cfg"]
    asset.joint_ids = list(range(12))
    # proprio history: the frame is the policy's proprio terms, in order
    term_cfg = cfg.observations.policy.proprio_history
    term_cfg.params["corrupt"] = False
    history = mdp.ProprioHistory(term_cfg, env)
    out = history(env, **term_cfg.params)
    frame = torch.cat(
        [
            env.robot.data.root_ang_vel_b,
            kernels.rpy_from_quat(env.robot.data.root_quat_w),
            env.command,
            env.robot.data.joint_pos,
            env.robot.data.joint_vel,
            env.action_manager.action,
        ],
        dim=1,
    )
    assert out.shape == (2, 9 * 45)
    torch.testing.assert_close(out, frame.repeat(1, 9))
    # motor strength scales kp and the torque limit together, per env
    ev = cfg.events.motor_strength
    strength = mdp.MotorStrength(ev, env)
    strength(env, torch.tensor([1]), **ev.params)
    legs = env.robot.actuators["legs"]
    assert torch.equal(legs.stiffness[0], torch.full((12,), 40.0))
    ratio = legs.stiffness[1] / 40.0
    assert 0.9 <= ratio[0] <= 1.1 and torch.allclose(ratio, legs.effort_limit[1] / 40.0)
    # curriculum on the command term's odometer: env 0 walked 5 m (up), env 1 0.2 m of the 10 m
    # asked for (down); a fall demotes whatever the path
    cur = cfg.curriculum.terrain_levels.params
    env.command_term.metrics["path_m"][:] = torch.tensor([5.0, 0.2])
    env.command_term.metrics["commanded_path_m"][:] = 10.0
    mdp.terrain_levels(env, [0, 1], **cur)
    assert env.terrain.moves == ([True, False], [False, True])
    env.termination_manager.terminated[0] = True
    mdp.terrain_levels(env, [0, 1], **cur)
    assert env.terrain.moves == ([False, False], [True, True])
    # base height above the ground under it: 0.3 m fine, 0.1 m terminates
    done = mdp.base_height_below(env, **cfg.terminations.base_height.params)
    assert done.tolist() == [False, True]
    # a curriculum tile as an int16 height field in vertical-scale units
    tile_cfg = cfg.scene.terrain.terrain_generator.sub_terrains["steps"]
    tile_cfg.size, tile_cfg.horizontal_scale = (7.95, 7.95), 0.05
    heights = mdp.navila_tile_terrain(0.95, tile_cfg)
    assert heights.dtype == np.int16 and heights.shape == (159, 159)
    assert heights.min() * tile_cfg.vertical_scale == pytest.approx(-8 * 0.12)


def test_humanoid_reward_terms_run(fake_isaaclab: types.SimpleNamespace) -> None:
    """The H1 task's feet_air_time_biped, feet_slide and joint_deviation_l1 terms with their
    configured params on a stand-in env: a pelvis and two ankles in the contact sensor and
    the articulation (ankles = bodies 1, 2)."""
    mdp = fake_isaaclab.mdp
    cfg = fake_isaaclab.env_cfg.H1VisionEnvCfg()
    env = _FakeEnv(2, 19)
    env.command = torch.tensor([[0.5, 0.0, 0.0], [0.0, 0.0, 0.0]])  # walk, stand
    feet = [1, 2]
    forces = torch.zeros(2, 3, 3, 3)  # (envs, history, bodies, xyz)
    forces[0, 2, 1, 2] = 50.0  # env 0: left foot down in the period's oldest step only
    forces[1, :, 1:, 2] = 300.0  # env 1: both feet down
    forces[1, 0, 0, 2] = 80.0  # the pelvis touches too (not a foot)
    sensor = types.SimpleNamespace(
        data=types.SimpleNamespace(
            current_contact_time=torch.tensor([[0.0, 0.25, 0.0], [0.4, 0.6, 0.5]]),
            current_air_time=torch.tensor([[1.0, 0.0, 0.3], [0.0, 0.0, 0.0]]),
            net_forces_w_history=forces,
        )
    )
    env.scene.sensors[spec.CONTACT_SENSOR] = sensor
    env.robot.data.body_lin_vel_w = torch.tensor(
        [
            [[9.0, 9.0, 9.0], [0.3, 0.4, -1.0], [2.0, 0.0, 0.0]],
            [[9.0, 9.0, 9.0], [0.0, 0.1, 0.0], [0.6, 0.8, 5.0]],
        ]
    )
    biped = cfg.rewards.feet_air_time_biped.params
    biped["sensor_cfg"].body_ids = feet
    # env 0: single support, min(0.25 contact, 0.3 air); env 1: told to stand (and both down)
    got = mdp.feet_air_time_biped(env, **biped)
    assert got.tolist() == pytest.approx([0.25, 0.0])
    slide = cfg.rewards.feet_slide.params
    slide["sensor_cfg"].body_ids = feet
    slide["asset_cfg"].body_ids = feet
    # env 0: the left foot (0.5 m/s horizontal), env 1: both (0.1 + 1.0); z never counts
    assert mdp.feet_slide(env, **slide).tolist() == pytest.approx([0.5, 1.1])
    slide["asset_cfg"].body_ids = [1]
    with pytest.raises(ValueError, match="2 feet in the contact sensor, 1 in the robot"):
        mdp.feet_slide(env, **slide)
    dev = cfg.rewards.joint_deviation_l1.params
    dev["asset_cfg"].joint_ids = list(range(19))
    scales = torch.tensor(dev["scales"], dtype=torch.float32)
    q = env.robot.data.joint_pos
    want = (scales * (q - env.robot.data.default_joint_pos).abs()).sum(dim=1)
    torch.testing.assert_close(mdp.joint_deviation_l1(env, **dev), want)
    with pytest.raises(ValueError, match="19 joints but 12 scales"):
        mdp.joint_deviation_l1(env, scales=[0.1] * 12, asset_cfg=dev["asset_cfg"])


def test_command_term_turns_in_place_and_keeps_the_odometer(
    fake_isaaclab: types.SimpleNamespace,
) -> None:
    mdp = fake_isaaclab.mdp
    cmd_cfg = fake_isaaclab.env_cfg.Go2BlindEnvCfg().commands.base_velocity
    assert cmd_cfg.class_type is mdp.NavilaVelocityCommand
    assert cmd_cfg.turn_in_place_fraction == TaskSpec().commands.turn_in_place_fraction
    env = _FakeEnv(2, 12)
    term = mdp.NavilaVelocityCommand(cmd_cfg, env)
    torch.manual_seed(0)
    term._resample_command([0, 1])
    assert term.vel_command_b[:, 0].min() >= 0.0  # forward only, as configured
    term.spec = replace(term.spec, turn_in_place_fraction=1.0)
    term._resample_command([0, 1])
    wz = term.vel_command_b[:, 2].abs()
    assert term.vel_command_b[:, :2].abs().max() == 0.0
    assert bool(((wz >= 0.3) & (wz <= 1.0)).all())
    term.spec = replace(term.spec, turn_in_place_fraction=0.0, deploy_fraction=1.0)
    term._resample_command([0, 1])
    deployed = {tuple(round(v, 6) for v in c) for c in term.spec.deploy_commands}
    assert {tuple(round(v, 6) for v in row) for row in term.vel_command_b.tolist()} <= deployed
    term._update_metrics()
    term._update_metrics()
    torch.testing.assert_close(term.metrics["path_m"], torch.tensor([5.0, 1.0]) * 2 * env.step_dt)
    assert term.metrics["commanded_path_m"].min() >= 0.0


class _Rays(types.SimpleNamespace):
    pass


def test_height_map_term_refreshes_at_the_lidar_rate_and_thins(
    fake_isaaclab: types.SimpleNamespace,
) -> None:
    mdp = fake_isaaclab.mdp
    cfg = fake_isaaclab.env_cfg.Go2VisionEnvCfg()
    pol, critic = cfg.observations.policy.height_map, cfg.observations.privileged.height_map
    assert pol.params["period_steps"] == 3 and critic.params["period_steps"] == 1
    assert pol.params["density_range"] == list(TaskSpec().randomization.height_map_density_range_m)
    assert critic.params["density_range"] is None
    play = fake_isaaclab.env_cfg.Go2VisionPlayEnvCfg().observations.policy.height_map
    assert play.params["density_range"] is None
    n = 6
    env = _FakeEnv(2, 12)
    env.num_envs = n
    env.robot.data.root_pos_w = torch.tensor([[0.0, 0.0, 0.32]] * n)
    env.robot.data.root_quat_w = torch.tensor([[1.0, 0.0, 0.0, 0.0]] * n)
    # the map's frame is asset_cfg's one body (the Go2's base), which Isaac Lab's manager resolves
    assert pol.params["asset_cfg"].body_names == ["base"]
    pol.params["asset_cfg"].body_ids = [0]
    env.robot.data.body_pos_w = env.robot.data.root_pos_w[:, None, :]
    env.robot.data.body_quat_w = env.robot.data.root_quat_w[:, None, :]
    k = torch.arange(-0.6, 0.61, 0.02)
    gx, gy = torch.meshgrid(k, k, indexing="ij")
    flat = torch.stack([gx.ravel(), gy.ravel(), torch.zeros(gx.numel())], dim=1)
    rays = _Rays(data=_Rays(ray_hits_w=flat.repeat(n, 1, 1)))
    env.scene.sensors[spec.HEIGHT_SCANNER] = rays
    params = {**pol.params, "density_range": None}
    term = mdp.HeightMap(pol, env)
    first = term(env, **params)
    hm = spec.load("vision").height_map
    pts = kernels.points_in_grid_frame(
        rays.data.ray_hits_w,
        env.robot.data.root_pos_w,
        env.robot.data.root_quat_w,
        torch.tensor(hm.grid_pos),
        torch.tensor(hm.grid_quat_wxyz),
    )
    torch.testing.assert_close(first, kernels.height_map(pts, **hm.kernel_params()))
    assert (first > 0).any()
    # the ground rises 5 cm: at step 1 only envs 2 and 5 ((1 + i) % 3 == 0) see it
    rays.data.ray_hits_w[..., 2] += 0.05
    env.common_step_counter = 1
    second = term(env, **params)
    changed = (second != first).any(dim=1).tolist()
    assert changed == [False, False, True, False, False, True]
    assert torch.equal(term(env, **params), second)  # asked again in the same step: same maps
    term.reset([0])  # a new episode: fresh map at the next call
    third = term(env, **params)
    assert (third != first).any(dim=1).tolist() == [True, False, True, False, False, True]
    # LiDAR-like thinning (r_ref 0.3-0.8 m) drops far points: other maps than the clean ones
    clean = mdp.HeightMap(pol, env)(env, **params)
    thinned = mdp.HeightMap(pol, env)(env, **pol.params)
    assert thinned.shape == clean.shape and not torch.equal(thinned, clean)


def test_env_clips_the_step_reward_at_zero(fake_isaaclab: types.SimpleNamespace) -> None:
    mdp = fake_isaaclab.mdp
    cfg = fake_isaaclab.env_cfg.Go2BlindEnvCfg()
    assert cfg.only_positive_rewards is TaskSpec().only_positive_rewards is True

    class Env(mdp.NavilaRLEnv):
        raw_reward = torch.tensor([-0.5, 0.0, 0.7])

    assert Env(cfg).reward_manager.compute(0.02).tolist() == pytest.approx([0.0, 0.0, 0.7])
    cfg.only_positive_rewards = False
    assert Env(cfg).reward_manager.compute(0.02).tolist() == pytest.approx([-0.5, 0.0, 0.7])


def test_env_adds_the_termination_penalty_after_the_clip(
    fake_isaaclab: types.SimpleNamespace,
) -> None:
    """As the MuJoCo trainer (rewards.AFTER_CLIP): a fall costs its penalty even in a step whose
    other terms sum below zero, where clipping everything would make it free."""
    mdp = fake_isaaclab.mdp
    cfg = fake_isaaclab.env_cfg.Go2BlindEnvCfg()
    assert cfg.rewards.termination.weight == 0.0  # off for the Go2
    cfg.rewards.termination.weight = -200.0

    class Env(mdp.NavilaRLEnv):
        # Isaac Lab's sum over all terms, the termination's -200 * 0.02 for env 0 included
        raw_reward = torch.tensor([-0.5 - 4.0, 0.0, 0.7])
        termination_manager = types.SimpleNamespace(terminated=torch.tensor([True, False, False]))

    assert Env(cfg).reward_manager.compute(0.02).tolist() == pytest.approx([-4.0, 0.0, 0.7])
