"""A tiny demo project with two catalog LMs and their stored suggestions, built once per session.

Shared by the evaluation tests: they treat it as read-only and copy it (:func:`copy_project`)
before changing anything, so the stored suggestions are reused instead of decoded again.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from voxcart.datasets.demo.build import build_demo
from voxcart.datasets.store.project import Project, open_project
from voxcart.model.eval.evaluate import evaluate
from voxcart.model.lm.build import LmBuildConfig, build_catalog_lm
from voxcart.model.lm.corpus import CorpusConfig

N_CLIPS = 5
MODEL = "sphinx-catalog-v1"
OTHER = "sphinx-catalog-v2"


def eval_demo_root(factory: pytest.TempPathFactory) -> Path:
    """The shared project's folder, built on first use in this session."""
    root = factory.getbasetemp() / "eval-demo"
    ready = root / ".ready"
    if ready.is_file():
        return root / "proj"
    shutil.rmtree(root, ignore_errors=True)
    build_demo(root / "proj", n_clips=N_CLIPS, seed=0)
    project = open_project(root / "proj")
    try:
        assert build_catalog_lm(project).model_name == MODEL
        # A second, weaker catalog model: a smaller corpus drawn with another seed.
        small = LmBuildConfig(corpus=CorpusConfig(queries_per_product=2, seed=1))
        assert build_catalog_lm(project, small).model_name == OTHER
        # Store both models' suggestions once; every later evaluation reuses them.
        evaluate(project, MODEL, "all", reference="hidden", compare_to=OTHER)
    finally:
        project.close()
    ready.touch()
    return root / "proj"


def copy_project(source: Path, target: Path) -> Project:
    """An open copy of a project folder (its media paths still point at the source's files)."""
    shutil.copytree(source, target)
    return open_project(target)
