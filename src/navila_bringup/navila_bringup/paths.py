"""Where the workspace's config/ and results/ are, from a source checkout or an install."""

from __future__ import annotations

import os
from pathlib import Path


def _candidates() -> list[Path]:
    roots = []
    if os.environ.get("NAVILA_CONFIG_DIR"):
        roots.append(Path(os.environ["NAVILA_CONFIG_DIR"]))
    for start in (Path.cwd(), Path(__file__).resolve().parent):
        for parent in (start, *start.parents):
            roots.append(parent / "config")
    return roots


def find_config(robot: str) -> Path:
    """config/<robot>.yaml: $NAVILA_CONFIG_DIR first, then the nearest config/ above cwd or here."""
    for root in _candidates():
        path = root / f"{robot}.yaml"
        if path.is_file():
            return path
    raise FileNotFoundError(
        f"no config for robot '{robot}': looked for {robot}.yaml in $NAVILA_CONFIG_DIR and in "
        "config/ folders above the current directory; set NAVILA_CONFIG_DIR"
    )


def results_dir() -> Path:
    """Where CLIs write metrics and recordings: $NAVILA_RESULTS_DIR or ./results."""
    return Path(os.environ.get("NAVILA_RESULTS_DIR", "results")).resolve()
