#!/usr/bin/env bash
# Create (or update) the project's virtual environment in .venv with voxcart and everything it needs.
# Usage: scripts/setup.sh [--dev]     (--dev adds the test, lint and browser-test tools)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
extras=""
[[ "${1:-}" == "--dev" ]] && extras="[dev]"

# The CMU Sphinx tools behind `voxcart train --backend sphinx` (acoustic adaptation on CPU):
# installed with apt-get when running as root and missing, as scripts/test.sh does for Chromium.
if [[ ! -x /usr/lib/sphinxtrain/bw || ! -x "$(command -v sphinx_fe || true)" ||
    ! -x "$(command -v pocketsphinx_mdef_convert || true)" ]]; then
    if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
        apt-get update -qq && apt-get install -y -qq sphinxtrain sphinxbase-utils pocketsphinx >/dev/null
    else
        echo "voxcart: note: acoustic adaptation needs: sudo apt-get install -y sphinxtrain sphinxbase-utils pocketsphinx" >&2
    fi
fi

if [[ ! -x .venv/bin/python ]]; then
    "$PYTHON" -m venv .venv
fi
# One stamp for every setup: it records what was installed ("base" or "dev"), so a dev install
# (scripts/test.sh) also serves scripts/demo.sh. Reinstall when pyproject.toml changed since then
# or when the dev tools are asked for and missing.
stamp=".venv/.voxcart-installed"
have=$(cat "$stamp" 2>/dev/null || true)
want=${extras:+dev}
want=${want:-base}
if [[ -z "$have" || pyproject.toml -nt "$stamp" || ( "$want" == dev && "$have" != dev ) ]]; then
    echo "voxcart: installing into .venv (log: .venv/install.log)" >&2
    # pip and setuptools chatter (editable-install notices, index warnings) goes to the log; it
    # is shown only when the install fails.
    if ! {
        .venv/bin/python -m pip install --upgrade pip &&
            .venv/bin/python -m pip install -e ".${extras}" &&
            # pyctcdecode 0.5.0 pins numpy<2 but runs fine on numpy 2: install it without pins.
            .venv/bin/python -m pip install --no-deps "pyctcdecode==0.5.0"
    } >.venv/install.log 2>&1; then
        tail -n 40 .venv/install.log >&2
        echo "voxcart: error: installing into .venv failed; the whole log is .venv/install.log" >&2
        exit 1
    fi
    [[ "$have" == dev && "$want" == base ]] && want=dev
    echo "$want" >"$stamp"
fi
