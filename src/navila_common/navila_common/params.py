"""One node's parameters out of a ROS 2 params file, the way `--ros-args --params-file` reads it.

Every node's config core (heightmap_node, navila_loco, a policy directory's loco_params.yaml)
builds its dataclasses from the same config/<robot>.yaml the node is started with, outside ROS
too (trainer, evaluator, benchmarks). They share this reader so that a file one accepts the
others read the same way: the section is the node's name, `/<name>` or the `/**` wildcard (in
that order, as rcl matches them), and nested keys become the dotted names ROS 2 gives nested
parameters ("policy.path").
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


def flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested YAML dict -> dotted keys, the way ROS 2 names nested parameters."""
    out: dict[str, Any] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, name + "."))
        else:
            out[name] = value
    return out


def node_section(doc: Any, node_name: str) -> dict[str, Any] | None:
    """The `ros__parameters` mapping for node_name in a parsed params file (nested, as written),
    or None when the file has none for it."""
    if not isinstance(doc, dict):
        return None
    for key in (node_name, f"/{node_name}", "/**"):
        section = doc.get(key)
        if isinstance(section, dict) and isinstance(section.get("ros__parameters"), dict):
            return section["ros__parameters"]
    return None


def load_node_params(path: str | Path, node_name: str, hint: str = "") -> dict[str, Any]:
    """node_name's parameters in the params file at path, flattened to dotted keys.

    ValueError, naming the file, when it is not YAML or has no section for the node (hint, when
    given, says what the section should hold)."""
    try:
        doc = yaml.safe_load(Path(path).read_text())
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: not valid YAML: {exc}") from None
    params = node_section(doc, node_name)
    if params is None:
        raise ValueError(
            f"{path}: no '{node_name}: ros__parameters:' section" + (f" ({hint})" if hint else "")
        )
    return flatten(params)
