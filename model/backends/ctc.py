"""The `ctc` backend: any Hugging Face ``AutoModelForCTC`` checkpoint (wav2vec2, HuBERT, WavLM,
w2v-BERT, ...) from a local folder, or a hub id where the network allows.

Clips are batched by length (:mod:`voxcart.model.train.batching`), padded with an attention mask
where the feature extractor asks for one, run under autocast on a GPU (or int8-quantized on
the CPU when configured), and decoded greedily or by beam search with catalog hotwords
(:mod:`voxcart.model.backends.ctc_decode`). Model versions with backend ``"ctc"`` are
registered with :func:`voxcart.model.backends.ctc_models.register_ctc_model`; their
``config`` holds the options of :class:`CtcConfig`.
"""

from __future__ import annotations

import hashlib
import math
from pathlib import Path
from typing import Any

import numpy as np

from voxcart.model.backends.base import SAMPLE_RATE, ModelSpec
from voxcart.model.backends.ctc_config import MIN_DURATION_S, CtcConfig
from voxcart.model.backends.ctc_decode import (
    CtcDecoder,
    CtcVocab,
)
from voxcart.model.backends.ctc_models import check_checkpoint_dir
from voxcart.model.backends.device import autocast_dtype, pick_device, quantize_int8
from voxcart.model.backends.hf_core import HfBackend
from voxcart.model.backends.hypothesis import Hypothesis
from voxcart.model.errors import ModelError
from voxcart.model.train.batching import bucket_batches


class CtcBackend(HfBackend[CtcConfig]):
    """Transcribes clips with a Hugging Face CTC model (see :class:`CtcConfig` for options)."""

    name = "ctc"
    min_duration_s = MIN_DURATION_S
    too_long_hint = (
        "raise max_seconds in its config, or segment long recordings with `voxcart segment`"
    )

    def __init__(self, spec: ModelSpec) -> None:
        """Read the spec's config (nothing is loaded until :meth:`load`).

        Raises:
            ModelError: the config is invalid, or the spec has neither a folder nor a hub_id.
        """
        super().__init__(spec, CtcConfig.from_mapping(spec.config, spec.name))
        self._feature_extractor: Any = None
        self._decoder: CtcDecoder | None = None

    def check_dir(self, folder: Path) -> None:
        """A CTC checkpoint with its tokenizer."""
        check_checkpoint_dir(folder, self.spec.name)

    def _options_version(self) -> str:
        """Decoding, confidence and weight options (the version also names the model type)."""
        c = self.config
        decoding = f"{c.decoder}"
        if c.decoder == "beam":
            hot = hashlib.sha256("\n".join(sorted(c.hotwords)).encode()).hexdigest()[:8]
            decoding += f"{c.beam_width}:hw{len(c.hotwords)}-{hot}x{c.hotword_weight:g}"
            if c.kenlm:
                decoding += f":lm-{Path(c.kenlm).name}-{c.alpha:g}-{c.beta:g}"
        weights = "int8" if c.quantize else "fp32"
        return f"{decoding}/{c.confidence}/{weights}"

    def load(self) -> None:
        """Load the model, processor and decoder (idempotent).

        Raises:
            ModelError: the folder is missing or not a CTC checkpoint, the tokenizer does not
                match the model, the hub id cannot be fetched, or a decoder option is invalid.
        """
        if self._model is not None:
            return
        from transformers import AutoModelForCTC, AutoProcessor

        def from_pretrained(source: str, offline: bool) -> tuple[Any, Any, Any]:
            model, info = AutoModelForCTC.from_pretrained(
                source, local_files_only=offline, output_loading_info=True
            )
            return model, info, AutoProcessor.from_pretrained(source, local_files_only=offline)

        model, info, processor = self._pretrained(from_pretrained)
        head_missing = [k for k in info.get("missing_keys", ()) if "lm_head" in k]
        if head_missing:
            raise ModelError(
                f"model {self.spec.name!r}: {self.source} has no trained CTC head "
                f"({', '.join(sorted(head_missing))} missing); fine-tune it first"
            )
        tokenizer = getattr(processor, "tokenizer", None)
        extractor = getattr(processor, "feature_extractor", None)
        if tokenizer is None or extractor is None:
            raise ModelError(
                f"model {self.spec.name!r}: {self.source} lacks a tokenizer or feature "
                "extractor (vocab.json, tokenizer_config.json, preprocessor_config.json); "
                "save the processor with the model"
            )
        self._check_rate(extractor)
        vocab = _vocab(tokenizer, model, self.spec.name)
        decoder = CtcDecoder(vocab, self.config.decode_options(self.spec.path))
        device = pick_device(self.config.device)
        dtype = autocast_dtype(device, self.config.precision)
        model.eval()
        if self.config.quantize:
            if device.type != "cpu":
                raise ModelError(
                    f"model {self.spec.name!r}: quantize=true runs on the CPU only, but "
                    f"device resolved to {device}; set device='cpu' or quantize=false"
                )
            model = quantize_int8(model)
        model.to(device)
        self._model, self._feature_extractor, self._decoder = model, extractor, decoder
        self._device, self._dtype = device, dtype

    def _batches(self, durations: list[float]) -> list[list[int]]:
        return bucket_batches(
            durations,
            batch_size=self.config.batch_size,
            max_batch_seconds=self.config.max_batch_seconds,
        )

    def _run(self, audios: list[np.ndarray]) -> list[Hypothesis]:
        import torch

        assert self._decoder is not None
        inputs = self._feature_extractor(
            audios, sampling_rate=SAMPLE_RATE, padding=True, return_tensors="pt"
        )
        inputs = {k: v.to(self._device) for k, v in inputs.items() if isinstance(v, torch.Tensor)}

        def forward() -> np.ndarray:
            logits = self._model(**inputs).logits
            return torch.log_softmax(logits.float(), dim=-1).cpu().numpy()

        padded = max(a.size for a in audios) * len(audios) / SAMPLE_RATE
        log_probs = self._forward(
            forward,
            f"{len(audios)} clips ({padded:.0f} s of padded audio)",
            f"max_batch_seconds (now {self.config.max_batch_seconds:g}) or batch_size "
            f"(now {self.config.batch_size})",
        )
        frames, frame_s = self._frames(audios, "input_values" in inputs, log_probs.shape[1])
        return [
            self._decoder.decode(log_probs[i, : frames[i]], frame_s, audio.size / SAMPLE_RATE)
            for i, audio in enumerate(audios)
        ]

    def _frames(self, audios: list[np.ndarray], raw: bool, padded: int) -> tuple[list[int], float]:
        """Each clip's own output frame count, and the seconds per frame."""
        import torch

        samples = [a.size for a in audios]
        longest = max(samples)
        lengths_fn = getattr(self._model, "_get_feat_extract_output_lengths", None)
        ratio = getattr(self._model.config, "inputs_to_logits_ratio", None)
        if raw and lengths_fn is not None and ratio:
            counts = lengths_fn(torch.tensor(samples)).tolist()
            return [min(padded, int(c)) for c in counts], float(ratio) / SAMPLE_RATE
        # Feature-input models (w2v-BERT): frames are proportional to samples.
        counts = [min(padded, math.ceil(padded * n / longest)) for n in samples]
        return counts, longest / SAMPLE_RATE / max(padded, 1)


def _vocab(tokenizer: Any, model: Any, name: str) -> CtcVocab:
    outputs = int(model.lm_head.out_features) if hasattr(model, "lm_head") else None
    outputs = outputs or int(model.config.vocab_size)
    sizes = {int(tokenizer.vocab_size), len(tokenizer)}
    if outputs not in sizes:
        raise ModelError(
            f"model {name!r}: the tokenizer has {min(sizes)} tokens but the model outputs "
            f"{outputs}; the vocab.json does not belong to this checkpoint"
        )
    tokens = tokenizer.convert_ids_to_tokens(list(range(outputs)))
    blank = tokenizer.pad_token_id
    if blank is None:
        blank = getattr(model.config, "pad_token_id", None)
    if blank is None:
        raise ModelError(f"model {name!r}: the tokenizer has no pad (CTC blank) token")
    specials = set(getattr(tokenizer, "all_special_ids", ()))
    specials |= {i for i, t in enumerate(tokens) if t.startswith("<") and t.endswith(">")}
    delimiter = getattr(tokenizer, "word_delimiter_token", None) or "|"
    specials.discard(tokenizer.convert_tokens_to_ids(delimiter))
    return CtcVocab.from_tokens(tokens, int(blank), specials, delimiter)
