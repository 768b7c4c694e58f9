"""Hostile import cases: each writes one odd file or row beside one good neighbour.

A case builds its own folder (a folder of audio, a manifest in one of the supported formats, a
Kaldi data dir, a catalog file) and says what must happen: the odd item rejected with a reason
code and a phrase of its message, or accepted with the values stored intact (and, where voxcart
changed something on the way in, the change reported). Audio is tiny and seeded per case, so
every case's recordings are distinct and all cases can share one project.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf

from tests.conftest import write_audio

SECONDS = 0.3


@dataclass(frozen=True)
class Expect:
    """What a case must produce."""

    reject: str | None = None
    """Rejection code of the odd item (None: it is accepted)."""
    phrase: str = ""
    """Text the rejection's (or change's) reason must contain."""
    change: str | None = None
    """Code of the change the report must list for an accepted item."""
    transcript: str | None = None
    """The transcript the odd item must be stored with (accepted cases)."""
    speaker: str | None = None
    tag: str | None = None
    source_error: bool = False
    """The whole source is refused with a ManifestError/CatalogError naming `phrase`."""


@dataclass(frozen=True)
class Case:
    """A named hostile input and what must happen to it."""

    name: str
    category: str
    build: Callable[[Path, int], list[Path]]
    """Writes the case under a folder; returns the sources to import, the last one checked."""
    expect: Expect
    neighbour: bool = True
    extra: dict[str, object] = field(default_factory=dict)


def good(path: Path, seed: int) -> Path:
    """A valid clip whose content is unique to `seed`."""
    return write_audio(path, seconds=SECONDS, seed=seed)


def neighbour_text(seed: int) -> str:
    return f"good neighbour {seed}"


# ---------------------------------------------------------------- files (folder imports)


def _float_wav(values: np.ndarray, sr: int = 16_000) -> Callable[[Path, int], list[Path]]:
    def build(folder: Path, seed: int) -> list[Path]:
        good(folder / "ok.wav", seed)
        sf.write(folder / "odd.wav", values, sr, subtype="FLOAT")
        return [folder]

    return build


def _tone(n: int = 4800) -> np.ndarray:
    return (0.3 * np.sin(np.arange(n) / 5.0)).astype(np.float32)


def _with(values: np.ndarray, index: slice, value: float) -> np.ndarray:
    out = values.copy()
    out[index] = value
    return out


def _raw_file(name: str, data: bytes) -> Callable[[Path, int], list[Path]]:
    def build(folder: Path, seed: int) -> list[Path]:
        good(folder / "ok.wav", seed)
        (folder / name).write_bytes(data)
        return [folder]

    return build


def _wav_with_rate(rate: int) -> Callable[[Path, int], list[Path]]:
    def build(folder: Path, seed: int) -> list[Path]:
        good(folder / "ok.wav", seed)
        sf.write(folder / "odd.wav", _tone(400), rate, subtype="PCM_16")
        return [folder]

    return build


def _non_utf8_name(folder: Path, seed: int) -> list[Path]:
    good(folder / "ok.wav", seed)
    made = good(folder / "tmp.wav", seed + 5000)
    os.rename(os.fsencode(made), os.fsencode(folder) + b"/caf\xe9.wav")
    return [folder]


def _dangling(folder: Path, seed: int) -> list[Path]:
    good(folder / "ok.wav", seed)
    (folder / "link.wav").symlink_to(folder / "gone.wav")
    return [folder]


def _loop(folder: Path, seed: int) -> list[Path]:
    good(folder / "ok.wav", seed)
    (folder / "loop.wav").symlink_to(folder / "loop.wav")
    return [folder]


def _stereo_cancel(folder: Path, seed: int) -> list[Path]:
    good(folder / "ok.wav", seed)
    left = _tone() * (1 + seed / 1000)
    sf.write(folder / "odd.wav", np.stack([left, -left], axis=1), 16_000, subtype="PCM_16")
    return [folder]


def _stereo_fine(folder: Path, seed: int) -> list[Path]:
    good(folder / "ok.wav", seed)
    write_audio(folder / "odd.wav", seconds=SECONDS, channels=2, seed=seed + 7000)
    return [folder]


def _audio(name: str, **kwargs: object) -> Callable[[Path, int], list[Path]]:
    def build(folder: Path, seed: int) -> list[Path]:
        good(folder / "ok.wav", seed)
        options = {"seconds": SECONDS, **kwargs}
        write_audio(folder / name, seed=seed + 7000, **options)  # type: ignore[arg-type]
        return [folder]

    return build


def _garbage_header(folder: Path, seed: int) -> list[Path]:
    # A float WAV whose data are raw integers reinterpreted: huge values, no audio.
    good(folder / "ok.wav", seed)
    sf.write(folder / "odd.wav", np.full(4800, 3.0e9, dtype=np.float32), 16_000, subtype="FLOAT")
    return [folder]


FILE_CASES = [
    Case(
        "nan_float_wav",
        "files",
        _float_wav(_with(_tone(), slice(100, 101), np.nan)),
        Expect("non_finite", "NaN"),
    ),
    Case(
        "all_nan_wav",
        "files",
        _float_wav(np.full(4800, np.nan, np.float32)),
        Expect("non_finite", "NaN"),
    ),
    Case(
        "pos_inf_wav",
        "files",
        _float_wav(_with(_tone(), slice(2000, 2001), np.inf)),
        Expect("non_finite", "Inf"),
    ),
    Case(
        "neg_inf_wav",
        "files",
        _float_wav(_with(_tone(), slice(0, 1), -np.inf)),
        Expect("non_finite", "Inf"),
    ),
    Case("garbage_float_header", "files", _garbage_header, Expect("garbage", "full scale")),
    Case("rate_1hz", "files", _wav_with_rate(1), Expect("bad_rate", "1 Hz")),
    Case("rate_absurd", "files", _wav_with_rate(2_000_000), Expect("bad_rate", "2000000 Hz")),
    Case(
        "random_bytes",
        "files",
        _raw_file("odd.wav", bytes(range(256)) * 8),
        Expect("unreadable", ""),
    ),
    Case("empty_file", "files", _raw_file("odd.wav", b""), Expect("unreadable", "empty file")),
    Case(
        "text_as_wav",
        "files",
        _raw_file("odd.flac", b"hello, not audio\n" * 20),
        Expect("unreadable", ""),
    ),
    Case(
        "m4a",
        "files",
        _raw_file("odd.m4a", b"\x00\x00\x00\x20ftypM4A "),
        Expect("unreadable", "M4A"),
    ),
    Case("non_utf8_name", "files", _non_utf8_name, Expect("bad_name", "b'caf\\xe9.wav'")),
    Case("dangling_symlink", "files", _dangling, Expect("missing", "dangling symlink")),
    Case("symlink_loop", "files", _loop, Expect("missing", "symlink loop")),
    Case(
        "silent_mono_mix",
        "files",
        _stereo_cancel,
        Expect(None, "mono mix is silent", change="flagged", tag="silent_mix"),
    ),
    Case("stereo_ok", "files", _stereo_fine, Expect(None)),
    Case("silence", "files", _audio("odd.wav", kind="silence"), Expect("silence", "silence only")),
    Case("too_short", "files", _audio("odd.wav", seconds=0.02), Expect("too_short", "shorter")),
    Case("rate_8k_ok", "files", _audio("odd.wav", sr=8000), Expect(None)),
    Case(
        "clipped_flagged",
        "files",
        _audio("odd.wav", level=3.0),
        Expect(None, "full scale", change="flagged", tag="clipped"),
    ),
]


# ---------------------------------------------------------------- manifests


def _rows(
    kind: str, rows: list[dict[str, object]] | list[str], header: str = "path,text,speaker,id"
):
    """A builder writing a manifest of `kind` whose first row is the good neighbour."""

    def build(folder: Path, seed: int) -> list[Path]:
        good(folder / "ok.wav", seed)
        write_audio(folder / "odd.wav", seconds=SECONDS, seed=seed + 7000)
        neighbour = {"path": "ok.wav", "text": neighbour_text(seed), "id": f"ok{seed}"}
        if kind == "nemo":
            path = folder / "m.jsonl"
            lines = [json.dumps({"audio_filepath": "ok.wav", "text": neighbour_text(seed)})]
            lines += [r if isinstance(r, str) else json.dumps(r) for r in rows]
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")
            return [path]
        sep = "\t" if kind == "tsv" else ","
        body = header.replace(",", sep) + "\n"
        body += sep.join(str(neighbour.get(c, "")) for c in header.split(",")) + "\n"
        body += "".join(
            r
            if isinstance(r, str)
            else sep.join(str(r.get(c, "")) for c in header.split(",")) + "\n"
            for r in rows
        )
        if kind == "hf":
            body = body.replace("path", "file_name", 1)
            path = folder / "metadata.csv"
            path.write_text(body, encoding="utf-8")
            return [folder]
        path = folder / f"m.{kind}"
        path.write_text(body, encoding="utf-8")
        return [path]

    return build


def _bytes_manifest(name: str, body: bytes) -> Callable[[Path, int], list[Path]]:
    def build(folder: Path, seed: int) -> list[Path]:
        good(folder / "ok.wav", seed)
        write_audio(folder / "odd.wav", seconds=SECONDS, seed=seed + 7000)
        head = (
            f"path,text\nok.wav,{neighbour_text(seed)}\n".encode()
            if name.endswith("csv")
            else json.dumps({"audio_filepath": "ok.wav", "text": neighbour_text(seed)}).encode()
            + b"\n"
        )
        (folder / name).write_bytes(head + body)
        return [folder / name]

    return build


def _conflict(folder: Path, seed: int) -> list[Path]:
    good(folder / "ok.wav", seed)
    write_audio(folder / "odd.wav", seconds=SECONDS, seed=seed + 7000)
    first = folder / "first.csv"
    first.write_text("path,text\nodd.wav,red shoes\n", encoding="utf-8")
    second = folder / "second.csv"
    second.write_text(
        f"path,text\nok.wav,{neighbour_text(seed)}\nodd.wav,blue shoes\n", encoding="utf-8"
    )
    return [first, second]


def _repeated_id(folder: Path, seed: int) -> list[Path]:
    good(folder / "ok.wav", seed)
    write_audio(folder / "odd.wav", seconds=SECONDS, seed=seed + 7000)
    path = folder / "m.csv"
    path.write_text(
        f"path,text,id\nok.wav,{neighbour_text(seed)},dup{seed}\nodd.wav,x,dup{seed}\n",
        encoding="utf-8",
    )
    return [path]


LONG = "x" * 300
MANIFEST_CASES = [
    Case(
        "csv_duration_1e308",
        "csv",
        _rows("csv", [{"path": "odd.wav", "duration": "1e308"}], "path,text,duration"),
        Expect("bad_row", "duration='1e308'"),
    ),
    Case(
        "csv_duration_nan",
        "csv",
        _rows("csv", [{"path": "odd.wav", "duration": "nan"}], "path,text,duration"),
        Expect("bad_row", "finite"),
    ),
    Case(
        "csv_offset_negative",
        "csv",
        _rows("csv", [{"path": "odd.wav", "offset": "-1"}], "path,text,offset"),
        Expect("bad_row", "non-negative"),
    ),
    Case(
        "csv_offset_past_end",
        "csv",
        _rows(
            "csv",
            [{"path": "odd.wav", "offset": "50", "duration": "0.2"}],
            "path,text,offset,duration",
        ),
        Expect("out_of_range", "past"),
    ),
    Case(
        "csv_nul_in_path", "csv", _rows("csv", ["odd\x00.wav,t,,\n"]), Expect("bad_row", "NUL byte")
    ),
    Case(
        "csv_unsafe_path",
        "csv",
        _rows("csv", ["../../../../etc/passwd,t,,\n"]),
        Expect("unsafe_path", "outside the allowed"),
    ),
    Case(
        "csv_url_path", "csv", _rows("csv", ["https://x.org/a.wav,t,,\n"]), Expect("bad_row", "URL")
    ),
    Case(
        "csv_missing_file",
        "csv",
        _rows("csv", ["nope.wav,t,,\n"]),
        Expect("missing", "file not found"),
    ),
    Case(
        "csv_unclosed_quote",
        "csv",
        lambda folder, seed: _unclosed(folder, seed),
        Expect("bad_row", "unclosed quote"),
    ),
    Case(
        "csv_unclosed_quote_at_end",
        "csv",
        _rows("csv", ['odd.wav,"hello,,\n']),
        Expect("bad_row", "unclosed quote"),
    ),
    Case(
        "csv_too_many_cells",
        "csv",
        _rows("csv", ["odd.wav,a,b,c,d,e\n"]),
        Expect("bad_row", "cells"),
    ),
    Case(
        "csv_speaker_too_long",
        "csv",
        _rows("csv", [{"path": "odd.wav", "speaker": LONG}]),
        Expect("bad_row", "speaker is 300 characters"),
    ),
    Case(
        "csv_id_too_long",
        "csv",
        _rows("csv", [{"path": "odd.wav", "id": "i" * 200}]),
        Expect("bad_row", "id is 200 characters"),
    ),
    Case(
        "csv_speaker_with_esc",
        "csv",
        _rows("csv", [{"path": "odd.wav", "speaker": "an\x1bna"}]),
        Expect("bad_row", "ESC"),
    ),
    Case(
        "csv_transcript_esc_bel_del",
        "csv",
        _rows("csv", [{"path": "odd.wav", "text": "red\x1b[31m \x07shoes\x7f"}]),
        Expect(None, "ESC", change="cleaned", transcript="red[31m shoes"),
    ),
    Case(
        "csv_id_renamed",
        "csv",
        _rows("csv", [{"path": "odd.wav", "id": "utt one"}]),
        Expect(None, "stored as 'utt-one'", change="renamed"),
    ),
    Case("csv_repeated_id", "csv", _repeated_id, Expect(None, "already used", change="renamed")),
    Case(
        "csv_conflicting_transcript",
        "csv",
        _conflict,
        Expect(None, "blue shoes", change="conflict", transcript="red shoes"),
    ),
    Case(
        "csv_unicode_intact",
        "csv",
        _rows(
            "csv", [{"path": "odd.wav", "text": "Zeig mir Größe 42 👟 — «ok»", "speaker": "Zoë"}]
        ),
        Expect(None, transcript="Zeig mir Größe 42 👟 — «ok»", speaker="Zoë"),
    ),
    Case(
        "csv_formula_intact",
        "csv",
        _rows("csv", [{"path": "odd.wav", "text": "=HYPERLINK(1) <b>x</b>"}]),
        Expect(None, transcript="=HYPERLINK(1) <b>x</b>"),
    ),
    Case(
        "csv_cp1252_row",
        "csv",
        _bytes_manifest("m.csv", "odd.wav,caf\u00e9\n".encode("cp1252")),
        Expect("bad_row", "not UTF-8"),
    ),
    Case(
        "csv_binary_header",
        "csv",
        lambda folder, seed: [_binary(folder)],
        Expect(source_error=True, phrase="UTF-8"),
        neighbour=False,
    ),
    Case(
        "tsv_duration_inf",
        "tsv",
        _rows("tsv", [{"path": "odd.wav", "duration": "inf"}], "path,text,duration"),
        Expect("bad_row", "finite"),
    ),
    Case(
        "tsv_multiline_cell",
        "tsv",
        _rows("tsv", ['odd.wav\t"two\nlines"\t\t\n']),
        Expect("bad_row", "spans lines"),
    ),
    Case(
        "tsv_nul_transcript",
        "tsv",
        _rows("tsv", [{"path": "odd.wav", "text": "nul\x00here"}]),
        Expect(None, "NUL", change="cleaned", transcript="nulhere"),
    ),
    Case(
        "nemo_duration_1e308",
        "nemo",
        _rows("nemo", [{"audio_filepath": "odd.wav", "duration": 1e308}]),
        Expect("bad_row", "duration"),
    ),
    Case(
        "nemo_duration_NaN_literal",
        "nemo",
        _rows("nemo", ['{"audio_filepath": "odd.wav", "duration": NaN}']),
        Expect("bad_row", "finite"),
    ),
    Case(
        "nemo_offset_Infinity",
        "nemo",
        _rows("nemo", ['{"audio_filepath": "odd.wav", "offset": Infinity}']),
        Expect("bad_row", "finite"),
    ),
    Case(
        "nemo_nul_transcript",
        "nemo",
        _rows("nemo", [{"audio_filepath": "odd.wav", "text": "a\u0000b"}]),
        Expect(None, "NUL", change="cleaned", transcript="ab"),
    ),
    Case(
        "nemo_lone_surrogate",
        "nemo",
        _rows("nemo", ['{"audio_filepath": "odd.wav", "text": "bad \\ud800 text"}']),
        Expect(None, "U+D800", change="cleaned", transcript="bad  text"),
    ),
    Case(
        "nemo_nul_in_path",
        "nemo",
        _rows("nemo", [{"audio_filepath": "odd\u0000.wav"}]),
        Expect("bad_row", "NUL byte"),
    ),
    Case(
        "nemo_text_is_list",
        "nemo",
        _rows("nemo", [{"audio_filepath": "odd.wav", "text": ["a"]}]),
        Expect("bad_row", "JSON list"),
    ),
    Case(
        "nemo_path_is_number",
        "nemo",
        _rows("nemo", [{"audio_filepath": 5}]),
        Expect("bad_row", "JSON int"),
    ),
    Case(
        "nemo_deep_nesting",
        "nemo",
        _rows("nemo", ["[" * 100_000]),
        Expect("bad_row", "nested too deeply"),
    ),
    Case(
        "nemo_not_json",
        "nemo",
        _rows("nemo", ["{audio_filepath: odd.wav"]),
        Expect("bad_row", "not valid JSON"),
    ),
    Case(
        "nemo_array_row", "nemo", _rows("nemo", ['["odd.wav"]']), Expect("bad_row", "JSON object")
    ),
    Case(
        "nemo_duration_string",
        "nemo",
        _rows("nemo", [{"audio_filepath": "odd.wav", "duration": "abc"}]),
        Expect("bad_row", "not a number"),
    ),
    Case(
        "nemo_bel_in_text",
        "nemo",
        _rows("nemo", [{"audio_filepath": "odd.wav", "text": "ding\u0007 dong"}]),
        Expect(None, "BEL", change="cleaned", transcript="ding dong"),
    ),
    Case(
        "hf_unsafe_path", "hf", _rows("hf", ["/etc/passwd,t,,\n"]), Expect("unsafe_path", "outside")
    ),
    Case(
        "hf_missing", "hf", _rows("hf", ["absent.wav,t,,\n"]), Expect("missing", "file not found")
    ),
    Case(
        "hf_dangling_symlink",
        "hf",
        lambda folder, seed: _link_then(folder, seed, "hf"),
        Expect("missing", "dangling symlink"),
    ),
    Case(
        "hf_control_speaker",
        "hf",
        _rows("hf", [{"path": "odd.wav", "speaker": "a\x7fb"}]),
        Expect("bad_row", "DEL"),
    ),
]


def _unclosed(folder: Path, seed: int) -> list[Path]:
    # The bad row comes first: its open quote must not swallow the good row after it.
    good(folder / "ok.wav", seed)
    write_audio(folder / "odd.wav", seconds=SECONDS, seed=seed + 7000)
    path = folder / "m.csv"
    path.write_text(f'path,text\nodd.wav,"hello\nok.wav,{neighbour_text(seed)}\n', encoding="utf-8")
    return [path]


def _binary(folder: Path) -> Path:
    path = folder / "m.csv"
    path.write_bytes(bytes(range(256)) * 4)
    return path


def _link_then(folder: Path, seed: int, kind: str) -> list[Path]:
    sources = _rows(kind, ["ln.wav,t,,\n"])(folder, seed)
    (folder / "ln.wav").symlink_to(folder / "gone.wav")
    return sources


# ---------------------------------------------------------------- Kaldi


def _kaldi(files: dict[str, bytes | str]) -> Callable[[Path, int], list[Path]]:
    def build(folder: Path, seed: int) -> list[Path]:
        good(folder / "ok.wav", seed)
        write_audio(folder / "odd.wav", seconds=SECONDS, seed=seed + 7000)
        base = {
            "wav.scp": f"a{seed} ok.wav\nb{seed} odd.wav\n",
            "text": f"a{seed} {neighbour_text(seed)}\nb{seed} plain words\n",
            "utt2spk": f"a{seed} s1\nb{seed} s2\n",
        }
        for name, body in {**base, **files}.items():
            content = body if isinstance(body, bytes) else body.replace("{s}", str(seed)).encode()
            (folder / name).write_bytes(content)
        return [folder]

    return build


KALDI_CASES = [
    Case(
        "kaldi_pipe_command",
        "kaldi",
        _kaldi({"wav.scp": "a{s} ok.wav\nb{s} rm -rf / |\n"}),
        Expect("bad_row", "command pipe"),
    ),
    Case(
        "kaldi_ark_offset",
        "kaldi",
        _kaldi({"wav.scp": "a{s} ok.wav\nb{s} feats.ark:123\n"}),
        Expect("bad_row", "archive"),
    ),
    Case(
        "kaldi_unsafe_path",
        "kaldi",
        _kaldi({"wav.scp": "a{s} ok.wav\nb{s} /etc/hostname\n"}),
        Expect("unsafe_path", "outside"),
    ),
    Case(
        "kaldi_text_esc",
        "kaldi",
        _kaldi({"text": "a{s} good neighbour {s}\nb{s} red \x1b shoes\n"}),
        Expect(None, "ESC", change="cleaned", transcript="red  shoes"),
    ),
    Case(
        "kaldi_text_not_utf8",
        "kaldi",
        lambda folder, seed: _kaldi_text_latin1(folder, seed),
        Expect("bad_row", "not UTF-8"),
    ),
    Case(
        "kaldi_segments_nan",
        "kaldi",
        _kaldi({"segments": "a{s} a{s} 0 -1\nb{s} b{s} nan 0.2\n"}),
        Expect("bad_row", "finite"),
    ),
    Case(
        "kaldi_segments_huge",
        "kaldi",
        _kaldi({"segments": "a{s} a{s} 0 -1\nb{s} b{s} 0 1e308\n"}),
        Expect("bad_row", "finite seconds"),
    ),
    Case(
        "kaldi_segments_unknown_rec",
        "kaldi",
        _kaldi({"segments": "a{s} a{s} 0 -1\nb{s} zz 0 0.2\n"}),
        Expect("bad_row", "not in wav.scp"),
    ),
    Case(
        "kaldi_speaker_too_long",
        "kaldi",
        _kaldi({"utt2spk": "a{s} s1\nb{s} " + LONG + "\n"}),
        Expect("bad_row", "speaker is 300"),
    ),
    Case(
        "kaldi_duplicate_utt",
        "kaldi",
        _kaldi({"wav.scp": "a{s} ok.wav\na{s} odd.wav\n", "text": "a{s} good neighbour {s}\n"}),
        Expect(None, "already used", change="renamed"),
    ),
]


def _kaldi_text_latin1(folder: Path, seed: int) -> list[Path]:
    sources = _kaldi({})(folder, seed)
    (folder / "text").write_bytes(
        f"a{seed} {neighbour_text(seed)}\n".encode() + f"b{seed} caf".encode() + b"\xe9\n"
    )
    return sources


ALL_AUDIO_CASES = FILE_CASES + MANIFEST_CASES + KALDI_CASES


# ---------------------------------------------------------------- catalog rows


@dataclass(frozen=True)
class CatalogCase:
    """A catalog row beside a good one: rejected with a phrase, or stored with this title."""

    name: str
    row: str
    reject: str | None = None
    title: str | None = None


CATALOG_CASES = [
    CatalogCase("price_nan", '{"title": "Lamp", "price": NaN}', reject="finite"),
    CatalogCase("price_infinity", '{"title": "Lamp", "price": Infinity}', reject="finite"),
    CatalogCase("attribute_nan", '{"title": "Lamp", "weight": NaN}', reject="NaN"),
    CatalogCase("title_list", '{"title": ["Lamp"]}', reject="JSON list"),
    CatalogCase("no_title", '{"brand": "Acme"}', reject="no title"),
    CatalogCase("deep_nesting", "[" * 100_000, reject="nested too deeply"),
    CatalogCase("title_nul_esc", '{"title": "Desk\\u0000 \\u001bLamp"}', title="Desk Lamp"),
    CatalogCase(
        "title_html_intact", '{"title": "<script>x</script> Lamp"}', title="<script>x</script> Lamp"
    ),
]
