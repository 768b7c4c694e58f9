"""Speaker diarization with pyannote.audio: who speaks when, as speaker turns per recording.

The pipeline's three parts (segmentation model, speaker-embedding model, PLDA) are given
explicitly as local paths, so it runs offline from files downloaded once (e.g. the folders of
`pyannote/speaker-diarization-community-1`). Labels are scoped to their recording
("<recording key>:SPEAKER_00") unless a mapping to known speakers is supplied.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from voxcart.datasets.errors import SegmentationError
from voxcart.datasets.segment.activity import SAMPLE_RATE, SpeechRegion
from voxcart.datasets.segment.vad_pyannote import (
    load_pyannote_model,
    quiet_pyannote,
    waveform_input,
)

PLDA_FILES = ("xvec_transform.npz", "plda.npz")
"""What a PLDA folder holds (pyannote.audio.core.plda.PLDA.from_pretrained)."""


@dataclass(frozen=True)
class DiarizationConfig:
    """Where the diarization models are and how the pipeline runs.

    Attributes:
        segmentation: segmentation checkpoint (file, or folder with `pytorch_model.bin`).
        embedding: speaker-embedding checkpoint (file or folder).
        plda: folder holding `xvec_transform.npz` and `plda.npz`.
        num_speakers: exact number of speakers per recording, when known.
        min_speakers: lower bound on speakers per recording.
        max_speakers: upper bound on speakers per recording.
        segmentation_step: window step as a fraction of the segmentation window (pyannote's
            default 0.1; larger is faster and coarser).
        token: Hugging Face token, only when a path is a hub id.
    """

    segmentation: str
    embedding: str
    plda: str
    num_speakers: int | None = None
    min_speakers: int | None = None
    max_speakers: int | None = None
    segmentation_step: float = 0.1
    token: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        for name in ("segmentation", "embedding", "plda"):
            if not str(getattr(self, name)).strip():
                raise SegmentationError(
                    f"diarization needs --{name} PATH (a local pyannote {name} checkpoint)"
                )
        plda = Path(self.plda).expanduser()
        if plda.is_dir():
            missing = [name for name in PLDA_FILES if not (plda / name).is_file()]
            if missing:
                raise SegmentationError(
                    f"plda={self.plda!r} lacks {', '.join(missing)}; a PLDA folder holds "
                    f"{' and '.join(PLDA_FILES)} (the 'plda' folder of a downloaded pipeline)"
                )
        for name in ("num_speakers", "min_speakers", "max_speakers"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise SegmentationError(f"{name}={value!r} must be at least 1")
        if not 0.0 < self.segmentation_step <= 1.0:
            raise SegmentationError(
                f"segmentation_step={self.segmentation_step!r} must be in (0, 1]"
            )

    def as_params(self) -> dict[str, Any]:
        """The config for lineage (no token)."""
        return {
            "segmentation": str(self.segmentation),
            "embedding": str(self.embedding),
            "plda": str(self.plda),
            "num_speakers": self.num_speakers,
            "min_speakers": self.min_speakers,
            "max_speakers": self.max_speakers,
            "segmentation_step": self.segmentation_step,
        }


def build_pipeline(config: DiarizationConfig) -> Any:
    """Instantiate pyannote's SpeakerDiarization from the configured local parts.

    Raises:
        SegmentationError: a part is missing or cannot be loaded.
    """
    quiet_pyannote()
    from pyannote.audio.pipelines import SpeakerDiarization

    segmentation = load_pyannote_model(config.segmentation, config.token)
    # Handing pyannote loaded models (not names) loads each once, and avoids its name-based
    # routing: a local path containing "wespeaker" would otherwise be sent to its ONNX loader.
    embedding = load_pyannote_model(config.embedding, config.token)
    plda_path = Path(config.plda).expanduser()
    try:
        pipeline = SpeakerDiarization(
            segmentation=segmentation,
            segmentation_step=config.segmentation_step,
            embedding=embedding,
            plda=str(plda_path) if plda_path.exists() else config.plda,
            token=config.token,
        )
        pipeline.instantiate(pipeline.default_parameters())
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        raise SegmentationError(f"cannot build the diarization pipeline: {exc}") from exc
    return pipeline


@dataclass
class Diarizer:
    """A loaded diarization pipeline (loads on first use, then reused across recordings)."""

    config: DiarizationConfig
    _pipeline: Any = field(default=None, repr=False)

    def diarize(self, audio: np.ndarray | str | Path) -> list[SpeechRegion]:
        """Speaker turns of a recording, labelled SPEAKER_00, SPEAKER_01, ... (local labels).

        Args:
            audio: mono float32 samples at 16 kHz, or the path of an audio file (read with
                voxcart's loader, not pyannote's, so that no FFmpeg is needed).
        """
        if isinstance(audio, str | Path):
            from voxcart.datasets.audio import load_audio

            audio = load_audio(audio, sr=SAMPLE_RATE)
        samples = np.asarray(audio, dtype=np.float32).reshape(-1)
        if samples.size == 0:
            return []
        if self._pipeline is None:
            self._pipeline = build_pipeline(self.config)
        output = self._pipeline(
            waveform_input(samples),
            num_speakers=self.config.num_speakers,
            min_speakers=self.config.min_speakers,
            max_speakers=self.config.max_speakers,
        )
        annotation = getattr(output, "speaker_diarization", output)
        # pyannote pads the last window, so turns can run past the end of the audio.
        duration = samples.size / SAMPLE_RATE
        turns = [
            SpeechRegion(round(turn.start, 3), round(min(turn.end, duration), 3), str(label))
            for turn, _, label in annotation.itertracks(yield_label=True)
            if turn.start < duration
        ]
        return sorted(turns, key=lambda t: (t.start_s, t.end_s, t.speaker or ""))


def scope_speakers(
    turns: Sequence[SpeechRegion], recording_key: str, mapping: Mapping[str, str] | None = None
) -> list[SpeechRegion]:
    """Relabel local speakers as "<recording_key>:SPEAKER_00", or as known speakers.

    `mapping` keys are scoped labels ("<recording_key>:SPEAKER_00") and values the known
    speaker ids; unmapped labels stay scoped to their recording.
    """
    known = mapping or {}
    relabelled = []
    for turn in turns:
        scoped = f"{recording_key}:{turn.speaker}"
        relabelled.append(SpeechRegion(turn.start_s, turn.end_s, known.get(scoped, scoped)))
    return relabelled


def load_speaker_map(path: str | Path) -> dict[str, str]:
    """Read a JSON object mapping scoped labels to known speaker ids.

    Raises:
        SegmentationError: the file is missing, not UTF-8 JSON, or not an object of strings.
    """
    source = Path(path).expanduser()
    try:
        data = json.loads(source.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SegmentationError(f"speaker map {source}: cannot read it as JSON ({exc})") from exc
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in data.items()
    ):
        raise SegmentationError(
            f"speaker map {source} must be a JSON object of strings, e.g. "
            '{"<recording key>:SPEAKER_00": "alice"}'
        )
    return {k: v.strip()[:128] for k, v in data.items()}
