"""Tiny CTC checkpoints for tests, built from configs and saved like a trainer would save them.

No download anywhere: the model is random-initialised from a small config (or briefly trained
on one synthesized word), the tokenizer is a character vocabulary written here, and both are
saved with ``save_pretrained`` so that ``AutoModelForCTC`` / ``AutoProcessor`` load the folder.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

SR = 16_000
LETTERS = "abcdefghijklmnopqrstuvwxyz'"
SPECIALS = ("<pad>", "<unk>", "|")
TINY = {
    "hidden_size": 32,
    "num_hidden_layers": 2,
    "num_attention_heads": 2,
    "intermediate_size": 64,
    "conv_dim": (32, 32),
    "conv_stride": (5, 64),
    "conv_kernel": (10, 64),
    "num_conv_pos_embeddings": 16,
    "num_conv_pos_embedding_groups": 2,
    "hidden_dropout": 0.0,
    "attention_dropout": 0.0,
    "activation_dropout": 0.0,
    "feat_proj_dropout": 0.0,
    "final_dropout": 0.0,
    "layerdrop": 0.0,
    "mask_time_prob": 0.0,
    "ctc_loss_reduction": "mean",
}
"""A wav2vec2-shaped model of ~40k parameters; 320 samples (20 ms) per output frame."""


def write_vocab(folder: Path, extra: int = 0) -> Path:
    """Write a character vocab.json (pad, unk, word delimiter, a-z, apostrophe, `extra` more)."""
    vocab = {token: i for i, token in enumerate((*SPECIALS, *LETTERS))}
    for i in range(extra):
        vocab[f"x{i}"] = len(vocab)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "vocab.json"
    path.write_text(json.dumps(vocab), encoding="utf-8")
    return path


def make_processor(
    folder: Path, extra_tokens: int = 0, attention_mask: bool = True, normalize: bool = True
) -> Any:
    """A Wav2Vec2Processor with the character tokenizer, saved into `folder`."""
    from transformers import Wav2Vec2CTCTokenizer, Wav2Vec2FeatureExtractor, Wav2Vec2Processor

    vocab = write_vocab(folder, extra_tokens)
    tokenizer = Wav2Vec2CTCTokenizer(
        str(vocab), unk_token="<unk>", pad_token="<pad>", word_delimiter_token="|"
    )
    extractor = Wav2Vec2FeatureExtractor(
        feature_size=1,
        sampling_rate=SR,
        padding_value=0.0,
        do_normalize=normalize,
        return_attention_mask=attention_mask,
    )
    processor = Wav2Vec2Processor(feature_extractor=extractor, tokenizer=tokenizer)
    processor.save_pretrained(folder)
    return processor


def vocab_size() -> int:
    """Number of model outputs matching :func:`write_vocab` without extras."""
    return len(SPECIALS) + len(LETTERS)


def tiny_wav2vec2(seed: int = 0, **overrides: Any) -> Any:
    """A random-init Wav2Vec2ForCTC of the :data:`TINY` shape."""
    import torch
    from transformers import Wav2Vec2Config, Wav2Vec2ForCTC

    torch.manual_seed(seed)
    config = Wav2Vec2Config(
        vocab_size=vocab_size(),
        pad_token_id=0,
        feat_extract_norm="layer",
        do_stable_layer_norm=True,
        **{**TINY, **overrides},
    )
    return Wav2Vec2ForCTC(config)


def save_checkpoint(
    model: Any, folder: Path, extra_tokens: int = 0, normalize: bool = True
) -> Path:
    """Save `model` and a matching processor into `folder` (the trainer's layout)."""
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    make_processor(folder, extra_tokens, normalize=normalize)
    return folder


def tiny_checkpoint(folder: Path, seed: int = 0, **overrides: Any) -> Path:
    """A random-init tiny wav2vec2 CTC checkpoint saved into `folder`."""
    return save_checkpoint(tiny_wav2vec2(seed, **overrides), folder)


def other_architecture_checkpoint(folder: Path, kind: str) -> Path:
    """A tiny HuBERT or WavLM CTC checkpoint (same vocabulary) saved into `folder`."""
    import torch
    from transformers import HubertConfig, HubertForCTC, WavLMConfig, WavLMForCTC

    torch.manual_seed(0)
    shape = {k: v for k, v in TINY.items() if k != "ctc_loss_reduction"}
    common: dict[str, Any] = {"vocab_size": vocab_size(), "pad_token_id": 0, **shape}
    model: Any
    if kind == "hubert":
        model = HubertForCTC(HubertConfig(**common))
    elif kind == "wavlm":
        model = WavLMForCTC(WavLMConfig(**common, num_buckets=16, max_bucket_distance=50))
    else:
        raise ValueError(f"kind={kind!r}: use hubert or wavlm")
    return save_checkpoint(model, folder)


FRAME_SAMPLES = 320
POSITIVE_LETTER = "s"
NEGATIVE_LETTER = "o"


def constructed_checkpoint(folder: Path, margin: float = 10.0) -> Path:
    """A tiny wav2vec2 whose greedy path is known: it reads the sign of the signal's DC level.

    Weights are set by hand: the first conv averages the waveform into two channels (+mean,
    -mean), the layer norms turn that into a one-hot "positive / negative / silent" pattern,
    the transformer's residual branches and positional conv are zeroed (the encoder passes the
    pattern through), and the CTC head writes ``POSITIVE_LETTER`` for a positive level,
    ``NEGATIVE_LETTER`` for a negative one and the word delimiter for silence. So a clip of
    DC segments (see :func:`dc_segments`) decodes to known words at known frames.
    """
    import torch

    model = tiny_wav2vec2(seed=0)
    params = dict(model.named_parameters())
    with torch.no_grad():
        for name, param in params.items():
            if (
                name.endswith(("out_proj.weight", "out_proj.bias"))
                or "output_dense" in name
                or name.endswith(("pos_conv_embed.conv.bias", "weight.original0"))
            ):
                param.zero_()
        first = params["wav2vec2.feature_extractor.conv_layers.0.conv.weight"]
        first.zero_()
        first[0, 0, :] = 0.1
        first[1, 0, :] = -0.1
        second = params["wav2vec2.feature_extractor.conv_layers.1.conv.weight"]
        second.zero_()
        second[0, 0, :] = 1.0 / second.shape[-1]
        second[1, 1, :] = 1.0 / second.shape[-1]
        projection = params["wav2vec2.feature_projection.projection.weight"]
        projection.copy_(torch.eye(projection.shape[0]))
        params["wav2vec2.feature_projection.projection.bias"].zero_()
        head, bias = params["lm_head.weight"], params["lm_head.bias"]
        head.zero_()
        bias.zero_()
        tokens = {t: i for i, t in enumerate((*SPECIALS, *LETTERS))}
        head[tokens[POSITIVE_LETTER], 0] = margin
        head[tokens[NEGATIVE_LETTER], 1] = margin
        bias[tokens["|"]] = 8.0  # silence: a confident delimiter, as trained models have
    return save_checkpoint(model, folder, normalize=False)


def dc_segments(*segments: tuple[float, int]) -> np.ndarray:
    """A clip of constant-level segments: (level, frames of 20 ms) each, float32 at 16 kHz."""
    parts = [np.full(frames * FRAME_SAMPLES, level, dtype=np.float32) for level, frames in segments]
    return np.concatenate(parts)
