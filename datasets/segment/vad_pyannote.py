"""pyannote.audio segmentation backend: voice activity and overlapped speech in one pass.

The model is loaded through pyannote's own `Model.from_pretrained`, from a local checkpoint
file or folder (e.g. a downloaded `pyannote/segmentation-3.0`) or, where network and token
allow, a hub id. Audio is handed over in memory as a waveform tensor, so no FFmpeg is needed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from voxcart.datasets.errors import SegmentationError
from voxcart.datasets.segment.activity import SAMPLE_RATE, SpeechActivity, SpeechRegion


def quiet_pyannote() -> None:
    """Turn pyannote's usage telemetry off unless the user chose otherwise.

    pyannote.audio 4 reports file durations to its servers by default; recordings here may be
    private, and the machine is often offline. An explicit PYANNOTE_METRICS_ENABLED wins.
    """
    os.environ.setdefault("PYANNOTE_METRICS_ENABLED", "false")


def load_pyannote_model(checkpoint: str | Path, token: str | None = None) -> Any:
    """Load a pyannote model from a checkpoint file, a folder holding `pytorch_model.bin`, or
    a hub id (needs network and usually a token).

    Raises:
        SegmentationError: the path does not exist and is not a hub id, or loading fails.
    """
    quiet_pyannote()
    from pyannote.audio import Model

    text = str(checkpoint)
    path = Path(text).expanduser()
    is_local = path.exists()
    if not is_local and (text.startswith((".", "/", "~")) or text.count("/") != 1):
        raise SegmentationError(
            f"pyannote checkpoint {text!r} does not exist; pass a checkpoint file, a folder "
            "holding pytorch_model.bin, or a hub id such as pyannote/segmentation-3.0"
        )
    try:
        model = Model.from_pretrained(str(path) if is_local else text, token=token, strict=False)
    except Exception as exc:  # pyannote/lightning raise many types for one cause: a bad file
        raise SegmentationError(f"cannot load pyannote model {text!r}: {exc}") from exc
    if model is None:
        raise SegmentationError(
            f"pyannote model {text!r} could not be downloaded; download it once with network "
            "access and an HF token, then pass the local folder"
        )
    model.eval()
    return model


def waveform_input(audio: np.ndarray, uri: str = "audio") -> dict[str, Any]:
    """The in-memory file dict pyannote pipelines accept: (channel, time) tensor at 16 kHz."""
    import torch

    samples = np.ascontiguousarray(np.asarray(audio, dtype=np.float32).reshape(1, -1))
    return {"waveform": torch.from_numpy(samples), "sample_rate": SAMPLE_RATE, "uri": uri}


def _top_two(scores: np.ndarray) -> np.ndarray:
    # Per chunk and frame: the most active speaker (speech) and the second (overlap), taken
    # before aggregation because local speaker order differs from chunk to chunk.
    ordered = np.sort(scores, axis=-1)[..., ::-1]
    if ordered.shape[-1] == 1:
        ordered = np.concatenate([ordered, np.zeros_like(ordered)], axis=-1)
    return np.ascontiguousarray(ordered[..., :2])


@dataclass
class PyannoteVad:
    """Voice activity and overlapped speech from a pyannote segmentation model.

    Attributes:
        checkpoint: local checkpoint file or folder, or hub id.
        threshold: activation threshold for speech and overlap.
        step_ratio: window step as a fraction of the model's window (smaller is slower and
            smoother).
        token: Hugging Face token, only for hub ids.
    """

    checkpoint: str
    threshold: float = 0.5
    step_ratio: float = 0.1
    token: str | None = None
    name: str = "pyannote"
    _inference: Any = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if not 0.0 < self.step_ratio <= 1.0:
            raise SegmentationError(f"step_ratio={self.step_ratio!r} must be in (0, 1]")

    def _load(self) -> Any:
        if self._inference is None:
            from pyannote.audio import Inference

            model = load_pyannote_model(self.checkpoint, self.token)
            duration = model.specifications.duration
            self._inference = Inference(
                model,
                duration=duration,
                step=self.step_ratio * duration,
                pre_aggregation_hook=_top_two,
            )
        return self._inference

    def detect(self, audio: np.ndarray, sample_rate: int = SAMPLE_RATE) -> SpeechActivity:
        """Speech and overlapped-speech regions of mono float32 audio at 16 kHz.

        Raises:
            SegmentationError: wrong rate, or the model cannot be loaded.
        """
        if sample_rate != SAMPLE_RATE:
            raise SegmentationError(
                f"pyannote segmentation is run at {SAMPLE_RATE} Hz, got {sample_rate}"
            )
        samples = np.asarray(audio, dtype=np.float32).reshape(-1)
        params = {
            "checkpoint": str(self.checkpoint),
            "threshold": self.threshold,
            "step_ratio": self.step_ratio,
        }
        if samples.size == 0:
            return SpeechActivity(speech=(), backend=self.name, params=params)
        scores = self._load()(waveform_input(samples))
        frames = scores.sliding_window
        data = np.nan_to_num(np.asarray(scores.data, dtype=np.float32))
        duration = samples.size / SAMPLE_RATE
        speech = _regions(data[:, 0], frames, self.threshold, duration)
        overlap = _regions(data[:, 1], frames, self.threshold, duration)
        return SpeechActivity(speech=speech, overlap=overlap, backend=self.name, params=params)


def _regions(
    activation: np.ndarray, frames: Any, threshold: float, duration: float
) -> tuple[SpeechRegion, ...]:
    active = np.concatenate([[False], activation > threshold, [False]])
    edges = np.flatnonzero(np.diff(active.astype(np.int8)))
    regions = []
    for start, end in zip(edges[::2], edges[1::2], strict=True):
        half = frames.step / 2
        begin = frames[int(start)].middle - half
        finish = frames[int(end) - 1].middle + half
        regions.append(SpeechRegion(round(max(0.0, begin), 3), round(min(finish, duration), 3)))
    return tuple(r for r in regions if r.end_s > r.start_s)
