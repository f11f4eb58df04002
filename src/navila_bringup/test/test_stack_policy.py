"""Policy directories in the bring-up: overrides reach the loco node's command line, typed, and
the height-map node (and the LiDAR) only come up for policies that see a height map."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from navila_bringup.cli import main as navila_main
from navila_bringup.stack import SimStackOptions, isaac_stack, robot_stack, sim_stack
from navila_loco_node.config import load_params

CONFIG = Path(__file__).resolve().parents[3] / "config" / "go2.yaml"


def blind_dir(root: Path) -> Path:
    p = load_params(CONFIG)
    keep = [i for i, t in enumerate(p["observation.terms"]) if t != "height_map"]
    params = {
        "observation": {
            "terms": [p["observation.terms"][i] for i in keep],
            "scales": [1] * len(keep),  # YAML ints: must still reach rcl as a double array
            "clips": [0.0] * len(keep),
            "history_terms": list(p["observation.history_terms"]),
            "history_length": 9,
            "height_map_preset": "",
        },
        "policy": {"path": "policy.onnx", "num_inputs": 450, "num_outputs": 12},
    }
    root.mkdir()
    (root / "policy.onnx").write_bytes(b"weights")
    (root / "loco_params.yaml").write_text(
        yaml.safe_dump({"navila_loco": {"ros__parameters": params}})
    )
    return root


def ros_args(spec) -> list[str]:
    cmd = spec.command("python")
    return [cmd[i + 1] for i, a in enumerate(cmd) if a == "-p"]


def test_sim_stack_with_a_blind_policy_directory(tmp_path) -> None:
    d = blind_dir(tmp_path / "go2_blind")
    opts = SimStackOptions(config=str(CONFIG), low_level="physics", policy_path=str(d))
    specs = {s.name: s for s in sim_stack(opts)}
    assert "heightmap_node" not in specs
    assert specs["navila_sim"].params["lidar.enabled"] is False
    loco = specs["navila_loco"]
    assert loco.params["policy.path"] == str((d / "policy.onnx").resolve())
    args = ros_args(loco)
    assert "observation.scales:=[1.0, 1.0, 1.0, 1.0, 1.0, 1.0]" in args
    assert "observation.height_map_preset:=''" in args
    assert "policy.num_inputs:=450" in args
    assert (
        "observation.terms:=['base_ang_vel', 'base_rpy', 'velocity_command', 'joint_pos_rel', "
        "'joint_vel_rel', 'last_action']" in args
    )
    assert not [s for s in isaac_stack(str(CONFIG), policy_path=str(d)) if "heightmap" in s.name]
    assert not [
        s for s in robot_stack("go2", str(CONFIG), policy_path=str(d)) if "height" in s.name
    ]


def test_a_bare_policy_file_keeps_the_config_layout_and_the_height_map(tmp_path) -> None:
    f = tmp_path / "policy.jit"
    f.write_bytes(b"x")
    opts = SimStackOptions(config=str(CONFIG), low_level="physics", policy_path=str(f))
    specs = {s.name: s for s in sim_stack(opts)}
    assert "heightmap_node" in specs and "lidar.enabled" not in specs["navila_sim"].params
    assert specs["navila_loco"].params["policy.path"] == str(f.resolve())


def test_bad_policies_are_refused_with_the_reason(tmp_path, capsys) -> None:
    with pytest.raises(FileNotFoundError, match="policy not found"):
        sim_stack(
            SimStackOptions(config=str(CONFIG), low_level="physics", policy_path="/nope/x.onnx")
        )
    d = blind_dir(tmp_path / "bad")
    text = (d / "loco_params.yaml").read_text().replace("num_inputs: 450", "num_inputs: 909")
    (d / "loco_params.yaml").write_text(text)
    code = navila_main(["sim", "--low-level", "physics", "--policy", str(d), "--instruction", "x"])
    assert code == 1
    assert "builds 450 inputs" in capsys.readouterr().err


def test_physics_without_a_policy_names_the_fix(capsys) -> None:
    assert navila_main(["sim", "--low-level", "physics", "--instruction", "stop"]) == 2
    err = capsys.readouterr().err
    assert "physics mode needs a locomotion policy" in err and "models/" in err


def test_the_h1_on_hardware_republishes_its_imu_for_the_map(tmp_path) -> None:
    """A Unitree robot's IMU comes in LowState: the loco node passes it on where heightmap_node
    levels with one - the H1's map, the Go2's clearance (use_imu; its map is not levelled) -
    and nowhere else (the same Go2 config with use_imu false)."""
    config_dir = CONFIG.parent
    h1 = {s.name: s for s in robot_stack("h1", str(config_dir / "h1.yaml"))}
    assert h1["navila_loco"].params["topics.imu_out"] == "/imu/data"
    assert "heightmap_node" in h1
    go2 = {s.name: s for s in robot_stack("go2", str(CONFIG))}
    assert go2["navila_loco"].params["topics.imu_out"] == "/imu/data"
    no_imu = tmp_path / "go2.yaml"
    text = CONFIG.read_text()
    assert text.count("    use_imu: true") == 1
    no_imu.write_text(text.replace("    use_imu: true", "    use_imu: false"))
    go2 = {s.name: s for s in robot_stack("go2", str(no_imu))}
    assert "topics.imu_out" not in go2["navila_loco"].params
    isaac = {s.name: s for s in isaac_stack(str(config_dir / "h1.yaml"))}
    assert "topics.imu_out" not in isaac["navila_loco"].params  # Isaac Sim publishes /imu/data
