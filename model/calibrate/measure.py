"""Measuring a model's word confidences on evaluated clips, raw and calibrated.

:func:`measure_confidence` is what ``voxcart eval`` reports: ECE and AUROC for wrong words of
the model's stored suggestions against the evaluation's references, before and after the
model's calibration, and whether the calibration was fitted on (some of) these clips.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.orm import Session

from voxcart.datasets.store.schema import ModelVersion
from voxcart.model.calibrate.labels import labelled_words
from voxcart.model.calibrate.quality import (
    DEFAULT_BINS,
    ConfidenceQuality,
    auroc_wrong,
    expected_calibration_error,
)
from voxcart.model.calibrate.store import calibration_of

_SPLITS_HOLDING = {"dev": ("dev", "heldout", "all")}
"""For each split a calibration can be fitted on, the evaluation splits that contain it."""


def measure_confidence(
    session: Session,
    model_id: int,
    references: Mapping[int, str],
    split: str,
    bins: int = DEFAULT_BINS,
) -> ConfidenceQuality | None:
    """ECE and AUROC for wrong words of a model's suggestions on the referenced clips.

    Args:
        session: an open session.
        model_id: the evaluated model version.
        references: clip id -> reference text of the evaluated clips.
        split: the evaluated split (to tell whether the calibration was fitted on it).
        bins: equal-width ECE bins.

    Returns:
        The figures, or None when the model's suggestions of these clips have no words.
    """
    row = session.get(ModelVersion, model_id)
    calibration = calibration_of(row.metrics if row is not None else None)
    labels = labelled_words(session, model_id, references)
    if not labels.words:
        return None
    raw, correct = labels.arrays()
    calibrated = calibration.apply_all(raw) if calibration.calibrated else None
    return ConfidenceQuality(
        words=labels.words,
        wrong=labels.wrong,
        bins=bins,
        ece_raw=expected_calibration_error(raw, correct, bins),
        auroc_raw=auroc_wrong(raw, correct),
        ece_calibrated=(
            expected_calibration_error(calibrated, correct, bins)
            if calibrated is not None
            else None
        ),
        auroc_calibrated=auroc_wrong(calibrated, correct) if calibrated is not None else None,
        calibration=calibration.describe(),
        fitted_on_these=calibration.calibrated
        and split in _SPLITS_HOLDING.get(calibration.split, (calibration.split,)),
    )
