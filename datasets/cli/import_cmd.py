"""`voxcart import`: bring a folder, manifest or dataset directory into a project."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from voxcart.datasets.cli.options import DbOption, ProjectOption
from voxcart.datasets.cli.progress import progress_bar
from voxcart.datasets.ingest.engine import FORMATS, import_source
from voxcart.datasets.segment.cut import METHODS, SegmentConfig
from voxcart.datasets.segment.store import segment_recordings, select_recordings
from voxcart.datasets.store.project import open_project


def import_(
    source: Annotated[
        Path,
        typer.Argument(
            help="Folder of audio, CSV/TSV, NeMo JSONL, HF audiofolder, Kaldi dir or file."
        ),
    ],
    project_dir: ProjectOption = Path("."),
    db: DbOption = None,
    fmt: Annotated[
        str,
        typer.Option("--format", help=f"Source format: {', '.join(FORMATS)}."),
    ] = "auto",
    allow_root: Annotated[
        list[Path] | None,
        typer.Option("--allow-root", help="Folder manifest paths may point into (repeatable)."),
    ] = None,
    allow_outside: Annotated[
        bool, typer.Option("--allow-outside", help="Accept manifest paths anywhere.")
    ] = False,
    speaker: Annotated[
        str | None, typer.Option(help="Speaker of clips whose source names none.")
    ] = None,
    speaker_from: Annotated[
        str | None,
        typer.Option("--speaker-from", help="'parent': speaker = the file's parent folder name."),
    ] = None,
    tag: Annotated[
        list[str] | None, typer.Option("--tag", help="Tag added to every new clip (repeatable).")
    ] = None,
    no_transcripts: Annotated[
        bool, typer.Option("--no-transcripts", help="Ignore the source's transcripts.")
    ] = False,
    as_reference: Annotated[
        bool,
        typer.Option(
            "--as-reference",
            help="Store the source's transcripts as gold references for `voxcart eval "
            "--reference gold`, never as labels: the clips stay unlabelled, and clips already "
            "in the project (same audio) get their reference stored or updated.",
        ),
    ] = False,
    top: Annotated[int, typer.Option(help="Rejections listed in the summary.")] = 10,
    segment: Annotated[
        str | None,
        typer.Option(
            help=f"Cut the imported long recordings into query clips: {', '.join(METHODS)} "
            "(see `voxcart segment --help` for the finer options)."
        ),
    ] = None,
    segmentation: Annotated[
        Path | None,
        typer.Option(help="pyannote segmentation checkpoint (with --segment pyannote)."),
    ] = None,
) -> None:
    """Import audio (validated, deduplicated by content) and its transcripts into the project.

    With --as-reference the transcripts become gold references (evaluation only) instead of
    accepted labels.

    Manifest columns voxcart has no field for (a recording condition, a device model...) are kept
    per clip as metadata (at most 64 names; values up to 1,000 characters); the summary lists
    which columns were kept and which values were not, and why.
    """
    if as_reference and no_transcripts:
        raise typer.BadParameter(
            "--as-reference stores the transcripts and --no-transcripts ignores them; "
            "give one of the two",
            param_hint="--as-reference",
        )
    # Built first so that a bad --segment value fails before anything is imported.
    seg_config = SegmentConfig(method=segment) if segment else None
    project = open_project(project_dir, db)
    before = max(select_recordings(project), default=0)
    try:
        with progress_bar("importing") as advance:
            report = import_source(
                project,
                source,
                fmt=fmt,
                allowed_roots=tuple(allow_root or ()),
                allow_outside=allow_outside,
                speaker=speaker,
                speaker_from=speaker_from,
                tags=tuple(tag or ()),
                transcripts=not no_transcripts,
                as_reference=as_reference,
                progress=advance,
            )
        typer.echo(report.summary(top=top))
        if seg_config is not None:
            new_ids = select_recordings(project, [f"id>{before}"])
            with progress_bar("segmenting", total=len(new_ids)) as advance:
                seg = segment_recordings(
                    project,
                    new_ids,
                    seg_config,
                    segmentation=str(segmentation) if segmentation else None,
                    progress=advance,
                )
            typer.echo(seg.summary())
    finally:
        project.close()


def register(app: typer.Typer) -> None:
    """Add `voxcart import` to the root app."""
    app.command(name="import")(import_)
