"""One node's parameters out of a ROS 2 params file, the way `--ros-args --params-file` reads it.

Every node's config core (heightmap_node, navila_loco, a policy directory's loco_params.yaml)
builds its dataclasses from the same config/<robot>.yaml the node is started with, outside ROS
too (trainer, evaluator, benchmarks). They share this reader so that a file one accepts the
others read the same way: a node gets the `/**` wildcard's parameters and its own section's
(`<name>` or `/<name>`), its own winning where both set a value (our rule: ROS 2's design notes
leave that precedence open, so a file should not rely on it), and nested keys become the dotted
names ROS 2 gives nested parameters ("policy.path").

One difference from a running node: rclpy ignores a parameter the node never declares, while the
config cores refuse keys they do not know (a typo must not fall back to a default silently). So a
wildcard that sets one node's parameter for all of them (`/**: max_filter: false`) is refused by
the other nodes' cores: put a node's parameters under its own name; keep the wildcard for what
every node has (rclpy's own, left out here).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

# Parameters rclpy gives every node itself (and reads itself): a file may set them, often for all
# nodes through the wildcard ("/**: use_sim_time: true"), and no config core has them.
ROS_OWN_PARAMS = ("use_sim_time", "start_type_description_service")
ROS_OWN_PREFIXES = ("qos_overrides.",)


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


def merged(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """base with over's values on top, mapping into mapping (a nested key over does not set
    keeps base's value); neither argument is changed."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merged(out[key], value)
        else:
            out[key] = value
    return out


def node_section(doc: Any, node_name: str) -> dict[str, Any] | None:
    """node_name's `ros__parameters` in a parsed params file (nested, as written): the `/**`
    wildcard's, then `/<name>`'s, then `<name>`'s, each later one winning on a key both set;
    None when no section applies to the node."""
    if not isinstance(doc, dict):
        return None
    found = None
    for key in ("/**", f"/{node_name}", node_name):
        section = doc.get(key)
        if isinstance(section, dict) and isinstance(section.get("ros__parameters"), dict):
            found = merged(found or {}, section["ros__parameters"])
    return found


def load_node_params(path: str | Path, node_name: str, hint: str = "") -> dict[str, Any]:
    """node_name's parameters in the params file at path, flattened to dotted keys, less
    rclpy's own (ROS_OWN_PARAMS, qos_overrides.*).

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
    return {
        k: v
        for k, v in flatten(params).items()
        if k not in ROS_OWN_PARAMS and not k.startswith(ROS_OWN_PREFIXES)
    }
