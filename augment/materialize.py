"""Offline augmentation: augmented copies of a split's clips stored as new clips with lineage.

Each variant is a WAV under ``<project>/media/augment/<preset>/``, a Recording, and a Clip with
``parent_id`` set, ``origin="augment"``, the parent's split, tags plus ``aug:<preset>``, and a
lineage record of everything that made it. Its transcript is the parent's current one, copied
as a revision with ``source="augment-inherit"``. A variant is identified by (parent, preset,
copy index, seed[, test set]), so re-running adds only what is missing (and re-copies parent
transcripts that changed since); each parent's variants are committed together, so an
interrupted run resumes where it stopped.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from voxcart.augment.apply import Augmenter
from voxcart.augment.bank_cache import Banks, project_banks
from voxcart.augment.errors import AugmentConfigError, AugmentError, BankError
from voxcart.augment.presets import PipelineLike
from voxcart.datasets.errors import VoxcartError
from voxcart.datasets.ingest.store import recording_row
from voxcart.datasets.store.project import Project
from voxcart.datasets.store.revisions import TranscriptView, add_revision, current_transcripts
from voxcart.datasets.store.schema import Clip, Recording, Split

ORIGIN = "augment"
INHERIT_SOURCE = "augment-inherit"
MAX_COPIES = 100
_TEST_SET_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")
_CHUNK = 500

Progress = Callable[[int, int], None]
"""Called as ``progress(parents_done, parents_total)``."""


@dataclass(frozen=True)
class AugmentReport:
    """What one materialize run did.

    Attributes:
        preset: the pipeline's name.
        split: the split whose clips were augmented (``test`` for a test set).
        test_set: the name of the noisy evaluation set built, or None.
        parents: clips considered.
        created: variants added by this run.
        existing: variants already present (from an earlier run) and left as they were.
        refreshed: existing variants whose inherited transcript was updated to the parent's.
        failed: (parent clip id, reason) for each parent that could not be augmented.
        output_dir: where the WAVs are.
    """

    preset: str
    split: str
    test_set: str | None
    seed: int
    copies: int
    parents: int
    created: int
    existing: int
    refreshed: int
    failed: tuple[tuple[int, str], ...] = field(default_factory=tuple)
    output_dir: Path = Path()

    def summary(self) -> str:
        """One line for the CLI."""
        target = f"test set {self.test_set!r}" if self.test_set else f"split {self.split!r}"
        line = (
            f"{self.preset}: {self.created} variant(s) created, {self.existing} already present, "
            f"{self.refreshed} transcript(s) refreshed, from {self.parents} clip(s) of {target}"
        )
        if self.failed:
            line += f"; {len(self.failed)} clip(s) failed (first: clip {self.failed[0][0]}: "
            line += f"{self.failed[0][1]})"
        return line


@dataclass(frozen=True)
class _Parent:
    id: int
    uid: str
    path: str
    offset_s: float
    duration_s: float
    split: Split
    speaker: str | None
    session: str | None
    device: str | None
    locale: str
    tags: tuple[str, ...]
    meta: dict[str, Any]


def variant_uid(preset: str, seed: int, copy: int, parent_id: int, test_set: str | None) -> str:
    """The uid that identifies a variant (and makes re-runs idempotent)."""
    prefix = f"augtest-{test_set}-" if test_set else "aug-"
    return f"{prefix}{preset}-s{seed}-c{copy}-{parent_id}"


def check_arguments(copies: int, split: str, seed: int, as_test_set: str | None) -> Split:
    """The split whose clips :func:`materialize` would augment, when the arguments are valid.

    Raises:
        AugmentError: as :func:`materialize`.
    """
    if not isinstance(copies, int) or not 1 <= copies <= MAX_COPIES:
        raise AugmentError(f"copies={copies!r} must be an integer from 1 to {MAX_COPIES}")
    if not isinstance(seed, int) or seed < 0:
        raise AugmentError(f"seed={seed!r} must be a non-negative integer")
    if as_test_set is not None:
        if not _TEST_SET_NAME.match(as_test_set):
            raise AugmentError(
                f"as_test_set={as_test_set!r} must be 1-40 letters, digits, '-', '_' or '.', "
                "starting with a letter or digit"
            )
        return Split.TEST
    try:
        source = Split(split)
    except ValueError:
        raise AugmentError(f"split={split!r} must be one of train, dev, test") from None
    if source is not Split.TRAIN:
        raise AugmentError(
            f"split {source.value!r} is never augmented in place: augmented copies of "
            f"{source.value} "
            "clips would leak into evaluation. Augment 'train', or build a separate noisy "
            "evaluation set from the test clips with --as-test-set NAME (as_test_set='NAME')"
        )
    return source


def _parents(session: Session, split: Split) -> list[_Parent]:
    rows = session.execute(
        select(Clip, Recording.source_path)
        .join(Recording, Recording.id == Clip.recording_id)
        .where(Clip.split == split, Clip.origin != ORIGIN)
        .order_by(Clip.id)
    )
    return [
        _Parent(
            clip.id,
            clip.uid,
            path,
            clip.offset_s,
            clip.duration_s,
            split,
            clip.speaker,
            clip.session,
            clip.device,
            clip.locale,
            tuple(str(t) for t in clip.tags or ()),
            dict(clip.meta or {}),
        )
        for clip, path in rows
    ]


def _chunks(items: list[Any], size: int = _CHUNK) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _existing(session: Session, uids: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk in _chunks(uids):
        rows = session.execute(select(Clip.uid, Clip.id).where(Clip.uid.in_(chunk)))
        found.update((uid, clip_id) for uid, clip_id in rows)
    return found


def _transcripts(session: Session, ids: list[int]) -> dict[int, TranscriptView]:
    views: dict[int, TranscriptView] = {}
    for chunk in _chunks(ids):
        views.update(current_transcripts(session, chunk))
    return views


def _inherit(session: Session, clip_id: int, view: TranscriptView) -> None:
    add_revision(
        session,
        clip_id,
        view.verbatim,
        view.status,
        source=INHERIT_SOURCE,
        user_id=view.user_id,
        is_human=view.is_human,
        note=f"inherited from clip {view.clip_id} revision {view.revision_id}",
    )


def _differs(variant: TranscriptView | None, parent: TranscriptView) -> bool:
    if variant is None:
        return True
    return (variant.verbatim, variant.status, variant.is_human) != (
        parent.verbatim,
        parent.status,
        parent.is_human,
    )


class _Run:
    """State of one materialize call: the augmenter, the output folder, the counters."""

    def __init__(self, project: Project, augmenter: Augmenter, seed: int, test_set: str | None):
        self.project = project
        self.augmenter = augmenter
        self.preset = augmenter.config.name
        self.seed = seed
        self.test_set = test_set
        self.out_dir = project.media_dir / ORIGIN / self.preset
        self.created = 0

    def make_variants(
        self, parent: _Parent, copies: list[int], transcript: TranscriptView | None
    ) -> None:
        """Augment one parent into the missing copies and store them in one transaction."""
        from voxcart.datasets.audio import TARGET_SR, load_audio, write_wav
        from voxcart.datasets.ingest.validate import scan_file

        audio = load_audio(parent.path, parent.offset_s, parent.duration_s, sr=TARGET_SR)
        staged: list[tuple[int, str, Path, Any, dict[str, Any]]] = []
        for copy in copies:
            uid = variant_uid(self.preset, self.seed, copy, parent.id, self.test_set)
            result = self.augmenter(audio, TARGET_SR, [self.seed, parent.id, copy])
            path = write_wav(self.out_dir / f"{uid}.wav", result.audio, TARGET_SR)
            staged.append((copy, uid, path, scan_file(path), result.params))
        with self.project.session() as session:
            for copy, uid, path, scan, params in staged:
                recording_id = session.scalar(
                    select(Recording.id).where(Recording.content_hash == scan.content_hash)
                )
                if recording_id is not None:
                    # Identical audio is already stored (e.g. every transform skipped): reuse it.
                    path.unlink(missing_ok=True)
                else:
                    recording = recording_row(scan, ORIGIN)
                    session.add(recording)
                    session.flush()
                    recording_id = recording.id
                clip = self._clip(parent, copy, uid, recording_id, scan.info.duration_s, params)
                session.add(clip)
                session.flush()
                if transcript is not None:
                    _inherit(session, clip.id, transcript)
        self.created += len(staged)

    def _clip(
        self,
        parent: _Parent,
        copy: int,
        uid: str,
        recording_id: int,
        duration_s: float,
        params: dict[str, Any],
    ) -> Clip:
        tags = [*parent.tags, f"aug:{self.preset}"]
        if self.test_set:
            tags.append(f"testset:{self.test_set}")
        lineage = {
            "kind": ORIGIN,
            "preset": self.preset,
            "seed": self.seed,
            "copy": copy,
            "test_set": self.test_set,
            "parent_clip_id": parent.id,
            "parent_uid": parent.uid,
            "source": {
                "path": parent.path,
                "offset_s": parent.offset_s,
                "duration_s": parent.duration_s,
            },
            "bank_ids": params["bank_ids"],
            "params": params,
        }
        return Clip.derived_from(
            parent,
            uid=uid,
            recording_id=recording_id,
            offset_s=0.0,
            duration_s=duration_s,
            tags=list(dict.fromkeys(tags)),
            origin=ORIGIN,
            lineage=lineage,
        )


def materialize(
    project: Project,
    preset: PipelineLike,
    copies: int = 2,
    split: str = "train",
    seed: int = 0,
    as_test_set: str | None = None,
    progress: Progress | None = None,
    banks: Banks | None = None,
) -> AugmentReport:
    """Store `copies` augmented variants of every clip of a split (offline augmentation).

    Args:
        project: the open project.
        preset: a preset name, a pipeline ``.toml`` path, a table or a config.
        copies: variants per clip (each with its own seed stream).
        split: the split to augment; only ``train`` is augmented in place.
        seed: base seed; a variant's seed is (seed, parent clip id, copy index).
        as_test_set: build the named noisy evaluation set from the ``test`` clips instead
            (variants stay in ``test`` and are tagged ``testset:<name>``; `split` is ignored).
        progress: called as ``progress(done, total)`` after each parent clip.
        banks: noise and impulse-response banks; None uses the project's (default banks
            cached in ``<project>/cache/augment``).

    Raises:
        AugmentError: `split` is dev or test (without `as_test_set`), or an argument is invalid.
        AugmentConfigError: the preset or pipeline is invalid.
        BankError: a bank cannot be built or read.
    """
    source = check_arguments(copies, split, seed, as_test_set)
    augmenter = Augmenter(preset, banks if banks is not None else project_banks(project.root))
    run = _Run(project, augmenter, seed, as_test_set)
    with project.session() as session:
        parents = _parents(session, source)
        wanted = {
            p.id: [variant_uid(run.preset, seed, c, p.id, as_test_set) for c in range(copies)]
            for p in parents
        }
        existing = _existing(session, [uid for uids in wanted.values() for uid in uids])
        parent_views = _transcripts(session, [p.id for p in parents])
        variant_views = _transcripts(session, list(existing.values()))
        refreshed = 0
        for parent in parents:
            view = parent_views.get(parent.id)
            if view is None:
                continue
            for uid in wanted[parent.id]:
                variant_id = existing.get(uid)
                if variant_id is not None and _differs(variant_views.get(variant_id), view):
                    _inherit(session, variant_id, view)
                    refreshed += 1
    failed: list[tuple[int, str]] = []
    for done, parent in enumerate(parents, start=1):
        missing = [c for c, uid in enumerate(wanted[parent.id]) if uid not in existing]
        if missing:
            try:
                run.make_variants(parent, missing, parent_views.get(parent.id))
            except (BankError, AugmentConfigError):
                raise
            except (VoxcartError, OSError, SQLAlchemyError) as exc:
                failed.append((parent.id, str(exc).splitlines()[0][:300]))
        if progress is not None:
            progress(done, len(parents))
    return AugmentReport(
        preset=run.preset,
        split=source.value,
        test_set=as_test_set,
        seed=seed,
        copies=copies,
        parents=len(parents),
        created=run.created,
        existing=len(existing),
        refreshed=refreshed,
        failed=tuple(failed),
        output_dir=run.out_dir,
    )
