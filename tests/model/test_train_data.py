"""Which clips a run trains on, how labels are encoded, bad audio and the augmentation hook."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from tests.model.train_project import copy_project, shared_labelled_demo
from voxcart.datasets.store.project import Project, open_project
from voxcart.datasets.store.revisions import add_revision
from voxcart.datasets.store.schema import (
    Clip,
    ModelVersion,
    RevisionStatus,
    Split,
    Suggestion,
)
from voxcart.model.train.char_vocab import CharVocab
from voxcart.model.train.data import (
    ClipDataset,
    CtcCollator,
    TrainClip,
    encode_texts,
    select_training_data,
)


@pytest.fixture
def demo(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Project:
    root = copy_project(shared_labelled_demo(tmp_path_factory), tmp_path / "proj")
    project = open_project(root)
    yield project
    project.close()


def _train_ids(project: Project) -> list[int]:
    with project.session() as session:
        return list(
            session.scalars(select(Clip.id).where(Clip.split == Split.TRAIN).order_by(Clip.id))
        )


def test_selects_current_human_accepted_revisions_per_split(demo: Project) -> None:
    train_ids = _train_ids(demo)
    skipped, machine, corrected = train_ids[:3]
    with demo.session() as session:
        add_revision(session, skipped, "", RevisionStatus.SKIPPED)
        add_revision(session, machine, "sony tv", RevisionStatus.ACCEPTED, is_human=False)
        add_revision(session, corrected, "Sony TV under $50", RevisionStatus.CORRECTED)
    data = select_training_data(demo, max_clip_seconds=20.0)
    chosen = {c.clip_id: c for c in data.train}
    assert skipped not in chosen and machine not in chosen
    assert chosen[corrected].text == "sony tv under fifty dollars"
    assert len(data.train) == len(train_ids) - 2
    assert data.dev and not {c.speaker for c in data.dev} & {c.speaker for c in data.train}
    assert data.stats.train_clips == len(data.train) and data.stats.pseudo_labels == 0
    assert data.stats.train_hours > 0 and data.stats.dev_speakers == 1
    short = select_training_data(demo, max_clip_seconds=3.0)
    assert short.stats.too_long > 0 and all(c.duration_s <= 3.0 for c in short.train)


def test_pseudo_labels_only_when_asked_and_above_threshold(demo: Project) -> None:
    train_ids = _train_ids(demo)
    unlabelled, low, human = train_ids[:3]
    with demo.session() as session:
        session.add(ModelVersion(name="m", backend="sphinx"))
        session.flush()
        model_id = session.scalar(select(ModelVersion.id))
        add_revision(session, unlabelled, "", RevisionStatus.FLAGGED, is_human=False)
        add_revision(session, low, "", RevisionStatus.FLAGGED, is_human=False)
        for clip_id, conf in ((unlabelled, 0.95), (low, 0.4), (human, 0.99)):
            session.add(
                Suggestion(
                    clip_id=clip_id,
                    model_version_id=model_id,
                    text="Add 2 Apple AirPods",
                    scores={"mean_confidence": conf},
                )
            )
    humans_only = select_training_data(demo, max_clip_seconds=20.0)
    assert {unlabelled, low}.isdisjoint(c.clip_id for c in humans_only.train)
    data = select_training_data(demo, max_clip_seconds=20.0, pseudo_label_threshold=0.9)
    pseudo = [c for c in data.train if c.pseudo]
    assert [c.clip_id for c in pseudo] == [unlabelled]
    assert pseudo[0].text == "add two apple airpods"
    assert data.stats.pseudo_labels == 1
    assert not next(c for c in data.train if c.clip_id == human).pseudo


def test_unknown_characters_are_dropped_and_counted() -> None:
    vocab = CharVocab.from_texts(["abc"])
    clip = TrainClip(1, "u", Path("x.wav"), 0.0, 1.0, "abc xyz", None)
    encoded = encode_texts([clip, clip], vocab)
    assert encoded.dropped_chars == 6 and encoded.labels[0] == (3, 4, 5)


def test_unreadable_audio_is_reported_and_skipped(demo: Project, tmp_path: Path) -> None:
    data = select_training_data(demo, max_clip_seconds=20.0)
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")
    bad = TrainClip(999, "bad", broken, 0.0, 1.0, "abc", None)
    clips = [data.train[0], bad]
    vocab = CharVocab.from_texts(c.text for c in clips)
    dataset = ClipDataset(clips, encode_texts(clips, vocab).labels)
    batch = CtcCollator()([dataset[0], dataset[1]])
    assert batch["input_values"].shape[0] == 1 and batch["indices"] == [0]
    assert len(batch["errors"]) == 1 and "bad" in batch["errors"][0]
    audio = batch["input_values"][0]
    assert abs(float(audio.mean())) < 1e-3 and float(audio.std()) == pytest.approx(1.0, rel=1e-2)
    assert int(batch["attention_mask"].sum()) == audio.numel()
    assert (batch["labels"][0] >= 0).sum() == len(dataset.labels[0])


def test_augmentation_is_seeded_per_epoch_and_clip(demo: Project) -> None:
    from voxcart.augment.bank_cache import project_banks
    from voxcart.augment.online import OnTheFlyAugment

    data = select_training_data(demo, max_clip_seconds=20.0)
    clips = data.train[:1]
    labels = encode_texts(clips, CharVocab.from_texts(c.text for c in clips)).labels
    augment = OnTheFlyAugment("mild", seed=3, banks=project_banks(demo.root))
    plain = ClipDataset(clips, labels)[0]["input_values"]
    dataset = ClipDataset(clips, labels, augment=augment)
    outputs = []
    for epoch in range(6):
        dataset.set_epoch(epoch)
        first = dataset[0]["input_values"]
        np.testing.assert_array_equal(first, dataset[0]["input_values"])
        outputs.append(first)
    # Gain alone is undone by normalization; noise or reverb (p=0.4, 0.25) changes the audio.
    changed = [not np.allclose(out, plain, atol=1e-4) for out in outputs]
    assert any(changed)
    assert any(not np.allclose(a, b, atol=1e-4) for a, b in itertools.pairwise(outputs))
