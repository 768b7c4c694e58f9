"""Throughput of the ctc backend: bucketed batches vs one clip at a time, fp32 vs int8.

No pretrained weights are available offline, so the model is a RANDOM-INIT wav2vec2 of the
base architecture with fewer transformer layers (--layers): the numbers measure compute, not
accuracy. Clips are synthesized speech of varying length (or WAVs from --speech-dir).

    python bench/bench_ctc.py --clips 48 --layers 4
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from voxcart.model.backends.base import SAMPLE_RATE, ModelSpec
from voxcart.model.backends.ctc import CtcBackend

QUERIES = (
    "show me sony wireless headphones under fifty dollars",
    "ninja air fryer",
    "add the apple airpods pro to my cart",
    "samsung tv",
    "do you have dyson vacuums in stock and can they ship by friday",
    "nike running shoes size ten",
)


def synth_clips(count: int) -> list[np.ndarray]:
    """`count` synthesized queries at 16 kHz, of varying rate and length."""
    from voxcart.datasets.audio import resample
    from voxcart.datasets.demo.synth import Voice, synthesize

    clips = []
    for i in range(count):
        text = " ".join(QUERIES[j % len(QUERIES)] for j in range(i % 3 + 1))
        audio, rate = synthesize(text, Voice("en-us", "en-US", rate_wpm=140 + 10 * (i % 5)))
        clips.append(resample(audio, rate, SAMPLE_RATE).astype(np.float32))
    return clips


def wav_clips(folder: Path, count: int) -> list[np.ndarray]:
    """Up to `count` clips (at most 20 s each) from the WAV/FLAC files in `folder`."""
    from voxcart.datasets.audio import load_audio

    paths = sorted([*folder.rglob("*.wav"), *folder.rglob("*.flac")])[:count]
    return [load_audio(p)[: 20 * SAMPLE_RATE] for p in paths]


def build_checkpoint(folder: Path, layers: int) -> Path:
    """Save a random-init base-shaped wav2vec2 CTC model with a character tokenizer."""
    import json

    import torch
    from transformers import (
        Wav2Vec2Config,
        Wav2Vec2CTCTokenizer,
        Wav2Vec2FeatureExtractor,
        Wav2Vec2ForCTC,
        Wav2Vec2Processor,
    )

    vocab = {t: i for i, t in enumerate(["<pad>", "<unk>", "|", *"abcdefghijklmnopqrstuvwxyz'"])}
    (folder / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
    torch.manual_seed(0)
    model = Wav2Vec2ForCTC(
        Wav2Vec2Config(vocab_size=len(vocab), pad_token_id=0, num_hidden_layers=layers)
    )
    model.save_pretrained(folder)
    tokenizer = Wav2Vec2CTCTokenizer(str(folder / "vocab.json"), word_delimiter_token="|")
    extractor = Wav2Vec2FeatureExtractor(sampling_rate=SAMPLE_RATE, return_attention_mask=False)
    Wav2Vec2Processor(feature_extractor=extractor, tokenizer=tokenizer).save_pretrained(folder)
    return folder


def measure(folder: Path, clips: list[np.ndarray], batched: bool, int8: bool) -> float:
    """Clips per second of greedy transcription (after one warm-up clip)."""
    config = {"decoder": "greedy", "device": "cpu", "quantize": int8, "batch_size": 16}
    engine = CtcBackend(ModelSpec("bench", "ctc", folder, config))
    engine.load()
    engine.transcribe(clips[:1])
    began = time.perf_counter()
    if batched:
        engine.transcribe(clips)
    else:
        for clip in clips:
            engine.transcribe([clip])
    return len(clips) / (time.perf_counter() - began)


def main() -> None:
    """Run the four configurations and print a table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clips", type=int, default=32)
    parser.add_argument("--layers", type=int, default=4, help="transformer layers (base: 12)")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: default)")
    parser.add_argument("--speech-dir", type=Path, default=None)
    args = parser.parse_args()
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    clips = wav_clips(args.speech_dir, args.clips) if args.speech_dir else synth_clips(args.clips)
    seconds = sum(c.size for c in clips) / SAMPLE_RATE
    print(
        f"RANDOM-INIT wav2vec2 (base shape, {args.layers} layers; no pretrained weights "
        f"offline): {len(clips)} clips, {seconds:.1f} s of audio, {torch.get_num_threads()} "
        "CPU threads, greedy decoding"
    )
    with tempfile.TemporaryDirectory() as tmp:
        folder = build_checkpoint(Path(tmp), args.layers)
        print(f"{'weights':8} {'batching':22} {'clips/s':>8} {'x realtime':>10}")
        for int8 in (False, True):
            for batched in (False, True):
                rate = measure(folder, clips, batched, int8)
                mode = "bucketed batches of 16" if batched else "one clip at a time"
                weights = "int8" if int8 else "fp32"
                print(f"{weights:8} {mode:22} {rate:8.2f} {rate * seconds / len(clips):10.1f}")


if __name__ == "__main__":
    main()
