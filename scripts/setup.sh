#!/usr/bin/env bash
# Create (or update) the project's virtual environment in .venv with voxcart and everything it needs.
# Usage: scripts/setup.sh [--dev]     (--dev adds the test, lint and browser-test tools)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
extras=""
[[ "${1:-}" == "--dev" ]] && extras="[dev]"

if [[ ! -x .venv/bin/python ]]; then
    "$PYTHON" -m venv .venv
fi
stamp=".venv/.voxcart-installed${extras:+-dev}"
# Reinstall only when pyproject.toml changed since the last successful install.
if [[ ! -f "$stamp" || pyproject.toml -nt "$stamp" ]]; then
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -e ".${extras}"
    # pyctcdecode 0.5.0 pins numpy<2 but runs fine on numpy 2: install it without its pins.
    .venv/bin/python -m pip install --quiet --no-deps "pyctcdecode==0.5.0"
    touch "$stamp"
fi
