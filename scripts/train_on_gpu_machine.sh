#!/usr/bin/env bash
# Train a locomotion policy on a machine with many cores (and a GPU for the PPO updates), from a
# plain copy of this repository: how the shipped models/ were produced on a lent H100 machine
# (16 cores, Python 3.12, torch preinstalled, no network).
#
#   OUT=/tmp/out CONFIG=go2_blind BUDGET_S=450 ENVS=2048 THREADS=16 scripts/train_on_gpu_machine.sh
#
# RESUME=<model_*.pt or policy dir> continues a run (carry the checkpoint along; train.yaml need
# not travel; a policy directory with checkpoint.pt is in the repository already);
# INIT_FROM=<policy dir or model_*.pt> [INIT_STD=<s>] starts a new run from one (--init-from);
# SKIP_BENCH=1 leaves out the throughput benchmark when every second goes to training.
#
# Wheels for packages that machine lacks (mujoco, rsl-rl-lib, tensordict, ...) may lie in .whl/;
# the workspace packages are used from src/ via PYTHONPATH (no install). Writes to $OUT: the
# throughput benchmark JSON, the full training log, and one archive with the policy directory,
# the tensorboard events, the last checkpoint and the run's config.
set -euo pipefail
OUT=${OUT:-/tmp/navila_train_out}
CONFIG=${CONFIG:-go2_blind}
BUDGET_S=${BUDGET_S:-450}
ENVS=${ENVS:-2048}
THREADS=${THREADS:-$(nproc)}
RESUME=${RESUME:-}
INIT_FROM=${INIT_FROM:-}
INIT_STD=${INIT_STD:-}
mkdir -p "$OUT"
if [ -z "${NAVILA_SKIP_WHEELS:-}" ] && ls .whl/*.whl > /dev/null 2>&1; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/navila_site .whl/*.whl
  export PYTHONPATH=/tmp/navila_site${PYTHONPATH:+:$PYTHONPATH}
fi
PYTHONPATH=${PYTHONPATH:-}
for pkg in src/*/; do PYTHONPATH="$PYTHONPATH:$PWD/$pkg"; done
export PYTHONPATH PYTHONUNBUFFERED=1
python3 - <<'PY'
import os, mujoco, rsl_rl, tensordict, torch
print(f"[gpu-train] python ok: mujoco {mujoco.__version__}, torch {torch.__version__}, "
      f"cuda {torch.cuda.is_available()}, cpus {os.cpu_count()}")
PY
if [ -z "${SKIP_BENCH:-}" ]; then
  python3 benchmarks/bench_train.py --config "$CONFIG" --envs 1024 4096 --threads "$THREADS" \
    --steps 10 --out "$OUT/bench_train.json"
fi
set +e
python3 -m navila_loco_train.train --config "$CONFIG" --num-envs "$ENVS" --threads "$THREADS" \
  --time-budget-s "$BUDGET_S" --out /tmp/navila_runs --export-to "/tmp/navila_export/$CONFIG" \
  ${RESUME:+--resume "$RESUME"} ${INIT_FROM:+--init-from "$INIT_FROM"} \
  ${INIT_STD:+--init-std "$INIT_STD"} > "$OUT/train_log.txt" 2>&1
rc=$?
set -e
grep -E "^\[train\]|Learning iteration|Mean reward|Mean episode length|track_lin|terrain_level" \
  "$OUT/train_log.txt" | tail -n 60
run=$(ls -d /tmp/navila_runs/*/* 2>/dev/null | tail -n 1)
last=$(ls -t "$run"/model_*.pt 2>/dev/null | head -n 1)
tar -czf "$OUT/result.tar.gz" -C / "tmp/navila_export" \
  $(cd / && ls "${run#/}"/events.out.tfevents* "${run#/}"/train.yaml "${run#/}"/summary.json 2>/dev/null) \
  ${last:+"${last#/}"} 2>/dev/null || true
# Files come back from the device machine only up to 16 MiB each (a checkpoint with its optimiser
# state is ~18 MB): split the archive; `cat result.tar.gz.part-* | tar -xz` joins it again.
if [ "$(stat -c %s "$OUT/result.tar.gz")" -gt 15000000 ]; then
  split -b 15000000 -d "$OUT/result.tar.gz" "$OUT/result.tar.gz.part-" && rm "$OUT/result.tar.gz"
fi
ls -la "$OUT"
exit $rc
