"""Preview of one clip before and after a preset."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import select

from voxcart.augment.bank_cache import Banks
from voxcart.augment.errors import AugmentError
from voxcart.augment.materialize import materialize
from voxcart.augment.preview import N_MELS, preview
from voxcart.datasets.store.project import Project
from voxcart.datasets.store.schema import Clip


def test_preview_returns_both_versions_and_spectrograms(
    populated: Project, tiny_banks: Banks
) -> None:
    with populated.session() as session:
        clip_id = session.scalar(select(Clip.id).where(Clip.uid == "tr-1"))
    shown = preview(populated, clip_id, "car", seed=2, banks=tiny_banks)
    assert shown.sr == 16_000 and shown.before_audio.shape == shown.after_audio.shape
    assert not np.array_equal(shown.before_audio, shown.after_audio)
    assert shown.before_spec.shape == shown.after_spec.shape
    assert shown.before_spec.shape[0] == N_MELS and shown.before_spec.shape[1] > 40
    assert shown.params["transforms"][0]["transform"] == "BankNoise"
    again = preview(populated, clip_id, "car", seed=2, banks=tiny_banks)
    assert np.array_equal(again.after_audio, shown.after_audio)
    report = materialize(populated, "car", copies=1, banks=tiny_banks)
    assert report.created == 3  # previewing wrote nothing


def test_preview_of_unknown_clip(populated: Project, tiny_banks: Banks) -> None:
    with pytest.raises(AugmentError, match="clip_id=999"):
        preview(populated, 999, "mild", banks=tiny_banks)
