"""The core the Hugging Face backends (ctc, whisper) share: the checkpoint they load, the audio
they accept, length-bucketed transcription, out-of-memory errors and registration.

A backend subclasses :class:`HfBackend` with its config type and supplies what differs: how it
checks a checkpoint folder, how it loads and runs the model (``load``, ``_run``), and how long a
clip may be (``too_long_hint``). :func:`register_checkpoint` registers a folder or hub id as a
model version of either backend.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar, Generic, Protocol, TypeVar

import numpy as np

from voxcart.datasets.store.project import Project
from voxcart.model.backends.base import SAMPLE_RATE, ModelSpec
from voxcart.model.backends.device import free_cache, inference, is_out_of_memory
from voxcart.model.backends.hf_checkpoints import (
    checkpoint_files,
    checkpoint_source,
    hub_error,
    hub_offline,
    require_checkpoint,
    resolve_checkpoint,
)
from voxcart.model.backends.hypothesis import Hypothesis
from voxcart.model.errors import AudioRejectedError, ModelError
from voxcart.model.train.batching import bucket_batches, restore_order
from voxcart.model.versions import register_model


class HfConfig(Protocol):
    """What the shared core reads from a backend's config."""

    @property
    def hub_id(self) -> str | None: ...

    @property
    def max_seconds(self) -> float: ...

    @property
    def batch_size(self) -> int: ...


C = TypeVar("C", bound=HfConfig)
T = TypeVar("T")


class HfBackend(Generic[C]):
    """A backend that transcribes with a Hugging Face checkpoint (folder or hub id).

    Attributes:
        spec: the model version.
        config: its parsed config.
        max_duration_s: the longest clip accepted.
    """

    name: ClassVar[str] = ""
    min_duration_s: ClassVar[float] = 0.0
    too_long_hint: ClassVar[str] = "segment long recordings with `voxcart segment`"
    """Said after "takes at most N s" when a clip is too long."""
    load_errors: ClassVar[tuple[type[BaseException], ...]] = (OSError, ValueError, KeyError)
    """What transformers raises for a checkpoint it cannot load."""

    def __init__(self, spec: ModelSpec, config: C) -> None:
        """Keep the spec and config (nothing is loaded until ``load``).

        Raises:
            ModelError: the spec has neither a folder nor a hub_id.
        """
        self.spec = spec
        self.config = config
        require_checkpoint(spec, config.hub_id, self.name)
        self.max_duration_s = config.max_seconds
        self._model: Any = None
        self._device: Any = None
        self._dtype: Any = None
        self._version: str | None = None

    @property
    def source(self) -> str:
        """The checkpoint folder or hub id loaded."""
        return checkpoint_source(self.spec, self.config.hub_id)

    @property
    def version(self) -> str:
        """``transformers-<version>/<model type>/<weights>/<options>`` (computed once)."""
        if self._version is None:
            from importlib import metadata

            files = checkpoint_files(self.spec, self.config.hub_id, self._model)
            self._version = (
                f"transformers-{metadata.version('transformers')}/{self._model_type()}/{files}/"
                f"{self._options_version()}"
            )
        return self._version

    def _model_type(self) -> str:
        return str(getattr(getattr(self._model, "config", None), "model_type", "unloaded"))

    def _options_version(self) -> str:
        """The options that change what the backend outputs, for the version string."""
        raise NotImplementedError

    def check_dir(self, folder: Path) -> None:
        """Check a checkpoint folder before loading it (the subclass says what it must hold)."""

    def _pretrained(self, load: Callable[[str, bool], T]) -> T:
        """Call ``load(source, local_files_only)``, turning load failures into ModelErrors.

        A folder is checked first and always read offline; a hub id is offline where
        HF_HUB_OFFLINE asks for it.
        """
        offline = self.spec.path is not None or hub_offline()
        if self.spec.path is not None:
            self.check_dir(self.spec.path)
        try:
            return load(self.source, offline)
        except self.load_errors as exc:
            if self.spec.path is None:
                raise hub_error(self.source, exc) from exc
            raise ModelError(f"model {self.spec.name!r}: cannot load {self.source}: {exc}") from exc

    def _check_rate(self, extractor: Any) -> None:
        rate = getattr(extractor, "sampling_rate", SAMPLE_RATE)
        if rate != SAMPLE_RATE:
            raise ModelError(
                f"model {self.spec.name!r}: its feature extractor expects {rate} Hz audio; "
                f"voxcart feeds {SAMPLE_RATE} Hz"
            )

    def load(self) -> None:
        """Load the model (idempotent); the subclass does it."""
        raise NotImplementedError

    def transcribe(self, batch: Sequence[np.ndarray]) -> list[Hypothesis]:
        """Transcribe 16 kHz mono clips in length buckets; hypotheses in input order.

        Raises:
            AudioRejectedError: a clip is not 1-D, not finite, too short or too long.
            ModelError: the GPU ran out of memory (lower the batch size).
        """
        self.load()
        audios = [self._checked(i, np.asarray(a, dtype=np.float32)) for i, a in enumerate(batch)]
        if not audios:
            return []
        groups = self._batches([a.size / SAMPLE_RATE for a in audios])
        results = [self._run([audios[i] for i in group]) for group in groups]
        return restore_order(groups, results)

    def _batches(self, durations: list[float]) -> list[list[int]]:
        return bucket_batches(durations, batch_size=self.config.batch_size)

    def _run(self, audios: list[np.ndarray]) -> list[Hypothesis]:
        raise NotImplementedError

    def _checked(self, index: int, audio: np.ndarray) -> np.ndarray:
        if audio.ndim != 1:
            raise AudioRejectedError(
                f"clip {index}: expected mono audio (1-D array), got shape {audio.shape}"
            )
        seconds = audio.size / SAMPLE_RATE
        if seconds > self.max_duration_s:
            raise AudioRejectedError(
                f"clip {index} is {seconds:.1f} s long; model {self.spec.name!r} takes at most "
                f"{self.max_duration_s:g} s ({self.too_long_hint})"
            )
        if seconds < self.min_duration_s:
            raise AudioRejectedError(
                f"clip {index} is {seconds:.3f} s long; the {self.name} backend needs at least "
                f"{self.min_duration_s:g} s"
            )
        if not np.all(np.isfinite(audio)):
            raise AudioRejectedError(f"clip {index} holds NaN or infinite samples")
        return audio

    def _forward(self, run: Callable[[], T], what: str, lower: str) -> T:
        """``run()`` under inference mode; an out-of-memory error becomes a ModelError.

        Args:
            run: the model call.
            what: what it ran on, for the message ("2 clips").
            lower: the settings to lower, for the message.
        """
        try:
            with inference(self._device, self._dtype):
                return run()
        except RuntimeError as exc:
            if not is_out_of_memory(exc):
                raise
            free_cache(self._device)
            raise ModelError(
                f"{self._device} ran out of memory on {what}; lower {lower} in the model "
                "config, or pass a smaller --batch-size to `voxcart suggest`"
            ) from exc


def register_checkpoint(
    project: Project,
    name: str,
    path: str | Path | None,
    hub_id: str | None,
    config: Mapping[str, Any] | None,
    *,
    backend: str,
    check_dir: Callable[[Path, str], None],
    validate: Callable[[dict[str, Any]], object],
    complete: Callable[[dict[str, Any]], None] | None = None,
) -> int:
    """Register a checkpoint folder or hub id as a model version.

    Args:
        project: the open project.
        name: the new model version's name.
        path: the checkpoint folder (absolute, relative to the project or to the working
            directory), or None with `hub_id`.
        hub_id: a Hugging Face hub id instead of a folder.
        config: the backend's further options.
        backend: the backend name stored on the version.
        check_dir: checks the folder holds the backend's kind of checkpoint.
        validate: raises ModelError for bad options, before anything is stored.
        complete: adds options derived from the project (ctc: catalog hotwords).

    Returns:
        The new model version's id.

    Raises:
        ModelError: both or neither of path and hub_id, a bad folder or option, a taken name.
    """
    if (path is None) == (hub_id is None):
        raise ModelError("give exactly one of a checkpoint folder (--path) or a --hub-id")
    options: dict[str, Any] = dict(config or {})
    stored: str | None = None
    if path is not None:
        folder, stored = resolve_checkpoint(project, path)
        check_dir(folder, name)
    else:
        options["hub_id"] = hub_id
    if complete is not None:
        complete(options)
    validate(options)
    with project.session() as session:
        return int(register_model(session, name, backend, stored, options).id)
