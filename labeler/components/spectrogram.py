"""Spectrogram figures people can read: time and frequency axes, a colour scale in dB.

Before/after views share one colour scale, so that added noise looks like added energy rather
than being normalised away.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

FLOOR_DB = 80.0
"""Dynamic range shown below the loudest cell."""


def shared_scale(specs: Sequence[np.ndarray], floor_db: float = FLOOR_DB) -> tuple[float, float]:
    """One (vmin, vmax) in dB for several spectrograms: the loudest cell down `floor_db`."""
    top = max((float(np.max(s)) for s in specs if s.size), default=0.0)
    return top - floor_db, top


def spectrogram_figure(
    spec: np.ndarray,
    sr: int,
    hop_s: float,
    title: str,
    scale: tuple[float, float],
) -> Figure:
    """A log-mel spectrogram (dB, shape (n_mels, frames)) with axes and a colour bar.

    The frequency axis is labelled in Hz at the mel bands' centre frequencies.
    """
    import librosa

    n_mels, frames = spec.shape
    figure = Figure(figsize=(6.0, 2.6), dpi=110, layout="constrained")
    axes = figure.add_subplot()
    image = axes.imshow(
        spec,
        origin="lower",
        aspect="auto",
        cmap="magma",
        vmin=scale[0],
        vmax=scale[1],
        extent=(0.0, frames * hop_s, -0.5, n_mels - 0.5),
        interpolation="nearest",
    )
    centres = librosa.mel_frequencies(n_mels=n_mels, fmin=0.0, fmax=sr / 2)
    ticks = [int(i) for i in np.linspace(0, n_mels - 1, 5)]
    axes.set_yticks(ticks, [_hz(centres[i]) for i in ticks])
    axes.set_xlabel("time (s)")
    axes.set_ylabel("frequency")
    axes.set_title(title, fontsize=10)
    figure.colorbar(image, ax=axes, label="dB")
    return figure


def _records(value: Any) -> bool:
    """Whether `value` is a non-empty list of mappings (one per transform, say)."""
    return (
        isinstance(value, list | tuple)
        and bool(value)
        and all(isinstance(v, Mapping) for v in value)
    )


def _hz(value: float) -> str:
    return f"{value / 1000:.1f} kHz" if value >= 1000 else f"{value:.0f} Hz"


def parameter_rows(params: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """Nested sampled parameters flattened to (name, value) rows, e.g. ``reverb.rt60``."""
    rows: list[tuple[str, str]] = []
    for key in sorted(params, key=str):
        value = params[key]
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            rows.extend(parameter_rows(value, f"{name}."))
        elif (
            isinstance(value, list | tuple) and value and all(isinstance(v, Mapping) for v in value)
        ):
            for index, item in enumerate(value):
                rows.extend(parameter_rows(item, f"{name}[{index}]."))
        elif isinstance(value, float):
            rows.append((name, f"{value:.3g}"))
        else:
            rows.append((name, str(value)))
    return rows
