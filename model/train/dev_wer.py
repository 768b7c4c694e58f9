"""Dev-set word error rate during training: greedy CTC decoding scored by the corpus WER."""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from typing import Any

import torch
from torch import nn

from voxcart.datasets.text.wer import corpus_wer
from voxcart.model.train.batching import bucket_batches
from voxcart.model.train.data import ClipDataset, CtcCollator


def greedy_texts(logits: torch.Tensor, processor: Any) -> list[str]:
    """Best-path transcripts: argmax per frame, repeats merged, blanks removed."""
    ids = torch.argmax(logits.float(), dim=-1).cpu().tolist()
    return [" ".join(str(text).split()) for text in processor.batch_decode(ids)]


def uses_attention_mask(processor: Any) -> bool:
    """Whether the model expects an attention mask (layer-norm wav2vec2 variants do; the
    group-norm ones, such as wav2vec2-base, are trained on zero-padded audio without one)."""
    extractor = getattr(processor, "feature_extractor", None)
    return bool(getattr(extractor, "return_attention_mask", True))


@torch.no_grad()
def evaluate(
    model: nn.Module,
    processor: Any,
    dataset: ClipDataset,
    *,
    device: torch.device,
    max_batch_seconds: float,
    autocast: AbstractContextManager[Any] | None = None,
) -> tuple[float | None, list[str]]:
    """Greedy-decode every dev clip and score it.

    Returns:
        (corpus WER over the clips that could be read, None where it is undefined: see
        :mod:`voxcart.datasets.text.wer`; the hypotheses in dataset order, "" where a clip's
        audio was unreadable).
    """
    was_training = model.training
    model.eval()
    collator = CtcCollator(attention_mask=uses_attention_mask(processor))
    durations = [clip.duration_s for clip in dataset.clips]
    hypotheses = [""] * len(dataset)
    readable = [False] * len(dataset)
    try:
        for batch_indices in bucket_batches(durations, max_batch_seconds=max_batch_seconds):
            batch = collator([dataset[i] for i in batch_indices])
            if "input_values" not in batch:
                continue
            inputs = {"input_values": batch["input_values"].to(device)}
            if "attention_mask" in batch:
                inputs["attention_mask"] = batch["attention_mask"].to(device)
            with autocast or nullcontext():
                logits = model(**inputs).logits
            for index, text in zip(batch["indices"], greedy_texts(logits, processor), strict=True):
                hypotheses[index] = text
                readable[index] = True
    finally:
        model.train(was_training)
    refs = [clip.text for clip, ok in zip(dataset.clips, readable, strict=True) if ok]
    hyps = [text for text, ok in zip(hypotheses, readable, strict=True) if ok]
    return corpus_wer(refs, hyps), hypotheses
