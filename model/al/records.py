"""Typed records of an active-learning round: what ``al_rounds.params`` and ``.metrics`` hold.

The two JSON columns are read with ``from_dict`` and written with ``to_dict`` here and nowhere
else, so that no module reaches into them by string keys. ``from_dict`` accepts rows written by
older versions (a missing key takes its default; a round trained before per-split evaluation
kept its dev result under ``"dev"``). :class:`RoundView` is the one read-only view of a round
that the CLI (``voxcart al status``) and the app's rounds page show.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _float(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _str(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


@dataclass(frozen=True)
class Selection:
    """The clips a round picked, stored before any is queued so a rerun finishes, not repeats.

    Attributes:
        clip_ids: the picked clips, in pick order.
        scores: their scores (the queue priorities).
        seconds: their total audio time.
        candidates: how many clips could have been picked.
    """

    clip_ids: tuple[int, ...]
    scores: tuple[float, ...]
    seconds: float
    candidates: int = 0

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Selection:
        """Read the stored form."""
        return cls(
            clip_ids=tuple(int(c) for c in data.get("clip_ids", ())),
            scores=tuple(float(s) for s in data.get("scores", ())),
            seconds=float(data.get("seconds", 0.0)),
            candidates=int(data.get("candidates", 0)),
        )

    def to_dict(self) -> dict[str, Any]:
        """The stored (JSON) form."""
        return {
            "clip_ids": list(self.clip_ids),
            "scores": list(self.scores),
            "seconds": self.seconds,
            "candidates": self.candidates,
        }


@dataclass(frozen=True)
class RoundParams:
    """How a round selects: the ``al_rounds.params`` column.

    Attributes:
        model: the model version whose suggestions are scored.
        model_id: its ``model_versions`` id.
        strategy: the strategy as given (a scorer name or a preset such as ``hybrid``).
        scorer: the scorer the strategy stands for.
        diversity: the diversity rule.
        budget: the budget as given (``"30m"``).
        budget_clips: the budget in clips, or None.
        budget_seconds: the budget in seconds of audio, or None.
        cost_aware: rank by score per second of audio.
        seed: breaks ties (and seeds the ``random`` scorer).
        max_per_speaker: at most this many clips of one speaker, or None.
        selection: the picked clips once chosen, None before.
    """

    model: str
    model_id: int
    strategy: str
    scorer: str
    diversity: str
    budget: str
    budget_clips: int | None = None
    budget_seconds: float | None = None
    cost_aware: bool = False
    seed: int = 0
    max_per_speaker: int | None = None
    selection: Selection | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> RoundParams:
        """Read the stored form (an empty or missing column gives empty values)."""
        data = data or {}
        strategy = str(data.get("strategy", ""))
        selection = data.get("selection")
        return cls(
            model=str(data.get("model", "")),
            model_id=_int(data.get("model_id")) or -1,
            strategy=strategy,
            scorer=str(data.get("scorer", strategy)),
            diversity=str(data.get("diversity", "none")),
            budget=str(data.get("budget", "")),
            budget_clips=_int(data.get("budget_clips")),
            budget_seconds=_float(data.get("budget_seconds")),
            cost_aware=bool(data.get("cost_aware", False)),
            seed=_int(data.get("seed")) or 0,
            max_per_speaker=_int(data.get("max_per_speaker")),
            selection=Selection.from_dict(selection) if isinstance(selection, Mapping) else None,
        )

    def to_dict(self) -> dict[str, Any]:
        """The stored (JSON) form."""
        out: dict[str, Any] = {
            "model": self.model,
            "model_id": self.model_id,
            "strategy": self.strategy,
            "scorer": self.scorer,
            "diversity": self.diversity,
            "budget": self.budget,
            "budget_clips": self.budget_clips,
            "budget_seconds": self.budget_seconds,
            "cost_aware": self.cost_aware,
            "seed": self.seed,
            "max_per_speaker": self.max_per_speaker,
        }
        if self.selection is not None:
            out["selection"] = self.selection.to_dict()
        return out


@dataclass(frozen=True)
class SplitEval:
    """A round's new model measured on one split (compared with the model it started from).

    Attributes:
        reference: ``human`` or ``gold`` references.
        wer: its WER, or None where it was not evaluated.
        note: why it was not evaluated, or None.
        clips: clips scored.
        unreferenced: clips of the split without a reference.
        cer: its CER.
        entity_error: its catalog-entity error rate.
        search_top1: its product-search success at 1.
        compare_to: the model it is compared with, or None.
        baseline_wer: that model's WER on the same clips.
        baseline_entity_error: that model's entity error rate.
    """

    reference: str
    wer: float | None
    note: str | None = None
    clips: int | None = None
    unreferenced: int | None = None
    cer: float | None = None
    entity_error: float | None = None
    search_top1: float | None = None
    compare_to: str | None = None
    baseline_wer: float | None = None
    baseline_entity_error: float | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SplitEval:
        """Read the stored form."""
        return cls(
            reference=str(data.get("reference", "")),
            wer=_float(data.get("wer")),
            note=_str(data.get("note")),
            clips=_int(data.get("clips")),
            unreferenced=_int(data.get("unreferenced")),
            cer=_float(data.get("cer")),
            entity_error=_float(data.get("entity_error")),
            search_top1=_float(data.get("search_top1")),
            compare_to=_str(data.get("compare_to")),
            baseline_wer=_float(data.get("baseline_wer")),
            baseline_entity_error=_float(data.get("baseline_entity_error")),
        )

    def to_dict(self) -> dict[str, Any]:
        """The stored (JSON) form."""
        return {
            "reference": self.reference,
            "clips": self.clips,
            "unreferenced": self.unreferenced,
            "wer": self.wer,
            "cer": self.cer,
            "entity_error": self.entity_error,
            "search_top1": self.search_top1,
            "compare_to": self.compare_to,
            "baseline_wer": self.baseline_wer,
            "baseline_entity_error": self.baseline_entity_error,
            "note": self.note,
        }


@dataclass(frozen=True)
class PseudoLabelUse:
    """The confident suggestions a round's model also learned from.

    Attributes:
        min_confidence: the confidence threshold.
        clips: clips used.
        seconds: their audio time (None where not recorded: ctc rounds).
        clip_ids: their ids (empty where not recorded: ctc rounds).
    """

    min_confidence: float
    clips: int
    seconds: float | None = None
    clip_ids: tuple[int, ...] = ()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PseudoLabelUse:
        """Read the stored form."""
        return cls(
            min_confidence=float(data.get("min_confidence", 0.0)),
            clips=int(data.get("clips", 0)),
            seconds=_float(data.get("seconds")),
            clip_ids=tuple(int(c) for c in data.get("clip_ids", ())),
        )

    def to_dict(self) -> dict[str, Any]:
        """The stored (JSON) form."""
        out: dict[str, Any] = {"min_confidence": self.min_confidence, "clips": self.clips}
        if self.seconds is not None:
            out.update(seconds=self.seconds, clip_ids=list(self.clip_ids))
        return out


@dataclass(frozen=True)
class AcousticRound:
    """A round's acoustic adaptation (sphinx MAP/MLLR): kept only if it beat the LM-only model.

    Attributes:
        method: ``map`` or ``mllr``.
        model: the adapted model version.
        kept: whether the round uses it (its dev WER beat the LM-only model's).
        used: utterances adapted on.
        skipped: utterances the aligner could not use.
        seconds: the adaptation's wall time per step (``bw``, ``map_adapt``, ...).
        dev_wer_before: the LM-only model's dev WER.
        dev_wer_after: the adapted model's dev WER.
        reason: why it was kept or not.
    """

    method: str
    model: str
    kept: bool
    used: int | None = None
    skipped: int | None = None
    seconds: Mapping[str, float] = field(default_factory=dict)
    dev_wer_before: float | None = None
    dev_wer_after: float | None = None
    reason: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AcousticRound:
        """Read the stored form."""
        return cls(
            method=str(data.get("method", "")),
            model=str(data.get("model", "")),
            kept=bool(data.get("kept")),
            used=_int(data.get("used")),
            skipped=_int(data.get("skipped")),
            seconds=(
                {str(k): float(v) for k, v in data["seconds"].items()}
                if isinstance(data.get("seconds"), Mapping)
                else {}
            ),
            dev_wer_before=_float(data.get("dev_wer_before")),
            dev_wer_after=_float(data.get("dev_wer_after")),
            reason=_str(data.get("reason")),
        )

    def to_dict(self) -> dict[str, Any]:
        """The stored (JSON) form."""
        out = dataclasses.asdict(self)
        out["seconds"] = dict(self.seconds)
        return out


@dataclass(frozen=True)
class RoundMetrics:
    """What a round did: the ``al_rounds.metrics`` column (selection counts, then training).

    Attributes:
        selected_clips: clips selected (None before the selection is queued).
        selected_seconds: their audio time.
        candidates: clips that could have been selected.
        model: the model version the round produced (None before training).
        model_created: False when training reused an existing version.
        accepted_transcripts: labelled transcripts the model learned from.
        clips_labelled: the round's annotation tasks done when it was trained.
        labelled_clips_total: labelled clips in the project then.
        labelled_seconds_total: their audio time.
        suggested: suggestions made by the new model (``dev``, ``unlabeled``).
        pool_sample: the unlabelled clips it re-suggested (0 none, None all).
        pseudo_labels: the pseudo-labels it learned from, or None.
        evaluations: its measurements per split.
        acoustic: its acoustic adaptation, where the round adapted (``--adapt``).
    """

    selected_clips: int | None = None
    selected_seconds: float | None = None
    candidates: int | None = None
    model: str | None = None
    model_created: bool | None = None
    accepted_transcripts: int | None = None
    clips_labelled: int | None = None
    labelled_clips_total: int | None = None
    labelled_seconds_total: float | None = None
    suggested: Mapping[str, int] = field(default_factory=dict)
    pool_sample: int | None = None
    pseudo_labels: PseudoLabelUse | None = None
    evaluations: Mapping[str, SplitEval] = field(default_factory=dict)
    acoustic: AcousticRound | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> RoundMetrics:
        """Read the stored form (an empty or missing column gives an untrained round)."""
        data = data or {}
        stored = data.get("eval")
        evaluations = {
            str(split): SplitEval.from_dict(found)
            for split, found in (stored.items() if isinstance(stored, Mapping) else ())
            if isinstance(found, Mapping)
        }
        legacy_dev = data.get("dev")  # rounds trained before per-split evaluation
        if "dev" not in evaluations and isinstance(legacy_dev, Mapping):
            evaluations["dev"] = SplitEval.from_dict(legacy_dev)
        pseudo = data.get("pseudo_labels")
        suggested = data.get("suggested")
        created = data.get("model_created")
        return cls(
            selected_clips=_int(data.get("selected_clips")),
            selected_seconds=_float(data.get("selected_seconds")),
            candidates=_int(data.get("candidates")),
            model=_str(data.get("model")),
            model_created=bool(created) if created is not None else None,
            accepted_transcripts=_int(data.get("accepted_transcripts")),
            clips_labelled=_int(data.get("clips_labelled")),
            labelled_clips_total=_int(data.get("labelled_clips_total")),
            labelled_seconds_total=_float(data.get("labelled_seconds_total")),
            suggested=(
                {str(k): int(v) for k, v in suggested.items()}
                if isinstance(suggested, Mapping)
                else {}
            ),
            pool_sample=_int(data.get("pool_sample")),
            pseudo_labels=PseudoLabelUse.from_dict(pseudo) if isinstance(pseudo, Mapping) else None,
            evaluations=evaluations,
            acoustic=(
                AcousticRound.from_dict(data["acoustic"])
                if isinstance(data.get("acoustic"), Mapping)
                else None
            ),
        )

    def to_dict(self) -> dict[str, Any]:
        """The stored (JSON) form; keys without a value yet are left out."""
        out: dict[str, Any] = {
            "selected_clips": self.selected_clips,
            "selected_seconds": self.selected_seconds,
            "candidates": self.candidates,
            "model": self.model,
            "model_created": self.model_created,
            "accepted_transcripts": self.accepted_transcripts,
            "clips_labelled": self.clips_labelled,
            "labelled_clips_total": self.labelled_clips_total,
            "labelled_seconds_total": self.labelled_seconds_total,
            "suggested": dict(self.suggested) or None,
            "pool_sample": self.pool_sample,
            "pseudo_labels": self.pseudo_labels.to_dict() if self.pseudo_labels else None,
            "eval": {k: v.to_dict() for k, v in self.evaluations.items()} or None,
            "acoustic": self.acoustic.to_dict() if self.acoustic else None,
        }
        return {key: value for key, value in out.items() if value is not None}

    def evaluation(self, split: str) -> SplitEval | None:
        """The measurement on `split`, or None where there is none."""
        return self.evaluations.get(split)


@dataclass(frozen=True)
class RoundView:
    """One active-learning round as ``voxcart al status`` and the rounds page show it.

    Attributes:
        id: the round's ``al_rounds`` id.
        number: the round's number.
        strategy: the scorer that ranked its clips.
        budget: its budget as given.
        status: one of :data:`voxcart.model.al.rounds.ROUND_STATUSES`.
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
        metrics: everything the round stored.
        created_at: when the round was started.
    """

    id: int
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
    metrics: RoundMetrics = field(default_factory=RoundMetrics)
    created_at: datetime | None = None

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
