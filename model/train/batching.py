"""Length-bucketed batching: group clips of similar duration so that padding stays small.

Used for inference (:mod:`voxcart.model.backends.ctc`, results go back in input order with
:func:`restore_order`) and for training (batches shuffled with a seed, every epoch different
but reproducible).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

import numpy as np

T = TypeVar("T")


def bucket_batches(
    durations: Sequence[float],
    *,
    batch_size: int | None = None,
    max_batch_seconds: float | None = None,
    bucket_size: int | None = None,
    seed: int | None = None,
) -> list[list[int]]:
    """Split item indices into batches of items of similar duration.

    Items are sorted by duration (stable, so equal durations keep input order) and cut into
    buckets of ``bucket_size`` consecutive items; batches are formed inside a bucket. With a
    seed, items are shuffled inside each bucket before batching and the batch order is
    shuffled, so that training sees different but similar-length batches each epoch; without
    one, batches run from shortest to longest.

    A batch is closed when it holds ``batch_size`` items or when adding the next item would
    make ``len(batch) * longest_item`` (the padded audio it costs) exceed
    ``max_batch_seconds``. An item longer than ``max_batch_seconds`` on its own gets a batch of
    its own rather than being dropped.

    Args:
        durations: each item's length (seconds, or frames: any unit, used consistently).
        batch_size: most items per batch.
        max_batch_seconds: most padded length per batch (same unit as `durations`).
        bucket_size: items per bucket before batching; default: 50 batches' worth
            (``50 * batch_size``) or, with only `max_batch_seconds`, 500 items. Larger buckets
            pad less but mix less when shuffling.
        seed: shuffle seed (training); None keeps the sorted order (inference).

    Returns:
        Batches of indices into `durations`; every index appears exactly once.

    Raises:
        ValueError: neither limit is given, a limit is not positive, or a duration is
            negative or not finite.
    """
    if batch_size is None and max_batch_seconds is None:
        raise ValueError("bucket_batches needs batch_size or max_batch_seconds (or both)")
    if batch_size is not None and batch_size < 1:
        raise ValueError(f"batch_size={batch_size} must be at least 1")
    if max_batch_seconds is not None and not max_batch_seconds > 0:
        raise ValueError(f"max_batch_seconds={max_batch_seconds} must be positive")
    lengths = np.asarray(durations, dtype=np.float64).reshape(-1)
    if lengths.size and (not np.all(np.isfinite(lengths)) or float(lengths.min()) < 0):
        raise ValueError("durations must be finite and non-negative")
    if bucket_size is None:
        bucket_size = 50 * batch_size if batch_size is not None else 500
    if bucket_size < 1:
        raise ValueError(f"bucket_size={bucket_size} must be at least 1")
    rng = np.random.default_rng(seed) if seed is not None else None
    order = np.argsort(lengths, kind="stable")
    batches: list[list[int]] = []
    for start in range(0, order.size, bucket_size):
        bucket = order[start : start + bucket_size]
        if rng is not None:
            bucket = rng.permutation(bucket)
        batches.extend(_cut(bucket.tolist(), lengths, batch_size, max_batch_seconds))
    if rng is not None:
        batches = [batches[i] for i in rng.permutation(len(batches))]
    return batches


def _cut(
    indices: list[int],
    lengths: np.ndarray,
    batch_size: int | None,
    max_batch_seconds: float | None,
) -> list[list[int]]:
    batches: list[list[int]] = []
    batch: list[int] = []
    longest = 0.0
    for index in indices:
        length = float(lengths[index])
        grown = max(longest, length)
        full = batch_size is not None and len(batch) >= batch_size
        too_long = max_batch_seconds is not None and (len(batch) + 1) * grown > max_batch_seconds
        if batch and (full or too_long):
            batches.append(batch)
            batch, grown = [], length
        batch.append(index)
        longest = grown
    if batch:
        batches.append(batch)
    return batches


def restore_order(batches: Sequence[Sequence[int]], results: Sequence[Sequence[T]]) -> list[T]:
    """Put per-batch results back in input order.

    Args:
        batches: the index batches (from :func:`bucket_batches`).
        results: one result list per batch, aligned with its indices.

    Raises:
        ValueError: a batch's result count differs from its size, or the indices are not a
            permutation of ``0..n-1``.
    """
    total = sum(len(b) for b in batches)
    out: list[T] = []
    filled = [False] * total
    slots: list[tuple[int, T]] = []
    for indices, values in zip(batches, results, strict=True):
        if len(indices) != len(values):
            raise ValueError(f"a batch of {len(indices)} items returned {len(values)} results")
        for index, value in zip(indices, values, strict=True):
            if not 0 <= index < total or filled[index]:
                raise ValueError(f"batch index {index} is out of range or repeated")
            filled[index] = True
            slots.append((index, value))
    slots.sort(key=lambda slot: slot[0])
    out.extend(value for _, value in slots)
    return out


def padding_fraction(batches: Sequence[Sequence[int]], durations: Sequence[float]) -> float:
    """Share of the padded batch length that is padding (0 = none), for comparing batchings."""
    padded = 0.0
    real = 0.0
    for batch in batches:
        if batch:
            lengths = [float(durations[i]) for i in batch]
            padded += max(lengths) * len(lengths)
            real += sum(lengths)
    return 0.0 if padded == 0 else 1.0 - real / padded
