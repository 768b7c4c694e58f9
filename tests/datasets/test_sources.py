"""Format detection and each source's mapping of rows to items (no database involved)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import write_audio
from voxcart.datasets.errors import ManifestError
from voxcart.datasets.sources.common import ImportItem, Rejection, SourceContext
from voxcart.datasets.sources.detect import count_items, detect_format, iter_source
from voxcart.datasets.sources.kaldi import SortedTable

CTX = SourceContext()


def _items(
    source: Path, fmt: str = "auto", ctx: SourceContext = CTX
) -> list[ImportItem | Rejection]:
    return list(iter_source(source, fmt, ctx)[1])


def test_detect_format(tmp_path: Path) -> None:
    (tmp_path / "kaldi").mkdir()
    (tmp_path / "kaldi" / "wav.scp").write_text("")
    (tmp_path / "hf" / "train").mkdir(parents=True)
    (tmp_path / "hf" / "train" / "metadata.csv").write_text("file_name,text\n")
    (tmp_path / "plain").mkdir()
    for name in ("m.jsonl", "m.json", "m.csv", "m.tsv"):
        (tmp_path / name).write_text("")
    write_audio(tmp_path / "a.flac", seconds=0.2)
    got = {p.name: detect_format(p) for p in sorted(tmp_path.iterdir())}
    assert got == {
        "a.flac": "file",
        "hf": "hf",
        "kaldi": "kaldi",
        "m.csv": "csv",
        "m.json": "nemo",
        "m.jsonl": "nemo",
        "m.tsv": "tsv",
        "plain": "folder",
    }
    with pytest.raises(ManifestError, match="--format"):
        (tmp_path / "x.bin").write_text("")
        detect_format(tmp_path / "x.bin")
    with pytest.raises(ManifestError, match="not supported"):
        iter_source(tmp_path / "m.csv", "excel", CTX)
    with pytest.raises(ManifestError, match="needs a folder"):
        iter_source(tmp_path / "m.csv", "kaldi", CTX)


def test_csv_column_aliases_and_segments(tmp_path: Path) -> None:
    write_audio(tmp_path / "a" / "x.wav", seconds=0.5)
    (tmp_path / "m.csv").write_text(
        "Audio_Filepath,Sentence,Client_ID,offset,duration,id\n"
        "a/x.wav,hello there,spk1,0.1,0.3,u1\n"
        "a/x.wav,,,,,\n",
        encoding="utf-8",
    )
    first, second = _items(tmp_path / "m.csv")
    assert isinstance(first, ImportItem) and isinstance(second, ImportItem)
    assert first.path == (tmp_path / "a" / "x.wav").resolve()
    assert (first.transcript, first.speaker, first.offset_s, first.duration_s, first.uid) == (
        "hello there",
        "spk1",
        0.1,
        0.3,
        "u1",
    )
    assert (second.transcript, second.duration_s, second.uid) == (None, None, None)
    assert count_items(tmp_path / "m.csv", "csv") == 2


def test_csv_bad_numbers_and_missing_path_column(tmp_path: Path) -> None:
    (tmp_path / "m.csv").write_text("path,offset\nx.wav,soon\n,1\n")
    bad_number, no_path = _items(tmp_path / "m.csv")
    assert isinstance(bad_number, Rejection) and "offset" in bad_number.reason
    assert isinstance(no_path, Rejection) and no_path.code == "bad_row"
    (tmp_path / "n.csv").write_text("name,words\nx.wav,hi\n")
    with pytest.raises(ManifestError, match="no audio path column"):
        _items(tmp_path / "n.csv")


def test_common_voice_tsv_finds_files_in_clips(tmp_path: Path) -> None:
    write_audio(tmp_path / "clips" / "cv_1.mp3", seconds=0.5)
    (tmp_path / "train.tsv").write_text("client_id\tpath\tsentence\nabc\tcv_1.mp3\tHi there.\n")
    (item,) = _items(tmp_path / "train.tsv")
    assert isinstance(item, ImportItem)
    assert item.path == (tmp_path / "clips" / "cv_1.mp3").resolve()
    assert (item.speaker, item.transcript, item.source_format) == ("abc", "Hi there.", "tsv")


def test_nemo_jsonl_rows_and_bad_lines(tmp_path: Path) -> None:
    lines = [
        json.dumps({"audio_filepath": "x.wav", "duration": 0.5, "text": "one", "lang": "en-GB"}),
        "{not json",
        json.dumps([1, 2]),
        "",
        json.dumps({"audio_filepath": "x.wav", "offset": 0.1, "duration": 0.2, "speaker": 3}),
    ]
    (tmp_path / "m.jsonl").write_text("\n".join(lines) + "\n")
    got = _items(tmp_path / "m.jsonl")
    assert [type(g).__name__ for g in got] == ["ImportItem", "Rejection", "Rejection", "ImportItem"]
    assert got[0].locale == "en-GB" and got[0].source_format == "nemo"
    assert got[3].speaker == "3" and got[3].offset_s == 0.1
    (tmp_path / "arr.json").write_text("[{}]")
    with pytest.raises(ManifestError, match="JSON Lines"):
        _items(tmp_path / "arr.json")


def test_hf_audiofolder_with_splits(tmp_path: Path) -> None:
    (tmp_path / "train" / "data").mkdir(parents=True)
    (tmp_path / "test").mkdir()
    (tmp_path / "train" / "metadata.csv").write_text("file_name,transcription\ndata/a.wav,alpha\n")
    (tmp_path / "test" / "metadata.jsonl").write_text('{"file_name": "b.wav", "text": "beta"}\n')
    got = _items(tmp_path)
    assert [(g.path.name, g.transcript, g.lineage["hf_split"], g.source_format) for g in got] == [
        ("b.wav", "beta", "test", "hf"),
        ("a.wav", "alpha", "train", "hf"),
    ]
    assert count_items(tmp_path, "hf") == 2


def test_kaldi_dir_with_segments_text_and_speakers(tmp_path: Path) -> None:
    write_audio(tmp_path / "audio" / "r1.wav", seconds=1.0)
    (tmp_path / "wav.scp").write_text(
        "r1 audio/r1.wav\nr2 sox audio/r1.wav -t wav - |\nr3 gunzip -c x.gz |\n"
    )
    (tmp_path / "segments").write_text(
        "u1 r1 0.0 0.4\nu2 r1 0.4 -1\nu3 r2 0 0.5\nu4 r3 0 1\nu5 r9 0 1\nu6 r1 0.5 0.2\n"
    )
    (tmp_path / "text").write_text("u1 hello world\nu2 second\nu3 third\n")
    (tmp_path / "utt2spk").write_text("u1 s1\nu2 s1\nu3 s2\nu4 s2\n")
    got = _items(tmp_path)
    items = [g for g in got if isinstance(g, ImportItem)]
    rejected = [g for g in got if isinstance(g, Rejection)]
    assert [(i.uid, i.transcript, i.speaker, i.offset_s, i.duration_s) for i in items] == [
        ("u1", "hello world", "s1", 0.0, 0.4),
        ("u2", "second", "s1", 0.4, None),
        ("u3", "third", "s2", 0.0, 0.5),
    ]
    assert items[2].path == (tmp_path / "audio" / "r1.wav").resolve()
    reasons = " ".join(r.reason for r in rejected)
    assert (
        "command pipe" in reasons and "not in wav.scp" in reasons and "empty or negative" in reasons
    )


def test_kaldi_without_segments_and_unsorted_text(tmp_path: Path) -> None:
    (tmp_path / "wav.scp").write_text("b /abs/b.wav\na a.wav\n")
    (tmp_path / "text").write_text("b bee\na ay\n")
    got = _items(tmp_path, ctx=SourceContext(allow_outside=True))
    assert [(g.uid, g.transcript) for g in got] == [("b", "bee"), ("a", "ay")]


def test_sorted_table_streams_and_falls_back(tmp_path: Path) -> None:
    (tmp_path / "t").write_text("a 1\nb 2\nd 4\n")
    table = SortedTable(tmp_path / "t")
    assert [table.get(k) for k in ("a", "c", "d", "e")] == ["1", None, "4", None]
    assert table.get("b") == "2"  # an out-of-order query loads the table


def test_folder_walk_is_sorted_and_skips_hidden_and_non_audio(tmp_path: Path) -> None:
    for name in ("b/2.wav", "a/1.flac", ".hidden/3.wav", "notes.txt", "c/x.m4a"):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
    got = _items(tmp_path)
    assert [g.path.name for g in got] == ["1.flac", "2.wav", "x.m4a"]
