"""Build the catalog-adapted sphinx model: corpus -> mixed trigram ARPA LM + pronunciations.

Up to three components, each estimated on its own and then interpolated into one ARPA file
(:mod:`voxcart.model.lm.mix`): the *domain* model (catalog titles and terms, class-based query
templates, sampled number/price/size phrases; pocketsphinx's ``ArpaBoLM`` fixed-discount
back-off trigrams), the *labels* model (accepted train-split transcripts, when there are any;
same estimator) and the *background* (general English unigrams from the bundled generic LM,
:mod:`voxcart.model.lm.background`), which makes any common word speakable. The mixture weights
are fitted on the dev split's accepted transcripts (EM) when there are any, else the documented
defaults are used; the build reports the mixed model's perplexity and coverage on dev.

Words missing from the bundled CMU dictionary get
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
from voxcart.model.lm.arpa import LmScore, NgramLm, parse_arpa, score_text, write_arpa
from voxcart.model.lm.background import DEFAULT_WORDS, background_lm
from voxcart.model.lm.corpus import Corpus, CorpusConfig, build_corpus, dev_transcripts
from voxcart.model.lm.g2p import pronounce
from voxcart.model.lm.mix import interpolate, tune_weights
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
COMPONENTS: tuple[str, ...] = ("domain", "numbers", "labels", "background")
DEFAULT_WEIGHTS: dict[str, float] = {
    "domain": 0.80,
    "numbers": 0.08,
    "labels": 0.11,
    "background": 0.01,
}
"""Weights without dev transcripts (renormalised over the components that exist)."""


@dataclass(frozen=True)
class LmBuildConfig:
    """Options of an LM build.

    Attributes:
        base_name: versions are named ``<base_name>-v<N>``.
        corpus: what the corpus is drawn from.
        discount_mass: probability mass moved to back-off, in (0, 1).
        background_words: general English words in the background component (0: only the
            number, unit and shopping words it always holds).
        tune: fit the mixture weights on dev transcripts when there are any.
    """

    base_name: str = CATALOG_MODEL
    corpus: CorpusConfig = field(default_factory=CorpusConfig)
    discount_mass: float = 0.5
    background_words: int = DEFAULT_WORDS
    tune: bool = True

    def __post_init__(self) -> None:
        check_name(self.base_name)
        if not 0.0 < self.discount_mass < 1.0:
            raise ModelError(f"discount_mass={self.discount_mass} must be strictly between 0 and 1")
        if self.background_words < 0:
            raise ModelError(
                f"background_words={self.background_words} must be >= 0 (0 keeps only the "
                "number, unit and shopping words)"
            )


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
        weights: mixture weight per component (``domain``, ``labels``, ``background``).
        tuned: the weights were fitted on dev transcripts (else the defaults).
        dev: perplexity and coverage of the mixed model on the dev transcripts (None without).
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
    weights: dict[str, float] = field(default_factory=dict)
    tuned: bool = False
    dev: LmScore | None = None

    def summary(self) -> str:
        """Lines for the CLI: weights, dev perplexity and coverage."""
        how = "tuned on dev" if self.tuned else "defaults (no dev transcripts)"
        weights = ", ".join(f"{k} {v:.3f}" for k, v in self.weights.items())
        lines = [f"mixture weights ({how}): {weights}"]
        if self.dev is None or self.dev.coverage is None:
            lines.append("dev: no dev-split transcripts to measure perplexity and coverage on")
        else:
            lines.append(
                f"dev: {self.dev.sentences} sentences, {self.dev.words} words; perplexity "
                f"{self.dev.perplexity:.1f}; coverage {self.dev.coverage:.2%}"
                + (f" (cannot emit: {', '.join(self.dev.oov_words[:10])})" if self.dev.oov else "")
            )
        return "\n".join(lines)


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


def _pronunciations(
    corpus: Corpus, extra: set[str]
) -> tuple[dict[str, list[str]], list[str], list[str]]:
    cmu = bundled_dict()
    vocabulary = corpus.vocabulary | extra
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
        dev = dev_transcripts(session, config.corpus.label_sources)
    if not products and not corpus.counts.get("accepted_transcripts"):
        raise ModelError(
            "the project has no catalog products and no accepted transcripts to build an LM "
            "from; import a catalog first (`voxcart catalog import`)"
        )
    background = background_lm(config.background_words)
    dictionary, generated, dropped = _pronunciations(
        corpus, {w for w in background.vocabulary if not w.startswith("<")}
    )
    dropped_set = set(dropped)
    sentences = [s for s in corpus.sentences if dropped_set.isdisjoint(s.split())]
    mixed, weights, tuned = _mix(corpus, dropped_set, background, dev, config)
    arpa = write_arpa(mixed)
    dev_score = score_text(mixed, dev) if dev else None
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
                weights=weights,
                tuned=tuned,
                dev=dev_score,
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
            "background_words": config.background_words,
            "weights": weights,
            "weights_tuned": tuned,
            "dev": dev_score.to_dict() if dev_score is not None else None,
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
        weights=weights,
        tuned=tuned,
        dev=dev_score,
    )


def _mix(
    corpus: Corpus,
    dropped: set[str],
    background: NgramLm,
    dev: list[str],
    config: LmBuildConfig,
) -> tuple[NgramLm, dict[str, float], bool]:
    """The interpolated model, its weights by component and whether they were tuned."""

    def keep(lines: tuple[str, ...]) -> list[str]:
        return [s for s in lines if dropped.isdisjoint(s.split())]

    parts: dict[str, NgramLm] = {}
    domain, numbers, labels = keep(corpus.domain), keep(corpus.numbers), keep(corpus.labels)
    if domain:
        parts["domain"] = parse_arpa(arpa_text(domain, config.discount_mass))
    if numbers:
        parts["numbers"] = parse_arpa(arpa_text(numbers, config.discount_mass))
    if labels:
        parts["labels"] = parse_arpa(arpa_text(labels, config.discount_mass))
    if not parts:
        raise ModelError("the LM corpus is empty; import a catalog or accept some transcripts")
    parts["background"] = background
    models = list(parts.values())
    tuned = bool(config.tune and dev)
    if tuned:
        values = tune_weights(models, dev)
    else:
        total = sum(DEFAULT_WEIGHTS[name] for name in parts)
        values = tuple(DEFAULT_WEIGHTS[name] / total for name in parts)
    weights = {name: round(float(v), 4) for name, v in zip(parts, values, strict=True)}
    return interpolate(models, list(values)), weights, tuned
