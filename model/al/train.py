"""Training an active-learning round's model: the next version from the labels, measured.

:func:`train_round` turns the labels so far into a new model version: for ``sphinx`` models
the catalog LM rebuilt with the accepted transcripts, for ``ctc`` models a fine-tuning run
(``voxcart train``) from the model the round was selected with. It then re-suggests the dev
split and the unlabelled pool (all of it, or a seeded sample) so that the next round can score
them, and evaluates the new model on dev/test next to the one it replaces (status ``trained``).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from voxcart.datasets.store.clip_filter import ClipFilter
from voxcart.datasets.store.project import Project
from voxcart.datasets.store.revisions import latest_revision_ids, training_labels
from voxcart.datasets.store.schema import Clip, ModelVersion, Revision
from voxcart.model.al.candidates import pool_clip_ids
from voxcart.model.al.pseudo import PseudoLabels, check_threshold, confident_suggestions
from voxcart.model.al.records import (
    AcousticRound,
    PseudoLabelUse,
    RoundMetrics,
    RoundParams,
    SplitEval,
)
from voxcart.model.al.rounds import (
    SELECTING,
    TRAINED,
    TRAINING,
    RoundResult,
    done_tasks,
    find_round,
    get_round,
    round_result,
)
from voxcart.model.backends.base import create_backend
from voxcart.model.errors import ModelError
from voxcart.model.eval.evaluate import SPLITS, evaluate
from voxcart.model.eval.references import canonical_reference
from voxcart.model.lm.build import LmBuildConfig, build_catalog_lm
from voxcart.model.lm.corpus import CorpusConfig
from voxcart.model.suggest import suggest
from voxcart.model.train.config import TrainConfig
from voxcart.model.versions import CATALOG_MODEL, to_spec

_VERSION_RE = re.compile(r"^(?P<base>.+)-v\d+$")
_ROUND_RE = re.compile(r"^(?P<base>.+)-al\d+$")
TRAINABLE_BACKENDS: tuple[str, ...] = ("sphinx", "ctc")
"""Backends whose models a round can retrain."""
ADAPT_METHODS: tuple[str, ...] = ("none", "map", "mllr")
"""Acoustic adaptation of a sphinx round after its LM rebuild (``none``: the LM only)."""


@dataclass(frozen=True)
class NextModel:
    """The model version a round produced.

    Attributes:
        model_name: its name.
        model_id: its ``model_versions`` id.
        created: False when an existing version was reused (unchanged LM, or a ctc run that
            finished before an interruption).
        trained_on: labelled transcripts it learned from.
        pseudo: the pseudo-labels used, or None.
    """

    model_name: str
    model_id: int
    created: bool
    trained_on: int
    pseudo: PseudoLabelUse | None
    acoustic: AcousticRound | None = None


def _adapt_round(
    project: Project, lm: NextModel, adapt: str, reference: str, sources: Sequence[str]
) -> NextModel:
    """MAP/MLLR-adapt the bundled acoustics on every label so far, with the round's new LM;
    the round keeps the adapted model only if it beats the LM-only one on dev."""
    from voxcart.model.adapt import AdaptConfig, adapt_sphinx

    config = AdaptConfig(method=adapt, reference=reference, label_sources=tuple(sources))
    result = adapt_sphinx(project, lm.model_name, None, config)
    promotion = result.promotion
    kept = promotion is not None and promotion.promoted
    summary = AcousticRound(
        method=adapt,
        model=result.model_name,
        kept=kept,
        used=result.used,
        skipped=len(result.skipped),
        seconds=result.seconds,
        dev_wer_before=promotion.dev_wer_before if promotion else None,
        dev_wer_after=promotion.dev_wer_after if promotion else None,
        reason=promotion.reason if promotion else None,
    )
    if not kept:
        return dataclasses.replace(lm, acoustic=summary)
    return NextModel(
        result.model_name, result.model_id, result.created, lm.trained_on, lm.pseudo, summary
    )


def _next_sphinx(
    project: Project, before: str, corpus: CorpusConfig, pseudo: PseudoLabels | None
) -> NextModel:
    built = build_catalog_lm(
        project,
        LmBuildConfig(base_name=_lm_base(before), corpus=corpus),
        pseudo.texts if pseudo is not None else (),
    )
    return NextModel(
        built.model_name,
        built.model_id,
        built.created,
        int(built.counts.get("accepted_transcripts", 0)),
        (
            PseudoLabelUse(
                pseudo.min_confidence, len(pseudo.clip_ids), pseudo.seconds, tuple(pseudo.clip_ids)
            )
            if pseudo is not None
            else None
        ),
    )


def ctc_round_name(base: str, number: int) -> str:
    """Round `number`'s ctc model name (``shop-ctc`` or ``shop-ctc-al2`` -> ``shop-ctc-al3``)."""
    match = _ROUND_RE.match(base)
    return f"{match.group('base') if match else base}-al{number}"


def _next_ctc(
    project: Project,
    before: str,
    number: int,
    label_sources: Sequence[str],
    pseudo_min_confidence: float | None,
    train_config: TrainConfig | None,
    device: str,
) -> NextModel:
    from voxcart.model.train.loop import train

    name = ctc_round_name(before, number)
    config = train_config or TrainConfig()
    if pseudo_min_confidence is not None:
        config = dataclasses.replace(config, pseudo_label_threshold=pseudo_min_confidence)
    with project.session() as session:
        done = session.scalar(select(ModelVersion).where(ModelVersion.name == name))
        if done is not None:
            training = dict(done.config or {}).get("training") or {}
            data = training.get("data") or {}
            return NextModel(name, done.id, False, int(data.get("train_clips", 0)), None)
    result = train(project, before, name, config, device=device, label_sources=label_sources)
    if result.model_version_id is None:
        raise ModelError(f"training {name!r} registered no model version")
    pseudo = (
        PseudoLabelUse(pseudo_min_confidence, result.stats.pseudo_labels)
        if pseudo_min_confidence is not None
        else None
    )
    return NextModel(
        name,
        result.model_version_id,
        True,
        result.stats.train_clips - result.stats.pseudo_labels,
        pseudo,
    )


EVAL_SPLITS: tuple[str, ...] = tuple(s for s in SPLITS if s in ("dev", "test", "heldout"))
"""Where :func:`train_round` can measure a new model."""


def _lm_base(name: str) -> str:
    """The LM base name of a sphinx model version (``sphinx-catalog-v3`` -> ``sphinx-catalog``)."""
    match = _VERSION_RE.match(name)
    return match.group("base") if match else CATALOG_MODEL


def _split_metrics(
    project: Project, model: str, before: str, split: str, reference: str
) -> SplitEval:
    """The new model's metrics on one split (compared with `before`), or why there are none."""
    try:
        report = evaluate(
            project,
            model,
            split,
            reference=reference,
            compare_to=before if before != model else None,
        )
    except ModelError as exc:
        # Typically no clip of the split has an accepted or corrected human transcript yet.
        return SplitEval(reference=reference, wer=None, note=f"not evaluated: {exc}")
    baseline = report.baseline
    return SplitEval(
        reference=reference,
        wer=report.overall.wer,
        clips=report.overall.clips,
        unreferenced=report.unreferenced,
        cer=report.overall.cer,
        entity_error=report.overall.entity_error_rate,
        search_top1=report.overall.search_top1,
        compare_to=report.compare_to,
        baseline_wer=baseline.wer if baseline is not None else None,
        baseline_entity_error=baseline.entity_error_rate if baseline is not None else None,
    )


def labelled_seconds(session: Session, label_sources: Sequence[str] = ()) -> tuple[int, float]:
    """Clips and audio seconds that the next model can learn from.

    Those are train-split or unsplit clips whose current transcript was accepted or corrected
    by a person (or by one of `label_sources`, such as the simulated ``oracle``).
    """
    latest = latest_revision_ids()
    row = session.execute(
        select(func.count(), func.coalesce(func.sum(Clip.duration_s), 0.0))
        .select_from(Revision)
        .join(latest, Revision.id == latest.c.revision_id)
        .join(Clip, Clip.id == Revision.clip_id)
        .where(*training_labels(label_sources))
    ).one()
    return int(row[0]), float(row[1])


def _pool_filter(session: Session, pool_sample: int | None, seed: int) -> ClipFilter:
    """Which unlabelled clips the new model re-suggests (all, or a seeded sample)."""
    if pool_sample is None:
        return ClipFilter(status="unlabeled")
    pool = pool_clip_ids(session)
    if pool_sample >= len(pool):
        return ClipFilter(clip_ids=tuple(pool))
    rng = np.random.default_rng(seed)
    picked = sorted(int(i) for i in rng.choice(pool, size=pool_sample, replace=False))
    return ClipFilter(clip_ids=tuple(picked))


def _check_train_options(
    pseudo_min_confidence: float | None,
    pool_sample: int | None,
    eval_splits: Sequence[str],
    reference: str,
) -> None:
    if pseudo_min_confidence is not None:
        check_threshold(pseudo_min_confidence)
    if pool_sample is not None and (isinstance(pool_sample, bool) or pool_sample < 0):
        raise ModelError(f"pool_sample={pool_sample!r} must be 0 or more (or None for all)")
    for split in eval_splits:
        if split not in EVAL_SPLITS:
            raise ModelError(f"eval split={split!r} is unknown; use {', '.join(EVAL_SPLITS)}")
    canonical_reference(reference)


def train_round(
    project: Project,
    round_number: int | None = None,
    *,
    pseudo_min_confidence: float | None = None,
    pool_sample: int | None = None,
    eval_splits: Sequence[str] = ("dev", "test"),
    reference: str = "human",
    label_sources: Sequence[str] = (),
    train_config: TrainConfig | None = None,
    device: str = "auto",
    adapt: str = "none",
) -> RoundResult:
    """Turn a round's labels into a new model version and measure it.

    For the sphinx backend the catalog LM is rebuilt with the corpus options of the model
    the round was selected with (accepted and corrected train transcripts now join its
    corpus) and registered as the next ``<base>-v<N>``; where the corpus did not change, the
    newest version is reused and ``model_created`` is False. For the ctc backend the round's
    model is fine-tuned (:func:`voxcart.model.train.loop.train`) from the model the round was
    selected with, on every labelled train clip, and registered as ``<base>-al<round>``; a
    training that registered its model before being interrupted is not repeated. The dev split
    and the unlabelled pool are suggested again with it (the next round scores those), and it
    is evaluated on each of `eval_splits`, compared with the model the round was selected
    with. Where a split has no reference, its metrics hold ``wer = None`` and the reason in
    ``note``.

    Args:
        project: the open project.
        round_number: which round (default: the newest).
        pseudo_min_confidence: also learn from the selecting model's suggestions of unlabelled
            train clips whose every word is at least this sure (pseudo-labels, recorded in
            the round's ``pseudo_labels`` and the model's corpus counts; never revisions).
        pool_sample: re-suggest only this many unlabelled pool clips, drawn with the round's
            seed (None: all). The next round then chooses among those: scoring a random
            sub-pool is the usual way to keep rounds fast on a large pool. 0 skips it (for
            the random strategy, which does not read suggestions).
        eval_splits: where the new model is measured: ``dev``, ``test``, ``heldout``.
        reference: ``human`` transcripts, or ``gold`` references (``hidden``: an alias).
        label_sources: non-human revision sources whose transcripts count as labels too
            (``oracle`` in a simulation); added to those of the selecting model's corpus.
        train_config: ctc only: the fine-tuning settings (default: :class:`TrainConfig`'s);
            `pseudo_min_confidence` sets its ``pseudo_label_threshold`` (the trainer's rule:
            mean suggestion confidence).
        device: ctc only: auto, cpu or cuda.
        adapt: sphinx only: after the LM rebuild, also adapt the acoustic model on every label
            so far (``map`` or ``mllr``, :mod:`voxcart.model.adapt`); the round keeps the
            adapted version only if its dev WER beats the LM-only one (``reference``
            transcripts), and records the attempt under ``acoustic``. ``none``: LM only.

    Returns:
        The round, now ``trained``, with the new model and its metrics.

    Raises:
        ModelError: a bad option, no such round, the round is still selecting or already
            trained, its model cannot be trained here (whisper), or the LM build fails.
        TrainingError: the ctc fine-tuning fails (e.g. no labelled train clip).
    """
    _check_train_options(pseudo_min_confidence, pool_sample, eval_splits, reference)
    if adapt not in ADAPT_METHODS:
        raise ModelError(f"adapt={adapt!r} is unknown; use one of {', '.join(ADAPT_METHODS)}")
    with project.session() as session:
        row = find_round(session, round_number)
        if row.status == SELECTING:
            raise ModelError(
                f"round {row.number} is still selecting; finish it with `voxcart al select`"
            )
        if row.status == TRAINED:
            raise ModelError(
                f"round {row.number} is already trained (model "
                f"{RoundMetrics.from_dict(row.metrics).model}); start the next with "
                "`voxcart al select`"
            )
        params = RoundParams.from_dict(row.params)
        base = session.get(ModelVersion, params.model_id)
        if base is None:
            raise ModelError(f"round {row.number}'s model {params.model!r} no longer exists")
        if base.backend not in TRAINABLE_BACKENDS:
            raise ModelError(
                f"round {row.number} was selected with {base.name!r} (backend {base.backend!r}), "
                "which voxcart cannot train (whisper models only suggest); select the next "
                "round with a sphinx or ctc model (`voxcart al select --model`)"
            )
        row.status = TRAINING
        round_id, number, before, base_id = row.id, row.number, base.name, base.id
        backend = base.backend
        base_config = dict(base.config or {})
        seed = params.seed * 1_000 + number
    if backend == "ctc":
        built = _next_ctc(
            project, before, number, label_sources, pseudo_min_confidence, train_config, device
        )
        sources = tuple(label_sources)
    else:
        corpus = CorpusConfig.from_dict(base_config.get("corpus_config") or {})
        sources = tuple(dict.fromkeys([*corpus.label_sources, *label_sources]))
        pseudo = (
            confident_suggestions(project, base_id, pseudo_min_confidence)
            if pseudo_min_confidence is not None
            else None
        )
        built = _next_sphinx(
            project, before, dataclasses.replace(corpus, label_sources=sources), pseudo
        )
        if adapt != "none":
            built = _adapt_round(project, built, adapt, reference, sources)
    with project.session() as session:
        new = session.get(ModelVersion, built.model_id)
        if new is None:
            raise ModelError(f"model {built.model_name!r} vanished right after it was built")
        engine = create_backend(to_spec(new, project.root))
        pool_filter = _pool_filter(session, pool_sample, seed)
    dev = suggest(project, built.model_name, ClipFilter(split="dev"), backend=engine)
    pool_suggested = 0
    if pool_sample != 0:
        pool_suggested = suggest(project, built.model_name, pool_filter, backend=engine).suggested
    evaluations = {
        split: _split_metrics(project, built.model_name, before, split, reference)
        for split in eval_splits
    }
    with project.session() as session:
        current = get_round(session, round_id)
        clips, seconds = labelled_seconds(session, sources)
        current.status = TRAINED
        current.model_version_id = built.model_id
        current.metrics = replace(
            RoundMetrics.from_dict(current.metrics),
            model=built.model_name,
            model_created=built.created,
            accepted_transcripts=built.trained_on,
            clips_labelled=done_tasks(session, round_id).get(round_id, 0),
            labelled_clips_total=clips,
            labelled_seconds_total=seconds,
            suggested={"dev": dev.suggested, "unlabeled": pool_suggested},
            pool_sample=pool_sample,
            pseudo_labels=built.pseudo,
            acoustic=built.acoustic,
            evaluations=evaluations,
        ).to_dict()
        session.flush()
        return round_result(current)
