"""json_distance: the clearance statuses' spelling of free, unseen and metres."""

from __future__ import annotations

import json
import math

from navila_common.distances import json_distance


def test_json_distance_has_no_inf_or_nan() -> None:
    got = [json_distance(v) for v in (math.inf, math.nan, None, 0.51234, 0.0)]
    assert got == ["free", None, None, 0.512, 0.0]
    json.dumps(got, allow_nan=False)  # strict JSON: raises on inf/NaN
