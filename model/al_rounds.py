"""Active-learning rounds: select clips into the annotation queue, then retrain and re-score.

A round is a row of ``al_rounds``. :func:`select_round` creates it (status ``selecting``),
scores the unlabelled clips that a model version suggested, picks them under a budget with
:func:`voxcart.model.al_select.select`, and queues them for annotation with the score as
priority (status ``queued``). The selection is stored on the round before anything is queued,
so an interrupted run is finished, not repeated, by running it again. :func:`train_round`
turns the round's labels into a new model version (for the sphinx backend: the catalog LM
rebuilt with the accepted transcripts), re-suggests the dev split and the unlabelled pool with
it, evaluates it on dev against human transcripts and stores the result (status ``trained``).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from voxcart.datasets.catalog import load_vocabulary
from voxcart.datasets.revisions import latest_revision_ids
from voxcart.datasets.schema import (
    ALRound,
    Clip,
    ModelVersion,
    Revision,
    RevisionStatus,
    Split,
    Suggestion,
    Task,
    TaskState,
)
from voxcart.datasets.store import Project
from voxcart.labeler.queue import enqueue
from voxcart.model.al_candidates import load_candidates, pool_clip_ids
from voxcart.model.al_pseudo import check_threshold, confident_suggestions
from voxcart.model.al_scorers import SCORER_NAMES, make_scorer
from voxcart.model.al_select import DIVERSITY_RULES, Budget, Diversity, parse_budget
from voxcart.model.al_select import select as select_clips
from voxcart.model.backend import create_backend
from voxcart.model.clip_filter import ClipFilter
from voxcart.model.errors import ModelError
from voxcart.model.evaluate import SPLITS, evaluate
from voxcart.model.lm_build import LmBuildConfig, build_catalog_lm
from voxcart.model.lm_corpus import CorpusConfig
from voxcart.model.suggest import suggest
from voxcart.model.versions import CATALOG_MODEL, find_model, to_spec

SELECTING = "selecting"
QUEUED = "queued"
TRAINING = "training"
TRAINED = "trained"
ROUND_STATUSES: tuple[str, ...] = (SELECTING, QUEUED, TRAINING, TRAINED)
"""A round's life: selecting -> queued -> training -> trained."""
_VERSION_RE = re.compile(r"^(?P<base>.+)-v\d+$")
_OPEN = (TaskState.PENDING, TaskState.LEASED)
STRATEGY_PRESETS: dict[str, tuple[str, str]] = {"hybrid": ("entity", "kcenter")}
"""Strategies that fix both scorer and diversity: ``hybrid`` is the entity-aware uncertainty
(least confident catalog entity) picked with k-center diversity."""
STRATEGIES: tuple[str, ...] = (*SCORER_NAMES, *STRATEGY_PRESETS)
"""Every strategy :func:`select_round` accepts."""
EVAL_SPLITS: tuple[str, ...] = tuple(s for s in SPLITS if s in ("dev", "test", "heldout"))
"""Where :func:`train_round` can measure a new model."""


@dataclass(frozen=True)
class RoundResult:
    """What :func:`select_round` or :func:`train_round` did to one round.

    Attributes:
        round_id: the round's ``al_rounds`` id.
        number: the round's number (1, 2, ...).
        status: its status afterwards.
        strategy: the scorer that ranked the clips.
        budget: the budget as given (e.g. ``30m``).
        selected_with: the model version whose suggestions were scored.
        clip_ids: the selected clips, in pick order.
        scores: their scores (the queue priorities).
        selected_seconds: their total audio time.
        enqueued: annotation tasks created by this call (0 where they already existed).
        resumed: True when this call finished a round that an earlier run left unfinished.
        model: the model version the round produced (train only), or None.
        metrics: the round's stored metrics.
    """

    round_id: int
    number: int
    status: str
    strategy: str
    budget: str
    selected_with: str
    clip_ids: tuple[int, ...]
    scores: tuple[float, ...]
    selected_seconds: float
    enqueued: int = 0
    resumed: bool = False
    model: str | None = None
    metrics: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RoundView:
    """One row of ``voxcart al status``.

    Attributes:
        number: the round's number.
        strategy: the scorer that ranked its clips.
        budget: its budget as given.
        status: one of :data:`ROUND_STATUSES`.
        selected_with: the model version whose suggestions were scored.
        clips_selected: clips selected.
        minutes_selected: their audio time in minutes.
        clips_labelled: the round's annotation tasks done so far.
        model: the model version the round produced, or None before training.
        dev_wer: that model's WER on dev, or None (not trained, or no human dev references).
        dev_note: why there is no dev WER, where there is none after training.
        test_wer: that model's WER on test, or None.
        labelled_minutes: minutes of labelled train audio the model learned from (None
            before training).
    """

    number: int
    strategy: str
    budget: str
    status: str
    selected_with: str
    clips_selected: int
    minutes_selected: float
    clips_labelled: int
    model: str | None
    dev_wer: float | None
    dev_note: str | None
    test_wer: float | None = None
    labelled_minutes: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """The row as JSON-compatible values."""
        return {
            "round": self.number,
            "strategy": self.strategy,
            "budget": self.budget,
            "status": self.status,
            "selected_with": self.selected_with,
            "clips_selected": self.clips_selected,
            "minutes_selected": self.minutes_selected,
            "clips_labelled": self.clips_labelled,
            "model": self.model,
            "dev_wer": self.dev_wer,
            "dev_note": self.dev_note,
            "test_wer": self.test_wer,
            "labelled_minutes": self.labelled_minutes,
        }


def _newest_suggesting_model(session: Session) -> ModelVersion:
    row = session.scalar(
        select(ModelVersion)
        .where(ModelVersion.id.in_(select(Suggestion.model_version_id)))
        .order_by(ModelVersion.id.desc())
        .limit(1)
    )
    if row is None:
        raise ModelError(
            "no model version has suggested any clip yet; run `voxcart suggest` first "
            "(or name one with --model)"
        )
    return row


def resolve_strategy(strategy: str, diversity: str) -> tuple[str, str]:
    """The (scorer, diversity rule) a strategy name stands for.

    A scorer name keeps the given diversity rule; a preset (:data:`STRATEGY_PRESETS`) sets both.

    Raises:
        ModelError: an unknown strategy or diversity rule.
    """
    if strategy in STRATEGY_PRESETS:
        return STRATEGY_PRESETS[strategy]
    if strategy not in SCORER_NAMES:
        raise ModelError(f"strategy={strategy!r} is unknown; use one of {', '.join(STRATEGIES)}")
    if diversity not in DIVERSITY_RULES:
        raise ModelError(
            f"diversity={diversity!r} is unknown; use one of {', '.join(DIVERSITY_RULES)}"
        )
    return strategy, diversity


def _check_options(strategy: str, diversity: str, max_per_speaker: int | None) -> None:
    if strategy not in STRATEGIES:
        raise ModelError(f"strategy={strategy!r} is unknown; use one of {', '.join(STRATEGIES)}")
    if diversity not in DIVERSITY_RULES:
        raise ModelError(
            f"diversity={diversity!r} is unknown; use one of {', '.join(DIVERSITY_RULES)}"
        )
    if max_per_speaker is not None and max_per_speaker < 1:
        raise ModelError(f"max_per_speaker={max_per_speaker!r} must be at least 1 (or None)")


def _selection(row: ALRound) -> dict[str, Any] | None:
    stored = (row.params or {}).get("selection")
    return dict(stored) if isinstance(stored, Mapping) else None


def _queued_elsewhere(session: Session, round_id: int) -> set[int]:
    """Clips with an open annotation task from outside this round (already on their way)."""
    stmt = select(Task.clip_id).where(
        Task.kind == "annotate",
        Task.state.in_(_OPEN),
        (Task.round_id.is_(None)) | (Task.round_id != round_id),
    )
    return set(session.scalars(stmt))


def _choose(project: Project, round_id: int, params: Mapping[str, Any]) -> dict[str, Any]:
    """Run the stored selection recipe of a round and return the selection to store."""
    strategy = str(params.get("scorer", params["strategy"]))
    seed = int(params["seed"])
    with project.session() as session:
        vocabulary = load_vocabulary(session) if strategy == "entity" else None
        busy = _queued_elsewhere(session, round_id)
    scorer = make_scorer(strategy, seed=seed, vocabulary=vocabulary)
    candidates = [
        c for c in load_candidates(project, int(params["model_id"])) if c.clip_id not in busy
    ]
    if not candidates:
        raise ModelError(
            f"model {params['model']!r} has suggested no unlabelled clip that is not already "
            "queued; run `voxcart suggest` on new clips, or label the queued ones first"
        )
    diversity = cast(Diversity, params["diversity"])
    picked = select_clips(
        candidates,
        scorer,
        Budget(clips=params.get("budget_clips"), seconds=params.get("budget_seconds")),
        diversity=diversity,
        cost_aware=bool(params["cost_aware"]),
        seed=seed,
        max_per_speaker=params.get("max_per_speaker"),
    )
    if not picked.clip_ids:
        shortest = min(c.duration_s for c in candidates)
        raise ModelError(
            f"budget={params['budget']!r} fits no clip (the shortest candidate is "
            f"{shortest:.1f} s); give a larger --budget"
        )
    return {
        "clip_ids": list(picked.clip_ids),
        "scores": list(picked.scores),
        "seconds": picked.total_seconds,
        "candidates": len(candidates),
    }


def _result(row: ALRound, *, enqueued: int = 0, resumed: bool = False) -> RoundResult:
    chosen = _selection(row) or {}
    params = row.params or {}
    model_name = (row.metrics or {}).get("model")
    return RoundResult(
        round_id=row.id,
        number=row.number,
        status=row.status,
        strategy=row.strategy,
        budget=row.budget,
        selected_with=str(params.get("model", "")),
        clip_ids=tuple(int(c) for c in chosen.get("clip_ids", ())),
        scores=tuple(float(s) for s in chosen.get("scores", ())),
        selected_seconds=float(chosen.get("seconds", 0.0)),
        enqueued=enqueued,
        resumed=resumed,
        model=str(model_name) if model_name else None,
        metrics=dict(row.metrics or {}),
    )


def _newest_round(session: Session) -> ALRound | None:
    return session.scalar(select(ALRound).order_by(ALRound.number.desc()).limit(1))


def _get_round(session: Session, round_id: int) -> ALRound:
    row = session.get(ALRound, round_id)
    if row is None:
        raise ModelError(f"active-learning round id {round_id} no longer exists; run select again")
    return row


def select_round(
    project: Project,
    *,
    model: str | None = None,
    strategy: str = "least-confidence",
    diversity: str = "kcenter",
    budget: str = "30m",
    cost_aware: bool = False,
    seed: int = 0,
    max_per_speaker: int | None = None,
) -> RoundResult:
    """Start an active-learning round: pick clips under a budget and queue them for annotation.

    When the newest round is still ``selecting`` (an earlier run was interrupted), that round
    is finished with its own stored options instead, and the arguments are ignored; queueing
    is idempotent, so no clip is queued twice.

    Args:
        project: the open project.
        model: the model version (or base name) whose suggestions are scored; default: the
            newest model version that has suggested any clip.
        strategy: a scorer name (:data:`voxcart.model.al_scorers.SCORER_NAMES`) or a preset
            of :data:`STRATEGY_PRESETS` (``hybrid``).
        diversity: ``kcenter``, ``dedup`` or ``none`` (a preset brings its own).
        budget: clips (``"200"``) or audio time (``"90s"``, ``"30m"``, ``"2h"``).
        cost_aware: rank by score per second of audio.
        seed: breaks ties (and seeds the ``random`` strategy).
        max_per_speaker: at most this many clips of one speaker.

    Returns:
        The round, now ``queued``, with its selection.

    Raises:
        ModelError: an unknown option or model, a bad budget, no model with suggestions,
            or no unlabelled clip to choose from (no round is created then).
    """
    with project.session() as session:
        newest = _newest_round(session)
        round_id = newest.id if newest is not None and newest.status == SELECTING else None
    resumed = round_id is not None
    if round_id is None:
        _check_options(strategy, diversity, max_per_speaker)
        scorer, diversity = resolve_strategy(strategy, diversity)
        parsed = parse_budget(budget)
        with project.session() as session:
            row = find_model(session, model) if model else _newest_suggesting_model(session)
            params: dict[str, Any] = {
                "model": row.name,
                "model_id": row.id,
                "strategy": strategy,
                "scorer": scorer,
                "diversity": diversity,
                "budget": budget.strip(),
                "budget_clips": parsed.clips,
                "budget_seconds": parsed.seconds,
                "cost_aware": cost_aware,
                "seed": seed,
                "max_per_speaker": max_per_speaker,
            }
        # Fail before a round exists when there is nothing to choose from.
        chosen = _choose(project, 0, params)
        with project.session() as session:
            newest = _newest_round(session)
            created = ALRound(
                number=(newest.number if newest is not None else 0) + 1,
                strategy=strategy,
                budget=budget.strip(),
                status=SELECTING,
                model_version_id=None,
                params={**params, "selection": chosen},
                metrics={},
            )
            session.add(created)
            session.flush()
            round_id = created.id
    with project.session() as session:
        current = _get_round(session, round_id)
        chosen_now = _selection(current)
        round_params = dict(current.params or {})
    if chosen_now is None:
        chosen_now = _choose(project, round_id, round_params)
        with project.session() as session:
            _get_round(session, round_id).params = {**round_params, "selection": chosen_now}
    with project.session() as session:
        current = _get_round(session, round_id)
        ids = [int(c) for c in chosen_now["clip_ids"]]
        priorities = dict(zip(ids, (float(s) for s in chosen_now["scores"]), strict=True))
        queued = enqueue(session, ids, priorities, kind="annotate", round_id=round_id)
        current.status = QUEUED
        current.metrics = {
            **dict(current.metrics or {}),
            "selected_clips": len(ids),
            "selected_seconds": float(chosen_now["seconds"]),
            "candidates": int(chosen_now.get("candidates", 0)),
        }
        session.flush()
        return _result(current, enqueued=len(queued.created), resumed=resumed)


def _find_round(session: Session, number: int | None) -> ALRound:
    if number is None:
        row = _newest_round(session)
        if row is None:
            raise ModelError(
                "there is no active-learning round yet; start one with `voxcart al select`"
            )
        return row
    row = session.scalar(select(ALRound).where(ALRound.number == number))
    if row is None:
        known = ", ".join(str(n) for n in session.scalars(select(ALRound.number))) or "none"
        raise ModelError(f"round={number} does not exist; rounds: {known}")
    return row


def _lm_base(name: str) -> str:
    """The LM base name of a sphinx model version (``sphinx-catalog-v3`` -> ``sphinx-catalog``)."""
    match = _VERSION_RE.match(name)
    return match.group("base") if match else CATALOG_MODEL


def _done_tasks(session: Session, round_id: int | None = None) -> dict[int, int]:
    stmt = (
        select(Task.round_id, func.count())
        .where(Task.round_id.is_not(None), Task.state == TaskState.DONE)
        .group_by(Task.round_id)
    )
    if round_id is not None:
        stmt = stmt.where(Task.round_id == round_id)
    return {int(rid): int(n) for rid, n in session.execute(stmt) if rid is not None}


def _split_metrics(
    project: Project, model: str, before: str, split: str, reference: str
) -> dict[str, Any]:
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
        return {"reference": reference, "wer": None, "note": f"not evaluated: {exc}"}
    return {
        "reference": reference,
        "clips": report.overall.clips,
        "unreferenced": report.unreferenced,
        "wer": report.overall.wer,
        "cer": report.overall.cer,
        "entity_error": report.overall.entity_error_rate,
        "search_top1": report.overall.search_top1,
        "compare_to": report.compare_to,
        "baseline_wer": report.baseline.wer if report.baseline is not None else None,
        "baseline_entity_error": (
            report.baseline.entity_error_rate if report.baseline is not None else None
        ),
        "note": None,
    }


def labelled_seconds(session: Session, label_sources: Sequence[str] = ()) -> tuple[int, float]:
    """Clips and audio seconds that the next model can learn from.

    Those are train-split or unsplit clips whose current transcript was accepted or corrected
    by a person (or by one of `label_sources`, such as the simulated ``oracle``).
    """
    latest = latest_revision_ids()
    labelled: ColumnElement[bool] = Revision.is_human.is_(True)
    if label_sources:
        labelled = or_(labelled, Revision.source.in_(list(label_sources)))
    row = session.execute(
        select(func.count(), func.coalesce(func.sum(Clip.duration_s), 0.0))
        .select_from(Revision)
        .join(latest, Revision.id == latest.c.revision_id)
        .join(Clip, Clip.id == Revision.clip_id)
        .where(
            labelled,
            Revision.status.in_([RevisionStatus.ACCEPTED, RevisionStatus.CORRECTED]),
            or_(Clip.split.is_(None), Clip.split == Split.TRAIN),
        )
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
    if reference not in ("human", "hidden"):
        raise ModelError(f"reference={reference!r} is unknown; use 'human' or 'hidden'")


def train_round(
    project: Project,
    round_number: int | None = None,
    *,
    pseudo_min_confidence: float | None = None,
    pool_sample: int | None = None,
    eval_splits: Sequence[str] = ("dev", "test"),
    reference: str = "human",
    label_sources: Sequence[str] = (),
) -> RoundResult:
    """Turn a round's labels into a new model version and measure it.

    For the sphinx backend the catalog LM is rebuilt with the corpus options of the model
    the round was selected with (accepted and corrected train transcripts now join its
    corpus) and registered as the next ``<base>-v<N>``; where the corpus did not change, the
    newest version is reused and ``model_created`` is False. The dev split and the unlabelled
    pool are suggested again with it (the next round scores those), and it is evaluated on
    each of `eval_splits`, compared with the model the round was selected with. Where a split
    has no reference, its metrics hold ``wer = None`` and the reason in ``note``.

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
        reference: ``human`` transcripts, or the ``hidden`` references of a demo project.
        label_sources: non-human revision sources whose transcripts count as labels too
            (``oracle`` in a simulation); added to those of the selecting model's corpus.

    Returns:
        The round, now ``trained``, with the new model and its metrics.

    Raises:
        ModelError: a bad option, no such round, the round is still selecting or already
            trained, its model is not a sphinx model (ctc and whisper rounds are not yet
            supported: fine-tune with `voxcart train` and select a new round with
            `--model`), or the LM build fails.
    """
    _check_train_options(pseudo_min_confidence, pool_sample, eval_splits, reference)
    with project.session() as session:
        row = _find_round(session, round_number)
        if row.status == SELECTING:
            raise ModelError(
                f"round {row.number} is still selecting; finish it with `voxcart al select`"
            )
        if row.status == TRAINED:
            raise ModelError(
                f"round {row.number} is already trained (model "
                f"{(row.metrics or {}).get('model')}); start the next with `voxcart al select`"
            )
        params = dict(row.params or {})
        base = session.get(ModelVersion, int(params.get("model_id", -1)))
        if base is None:
            raise ModelError(f"round {row.number}'s model {params.get('model')!r} no longer exists")
        if base.backend != "sphinx":
            raise ModelError(
                f"round {row.number} was selected with {base.name!r} (backend {base.backend!r}); "
                "`al train` is not yet supported for that backend: fine-tune with "
                "`voxcart train`, then select the next round with `voxcart al select --model`"
            )
        row.status = TRAINING
        round_id, number, before, base_id = row.id, row.number, base.name, base.id
        corpus = CorpusConfig.from_dict(dict(base.config or {}).get("corpus_config") or {})
        sources = tuple(dict.fromkeys([*corpus.label_sources, *label_sources]))
        corpus = dataclasses.replace(corpus, label_sources=sources)
        seed = int(params.get("seed", 0)) * 1_000 + number
    pseudo = (
        confident_suggestions(project, base_id, pseudo_min_confidence)
        if pseudo_min_confidence is not None
        else None
    )
    built = build_catalog_lm(
        project,
        LmBuildConfig(base_name=_lm_base(before), corpus=corpus),
        pseudo.texts if pseudo is not None else (),
    )
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
        current = _get_round(session, round_id)
        clips, seconds = labelled_seconds(session, corpus.label_sources)
        current.status = TRAINED
        current.model_version_id = built.model_id
        current.metrics = {
            **dict(current.metrics or {}),
            "model": built.model_name,
            "model_created": built.created,
            "accepted_transcripts": int(built.counts.get("accepted_transcripts", 0)),
            "clips_labelled": _done_tasks(session, round_id).get(round_id, 0),
            "labelled_clips_total": clips,
            "labelled_seconds_total": seconds,
            "suggested": {"dev": dev.suggested, "unlabeled": pool_suggested},
            "pool_sample": pool_sample,
            "pseudo_labels": (
                {
                    "min_confidence": pseudo.min_confidence,
                    "clips": len(pseudo.clip_ids),
                    "seconds": pseudo.seconds,
                    "clip_ids": list(pseudo.clip_ids),
                }
                if pseudo is not None
                else None
            ),
            "eval": evaluations,
            "dev": evaluations.get("dev", {"wer": None, "note": "dev was not evaluated"}),
        }
        session.flush()
        return _result(current)


def _wer_of(metrics: Mapping[str, Any], split: str) -> tuple[float | None, str | None]:
    evaluations = metrics.get("eval")
    found = evaluations.get(split) if isinstance(evaluations, Mapping) else None
    if found is None and split == "dev":
        found = metrics.get("dev")  # rounds trained before per-split evaluation
    if not isinstance(found, Mapping):
        return None, None
    wer = found.get("wer")
    note = found.get("note")
    return (float(wer) if isinstance(wer, int | float) else None), (str(note) if note else None)


def round_status(project: Project) -> list[RoundView]:
    """Every round, oldest first, with its selection, labelling progress and dev/test WER."""
    with project.session() as session:
        done = _done_tasks(session)
        views = []
        for row in session.scalars(select(ALRound).order_by(ALRound.number)):
            chosen = _selection(row) or {}
            metrics = dict(row.metrics or {})
            dev_wer, dev_note = _wer_of(metrics, "dev")
            test_wer, _ = _wer_of(metrics, "test")
            model = metrics.get("model")
            seconds = metrics.get("labelled_seconds_total")
            views.append(
                RoundView(
                    number=row.number,
                    strategy=row.strategy,
                    budget=row.budget,
                    status=row.status,
                    selected_with=str((row.params or {}).get("model", "")),
                    clips_selected=len(chosen.get("clip_ids", ())),
                    minutes_selected=round(float(chosen.get("seconds", 0.0)) / 60.0, 3),
                    clips_labelled=done.get(row.id, 0),
                    model=str(model) if model else None,
                    dev_wer=dev_wer,
                    dev_note=dev_note if row.status == TRAINED else None,
                    test_wer=test_wer,
                    labelled_minutes=(
                        round(float(seconds) / 60.0, 3)
                        if isinstance(seconds, int | float)
                        else None
                    ),
                )
            )
        return views
