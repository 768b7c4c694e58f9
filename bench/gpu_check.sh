#!/usr/bin/env bash
# GPU fine-tuning check: builds a ~200-clip demo project, labels it from the demo's hidden
# references (bench-only), fine-tunes the small CTC preset for a few hundred steps with mixed
# precision and prints samples/s and peak GPU memory.
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
for arg in "$@"; do
  [[ "$arg" == "--cpu-smoke" ]] && smoke=1
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

exec "$python" bench/gpu_check.py "$@"
