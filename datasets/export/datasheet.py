"""Datasheets: what an exported dataset holds, per split, written beside it as JSON and Markdown.

Per split: clips, hours, speakers, vocabulary and running words; for dev/test the share of
running words never heard in train (classic OOV); and where the project has a product catalog,
how well the split covers it: catalog words absent from the split (catalog OOV), catalog
entity terms that occur, and the share of clips naming at least one entity. Statistics use the
normalized transcripts whatever text the export writes, with the same term matching as
``voxcart stats``. Clip metadata (manifest columns kept at import) is summarised per name:
clips carrying it, distinct values and the most common ones, and whether the format carries it.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from voxcart.datasets.atomic import atomic_open
from voxcart.datasets.export.rows import ExportRow
from voxcart.datasets.store.schema import Catalog, CatalogTerm

JSON_NAME = "datasheet.json"
MARKDOWN_NAME = "datasheet.md"
META_TOP_VALUES = 5
"""Most common values listed per metadata name."""
META_DISTINCT_CAP = 1000
"""Distinct values counted per metadata name (memory stays bounded on free-text columns)."""
NO_META_FORMATS: dict[str, str] = {
    "kaldi": "Kaldi data directories have no per-utterance field for it; export nemo, hf, "
    "lhotse, csv or parquet to keep it",
}
"""Formats that cannot carry clip metadata, and why."""


@dataclass(frozen=True)
class MetaSheet:
    """One clip metadata name over the export.

    Attributes:
        clips: exported clips with a value.
        distinct: distinct values (counting stops at META_DISTINCT_CAP).
        top: the most common values with their clip counts.
    """

    clips: int
    distinct: int
    top: list[tuple[str, int]]


@dataclass(frozen=True)
class SplitSheet:
    """Statistics of one split.

    Attributes:
        clips: exported clips.
        reviewed: of those, clips whose transcript a reviewer approved or edited.
        hours: their total duration.
        speakers: distinct speakers (clips without one are not counted).
        vocabulary: distinct words.
        running_words: words in total.
        train_oov_rate: share of running words that never occur in train (None for train).
        catalog_oov_words: catalog words that never occur in this split.
        catalog_oov_rate: ``catalog_oov_words`` over the catalog's distinct words.
        catalog_terms_covered: catalog entity terms that occur at least once.
        catalog_coverage: ``catalog_terms_covered`` over all catalog entity terms.
        clips_with_entity: share of clips that name at least one catalog entity term.
    """

    clips: int
    hours: float
    speakers: int
    vocabulary: int
    running_words: int
    train_oov_rate: float | None = None
    catalog_oov_words: int | None = None
    catalog_oov_rate: float | None = None
    catalog_terms_covered: int | None = None
    catalog_coverage: float | None = None
    clips_with_entity: float | None = None
    reviewed: int = 0


@dataclass(frozen=True)
class Datasheet:
    """The datasheet of one export."""

    name: str
    format: str
    content_hash: str
    params: dict[str, Any]
    splits: dict[str, SplitSheet]
    catalog_terms: int | None = None
    """Entity terms over the project's catalogs (None: the project has no catalog)."""
    skipped: list[str] = field(default_factory=list)
    """Clips left out because their audio could not be cut, with the reason."""
    metadata: dict[str, MetaSheet] = field(default_factory=dict)
    """Clip metadata by name, in order of first appearance."""
    metadata_note: str = ""
    """Why the format does not carry the metadata (empty when it does)."""

    @property
    def clips(self) -> int:
        """Clips over all splits."""
        return sum(s.clips for s in self.splits.values())

    @property
    def reviewed(self) -> int:
        """Reviewed clips over all splits."""
        return sum(s.reviewed for s in self.splits.values())

    @property
    def hours(self) -> float:
        """Hours over all splits."""
        return round(sum(s.hours for s in self.splits.values()), 6)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able form (stored on the dataset version)."""
        data = asdict(self)
        data["clips"] = self.clips
        data["hours"] = self.hours
        data["reviewed"] = self.reviewed
        return data

    def to_markdown(self) -> str:
        """A human-readable datasheet."""
        lines = [
            f"# Datasheet: {self.name}",
            "",
            f"- format: `{self.format}`",
            f"- clips: {self.clips}, hours: {self.hours:.3f}",
            f"- reviewed (approved or edited by a reviewer): {self.reviewed} of {self.clips}",
            f"- content hash (sha256 of the rows): `{self.content_hash}`",
            f"- options: {', '.join(f'{k}={v}' for k, v in sorted(self.params.items()))}",
        ]
        if self.catalog_terms is not None:
            lines.append(f"- catalog entity terms: {self.catalog_terms}")
        lines += [
            "",
            "| split | clips | reviewed | hours | speakers | vocabulary | running words "
            "| OOV vs train | catalog OOV words | catalog terms covered | clips with entity |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for name, s in self.splits.items():
            lines.append(
                f"| {name} | {s.clips} | {s.reviewed} | {s.hours:.3f} | {s.speakers} "
                f"| {s.vocabulary} "
                f"| {s.running_words} | {_pct(s.train_oov_rate)} "
                f"| {_count_pct(s.catalog_oov_words, s.catalog_oov_rate)} "
                f"| {_count_pct(s.catalog_terms_covered, s.catalog_coverage)} "
                f"| {_pct(s.clips_with_entity)} |"
            )
        lines += [
            "",
            "Statistics use normalized transcripts. *OOV vs train*: share of running words never "
            "heard in train. *Catalog OOV words*: catalog words that never occur in the split. "
            "*Catalog terms covered*: catalog entity terms (brands, product types, models, "
            "attributes) that occur at least once. *Clips with entity*: share of clips naming "
            "at least one catalog term.",
        ]
        if self.metadata:
            lines += ["", "## Clip metadata", ""]
            if self.metadata_note:
                lines += [f"Not in this export: {self.metadata_note}.", ""]
            lines += ["| name | clips | distinct values | most common |", "|---|---:|---:|---|"]
            for name, m in self.metadata.items():
                common = ", ".join(f"{_cell(v)} ({n})" for v, n in m.top)
                more = "+" if m.distinct >= META_DISTINCT_CAP else ""
                lines.append(f"| {_cell(name)} | {m.clips} | {m.distinct}{more} | {common} |")
        if self.skipped:
            lines += ["", f"## Skipped clips ({len(self.skipped)})", ""]
            lines += [f"- {reason}" for reason in self.skipped[:100]]
            if len(self.skipped) > 100:
                lines.append(f"- ... and {len(self.skipped) - 100} more (see datasheet.json)")
        return "\n".join(lines) + "\n"

    def write(self, folder: Path) -> Path:
        """Write datasheet.json and datasheet.md into `folder`; return the JSON path."""
        with atomic_open(folder / JSON_NAME) as handle:
            json.dump(self.to_dict(), handle, indent=2, ensure_ascii=False, sort_keys=True)
            handle.write("\n")
        with atomic_open(folder / MARKDOWN_NAME) as handle:
            handle.write(self.to_markdown())
        return folder / JSON_NAME


def _cell(text: str) -> str:
    # Values are untrusted text: keep them on one table row.
    return text[:40].replace("|", "\\|").replace("`", "'")


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _count_pct(count: int | None, rate: float | None) -> str:
    return "-" if count is None else f"{count} ({_pct(rate)})"


def catalog_terms(session: Session) -> frozenset[str] | None:
    """The normalized entity terms of every catalog in the project; None without a catalog."""
    if session.scalar(select(Catalog.id).limit(1)) is None:
        return None
    return frozenset(session.scalars(select(CatalogTerm.normalized).distinct()).all())


@dataclass
class _SplitTally:
    clips: int = 0
    seconds: float = 0.0
    speakers: set[str] = field(default_factory=set)
    words: Counter[str] = field(default_factory=Counter)
    covered: set[str] = field(default_factory=set)
    clips_with_entity: int = 0
    reviewed: int = 0


class DatasheetBuilder:
    """Accumulates split statistics row by row (memory bounded by vocabulary and speakers).

    Args:
        terms: the catalog's normalized entity terms, or None when there is no catalog.
    """

    def __init__(self, terms: frozenset[str] | None) -> None:
        self._terms = terms
        self._max_n = max((len(t.split()) for t in terms or ()), default=0)
        self._splits: dict[str, _SplitTally] = {}
        self._meta: dict[str, Counter[str]] = {}

    def add(self, row: ExportRow) -> None:
        """Count one exported row."""
        for name, value in row.meta.items():
            values = self._meta.setdefault(name, Counter())
            if value in values or len(values) < META_DISTINCT_CAP:
                values[value] += 1
            else:
                values[""] += 1  # counted under "other values" once the cap is reached
        tally = self._splits.get(row.split)
        if tally is None:
            tally = self._splits[row.split] = _SplitTally()
        tally.clips += 1
        tally.reviewed += row.reviewed
        tally.seconds += row.duration_s
        if row.speaker:
            tally.speakers.add(row.speaker)
        tokens = row.normalized.split()
        tally.words.update(tokens)
        if self._terms:
            found = _ngrams(tokens, self._max_n) & self._terms
            if found:
                tally.covered.update(found)
                tally.clips_with_entity += 1

    def build(
        self,
        *,
        name: str,
        fmt: str,
        content_hash: str,
        params: dict[str, Any],
        skipped: list[str],
    ) -> Datasheet:
        """The finished datasheet (splits in train, dev, test order)."""
        train = self._splits.get("train")
        catalog_words = (
            frozenset(w for t in self._terms for w in t.split())
            if self._terms is not None
            else None
        )
        order = ["train", "dev", "test"]
        names = sorted(self._splits, key=lambda s: (order.index(s) if s in order else 9, s))
        sheets = {n: self._sheet(n, self._splits[n], train, catalog_words) for n in names}
        return Datasheet(
            name=name,
            format=fmt,
            content_hash=content_hash,
            params=params,
            splits=sheets,
            catalog_terms=len(self._terms) if self._terms is not None else None,
            skipped=list(skipped),
            metadata={
                name: MetaSheet(
                    clips=sum(values.values()),
                    distinct=sum(1 for v in values if v),
                    top=[(v, n) for v, n in values.most_common(META_TOP_VALUES + 1) if v][
                        :META_TOP_VALUES
                    ],
                )
                for name, values in self._meta.items()
            },
            metadata_note=NO_META_FORMATS.get(fmt, "") if self._meta else "",
        )

    def _sheet(
        self,
        name: str,
        tally: _SplitTally,
        train: _SplitTally | None,
        catalog_words: frozenset[str] | None,
    ) -> SplitSheet:
        running = sum(tally.words.values())
        oov: float | None = None
        if name != "train" and running:
            seen = train.words if train is not None else Counter()
            oov = round(sum(n for w, n in tally.words.items() if w not in seen) / running, 6)
        sheet = SplitSheet(
            clips=tally.clips,
            hours=round(tally.seconds / 3600, 6),
            speakers=len(tally.speakers),
            vocabulary=len(tally.words),
            running_words=running,
            train_oov_rate=oov,
            reviewed=tally.reviewed,
        )
        if self._terms is None or catalog_words is None:
            return sheet
        missing = sum(1 for w in catalog_words if w not in tally.words)
        return SplitSheet(
            **{
                **asdict(sheet),
                "catalog_oov_words": missing,
                "catalog_oov_rate": round(missing / len(catalog_words), 6)
                if catalog_words
                else 0.0,
                "catalog_terms_covered": len(tally.covered),
                "catalog_coverage": (
                    round(len(tally.covered) / len(self._terms), 6) if self._terms else 0.0
                ),
                "clips_with_entity": round(tally.clips_with_entity / tally.clips, 6),
            }
        )


def _ngrams(tokens: list[str], max_n: int) -> set[str]:
    return {
        " ".join(tokens[i : i + n]) for n in range(1, max_n + 1) for i in range(len(tokens) - n + 1)
    }
