"""navila_common.params: one node's parameters out of a ROS 2 params file (its section over the
wildcard's), flattened, with a clear error for a file that has none for it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from navila_common.params import flatten, load_node_params, node_section

REPO = Path(__file__).resolve().parents[3]


def test_nested_keys_become_ross_dotted_names() -> None:
    tree = {"a": 1, "grid": {"x_lo": -0.8, "deep": {"k": [1, 2]}}, "empty": {}}
    assert flatten(tree) == {"a": 1, "grid.x_lo": -0.8, "grid.deep.k": [1, 2]}


def test_a_node_gets_the_wildcards_parameters_and_its_own_which_win() -> None:
    def params(**values: object) -> dict:
        return {"ros__parameters": values}

    doc = {
        "/**": params(use_sim_time=True, v=3, grid={"x_lo": -1.0, "res": 0.1}),
        "/node": params(v=2),
        "node": params(v=1, grid={"x_lo": -0.8}),
        "other": params(v=4),
    }
    want = {"use_sim_time": True, "v": 1, "grid": {"x_lo": -0.8, "res": 0.1}}
    assert node_section(doc, "node") == want
    del doc["node"]
    assert node_section(doc, "node") == {**want, "v": 2, "grid": {"x_lo": -1.0, "res": 0.1}}
    del doc["/node"]
    assert node_section(doc, "node")["v"] == 3
    assert node_section({"other": params(v=4)}, "node") is None
    assert node_section({"node": {"parameters": {"v": 1}}}, "node") is None
    assert node_section({"node": {"ros__parameters": [1, 2]}}, "node") is None
    assert node_section(["not", "a", "mapping"], "node") is None


def test_a_file_without_the_nodes_section_or_not_yaml_is_refused_naming_it(tmp_path: Path) -> None:
    f = tmp_path / "params.yaml"
    f.write_text(yaml.safe_dump({"other_node": {"ros__parameters": {"v": 1}}}))
    with pytest.raises(ValueError, match=rf"{f}: no 'node: ros__parameters:' section \(why\)"):
        load_node_params(f, "node", hint="why")
    f.write_text("node: {ros__parameters: [unclosed")
    with pytest.raises(ValueError, match="not valid YAML"):
        load_node_params(f, "node")
    f.write_text("")
    with pytest.raises(ValueError, match="no 'node: ros__parameters:' section"):
        load_node_params(f, "node")


def test_rclpys_own_parameters_are_left_to_rclpy(tmp_path: Path) -> None:
    """A file that runs every node in sim time ("/**": use_sim_time) is still one the config
    cores accept: they would refuse a parameter they do not know."""
    f = tmp_path / "params.yaml"
    qos = {"/odom": {"subscription": {"depth": 5}}}
    doc = {
        "/**": {"ros__parameters": {"use_sim_time": True, "qos_overrides": qos}},
        "node": {"ros__parameters": {"v": 1, "start_type_description_service": False}},
    }
    f.write_text(yaml.safe_dump(doc))
    assert load_node_params(f, "node") == {"v": 1}


def test_every_shipped_robot_file_gives_each_node_its_own_section() -> None:
    nodes = ("navila_executor", "heightmap_node", "navila_loco", "navila_sim", "navila_vla")
    for robot in ("go2", "h1", "t1"):
        path = REPO / "config" / f"{robot}.yaml"
        doc = yaml.safe_load(path.read_text())
        for node in nodes:
            params = load_node_params(path, node)
            assert params["robot"] == robot
            assert params == flatten(doc[node]["ros__parameters"])
            assert not any(isinstance(v, dict) for v in params.values())
