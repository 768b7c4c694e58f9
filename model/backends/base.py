"""The ASR backend interface and the registry that builds a backend from a model version.

A backend is anything with a ``name``, a ``version``, ``load()`` and ``transcribe(batch)``;
backends register a factory under their name (the ``backend`` column of ``model_versions``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from voxcart.model.backends.hypothesis import Hypothesis
from voxcart.model.errors import ModelError

SAMPLE_RATE = 16_000


@dataclass(frozen=True)
class ModelSpec:
    """What a backend needs to load one registered model.

    Attributes:
        name: the model version's unique name (``"sphinx-catalog"``).
        backend: the registered backend name (``"sphinx"``).
        path: folder holding the model's files, or None for the backend's bundled model.
        config: backend-specific options (JSON-compatible).
    """

    name: str
    backend: str
    path: Path | None = None
    config: Mapping[str, Any] = field(default_factory=dict)


@runtime_checkable
class ASRBackend(Protocol):
    """A speech recognizer voxcart can ask for suggestions.

    Attributes:
        name: the backend's registry name.
        version: identifies the exact model (engine version plus model files); changes whenever
            the output could.
        max_duration_s: longest clip the backend accepts.
        min_duration_s: shortest clip the backend accepts.
    """

    name: str
    max_duration_s: float
    min_duration_s: float

    @property
    def version(self) -> str:
        """The engine and model identity."""
        ...

    def load(self) -> None:
        """Load the model (idempotent); raises ModelError when its files are missing."""
        ...

    def transcribe(self, batch: Sequence[np.ndarray]) -> list[Hypothesis]:
        """Transcribe 16 kHz mono float32 clips; one hypothesis per clip, in order."""
        ...


BackendFactory = Callable[[ModelSpec], ASRBackend]

# Built-in backends are imported only when asked for, so importing voxcart.model stays cheap.
_BUILTIN: dict[str, str] = {
    "sphinx": "voxcart.model.backends.sphinx:SphinxBackend",
    "ctc": "voxcart.model.backends.ctc:CtcBackend",
    "whisper": "voxcart.model.backends.whisper:WhisperBackend",
}
_FACTORIES: dict[str, BackendFactory] = {}


def register_backend(name: str, factory: BackendFactory) -> None:
    """Make `factory` build the backend called `name` (replacing any earlier registration)."""
    _FACTORIES[name] = factory


def backend_names() -> list[str]:
    """Names of the backends that can be created."""
    return sorted({*_BUILTIN, *_FACTORIES})


def create_backend(spec: ModelSpec) -> ASRBackend:
    """Build (but do not load) the backend a model version names.

    Raises:
        ModelError: no backend is registered under ``spec.backend``.
    """
    factory = _FACTORIES.get(spec.backend)
    if factory is None and spec.backend in _BUILTIN:
        module_name, attr = _BUILTIN[spec.backend].split(":")
        factory = getattr(importlib.import_module(module_name), attr)
    if factory is None:
        raise ModelError(
            f"model {spec.name!r} names backend {spec.backend!r}, which is not available; "
            f"known backends: {', '.join(backend_names())}"
        )
    return factory(spec)
