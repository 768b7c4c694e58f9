"""Throughput of each augmentation preset, in seconds of audio per second on one core.

Usage: ``python bench/bench_augment.py [--seconds 60] [--speech DIR] [--cache DIR]``

Speech comes from ``../shared/data/speech`` when present (else it is synthesized). Threads are
pinned to one (``OMP_NUM_THREADS=1`` etc.), so the numbers are per core. Reported per preset:
the first call (pipeline build, bank open, audiomentations/numba warm-up) separately from the
steady-state throughput, and the slowdown against a no-op pipeline that goes through the same
seeding and parameter recording, measured in the same run.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from voxcart.augment.apply import Augmenter  # noqa: E402
from voxcart.augment.bank_cache import Banks  # noqa: E402
from voxcart.augment.presets import preset_names  # noqa: E402

SR = 16_000
SHARED_SPEECH = Path(__file__).resolve().parents[2] / "shared" / "data" / "speech"
NOOP = {
    "name": "noop",
    "transforms": [{"name": "Gain", "min_gain_db": 0.0, "max_gain_db": 0.0, "p": 0.0}],
}


def load_speech(folder: Path, limit: int = 40) -> tuple[list[np.ndarray], str]:
    """Real clips from `folder` (16 kHz mono), or synthesized queries when it is absent."""
    if folder.is_dir():
        from voxcart.datasets.audio import load_audio

        clips = [load_audio(p) for p in sorted(folder.glob("*.wav"))[:limit]]
        clips = [c for c in clips if c.size > SR // 4]
        if clips:
            return clips, f"{len(clips)} real clips from {folder}"
    from voxcart.datasets.audio import resample
    from voxcart.datasets.demo.synth import Voice, synthesize

    texts = ["show me sony wireless earbuds under fifty dollars", "add two gallons of milk"]
    clips = []
    for i, text in enumerate(texts * 5):
        audio, rate = synthesize(text, Voice(name="en-us", language="en-US", pitch=30 + 5 * i))
        clips.append(resample(audio, rate, SR))
    return clips, f"{len(clips)} synthesized clips"


def measure(augmenter: Augmenter, clips: list[np.ndarray], seconds: float) -> tuple[float, float]:
    """(first-call seconds, steady-state seconds of audio per second)."""
    start = time.perf_counter()
    augmenter(clips[0], SR, 0)
    first = time.perf_counter() - start
    audio_s = 0.0
    elapsed = 0.0
    seed = 1
    while elapsed < seconds:
        for clip in clips:
            t0 = time.perf_counter()
            augmenter(clip, SR, seed)
            elapsed += time.perf_counter() - t0
            audio_s += clip.size / SR
            seed += 1
    return first, audio_s / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="timed seconds per preset")
    parser.add_argument("--speech", type=Path, default=SHARED_SPEECH)
    parser.add_argument("--cache", type=Path, default=None, help="bank cache (default: temp)")
    args = parser.parse_args()
    clips, origin = load_speech(args.speech)
    total = sum(c.size for c in clips) / SR
    print(f"speech: {origin}, {total:.1f} s in all; one thread; {args.seconds:.0f} s per preset")
    with tempfile.TemporaryDirectory() as tmp:
        banks = Banks(cache_dir=args.cache or Path(tmp))
        t0 = time.perf_counter()
        banks.noise()
        t1 = time.perf_counter()
        banks.rir()
        t2 = time.perf_counter()
        print(f"default banks built: noise {t1 - t0:.2f} s, 24 simulated rooms {t2 - t1:.2f} s")
        _, noop_rate = measure(Augmenter(NOOP, banks), clips, args.seconds)
        print(
            f"{'preset':<12} {'first call s':>12} {'audio s/s/core':>15} {'slowdown vs no-op':>18}"
        )
        print(f"{'(no-op)':<12} {'':>12} {noop_rate:>15.1f} {1.0:>17.1f}x")
        for name in preset_names():
            first, rate = measure(Augmenter(name, banks), clips, args.seconds)
            print(f"{name:<12} {first:>12.3f} {rate:>15.1f} {noop_rate / rate:>17.1f}x")


if __name__ == "__main__":
    main()
