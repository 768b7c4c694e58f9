"""A model version's confidence calibration: kept in its metadata row, applied when read.

The suggestions table keeps the backend's raw confidences; the fitted map lives in the model
version's ``metrics["calibration"]`` (so the sphinx-generic model, which has no folder, can
have one too, and refitting never re-decodes anything). Readers call :func:`calibration_of`
on the row's metrics and map each raw confidence with :meth:`Calibration.apply`; a model
without a calibration gets :data:`UNCALIBRATED`, the identity, which says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from voxcart.model.calibrate.isotonic import IsotonicMap
from voxcart.model.errors import ModelError

CALIBRATION_KEY = "calibration"
"""The model-version metrics key holding its calibration."""
METHOD = "isotonic"


@dataclass(frozen=True)
class Calibration:
    """A model's map from raw word confidence to the probability that the word is right.

    Attributes:
        mapping: the fitted monotone map; None: uncalibrated (identity).
        split: the split it was fitted on.
        reference: which references labelled the words (``any``, ``human`` or ``gold``).
        words: hypothesis words it was fitted on.
        wrong: of those, wrong words.
        clips: clips those words came from.
        fitted_at: when it was fitted (ISO 8601, UTC).
        ece_raw: ECE of the raw confidences on the fitting words.
        ece_fitted: ECE of the calibrated confidences on the same words (in-sample).
        note: why the model is uncalibrated, where it is.
    """

    mapping: IsotonicMap | None
    split: str = "dev"
    reference: str = ""
    words: int = 0
    wrong: int = 0
    clips: int = 0
    fitted_at: str = ""
    ece_raw: float | None = None
    ece_fitted: float | None = None
    note: str = "no calibration fitted yet (run `voxcart model calibrate`)"

    @property
    def calibrated(self) -> bool:
        """Whether a fitted map is applied (False: raw confidences pass through)."""
        return self.mapping is not None

    def apply(self, confidence: float) -> float:
        """The calibrated confidence of one raw confidence (unchanged when uncalibrated)."""
        return confidence if self.mapping is None else self.mapping.map_one(confidence)

    def apply_all(self, confidences: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """The calibrated confidences of many raw ones."""
        raw = np.asarray(confidences, dtype=np.float64)
        return raw.copy() if self.mapping is None else self.mapping(raw)

    def describe(self) -> str:
        """One line: how the confidences were calibrated, or why they are not."""
        if self.mapping is None:
            return f"uncalibrated: {self.note}"
        return (
            f"{METHOD} calibration fitted on {self.words} {self.split} word(s) of {self.clips} "
            f"clip(s) ({self.wrong} wrong; references: {self.reference}) at {self.fitted_at}"
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values (the stored form)."""
        if self.mapping is None:
            raise ModelError("an uncalibrated model has no calibration to store")
        return {
            "method": METHOD,
            "map": self.mapping.to_dict(),
            "split": self.split,
            "reference": self.reference,
            "words": self.words,
            "wrong": self.wrong,
            "clips": self.clips,
            "fitted_at": self.fitted_at,
            "ece_raw": self.ece_raw,
            "ece_fitted": self.ece_fitted,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Calibration:
        """A calibration from :meth:`to_dict`'s output.

        Raises:
            ModelError: the stored record is malformed or names another method.
        """
        if data.get("method") != METHOD:
            raise ModelError(
                f"stored calibration method {data.get('method')!r} is unknown (expected "
                f"{METHOD!r}); refit it with `voxcart model calibrate`"
            )
        mapping = data.get("map")
        if not isinstance(mapping, Mapping):
            raise ModelError(
                "stored calibration has no map; refit it with `voxcart model calibrate`"
            )
        return cls(
            mapping=IsotonicMap.from_dict(mapping),
            split=str(data.get("split", "dev")),
            reference=str(data.get("reference", "")),
            words=int(data.get("words", 0)),
            wrong=int(data.get("wrong", 0)),
            clips=int(data.get("clips", 0)),
            fitted_at=str(data.get("fitted_at", "")),
            ece_raw=_optional(data.get("ece_raw")),
            ece_fitted=_optional(data.get("ece_fitted")),
        )


UNCALIBRATED = Calibration(None)
"""The identity: raw confidences, visibly marked as uncalibrated."""


def _optional(value: Any) -> float | None:
    return None if value is None else float(value)


def calibration_of(metrics: Mapping[str, Any] | None) -> Calibration:
    """The calibration stored in a model version's metrics; :data:`UNCALIBRATED` where there
    is none or it cannot be read (a reader never fails on it; the note says why)."""
    stored = (metrics or {}).get(CALIBRATION_KEY)
    if not isinstance(stored, Mapping):
        return UNCALIBRATED
    try:
        return Calibration.from_dict(stored)
    except (ModelError, TypeError, ValueError) as exc:
        return Calibration(None, note=f"stored calibration unreadable ({exc})")


def with_calibration(metrics: Mapping[str, Any] | None, calibration: Calibration) -> dict[str, Any]:
    """A copy of a model version's metrics holding `calibration` (assign it to the row)."""
    return {**dict(metrics or {}), CALIBRATION_KEY: calibration.to_dict()}
