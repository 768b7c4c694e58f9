"""silero-vad backend: a small neural voice-activity model shipped inside the `silero-vad` wheel.

Runs on in-memory 16 kHz tensors (never torchaudio file loading) and returns raw speech regions;
the clip policy (merging, padding, splitting) is applied afterwards in
:mod:`voxcart.datasets.segment.cut`, the same as for every backend.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from voxcart.datasets.errors import SegmentationError
from voxcart.datasets.segment.activity import SAMPLE_RATE, SpeechActivity, SpeechRegion


def load_silero_model() -> Any:
    """Load the silero-vad TorchScript model bundled with the wheel (no download).

    Importing `silero_vad` sets torch to one thread as a side effect; the previous setting is
    restored so that other models in the same process keep theirs.

    Raises:
        SegmentationError: the `silero-vad` package (or torch) is not installed.
    """
    try:
        import torch
    except ModuleNotFoundError as exc:
        raise SegmentationError(
            "method 'vad' needs torch and silero-vad; install them or use --method energy"
        ) from exc
    threads = torch.get_num_threads()
    try:
        from silero_vad import load_silero_vad
    except ModuleNotFoundError as exc:
        raise SegmentationError(
            "method 'vad' needs the silero-vad package (`pip install silero-vad`), "
            "or use --method energy"
        ) from exc
    finally:
        torch.set_num_threads(threads)
    with warnings.catch_warnings():
        # torch warns that TorchScript loading is deprecated; the wheel ships TorchScript.
        warnings.filterwarnings("ignore", category=FutureWarning, module="torch.jit")
        warnings.filterwarnings("ignore", category=DeprecationWarning, module="silero_vad")
        return load_silero_vad()


@dataclass
class SileroVad:
    """silero-vad detector; the model loads on the first :meth:`detect` call.

    Attributes:
        threshold: speech probability above which a 32 ms window is speech.
        min_speech_s: shorter bursts are ignored.
        min_silence_s: shorter dips do not end speech.
    """

    threshold: float = 0.5
    min_speech_s: float = 0.1
    min_silence_s: float = 0.1
    name: str = "silero-vad"
    _model: Any = field(default=None, repr=False)

    def detect(self, audio: np.ndarray, sample_rate: int = SAMPLE_RATE) -> SpeechActivity:
        """Speech regions of mono float32 audio at 16 kHz.

        Raises:
            SegmentationError: the rate is not 16 kHz or the model cannot be loaded.
        """
        if sample_rate != SAMPLE_RATE:
            raise SegmentationError(
                f"silero-vad is run at {SAMPLE_RATE} Hz, got sample_rate={sample_rate}; "
                "resample first (voxcart.datasets.audio.load_audio does)"
            )
        import torch
        from silero_vad import get_speech_timestamps

        if self._model is None:
            self._model = load_silero_model()
        samples = np.ascontiguousarray(np.asarray(audio, dtype=np.float32).reshape(-1))
        speech: tuple[SpeechRegion, ...] = ()
        if samples.size:
            with torch.inference_mode():
                stamps = get_speech_timestamps(
                    torch.from_numpy(samples),
                    self._model,
                    threshold=self.threshold,
                    sampling_rate=SAMPLE_RATE,
                    min_speech_duration_ms=round(self.min_speech_s * 1000),
                    min_silence_duration_ms=round(self.min_silence_s * 1000),
                    speech_pad_ms=0,
                    return_seconds=False,
                )
            speech = tuple(
                SpeechRegion(round(s["start"] / SAMPLE_RATE, 3), round(s["end"] / SAMPLE_RATE, 3))
                for s in stamps
            )
        params = {
            "threshold": self.threshold,
            "min_speech_s": self.min_speech_s,
            "min_silence_s": self.min_silence_s,
            "model": _model_version(),
        }
        return SpeechActivity(speech=speech, backend=self.name, params=params)


def _model_version() -> str:
    from importlib import metadata

    try:
        return f"silero-vad {metadata.version('silero-vad')}"
    except metadata.PackageNotFoundError:
        return "silero-vad"
