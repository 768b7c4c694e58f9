"""Length bucketing: every item once, limits respected, input order restored, less padding."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voxcart.model.train.batching import bucket_batches, padding_fraction, restore_order

durations_st = st.lists(st.floats(0.0, 30.0, allow_nan=False), min_size=0, max_size=60)


@settings(max_examples=60, deadline=None)
@given(durations_st, st.integers(1, 8), st.one_of(st.none(), st.integers(0, 3)))
def test_every_item_appears_once_and_order_is_restored(durations, batch_size, seed):
    batches = bucket_batches(durations, batch_size=batch_size, bucket_size=10, seed=seed)
    flat = sorted(i for batch in batches for i in batch)
    assert flat == list(range(len(durations)))
    assert all(1 <= len(batch) <= batch_size for batch in batches)
    results = [[f"r{i}" for i in batch] for batch in batches]
    assert restore_order(batches, results) == [f"r{i}" for i in range(len(durations))]


@settings(max_examples=60, deadline=None)
@given(durations_st, st.floats(1.0, 60.0))
def test_padded_seconds_stay_under_the_limit_except_for_a_lone_long_item(durations, limit):
    for batch in bucket_batches(durations, max_batch_seconds=limit):
        padded = len(batch) * max(durations[i] for i in batch)
        assert padded <= limit or len(batch) == 1


def test_bucketing_pads_less_than_random_batches():
    durations = np.random.default_rng(0).uniform(0.5, 12.0, size=400).tolist()
    bucketed = bucket_batches(durations, batch_size=16)
    shuffled = np.random.default_rng(1).permutation(len(durations)).tolist()
    random_batches = [shuffled[i : i + 16] for i in range(0, len(shuffled), 16)]
    assert padding_fraction(bucketed, durations) < 0.1
    assert padding_fraction(bucketed, durations) < padding_fraction(random_batches, durations) / 3


def test_without_seed_batches_run_short_to_long_and_seed_is_reproducible():
    durations = [5.0, 1.0, 3.0, 2.0, 4.0, 6.0]
    assert bucket_batches(durations, batch_size=2) == [[1, 3], [2, 4], [0, 5]]
    first = bucket_batches(durations * 10, batch_size=4, bucket_size=12, seed=7)
    again = bucket_batches(durations * 10, batch_size=4, bucket_size=12, seed=7)
    other = bucket_batches(durations * 10, batch_size=4, bucket_size=12, seed=8)
    assert first == again and first != other


def test_bad_arguments_are_rejected():
    with pytest.raises(ValueError, match="batch_size or max_batch_seconds"):
        bucket_batches([1.0])
    with pytest.raises(ValueError, match="batch_size=0"):
        bucket_batches([1.0], batch_size=0)
    with pytest.raises(ValueError, match="finite"):
        bucket_batches([1.0, float("nan")], batch_size=2)
    with pytest.raises(ValueError, match="returned 1 results"):
        restore_order([[0, 1]], [["a"]])
    with pytest.raises(ValueError, match="repeated"):
        restore_order([[0], [0]], [["a"], ["b"]])
