#!/usr/bin/env bash
# The test command: lint, then every test (unit tests beside each package's core, ROS 2
# integration tests in tests/, the colcon build check). Exits non-zero when anything fails.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export ROS_AUTOMATIC_DISCOVERY_RANGE="${ROS_AUTOMATIC_DISCOVERY_RANGE:-LOCALHOST}"
echo "[test] ruff"
.venv/bin/ruff check src tests benchmarks launch
.venv/bin/ruff format --check src tests benchmarks launch
echo "[test] pytest"
.venv/bin/python -m pytest "$@"
