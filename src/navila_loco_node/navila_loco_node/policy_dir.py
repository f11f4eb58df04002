"""Policy directories: the contract between training (navila_loco_train) and deployment.

A trained policy ships as a directory, so the weights never travel without the observation
layout they were trained on:

    models/go2_blind/
      policy.onnx        actor + observation normaliser, input = the navila_loco observation vector
      policy.jit         the same, TorchScript
      loco_params.yaml   ROS 2 params-file format: overrides for the navila_loco node, e.g.
                           navila_loco:
                             ros__parameters:
                               observation: {terms: [...], history_length: 9, ...}
                               policy: {path: policy.onnx, num_inputs: 450, num_outputs: 12}
                         policy.path is RELATIVE to the directory.
      train.yaml, train_log.txt, README.md   provenance (written by training)

`policy_overrides(path)` turns a directory (or a bare policy file) into dotted-key parameter
overrides for the navila_loco node: what the bring-up passes as `-p key:=value` or as launch
parameters. Values are coerced to the types the node declares (a YAML `1` for a float parameter
would otherwise reach rcl as an integer and be refused), and policy.path is made absolute. With
`config=` the overrides are validated against the robot's config exactly as the node will build
it (unknown keys, list lengths, the observation size against policy.num_inputs), so a bad
directory is refused before any node starts. No rclpy here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from navila_common.params import load_node_params

from navila_loco_node.config import (
    NODE_NAME,
    PARAMS,
    LocoConfig,
    load_params,
    loco_config_from_params,
)

POLICY_PARAMS_FILE = "loco_params.yaml"
# Looked for, in this order, when loco_params.yaml names no policy.path.
POLICY_FILES = ("policy.onnx", "policy.jit", "policy.pt")

_KINDS = {key: kind for key, kind, _, _ in PARAMS}


def _coerce(key: str, value: Any, where: str) -> Any:
    """The value as the node declares the parameter (float lists stay float lists, etc.)."""
    kind = _KINDS[key]
    try:
        if kind.endswith("[]"):
            if value is None:
                return []
            if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
                raise TypeError(f"expected a list, got {value!r}")
            item = {"str[]": str, "float[]": float, "int[]": int}[kind]
            return [item(v) for v in value]
        if kind == "bool":
            if not isinstance(value, bool):
                raise TypeError(f"expected true/false, got {value!r}")
            return value
        if kind == "int":
            if isinstance(value, bool) or float(value) != int(value):
                raise TypeError(f"expected an integer, got {value!r}")
            return int(value)
        if kind == "float":
            if isinstance(value, bool):
                raise TypeError(f"expected a number, got {value!r}")
            return float(value)
        return "" if value is None else str(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{where}: {key}: {exc}") from None


def _read_params_file(path: Path) -> dict[str, Any]:
    return load_node_params(
        path,
        NODE_NAME,
        hint=f"a policy directory's {POLICY_PARAMS_FILE} holds the navila_loco overrides the "
        "policy was trained with",
    )


def policy_overrides(path: str | Path, config: str | Path | None = None) -> dict[str, Any]:
    """Dotted-key navila_loco overrides for a policy directory or a bare policy file.

    * directory: its loco_params.yaml flattened and typed, policy.path absolute (default: the
      first of policy.onnx / policy.jit / policy.pt present);
    * file (.onnx, .jit, .pt): {"policy.path": absolute path}.

    Raises FileNotFoundError for a missing directory, params file or policy file, and ValueError
    for a params file without the navila_loco section, unknown keys, values of the wrong type,
    or (with `config`) a config the node would refuse.
    """
    p = Path(path).expanduser()
    if not p.exists():
        raise FileNotFoundError(f"policy not found: {p} (a policy file or a policy directory)")
    p = p.resolve()
    if p.is_file():
        overrides: dict[str, Any] = {"policy.path": str(p)}
    else:
        params_file = p / POLICY_PARAMS_FILE
        if not params_file.is_file():
            raise FileNotFoundError(
                f"{p} is a directory without {POLICY_PARAMS_FILE}: not a policy directory"
            )
        raw = _read_params_file(params_file)
        unknown = sorted(set(raw) - set(_KINDS))
        if unknown:
            raise ValueError(f"{params_file}: unknown navila_loco parameters: {unknown}")
        overrides = {k: _coerce(k, v, str(params_file)) for k, v in raw.items()}
        rel = overrides.get("policy.path", "")
        if rel:
            policy_file = Path(rel) if Path(rel).is_absolute() else p / rel
            if not policy_file.is_file():
                raise FileNotFoundError(
                    f"{params_file}: policy.path {rel!r} does not exist ({policy_file})"
                )
        else:
            found = [p / name for name in POLICY_FILES if (p / name).is_file()]
            if not found:
                raise FileNotFoundError(
                    f"{p}: no policy.path in {POLICY_PARAMS_FILE} and none of {POLICY_FILES}"
                )
            policy_file = found[0]
        overrides["policy.path"] = str(policy_file.resolve())
    if config is not None:
        validate_overrides(overrides, config)
    return overrides


def effective_config(overrides: dict[str, Any], config: str | Path) -> LocoConfig:
    """The LocoConfig the node builds from `config`'s navila_loco section plus `overrides`."""
    params = load_params(config)
    params.update(overrides)
    return loco_config_from_params(params)


def validate_overrides(overrides: dict[str, Any], config: str | Path) -> LocoConfig:
    """Build the node's config from `config` + `overrides` and check it the way the node will:
    a config error or an observation layout whose size differs from policy.num_inputs raises
    ValueError naming the policy."""
    where = overrides.get("policy.path", "the policy")
    try:
        cfg = effective_config(overrides, config)
    except ValueError as exc:
        raise ValueError(f"{where} with {config}: {exc}") from None
    if cfg.control_mode == "joint_policy":
        from navila_loco_node.observation import ObservationBuilder

        size = ObservationBuilder(cfg).size
        if cfg.policy_num_inputs and cfg.policy_num_inputs != size:
            raise ValueError(
                f"{where} with {config}: policy.num_inputs is {cfg.policy_num_inputs} but the "
                f"observation layout (terms {list(cfg.observation.terms)}, history "
                f"{cfg.observation.history_length}) builds {size} inputs"
            )
    return cfg


def uses_height_map(overrides: dict[str, Any], config: str | Path) -> bool:
    """Does the policy see a height map (so the stack needs heightmap_node and the LiDAR)?"""
    return "height_map" in effective_config(overrides, config).observation.terms
