"""Build the catalog-adapted sphinx model: corpus -> trigram ARPA LM + pronunciation dictionary.

The LM is estimated with pocketsphinx's bundled ARPA builder (``pocketsphinx.lm.ArpaBoLM``,
fixed-discount back-off trigrams). Words missing from the bundled CMU dictionary get
pronunciations from espeak-ng (:mod:`voxcart.model.lm.g2p`). Each build that changes the model
is registered as a new version ``sphinx-catalog-v<N>`` (its parent the previous one), so that
suggestions always point at the exact LM that made them; an unchanged rebuild registers nothing.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select

from voxcart.datasets.store.project import Project
from voxcart.datasets.store.schema import Product
from voxcart.model.errors import ModelError
from voxcart.model.lm.corpus import Corpus, CorpusConfig, build_corpus
from voxcart.model.lm.g2p import pronounce
from voxcart.model.lm.pron_dict import bundled_dict, write_dict
from voxcart.model.versions import (
    CATALOG_MODEL,
    MODELS_DIR,
    check_name,
    ensure_generic_model,
    latest_version,
    register_model,
)

LM_FILE = "lm.arpa"
DICT_FILE = "words.dict"
CORPUS_FILE = "corpus.txt"
_REPORTED_WORDS = 50


@dataclass(frozen=True)
class LmBuildConfig:
    """Options of an LM build.

    Attributes:
        base_name: versions are named ``<base_name>-v<N>``.
        corpus: what the corpus is drawn from.
        discount_mass: probability mass moved to back-off, in (0, 1).
    """

    base_name: str = CATALOG_MODEL
    corpus: CorpusConfig = field(default_factory=CorpusConfig)
    discount_mass: float = 0.5

    def __post_init__(self) -> None:
        check_name(self.base_name)
        if not 0.0 < self.discount_mass < 1.0:
            raise ModelError(f"discount_mass={self.discount_mass} must be strictly between 0 and 1")


@dataclass(frozen=True)
class LmBuildReport:
    """What a build produced.

    Attributes:
        model_name: the registered version (new, or the unchanged latest one).
        model_id: its ``model_versions`` id.
        path: the folder holding ``lm.arpa`` and ``words.dict``.
        created: False when the build matched the latest version and nothing was registered.
        counts: sentences per corpus source.
        sentences: sentences the LM was estimated from.
        vocabulary: distinct words of the LM.
        g2p_words: words whose pronunciation came from espeak-ng.
        dropped_words: words without any pronunciation (their sentences were left out).
    """

    model_name: str
    model_id: int
    path: Path
    created: bool
    counts: dict[str, int]
    sentences: int
    vocabulary: int
    g2p_words: tuple[str, ...]
    dropped_words: tuple[str, ...]


def arpa_text(sentences: list[str], discount_mass: float) -> str:
    """A trigram ARPA model of the sentences (each wrapped in ``<s>`` ... ``</s>``).

    Raises:
        ModelError: there are no sentences.
    """
    if not sentences:
        raise ModelError("the LM corpus is empty; import a catalog or accept some transcripts")
    from pocketsphinx.lm import ArpaBoLM

    model = ArpaBoLM(text="\n".join(sentences), add_start=True, discount_mass=discount_mass)
    model.compute()
    out = io.StringIO()
    model.write(out)
    return out.getvalue()


def _pronunciations(corpus: Corpus) -> tuple[dict[str, list[str]], list[str], list[str]]:
    cmu = bundled_dict()
    vocabulary = corpus.vocabulary
    missing = sorted(w for w in vocabulary if w not in cmu)
    generated = pronounce(missing)
    entries = {w: cmu[w] for w in vocabulary if w in cmu}
    entries.update({w: [p] for w, p in generated.items()})
    dropped = sorted(set(missing) - set(generated))
    return entries, sorted(generated), dropped


def _write_folder(target: Path, arpa: str, dictionary: dict[str, list[str]], corpus: str) -> None:
    staging = target.parent / f".{target.name}.{uuid.uuid4().hex}.tmp"
    staging.mkdir(parents=True)
    try:
        (staging / LM_FILE).write_text(arpa, encoding="utf-8")
        write_dict(staging / DICT_FILE, dictionary)
        (staging / CORPUS_FILE).write_text(corpus, encoding="utf-8")
        if target.exists():
            # Left by a build whose registration failed: no model version points at it.
            shutil.rmtree(target)
        staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def build_catalog_lm(
    project: Project, config: LmBuildConfig | None = None, pseudo_labels: Sequence[str] = ()
) -> LmBuildReport:
    """Build the catalog LM and dictionary from the project and register the model version.

    Args:
        project: the open project.
        config: the version name base, corpus options and discount; the corpus options are
            stored with the version (``corpus_config``) so that later rebuilds can reuse them.
        pseudo_labels: confident suggestions to use as labels; their number is stored in the
            version's ``corpus`` counts (``pseudo_labels``), so a model trained on them is
            always recognisable.

    Raises:
        CatalogError: ``config.corpus.catalog_id`` names no catalog.
        ModelError: the project has no catalog products and no accepted transcripts, the
            espeak-ng library cannot be loaded, or the model folder cannot be written.
    """
    config = config or LmBuildConfig()
    with project.session() as session:
        ensure_generic_model(session)  # the comparison baseline is always registered
        products = session.scalar(select(func.count()).select_from(Product)) or 0
        corpus = build_corpus(session, config.corpus, pseudo_labels)
    if not products and not corpus.counts.get("accepted_transcripts"):
        raise ModelError(
            "the project has no catalog products and no accepted transcripts to build an LM "
            "from; import a catalog first (`voxcart catalog import`)"
        )
    dictionary, generated, dropped = _pronunciations(corpus)
    dropped_set = set(dropped)
    sentences = [s for s in corpus.sentences if dropped_set.isdisjoint(s.split())]
    arpa = arpa_text(sentences, config.discount_mass)
    dict_text = "\n".join(f"{w} {' '.join(p)}" for w, p in sorted(dictionary.items()))
    digest = hashlib.sha256(f"{arpa}\0{dict_text}".encode()).hexdigest()

    with project.session() as session:
        previous = latest_version(session, config.base_name)
        if previous is not None and previous.config.get("content_hash") == digest:
            return LmBuildReport(
                model_name=previous.name,
                model_id=previous.id,
                path=project.root / (previous.path or ""),
                created=False,
                counts=corpus.counts,
                sentences=len(sentences),
                vocabulary=len(dictionary),
                g2p_words=tuple(generated),
                dropped_words=tuple(dropped),
            )
        number = 1
        if previous is not None:
            number = int(previous.name.rsplit("-v", 1)[1]) + 1
        name = f"{config.base_name}-v{number}"
        relative = Path(MODELS_DIR) / name
        target = project.root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        _write_folder(target, arpa, dictionary, "\n".join(sentences) + "\n")
        model_config = {
            "lm": LM_FILE,
            "dict": DICT_FILE,
            "content_hash": digest,
            "corpus": corpus.counts,
            "sentences": len(sentences),
            "vocabulary": len(dictionary),
            "g2p_words": len(generated),
            "g2p_examples": generated[:_REPORTED_WORDS],
            "dropped_words": dropped[:_REPORTED_WORDS],
            "catalog_id": config.corpus.catalog_id,
            "seed": config.corpus.seed,
            "corpus_config": config.corpus.to_dict(),
            "discount_mass": config.discount_mass,
        }
        json.dumps(model_config)  # fail here, not in the database, on a non-JSON value
        try:
            row = register_model(
                session,
                name,
                "sphinx",
                relative.as_posix(),
                model_config,
                parent_id=previous.id if previous is not None else None,
            )
        except BaseException:
            shutil.rmtree(target, ignore_errors=True)
            raise
        model_id = row.id
    return LmBuildReport(
        model_name=name,
        model_id=model_id,
        path=target,
        created=True,
        counts=corpus.counts,
        sentences=len(sentences),
        vocabulary=len(dictionary),
        g2p_words=tuple(generated),
        dropped_words=tuple(dropped),
    )
