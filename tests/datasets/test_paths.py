"""Manifest paths resolve relative to the manifest and never escape the allowed roots."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voxcart.datasets.errors import ManifestError, UnsafePathError
from voxcart.datasets.sources.paths import resolve_safe


def test_relative_path_resolves_against_the_manifest_folder(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    assert resolve_safe("a/x.wav", tmp_path, (), False) == tmp_path.resolve() / "a" / "x.wav"
    assert resolve_safe("./a/../a/x.wav", tmp_path, (), False) == tmp_path.resolve() / "a" / "x.wav"


@pytest.mark.parametrize("raw", ["../../etc/passwd", "../outside.wav", "/etc/passwd"])
def test_escaping_paths_are_refused(tmp_path: Path, raw: str) -> None:
    base = tmp_path / "manifests"
    base.mkdir()
    with pytest.raises(UnsafePathError, match="outside the allowed folders"):
        resolve_safe(raw, base, (), False)


def test_symlink_pointing_outside_is_refused(tmp_path: Path) -> None:
    base, outside = tmp_path / "base", tmp_path / "secret"
    base.mkdir()
    outside.mkdir()
    (outside / "x.wav").write_bytes(b"x")
    os.symlink(outside / "x.wav", base / "link.wav")
    with pytest.raises(UnsafePathError):
        resolve_safe("link.wav", base, (), False)
    assert resolve_safe("link.wav", base, (outside,), False) == (outside / "x.wav").resolve()


def test_allowed_roots_and_allow_outside(tmp_path: Path) -> None:
    base, audio = tmp_path / "m", tmp_path / "audio"
    base.mkdir()
    audio.mkdir()
    assert resolve_safe(str(audio / "a.wav"), base, (audio,), False) == audio.resolve() / "a.wav"
    assert resolve_safe("/etc/hosts", base, (), True) == Path("/etc/hosts").resolve()


@pytest.mark.parametrize("raw", ["", "   ", "a\x00b.wav", "https://example.com/a.wav"])
def test_empty_nul_and_urls_are_manifest_errors(tmp_path: Path, raw: str) -> None:
    with pytest.raises(ManifestError):
        resolve_safe(raw, tmp_path, (), False)


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.sampled_from(["..", ".", "a", "b", "/", "etc", "x.wav"]), min_size=1, max_size=8)
)
def test_accepted_paths_always_lie_inside_the_base(
    tmp_path_factory: pytest.TempPathFactory, parts: list[str]
) -> None:
    base = tmp_path_factory.getbasetemp() / "prop" / "base"
    base.mkdir(parents=True, exist_ok=True)
    raw = "/".join(parts)
    try:
        resolved = resolve_safe(raw, base, (), False)
    except ManifestError:
        return
    assert resolved.is_relative_to(base.resolve())
