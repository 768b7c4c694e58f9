"""What the Hugging Face backends (ctc, whisper) share about local checkpoints and the hub."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

_OFFLINE_VALUES = {"1", "true", "yes", "on"}


def hub_offline() -> bool:
    """Whether the user asked the Hugging Face hub client to stay offline (HF_HUB_OFFLINE)."""
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in _OFFLINE_VALUES


def digest_folder(folder: Path) -> str:
    """A short digest of a checkpoint folder's files (names and contents), for model versions."""
    digest = hashlib.sha256()
    try:
        for path in sorted(p for p in folder.iterdir() if p.is_file()):
            digest.update(path.name.encode())
            with path.open("rb") as handle:
                for chunk in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(chunk)
    except OSError:
        return "unreadable"
    return digest.hexdigest()[:12]
