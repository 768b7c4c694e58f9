"""Builders for export tests: recordings, clips and revisions written straight into a project."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from tests import factories
from tests.conftest import write_audio
from voxcart.datasets.store.revisions import add_revision
from voxcart.datasets.store.schema import Clip, Recording, RevisionStatus, Split


def add_recording(
    session: Session,
    path: Path,
    seconds: float = 1.0,
    sr: int = 16_000,
    channels: int = 1,
    seed: int = 0,
) -> Recording:
    """Write a tone file at `path` (format from its suffix) and register it."""
    write_audio(path, seconds=seconds, sr=sr, channels=channels, seed=seed)
    return factories.add_recording_file(session, path)


def add_clip(
    session: Session,
    recording: Recording,
    uid: str,
    text: str | None,
    *,
    speaker: str | None = "spk1",
    split: str | None = "train",
    status: RevisionStatus = RevisionStatus.ACCEPTED,
    offset: float = 0.0,
    duration: float | None = None,
    is_human: bool = True,
    parent: Clip | None = None,
    locale: str = "en-US",
    user_id: int | None = None,
    suggestion_id: int | None = None,
    source: str = "human",
) -> Clip:
    """A clip of `recording` with one revision (none when `text` is None)."""
    clip = factories.add_clip(
        session,
        recording,
        uid,
        offset_s=offset,
        duration_s=duration,
        speaker=speaker,
        locale=locale,
        split=Split(split) if split else None,
        parent_id=parent.id if parent is not None else None,
    )
    if text is not None:
        add_revision(
            session,
            clip.id,
            text,
            status,
            is_human=is_human,
            user_id=user_id,
            suggestion_id=suggestion_id,
            source=source,
        )
    return clip


def labelled_project(session: Session, audio_dir: Path) -> dict[str, Clip]:
    """A small project: two WAV recordings (train/dev speakers) and a FLAC one (test).

    Returns the clips by uid: c1, c2 (train, one recording, two spans), c3 (dev, verbatim with
    punctuation and a formula-like start), c4 (test, FLAC at 22.05 kHz), plus c5 (skipped),
    c6 (pseudo-label) that default exports leave out.
    """
    r1 = add_recording(session, audio_dir / "r1.wav", 2.0, seed=1)
    r2 = add_recording(session, audio_dir / "r2.wav", 1.0, seed=2)
    r3 = add_recording(session, audio_dir / "r3.flac", 1.0, sr=22_050, seed=3)
    r4 = add_recording(session, audio_dir / "r4.wav", 1.0, seed=4)
    clips = {
        "c1": add_clip(session, r1, "c1", "Sony headphones", offset=0.0, duration=1.0),
        "c2": add_clip(session, r1, "c2", "under $50", offset=1.0, duration=1.0),
        "c3": add_clip(
            session, r2, "c3", '=HYPERLINK("x"), "quoted"', speaker="anna lee", split="dev"
        ),
        "c4": add_clip(session, r3, "c4", "PS5 controller", speaker="bo", split="test"),
        "c5": add_clip(
            session, r4, "c5", "", status=RevisionStatus.SKIPPED, offset=0.0, duration=0.5
        ),
        "c6": add_clip(
            session,
            r4,
            "c6",
            "pseudo label",
            is_human=False,
            offset=0.5,
            duration=0.5,
            source="model:x",
        ),
    }
    return clips
