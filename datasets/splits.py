"""Deterministic, leak-free train/dev/test splits.

A clip's split is a pure function of (seed, grouping id): the speaker where known, else the
session, else the clip itself. Whole speakers land in one split, so no voice leaks from train
into evaluation, and adding new speakers never moves existing ones. Derived clips (augmented,
segmented, nudged) follow their root clip. Clips already exported in a dataset version are
locked: a different split for them is reported and applied only with ``force``.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select, update

from voxcart.datasets.store.config import SplitConfig
from voxcart.datasets.store.project import Project
from voxcart.datasets.store.schema import Clip, Split

_UPDATE_BATCH = 500


def group_key(speaker: str | None, session: str | None, uid: str) -> str:
    """The id a clip is grouped by: speaker, else session, else the clip itself."""
    if speaker:
        return f"speaker:{speaker}"
    if session:
        return f"session:{session}"
    return f"clip:{uid}"


def unit_hash(seed: int, key: str) -> float:
    """A uniform number in [0, 1) that depends only on (seed, key)."""
    digest = hashlib.sha256(f"{seed}\x1f{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def split_for(key: str, config: SplitConfig) -> Split:
    """The split of a grouping id under a split config (pure and stable)."""
    u = unit_hash(config.seed, key)
    if u < config.train:
        return Split.TRAIN
    if u < config.train + config.dev:
        return Split.DEV
    return Split.TEST


@dataclass(frozen=True)
class _ClipKey:
    id: int
    parent_id: int | None
    key: str
    split: Split | None
    locked: bool
    duration_s: float


@dataclass(frozen=True)
class SplitReport:
    """What `assign_splits` did."""

    assigned: int
    """Clips whose split was set or changed."""
    unchanged: int
    locked_conflicts: int
    """Locked clips whose computed split differs (kept unless forced)."""
    forced: int
    """Locked clips moved because ``force`` was given."""
    groups: dict[str, int] = field(default_factory=dict)
    """Number of grouping ids per split."""
    clips: dict[str, int] = field(default_factory=dict)
    hours: dict[str, float] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    def summary(self, warnings: bool = True) -> str:
        """A few human-readable lines (with a ``warning:`` line per warning unless
        `warnings` is False, for callers that print warnings on their own)."""
        lines = [
            f"assigned {self.assigned} clip(s), {self.unchanged} unchanged, "
            f"{self.locked_conflicts} locked conflict(s), {self.forced} forced"
        ]
        for name in (s.value for s in Split):
            lines.append(
                f"  {name:<5} {self.clips.get(name, 0):>7} clips"
                f"  {self.hours.get(name, 0.0):8.3f} h  {self.groups.get(name, 0):>5} groups"
            )
        if warnings:
            lines.extend(f"warning: {w}" for w in self.warnings)
        return "\n".join(lines)


def _load_keys(project: Project) -> list[_ClipKey]:
    stmt = select(
        Clip.id,
        Clip.parent_id,
        Clip.speaker,
        Clip.session,
        Clip.uid,
        Clip.split,
        Clip.split_locked,
        Clip.duration_s,
    ).order_by(Clip.id)
    with project.session() as session:
        return [
            _ClipKey(
                r.id,
                r.parent_id,
                group_key(r.speaker, r.session, r.uid),
                r.split,
                r.split_locked,
                r.duration_s,
            )
            for r in session.execute(stmt)
        ]


def _root_keys(clips: Iterable[_ClipKey]) -> dict[int, str]:
    """Map every clip id to the grouping id of its root ancestor (derived clips follow it)."""
    by_id = {c.id: c for c in clips}
    resolved: dict[int, str] = {}
    for clip in by_id.values():
        chain: list[int] = []
        current: _ClipKey | None = clip
        while current is not None and current.id not in resolved:
            chain.append(current.id)
            if len(chain) > len(by_id):  # only a corrupted store can hold a cycle
                raise RuntimeError(f"clip {clip.id} has a cyclic parent chain")
            parent = by_id.get(current.parent_id) if current.parent_id is not None else None
            if parent is None:
                resolved[current.id] = current.key
                chain.pop()
                break
            current = parent
        key = resolved[current.id] if current is not None else clip.key
        for clip_id in chain:
            resolved[clip_id] = key
    return resolved


def assign_splits(
    project: Project,
    config: SplitConfig | None = None,
    *,
    force: bool = False,
    dry_run: bool = False,
) -> SplitReport:
    """Assign every clip its split under `config` (default: the project's).

    Args:
        project: the open project.
        config: seed and ratios; defaults to ``project.config.split``.
        force: also move clips locked by an earlier export (reported as ``forced``).
        dry_run: compute and report, write nothing.
    """
    config = config or project.config.split
    clips = _load_keys(project)
    roots = _root_keys(clips)
    changes: dict[Split, list[int]] = {s: [] for s in Split}
    conflicts = forced = unchanged = 0
    group_sets: dict[str, set[str]] = {s.value: set() for s in Split}
    counts: Counter[str] = Counter()
    hours: dict[str, float] = {}
    for clip in clips:
        key = roots[clip.id]
        target = split_for(key, config)
        final = target
        if clip.split == target:
            unchanged += 1
        elif clip.locked and clip.split is not None:
            conflicts += 1
            if force:
                forced += 1
                changes[target].append(clip.id)
            else:
                final = clip.split
        else:
            changes[target].append(clip.id)
        group_sets[final.value].add(key)
        counts[final.value] += 1
        hours[final.value] = hours.get(final.value, 0.0) + clip.duration_s / 3600
    if not dry_run:
        with project.session() as session:
            for split, ids in changes.items():
                for start in range(0, len(ids), _UPDATE_BATCH):
                    batch = ids[start : start + _UPDATE_BATCH]
                    session.execute(update(Clip).where(Clip.id.in_(batch)).values(split=split))
    warnings = _warnings(config, counts, conflicts, force)
    return SplitReport(
        assigned=sum(len(v) for v in changes.values()),
        unchanged=unchanged,
        locked_conflicts=conflicts,
        forced=forced,
        groups={k: len(v) for k, v in group_sets.items()},
        clips=dict(counts),
        hours={k: round(v, 6) for k, v in hours.items()},
        warnings=warnings,
    )


def _warnings(
    config: SplitConfig, counts: Counter[str], conflicts: int, force: bool
) -> tuple[str, ...]:
    out: list[str] = []
    total = sum(counts.values())
    if total:
        for split in Split:
            wanted = getattr(config, split.value)
            if wanted > 0 and counts.get(split.value, 0) == 0:
                out.append(
                    f"split {split.value!r} is empty (ratio {wanted}); with few speakers try "
                    "another --seed or add speakers"
                )
    if conflicts and not force:
        out.append(
            f"{conflicts} clip(s) are locked by an earlier export and kept in their split; "
            "re-run with --force to move them (the next export then differs from the last)"
        )
    return tuple(out)
