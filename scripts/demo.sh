#!/usr/bin/env bash
# The main job on the embedded defaults: set up .venv, build the demo project (a catalog and
# synthesized e-commerce voice queries) in ./demo-project, build its catalog language model,
# suggest a transcript for every clip, queue the clips (least confident first) and open the
# labeling app on http://127.0.0.1:8501 (log in as annotator / voxcart-annotator).
# Pass another directory as the first argument to build it elsewhere; extra arguments go to
# `voxcart app` (e.g. --port 8600 --headless).
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-demo-project}"
shift || true
scripts/setup.sh
vx=.venv/bin/voxcart
$vx demo "$dir"
$vx lm build -p "$dir"
$vx suggest -p "$dir" --model sphinx-catalog
$vx queue fill -p "$dir"
$vx stats -p "$dir"
exec $vx app -p "$dir" "$@"
