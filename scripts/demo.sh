#!/usr/bin/env bash
# Set up .venv and build the demo project (synthesized e-commerce queries + catalog) in ./demo-project,
# then summarise it. Pass another directory as the first argument to build it elsewhere.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-demo-project}"
scripts/setup.sh
.venv/bin/voxcart demo "$dir"
.venv/bin/voxcart stats --project "$dir"
