"""Active-learning rounds: select clips into the annotation queue, then retrain and re-score.

A round is a row of ``al_rounds``. :func:`select_round` creates it (status ``selecting``),
scores the unlabelled clips that a model version suggested, picks them under a budget with
:func:`voxcart.model.al.select.select`, and queues them for annotation with the score as
priority (status ``queued``). The selection is stored on the round before anything is queued,
so an interrupted run is finished, not repeated, by running it again. Training a round's
model is :func:`voxcart.model.al.train.train_round`; :func:`round_status` lists the rounds.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import cast

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from voxcart.datasets.catalog.store import load_vocabulary
from voxcart.datasets.store.project import Project
from voxcart.datasets.store.queue import enqueue, task_is_open
from voxcart.datasets.store.schema import (
    ALRound,
    ModelVersion,
    Suggestion,
    Task,
    TaskState,
)
from voxcart.model.al.candidates import load_candidates
from voxcart.model.al.records import RoundMetrics, RoundParams, RoundView, Selection
from voxcart.model.al.scorers import SCORER_NAMES, make_scorer
from voxcart.model.al.select import DIVERSITY_RULES, Budget, Diversity, parse_budget
from voxcart.model.al.select import select as select_clips
from voxcart.model.errors import ModelError
from voxcart.model.versions import find_model, is_promoted

SELECTING = "selecting"
QUEUED = "queued"
TRAINING = "training"
TRAINED = "trained"
ROUND_STATUSES: tuple[str, ...] = (SELECTING, QUEUED, TRAINING, TRAINED)
"""A round's life: selecting -> queued -> training -> trained."""
STRATEGY_PRESETS: dict[str, tuple[str, str]] = {"hybrid": ("entity", "kcenter")}
"""Strategies that fix both scorer and diversity: ``hybrid`` is the entity-aware uncertainty
(least confident catalog entity) picked with k-center diversity."""
STRATEGIES: tuple[str, ...] = (*SCORER_NAMES, *STRATEGY_PRESETS)
"""Every strategy :func:`select_round` accepts."""


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
    metrics: RoundMetrics = field(default_factory=RoundMetrics)


def newest_suggesting_model(session: Session) -> ModelVersion:
    """The newest promoted model version that has suggested any clip.

    Raises:
        ModelError: no model has suggested anything yet.
    """
    # A trained version refused by its dev check suggested only dev clips: skip it.
    rows = session.scalars(
        select(ModelVersion)
        .where(ModelVersion.id.in_(select(Suggestion.model_version_id)))
        .order_by(ModelVersion.id.desc())
    )
    row = next((r for r in rows if is_promoted(r)), None)
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


def _queued_elsewhere(session: Session, round_id: int) -> set[int]:
    """Clips with an open annotation task from outside this round (already on their way)."""
    stmt = select(Task.clip_id).where(
        Task.kind == "annotate",
        task_is_open(),
        (Task.round_id.is_(None)) | (Task.round_id != round_id),
    )
    return set(session.scalars(stmt))


def _choose(project: Project, round_id: int, params: RoundParams) -> Selection:
    """Run the stored selection recipe of a round and return the selection to store."""
    with project.session() as session:
        vocabulary = load_vocabulary(session) if params.scorer == "entity" else None
        busy = _queued_elsewhere(session, round_id)
    scorer = make_scorer(params.scorer, seed=params.seed, vocabulary=vocabulary)
    candidates = [c for c in load_candidates(project, params.model_id) if c.clip_id not in busy]
    if not candidates:
        raise ModelError(
            f"model {params.model!r} has suggested no unlabelled clip that is not already "
            "queued; run `voxcart suggest` on new clips, or label the queued ones first"
        )
    picked = select_clips(
        candidates,
        scorer,
        Budget(clips=params.budget_clips, seconds=params.budget_seconds),
        diversity=cast(Diversity, params.diversity),
        cost_aware=params.cost_aware,
        seed=params.seed,
        max_per_speaker=params.max_per_speaker,
    )
    if not picked.clip_ids:
        shortest = min(c.duration_s for c in candidates)
        raise ModelError(
            f"budget={params.budget!r} fits no clip (the shortest candidate is "
            f"{shortest:.1f} s); give a larger --budget"
        )
    return Selection(
        clip_ids=tuple(picked.clip_ids),
        scores=tuple(picked.scores),
        seconds=picked.total_seconds,
        candidates=len(candidates),
    )


def round_result(row: ALRound, *, enqueued: int = 0, resumed: bool = False) -> RoundResult:
    """A round row as a :class:`RoundResult` (inside the session that loaded it)."""
    params = RoundParams.from_dict(row.params)
    chosen = params.selection or Selection((), (), 0.0)
    metrics = RoundMetrics.from_dict(row.metrics)
    return RoundResult(
        round_id=row.id,
        number=row.number,
        status=row.status,
        strategy=row.strategy,
        budget=row.budget,
        selected_with=params.model,
        clip_ids=chosen.clip_ids,
        scores=chosen.scores,
        selected_seconds=chosen.seconds,
        enqueued=enqueued,
        resumed=resumed,
        model=metrics.model,
        metrics=metrics,
    )


def newest_round(session: Session) -> ALRound | None:
    """The round with the highest number, or None before the first."""
    return session.scalar(select(ALRound).order_by(ALRound.number.desc()).limit(1))


def get_round(session: Session, round_id: int) -> ALRound:
    """The round with this id.

    Raises:
        ModelError: it no longer exists.
    """
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
        strategy: a scorer name (:data:`voxcart.model.al.scorers.SCORER_NAMES`) or a preset
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
        newest = newest_round(session)
        round_id = newest.id if newest is not None and newest.status == SELECTING else None
    resumed = round_id is not None
    if round_id is None:
        _check_options(strategy, diversity, max_per_speaker)
        scorer, diversity = resolve_strategy(strategy, diversity)
        parsed = parse_budget(budget)
        with project.session() as session:
            row = find_model(session, model) if model else newest_suggesting_model(session)
            params = RoundParams(
                model=row.name,
                model_id=row.id,
                strategy=strategy,
                scorer=scorer,
                diversity=diversity,
                budget=budget.strip(),
                budget_clips=parsed.clips,
                budget_seconds=parsed.seconds,
                cost_aware=cost_aware,
                seed=seed,
                max_per_speaker=max_per_speaker,
            )
        # Fail before a round exists when there is nothing to choose from.
        chosen = _choose(project, 0, params)
        with project.session() as session:
            newest = newest_round(session)
            created = ALRound(
                number=(newest.number if newest is not None else 0) + 1,
                strategy=strategy,
                budget=budget.strip(),
                status=SELECTING,
                model_version_id=None,
                params=replace(params, selection=chosen).to_dict(),
                metrics={},
            )
            session.add(created)
            session.flush()
            round_id = created.id
    with project.session() as session:
        round_params = RoundParams.from_dict(get_round(session, round_id).params)
    chosen_now = round_params.selection
    if chosen_now is None:
        chosen_now = _choose(project, round_id, round_params)
        with project.session() as session:
            get_round(session, round_id).params = replace(
                round_params, selection=chosen_now
            ).to_dict()
    with project.session() as session:
        current = get_round(session, round_id)
        ids = list(chosen_now.clip_ids)
        priorities = dict(zip(ids, chosen_now.scores, strict=True))
        queued = enqueue(session, ids, priorities, kind="annotate", round_id=round_id)
        current.status = QUEUED
        current.metrics = replace(
            RoundMetrics.from_dict(current.metrics),
            selected_clips=len(ids),
            selected_seconds=chosen_now.seconds,
            candidates=chosen_now.candidates,
        ).to_dict()
        session.flush()
        return round_result(current, enqueued=len(queued.created), resumed=resumed)


def find_round(session: Session, number: int | None) -> ALRound:
    """The round with this number (None: the newest).

    Raises:
        ModelError: there is no such round, or no round at all.
    """
    if number is None:
        row = newest_round(session)
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


def done_tasks(session: Session, round_id: int | None = None) -> dict[int, int]:
    """Annotation tasks done per round id (only `round_id`'s when given)."""
    stmt = (
        select(Task.round_id, func.count())
        .where(Task.round_id.is_not(None), Task.state == TaskState.DONE)
        .group_by(Task.round_id)
    )
    if round_id is not None:
        stmt = stmt.where(Task.round_id == round_id)
    return {int(rid): int(n) for rid, n in session.execute(stmt) if rid is not None}


def round_view(row: ALRound, clips_labelled: int) -> RoundView:
    """A round row as a :class:`RoundView` (inside the session that loaded it)."""
    params = RoundParams.from_dict(row.params)
    metrics = RoundMetrics.from_dict(row.metrics)
    chosen = params.selection or Selection((), (), 0.0)
    dev, test = metrics.evaluation("dev"), metrics.evaluation("test")
    seconds = metrics.labelled_seconds_total
    return RoundView(
        id=row.id,
        number=row.number,
        strategy=row.strategy,
        budget=row.budget,
        status=row.status,
        selected_with=params.model,
        clips_selected=len(chosen.clip_ids),
        minutes_selected=round(chosen.seconds / 60.0, 3),
        clips_labelled=clips_labelled,
        model=metrics.model,
        dev_wer=dev.wer if dev is not None else None,
        dev_note=dev.note if dev is not None and row.status == TRAINED else None,
        test_wer=test.wer if test is not None else None,
        labelled_minutes=round(seconds / 60.0, 3) if seconds is not None else None,
        metrics=metrics,
        created_at=row.created_at,
    )


def round_status(project: Project) -> list[RoundView]:
    """Every round, oldest first, with its selection, labelling progress and dev/test WER."""
    with project.session() as session:
        done = done_tasks(session)
        rows = session.scalars(select(ALRound).order_by(ALRound.number))
        return [round_view(row, done.get(row.id, 0)) for row in rows]
