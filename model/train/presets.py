"""Where a fine-tuning run starts: a from-scratch preset or a Hugging Face CTC model folder.

The ``small`` preset is a Wav2Vec2ForCTC of about four million parameters (7-layer
convolutional encoder, 4 transformer layers of width 256) whose character vocabulary is built
from the training text: quick enough to train on a CPU, for trying the workflow and for tests.
A folder is loaded with ``AutoModelForCTC``/``AutoProcessor``; a folder without a tokenizer (a
pretrained-only checkpoint such as ``wav2vec2-base``) gets a vocabulary from the training text
and a new CTC head. Freezing and LoRA wrapping are applied here too.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import torch
from torch import nn

from voxcart.model.train.char_vocab import PAD, UNK, WORD_DELIMITER, CharVocab
from voxcart.model.train.config import TrainConfig, TrainingError

SMALL = "small"
PRESETS: tuple[str, ...] = (SMALL,)
SMALL_MODEL: dict[str, Any] = {
    "hidden_size": 256,
    "num_hidden_layers": 4,
    "num_attention_heads": 4,
    "intermediate_size": 1024,
    "conv_dim": (128, 128, 128, 128, 128, 128, 128),
    "conv_stride": (5, 2, 2, 2, 2, 2, 2),
    "conv_kernel": (10, 3, 3, 3, 3, 2, 2),
    "num_conv_pos_embeddings": 32,
    "num_conv_pos_embedding_groups": 16,
    "feat_extract_norm": "layer",
    "do_stable_layer_norm": True,
}
LORA_TARGETS = ("q_proj", "k_proj", "v_proj", "out_proj")


@dataclass
class LoadedBase:
    """A model ready to train, with its processor and vocabulary.

    Attributes:
        model: the (possibly LoRA-wrapped) CTC model.
        processor: a ``Wav2Vec2Processor`` (feature extractor + CTC tokenizer).
        vocab: the character vocabulary labels are encoded with.
        source: the preset name or the resolved base folder.
        new_head: the CTC output layer was freshly initialized.
    """

    model: nn.Module
    processor: Any
    vocab: CharVocab
    source: str
    new_head: bool


def _model_overrides(config: TrainConfig) -> dict[str, Any]:
    return {
        "hidden_dropout": config.dropout,
        "activation_dropout": config.dropout,
        "attention_dropout": config.dropout,
        "feat_proj_dropout": config.dropout,
        "final_dropout": config.dropout,
        "layerdrop": config.layerdrop,
        "mask_time_prob": config.mask_time_prob,
        "mask_time_length": config.mask_time_length,
        "mask_feature_prob": config.mask_feature_prob,
        "mask_feature_length": config.mask_feature_length,
        "ctc_loss_reduction": "mean",
        "ctc_zero_infinity": True,
    }


def make_processor(vocab: CharVocab, feature_extractor: Any | None = None) -> Any:
    """A ``Wav2Vec2Processor`` for `vocab` (16 kHz, normalized audio, attention masks)."""
    from transformers import Wav2Vec2CTCTokenizer, Wav2Vec2FeatureExtractor, Wav2Vec2Processor

    with tempfile.TemporaryDirectory() as tmp:
        vocab_file = Path(tmp) / "vocab.json"
        vocab_file.write_text(json.dumps(vocab.to_mapping(), ensure_ascii=False), "utf-8")
        tokenizer = Wav2Vec2CTCTokenizer(
            str(vocab_file),
            unk_token=UNK,
            pad_token=PAD,
            word_delimiter_token=WORD_DELIMITER,
            bos_token=None,
            eos_token=None,
            do_lower_case=False,
        )
    if feature_extractor is None:
        feature_extractor = Wav2Vec2FeatureExtractor(
            feature_size=1,
            sampling_rate=16_000,
            padding_value=0.0,
            do_normalize=True,
            return_attention_mask=True,
        )
    return Wav2Vec2Processor(feature_extractor=feature_extractor, tokenizer=tokenizer)


def small_model(vocab: CharVocab, config: TrainConfig, seed: int) -> nn.Module:
    """The from-scratch ``small`` preset, with ``config.model`` overrides applied."""
    from transformers import Wav2Vec2Config, Wav2Vec2ForCTC

    settings = {**SMALL_MODEL, **dict(config.model), **_model_overrides(config)}
    settings.update(vocab_size=len(vocab.tokens), pad_token_id=vocab.pad_id)
    try:
        model_config = Wav2Vec2Config(**settings)
    except (TypeError, ValueError) as exc:
        raise TrainingError(f"[model] overrides {dict(config.model)!r} are invalid: {exc}") from exc
    torch.manual_seed(seed)
    return Wav2Vec2ForCTC(model_config)


def load_base(base: str, texts: Iterable[str], config: TrainConfig) -> LoadedBase:
    """Build the starting model named by `base` (a preset name or a model folder).

    Raises:
        TrainingError: `base` is neither a preset nor a folder holding a CTC-capable model.
    """
    if base in PRESETS:
        vocab = CharVocab.from_texts(texts)
        return LoadedBase(
            small_model(vocab, config, config.seed), make_processor(vocab), vocab, base, True
        )
    folder = Path(base).expanduser()
    if not (folder / "config.json").is_file():
        raise TrainingError(
            f"--base {base!r} is neither a preset ({', '.join(PRESETS)}) nor a folder holding a "
            "Hugging Face model (config.json); pass a model folder or `small`"
        )
    return _load_folder(folder.resolve(), texts, config)


def _load_folder(folder: Path, texts: Iterable[str], config: TrainConfig) -> LoadedBase:
    from transformers import AutoFeatureExtractor, AutoModelForCTC

    processor = _folder_processor(folder)
    new_head = processor is None
    if processor is None:
        vocab = CharVocab.from_texts(texts)
        try:
            extractor = AutoFeatureExtractor.from_pretrained(str(folder))
        except (OSError, ValueError):
            extractor = None
        processor = make_processor(vocab, extractor)
    else:
        vocab = CharVocab.from_mapping(processor.tokenizer.get_vocab())
    overrides = _model_overrides(config)
    if new_head:
        overrides.update(vocab_size=len(vocab.tokens), pad_token_id=vocab.pad_id)
    torch.manual_seed(config.seed)
    try:
        model = AutoModelForCTC.from_pretrained(
            str(folder), ignore_mismatched_sizes=new_head, **overrides
        )
    except (OSError, ValueError, TypeError, RuntimeError) as exc:
        raise TrainingError(f"cannot load a CTC model from {folder}: {exc}") from exc
    return LoadedBase(model, processor, vocab, str(folder), new_head)


def _folder_processor(folder: Path) -> Any | None:
    if not (folder / "vocab.json").is_file():
        return None
    from transformers import AutoProcessor

    try:
        processor = AutoProcessor.from_pretrained(str(folder))
    except (OSError, ValueError, TypeError) as exc:
        raise TrainingError(
            f"{folder} has a vocab.json but its processor is invalid: {exc}"
        ) from exc
    if not hasattr(processor, "tokenizer"):
        return None
    return processor


def transformer_layers(model: nn.Module) -> nn.ModuleList:
    """The encoder's transformer layers of a wav2vec2-family model."""
    encoder = getattr(getattr(model, "base_model", model), "encoder", None)
    layers = getattr(encoder, "layers", None)
    if not isinstance(layers, nn.ModuleList):
        raise TrainingError(f"{type(model).__name__} has no encoder.layers to freeze")
    return layers


def apply_freezing(model: nn.Module, config: TrainConfig) -> None:
    """Freeze the feature encoder and the lowest ``freeze_layers`` transformer layers.

    Raises:
        TrainingError: more layers asked for than the model has.
    """
    if config.freeze_feature_encoder:
        freeze = getattr(model, "freeze_feature_encoder", None)
        if callable(freeze):
            freeze()
    if config.freeze_layers:
        layers = transformer_layers(model)
        if config.freeze_layers > len(layers):
            raise TrainingError(
                f"freeze_layers={config.freeze_layers} but the model has {len(layers)} "
                "transformer layers; choose at most that many"
            )
        for layer in layers[: config.freeze_layers]:
            for param in layer.parameters():
                param.requires_grad_(False)


def wrap_lora(model: nn.Module, config: TrainConfig, new_head: bool) -> nn.Module:
    """Wrap the attention projections with LoRA adapters; only they (and a new head) train."""
    from peft import LoraConfig, get_peft_model

    lora = LoraConfig(
        r=config.lora_rank,
        lora_alpha=config.lora_alpha,
        lora_dropout=config.lora_dropout,
        target_modules=list(LORA_TARGETS),
        modules_to_save=["lm_head"] if new_head else None,
    )
    return get_peft_model(model, lora)


def prepare_model(loaded: LoadedBase, config: TrainConfig) -> LoadedBase:
    """Apply freezing or LoRA to a loaded base (in place for freezing)."""
    apply_freezing(loaded.model, config)
    if config.lora:
        loaded.model = wrap_lora(loaded.model, config, loaded.new_head)
    return loaded


def plain_model(model: nn.Module) -> nn.Module:
    """The bare HF model: DDP unwrapped, LoRA adapters merged into the weights."""
    inner = getattr(model, "module", model)
    merge = getattr(inner, "merge_and_unload", None)
    if callable(merge):
        return cast(nn.Module, merge())
    return inner


def parameter_summary(model: nn.Module) -> Mapping[str, int]:
    """Total and trainable parameter counts."""
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return {"parameters": total, "trainable_parameters": trainable}
