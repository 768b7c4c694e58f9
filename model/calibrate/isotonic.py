"""Isotonic regression by pool-adjacent-violators (PAV), and the monotone map it fits.

The map is stored as knots (increasing inputs, non-decreasing outputs) and applied by linear
interpolation between them, flat beyond the first and last knot: a word confidence becomes the
share of words with that confidence that were right on the data it was fitted on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from voxcart.model.errors import ModelError

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class IsotonicMap:
    """A non-decreasing piecewise-linear map of [0, 1] onto [0, 1].

    Attributes:
        x: knot inputs, strictly increasing.
        y: knot outputs, non-decreasing, each in [0, 1].
    """

    x: tuple[float, ...]
    y: tuple[float, ...]

    def __post_init__(self) -> None:
        if not self.x or len(self.x) != len(self.y):
            raise ModelError(
                f"isotonic map has {len(self.x)} input and {len(self.y)} output knots; it needs "
                "the same number (at least one) of each; refit the calibration"
            )
        if any(b <= a for a, b in zip(self.x, self.x[1:], strict=False)):
            raise ModelError("isotonic map inputs must increase strictly; refit the calibration")
        if any(b < a for a, b in zip(self.y, self.y[1:], strict=False)) or not all(
            0.0 <= v <= 1.0 for v in self.y
        ):
            raise ModelError(
                "isotonic map outputs must be non-decreasing values in [0, 1]; refit the "
                "calibration"
            )

    def __call__(self, values: npt.ArrayLike) -> FloatArray:
        """The mapped values (same shape as `values`)."""
        return np.interp(np.asarray(values, dtype=np.float64), self.x, self.y)

    def map_one(self, value: float) -> float:
        """One mapped value."""
        return float(np.interp(value, self.x, self.y))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready knots."""
        return {"x": [round(v, 6) for v in self.x], "y": [round(v, 6) for v in self.y]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> IsotonicMap:
        """The map from :meth:`to_dict`'s output.

        Raises:
            ModelError: the knots are missing or invalid.
        """
        try:
            return cls(tuple(float(v) for v in data["x"]), tuple(float(v) for v in data["y"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelError(f"stored isotonic map is malformed ({exc}); refit it") from exc


def pool_adjacent_violators(values: Sequence[float], weights: Sequence[float]) -> FloatArray:
    """The non-decreasing sequence closest to `values` in weighted least squares.

    Args:
        values: targets in their order (e.g. 0/1 outcomes sorted by confidence).
        weights: positive weight of each target.

    Returns:
        The fitted value of every position.
    """
    means: list[float] = []
    totals: list[float] = []
    counts: list[int] = []
    for value, weight in zip(values, weights, strict=True):
        means.append(float(value))
        totals.append(float(weight))
        counts.append(1)
        # Merge the newest block backwards while it violates the order.
        while len(means) > 1 and means[-2] > means[-1]:
            w = totals[-2] + totals[-1]
            means[-2] = (means[-2] * totals[-2] + means[-1] * totals[-1]) / w
            totals[-2], counts[-2] = w, counts[-2] + counts[-1]
            del means[-1], totals[-1], counts[-1]
    return np.repeat(np.asarray(means, dtype=np.float64), counts)


def fit_isotonic(inputs: npt.ArrayLike, outcomes: npt.ArrayLike) -> IsotonicMap:
    """Fit a non-decreasing map from `inputs` to the mean of `outcomes`.

    Equal inputs are pooled first (one knot each, weighted by how many there are), so the map
    is a function of the input alone.

    Args:
        inputs: raw confidences in [0, 1].
        outcomes: 1 where the word was right, 0 where it was wrong (any values in [0, 1]).

    Raises:
        ModelError: no data, mismatched lengths, or values outside [0, 1].
    """
    x = np.asarray(inputs, dtype=np.float64).ravel()
    y = np.asarray(outcomes, dtype=np.float64).ravel()
    if x.size == 0 or x.size != y.size:
        raise ModelError(
            f"an isotonic fit needs as many outcomes as inputs (at least one); got {x.size} "
            f"inputs and {y.size} outcomes"
        )
    if not (np.all((x >= 0) & (x <= 1)) and np.all((y >= 0) & (y <= 1))):
        raise ModelError("isotonic fit inputs and outcomes must lie in [0, 1]")
    unique, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
    sums = np.bincount(inverse, weights=y)
    fitted = pool_adjacent_violators((sums / counts).tolist(), counts.tolist())
    # Keep only the knots where the fitted value changes (and both ends of each flat step),
    # so that interpolation reproduces the step function between data points.
    keep = np.ones(unique.size, dtype=bool)
    if unique.size > 2:
        same_prev = np.r_[False, fitted[1:] == fitted[:-1]]
        same_next = np.r_[fitted[:-1] == fitted[1:], False]
        keep = ~(same_prev & same_next)
    return IsotonicMap(
        tuple(float(v) for v in unique[keep]),
        tuple(float(min(1.0, max(0.0, v))) for v in fitted[keep]),
    )
