"""Project statistics: hours and clips by status, split and speaker; vocabulary; catalog terms."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field

from sqlalchemy import func, select

from voxcart.datasets.store.project import Project
from voxcart.datasets.store.references import references_by_source, references_by_split
from voxcart.datasets.store.revisions import latest_revision_ids
from voxcart.datasets.store.schema import Catalog, CatalogTerm, Clip, Recording, Revision

UNLABELED = "unlabeled"


@dataclass(frozen=True)
class ProjectStats:
    """A snapshot of what a project holds."""

    recordings: int
    clips: int
    hours: float
    clips_by_status: dict[str, int] = field(default_factory=dict)
    hours_by_status: dict[str, float] = field(default_factory=dict)
    clips_by_split: dict[str, int] = field(default_factory=dict)
    hours_by_split: dict[str, float] = field(default_factory=dict)
    clips_by_origin: dict[str, int] = field(default_factory=dict)
    speakers: int = 0
    top_speakers: tuple[tuple[str, int], ...] = ()
    vocabulary: int = 0
    """Distinct normalized words over current human transcripts."""
    running_words: int = 0
    catalog_terms: int = 0
    catalog_terms_covered: int = 0
    """Catalog entity terms that occur in at least one current transcript."""
    gold_references: int = 0
    """Clips with a gold reference (evaluation only; never counted as labelled)."""
    gold_by_split: dict[str, int] = field(default_factory=dict)
    gold_by_source: dict[str, int] = field(default_factory=dict)

    @property
    def catalog_coverage(self) -> float:
        """Share of catalog entity terms heard in the labelled data."""
        return self.catalog_terms_covered / self.catalog_terms if self.catalog_terms else 0.0

    def to_json(self) -> str:
        """The snapshot as JSON (for scripts and schedulers)."""
        data = asdict(self)
        data["catalog_coverage"] = round(self.catalog_coverage, 4)
        return json.dumps(data, indent=2, sort_keys=True)

    def to_text(self) -> str:
        """A readable multi-line summary."""
        lines = [
            f"recordings {self.recordings}, clips {self.clips}, {self.hours:.3f} h",
            "by status:  " + _fmt(self.clips_by_status, self.hours_by_status),
            "by split:   " + _fmt(self.clips_by_split, self.hours_by_split),
            "by origin:  " + ", ".join(f"{k} {v}" for k, v in sorted(self.clips_by_origin.items())),
            f"speakers:   {self.speakers}"
            + (
                " (top: " + ", ".join(f"{s} {n}" for s, n in self.top_speakers) + ")"
                if self.top_speakers
                else ""
            ),
            f"vocabulary: {self.vocabulary} words over {self.running_words} running words",
            f"gold refs:  {self.gold_references} clip(s)"
            + (
                " ("
                + ", ".join(f"{k} {v}" for k, v in sorted(self.gold_by_split.items()))
                + "; from "
                + ", ".join(f"{k} {v}" for k, v in sorted(self.gold_by_source.items()))
                + "; evaluation only, not labels)"
                if self.gold_references
                else " (import some with `voxcart import MANIFEST --as-reference`)"
            ),
        ]
        if self.catalog_terms:
            lines.append(
                f"catalog:    {self.catalog_terms_covered}/{self.catalog_terms} entity terms heard "
                f"({self.catalog_coverage:.1%})"
            )
        return "\n".join(lines)


def _fmt(counts: dict[str, int], hours: dict[str, float]) -> str:
    if not counts:
        return "-"
    return ", ".join(f"{k} {counts[k]} ({hours.get(k, 0.0):.3f} h)" for k in sorted(counts))


def project_stats(project: Project, top_speakers: int = 5) -> ProjectStats:
    """Compute statistics with aggregate queries (memory does not grow with the clip count
    except for the vocabulary, which is bounded by the language)."""
    latest = latest_revision_ids()
    with project.session() as session:
        recordings = session.scalar(select(func.count(Recording.id))) or 0
        clips, seconds = session.execute(
            select(func.count(Clip.id), func.coalesce(func.sum(Clip.duration_s), 0.0))
        ).one()
        status_rows = session.execute(
            select(Revision.status, func.count(Clip.id), func.sum(Clip.duration_s))
            .select_from(Clip)
            .outerjoin(latest, latest.c.clip_id == Clip.id)
            .outerjoin(Revision, Revision.id == latest.c.revision_id)
            .group_by(Revision.status)
        ).all()
        split_rows = session.execute(
            select(Clip.split, func.count(Clip.id), func.sum(Clip.duration_s)).group_by(Clip.split)
        ).all()
        origin_rows = session.execute(
            select(Clip.origin, func.count(Clip.id)).group_by(Clip.origin)
        )
        speaker_rows = session.execute(
            select(Clip.speaker, func.count(Clip.id))
            .where(Clip.speaker.is_not(None))
            .group_by(Clip.speaker)
            .order_by(func.count(Clip.id).desc(), Clip.speaker)
        ).all()
        gold_by_split = references_by_split(session)
        gold_by_source = references_by_source(session)
        terms = set(session.scalars(select(CatalogTerm.normalized).join(Catalog)).all())
        max_n = max((len(t.split()) for t in terms), default=0)
        words: Counter[str] = Counter()
        covered: set[str] = set()
        text_stmt = (
            select(Revision.normalized)
            .join(latest, latest.c.revision_id == Revision.id)
            .where(Revision.is_human.is_(True))
            .execution_options(yield_per=2000)
        )
        for text in session.scalars(text_stmt):
            tokens = text.split()
            words.update(tokens)
            if terms:
                covered.update(_ngrams(tokens, max_n) & terms)
    return ProjectStats(
        recordings=recordings,
        clips=clips,
        hours=round(seconds / 3600, 6),
        clips_by_status={_status(s): n for s, n, _ in status_rows},
        hours_by_status={_status(s): round((d or 0) / 3600, 6) for s, _, d in status_rows},
        clips_by_split={(s.value if s else "unassigned"): n for s, n, _ in split_rows},
        hours_by_split={
            (s.value if s else "unassigned"): round((d or 0) / 3600, 6) for s, _, d in split_rows
        },
        clips_by_origin={o: n for o, n in origin_rows},
        speakers=len(speaker_rows),
        top_speakers=tuple((str(s), n) for s, n in speaker_rows[:top_speakers]),
        vocabulary=len(words),
        running_words=sum(words.values()),
        catalog_terms=len(terms),
        catalog_terms_covered=len(covered),
        gold_references=sum(gold_by_split.values()),
        gold_by_split=gold_by_split,
        gold_by_source=gold_by_source,
    )


def _ngrams(tokens: list[str], max_n: int) -> set[str]:
    return {
        " ".join(tokens[i : i + n]) for n in range(1, max_n + 1) for i in range(len(tokens) - n + 1)
    }


def _status(value: object) -> str:
    return str(getattr(value, "value", value)) if value is not None else UNLABELED
