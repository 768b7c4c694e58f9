#!/usr/bin/env bash
# Set up .venv with the test tools, then run lint, type checks and the whole test suite.
# Extra arguments go to pytest (e.g. scripts/test.sh -m slow, or -k split).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --dev
scripts/lint.sh
.venv/bin/python -m pytest "$@"
