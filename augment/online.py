"""Training-time augmentation: a picklable transform seeded per (epoch, clip).

The same (seed, epoch, clip key) always gives the same output, in the main process or in any
DataLoader worker, whatever the worker count or order; banks and audiomentations objects are
built lazily, once per process, on the first call. No torch import: it works on numpy arrays.
"""

from __future__ import annotations

import hashlib

import numpy as np

from voxcart.augment.apply import Augmenter, AugmentResult
from voxcart.augment.bank_cache import Banks
from voxcart.augment.errors import AugmentError
from voxcart.augment.presets import PipelineLike

ClipKey = str | int
"""What identifies a clip across epochs: its uid or its id."""


def clip_key_hash(clip_key: ClipKey) -> int:
    """A stable 63-bit integer for a clip key (Python's ``hash`` differs between processes)."""
    if isinstance(clip_key, bool) or not isinstance(clip_key, str | int | np.integer):
        raise AugmentError(f"clip_key={clip_key!r} must be a str (uid) or an int (id)")
    text = f"{type(clip_key).__name__ if isinstance(clip_key, str) else 'int'}:{clip_key}"
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big") >> 1


class OnTheFlyAugment:
    """Augment training audio on the fly, reproducibly per (epoch, clip).

    Example:
        >>> augment = OnTheFlyAugment("mild", seed=7, banks=project_banks(project.root))
        >>> noisy = augment(audio, 16000, epoch=3, clip_key="clip-0042")
    """

    def __init__(
        self,
        preset: PipelineLike = "mild",
        seed: int = 0,
        banks: Banks | None = None,
        p: float = 1.0,
    ) -> None:
        """
        Args:
            preset: a preset name, a pipeline ``.toml`` path, a table or a config.
            seed: base seed of the run; change it to draw other augmentations.
            banks: noise and impulse-response banks (None: the default banks).
            p: probability that a clip is augmented at all in a given epoch.

        Raises:
            AugmentConfigError: the pipeline is invalid.
            AugmentError: `seed` or `p` is invalid.
        """
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise AugmentError(f"seed={seed!r} must be a non-negative integer")
        if not 0.0 <= p <= 1.0:
            raise AugmentError(f"p={p!r} must be between 0 and 1")
        self.seed = seed
        self.p = p
        self._augmenter = Augmenter(preset, banks)

    @property
    def preset(self) -> str:
        """The pipeline's name."""
        return self._augmenter.config.name

    def __repr__(self) -> str:
        return f"OnTheFlyAugment(preset={self.preset!r}, seed={self.seed}, p={self.p})"

    def seed_for(self, epoch: int, clip_key: ClipKey) -> list[int]:
        """The seed entropy of one (epoch, clip) application."""
        if isinstance(epoch, bool) or not isinstance(epoch, int | np.integer) or epoch < 0:
            raise AugmentError(f"epoch={epoch!r} must be a non-negative integer")
        return [self.seed, int(epoch), clip_key_hash(clip_key)]

    def augment(
        self, audio: np.ndarray, sample_rate: int, epoch: int, clip_key: ClipKey
    ) -> AugmentResult | None:
        """Augment with the full record of sampled parameters; None when skipped (see `p`)."""
        entropy = self.seed_for(epoch, clip_key)
        if self.p < 1.0:
            draw = np.random.default_rng([*entropy, 1]).random()
            if draw >= self.p:
                return None
        return self._augmenter(audio, sample_rate, entropy)

    def __call__(
        self, audio: np.ndarray, sample_rate: int, epoch: int, clip_key: ClipKey
    ) -> np.ndarray:
        """The augmented samples (float32, same length), or the input when skipped."""
        result = self.augment(audio, sample_rate, epoch, clip_key)
        if result is None:
            return np.asarray(audio, dtype=np.float32)
        return result.audio
