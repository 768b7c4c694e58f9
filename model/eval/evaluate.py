"""Evaluating a model version on a split: transcripts, references, metrics overall and by slice.

Hypotheses are the model's stored suggestions; clips that have none yet are transcribed with
:func:`voxcart.model.suggest.suggest` (and stored, so the next evaluation reuses them).
References are either the clips' current human transcripts (accepted or corrected, the
default) or their gold references (``ClipReference``: imported with ``voxcart import
--as-reference``, or a demo clip's synthesized text; an augmented clip uses its source
clip's). With a comparison model both models are scored on exactly the same clips, so that the
before/after deltas compare like with like.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from voxcart.datasets.catalog.store import load_vocabulary
from voxcart.datasets.catalog.vocab import EntityVocabulary
from voxcart.datasets.store.clip_filter import ClipFilter
from voxcart.datasets.store.clip_meta import clip_meta
from voxcart.datasets.store.project import Project
from voxcart.datasets.store.references import references_by_split
from voxcart.datasets.store.schema import (
    LABEL_STATUSES,
    Clip,
    ModelVersion,
    Split,
    Suggestion,
)
from voxcart.model.backends.base import ModelSpec, create_backend
from voxcart.model.calibrate.measure import measure_confidence
from voxcart.model.calibrate.quality import ConfidenceQuality
from voxcart.model.errors import ModelError
from voxcart.model.eval.metrics import ClipScore, Metrics, aggregate, score_clip
from voxcart.model.eval.product_search import ProductSearch
from voxcart.model.eval.references import (
    REFERENCE_LABELS,
    Lineage,
    canonical_reference,
    chunks,
    gold_references,
    human_references,
    no_reference_message,
)
from voxcart.model.eval.slices import (
    DEFAULT_SLICES,
    ClipFacts,
    check_dimensions,
    group_by,
    slice_values,
)
from voxcart.model.suggest import DEFAULT_BATCH_SIZE, suggest
from voxcart.model.versions import find_model, to_spec

SPLITS: tuple[str, ...] = (*(s.value for s in Split), "heldout", "all")
"""Splits :func:`evaluate` accepts: one split, ``heldout`` (dev and test) or ``all``."""

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ClipResult:
    """One evaluated clip.

    Attributes:
        clip_id: the clip's id.
        uid: the clip's uid.
        slices: the clip's value in each slice dimension.
        score: the model's hypothesis scored against the reference.
        baseline: the comparison model's, when there is one.
    """

    clip_id: int
    uid: str
    slices: Mapping[str, str]
    score: ClipScore
    baseline: ClipScore | None = None


@dataclass(frozen=True)
class SliceMetrics:
    """Metrics of the clips sharing one value of one slice dimension."""

    dimension: str
    value: str
    metrics: Metrics
    baseline: Metrics | None = None


@dataclass(frozen=True)
class Skipped:
    """A clip of the split that is not in the evaluation, and why."""

    clip_id: int
    uid: str
    reason: str


@dataclass(frozen=True)
class EvalReport:
    """The result of :func:`evaluate`.

    Attributes:
        project_root: the evaluated project's folder.
        model: the evaluated model version's name.
        compare_to: the comparison model version's name, or None.
        split: the split evaluated (or ``all``).
        reference: ``human`` or ``gold``.
        reference_label: what the references are, in words (shown in every report).
        created_at: when the evaluation ran (UTC).
        selected: clips in the split.
        unreferenced: of those, clips without a reference (left out).
        skipped: referenced clips left out because a model has no transcript of them.
        transcribed: clips newly transcribed (and stored) per model name.
        overall: the model's metrics over the evaluated clips.
        baseline: the comparison model's metrics over the same clips.
        slices: metrics per slice dimension and value.
        clips: every evaluated clip.
        confidence: ECE and AUROC for wrong words of the model's word confidences, raw and
            calibrated (None: its suggestions have no words).
    """

    project_root: Path
    model: str
    compare_to: str | None
    split: str
    reference: str
    reference_label: str
    created_at: datetime
    selected: int
    unreferenced: int
    skipped: tuple[Skipped, ...]
    transcribed: Mapping[str, int]
    overall: Metrics
    baseline: Metrics | None
    slices: tuple[SliceMetrics, ...]
    clips: tuple[ClipResult, ...] = field(repr=False)
    confidence: ConfidenceQuality | None = None

    @property
    def dimensions(self) -> tuple[str, ...]:
        """The slice dimensions, in the order asked for."""
        return tuple(dict.fromkeys(s.dimension for s in self.slices))

    def slices_of(self, dimension: str) -> list[SliceMetrics]:
        """The slices of one dimension."""
        return [s for s in self.slices if s.dimension == dimension]


@dataclass(frozen=True)
class _Model:
    id: int
    name: str
    spec: ModelSpec


def _resolve(session: Session, name: str, project_root: Path) -> _Model:
    row = find_model(session, name)
    return _Model(row.id, row.name, to_spec(row, project_root))


@dataclass(frozen=True)
class _ClipRow:
    clip_id: int
    uid: str
    parent_id: int | None
    facts: ClipFacts


def _check_args(split: str, batch_size: int) -> None:
    if split not in SPLITS:
        raise ModelError(f"split={split!r} is unknown; use one of {', '.join(SPLITS)}")
    if not 1 <= batch_size <= 1_000:
        raise ModelError(f"batch_size={batch_size} must be between 1 and 1000")


def _members(split: str) -> tuple[Split, ...] | None:
    """The dataset splits an evaluation split covers (None: every clip)."""
    if split == "all":
        return None
    return (Split.DEV, Split.TEST) if split == "heldout" else (Split(split),)


def _split_clips(session: Session, split: str) -> list[_ClipRow]:
    query = select(
        Clip.id, Clip.uid, Clip.parent_id, Clip.speaker, Clip.tags, Clip.origin, Clip.meta
    )
    members = _members(split)
    if members is not None:
        query = query.where(Clip.split.in_(members))
    return [
        _ClipRow(
            clip_id,
            uid,
            parent,
            ClipFacts(speaker, [str(t) for t in tags or []], origin, clip_meta(meta)),
        )
        for clip_id, uid, parent, speaker, tags, origin, meta in session.execute(
            query.order_by(Clip.id)
        )
    ]


def split_references(session: Session, split: str, reference: str) -> dict[int, str]:
    """Clip id -> reference text of the split's clips that have one (see :func:`evaluate`).

    Raises:
        ModelError: an unknown split or reference.
    """
    _check_args(split, 1)
    return _references(session, _split_clips(session, split), canonical_reference(reference))


def _references(session: Session, clips: Sequence[_ClipRow], reference: str) -> dict[int, str]:
    """Clip id -> reference text of those `clips` that have one (`reference`: human or gold)."""
    if reference == "gold":
        return gold_references(
            session, [Lineage(c.clip_id, c.parent_id, c.facts.origin) for c in clips]
        )
    return human_references(session, [c.clip_id for c in clips])


def _stored_hypotheses(session: Session, model_id: int, clip_ids: Sequence[int]) -> dict[int, str]:
    rows: dict[int, str] = {}
    for chunk in chunks(clip_ids):
        rows.update(
            session.execute(
                select(Suggestion.clip_id, Suggestion.text).where(
                    Suggestion.model_version_id == model_id, Suggestion.clip_id.in_(chunk)
                )
            ).all()
        )
    return rows


def _transcribe_missing(
    project: Project,
    model: _Model,
    split: str,
    reference: str,
    missing: Sequence[int],
    batch_size: int,
    progress: Progress | None,
) -> tuple[int, dict[int, str]]:
    """Run suggest over the split's referenced clips; (clips transcribed, failure reasons)."""
    backend = create_backend(model.spec)
    backend.load()
    if reference == "gold":
        # Only the clips with a gold reference: a gold test set may be a small part of a split.
        filters = [ClipFilter(clip_ids=tuple(chunk)) for chunk in chunks(sorted(missing))]
    else:
        members = _members(split)
        parts: list[str | None] = [None] if members is None else [m.value for m in members]
        filters = [ClipFilter(split=part, status=s.value) for part in parts for s in LABEL_STATUSES]
    done, reasons = 0, {}
    for flt in filters:
        report = suggest(
            project, model.name, flt, batch_size=batch_size, progress=progress, backend=backend
        )
        done += report.suggested
        reasons.update({f.clip_id: f.reason for f in report.failures})
    return done, reasons


def _hypotheses(
    project: Project,
    model: _Model,
    referenced: Sequence[int],
    split: str,
    reference: str,
    batch_size: int,
    progress: Progress | None,
) -> tuple[dict[int, str], int, dict[int, str]]:
    with project.session() as session:
        stored = _stored_hypotheses(session, model.id, referenced)
    if len(stored) == len(referenced):
        return stored, 0, {}
    missing = [clip_id for clip_id in referenced if clip_id not in stored]
    done, reasons = _transcribe_missing(
        project, model, split, reference, missing, batch_size, progress
    )
    with project.session() as session:
        stored = _stored_hypotheses(session, model.id, referenced)
    return stored, done, reasons


def _slices(
    results: Sequence[ClipResult], dimensions: Sequence[str], compare: bool
) -> list[SliceMetrics]:
    by_id = {r.clip_id: r for r in results}
    values = {r.clip_id: r.slices for r in results}
    out: list[SliceMetrics] = []
    for dimension in dimensions:
        for value, ids in group_by(values, dimension).items():
            members = [by_id[i] for i in ids]
            out.append(
                SliceMetrics(
                    dimension,
                    value,
                    aggregate(m.score for m in members),
                    aggregate(m.baseline for m in members if m.baseline is not None)
                    if compare
                    else None,
                )
            )
    return out


def _record(project: Project, model_id: int, report: EvalReport) -> None:
    """Keep the headline numbers on the model version (``metrics["eval"]["<split>/<ref>"]``)."""
    with project.session() as session:
        row = session.get(ModelVersion, model_id)
        if row is None:
            return
        metrics: dict[str, Any] = dict(row.metrics or {})
        evals = dict(metrics.get("eval") or {})
        evals[f"{report.split}/{report.reference}"] = {
            **report.overall.to_dict(),
            "confidence": report.confidence.to_dict() if report.confidence else None,
            "evaluated_at": report.created_at.isoformat(),
            "compare_to": report.compare_to,
        }
        metrics["eval"] = evals
        row.metrics = metrics


def evaluate(
    project: Project,
    model: str,
    split: str = "test",
    *,
    reference: str = "human",
    slices: Sequence[str] = DEFAULT_SLICES,
    compare_to: str | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Progress | None = None,
) -> EvalReport:
    """Score a model version on a split against references, overall and by slice.

    Args:
        project: the open project.
        model: a model version name, or a base name for its newest version.
        split: ``train``, ``dev``, ``test``, ``heldout`` (dev and test together) or ``all``.
        reference: ``human`` (current accepted/corrected human transcripts) or ``gold`` (the
            clips' gold references: imported with ``voxcart import --as-reference``, or the
            demo's); ``hidden`` is an alias of ``gold``.
        slices: slice dimensions (see :mod:`voxcart.model.eval.slices`).
        compare_to: another model version to score on the same clips (before/after table).
        batch_size: clips transcribed together where a model has no stored suggestion yet.
        progress: called as progress(done, total) while clips are transcribed.

    Raises:
        ModelError: an argument is out of range, a model is unknown or cannot be loaded, the
            split has no clips, none of its clips has a reference (for ``gold``: the message
            says where the project's gold references are and how to import them), or none
            could be transcribed.
    """
    reference = canonical_reference(reference)
    _check_args(split, batch_size)
    dimensions = check_dimensions(slices)
    with project.session() as session:
        row = _resolve(session, model, project.root)
        base = _resolve(session, compare_to, project.root) if compare_to is not None else None
    if base is not None and base.id == row.id:
        raise ModelError(
            f"compare_to={compare_to!r} is the evaluated model {row.name!r} itself; "
            "compare with another model version"
        )
    with project.session() as session:
        clips = _split_clips(session, split)
        if not clips:
            raise ModelError(
                f"split {split!r} has no clips; assign splits with `voxcart split` or choose "
                f"another --split ({', '.join(SPLITS)})"
            )
        refs = _references(session, clips, reference)
        vocabulary: EntityVocabulary | None = load_vocabulary(session)
        search: ProductSearch | None = ProductSearch.from_session(session)
        gold_splits = references_by_split(session) if not refs and reference == "gold" else {}
    if not refs:
        raise ModelError(no_reference_message(len(clips), split, reference, gold_splits))
    vocabulary = vocabulary if vocabulary is not None and len(vocabulary) else None
    search = search if search is not None and len(search) else None
    referenced = [c.clip_id for c in clips if c.clip_id in refs]
    models = [row] if base is None else [row, base]
    hypotheses: list[dict[int, str]] = []
    transcribed: dict[str, int] = {}
    reasons: dict[int, str] = {}
    for version in models:
        found, done, why = _hypotheses(
            project, version, referenced, split, reference, batch_size, progress
        )
        hypotheses.append(found)
        transcribed[version.name] = done
        for clip_id, reason in why.items():
            reasons.setdefault(clip_id, f"{version.name}: {reason}")
    results: list[ClipResult] = []
    skipped: list[Skipped] = []
    for clip in clips:
        if clip.clip_id not in refs:
            continue
        missing = [m.name for m, h in zip(models, hypotheses, strict=True) if clip.clip_id not in h]
        if missing:
            reason = reasons.get(clip.clip_id, f"no transcript from {', '.join(missing)}")
            skipped.append(Skipped(clip.clip_id, clip.uid, reason))
            continue
        ref = refs[clip.clip_id]
        scores = [
            score_clip(ref, h[clip.clip_id], vocabulary=vocabulary, search=search)
            for h in hypotheses
        ]
        results.append(
            ClipResult(
                clip.clip_id,
                clip.uid,
                slice_values(clip.facts, scores[0].reference, dimensions, vocabulary),
                scores[0],
                scores[1] if len(scores) > 1 else None,
            )
        )
    if not results:
        raise ModelError(
            f"none of the {len(referenced)} referenced {split} clip(s) could be transcribed; "
            f"first reason: {skipped[0].reason if skipped else 'unknown'}"
        )
    with project.session() as session:
        confidence = measure_confidence(
            session, row.id, {r.clip_id: refs[r.clip_id] for r in results}, split
        )
    report = EvalReport(
        project_root=project.root,
        model=row.name,
        compare_to=base.name if base is not None else None,
        split=split,
        reference=reference,
        reference_label=REFERENCE_LABELS[reference],
        created_at=datetime.now(UTC),
        selected=len(clips),
        unreferenced=len(clips) - len(refs),
        skipped=tuple(skipped),
        transcribed=transcribed,
        overall=aggregate(r.score for r in results),
        baseline=aggregate(r.baseline for r in results if r.baseline is not None)
        if base is not None
        else None,
        slices=tuple(_slices(results, dimensions, base is not None)),
        clips=tuple(results),
        confidence=confidence,
    )
    _record(project, row.id, report)
    return report
