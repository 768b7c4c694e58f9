"""voxcart's own audiomentations transforms: bank noise, bank reverb, mu-law and rate round trip.

They follow audiomentations' contract (``randomize_parameters`` draws from the global
``random`` module and fills ``self.parameters``; ``apply`` is deterministic given them), so
they mix freely with the library's transforms in one ``Compose`` and are seeded the same way
(see :mod:`voxcart.augment.apply`). Bank transforms receive their :class:`Banks` from the
pipeline builder, never from a user's config.
"""

from __future__ import annotations

import random
from typing import Any

import numpy as np
from audiomentations.core.transforms_interface import BaseWaveformTransform
from numpy.typing import NDArray

from voxcart.augment.bank_cache import Banks
from voxcart.augment.banks import Bank, BankItem
from voxcart.augment.errors import AugmentError, BankError

_EPS = 1e-12


def _rms(samples: NDArray[np.float32]) -> float:
    return float(np.sqrt(np.mean(np.square(samples, dtype=np.float64)))) if samples.size else 0.0


class _BankTransform(BaseWaveformTransform):
    """Shared plumbing: a lazily opened bank and the subset of items a transform may draw."""

    kind = "noise"

    def __init__(self, banks: Banks | None, p: float) -> None:
        super().__init__(p)
        if banks is None:
            raise AugmentError(f"{type(self).__name__} needs banks; build it through a pipeline")
        self.banks = banks
        self._candidates: tuple[BankItem, ...] | None = None

    def bank(self) -> Bank:
        return self.banks.noise() if self.kind == "noise" else self.banks.rir()

    def candidates(self) -> tuple[BankItem, ...]:
        if self._candidates is None:
            self._candidates = self._select(self.bank())
        return self._candidates

    def _select(self, bank: Bank) -> tuple[BankItem, ...]:
        raise NotImplementedError

    def randomize_parameters(self, samples: NDArray[np.float32], sample_rate: int) -> None:
        """Decide whether to apply and, if so, draw one bank item and its parameters."""
        super().randomize_parameters(samples, sample_rate)
        if self.parameters["should_apply"]:
            items = self.candidates()
            self._sample(items[random.randrange(len(items))], samples, sample_rate)

    def _sample(self, item: BankItem, samples: NDArray[np.float32], sample_rate: int) -> None:
        """Record the drawn `item` and draw the rest of the parameters."""
        raise NotImplementedError

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_candidates"] = None
        return state


class BankNoise(_BankTransform):
    """Mix in a snippet of the noise bank at a random signal-to-noise ratio.

    The snippet starts at a random offset and is tiled when shorter than the input. A silent
    input stays unchanged (an SNR relative to nothing is undefined).
    """

    kind = "noise"

    def __init__(
        self,
        min_snr_db: float = 5.0,
        max_snr_db: float = 20.0,
        categories: list[str] | None = None,
        max_noise_hz: float | None = None,
        p: float = 0.5,
        banks: Banks | None = None,
    ) -> None:
        """
        Args:
            min_snr_db: lowest signal-to-noise ratio drawn, in dB.
            max_snr_db: highest signal-to-noise ratio drawn, in dB.
            categories: default-bank categories to draw from (``color``, ``babble``,
                ``rumble``); items of a user folder always qualify. None: any item.
            max_noise_hz: low-pass the noise at this frequency before mixing (None: off).
            p: probability of applying.
            banks: where the noise comes from (injected by the pipeline builder).
        """
        super().__init__(banks, p)
        self.min_snr_db = min_snr_db
        self.max_snr_db = max_snr_db
        self.categories = list(categories) if categories else None
        self.max_noise_hz = max_noise_hz

    def _select(self, bank: Bank) -> tuple[BankItem, ...]:
        items = bank.select(self.categories)
        if not items:
            raise BankError(
                f"BankNoise: the {bank.source!r} noise bank has no item in categories "
                f"{self.categories}; it has {sorted({i.category for i in bank.items})}"
            )
        return items

    def _sample(self, item: BankItem, samples: NDArray[np.float32], sample_rate: int) -> None:
        needed = round(len(samples) * 16_000 / sample_rate)
        self.parameters["snr_db"] = random.uniform(self.min_snr_db, self.max_snr_db)
        self.parameters["noise_id"] = item.id
        self.parameters["noise_name"] = item.name
        self.parameters["noise_category"] = item.category
        self.parameters["noise_offset_s"] = random.randint(0, max(0, item.length - needed)) / 16_000

    def apply(self, samples: NDArray[np.float32], sample_rate: int) -> NDArray[np.float32]:
        clean = _rms(samples)
        if clean < _EPS:
            return samples
        bank = self.bank()
        noise = bank.samples(bank.get(self.parameters["noise_id"]), sample_rate)
        start = round(self.parameters["noise_offset_s"] * sample_rate)
        noise = noise[start:] if start < noise.size else noise
        if noise.size < samples.size:
            noise = np.tile(noise, int(np.ceil(samples.size / max(noise.size, 1))))
        noise = noise[: samples.size].astype(np.float64)
        if self.max_noise_hz is not None and self.max_noise_hz < sample_rate / 2:
            from scipy.signal import butter, sosfilt

            sos = butter(4, self.max_noise_hz, btype="lowpass", fs=sample_rate, output="sos")
            noise = sosfilt(sos, noise)
        level = _rms(noise)
        if level < _EPS:
            return samples
        target = clean / (10.0 ** (self.parameters["snr_db"] / 20.0))
        return np.asarray(samples + noise * (target / level), dtype=np.float32)


class BankReverb(_BankTransform):
    """Convolve with an impulse response from the bank whose RT60 lies in a range.

    The response is aligned on its direct path, so the speech does not move in time, and the
    output keeps the input's length and RMS level.
    """

    kind = "rir"

    def __init__(
        self,
        min_rt60_s: float = 0.2,
        max_rt60_s: float = 0.8,
        p: float = 0.5,
        banks: Banks | None = None,
    ) -> None:
        """
        Args:
            min_rt60_s: shortest reverberation time to draw, in seconds.
            max_rt60_s: longest reverberation time to draw, in seconds.
            p: probability of applying.
            banks: where the impulse responses come from (injected by the pipeline builder).
        """
        super().__init__(banks, p)
        self.min_rt60_s = min_rt60_s
        self.max_rt60_s = max_rt60_s

    def _select(self, bank: Bank) -> tuple[BankItem, ...]:
        items = tuple(
            item
            for item in bank.items
            if item.meta.get("rt60_s") is not None
            and self.min_rt60_s <= item.meta["rt60_s"] <= self.max_rt60_s
        )
        if not items:
            known = sorted(i.meta["rt60_s"] for i in bank.items if i.meta.get("rt60_s") is not None)
            span = f"{known[0]:.2f}-{known[-1]:.2f} s" if known else "unmeasurable"
            raise BankError(
                f"BankReverb: no impulse response in the {bank.source!r} bank has an RT60 within "
                f"min_rt60_s={self.min_rt60_s}..max_rt60_s={self.max_rt60_s} (the bank's RT60s: "
                f"{span}); widen the range or use another --rir-bank"
            )
        return items

    def _sample(self, item: BankItem, samples: NDArray[np.float32], sample_rate: int) -> None:
        self.parameters["rir_id"] = item.id
        self.parameters["rir_name"] = item.name
        self.parameters["rt60_s"] = item.meta.get("rt60_s")
        for key in ("room_dim_m", "absorption", "distance_m"):
            if key in item.meta:
                self.parameters[key] = item.meta[key]

    def apply(self, samples: NDArray[np.float32], sample_rate: int) -> NDArray[np.float32]:
        from scipy.signal import oaconvolve

        bank = self.bank()
        rir = bank.samples(bank.get(self.parameters["rir_id"]), sample_rate)
        wet = oaconvolve(samples.astype(np.float64), rir.astype(np.float64))[: samples.size]
        level, clean = _rms(wet), _rms(samples)
        if level < _EPS:
            return samples
        return np.asarray(wet * (clean / level), dtype=np.float32)


class MuLaw(BaseWaveformTransform):
    """G.711-style mu-law companding to 8 bits and back (telephone codec quantization)."""

    def __init__(self, mu: int = 255, p: float = 0.5) -> None:
        """
        Args:
            mu: companding constant (255 in North American and Japanese telephony).
            p: probability of applying.
        """
        super().__init__(p)
        self.mu = mu

    def apply(self, samples: NDArray[np.float32], sample_rate: int) -> NDArray[np.float32]:
        mu = float(self.mu)
        x = np.clip(samples.astype(np.float64), -1.0, 1.0)
        encoded = np.sign(x) * np.log1p(mu * np.abs(x)) / np.log1p(mu)
        quantized = np.round((encoded + 1.0) / 2.0 * 255.0) / 255.0 * 2.0 - 1.0
        decoded = np.sign(quantized) * ((1.0 + mu) ** np.abs(quantized) - 1.0) / mu
        return np.asarray(decoded, dtype=np.float32)


class SampleRateRoundTrip(BaseWaveformTransform):
    """Resample down to a channel's rate and back, losing everything above its Nyquist."""

    def __init__(self, rates: list[int] | None = None, p: float = 0.5) -> None:
        """
        Args:
            rates: the rates to pick from, in Hz (default: 8000, narrowband telephony).
            p: probability of applying.
        """
        super().__init__(p)
        self.rates = list(rates) if rates else [8000]

    def randomize_parameters(self, samples: NDArray[np.float32], sample_rate: int) -> None:
        super().randomize_parameters(samples, sample_rate)
        if self.parameters["should_apply"]:
            self.parameters["target_rate"] = int(random.choice(self.rates))

    def apply(self, samples: NDArray[np.float32], sample_rate: int) -> NDArray[np.float32]:
        from voxcart.datasets.audio import resample

        rate = self.parameters["target_rate"]
        if rate >= sample_rate:
            return samples
        down = resample(samples, sample_rate, rate)
        up = resample(down, rate, sample_rate)
        if up.size < samples.size:
            up = np.pad(up, (0, samples.size - up.size))
        return np.asarray(up[: samples.size], dtype=np.float32)


VOXCART_TRANSFORMS: dict[str, type[BaseWaveformTransform]] = {
    cls.__name__: cls for cls in (BankNoise, BankReverb, MuLaw, SampleRateRoundTrip)
}
"""The transforms voxcart adds to audiomentations' own, by config name."""
BANK_TRANSFORMS = frozenset({"BankNoise", "BankReverb"})
