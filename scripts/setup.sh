#!/usr/bin/env bash
# One idempotent set-up for a fresh machine: system packages, .venv, registry packages, and every
# workspace package under src/ installed editable. Safe to run again; a second run only checks.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY="${PYTHON:-python3.11}"
command -v "$PY" >/dev/null 2>&1 || PY=python3

# System packages (Debian). Listed in one place; installed only when missing.
APT_PACKAGES=(${NAVILA_APT_PACKAGES:-})
if [ -f scripts/apt-packages.txt ]; then
  mapfile -t -O "${#APT_PACKAGES[@]}" APT_PACKAGES < <(grep -v '^\s*#' scripts/apt-packages.txt | sed '/^\s*$/d')
fi
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "[setup] installing system packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  echo "[setup] creating .venv with $($PY --version)"
  "$PY" -m venv .venv
fi
VPY="$ROOT/.venv/bin/python"

# pip prints a warning per package for local mirror folders that do not exist on this machine:
# keep real errors, drop that noise.
pipq() {
  local log rc=0
  log="$(mktemp)"
  "$VPY" -m pip "$@" >"$log" 2>&1 || rc=$?
  grep -v -e "is ignored: it is neither a file nor a directory" -e "^\s*$" "$log" || true
  rm -f "$log"
  return "$rc"
}

stamp=".venv/.requirements.sha"
want="$(cat requirements.txt src/*/setup.py | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "[setup] installing registry packages (requirements.txt)"
  pipq install -q --upgrade pip
  pipq install -q -r requirements.txt
  echo "[setup] installing workspace packages (editable)"
  args=()
  for pkg in src/*/; do args+=(-e "$pkg"); done
  pipq install -q --no-deps "${args[@]}"
  echo "$want" > "$stamp"
else
  echo "[setup] .venv is up to date"
fi
"$VPY" - <<'PY'
import importlib
for m in ("rclpy", "std_msgs.msg", "geometry_msgs.msg", "torch", "numpy", "yaml", "instruction_parser"):
    importlib.import_module(m)
print("[setup] ok: ROS 2 (rclpy), torch, numpy and the workspace import")
PY
