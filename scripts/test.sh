#!/usr/bin/env bash
# Set up .venv with the test tools, then run lint, type checks and the whole test suite.
# Extra arguments go to pytest (e.g. scripts/test.sh -m slow, or -k split).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --dev
# Browser tests drive Debian's Chromium through Playwright (no browser download).
if ! command -v chromium >/dev/null 2>&1 && [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    apt-get update -qq && apt-get install -y -qq chromium >/dev/null
fi
scripts/lint.sh
.venv/bin/python -m pytest "$@"
