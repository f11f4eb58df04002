"""The names of a locomotion policy's inputs, one per element of the actor's ("policy") and the
critic's input vectors, in the order the MuJoCo trainer (`env.LocoEnv`) and the Isaac Lab tasks
lay them out.

Why names: a warm start matches weights input by input across layouts (warm_start), and the
left-right mirror (symmetry) finds each input's partner by name, so neither needs a second
description of the layout. No MuJoCo here: the Isaac Lab port (isaaclab.spec) reads it too.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from navila_loco_node.config import LocoConfig
from navila_loco_node.observation import ObservationBuilder

CRITIC_TERMS = ("base_lin_vel",)  # what only the critic may see, besides the clean height map


def input_names(loco: LocoConfig, critic_extra_terms: Sequence[str]) -> dict[str, list[str]]:
    """Per-element names of the actor ("policy") and critic inputs, in `LocoEnv`'s order: the
    policy vector, then the critic's privileged terms, then the clean height map (if any)."""
    builder = ObservationBuilder(loco)
    policy = [f"{s.name}[{i}]" for s in builder.layout() for i in range(s.size)]
    critic = list(policy)
    for term in critic_extra_terms:
        if term not in CRITIC_TERMS:
            raise ValueError(f"unknown critic term {term!r}; known: {', '.join(CRITIC_TERMS)}")
        critic += [f"critic.{term}[{i}]" for i in range(3)]
    if builder.height_map_shape is not None:
        cells = int(np.prod(builder.height_map_shape))
        critic += [f"critic.height_map[{i}]" for i in range(cells)]
    return {"policy": policy, "critic": critic}
