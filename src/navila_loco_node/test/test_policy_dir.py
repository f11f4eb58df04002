"""Policy directories: loco_params.yaml -> typed, absolute, validated navila_loco overrides."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from navila_loco_node.config import load_params
from navila_loco_node.policy_dir import (
    POLICY_PARAMS_FILE,
    policy_overrides,
    uses_height_map,
    validate_overrides,
)

from .conftest import CONFIG_DIR

GO2 = CONFIG_DIR / "go2.yaml"


def blind_observation() -> dict:
    """The Go2 config's observation without the height map (the blind policy's layout)."""
    p = load_params(GO2)
    keep = [i for i, t in enumerate(p["observation.terms"]) if t != "height_map"]
    return {
        "terms": [p["observation.terms"][i] for i in keep],
        "scales": [int(p["observation.scales"][i]) for i in keep],  # ints on purpose: coerced
        "clips": [p["observation.clips"][i] for i in keep],
        "history_terms": list(p["observation.history_terms"]),
        "history_length": 9,
        "height_map_preset": "",
    }


def write_dir(root: Path, params: dict | None = None, files=("policy.onnx",)) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name in files:
        (root / name).write_bytes(b"weights")
    if params is not None:
        (root / POLICY_PARAMS_FILE).write_text(
            yaml.safe_dump({"navila_loco": {"ros__parameters": params}})
        )
    return root


def blind_params(**policy: object) -> dict:
    return {
        "observation": blind_observation(),
        "policy": {"path": "policy.onnx", "num_inputs": 450, "num_outputs": 12, **policy},
    }


def test_directory_gives_flat_typed_overrides_with_absolute_policy_path(tmp_path) -> None:
    d = write_dir(tmp_path / "go2_blind", blind_params())
    ov = policy_overrides(d)
    assert ov["policy.path"] == str((d / "policy.onnx").resolve())
    assert Path(ov["policy.path"]).is_absolute()
    assert ov["policy.num_inputs"] == 450 and ov["policy.num_outputs"] == 12
    assert "height_map" not in ov["observation.terms"]
    assert ov["observation.scales"] == [1.0] * 6
    assert all(isinstance(v, float) for v in ov["observation.scales"])  # YAML ints -> floats
    assert ov["observation.history_length"] == 9
    assert ov["observation.height_map_preset"] == ""
    cfg = validate_overrides(ov, GO2)
    assert cfg.policy_num_inputs == 450 and not uses_height_map(ov, GO2)


def test_directory_is_validated_against_the_robot_config(tmp_path) -> None:
    d = write_dir(tmp_path / "p", blind_params())
    assert policy_overrides(d, config=GO2)["policy.num_inputs"] == 450
    bad = write_dir(tmp_path / "wrong_size", blind_params(num_inputs=909))
    with pytest.raises(ValueError, match="builds 450 inputs"):
        policy_overrides(bad, config=GO2)
    params = blind_params()
    params["observation"]["scales"] = [1.0, 1.0]  # one per term is required
    short = write_dir(tmp_path / "short", params)
    with pytest.raises(ValueError, match="one value per observation term"):
        policy_overrides(short, config=GO2)


def test_bare_policy_file_and_default_file_name(tmp_path) -> None:
    f = tmp_path / "policy.jit"
    f.write_bytes(b"x")
    assert policy_overrides(f) == {"policy.path": str(f.resolve())}
    params = blind_params()
    del params["policy"]["path"]
    d = write_dir(tmp_path / "no_path", params, files=("policy.jit",))
    assert policy_overrides(d)["policy.path"] == str((d / "policy.jit").resolve())
    # The vision layout of the config itself, with just the weights in the directory.
    vision = write_dir(tmp_path / "vision", {"policy": {"path": "policy.onnx"}})
    ov = policy_overrides(vision, config=GO2)
    assert uses_height_map(ov, GO2)


@pytest.mark.parametrize(
    ("setup", "error", "match"),
    [
        (lambda p: p / "missing", FileNotFoundError, "policy not found"),
        (lambda p: write_dir(p / "no_yaml"), FileNotFoundError, "without loco_params.yaml"),
        (
            lambda p: write_dir(p / "missing_weights", blind_params(path="gone.onnx")),
            FileNotFoundError,
            "gone.onnx",
        ),
        (
            lambda p: write_dir(p / "no_weights", {"policy": {"num_outputs": 12}}, files=()),
            FileNotFoundError,
            "none of",
        ),
        (
            lambda p: write_dir(p / "unknown", {**blind_params(), "polcy": {"path": "x"}}),
            ValueError,
            r"unknown navila_loco parameters: \['polcy.path'\]",
        ),
        (
            lambda p: write_dir(p / "bad_type", blind_params(num_inputs="many")),
            ValueError,
            "policy.num_inputs",
        ),
    ],
)
def test_clear_errors(tmp_path, setup, error, match) -> None:
    with pytest.raises(error, match=match):
        policy_overrides(setup(tmp_path))


def test_params_file_without_the_navila_loco_section(tmp_path) -> None:
    d = write_dir(tmp_path / "other")
    (d / POLICY_PARAMS_FILE).write_text(yaml.safe_dump({"heightmap_node": {"x": 1}}))
    with pytest.raises(ValueError, match="no 'navila_loco: ros__parameters:' section"):
        policy_overrides(d)
    (d / POLICY_PARAMS_FILE).write_text("navila_loco: [unclosed")
    with pytest.raises(ValueError, match="not valid YAML"):
        policy_overrides(d)
