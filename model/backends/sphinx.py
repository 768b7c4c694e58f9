"""The default `sphinx` backend: pocketsphinx's bundled en-us acoustic model, no download.

A model version with no folder uses the bundled generic LM and dictionary (``sphinx-generic``);
one with a folder uses its ``lm.arpa`` and ``words.dict`` (the catalog LM built by
:mod:`voxcart.model.lm.build`). Word confidences are the lattice posteriors of the best path,
word times come from its segmentation (100 frames a second). An acoustically adapted version
(:mod:`voxcart.model.adapt`) names its own acoustic-model folder (``hmm``) or an MLLR
transform (``mllr``) inside its model folder.
"""

from __future__ import annotations

import hashlib
import itertools
import math
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from voxcart.model.backends.base import ModelSpec
from voxcart.model.backends.hypothesis import (
    Hypothesis,
    NBestEntry,
    UtteranceScores,
    WordHypothesis,
)
from voxcart.model.errors import ModelError
from voxcart.model.lm.pron_dict import bundled_dict_path, bundled_hmm_path

DEFAULT_NBEST = 5
MAX_DURATION_S = 60.0
MIN_DURATION_S = 0.1
_NBEST_SCAN = 4  # candidates examined per distinct entry kept (N-best repeats texts)
_MIN_LOG = -1e4


class SphinxBackend:
    """pocketsphinx decoding with the bundled acoustic model and a generic or catalog LM.

    Config keys (all optional): ``lm`` and ``dict`` (file names inside the model folder),
    ``nbest`` (alternatives kept, 0 for none), ``lw`` (language weight), ``beam``/``wbeam``,
    ``hmm`` (an acoustic-model folder inside the model folder; default: the bundled one) and
    ``mllr`` (an MLLR transform file inside the model folder).
    """

    name = "sphinx"
    max_duration_s = MAX_DURATION_S
    min_duration_s = MIN_DURATION_S

    def __init__(self, spec: ModelSpec) -> None:
        self.spec = spec
        config = dict(spec.config)
        self._nbest = int(config.get("nbest", DEFAULT_NBEST))
        if self._nbest < 0:
            raise ModelError(f"model {spec.name!r}: config nbest={self._nbest} must be >= 0")
        self._options = {k: config[k] for k in ("lw", "beam", "wbeam") if k in config}
        self._hmm = bundled_hmm_path()
        self._mllr: Path | None = None
        if spec.path is None:
            self._lm: Path | None = None
            self._dict = bundled_dict_path()
        else:
            self._lm = spec.path / str(config.get("lm", "lm.arpa"))
            self._dict = spec.path / str(config.get("dict", "words.dict"))
            if config.get("hmm"):
                self._hmm = spec.path / str(config["hmm"])
            if config.get("mllr"):
                self._mllr = spec.path / str(config["mllr"])
        self._decoder: Any = None
        self._version: str | None = None

    @property
    def version(self) -> str:
        """pocketsphinx version plus digests of the LM, dictionary and adapted acoustics."""
        if self._version is None:
            try:
                engine = metadata.version("pocketsphinx")
            except metadata.PackageNotFoundError:
                engine = "unknown"
            lm = _digest(self._lm) if self._lm is not None else "bundled-en-us"
            acoustic = "en-us"
            if self._hmm != bundled_hmm_path():
                acoustic = f"am:{_digest(self._hmm / 'means')}{_digest(self._hmm / 'sendump')}"
            if self._mllr is not None:
                acoustic += f"/mllr:{_digest(self._mllr)}"
            self._version = f"pocketsphinx-{engine}/{acoustic}/lm:{lm}/dict:{_digest(self._dict)}"
        return self._version

    def load(self) -> None:
        """Create the decoder (idempotent).

        Raises:
            ModelError: the LM or dictionary file is missing or pocketsphinx rejects it.
        """
        if self._decoder is not None:
            return
        from pocketsphinx import Config, Decoder

        for path in (self._lm, self._dict, self._mllr, self._hmm / "means"):
            if path is not None and not path.is_file():
                raise ModelError(
                    f"model {self.spec.name!r}: {path} is missing; rebuild it with "
                    "`voxcart lm build`"
                )
        config = Config()
        config["hmm"] = str(self._hmm)
        config["dict"] = str(self._dict)
        if self._mllr is not None:
            config["mllr"] = str(self._mllr)
        if self._lm is not None:
            config["lm"] = str(self._lm)
        config["loglevel"] = "FATAL"
        for key, value in self._options.items():
            config[key] = float(value)
        try:
            self._decoder = Decoder(config)
        except (RuntimeError, ValueError) as exc:
            raise ModelError(f"pocketsphinx cannot load model {self.spec.name!r}: {exc}") from exc

    def transcribe(self, batch: Sequence[np.ndarray]) -> list[Hypothesis]:
        """Decode each 16 kHz mono float32 clip; one hypothesis per clip, in order."""
        self.load()
        return [self._decode(np.asarray(audio, dtype=np.float32)) for audio in batch]

    def _decode(self, audio: np.ndarray) -> Hypothesis:
        if audio.ndim != 1:
            raise ModelError(f"sphinx expects mono audio (1-D array), got shape {audio.shape}")
        decoder = self._decoder
        pcm = (np.clip(audio, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()
        # The front end keeps its noise estimate from one utterance to the next: without a
        # reset, a clip's transcript depended on the clips decoded before it (a quarter of
        # demo clips changed with the order), so suggestions and evaluations varied with
        # batching, workers and resume points. Resetting costs about 3% of decoding time.
        decoder.reinit_feat()
        decoder.start_utt()
        decoder.process_raw(pcm, full_utt=True)
        decoder.end_utt()
        best = decoder.hyp()
        if best is None:
            return Hypothesis("", (), UtteranceScores.from_confidences([]))
        # Posteriors exist only once the lattice is scored; get_prob() does that.
        utterance_prob = _unit(decoder.get_prob())
        frate = float(decoder.config["frate"])
        words: list[WordHypothesis] = []
        for segment in decoder.seg():
            word = _clean_word(segment.word)
            if word is None:
                continue
            start = max(0.0, segment.start_frame / frate)
            end = max(start, (segment.end_frame + 1) / frate)
            words.append(WordHypothesis(word, start, end, _unit(segment.prob)))
        text = " ".join(w.word for w in words)
        scores = UtteranceScores.from_confidences(
            [w.confidence for w in words], utterance_prob=utterance_prob
        )
        return Hypothesis(text, tuple(words), scores, self._alternatives(text))

    def _alternatives(self, best_text: str) -> tuple[NBestEntry, ...]:
        if self._nbest == 0:
            return ()
        seen: dict[str, float] = {}
        for entry in itertools.islice(self._decoder.nbest(), self._nbest * _NBEST_SCAN):
            if entry is None:
                continue
            text = " ".join(w for w in (_clean_word(t) for t in (entry.hypstr or "").split()) if w)
            if text and text not in seen:
                seen[text] = _log(entry.score)
            if len(seen) >= self._nbest:
                break
        top = max(seen.values(), default=0.0)
        best = seen.pop(best_text, top) if best_text else None
        ranked = sorted(seen.items(), key=lambda item: -item[1])
        if best is not None:
            ranked.insert(0, (best_text, max(best, top)))
        return tuple(NBestEntry(t, s) for t, s in ranked[: self._nbest])


def _clean_word(word: str) -> str | None:
    """Drop fillers and sentence marks; strip the ``(2)`` alternative-pronunciation suffix."""
    if not word or word[0] in "<[+" or word.startswith("++"):
        return None
    if word.endswith(")") and "(" in word:
        word = word[: word.index("(")]
    return word or None


def _unit(value: float) -> float:
    # pocketsphinx's log-math rounding can give 1.0001 for a certain word.
    if not math.isfinite(value):
        return 0.0
    return min(1.0, max(0.0, float(value)))


def _log(value: float) -> float:
    if not math.isfinite(value) or value <= 0:
        return _MIN_LOG
    return max(_MIN_LOG, math.log(value))


def _digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    except OSError:
        return "missing"
