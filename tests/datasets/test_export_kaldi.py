"""Kaldi data dirs: sorted files, speaker-prefixed utterance ids, WAV-only audio."""

from __future__ import annotations

from pathlib import Path

import soundfile as sf

from tests.datasets.export_helpers import add_clip, add_recording, labelled_project
from voxcart.datasets.export.exporter import ExportOptions, export_dataset
from voxcart.datasets.export.kaldi import SORTED_FILES
from voxcart.datasets.store.project import Project
from voxcart.datasets.text.kaldi_ids import kaldi_id, kaldi_unescape

KALDI_FILES = ("wav.scp", "segments", "text", "utt2spk", "spk2utt", "utt2dur")


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def _c_sorted(lines: list[str]) -> bool:
    encoded = [line.encode("utf-8") for line in lines]  # LC_ALL=C compares bytes
    return encoded == sorted(encoded)


def test_kaldi_id_escapes_whitespace_and_low_characters() -> None:
    assert kaldi_id("anna") == "anna"
    assert kaldi_id("anna lee") == "anna=20lee"
    assert kaldi_id("a-b") == "a=2Db"
    assert kaldi_id("x=y") == "x=3Dy"
    assert kaldi_id("zoë\u3000") == "zoë=E3=80=80"
    for name in ("anna lee", "a-b", "x=y", "zoë\u3000", "=ZZ", "plain"):
        assert kaldi_unescape(kaldi_id(name)) == name


def test_data_dir_files_sorted_and_consistent(project: Project, tmp_path: Path) -> None:
    with project.session() as session:
        rec = add_recording(session, tmp_path / "audio" / "long.wav", 3.0, seed=7)
        # Speakers chosen so that naive "<spk>-<utt>" ids would sort out of speaker order.
        speakers = ["a", "a-b", "a b", "ab", "A", "a.b"]
        for i, spk in enumerate(speakers):
            add_clip(
                session,
                rec,
                f"u{9 - i}",
                f"word{i} two\nlines",
                speaker=spk,
                offset=i * 0.4,
                duration=0.4,
            )
        add_clip(session, rec, "nospk", "alone", speaker=None, offset=2.5, duration=0.4)
    result = export_dataset(project, tmp_path / "out", "kaldi", ExportOptions(text="verbatim"))
    train = result.path / "train"
    for name in (*KALDI_FILES, *SORTED_FILES):
        assert _c_sorted(_lines(train / name)), name
    assert len(_lines(train / "wav.scp")) == 1  # one recording, listed once
    utt2spk = [line.split() for line in _lines(train / "utt2spk")]
    assert all(utt.startswith(spk) for utt, spk in utt2spk)
    # spk2utt lists exactly the utt2spk pairs, each speaker once, in the same order.
    spk2utt = [line.split() for line in _lines(train / "spk2utt")]
    assert [s[0] for s in spk2utt] == sorted({spk for _u, spk in utt2spk})
    assert [(u, s[0]) for s in spk2utt for u in s[1:]] == [(u, s) for u, s in utt2spk]
    text = dict(line.split(" ", 1) for line in _lines(train / "text"))
    assert text["a=20b-u7"] == "word2 two lines"  # newline folded into a space
    segments = {line.split()[0]: line.split()[1:] for line in _lines(train / "segments")}
    assert segments["a=2Db-u8"][1:] == ["0.4", "0.8"]
    assert "nospk nospk" in _lines(train / "utt2spk")


def test_non_wav_recordings_are_materialized(project: Project, tmp_path: Path) -> None:
    with project.session() as session:
        labelled_project(session, tmp_path / "audio")
        stereo = add_recording(session, tmp_path / "audio" / "st.wav", 1.0, channels=2, seed=12)
        add_clip(session, stereo, "st", "stereo clip", speaker="bo", split="test")
    result = export_dataset(project, tmp_path / "out", "kaldi")
    test_scp = dict(line.split(" ", 1) for line in _lines(result.path / "test" / "wav.scp"))
    # c4 is a 22.05 kHz FLAC and st a stereo WAV: both cut to 16 kHz mono WAV.
    assert set(test_scp) == {"bo-c4", "bo-st"}
    for path in test_scp.values():
        assert path.startswith(str(result.path / "audio" / "test"))
        info = sf.info(path)
        assert (info.format, info.samplerate, info.channels) == ("WAV", 16000, 1)
    segs = _lines(result.path / "test" / "segments")
    assert segs[0].split()[2:] == ["0", "1"]
    train_scp = _lines(result.path / "train" / "wav.scp")
    assert train_scp[0].endswith(str((tmp_path / "audio" / "r1.wav").resolve()))
