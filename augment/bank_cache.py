"""Opening a pipeline's banks: user folders or the built-in defaults, cached per process.

:class:`Banks` says where noise and impulse responses come from and is cheap to pickle; each
process opens (or builds) a bank once and keeps it.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from voxcart.augment import bank_defaults
from voxcart.augment.banks import Bank, folder_bank


def default_cache_dir() -> Path:
    """Where banks are cached outside a project: ``$VOXCART_CACHE_DIR`` or ``~/.cache/voxcart``."""
    base = os.environ.get("VOXCART_CACHE_DIR") or str(Path.home() / ".cache" / "voxcart")
    return Path(base).expanduser() / "augment"


_OPENED: dict[tuple[Any, ...], Bank] = {}
_OPENED_LOCK = threading.Lock()


@dataclass(frozen=True)
class Banks:
    """Where a pipeline's noise and impulse responses come from; cheap to pickle.

    Banks are opened lazily, once per process, on the first :meth:`noise` or :meth:`rir`
    call, so a copy sent to DataLoader workers loads them in each worker on first use.

    Attributes:
        cache_dir: folder for bank caches (a project uses ``<project>/cache/augment``).
        noise_dir: user folder of noise recordings; None uses the generated default bank.
        rir_dir: user folder of impulse responses; None uses simulated rooms.
        rooms: number of simulated rooms in the default impulse-response bank.
        noise_seconds: length of each generated default noise snippet.
        seed: seed of the default banks' generators.
    """

    cache_dir: Path
    noise_dir: Path | None = None
    rir_dir: Path | None = None
    rooms: int = 24
    noise_seconds: float = 8.0
    seed: int = 0

    def noise(self) -> Bank:
        """The noise bank (opened or built on first use in this process)."""
        return self._open("noise")

    def rir(self) -> Bank:
        """The impulse-response bank (opened or built on first use in this process)."""
        return self._open("rir")

    def _open(self, kind: str) -> Bank:
        folder = self.noise_dir if kind == "noise" else self.rir_dir
        key = (kind, str(self.cache_dir), str(folder), self.rooms, self.noise_seconds, self.seed)
        with _OPENED_LOCK:
            bank = _OPENED.get(key)
            if bank is None:
                bank = self._build(kind, folder)
                _OPENED[key] = bank
        return bank

    def _build(self, kind: str, folder: Path | None) -> Bank:
        if folder is not None:
            return folder_bank(folder, kind, self.cache_dir)
        if kind == "noise":
            return bank_defaults.default_noise_bank(self.cache_dir, self.noise_seconds, self.seed)
        return bank_defaults.default_rir_bank(self.cache_dir, self.rooms, self.seed)


def project_banks(
    project_root: Path | str, noise_dir: Path | str | None = None, rir_dir: Path | str | None = None
) -> Banks:
    """Banks cached inside a project (``<project>/cache/augment``)."""
    return Banks(
        cache_dir=Path(project_root) / "cache" / "augment",
        noise_dir=Path(noise_dir) if noise_dir is not None else None,
        rir_dir=Path(rir_dir) if rir_dir is not None else None,
    )
