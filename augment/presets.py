"""Named augmentation presets shipped as TOML files in ``augment/preset_files/``, and resolving a
preset name, a TOML path, a table or a config into a validated :class:`PipelineConfig`.
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeAlias

from voxcart.augment.errors import AugmentConfigError
from voxcart.augment.pipeline import PipelineConfig, parse_pipeline

PRESET_DIR = Path(__file__).resolve().parent / "preset_files"
"""Folder of the shipped presets, one ``<name>.toml`` each."""

PipelineLike: TypeAlias = str | Path | PipelineConfig | Mapping[str, Any]
"""What the public functions accept as a pipeline: a preset name, a TOML path, a table, a config."""


@dataclass(frozen=True)
class PresetInfo:
    """A shipped preset as listed to users."""

    name: str
    description: str
    path: Path


def preset_names() -> list[str]:
    """Names of the shipped presets, sorted."""
    return sorted(path.stem for path in PRESET_DIR.glob("*.toml"))


def list_presets() -> list[PresetInfo]:
    """Every shipped preset with its description."""
    return [
        PresetInfo(name, load_preset(name).description, PRESET_DIR / f"{name}.toml")
        for name in preset_names()
    ]


def load_pipeline_file(path: Path | str) -> PipelineConfig:
    """Read and validate a pipeline TOML file.

    Raises:
        AugmentConfigError: the file is missing, is not valid TOML, or fails validation.
    """
    target = Path(path)
    try:
        data = tomllib.loads(target.read_text(encoding="utf-8"))
    except OSError as exc:
        raise AugmentConfigError(f"cannot read pipeline file {target}: {exc.strerror}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise AugmentConfigError(f"{target} is not valid TOML: {exc}") from exc
    data.setdefault("name", target.stem)
    return parse_pipeline(data, source=str(target))


def load_preset(name: str) -> PipelineConfig:
    """The shipped preset called `name`.

    Raises:
        AugmentConfigError: there is no such preset (the message suggests the closest name).
    """
    names = preset_names()
    if name not in names:
        close = difflib.get_close_matches(name, names, n=1, cutoff=0.5)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise AugmentConfigError(
            f"unknown preset {name!r}; {hint}available presets: {', '.join(names)} "
            "(or give the path of a pipeline .toml file)"
        )
    return load_pipeline_file(PRESET_DIR / f"{name}.toml")


def resolve_pipeline(pipeline: PipelineLike) -> PipelineConfig:
    """Turn a preset name, a ``.toml`` path, a table or a config into a validated config.

    Raises:
        AugmentConfigError: the preset or file does not exist, or the pipeline is invalid.
    """
    if isinstance(pipeline, PipelineConfig):
        return pipeline
    if isinstance(pipeline, Mapping):
        return parse_pipeline(pipeline)
    if isinstance(pipeline, Path) or str(pipeline).endswith(".toml"):
        return load_pipeline_file(pipeline)
    if isinstance(pipeline, str):
        return load_preset(pipeline)
    raise AugmentConfigError(
        f"pipeline {pipeline!r} must be a preset name, a .toml path, a table or a PipelineConfig"
    )
