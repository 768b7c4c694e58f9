"""Pipeline configs: parsing and validating a transform list, and building the audiomentations
``Compose`` it describes.

A config is a table with ``name``, ``description`` and a ``transforms`` list; each transform
names an audiomentations class (or one of voxcart's, see :mod:`voxcart.augment.transforms`)
and gives its constructor arguments. ``OneOf`` and ``SomeOf`` nest a ``transforms`` list.
Every problem is reported as :class:`AugmentConfigError` naming the field by its path, e.g.
``transforms[2].min_snr_db=-500 out of range [-20, 80] dB``.
"""

from __future__ import annotations

import difflib
import inspect
import re
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from voxcart.augment.bank_cache import Banks
from voxcart.augment.errors import AugmentConfigError
from voxcart.augment.transforms import BANK_TRANSFORMS, VOXCART_TRANSFORMS

PIPELINE_SR = 16_000
"""Pipelines run at the banks' rate; frequency limits are checked against its Nyquist."""
CONTAINERS = ("OneOf", "SomeOf")
TOP_LEVEL_KEYS = ("name", "description", "transforms")
# Constructor arguments a config cannot set: injected by the builder, or Python callables.
_HIDDEN_PARAMS = frozenset({"self", "banks", "noise_transform", "lru_cache_size"})
# Transforms a config cannot use: Lambda needs a Python function.
_EXCLUDED = frozenset({"Lambda"})

_Range = tuple[str, float, float, str]
RANGES: tuple[_Range, ...] = (
    (r"^p$", 0.0, 1.0, ""),
    (r"^p_", 0.0, 1.0, ""),
    (r"snr_db$", -20.0, 80.0, "dB"),
    (r"absolute_rms_db$", -120.0, 0.0, "dBFS"),
    (r"(gain_db|gain_in_db)$", -40.0, 40.0, "dB"),
    (r"rt60_s$", 0.05, 5.0, "s"),
    (r"bitrate$", 8.0, 320.0, "kbps"),
    (r"(freq|frequency|_hz)$", 1.0, PIPELINE_SR / 2, "Hz"),
    (r"^rates$", 1000.0, float(PIPELINE_SR), "Hz"),
    (r"semitones$", -24.0, 24.0, "semitones"),
    (r"amplitude$", 0.0, 1.0, ""),
    (r"^mu$", 1.0, 65535.0, ""),
)
"""Allowed value ranges by parameter-name pattern (lists are checked element by element)."""


@dataclass(frozen=True)
class TransformSpec:
    """One validated transform of a pipeline: its class name, arguments and nested children."""

    name: str
    params: dict[str, Any] = field(default_factory=dict)
    children: tuple[TransformSpec, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The config table of this spec (round-trips through :func:`parse_pipeline`)."""
        data: dict[str, Any] = {"name": self.name, **self.params}
        if self.children:
            data["transforms"] = [child.to_dict() for child in self.children]
        return data


@dataclass(frozen=True)
class PipelineConfig:
    """A validated pipeline: a name, a description and its transforms in order."""

    name: str
    transforms: tuple[TransformSpec, ...]
    description: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The config as plain data (JSON/TOML-safe), as recorded in lineage."""
        return {
            "name": self.name,
            "description": self.description,
            "transforms": [spec.to_dict() for spec in self.transforms],
        }

    @property
    def uses_banks(self) -> bool:
        """Whether any transform draws from a noise or impulse-response bank."""
        return any(_uses_banks(spec) for spec in self.transforms)


def _uses_banks(spec: TransformSpec) -> bool:
    return spec.name in BANK_TRANSFORMS or any(_uses_banks(c) for c in spec.children)


@lru_cache(maxsize=1)
def transform_registry() -> dict[str, type]:
    """Every transform a config may name: audiomentations' waveform transforms and voxcart's."""
    import audiomentations
    from audiomentations.core.transforms_interface import BaseWaveformTransform

    registry: dict[str, type] = {}
    for name in dir(audiomentations):
        obj = getattr(audiomentations, name)
        if (
            inspect.isclass(obj)
            and issubclass(obj, BaseWaveformTransform)
            and name not in _EXCLUDED
        ):
            registry[name] = obj
    registry.update(VOXCART_TRANSFORMS)
    return registry


@dataclass(frozen=True)
class TransformInfo:
    """A transform a pipeline file may name, as ``voxcart augment transforms`` lists it."""

    name: str
    origin: str
    """``voxcart`` or ``audiomentations``."""
    container: bool
    """True for a container (``OneOf``, ``SomeOf``) that nests a ``transforms`` list."""


def list_transforms() -> list[TransformInfo]:
    """Every transform name a pipeline may use, sorted, then the containers."""
    found = [
        TransformInfo(name, "voxcart" if name in VOXCART_TRANSFORMS else "audiomentations", False)
        for name in sorted(transform_registry())
    ]
    return found + [TransformInfo(name, "audiomentations", True) for name in CONTAINERS]


def _suggest(word: str, options: typing.Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _signature(cls: type) -> dict[str, inspect.Parameter]:
    init = vars(next(k for k in cls.__mro__ if "__init__" in vars(k)))["__init__"]
    try:
        sig = inspect.signature(init, eval_str=True)
    except (NameError, TypeError):
        sig = inspect.signature(init)
    return {name: param for name, param in sig.parameters.items() if name not in _HIDDEN_PARAMS}


def _type_ok(value: Any, annotation: Any, default: Any) -> tuple[bool, str]:
    """Whether `value` fits a parameter; returns (ok, description of what is expected)."""
    if annotation is inspect.Parameter.empty:
        if default is None or default is inspect.Parameter.empty:
            return True, "any value"
        annotation = type(default)
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        choices = typing.get_args(annotation)
        return value in choices, "one of " + ", ".join(repr(c) for c in choices)
    if origin in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        results = [_type_ok(value, member, None) for member in members]
        return any(ok for ok, _ in results), " or ".join(what for _, what in results)
    if origin is list or annotation is list:
        args = typing.get_args(annotation)
        if not isinstance(value, list):
            return False, "a list"
        if args:
            ok = all(_type_ok(v, args[0], None)[0] for v in value)
            return ok, f"a list of {getattr(args[0], '__name__', args[0])}"
        return True, "a list"
    if annotation is bool:
        return isinstance(value, bool), "true or false"
    if annotation is float:
        return isinstance(value, int | float) and not isinstance(value, bool), "a number"
    if annotation is int:
        return isinstance(value, int) and not isinstance(value, bool), "an integer"
    if annotation is str:
        return isinstance(value, str), "a string"
    if annotation in (Path, typing.Any) or not isinstance(annotation, type):
        return True, "any value"
    return isinstance(value, annotation), f"a {annotation.__name__}"


def _check_range(path: str, key: str, value: Any) -> None:
    values = value if isinstance(value, list) else [value]
    for pattern, low, high, unit in RANGES:
        if not re.search(pattern, key):
            continue
        for v in values:
            if isinstance(v, int | float) and not isinstance(v, bool) and not low <= v <= high:
                unit_text = f" {unit}" if unit else ""
                raise AugmentConfigError(
                    f"{path}.{key}={value!r} out of range [{low:g}, {high:g}]{unit_text}; "
                    "use a value in that range"
                )
        return


def _check_min_max(
    path: str, params: dict[str, Any], signature: dict[str, inspect.Parameter]
) -> None:
    for key, value in params.items():
        if not key.startswith("min_"):
            continue
        other = "max_" + key[4:]
        upper = params.get(other, signature[other].default if other in signature else None)
        if isinstance(value, int | float) and isinstance(upper, int | float) and value > upper:
            raise AugmentConfigError(
                f"{path}.{key}={value!r} is greater than {path}.{other}={upper!r}; "
                f"{key} must not exceed {other}"
            )


def _check_backend(path: str, name: str, params: dict[str, Any]) -> None:
    if name == "Mp3Compression" and params.get("backend", "fast-mp3-augment") == "fast-mp3-augment":
        try:
            import fast_mp3_augment  # noqa: F401
        except ImportError:
            raise AugmentConfigError(
                f"{path} (Mp3Compression) needs its MP3 backend: "
                "run `pip install fast-mp3-augment`, "
                "or use MuLaw for codec artefacts instead"
            ) from None


def _parse_leaf(path: str, name: str, table: Mapping[str, Any]) -> TransformSpec:
    cls = transform_registry()[name]
    signature = _signature(cls)
    params: dict[str, Any] = {}
    for key, value in table.items():
        if key == "name":
            continue
        if key not in signature:
            raise AugmentConfigError(
                f"{path}: unknown parameter {key!r} for {name}{_suggest(key, signature)} "
                f"(allowed: {', '.join(signature)})"
            )
        param = signature[key]
        ok, expected = _type_ok(value, param.annotation, param.default)
        if not ok:
            problem = "is not allowed" if expected.startswith("one of") else "has the wrong type"
            raise AugmentConfigError(f"{path}.{key}={value!r} {problem}: expected {expected}")
        _check_range(path, key, value)
        params[key] = value
    _check_min_max(path, params, signature)
    _check_backend(path, name, params)
    spec = TransformSpec(name, params)
    try:
        _instantiate(spec, Banks(cache_dir=Path("unused")))
    except (ValueError, AssertionError, TypeError) as exc:
        raise AugmentConfigError(f"{path} ({name}): {exc or 'invalid arguments'}") from exc
    return spec


def _parse_container(path: str, name: str, table: Mapping[str, Any]) -> TransformSpec:
    allowed = {"name", "transforms", "p"} | ({"weights"} if name == "OneOf" else {"num_transforms"})
    for key in table:
        if key not in allowed:
            raise AugmentConfigError(
                f"{path}: unknown parameter {key!r} for {name}{_suggest(key, allowed)} "
                f"(allowed: {', '.join(sorted(allowed))})"
            )
    children = _parse_list(f"{path}.transforms", table.get("transforms"))
    params: dict[str, Any] = {}
    if "p" in table:
        if not isinstance(table["p"], int | float) or isinstance(table["p"], bool):
            raise AugmentConfigError(
                f"{path}.p={table['p']!r} has the wrong type: expected a number"
            )
        _check_range(path, "p", table["p"])
        params["p"] = table["p"]
    if "weights" in table:
        weights = table["weights"]
        if (
            not isinstance(weights, list)
            or len(weights) != len(children)
            or not all(isinstance(w, int | float) and w >= 0 for w in weights)
            or not any(weights)
        ):
            raise AugmentConfigError(
                f"{path}.weights={weights!r} must list {len(children)} non-negative numbers, "
                "one per transform, not all zero"
            )
        params["weights"] = weights
    if "num_transforms" in table:
        count = table["num_transforms"]
        bounds = count if isinstance(count, list) else [count, count]
        if (
            len(bounds) != 2
            or not all(isinstance(b, int) and not isinstance(b, bool) for b in bounds)
            or not 0 <= bounds[0] <= bounds[1] <= len(children)
        ):
            raise AugmentConfigError(
                f"{path}.num_transforms={count!r} must be an integer or [min, max] within "
                f"0..{len(children)}"
            )
        params["num_transforms"] = count
    return TransformSpec(name, params, children)


def _parse_list(path: str, value: Any) -> tuple[TransformSpec, ...]:
    if not isinstance(value, list) or not value:
        raise AugmentConfigError(f"{path} must be a non-empty list of transform tables")
    specs = []
    for index, table in enumerate(value):
        where = f"{path}[{index}]"
        if not isinstance(table, Mapping):
            raise AugmentConfigError(f"{where} must be a table with a 'name', got {table!r}")
        name = table.get("name")
        if not isinstance(name, str) or not name:
            raise AugmentConfigError(f"{where}.name is missing; name an audiomentations transform")
        if name in CONTAINERS:
            specs.append(_parse_container(where, name, table))
        elif name in transform_registry():
            specs.append(_parse_leaf(where, name, table))
        else:
            known = [*transform_registry(), *CONTAINERS]
            raise AugmentConfigError(
                f"{where}: unknown transform {name!r}{_suggest(name, known)} "
                "(see `voxcart augment transforms` for the list)"
            )
    return tuple(specs)


def parse_pipeline(data: Mapping[str, Any], source: str = "pipeline") -> PipelineConfig:
    """Validate a pipeline table (from TOML, JSON or Python) into a :class:`PipelineConfig`.

    Raises:
        AugmentConfigError: an unknown key, transform or parameter, a wrong type, a value out
            of range, or arguments the transform itself refuses; the message names the field.
    """
    if not isinstance(data, Mapping):
        raise AugmentConfigError(f"{source}: a pipeline must be a table, got {type(data).__name__}")
    for key in data:
        if key not in TOP_LEVEL_KEYS:
            raise AugmentConfigError(
                f"{source}: unknown key {key!r}{_suggest(key, TOP_LEVEL_KEYS)} "
                f"(allowed: {', '.join(TOP_LEVEL_KEYS)})"
            )
    name = data.get("name", "custom")
    description = data.get("description", "")
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}", name):
        raise AugmentConfigError(
            f"{source}: name={name!r} must be 1-64 letters, digits, '-', '_' or '.'"
        )
    if not isinstance(description, str):
        raise AugmentConfigError(f"{source}: description must be a string")
    try:
        transforms = _parse_list("transforms", data.get("transforms"))
    except AugmentConfigError as exc:
        raise AugmentConfigError(f"{source}: {exc}") from None
    return PipelineConfig(name=name, transforms=transforms, description=description)


def _instantiate(spec: TransformSpec, banks: Banks) -> Any:
    from audiomentations import OneOf, SomeOf

    if spec.name == "OneOf":
        children = [_instantiate(child, banks) for child in spec.children]
        return OneOf(children, p=spec.params.get("p", 1.0), weights=spec.params.get("weights"))
    if spec.name == "SomeOf":
        children = [_instantiate(child, banks) for child in spec.children]
        count = spec.params.get("num_transforms", [1, len(children)])
        return SomeOf(
            tuple(count) if isinstance(count, list) else count,
            children,
            p=spec.params.get("p", 1.0),
        )
    cls = transform_registry()[spec.name]
    if spec.name in BANK_TRANSFORMS:
        return cls(**spec.params, banks=banks)
    return cls(**spec.params)


def build_pipeline(config: PipelineConfig, banks: Banks) -> Any:
    """The audiomentations ``Compose`` of a validated config (always applied, p=1)."""
    from audiomentations import Compose

    return Compose([_instantiate(spec, banks) for spec in config.transforms], p=1.0)
