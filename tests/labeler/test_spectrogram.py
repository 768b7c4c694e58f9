"""The augmentation preview's figures have axes and one colour scale; parameters read as rows."""

from __future__ import annotations

import numpy as np

from voxcart.labeler.components.spectrogram import (
    parameter_rows,
    shared_scale,
    spectrogram_figure,
)


def test_before_and_after_share_one_colour_scale():
    quiet = np.full((64, 100), -70.0, dtype=np.float32)
    loud = np.full((64, 100), -10.0, dtype=np.float32)
    assert shared_scale([quiet, loud]) == (-90.0, -10.0)


def test_the_figure_has_time_and_frequency_axes_and_a_colour_bar():
    spec = np.random.default_rng(0).uniform(-80, 0, size=(64, 150)).astype(np.float32)
    figure = spectrogram_figure(spec, 16_000, 0.01, "Before", (-80.0, 0.0))
    axes, colorbar = figure.axes
    assert axes.get_xlabel() == "time (s)"
    assert axes.get_xlim() == (0.0, 1.5)  # 150 frames of 10 ms
    labels = [t.get_text() for t in axes.get_yticklabels()]
    assert labels[0] == "0 Hz" and labels[-1] == "8.0 kHz"
    assert colorbar.get_ylabel() == "dB"


def test_nested_parameters_flatten_to_named_rows():
    params = {
        "seed": 3,
        "transforms": [{"name": "bank_noise", "snr_db": 12.3456}, {"name": "reverb"}],
        "mix": {"gain": 0.5},
    }
    assert parameter_rows(params) == [
        ("mix.gain", "0.5"),
        ("seed", "3"),
        ("transforms[0].name", "bank_noise"),
        ("transforms[0].snr_db", "12.3"),
        ("transforms[1].name", "reverb"),
    ]
