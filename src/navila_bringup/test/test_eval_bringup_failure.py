"""A failed bring-up costs one episode (SR 0, reason kept), never the whole evaluation."""

from __future__ import annotations

from pathlib import Path

import pytest

from navila_bringup import evaluate
from navila_bringup.stack import SimStackOptions


def test_failed_bringup_is_retried_once_then_recorded(monkeypatch, tmp_path: Path) -> None:
    calls = []

    def failing_run_sim(*args: object, **kwargs: object) -> None:
        calls.append(args)
        raise RuntimeError("the locomotion node damped the robot: stale IMU (263 ms > 250 ms)")

    monkeypatch.setattr(evaluate, "run_sim", failing_run_sim)
    result = evaluate._run_episode(SimStackOptions(), "go", 10.0, tmp_path, record=False)
    assert len(calls) == 2
    assert result.outcome == "bringup_failed" and "stale IMU" in result.error
    assert result.trajectory == [] and result.final_pose is None


def test_a_retry_that_works_is_the_result(monkeypatch, tmp_path: Path) -> None:
    from navila_bringup.sim_run import RunResult

    outcomes = [RuntimeError("no /odom from the simulator"), RunResult("go", "stopped", 3.0, None)]

    def flaky_run_sim(*args: object, **kwargs: object) -> RunResult:
        out = outcomes.pop(0)
        if isinstance(out, Exception):
            raise out
        return out

    monkeypatch.setattr(evaluate, "run_sim", flaky_run_sim)
    assert (
        evaluate._run_episode(SimStackOptions(), "go", 10.0, tmp_path, False).outcome == "stopped"
    )
    with pytest.raises(IndexError):
        outcomes.pop()
