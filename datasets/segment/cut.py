"""Cutting long recordings into query clips: detected speech becomes clip boundaries.

Every voice-activity backend (silero-vad, energy threshold, pyannote segmentation) reports raw
speech regions; the policy that turns them into clips lives here, the same for all of them:
short pauses are merged, over-long speech is split at its quietest point, clips are padded
without running into their neighbours, and what stays too short is dropped. Clips are offsets
into the recording; no audio is re-encoded.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from voxcart.datasets.errors import SegmentationError
from voxcart.datasets.segment.activity import (
    ENERGY_HOP_S,
    SAMPLE_RATE,
    SpeechActivity,
    SpeechRegion,
    VoiceActivityDetector,
    frame_energy_db,
)

METHODS = ("vad", "energy", "pyannote")
"""`vad` is silero-vad, `energy` the energy-threshold baseline, `pyannote` a segmentation model."""

_QUIET_SMOOTH_S = 0.1


@dataclass(frozen=True)
class SegmentConfig:
    """How detected speech becomes clips.

    Attributes:
        method: voice-activity backend, one of :data:`METHODS`.
        threshold: speech-probability threshold for `vad` and `pyannote` (0-1).
        energy_margin_db: for `energy`, how far above the estimated noise floor a frame must be.
        min_clip_s: speech shorter than this (after merging) is dropped as a click or cough.
        max_clip_s: no clip is longer than this (padding included); longer speech is split at
            its quietest point.
        pad_s: silence kept before and after the speech of each clip (never past the midpoint
            of the pause to the next clip, never outside the recording).
        merge_gap_s: pauses shorter than this inside speech do not end a clip.
        min_overlap_s: a clip with at least this much overlapped speech is tagged `overlap`.
    """

    method: str = "vad"
    threshold: float = 0.5
    energy_margin_db: float = 12.0
    min_clip_s: float = 0.4
    max_clip_s: float = 15.0
    pad_s: float = 0.2
    merge_gap_s: float = 0.35
    min_overlap_s: float = 0.2

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise SegmentationError(
                f"method={self.method!r} is not a segmentation method; use one of {METHODS}"
            )
        if not 0.0 < self.threshold < 1.0:
            raise SegmentationError(f"threshold={self.threshold!r} must be between 0 and 1")
        for name in ("min_clip_s", "pad_s", "merge_gap_s", "min_overlap_s", "energy_margin_db"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                raise SegmentationError(f"{name}={value!r} must be a non-negative number")
        if not math.isfinite(self.max_clip_s) or self.max_clip_s <= 0:
            raise SegmentationError(f"max_clip_s={self.max_clip_s!r} must be a positive number")
        needed = 2 * self.min_clip_s + 2 * self.pad_s
        if self.max_clip_s < needed:
            raise SegmentationError(
                f"max_clip_s={self.max_clip_s} is too short to split speech into two clips of "
                f"min_clip_s={self.min_clip_s} with pad_s={self.pad_s}; "
                f"use max_clip_s >= {needed:.2f} or lower min_clip_s/pad_s"
            )

    def as_params(self) -> dict[str, Any]:
        """The config as plain values, for lineage."""
        return {
            "method": self.method,
            "threshold": self.threshold,
            "energy_margin_db": self.energy_margin_db,
            "min_clip_s": self.min_clip_s,
            "max_clip_s": self.max_clip_s,
            "pad_s": self.pad_s,
            "merge_gap_s": self.merge_gap_s,
            "min_overlap_s": self.min_overlap_s,
        }


@dataclass(frozen=True)
class ClipSpan:
    """One clip to create: its boundaries in the recording and what is known about it.

    Attributes:
        offset_s: clip start (speech start minus padding).
        duration_s: clip length (padding included).
        speech_start_s: where detected speech starts.
        speech_end_s: where detected speech ends.
        speaker: speaker label from diarization, None when not diarized.
        overlap_s: seconds of overlapped speech inside the clip.
        speakers: seconds of speech per speaker inside the clip (diarized clips only).
    """

    offset_s: float
    duration_s: float
    speech_start_s: float
    speech_end_s: float
    speaker: str | None = None
    overlap_s: float = 0.0
    speakers: Mapping[str, float] = field(default_factory=dict)

    @property
    def end_s(self) -> float:
        """Clip end in the recording."""
        return self.offset_s + self.duration_s


def merge_regions(regions: Sequence[SpeechRegion], gap_s: float) -> list[SpeechRegion]:
    """Sort regions and join those separated by at most `gap_s` (and overlapping ones)."""
    merged: list[SpeechRegion] = []
    for region in sorted(regions, key=lambda r: (r.start_s, r.end_s)):
        if region.end_s <= region.start_s:
            continue
        if merged and region.start_s - merged[-1].end_s <= gap_s:
            last = merged[-1]
            merged[-1] = replace(last, end_s=max(last.end_s, region.end_s))
        else:
            merged.append(region)
    return merged


def _quietest_point(start_s: float, end_s: float, energy_db: np.ndarray | None) -> float:
    if energy_db is None or energy_db.size == 0:
        return (start_s + end_s) / 2
    lo = max(0, math.ceil(start_s / ENERGY_HOP_S))
    hi = min(energy_db.size, math.floor(end_s / ENERGY_HOP_S) + 1)
    if hi <= lo:
        return (start_s + end_s) / 2
    width = max(1, round(_QUIET_SMOOTH_S / ENERGY_HOP_S))
    smooth = np.convolve(energy_db, np.ones(width) / width, mode="same")[lo:hi]
    # Among equally quiet frames, the one nearest the middle gives the most balanced pieces.
    middle = (hi - lo - 1) / 2
    order = np.lexsort((np.abs(np.arange(hi - lo) - middle), np.round(smooth, 1)))
    return (lo + int(order[0])) * ENERGY_HOP_S


def split_long(
    region: SpeechRegion, max_s: float, min_s: float, energy_db: np.ndarray | None
) -> list[SpeechRegion]:
    """Split `region` at its quietest points until no piece is longer than `max_s`.

    Each cut leaves at least `min_s` on both sides, so no piece falls below the minimum.
    """
    if region.duration_s <= max_s:
        return [region]
    margin = max(min_s, 1e-3)
    cut = _quietest_point(region.start_s + margin, region.end_s - margin, energy_db)
    left = replace(region, end_s=cut)
    right = replace(region, start_s=cut)
    return split_long(left, max_s, min_s, energy_db) + split_long(right, max_s, min_s, energy_db)


def build_clips(
    speech: Sequence[SpeechRegion],
    duration_s: float,
    config: SegmentConfig,
    energy_db: np.ndarray | None = None,
) -> list[ClipSpan]:
    """Turn raw speech regions into clip boundaries.

    Args:
        speech: detected speech, in any order.
        duration_s: length of the recording (clips never extend past it).
        config: merging, splitting, padding and minimum-length policy.
        energy_db: :func:`frame_energy_db` of the recording, used to split over-long speech at
            its quietest point; None splits in the middle.

    Returns:
        Clips sorted by offset, not overlapping.
    """
    clamped = [
        replace(r, start_s=max(0.0, r.start_s), end_s=min(duration_s, r.end_s)) for r in speech
    ]
    merged = merge_regions(clamped, config.merge_gap_s)
    max_speech = config.max_clip_s - 2 * config.pad_s
    pieces = [p for r in merged for p in split_long(r, max_speech, config.min_clip_s, energy_db)]
    kept = [p for p in pieces if p.duration_s >= config.min_clip_s]
    clips: list[ClipSpan] = []
    for i, piece in enumerate(kept):
        lower = 0.0 if i == 0 else (kept[i - 1].end_s + piece.start_s) / 2
        upper = duration_s if i == len(kept) - 1 else (piece.end_s + kept[i + 1].start_s) / 2
        start = round(max(lower, piece.start_s - config.pad_s), 3)
        end = round(min(upper, piece.end_s + config.pad_s), 3)
        clips.append(
            ClipSpan(
                offset_s=start,
                duration_s=round(end - start, 3),
                speech_start_s=round(piece.start_s, 3),
                speech_end_s=round(piece.end_s, 3),
            )
        )
    return clips


def _intersection(a0: float, a1: float, regions: Sequence[SpeechRegion]) -> float:
    return sum(max(0.0, min(a1, r.end_s) - max(a0, r.start_s)) for r in regions)


def overlapping_turns(turns: Sequence[SpeechRegion]) -> list[SpeechRegion]:
    """Spans where turns of two different speakers overlap (from a diarization)."""
    found: list[SpeechRegion] = []
    ordered = sorted(turns, key=lambda r: r.start_s)
    for i, first in enumerate(ordered):
        for second in ordered[i + 1 :]:
            if second.start_s >= first.end_s:
                break
            if second.speaker != first.speaker:
                found.append(
                    SpeechRegion(second.start_s, min(first.end_s, second.end_s), speaker=None)
                )
    return merge_regions(found, 0.0)


def label_clips(
    clips: Sequence[ClipSpan],
    overlap: Sequence[SpeechRegion] = (),
    turns: Sequence[SpeechRegion] | None = None,
) -> list[ClipSpan]:
    """Attach overlapped-speech time and, from a diarization, the speaker of each clip.

    A clip's speaker is the one who speaks longest inside its speech span; clips where the
    diarization found nobody keep no speaker.

    Args:
        clips: clips from :func:`build_clips`.
        overlap: overlapped-speech regions from the voice-activity backend.
        turns: speaker turns (regions with `speaker` set), or None when not diarized.
    """
    all_overlap = list(overlap)
    if turns:
        all_overlap = merge_regions([*all_overlap, *overlapping_turns(turns)], 0.0)
    labelled: list[ClipSpan] = []
    for clip in clips:
        overlap_s = _intersection(clip.speech_start_s, clip.speech_end_s, all_overlap)
        speakers: dict[str, float] = {}
        for turn in turns or ():
            if turn.speaker is None:
                continue
            seconds = _intersection(clip.speech_start_s, clip.speech_end_s, [turn])
            if seconds > 0:
                speakers[turn.speaker] = round(speakers.get(turn.speaker, 0.0) + seconds, 3)
        speaker = max(sorted(speakers), key=lambda s: speakers[s]) if speakers else None
        labelled.append(
            replace(clip, overlap_s=round(overlap_s, 3), speakers=speakers, speaker=speaker)
        )
    return labelled


def make_detector(config: SegmentConfig, segmentation: str | None = None) -> VoiceActivityDetector:
    """The backend `config.method` names, not yet loaded (models load on first use).

    Args:
        config: segmentation config.
        segmentation: for `pyannote`, a local checkpoint file or folder (or a hub id).

    Raises:
        SegmentationError: `pyannote` is asked for without a segmentation checkpoint.
    """
    if config.method == "energy":
        from voxcart.datasets.segment.vad_energy import EnergyVad

        return EnergyVad(margin_db=config.energy_margin_db)
    if config.method == "vad":
        from voxcart.datasets.segment.vad_silero import SileroVad

        return SileroVad(threshold=config.threshold)
    if not segmentation:
        raise SegmentationError(
            "method='pyannote' needs a segmentation model: pass --segmentation PATH (a "
            "pyannote checkpoint file or folder, e.g. a downloaded segmentation-3.0)"
        )
    from voxcart.datasets.segment.vad_pyannote import PyannoteVad

    return PyannoteVad(checkpoint=segmentation, threshold=config.threshold)


def segment_audio(
    audio: np.ndarray,
    config: SegmentConfig,
    detector: VoiceActivityDetector,
    turns: Sequence[SpeechRegion] | None = None,
) -> tuple[list[ClipSpan], SpeechActivity]:
    """Detect speech in mono 16 kHz audio and return its clips (labelled) and the raw activity.

    Args:
        audio: mono float32 samples at :data:`SAMPLE_RATE`.
        config: clip policy.
        detector: the voice-activity backend.
        turns: speaker turns of the same audio, to label clips with speakers.
    """
    samples = np.asarray(audio, dtype=np.float32).reshape(-1)
    activity = detector.detect(samples, SAMPLE_RATE)
    duration = samples.size / SAMPLE_RATE
    clips = build_clips(activity.speech, duration, config, frame_energy_db(samples))
    return label_clips(clips, activity.overlap, turns), activity
