"""Before/after preview of one clip under a preset, for the app's augmentation page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from voxcart.augment.apply import Augmenter
from voxcart.augment.bank_cache import Banks, project_banks
from voxcart.augment.errors import AugmentError
from voxcart.augment.presets import PipelineLike
from voxcart.datasets.errors import ClipNotFoundError
from voxcart.datasets.store.project import Project

N_MELS = 64
HOP_S = 0.010
WIN_S = 0.025


@dataclass(frozen=True)
class Preview:
    """A clip before and after augmentation.

    Attributes:
        before_audio: the clip as stored (float32, 16 kHz mono).
        after_audio: the augmented clip.
        sr: sample rate of both.
        params: the sampled parameters (see :class:`voxcart.augment.apply.AugmentResult`).
        before_spec: log-mel spectrogram of the original, dB, shape (n_mels, frames).
        after_spec: the same for the augmented clip.
    """

    before_audio: np.ndarray
    after_audio: np.ndarray
    sr: int
    params: dict[str, Any]
    before_spec: np.ndarray
    after_spec: np.ndarray


def log_mel(audio: np.ndarray, sr: int, n_mels: int = N_MELS) -> np.ndarray:
    """Log-mel spectrogram in dB re full scale (25 ms Hann windows, 10 ms hop), (n_mels, frames)."""
    import librosa

    win, hop = round(WIN_S * sr), round(HOP_S * sr)
    n_fft = int(2 ** np.ceil(np.log2(win)))
    samples = np.asarray(audio, dtype=np.float64)
    if samples.size < win:
        samples = np.pad(samples, (0, win - samples.size))
    frames = np.lib.stride_tricks.sliding_window_view(samples, win)[::hop]
    power = np.abs(np.fft.rfft(frames * np.hanning(win), n=n_fft, axis=1)) ** 2
    mel = librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels) @ power.T
    return np.asarray(10.0 * np.log10(np.maximum(mel, 1e-10)), dtype=np.float32)


def preview(
    project: Project,
    clip_id: int,
    preset: PipelineLike,
    seed: int = 0,
    banks: Banks | None = None,
) -> Preview:
    """Augment one stored clip in memory (nothing is written) and return both versions.

    Raises:
        AugmentError: there is no clip with this id.
        AudioError: the clip's audio cannot be read.
        AugmentConfigError: the preset or pipeline is invalid.
    """
    from voxcart.datasets.audio import TARGET_SR
    from voxcart.datasets.clip_audio import clip_audio

    try:
        before = clip_audio(project, clip_id)
    except ClipNotFoundError as exc:
        raise AugmentError(str(exc)) from exc
    augmenter = Augmenter(preset, banks if banks is not None else project_banks(project.root))
    result = augmenter(before, TARGET_SR, seed)
    return Preview(
        before_audio=before,
        after_audio=result.audio,
        sr=TARGET_SR,
        params=result.params,
        before_spec=log_mel(before, TARGET_SR),
        after_spec=log_mel(result.audio, TARGET_SR),
    )
