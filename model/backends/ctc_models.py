"""Registering CTC checkpoints as model versions, and checking a checkpoint folder first.

A ctc model version's ``path`` is the checkpoint folder: stored relative to the project when
it lies inside it (so the project can move), absolute otherwise. Its ``config`` holds the
:class:`~voxcart.model.backends.ctc.CtcConfig` options, including a snapshot of the catalog's
terms as beam-search hotwords: the version's output then never changes behind its back; after
a catalog change, register a new version.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from voxcart.datasets.catalog.store import load_vocabulary
from voxcart.datasets.store.project import Project
from voxcart.model.backends.ctc_config import CtcConfig
from voxcart.model.backends.hf_checkpoints import read_checkpoint_config
from voxcart.model.backends.hf_core import register_checkpoint
from voxcart.model.errors import ModelError

BACKEND = "ctc"
TOKENIZER_FILES = ("vocab.json", "tokenizer.json", "tokenizer_config.json")
HOTWORD_KINDS = ("brand", "product_type", "model")
MAX_HOTWORDS = 5_000


def check_checkpoint_dir(folder: Path, name: str = "?") -> None:
    """Check that `folder` looks like a saved Hugging Face CTC model with its tokenizer.

    Reads only ``config.json`` and file names: no weights are loaded.

    Raises:
        ModelError: the folder is missing, has no config.json, holds a model type that has
            no CTC head, or has no tokenizer files.
    """
    from transformers.models.auto.modeling_auto import MODEL_FOR_CTC_MAPPING_NAMES

    config = read_checkpoint_config(folder, name, "config.json, weights, vocab.json")
    model_type = config.get("model_type")
    supported = sorted(MODEL_FOR_CTC_MAPPING_NAMES)
    if model_type not in MODEL_FOR_CTC_MAPPING_NAMES:
        raise ModelError(
            f"model {name!r}: {folder} holds a {model_type!r} model, which has no CTC head; "
            f"the ctc backend takes model types {', '.join(supported)}"
        )
    architectures = config.get("architectures") or []
    if architectures and not any(str(a).endswith("ForCTC") for a in architectures):
        raise ModelError(
            f"model {name!r}: {folder} holds {', '.join(map(str, architectures))}, without a "
            "trained CTC head; fine-tune it for CTC first (voxcart train) and register that"
        )
    if not any((folder / f).is_file() for f in TOKENIZER_FILES):
        raise ModelError(
            f"model {name!r}: {folder} has no tokenizer ({' or '.join(TOKENIZER_FILES)}); "
            "save the processor beside the model with processor.save_pretrained(DIR)"
        )


def catalog_hotwords(project: Project, catalog_id: int | None = None) -> list[str]:
    """The catalog's brand, product-type and model words (two letters or more), sorted.

    Empty where the project has no catalog.
    """
    with project.session() as session:
        vocabulary = load_vocabulary(session, catalog_id)
    words = {
        word
        for kind in HOTWORD_KINDS
        for term in vocabulary.terms(kind)
        for word in term.split()
        if len(word) >= 2
    }
    return sorted(words)[:MAX_HOTWORDS]


def register_ctc_model(
    project: Project,
    name: str,
    path: str | Path | None,
    *,
    hub_id: str | None = None,
    hotwords: bool = True,
    catalog_id: int | None = None,
    config: Mapping[str, Any] | None = None,
) -> int:
    """Register a CTC checkpoint as a model version with backend ``"ctc"``.

    Args:
        project: the open project.
        name: the new model version's name.
        path: the checkpoint folder (absolute, relative to the project, or relative to the
            working directory), or None with `hub_id`.
        hub_id: a Hugging Face hub id instead of a folder (loaded where the network allows).
        hotwords: store the catalog's terms as beam-search hotwords.
        catalog_id: take hotwords from this catalog only (default: every catalog).
        config: further :class:`~voxcart.model.backends.ctc.CtcConfig` options
            (``decoder``, ``beam_width``, ``quantize``, ``max_seconds``, ...).

    Returns:
        The new model version's id.

    Raises:
        ModelError: the name is taken or not allowed, the folder is not a CTC checkpoint,
            both or neither of path and hub_id are given, or a config option is invalid.
    """

    def complete(options: dict[str, Any]) -> None:
        if hotwords and "hotwords" not in options:
            options["hotwords"] = catalog_hotwords(project, catalog_id)

    return register_checkpoint(
        project,
        name,
        path,
        hub_id,
        config,
        backend=BACKEND,
        check_dir=check_checkpoint_dir,
        # Reject bad options before anything is stored.
        validate=lambda options: CtcConfig.from_mapping(options, name),
        complete=complete,
    )
