"""progress.csv from tensorboard events written the way rsl-rl writes them."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from navila_loco_train.progress import main, write_progress


def fake_run(run_dir: Path, first: int = 100, n: int = 5) -> None:
    from torch.utils.tensorboard import SummaryWriter

    writer = SummaryWriter(log_dir=str(run_dir))
    for k, it in enumerate(range(first, first + n)):
        collect, learn = 7.5 + 0.1 * k, 2.5
        writer.add_scalar("Perf/total_fps", int(24576 / (collect + learn)), it)  # as rsl-rl
        writer.add_scalar("Perf/collection_time", collect, it)
        writer.add_scalar("Perf/learning_time", learn, it)
        writer.add_scalar("/rewards/track_ang_vel_z_exp", 0.5 + 0.01 * k, it)
        writer.add_scalar("Policy/mean_std", 0.9, it)
        if k:  # a column missing in some iterations stays empty there
            writer.add_scalar("Train/mean_reward", 1.0 + k, it)
    writer.close()


def test_rows_per_iteration_with_cumulative_env_steps(tmp_path: Path) -> None:
    fake_run(tmp_path)
    out = tmp_path / "progress.csv"
    assert write_progress(tmp_path, out) == 5
    rows = list(csv.DictReader(out.open()))
    assert [r["iteration"] for r in rows] == ["100", "101", "102", "103", "104"]
    assert [int(r["env_steps"]) for r in rows] == [24576 * k for k in range(1, 6)]
    assert rows[0]["mean_reward"] == "" and rows[1]["mean_reward"] == "2.0000"
    assert rows[4]["track_ang"] == "0.5400" and rows[4]["action_std"] == "0.9000"
    assert rows[0]["terrain_level"] == ""  # not logged at all: an empty column


def test_cli_and_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fake_run(tmp_path, n=2)
    assert main([str(tmp_path), "--steps-per-iteration", "10"]) == 0
    rows = list(csv.DictReader((tmp_path / "progress.csv").open()))
    assert [r["env_steps"] for r in rows] == ["10", "20"]
    assert "2 iterations" in capsys.readouterr().out
    assert main([str(tmp_path / "empty")]) == 2
    assert "no tensorboard event files" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main([str(tmp_path), "--steps-per-iteration", "0"])
