"""Offline augmentation into the store: lineage, splits, transcripts, idempotence, refusals."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select

from tests.augment.conftest import add_clip
from voxcart.augment.apply import reapply
from voxcart.augment.bank_cache import Banks
from voxcart.augment.errors import AugmentError
from voxcart.augment.materialize import materialize
from voxcart.datasets.audio import load_audio
from voxcart.datasets.store.project import Project
from voxcart.datasets.store.revisions import add_revision, current_transcripts
from voxcart.datasets.store.schema import Clip, Recording, RevisionStatus, Split


def _variants(project: Project) -> list[Clip]:
    with project.session() as session:
        return list(
            session.scalars(select(Clip).where(Clip.origin == "augment").order_by(Clip.uid))
        )


def test_variants_record_lineage_split_tags_and_transcript(
    populated: Project, tiny_banks: Banks
) -> None:
    steps: list[tuple[int, int]] = []
    report = materialize(
        populated,
        "far-field",
        copies=2,
        seed=7,
        banks=tiny_banks,
        progress=lambda done, total: steps.append((done, total)),
    )
    assert (report.parents, report.created, report.existing, report.failed) == (3, 6, 0, ())
    assert steps[-1] == (3, 3)
    variants = _variants(populated)
    assert len(variants) == 6
    with populated.session() as session:
        parents = {c.id: c for c in session.scalars(select(Clip).where(Clip.origin != "augment"))}
        views = current_transcripts(session, [v.id for v in variants] + list(parents))
        paths = {
            v.id: session.scalar(
                select(Recording.source_path).where(Recording.id == v.recording_id)
            )
            for v in variants
        }
    for variant in variants:
        parent = parents[variant.parent_id]
        assert parent.split == Split.TRAIN and variant.split == Split.TRAIN
        assert variant.tags == ["demo", "aug:far-field"]
        lineage = variant.lineage
        assert (lineage["preset"], lineage["seed"], lineage["parent_clip_id"]) == (
            "far-field",
            7,
            parent.id,
        )
        assert lineage["copy"] in (0, 1)
        assert (
            lineage["bank_ids"]
            and lineage["params"]["transforms"][0]["rir_id"] in lineage["bank_ids"]
        )
        view, parent_view = views[variant.id], views[parent.id]
        assert view.source == "augment-inherit" and view.verbatim == parent_view.verbatim
        assert view.is_human and view.status == RevisionStatus.ACCEPTED
        path = Path(paths[variant.id])
        assert path.parent == populated.media_dir / "augment" / "far-field"
        # The stored WAV is the recorded augmentation of the parent's audio (16-bit rounding).
        parent_audio = load_audio(lineage["source"]["path"], 0.0, lineage["source"]["duration_s"])
        again = reapply(parent_audio, lineage["params"], banks=tiny_banks).audio
        assert np.max(np.abs(load_audio(path) - again)) < 1e-3
    assert {v.lineage["params"]["seed"][2] for v in variants} == {0, 1}


def test_rerun_is_idempotent_and_refreshes_changed_transcripts(
    populated: Project, tiny_banks: Banks
) -> None:
    made = materialize(populated, "mild", copies=2, banks=tiny_banks)
    assert (made.created, made.failed) == (6, ())
    first = {(v.uid, v.recording_id) for v in _variants(populated)}
    with populated.session() as session:
        parent_id = session.scalar(select(Clip.id).where(Clip.uid == "tr-1"))
        add_revision(session, parent_id, "show me sony earbuds", RevisionStatus.CORRECTED)
    report = materialize(populated, "mild", copies=2, banks=tiny_banks)
    assert (report.created, report.existing, report.refreshed) == (0, 6, 2)
    assert {(v.uid, v.recording_id) for v in _variants(populated)} == first
    with populated.session() as session:
        children = list(session.scalars(select(Clip.id).where(Clip.parent_id == parent_id)))
        views = current_transcripts(session, children)
    assert {v.verbatim for v in views.values()} == {"show me sony earbuds"}
    more = materialize(populated, "mild", copies=3, banks=tiny_banks)
    assert (more.created, more.existing, more.refreshed) == (3, 6, 0)


def test_resumes_after_a_partial_run(populated: Project, tiny_banks: Banks) -> None:
    with pytest.raises(KeyboardInterrupt):

        def stop(done: int, total: int) -> None:
            if done == 1:
                raise KeyboardInterrupt

        materialize(populated, "car", copies=1, banks=tiny_banks, progress=stop)
    assert len(_variants(populated)) == 1
    report = materialize(populated, "car", copies=1, banks=tiny_banks)
    assert (report.created, report.existing) == (2, 1)


@pytest.mark.parametrize("split", ["dev", "test"])
def test_dev_and_test_are_never_augmented_in_place(
    populated: Project, tiny_banks: Banks, split: str
) -> None:
    with pytest.raises(
        AugmentError, match=f"split '{split}' is never augmented in place.*--as-test-set"
    ):
        materialize(populated, "far-field", split=split, banks=tiny_banks)
    assert _variants(populated) == []


def test_named_noisy_test_set(populated: Project, tiny_banks: Banks) -> None:
    report = materialize(
        populated, "store-noise", copies=1, as_test_set="noisy-v1", banks=tiny_banks
    )
    assert (report.split, report.parents, report.created) == ("test", 2, 2)
    variants = _variants(populated)
    assert {v.split for v in variants} == {Split.TEST}
    assert all("testset:noisy-v1" in v.tags and "aug:store-noise" in v.tags for v in variants)
    assert all(v.lineage["test_set"] == "noisy-v1" for v in variants)
    with pytest.raises(AugmentError, match=r"as_test_set='\.\./x'"):
        materialize(populated, "store-noise", as_test_set="../x", banks=tiny_banks)


def test_one_bad_clip_does_not_stop_the_batch(
    populated: Project, tiny_banks: Banks, tmp_path: Path
) -> None:
    broken = add_clip(populated, tmp_path / "gone.wav", "tr-gone", Split.TRAIN, seed=9)
    (tmp_path / "gone.wav").unlink()
    untranscribed = add_clip(
        populated, tmp_path / "quiet.wav", "tr-notext", Split.TRAIN, None, seed=8
    )
    report = materialize(populated, "phone", copies=1, banks=tiny_banks)
    assert report.created == 4
    assert [clip_id for clip_id, _ in report.failed] == [broken]
    assert "file not found" in report.failed[0][1]
    with populated.session() as session:
        child = session.scalar(select(Clip.id).where(Clip.parent_id == untranscribed))
        assert child is not None and current_transcripts(session, [child]) == {}
        count = session.scalar(select(func.count()).select_from(Clip))
    assert count == 8 + 4


def test_bad_arguments(populated: Project, tiny_banks: Banks) -> None:
    with pytest.raises(AugmentError, match="copies=0"):
        materialize(populated, "mild", copies=0, banks=tiny_banks)
    with pytest.raises(AugmentError, match="split='valid'"):
        materialize(populated, "mild", split="valid", banks=tiny_banks)


def test_variants_inherit_their_parent_metadata(populated: Project, tiny_banks: Banks) -> None:
    with populated.session() as session:
        for clip in session.scalars(select(Clip).where(Clip.split == Split.TRAIN)):
            clip.meta = {"condition": f"room-{clip.uid}", "région": "EU"}
    materialize(populated, "far-field", copies=1, seed=1, banks=tiny_banks)
    variants = _variants(populated)
    assert len(variants) == 3
    with populated.session() as session:
        uid_of = dict(session.execute(select(Clip.id, Clip.uid)).all())
    for variant in variants:
        parent_uid = uid_of[variant.parent_id]
        assert variant.meta == {"condition": f"room-{parent_uid}", "région": "EU"}
