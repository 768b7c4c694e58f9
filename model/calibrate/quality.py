"""How good word confidences are: expected calibration error and AUROC for wrong words.

- **ECE** (expected calibration error): words are put in equal-width confidence bins over
  [0, 1] (:data:`DEFAULT_BINS` of them, the last one closed); ECE is the word-weighted mean of
  ``|share right - mean confidence|`` over the bins. 0 is perfect: a word shown at 0.8 is right
  four times in five.
- **AUROC for wrong words**: the probability that a randomly chosen wrong word has a lower
  confidence than a randomly chosen right one (ties count one half). 0.5 is chance, 1.0 sorts
  every wrong word below every right one. A monotone calibration keeps the order, so it changes
  AUROC only through the ties its flat steps create (a little, either way).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from voxcart.model.errors import ModelError

DEFAULT_BINS = 10


def _arrays(
    confidences: npt.ArrayLike, correct: npt.ArrayLike
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    conf = np.asarray(confidences, dtype=np.float64).ravel()
    right = np.asarray(correct, dtype=bool).ravel()
    if conf.size != right.size:
        raise ModelError(f"{conf.size} confidences but {right.size} right/wrong labels")
    return conf, right


def expected_calibration_error(
    confidences: npt.ArrayLike, correct: npt.ArrayLike, bins: int = DEFAULT_BINS
) -> float | None:
    """ECE over `bins` equal-width bins (None for no words).

    Raises:
        ModelError: fewer than one bin, or mismatched lengths.
    """
    if bins < 1:
        raise ModelError(f"bins={bins} must be at least 1")
    conf, right = _arrays(confidences, correct)
    if conf.size == 0:
        return None
    index = np.minimum((np.clip(conf, 0.0, 1.0) * bins).astype(int), bins - 1)
    conf_sums = np.bincount(index, weights=conf, minlength=bins)
    right_sums = np.bincount(index, weights=right.astype(np.float64), minlength=bins)
    return float(np.abs(right_sums - conf_sums).sum() / conf.size)


def auroc_wrong(confidences: npt.ArrayLike, correct: npt.ArrayLike) -> float | None:
    """AUROC of low confidence as a detector of wrong words (None without both kinds).

    Raises:
        ModelError: mismatched lengths.
    """
    conf, right = _arrays(confidences, correct)
    n_right, n_wrong = int(right.sum()), int((~right).sum())
    if not n_right or not n_wrong:
        return None
    # Mann-Whitney U with mid-ranks for ties.
    order = np.argsort(conf, kind="mergesort")
    ranks = np.empty(conf.size, dtype=np.float64)
    sorted_conf = conf[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_conf)) + 1]
    ends = np.r_[starts[1:], conf.size]
    for start, end in zip(starts, ends, strict=True):
        ranks[order[start:end]] = (start + end + 1) / 2.0
    u = ranks[right].sum() - n_right * (n_right + 1) / 2.0
    return float(u / (n_right * n_wrong))


@dataclass(frozen=True)
class ConfidenceQuality:
    """Calibration figures of one set of labelled words.

    Attributes:
        words: hypothesis words scored.
        wrong: of those, words the reference does not confirm (substituted or inserted).
        bins: equal-width ECE bins.
        ece_raw: ECE of the backend's confidences.
        auroc_raw: AUROC for wrong words of the backend's confidences.
        ece_calibrated: ECE after the model's calibration (None: the model has none).
        auroc_calibrated: AUROC after it (None: no calibration, or one kind of word only).
        calibration: how the calibration was fitted, in words ("uncalibrated" where none).
        fitted_on_these: True when the calibration was fitted on (some of) these words, so
            its calibrated figures are optimistic.
    """

    words: int
    wrong: int
    bins: int
    ece_raw: float | None
    auroc_raw: float | None
    ece_calibrated: float | None
    auroc_calibrated: float | None
    calibration: str
    fitted_on_these: bool = False

    def to_dict(self) -> dict[str, object]:
        """JSON-ready values."""
        return {
            "words": self.words,
            "wrong": self.wrong,
            "ece_bins": self.bins,
            "ece_raw": self.ece_raw,
            "auroc_wrong_raw": self.auroc_raw,
            "ece_calibrated": self.ece_calibrated,
            "auroc_wrong_calibrated": self.auroc_calibrated,
            "calibration": self.calibration,
            "fitted_on_these_clips": self.fitted_on_these,
        }
