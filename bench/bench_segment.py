"""Segmentation benchmark: speed and boundary accuracy of silero-vad vs the energy baseline.

A 10-minute session of synthesized spoken queries (two voices, pauses of 0.8-2.5 s) is cut by
each method, clean and over real background noise from ../shared/data/noise (skipped where
that folder is absent). Both methods run in the same process, one torch thread, so their
real-time factors compare.

Reported per method and condition:
  rtf            processing seconds per second of audio on one core (lower is faster)
  x_realtime     1 / rtf
  clips / truth  clips produced vs queries spoken (clip count error = difference)
  boundary_ms    mean |error| of detected speech start/end vs the true speech edges, over
                 queries matched by a clip
  missed_s       true speech not inside any clip's speech span
  false_s        clip speech outside any true speech

Run from the repository root:  python bench/bench_segment.py [--minutes 10] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.datasets.segment_sessions import (  # noqa: E402
    SR,
    VOICES,
    Session,
    boundary_errors,
    build_session,
)
from voxcart.datasets.audio import load_audio  # noqa: E402
from voxcart.datasets.segment.cut import SegmentConfig, segment_audio  # noqa: E402
from voxcart.datasets.segment.vad_energy import EnergyVad  # noqa: E402
from voxcart.datasets.segment.vad_silero import SileroVad  # noqa: E402

NOISE_DIR = ROOT.parent / "shared" / "data" / "noise"
NOISE_FILES = (
    "pyroomacoustics__doing_the_dishes.wav",
    "pyroomacoustics__exercise_bike.wav",
    "audiomentations__bus.wav",
)


def real_noise() -> np.ndarray | None:
    """Real background noise recordings joined end to end, or None where they are absent."""
    parts = [load_audio(NOISE_DIR / name) for name in NOISE_FILES if (NOISE_DIR / name).is_file()]
    return np.concatenate(parts) if parts else None


def _mask(spans: list[tuple[float, float]], n: int) -> np.ndarray:
    mask = np.zeros(n, dtype=bool)
    for start, end in spans:
        mask[max(0, round(start * 100)) : min(n, round(end * 100))] = True
    return mask


def score(session: Session, detector: object, config: SegmentConfig) -> dict[str, float]:
    """Run one method on one session and measure it."""
    start = time.perf_counter()
    clips, _ = segment_audio(session.audio, config, detector)
    elapsed = time.perf_counter() - start
    spans = [(c.speech_start_s, c.speech_end_s) for c in clips]
    truth = [(u.start_s, u.end_s) for u in session.utterances]
    errors = np.abs(np.array(boundary_errors(spans, session.utterances))).reshape(-1)
    frames = round(session.duration_s * 100) + 1
    hyp, ref = _mask(spans, frames), _mask(truth, frames)
    rtf = elapsed / session.duration_s
    return {
        "rtf": round(rtf, 4),
        "x_realtime": round(1 / rtf, 1),
        "clips": len(clips),
        "truth": len(truth),
        "count_error": len(clips) - len(truth),
        "boundary_ms": round(float(errors.mean()) * 1000, 1) if errors.size else float("nan"),
        "missed_s": round(float((ref & ~hyp).sum()) / 100, 2),
        "false_s": round(float((hyp & ~ref).sum()) / 100, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--snr", type=float, default=10.0, help="speech-to-noise ratio in dB")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(1)
    n_queries = max(1, round(args.minutes * 60 / 3.53))  # measured: 3.53 s per query + pause
    sessions = {"clean": build_session(n_queries, args.seed, VOICES, (0.8, 2.5))}
    noise = real_noise()
    if noise is not None:
        sessions[f"real noise {args.snr:g} dB"] = build_session(
            n_queries, args.seed, VOICES, (0.8, 2.5), noise=noise, snr_db=args.snr
        )
    else:
        print(f"(no noise recordings at {NOISE_DIR}: noisy condition skipped)", file=sys.stderr)
    silero = SileroVad()
    silero.detect(np.zeros(SR, dtype=np.float32))  # load the model outside the timing
    config = SegmentConfig()
    results = []
    for condition, session in sessions.items():
        for name, detector in (("silero-vad", silero), ("energy", EnergyVad())):
            row = {"condition": condition, "method": name, "audio_s": round(session.duration_s, 1)}
            row.update(score(session, detector, config))
            results.append(row)
    if args.json:
        print(json.dumps(results, indent=2))
        return
    header = (
        f"{'condition':<18}{'method':<12}{'audio_s':>8}{'rtf':>8}{'x_rt':>7}{'clips':>6}"
        f"{'truth':>6}{'bound_ms':>9}{'missed_s':>9}{'false_s':>8}"
    )
    print(header)
    for r in results:
        print(
            f"{r['condition']:<18}{r['method']:<12}{r['audio_s']:>8}{r['rtf']:>8}"
            f"{r['x_realtime']:>7}{r['clips']:>6}{r['truth']:>6}{r['boundary_ms']:>9}"
            f"{r['missed_s']:>9}{r['false_s']:>8}"
        )


if __name__ == "__main__":
    main()
