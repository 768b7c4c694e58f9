"""On-the-fly augmentation: seeded per (epoch, clip), picklable, same output in workers."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from torch.utils.data import DataLoader, Dataset

from tests.augment.conftest import speechy
from voxcart.augment.bank_cache import Banks
from voxcart.augment.errors import AugmentError
from voxcart.augment.online import OnTheFlyAugment, clip_key_hash

KEYS = ["clip-a", "clip-b", "clip-c", "clip-d"]


class _Clips(Dataset):
    """A map-style dataset applying the transform, as a training loop would."""

    def __init__(self, transform: OnTheFlyAugment, epoch: int) -> None:
        self.transform = transform
        self.epoch = epoch

    def __len__(self) -> int:
        return len(KEYS)

    def __getitem__(self, index: int) -> np.ndarray:
        return self.transform(speechy(0.3, seed=index), 16_000, self.epoch, KEYS[index])


def test_seeded_per_epoch_and_clip(tiny_banks: Banks) -> None:
    augment = OnTheFlyAugment("store-noise", seed=1, banks=tiny_banks)
    audio = speechy(0.3)
    same = augment(audio, 16_000, 0, "clip-a")
    assert np.array_equal(same, augment(audio, 16_000, 0, "clip-a"))
    assert not np.array_equal(same, augment(audio, 16_000, 1, "clip-a"))
    assert not np.array_equal(same, augment(audio, 16_000, 0, "clip-b"))
    other_run = OnTheFlyAugment("store-noise", seed=2, banks=tiny_banks)
    assert not np.array_equal(same, other_run(audio, 16_000, 0, "clip-a"))


def test_pickle_round_trip_gives_the_same_output(tiny_banks: Banks) -> None:
    augment = OnTheFlyAugment("far-field", seed=3, banks=tiny_banks)
    audio = speechy(0.3)
    expected = augment(audio, 16_000, 2, 17)  # builds the pipeline and opens the banks
    clone = pickle.loads(pickle.dumps(augment))
    assert np.array_equal(clone(audio, 16_000, 2, 17), expected)


def test_dataloader_workers_match_in_process(tiny_banks: Banks) -> None:
    augment = OnTheFlyAugment("mild", seed=5, banks=tiny_banks)
    expected = [_Clips(augment, epoch=4)[i] for i in range(len(KEYS))]
    loader = DataLoader(_Clips(augment, epoch=4), batch_size=None, num_workers=2)
    got = [np.asarray(item) for item in loader]
    assert len(got) == len(expected)
    for a, b in zip(got, expected, strict=True):
        assert np.array_equal(a, b)


def test_probability_and_validation(tiny_banks: Banks) -> None:
    audio = speechy(0.3)
    never = OnTheFlyAugment("store-noise", seed=0, banks=tiny_banks, p=0.0)
    assert np.array_equal(never(audio, 16_000, 0, "x"), audio)
    assert never.augment(audio, 16_000, 0, "x") is None
    with pytest.raises(AugmentError, match="epoch=-1"):
        OnTheFlyAugment("mild", banks=tiny_banks)(audio, 16_000, -1, "x")
    with pytest.raises(AugmentError, match="clip_key"):
        clip_key_hash(1.5)
    with pytest.raises(AugmentError, match="p=2"):
        OnTheFlyAugment("mild", p=2)


def test_clip_key_hash_is_stable() -> None:
    # A fixed value: Python's hash() would change with PYTHONHASHSEED between workers.
    assert clip_key_hash("clip-a") == clip_key_hash("clip-a")
    assert clip_key_hash("7") != clip_key_hash(7)
    assert clip_key_hash("clip-a") == 2424088736241065925
