"""The `whisper` backend (suggestions only): a Whisper checkpoint through transformers, from a
local folder or a hub id where the network allows.

Clips are batched by length and decoded greedily with the prompt ``<|startoftranscript|>``
(``<|lang|><|transcribe|>`` on multilingual models) ``<|notimestamps|>``; the probability the
model gave each chosen token becomes word confidences (:mod:`voxcart.model.backends.whisper_words`).
Word times are approximate (spread over the clip), since Whisper gives none without its
timestamp tokens.

Input length: Whisper's encoder accepts exactly ``2 * max_source_positions`` mel frames (3000,
i.e. 30 s, for every pretrained checkpoint), so each clip is padded with silence to the
model's window; a model trained with a smaller ``max_source_positions`` gets a shorter window
and pads less. Clips longer than the window are refused (segment them first). Packing several
short clips into one window is not done: splitting the text back needs timestamp tokens, which
are unreliable on short queries. Model versions with backend ``"whisper"`` are registered with
:func:`register_whisper_model`; their ``config`` holds the options of :class:`WhisperConfig`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, cast

import numpy as np

from voxcart.datasets.store.project import Project
from voxcart.model.backends.base import SAMPLE_RATE, ModelSpec
from voxcart.model.backends.device import (
    autocast_dtype,
    pick_device,
)
from voxcart.model.backends.hf_checkpoints import (
    read_checkpoint_config,
)
from voxcart.model.backends.hf_core import HfBackend, register_checkpoint
from voxcart.model.backends.hypothesis import Hypothesis
from voxcart.model.backends.whisper_words import (
    CONFIDENCE_MODES,
    TokenStep,
    WordConfidence,
    build_hypothesis,
)
from voxcart.model.errors import ModelError

BACKEND = "whisper"
MIN_DURATION_S = 0.1
TOKENIZER_FILES = ("vocab.json", "tokenizer.json")
EXTRACTOR_FILES = ("preprocessor_config.json", "processor_config.json")


@dataclass(frozen=True)
class WhisperConfig:
    """Options of a whisper model version (the ``config`` column); every key is optional.

    Attributes:
        hub_id: a Hugging Face hub id to load when the model version has no folder.
        language: language token used on multilingual models (``"en"`` -> ``<|en|>``).
        confidence: word confidence from the geometric mean or the min of token probabilities.
        max_new_tokens: most text tokens generated per clip (voice queries are short).
        device: ``"auto"`` (cuda, mps, cpu), ``"cpu"``, ``"cuda"``, ``"cuda:N"``, ``"mps"``.
        precision: GPU autocast dtype: ``"auto"``, ``"bf16"``, ``"fp16"`` or ``"fp32"``.
        max_seconds: longest clip accepted (never more than the model's input window).
        batch_size: most clips in one generate call.
    """

    hub_id: str | None = None
    language: str = "en"
    confidence: str = "mean"
    max_new_tokens: int = 96
    device: str = "auto"
    precision: str = "auto"
    max_seconds: float = 30.0
    batch_size: int = 8

    def __post_init__(self) -> None:
        if self.confidence not in CONFIDENCE_MODES:
            raise ModelError(
                f"confidence={self.confidence!r} is not allowed; use one of {CONFIDENCE_MODES}"
            )
        if not (math.isfinite(self.max_seconds) and self.max_seconds > MIN_DURATION_S):
            raise ModelError(f"max_seconds={self.max_seconds} must be above {MIN_DURATION_S}")
        if self.batch_size < 1:
            raise ModelError(f"batch_size={self.batch_size} must be at least 1")
        if self.max_new_tokens < 1:
            raise ModelError(f"max_new_tokens={self.max_new_tokens} must be at least 1")
        if not self.language.isalpha():
            raise ModelError(f"language={self.language!r} must be a code such as 'en'")

    @classmethod
    def from_mapping(cls, config: Mapping[str, Any], model: str = "?") -> WhisperConfig:
        """Read a model version's config, rejecting unknown keys and wrong types.

        Raises:
            ModelError: a key is unknown or a value has the wrong type or range.
        """
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(config) - known)
        if unknown:
            raise ModelError(
                f"model {model!r}: unknown whisper config key(s) {unknown}; allowed: "
                f"{sorted(known)}"
            )
        defaults = cls()
        values: dict[str, Any] = {}
        for key, value in config.items():
            default = getattr(defaults, key)
            expected: type | tuple[type, ...] = (
                str
                if default is None
                else (int, float)
                if isinstance(default, float)
                else type(default)
            )
            nullable = key == "hub_id" and value is None
            if not nullable and (isinstance(value, bool) or not isinstance(value, expected)):
                raise ModelError(
                    f"model {model!r}: config {key}={value!r} must be of type "
                    f"{getattr(expected, '__name__', 'number')}"
                )
            values[key] = float(value) if isinstance(default, float) else value
        return cls(**values)


def check_whisper_dir(folder: Path, name: str = "?") -> None:
    """Check that `folder` holds a saved Whisper model with its processor (no weights loaded).

    Raises:
        ModelError: the folder is missing, has no config.json, is not a Whisper model, or
            lacks the tokenizer or feature extractor files.
    """
    config = read_checkpoint_config(folder, name, "config.json, weights, tokenizer")
    model_type = config.get("model_type")
    if model_type != "whisper":
        raise ModelError(
            f"model {name!r}: {folder} holds a {model_type!r} model, not a Whisper one; use "
            "--backend ctc for CTC checkpoints"
        )
    if not any((folder / f).is_file() for f in TOKENIZER_FILES):
        raise ModelError(
            f"model {name!r}: {folder} has no tokenizer ({' or '.join(TOKENIZER_FILES)}); "
            "save the processor beside the model with processor.save_pretrained(DIR)"
        )
    if not any((folder / f).is_file() for f in EXTRACTOR_FILES):
        raise ModelError(
            f"model {name!r}: {folder} has no feature extractor settings "
            f"({' or '.join(EXTRACTOR_FILES)}); save them with processor.save_pretrained(DIR)"
        )


def register_whisper_model(
    project: Project,
    name: str,
    path: str | Path | None,
    *,
    hub_id: str | None = None,
    config: Mapping[str, Any] | None = None,
) -> int:
    """Register a Whisper checkpoint as a model version with backend ``"whisper"``.

    Args:
        project: the open project.
        name: the new model version's name.
        path: the checkpoint folder (absolute, relative to the project or to the working
            directory), or None with `hub_id`.
        hub_id: a Hugging Face hub id instead of a folder (loaded where the network allows).
        config: further :class:`WhisperConfig` options.

    Returns:
        The new model version's id.

    Raises:
        ModelError: the name is taken, the folder is not a Whisper checkpoint, both or
            neither of path and hub_id are given, or an option is invalid.
    """
    return register_checkpoint(
        project,
        name,
        path,
        hub_id,
        config,
        backend=BACKEND,
        check_dir=check_whisper_dir,
        validate=lambda options: WhisperConfig.from_mapping(options, name),
    )


class WhisperBackend(HfBackend[WhisperConfig]):
    """Transcribes clips with a Whisper model (see :class:`WhisperConfig` for options)."""

    name = BACKEND
    min_duration_s = MIN_DURATION_S
    too_long_hint = "Whisper's input window; segment long recordings with `voxcart segment`"
    load_errors = (OSError, ValueError, KeyError, TypeError)

    def __init__(self, spec: ModelSpec) -> None:
        """Read the spec's config (nothing is loaded until :meth:`load`).

        Raises:
            ModelError: the config is invalid, or the spec has neither a folder nor a hub_id.
        """
        super().__init__(spec, WhisperConfig.from_mapping(spec.config, spec.name))
        self._processor: Any = None
        self._prompt: list[int] = []
        self._generation: Any = None
        self._specials: frozenset[int] = frozenset()
        self._window_samples = 0

    def check_dir(self, folder: Path) -> None:
        """A Whisper checkpoint with its processor."""
        check_whisper_dir(folder, self.spec.name)

    def _model_type(self) -> str:
        return "whisper"

    def _options_version(self) -> str:
        """The prompt and scoring options."""
        c = self.config
        return f"greedy-{c.language}-{c.max_new_tokens}/{c.confidence}"

    def load(self) -> None:
        """Load the model and processor (idempotent).

        Raises:
            ModelError: the folder is missing or not a Whisper checkpoint, the hub id cannot
                be fetched, or the tokenizer lacks Whisper's special tokens.
        """
        if self._model is not None:
            return
        from transformers import WhisperForConditionalGeneration, WhisperProcessor

        model, processor = self._pretrained(
            lambda source, offline: (
                WhisperForConditionalGeneration.from_pretrained(source, local_files_only=offline),
                WhisperProcessor.from_pretrained(source, local_files_only=offline),
            )
        )
        extractor = processor.feature_extractor
        self._check_rate(extractor)
        frames = 2 * int(model.config.max_source_positions)
        self._window_samples = frames * int(extractor.hop_length)
        self.max_duration_s = min(self.config.max_seconds, self._window_samples / SAMPLE_RATE)
        tokenizer = processor.tokenizer
        self._specials = frozenset(
            {*tokenizer.all_special_ids, *(int(i) for i in tokenizer.added_tokens_decoder)}
        )
        self._prompt = self._prompt_ids(tokenizer, model)
        self._generation = self._generation_config(tokenizer, model)
        device = pick_device(self.config.device)
        self._dtype = autocast_dtype(device, self.config.precision)
        model.eval()
        cast(Any, model).to(device)  # transformers' typed wrapper of .to() confuses mypy
        self._model, self._processor, self._device = model, processor, device

    def _token(self, tokenizer: Any, token: str) -> int:
        token_id = tokenizer.convert_tokens_to_ids(token)
        unknown = token_id == tokenizer.unk_token_id and token != tokenizer.unk_token
        if token_id is None or unknown:
            raise ModelError(
                f"model {self.spec.name!r}: the tokenizer of {self.source} has no {token} "
                "token; it is not a Whisper tokenizer"
            )
        return int(token_id)

    def _prompt_ids(self, tokenizer: Any, model: Any) -> list[int]:
        prompt = [self._token(tokenizer, "<|startoftranscript|>")]
        multilingual = getattr(model.generation_config, "is_multilingual", None)
        if multilingual is None:
            multilingual = tokenizer.convert_tokens_to_ids("<|en|>") not in (
                None,
                tokenizer.unk_token_id,
            )
        if multilingual:
            prompt.append(self._token(tokenizer, f"<|{self.config.language}|>"))
            prompt.append(self._token(tokenizer, "<|transcribe|>"))
        prompt.append(self._token(tokenizer, "<|notimestamps|>"))
        return prompt

    def _generation_config(self, tokenizer: Any, model: Any) -> Any:
        from transformers import GenerationConfig

        end = self._token(tokenizer, "<|endoftext|>")
        limit = int(model.config.max_target_positions) - len(self._prompt)
        source = model.generation_config
        # Text only: every special token but end-of-text (prompt, language, timestamp tokens)
        # is suppressed, on top of the checkpoint's own list.
        suppress = {*(getattr(source, "suppress_tokens", None) or ()), *self._specials} - {end}
        return GenerationConfig(
            decoder_start_token_id=self._prompt[0],
            eos_token_id=end,
            pad_token_id=end,
            max_new_tokens=max(1, min(self.config.max_new_tokens, limit)),
            do_sample=False,
            num_beams=1,
            suppress_tokens=sorted(int(i) for i in suppress if 0 <= i < model.config.vocab_size)
            or None,
            begin_suppress_tokens=list(getattr(source, "begin_suppress_tokens", None) or [])
            or None,
            output_logits=True,
            return_dict_in_generate=True,
        )

    def _run(self, audios: list[np.ndarray]) -> list[Hypothesis]:
        import torch
        from transformers import GenerationMixin

        features = self._processor.feature_extractor(
            audios,
            sampling_rate=SAMPLE_RATE,
            padding="max_length",
            max_length=self._window_samples,
            return_tensors="pt",
        ).input_features.to(self._device)
        prompt = torch.tensor([self._prompt] * len(audios), device=self._device)
        # The generic greedy loop, not Whisper's long-form generate: the prompt is fixed here
        # and the raw logits of every step are kept for the confidences.
        out = self._forward(
            lambda: GenerationMixin.generate(
                self._model,
                input_features=features.to(self._model.dtype),
                # All frames are real to the encoder (it sees the padded window anyway).
                attention_mask=torch.ones(features.shape[0], features.shape[-1]).to(self._device),
                decoder_input_ids=prompt,
                decoder_attention_mask=torch.ones_like(prompt),
                generation_config=self._generation,
            ),
            f"{len(audios)} clips",
            f"batch_size (now {self.config.batch_size})",
        )
        log_probs = torch.log_softmax(torch.stack(out.logits, dim=1).float(), dim=-1)
        entropy = -(log_probs.exp() * log_probs.nan_to_num(neginf=0.0)).sum(-1)
        generated = out.sequences[:, len(self._prompt) :]
        chosen = log_probs.gather(-1, generated[:, : log_probs.shape[1], None]).squeeze(-1)
        tokenizer = self._processor.tokenizer
        mode = cast(WordConfidence, self.config.confidence)
        hypotheses = []
        for row, audio in enumerate(audios):
            steps = self._steps(
                generated[row].tolist(), chosen[row].tolist(), entropy[row].tolist(), tokenizer
            )
            hypotheses.append(
                build_hypothesis(
                    steps,
                    lambda ids: str(tokenizer.decode(ids, skip_special_tokens=True)),
                    audio.size / SAMPLE_RATE,
                    mode,
                )
            )
        return hypotheses

    def _steps(
        self, ids: list[int], logs: list[float], entropies: list[float], tokenizer: Any
    ) -> list[TokenStep]:
        """The text tokens up to end-of-text; special and timestamp tokens are dropped."""
        end = self._generation.eos_token_id
        steps = []
        for token_id, log_prob, entropy in zip(ids, logs, entropies, strict=False):
            if token_id == end:
                break
            if token_id in self._specials:
                continue
            piece = str(tokenizer.convert_ids_to_tokens(token_id))
            steps.append(TokenStep(token_id, piece, log_prob, entropy))
        return steps
