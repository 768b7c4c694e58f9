"""Training data from the store: human-accepted train clips, the dev split, optional pseudo-labels.

A clip is a training example when its current (newest) revision is human and accepted or
corrected, with a non-empty normalized transcript, on the train split; the dev split (speaker-
disjoint by construction of the splits) is selected the same way for validation. Pseudo-labels
(machine suggestions whose mean confidence reaches a threshold, for train clips no human has
transcribed) are added only when asked and are counted separately.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sqlalchemy import select

from voxcart.datasets.audio import load_audio
from voxcart.datasets.errors import AudioError
from voxcart.datasets.store.project import Project
from voxcart.datasets.store.revisions import counts_as_label, latest_revision_ids
from voxcart.datasets.store.schema import (
    LABEL_STATUSES,
    Clip,
    Recording,
    Revision,
    Split,
    Suggestion,
)
from voxcart.datasets.text.normalize import normalize
from voxcart.model.train.char_vocab import CharVocab
from voxcart.model.train.config import TrainingError

SAMPLE_RATE = 16_000
LABEL_PAD = -100
# Shorter audio leaves fewer encoder frames than a SpecAugment time mask is long.
MIN_SAMPLES = round(0.3 * SAMPLE_RATE)
Augment = Callable[[np.ndarray, int, int, str], np.ndarray]


@dataclass(frozen=True)
class TrainClip:
    """One example: where its audio is and the normalized text to learn.

    Attributes:
        clip_id: the clip's id.
        uid: the clip's stable uid (seeds augmentation).
        path: the recording file.
        offset_s: start of the clip in the recording.
        duration_s: clip length.
        text: the normalized transcript.
        speaker: speaker id, if known.
        pseudo: the text is a machine suggestion, not a human transcript.
    """

    clip_id: int
    uid: str
    path: Path
    offset_s: float
    duration_s: float
    text: str
    speaker: str | None
    pseudo: bool = False


@dataclass(frozen=True)
class DataStats:
    """What a run trained and validated on (stored with the model version)."""

    train_clips: int
    train_hours: float
    train_speakers: int
    dev_clips: int
    dev_hours: float
    dev_speakers: int
    pseudo_labels: int
    too_long: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-compatible values."""
        return {
            "train_clips": self.train_clips,
            "train_hours": round(self.train_hours, 4),
            "train_speakers": self.train_speakers,
            "dev_clips": self.dev_clips,
            "dev_hours": round(self.dev_hours, 4),
            "dev_speakers": self.dev_speakers,
            "pseudo_labels": self.pseudo_labels,
            "too_long": self.too_long,
        }


@dataclass(frozen=True)
class TrainData:
    """The selected examples of a run."""

    train: tuple[TrainClip, ...]
    dev: tuple[TrainClip, ...]
    stats: DataStats


def _path(project: Project, source: str) -> Path:
    path = Path(source)
    return path if path.is_absolute() else project.root / path


_CLIP_COLUMNS = (
    Clip.id,
    Clip.uid,
    Recording.source_path,
    Clip.offset_s,
    Clip.duration_s,
    Clip.speaker,
)
"""What a training clip is read from (its text comes from the revision or the suggestion)."""


def _human_clips(
    project: Project, split: Split, label_sources: Sequence[str] = ()
) -> list[TrainClip]:
    latest = latest_revision_ids()
    labelled = counts_as_label(label_sources)
    with project.session() as session:
        rows = session.execute(
            select(
                *_CLIP_COLUMNS,
                Revision.normalized,
            )
            .join(Recording, Recording.id == Clip.recording_id)
            .join(latest, latest.c.clip_id == Clip.id)
            .join(Revision, Revision.id == latest.c.revision_id)
            .where(Clip.split == split, labelled, Revision.status.in_(LABEL_STATUSES))
            .order_by(Clip.id)
        ).all()
    return [
        TrainClip(cid, uid, _path(project, src), off, dur, text.strip(), spk)
        for cid, uid, src, off, dur, spk, text in rows
        if text and text.strip()
    ]


def _pseudo_clips(project: Project, threshold: float, exclude: set[int]) -> list[TrainClip]:
    """Train clips without a human transcript, labelled by their most confident suggestion."""
    latest = latest_revision_ids()
    with project.session() as session:
        human = set(
            session.scalars(
                select(Revision.clip_id)
                .join(latest, latest.c.revision_id == Revision.id)
                .where(Revision.is_human.is_(True))
            )
        )
        rows = session.execute(
            select(
                *_CLIP_COLUMNS,
                Suggestion.text,
                Suggestion.scores,
                Suggestion.id,
            )
            .join(Recording, Recording.id == Clip.recording_id)
            .join(Suggestion, Suggestion.clip_id == Clip.id)
            .where(Clip.split == Split.TRAIN)
            .order_by(Clip.id, Suggestion.id)
        ).all()
    best: dict[int, tuple[float, TrainClip]] = {}
    for cid, uid, src, off, dur, spk, text, scores, _sid in rows:
        if cid in exclude or cid in human:
            continue
        confidence = (scores or {}).get("mean_confidence")
        if not isinstance(confidence, int | float) or confidence < threshold:
            continue
        normalized = normalize(text or "")
        if not normalized:
            continue
        clip = TrainClip(cid, uid, _path(project, src), off, dur, normalized, spk, pseudo=True)
        if cid not in best or confidence > best[cid][0]:
            best[cid] = (float(confidence), clip)
    return [best[cid][1] for cid in sorted(best)]


def select_training_data(
    project: Project,
    *,
    max_clip_seconds: float,
    pseudo_label_threshold: float | None = None,
    label_sources: Sequence[str] = (),
) -> TrainData:
    """Select the train and dev examples of a project (clips longer than the limit left out).

    Args:
        project: the open project.
        max_clip_seconds: longest clip used; longer ones are counted in ``stats.too_long``.
        pseudo_label_threshold: also use suggestions with at least this mean confidence for
            train clips that no human has transcribed; None: humans only.
        label_sources: non-human revision sources that count as labels too (the simulated
            ``oracle`` annotator of an active-learning simulation).
    """
    train = _human_clips(project, Split.TRAIN, label_sources)
    if pseudo_label_threshold is not None:
        train += _pseudo_clips(project, pseudo_label_threshold, {c.clip_id for c in train})
    dev = _human_clips(project, Split.DEV, label_sources)
    too_long = sum(1 for c in (*train, *dev) if c.duration_s > max_clip_seconds)
    train = [c for c in train if c.duration_s <= max_clip_seconds]
    dev = [c for c in dev if c.duration_s <= max_clip_seconds]
    stats = DataStats(
        train_clips=len(train),
        train_hours=sum(c.duration_s for c in train) / 3600,
        train_speakers=len({c.speaker for c in train if c.speaker}),
        dev_clips=len(dev),
        dev_hours=sum(c.duration_s for c in dev) / 3600,
        dev_speakers=len({c.speaker for c in dev if c.speaker}),
        pseudo_labels=sum(1 for c in train if c.pseudo),
        too_long=too_long,
    )
    return TrainData(tuple(train), tuple(dev), stats)


@dataclass(frozen=True)
class Encoded:
    """Texts mapped to label ids, with the count of characters the vocabulary lacked."""

    labels: tuple[tuple[int, ...], ...]
    dropped_chars: int
    empty: int


def encode_texts(clips: Sequence[TrainClip], vocab: CharVocab) -> Encoded:
    """Label ids of each clip's text (unknown characters dropped and counted)."""
    labels = []
    dropped = 0
    for clip in clips:
        encoded = vocab.encode(clip.text)
        labels.append(encoded.ids)
        dropped += encoded.dropped
    return Encoded(tuple(labels), dropped, sum(1 for ids in labels if not ids))


class ClipDataset(torch.utils.data.Dataset[dict[str, Any]]):
    """Audio and labels of a list of clips, loaded (and optionally augmented) per item.

    An item whose audio cannot be read comes back as ``{"error": ...}``; the collator drops it
    and counts it, so one bad file never stops a run.
    """

    def __init__(
        self,
        clips: Sequence[TrainClip],
        labels: Sequence[Sequence[int]],
        *,
        normalize_audio: bool = True,
        augment: Augment | None = None,
    ) -> None:
        if len(clips) != len(labels):
            raise ValueError(f"{len(clips)} clips but {len(labels)} label sequences")
        self.clips = tuple(clips)
        self.labels = tuple(tuple(ids) for ids in labels)
        self.normalize_audio = normalize_audio
        self.augment = augment
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Choose the epoch that seeds on-the-fly augmentation."""
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.clips)

    def __getitem__(self, index: int) -> dict[str, Any]:
        clip = self.clips[index]
        try:
            audio = load_audio(clip.path, clip.offset_s, clip.duration_s, SAMPLE_RATE)
        except AudioError as exc:
            return {"error": f"clip {clip.clip_id} ({clip.uid}): {exc}", "index": index}
        if audio.size < MIN_SAMPLES:
            return {"error": f"clip {clip.clip_id} ({clip.uid}): under 0.3 s of audio"}
        if self.augment is not None:
            audio = self.augment(audio, SAMPLE_RATE, self.epoch, clip.uid)
        if self.normalize_audio:
            audio = (audio - audio.mean()) / np.sqrt(audio.var() + 1e-7)
        return {
            "input_values": np.asarray(audio, dtype=np.float32),
            "labels": self.labels[index],
            "index": index,
        }


@dataclass(frozen=True)
class CtcCollator:
    """Pads a list of items into a batch: zero-padded audio, labels padded with -100."""

    attention_mask: bool = True

    def __call__(self, items: Sequence[dict[str, Any]]) -> dict[str, Any]:
        good = [item for item in items if "error" not in item]
        errors = [str(item["error"]) for item in items if "error" in item]
        batch: dict[str, Any] = {"errors": errors, "indices": [item["index"] for item in good]}
        if not good:
            return batch
        longest = max(item["input_values"].size for item in good)
        audio = torch.zeros(len(good), longest)
        mask = torch.zeros(len(good), longest, dtype=torch.long)
        label_len = max(1, max(len(item["labels"]) for item in good))
        labels = torch.full((len(good), label_len), LABEL_PAD, dtype=torch.long)
        for row, item in enumerate(good):
            values = torch.from_numpy(item["input_values"])
            audio[row, : values.numel()] = values
            mask[row, : values.numel()] = 1
            if item["labels"]:
                labels[row, : len(item["labels"])] = torch.tensor(item["labels"])
        batch["input_values"] = audio
        batch["labels"] = labels
        if self.attention_mask:
            batch["attention_mask"] = mask
        return batch


def make_augmenter(project_root: Path, preset: str | None, seed: int) -> Augment | None:
    """The on-the-fly augmentation of a run (None when `preset` is None), with the project's
    noise and impulse-response banks.

    Raises:
        TrainingError: the preset is unknown or invalid.
    """
    if preset is None:
        return None
    from voxcart.augment.bank_cache import project_banks
    from voxcart.augment.errors import AugmentError
    from voxcart.augment.online import OnTheFlyAugment

    try:
        return OnTheFlyAugment(preset, seed=seed, banks=project_banks(project_root))
    except AugmentError as exc:
        raise TrainingError(f"augment={preset!r}: {exc}") from exc
