"""Splits: a pure function of (seed, group); speaker-disjoint; derived clips follow; locks hold."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update

from tests.factories import add_recording
from voxcart.datasets.splits import assign_splits, group_key, split_for
from voxcart.datasets.store.config import SplitConfig
from voxcart.datasets.store.project import Project
from voxcart.datasets.store.schema import Clip, Split

keys = st.text(min_size=1, max_size=30)


@given(key=keys, seed=st.integers(0, 2**31))
def test_split_is_a_pure_function_of_seed_and_key(key: str, seed: int) -> None:
    config = SplitConfig(seed=seed)
    assert split_for(key, config) == split_for(key, SplitConfig(seed=seed))


@given(n=st.integers(200, 400), seed=st.integers(0, 1000))
@settings(max_examples=10, deadline=None)
def test_ratios_are_respected_roughly(n: int, seed: int) -> None:
    config = SplitConfig(seed=seed, train=0.6, dev=0.2, test=0.2)
    got = [split_for(f"speaker:{i}", config) for i in range(n)]
    assert 0.45 < got.count(Split.TRAIN) / n < 0.75
    assert got.count(Split.DEV) > 0 and got.count(Split.TEST) > 0


def test_group_key_falls_back_from_speaker_to_session_to_clip() -> None:
    assert group_key("ann", "s1", "c1") == "speaker:ann"
    assert group_key(None, "s1", "c1") == "session:s1"
    assert group_key(None, None, "c1") == "clip:c1"


def _populate(project: Project, speakers: int, per_speaker: int) -> None:
    with project.session() as s:
        rec = add_recording(s, "/x.wav", duration_s=60.0)
        for sp in range(speakers):
            for k in range(per_speaker):
                s.add(
                    Clip(
                        uid=f"s{sp}-{k}",
                        recording_id=rec.id,
                        offset_s=k,
                        duration_s=1.0,
                        speaker=f"spk{sp}",
                    )
                )


@given(seed=st.integers(0, 10_000))
@settings(max_examples=8, deadline=None)
def test_assigned_splits_are_speaker_disjoint_and_reproducible(tmp_path_factory, seed: int) -> None:
    from voxcart.datasets.store.project import init_project

    project = init_project(tmp_path_factory.mktemp("p"))
    _populate(project, speakers=12, per_speaker=3)
    config = SplitConfig(seed=seed)
    assign_splits(project, config)
    with project.session() as s:
        first = dict(s.execute(select(Clip.uid, Clip.split)).all())
        by_speaker: dict[str, set[Split]] = {}
        for speaker, split in s.execute(select(Clip.speaker, Clip.split)):
            by_speaker.setdefault(speaker, set()).add(split)
    assert all(len(v) == 1 for v in by_speaker.values())
    report = assign_splits(project, config)
    assert report.assigned == 0
    with project.session() as s:
        assert dict(s.execute(select(Clip.uid, Clip.split)).all()) == first
    project.close()


def test_derived_clips_follow_their_root(project: Project) -> None:
    _populate(project, speakers=6, per_speaker=1)
    with project.session() as s:
        parent = s.scalars(select(Clip).where(Clip.uid == "s0-0")).one()
        child = Clip(
            uid="aug",
            recording_id=parent.recording_id,
            duration_s=1.0,
            speaker="someone-else",
            parent_id=parent.id,
            origin="augment",
        )
        s.add(child)
        s.flush()
        s.add(
            Clip(
                uid="aug2",
                recording_id=parent.recording_id,
                duration_s=1.0,
                parent_id=child.id,
                origin="augment",
            )
        )
    for seed in range(5):
        assign_splits(project, SplitConfig(seed=seed))
        with project.session() as s:
            splits = dict(s.execute(select(Clip.uid, Clip.split)).all())
        assert splits["aug"] == splits["s0-0"] == splits["aug2"]


def test_locked_clips_never_move_silently(project: Project) -> None:
    _populate(project, speakers=20, per_speaker=1)
    assign_splits(project, SplitConfig(seed=1))
    with project.session() as s:
        s.execute(update(Clip).values(split_locked=True))
        before = dict(s.execute(select(Clip.uid, Clip.split)).all())
    report = assign_splits(project, SplitConfig(seed=2))
    assert report.locked_conflicts > 0 and report.assigned == 0
    assert any("--force" in w for w in report.warnings)
    with project.session() as s:
        assert dict(s.execute(select(Clip.uid, Clip.split)).all()) == before
    forced = assign_splits(project, SplitConfig(seed=2), force=True)
    assert forced.forced == report.locked_conflicts


def test_dry_run_writes_nothing(project: Project) -> None:
    _populate(project, speakers=4, per_speaker=2)
    report = assign_splits(project, dry_run=True)
    assert report.assigned == 8
    with project.session() as s:
        assert set(s.scalars(select(Clip.split))) == {None}
