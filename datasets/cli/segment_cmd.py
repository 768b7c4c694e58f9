"""`voxcart segment`: cut long recordings into query clips and optionally label speakers."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from voxcart.datasets.cli.options import DbOption, ProjectOption
from voxcart.datasets.cli.progress import progress_bar
from voxcart.datasets.errors import SegmentationError
from voxcart.datasets.segment.cut import METHODS, SegmentConfig
from voxcart.datasets.segment.diarize import DiarizationConfig, load_speaker_map
from voxcart.datasets.segment.store import segment_recordings, select_recordings
from voxcart.datasets.store.project import open_project

_DEFAULTS = SegmentConfig()
_PYANNOTE_PANEL = "pyannote models (local paths)"


def segment(
    project_dir: ProjectOption = Path("."),
    db: DbOption = None,
    where: Annotated[
        list[str] | None,
        typer.Option(
            help="Only recordings matching FIELD OP VALUE (repeatable), e.g. duration_s>=60, "
            "path~*/sessions/*, id=3."
        ),
    ] = None,
    method: Annotated[
        str, typer.Option(help=f"Voice-activity backend: {', '.join(METHODS)} (vad = silero-vad).")
    ] = _DEFAULTS.method,
    threshold: Annotated[
        float, typer.Option(help="Speech probability threshold (vad, pyannote).")
    ] = _DEFAULTS.threshold,
    min_clip: Annotated[
        float, typer.Option(help="Drop speech shorter than this many seconds.")
    ] = _DEFAULTS.min_clip_s,
    max_clip: Annotated[
        float, typer.Option(help="Split longer speech at its quietest point (seconds).")
    ] = _DEFAULTS.max_clip_s,
    pad: Annotated[
        float, typer.Option(help="Silence kept around each clip's speech (seconds).")
    ] = _DEFAULTS.pad_s,
    merge_gap: Annotated[
        float, typer.Option(help="Pauses shorter than this stay inside one clip (seconds).")
    ] = _DEFAULTS.merge_gap_s,
    diarize: Annotated[
        bool, typer.Option("--diarize", help="Label each clip's speaker with pyannote.")
    ] = False,
    segmentation: Annotated[
        str | None,
        typer.Option(
            help="pyannote segmentation checkpoint (file or folder).",
            rich_help_panel=_PYANNOTE_PANEL,
        ),
    ] = None,
    embedding: Annotated[
        str | None,
        typer.Option(
            help="pyannote speaker-embedding checkpoint (file or folder).",
            rich_help_panel=_PYANNOTE_PANEL,
        ),
    ] = None,
    plda: Annotated[
        str | None,
        typer.Option(
            help="PLDA folder (xvec_transform.npz, plda.npz).", rich_help_panel=_PYANNOTE_PANEL
        ),
    ] = None,
    num_speakers: Annotated[
        int | None, typer.Option(help="Exact speakers per recording, when known.")
    ] = None,
    max_speakers: Annotated[
        int | None, typer.Option(help="At most this many speakers per recording.")
    ] = None,
    speaker_map: Annotated[
        Path | None,
        typer.Option(help='JSON {"<recording key>:SPEAKER_00": "alice"} naming known speakers.'),
    ] = None,
) -> None:
    """Cut long recordings into query clips (offsets, no re-encoding); optionally diarize."""
    config = SegmentConfig(
        method=method,
        threshold=threshold,
        min_clip_s=min_clip,
        max_clip_s=max_clip,
        pad_s=pad,
        merge_gap_s=merge_gap,
    )
    diarization = None
    if diarize:
        if not (segmentation and embedding and plda):
            raise SegmentationError(
                "--diarize needs --segmentation, --embedding and --plda (local pyannote files; "
                "see the README section on pyannote pipelines)"
            )
        diarization = DiarizationConfig(
            segmentation=segmentation,
            embedding=embedding,
            plda=plda,
            num_speakers=num_speakers,
            max_speakers=max_speakers,
            token=os.environ.get("HF_TOKEN"),
        )
    mapping = load_speaker_map(speaker_map) if speaker_map else None
    project = open_project(project_dir, db)
    try:
        ids = select_recordings(project, where or [])
        with progress_bar("segmenting", total=len(ids)) as advance:
            report = segment_recordings(
                project,
                ids,
                config,
                segmentation=segmentation,
                diarization=diarization,
                speaker_map=mapping,
                progress=advance,
            )
    finally:
        project.close()
    typer.echo(report.summary())
    if report.failures and not report.segmented and not report.skipped:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add `voxcart segment` to the app."""
    app.command("segment")(segment)
