#!/usr/bin/env bash
# ruff (lint + format check) and mypy over the voxcart packages.
# mypy cannot follow setuptools' editable import hook, so it reads the packages through a small
# tree of symlinks laid out as they install (voxcart/datasets -> datasets, ...).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
$PY -m ruff check .
$PY -m ruff format --check .
tree=.mypy-src/voxcart
mkdir -p "$tree"
for pkg in datasets model labeler augment; do
    ln -sfn "../../$pkg" "$tree/$pkg"
done
MYPYPATH=.mypy-src $PY -m mypy --namespace-packages --explicit-package-bases -p voxcart.datasets -p voxcart.model -p voxcart.labeler -p voxcart.augment
