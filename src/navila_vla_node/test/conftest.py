"""Shared fixture: one tiny random-weight checkpoint in NaVILA's exact on-disk layout."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from navila_vla_node.checkpoint import write_checkpoint

    return write_checkpoint(tmp_path_factory.mktemp("navila_tiny"), seed=0)


@pytest.fixture(scope="session")
def tiny_model(tiny_checkpoint: Path):
    from navila_vla_node.navila_model import NavilaModel

    return NavilaModel(tiny_checkpoint, device="cpu", dtype="auto")
