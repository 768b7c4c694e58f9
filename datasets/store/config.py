"""Project configuration: a TOML file in the project directory, loaded into typed dataclasses."""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from voxcart.datasets.errors import ConfigError

CONFIG_NAME = "voxcart.toml"


@dataclass(frozen=True)
class SplitConfig:
    """How clips are assigned to train/dev/test."""

    seed: int = 13
    """Seed of the split hash; change it to draw a different (still deterministic) split."""
    train: float = 0.8
    dev: float = 0.1
    test: float = 0.1

    def __post_init__(self) -> None:
        for name in ("train", "dev", "test"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ConfigError(f"split.{name}={value!r} must be between 0 and 1")
        total = self.train + self.dev + self.test
        if abs(total - 1.0) > 1e-6:
            raise ConfigError(
                f"split ratios must add up to 1 (train+dev+test = {total:.3f}); "
                "adjust split.train, split.dev and split.test"
            )


@dataclass(frozen=True)
class ValidationConfig:
    """Per-file checks applied at import."""

    min_duration_s: float = 0.1
    """Shorter clips are rejected as zero-length or truncated."""
    max_duration_s: float = 4 * 3600.0
    """Longer files are rejected as absurd (cut long recordings with segmentation instead)."""
    silence_dbfs: float = -60.0
    """A file whose RMS level stays below this is rejected as silence only."""
    clipping_fraction: float = 0.01
    """A file with more than this fraction of samples at full scale is flagged as clipped."""
    reject_clipped: bool = False
    """Reject clipped files instead of importing them with a `clipped` tag."""
    max_file_bytes: int = 2 * 1024**3
    """Files larger than this are rejected before decoding."""


@dataclass(frozen=True)
class LabelingConfig:
    """How annotation work is shared out."""

    double_annotation: float = 0.0
    """Fraction of clips (0 to 1) that a second annotator transcribes too, for agreement."""
    seed: int = 7
    """Seed of the choice of double-annotated clips (a pure function of seed and clip uid)."""
    self_review: bool = False
    """Whether reviewers may review transcripts they wrote themselves (off: four eyes)."""
    retype_below: float = 0.4
    """Hide a suggestion whose mean word confidence is below this, so the annotator types from
    scratch (0 never hides one). Fixing a text is slower than typing it once about a third of
    its words are wrong. Where the suggesting model has a calibration (``voxcart model
    calibrate``) the mean is of calibrated confidences, i.e. the expected share of right
    words; otherwise of the raw scores."""

    def __post_init__(self) -> None:
        if not isinstance(self.self_review, bool):
            raise ConfigError(f"labeling.self_review={self.self_review!r} must be true or false")
        value = self.double_annotation
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= value <= 1.0:
            raise ConfigError(
                f"labeling.double_annotation={value!r} must be a number between 0 and 1 "
                "(e.g. 0.1 to double-annotate one clip in ten)"
            )
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise ConfigError(f"labeling.seed={self.seed!r} must be an integer")
        below = self.retype_below
        if isinstance(below, bool) or not isinstance(below, int | float) or not 0 <= below <= 1:
            raise ConfigError(
                f"labeling.retype_below={below!r} must be a number between 0 and 1 "
                "(0 never hides a suggestion; the default is 0.4)"
            )


KEY_CHARS: dict[str, str] = {
    **{c: f"Key{c.upper()}" for c in "abcdefghijklmnopqrstuvwxyz"},
    **{d: f"Digit{d}" for d in "0123456789"},
    ",": "Comma",
    ".": "Period",
    "=": "Equal",
    "-": "Minus",
    "[": "BracketLeft",
    "]": "BracketRight",
    ";": "Semicolon",
    "/": "Slash",
}
"""The characters an editor key may use, and the key code the browser reports for each."""


@dataclass(frozen=True)
class KeysConfig:
    """The editor's Alt keys (annotate and review), one character each: ``accept = "a"`` is
    Alt+A. Ctrl+Enter (submit) and Ctrl+Shift+Enter (submit despite warnings) are fixed."""

    accept: str = "a"
    """Accept the suggestion unchanged (review: approve)."""
    skip: str = "s"
    """Skip with a reason (review: reject with a reason)."""
    flag: str = "f"
    play: str = "p"
    replay: str = "r"
    last_two: str = "l"
    slower: str = ","
    faster: str = "."
    next_low: str = "j"
    """Select the next low-confidence word and play it."""
    reveal: str = "v"
    """Show a suggestion hidden by retype mode."""
    undo: str = "z"
    back: str = "b"
    """Back to a clip whose submit was not saved."""
    zoom_in: str = "="
    zoom_out: str = "-"
    zoom_reset: str = "0"
    loop: str = "o"

    def __post_init__(self) -> None:
        seen: dict[str, str] = {}
        for item in fields(self):
            value = getattr(self, item.name)
            if not isinstance(value, str) or value.lower() not in KEY_CHARS:
                raise ConfigError(
                    f"keys.{item.name}={value!r} must be one character of "
                    f"{''.join(KEY_CHARS)} (it is pressed with Alt)"
                )
            if value.lower() in seen:
                raise ConfigError(
                    f"keys.{item.name}={value!r} is already keys.{seen[value.lower()]}; give "
                    "each action its own key"
                )
            seen[value.lower()] = item.name

    def codes(self) -> dict[str, str]:
        """Action name -> the browser's key code (``KeyA``, ``Comma``, ...)."""
        return {f.name: KEY_CHARS[getattr(self, f.name).lower()] for f in fields(self)}


@dataclass(frozen=True)
class ProjectConfig:
    """Everything a project keeps in `voxcart.toml`."""

    name: str = "voxcart-project"
    db_url: str = ""
    """SQLAlchemy URL; empty means `sqlite:///<project>/voxcart.db`."""
    locale: str = "en-US"
    audio_roots: tuple[str, ...] = ()
    """Extra folders that manifest paths may point into (the manifest's own folder always may)."""
    split: SplitConfig = field(default_factory=SplitConfig)
    validation: ValidationConfig = field(default_factory=ValidationConfig)
    labeling: LabelingConfig = field(default_factory=LabelingConfig)
    keys: KeysConfig = field(default_factory=KeysConfig)

    def to_toml(self) -> str:
        """Render as TOML text (the subset this config needs: scalars, lists, tables)."""
        data = asdict(self)
        lines: list[str] = []
        tables: dict[str, dict[str, Any]] = {}
        for key, value in data.items():
            if isinstance(value, dict):
                tables[key] = value
            else:
                lines.append(f"{key} = {_toml_value(value)}")
        for table, values in tables.items():
            lines.append("")
            lines.append(f"[{table}]")
            lines.extend(f"{k} = {_toml_value(v)}" for k, v in values.items())
        return "\n".join(lines) + "\n"


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def _build(cls: type[Any], data: dict[str, Any], where: str) -> Any:
    known = {f.name: f for f in fields(cls)}
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise ConfigError(
            f"{where}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(known))}"
        )
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        if key == "split":
            kwargs[key] = _build(SplitConfig, value, f"{where} [split]")
        elif key == "validation":
            kwargs[key] = _build(ValidationConfig, value, f"{where} [validation]")
        elif key == "labeling":
            kwargs[key] = _build(LabelingConfig, value, f"{where} [labeling]")
        elif key == "keys":
            kwargs[key] = _build(KeysConfig, value, f"{where} [keys]")
        elif key == "audio_roots":
            kwargs[key] = tuple(str(v) for v in value)
        else:
            kwargs[key] = value
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise ConfigError(f"{where}: {exc}") from exc


def load_config(project_dir: Path) -> ProjectConfig:
    """Read `voxcart.toml` from a project directory.

    Raises:
        ConfigError: the file is missing, not valid TOML, or holds unknown keys or bad values.
    """
    path = project_dir / CONFIG_NAME
    if not path.is_file():
        raise ConfigError(
            f"{project_dir} is not a voxcart project (no {CONFIG_NAME}); "
            "create one with `voxcart init DIR` or `voxcart demo DIR`"
        )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from exc
    config: ProjectConfig = _build(ProjectConfig, data, str(path))
    return config
