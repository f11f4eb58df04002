"""End to end: the oracle planner on every shipped episode, kinematic low level (the paper's
oracle low level), scored with the VLN metrics. The planner follows the reference path, so every
episode must succeed; a failure means the graph (planner, parser, executor, simulator) broke."""

from __future__ import annotations

import json

import pytest

from navila_bringup.evaluate import evaluate
from navila_bringup.paths import find_config

pytestmark = pytest.mark.ros


# Twelve episodes in real time (~20 s each) run past the suite's 300 s per-test limit on a slow
# or loaded 2-core machine (seen: episode 12 of 12 cut off at 300 s, all eleven before it
# succeeded); each episode has its own 90 s timeout, so this bound only catches a hang.
@pytest.mark.timeout(900)
def test_oracle_planner_succeeds_on_every_shipped_episode(ros_domain, tmp_path) -> None:
    summary = evaluate(
        "go2",
        str(find_config("go2")),
        "oracle",
        "kinematic",
        "",
        None,
        tmp_path,
        timeout_s=90.0,
        record=False,
    )
    failed = [
        (e["episode_id"], e["outcome"], e["metrics"]["ne"])
        for e in summary["episodes"]
        if e["metrics"]["sr"] != 1.0
    ]
    assert not failed, failed
    assert len(summary["episodes"]) >= 10
    assert summary["mean"]["sr"] == 1.0 and summary["mean"]["spl"] > 0.8
    saved = json.loads((tmp_path / "metrics.json").read_text())
    assert saved["mean"]["sr"] == 1.0
    for e in saved["episodes"]:
        assert (tmp_path / e["episode_id"] / "topview.png").stat().st_size > 10_000
