"""Project statistics count what a data lead would count."""

from __future__ import annotations

import json

from tests.factories import add_recording
from voxcart.datasets.store.project import Project
from voxcart.datasets.store.revisions import add_revision
from voxcart.datasets.store.schema import (
    Catalog,
    CatalogTerm,
    Clip,
    RevisionStatus,
    Split,
)
from voxcart.datasets.store.stats import project_stats


def _fill(project: Project) -> None:
    with project.session() as s:
        rec = add_recording(s, "/a.wav", duration_s=3600.0)
        cat = Catalog(name="shop")
        s.add(cat)
        s.flush()
        s.add_all(
            [
                CatalogTerm(catalog_id=cat.id, kind="brand", term="Sony", normalized="sony"),
                CatalogTerm(
                    catalog_id=cat.id,
                    kind="model",
                    term="WH-1000XM5",
                    normalized="w h one thousand x m five",
                ),
                CatalogTerm(catalog_id=cat.id, kind="brand", term="Bose", normalized="bose"),
            ]
        )
        texts = ["Sony WH-1000XM5 headphones", "sony earbuds", None, "thousand five"]
        for i, text in enumerate(texts):
            clip = Clip(
                uid=f"c{i}",
                recording_id=rec.id,
                offset_s=i * 10,
                duration_s=900.0,
                speaker="ann" if i < 2 else "bob",
                split=Split.TRAIN if i else Split.TEST,
                origin="import",
            )
            s.add(clip)
            s.flush()
            if text is not None:
                add_revision(s, clip.id, text, RevisionStatus.ACCEPTED)
        add_revision(s, 4, "thousand five", RevisionStatus.SKIPPED)


def test_counts_by_status_split_speaker(project: Project) -> None:
    _fill(project)
    stats = project_stats(project)
    assert stats.clips == 4 and stats.recordings == 1
    assert stats.hours == 1.0
    assert stats.clips_by_status == {"accepted": 2, "skipped": 1, "unlabeled": 1}
    assert stats.clips_by_split == {"train": 3, "test": 1}
    assert stats.speakers == 2 and stats.top_speakers[0] == ("ann", 2)


def test_catalog_coverage_matches_whole_phrases(project: Project) -> None:
    _fill(project)
    stats = project_stats(project)
    # "sony" and the spoken model number are heard; "bose" is not; "thousand five" (a skipped
    # clip's text, and not the model phrase) must not count the model by accident.
    assert (stats.catalog_terms_covered, stats.catalog_terms) == (2, 3)
    data = json.loads(stats.to_json())
    assert data["catalog_coverage"] == round(2 / 3, 4)
    assert "2/3 entity terms" in stats.to_text()
