"""The same store code runs on PostgreSQL: migrations, revisions, splits and stats."""

from __future__ import annotations

from sqlalchemy import select

from tests.factories import add_recording
from voxcart.datasets.splits import assign_splits
from voxcart.datasets.store.migrate import current_revision, head_revision
from voxcart.datasets.store.project import Project
from voxcart.datasets.store.revisions import add_revision, current_transcripts
from voxcart.datasets.store.schema import Clip, RevisionStatus
from voxcart.datasets.store.stats import project_stats


def test_store_flows_on_postgresql(pg_project: Project) -> None:
    assert pg_project.engine.dialect.name == "postgresql"
    assert current_revision(pg_project.engine) == head_revision()
    with pg_project.session() as s:
        rec = add_recording(s, "/a.wav", duration_s=9.0)
        for i in range(9):
            clip = Clip(
                uid=f"c{i}",
                recording_id=rec.id,
                offset_s=i,
                duration_s=1.0,
                speaker=f"spk{i % 3}",
                tags=["demo"],
                lineage={"k": i},
            )
            s.add(clip)
            s.flush()
            add_revision(s, clip.id, f"Show me {i} Sony TVs", RevisionStatus.ACCEPTED)
    report = assign_splits(pg_project)
    assert report.assigned == 9
    stats = project_stats(pg_project)
    assert stats.clips == 9 and stats.speakers == 3
    assert stats.clips_by_status == {"accepted": 9}
    with pg_project.session() as s:
        ids = list(s.scalars(select(Clip.id)))
        assert len(current_transcripts(s, ids)) == 9
