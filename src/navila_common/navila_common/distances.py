"""Distances in JSON statuses (no ROS).

heightmap_node's clearances and navila_loco's obstacle guard report distances that may be +inf
(nothing in the way) or NaN (nothing seen); JSON has neither, and a status that says 0 or omits
the field would read as "blocked" or "unknown" by accident. One spelling for both nodes.
"""

from __future__ import annotations

import math


def json_distance(value: float | None) -> float | str | None:
    """A distance for a JSON status: "free" (+inf), null (None or NaN: unseen) or metres (mm)."""
    if value is None or math.isnan(value):
        return None
    return "free" if math.isinf(value) else round(value, 3)
