#!/usr/bin/env bash
# GPU fine-tuning check: builds a ~200-clip demo project, labels it from the demo's hidden
# references (bench-only), fine-tunes the small CTC preset for a few hundred steps with mixed
# precision and prints samples/s and peak GPU memory. Then, unless --no-al, it runs the
# active-learning simulation at a larger scale than the CPU default (a 600-clip demo, 6 rounds of
# 60 s, 3 seeds, one run per spare core) and prints its label-efficiency table, and unless
# --no-effect, the augmentation effect benchmark (bench/bench_augment_effect.py: the small model
# trained with and without far-field, WER on clean and on real-RIR + noise test audio).
#
#   bash bench/gpu_check.sh                 # on a machine with a CUDA GPU
#   bash bench/gpu_check.sh --cpu-smoke     # a few CPU steps, to check the script anywhere
#   bash bench/gpu_check.sh --clips 400 --steps 500
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
python="${PYTHON:-}"
if [[ -z "$python" ]]; then
  if [[ -x .venv/bin/python ]]; then python=.venv/bin/python; else python=python3; fi
fi

smoke=0
al=1
effect=1
args=()
for arg in "$@"; do
  case "$arg" in
    --cpu-smoke) smoke=1; args+=("$arg") ;;
    --no-al) al=0 ;;
    --no-effect) effect=0 ;;
    *) args+=("$arg") ;;
  esac
done
if [[ "$smoke" == 0 ]]; then
  if command -v nvidia-smi >/dev/null 2>&1; then
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
  fi
  "$python" -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 3)' || {
    echo "gpu_check: torch sees no CUDA GPU; run with --cpu-smoke to check the script" >&2
    exit 3
  }
fi

"$python" bench/gpu_check.py "${args[@]}"

if [[ "$smoke" == 0 && "$al" == 1 ]]; then
  sim="$(mktemp -d)"
  workers=$(( $(nproc) > 3 ? $(nproc) - 2 : 1 ))
  vx=("$python" -m voxcart.labeler.cli)
  start=$(date +%s)
  "${vx[@]}" demo "$sim/proj" --clips 600 >/dev/null
  "${vx[@]}" al simulate -p "$sim/proj" --rounds 6 --budget 60s --seeds 3 --workers "$workers" \
    --pool-sample 160 --out "$sim/out"
  cat "$sim/out/summary.md"
  echo "al simulate at scale: $(( $(date +%s) - start )) s with $workers workers"
fi

if [[ "$smoke" == 0 && "$effect" == 1 ]]; then
  "$python" bench/bench_augment_effect.py --clips 1200 --steps 2000 --device cuda
fi
