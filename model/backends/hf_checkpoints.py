"""What the Hugging Face backends (ctc, whisper) share about local checkpoints and the hub."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from voxcart.datasets.store.project import Project
from voxcart.model.backends.base import ModelSpec
from voxcart.model.errors import ModelError

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


def read_checkpoint_config(folder: Path, name: str, contents: str) -> dict[str, Any]:
    """The ``config.json`` of a saved Hugging Face checkpoint folder, as a dict.

    Args:
        folder: the folder written by ``save_pretrained``.
        name: the model version's name, for the messages.
        contents: what the folder should hold, for the message when it is missing.

    Raises:
        ModelError: the folder is missing, has no readable config.json, or it is not an object.
    """
    if not folder.is_dir():
        raise ModelError(
            f"model {name!r}: checkpoint folder {folder} does not exist or is not a folder; "
            f"give the folder written by save_pretrained ({contents})"
        )
    config_file = folder / "config.json"
    try:
        config = json.loads(config_file.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ModelError(
            f"model {name!r}: {folder} has no config.json, so it is not a Hugging Face "
            "checkpoint; save the model with save_pretrained(DIR)"
        ) from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"model {name!r}: cannot read {config_file}: {exc}") from exc
    if not isinstance(config, dict):
        raise ModelError(f"model {name!r}: {config_file} is not a JSON object")
    return config


def require_checkpoint(spec: ModelSpec, hub_id: str | None, backend: str) -> None:
    """Refuse a model version that names neither a checkpoint folder nor a hub id.

    Raises:
        ModelError: naming the model and how to register it.
    """
    if spec.path is None and not hub_id:
        raise ModelError(
            f"model {spec.name!r} has no checkpoint folder and no hub_id; register it with "
            f"`voxcart model add NAME --backend {backend} --path DIR`"
        )


def checkpoint_source(spec: ModelSpec, hub_id: str | None) -> str:
    """The checkpoint folder, or the hub id, a model version loads."""
    return str(spec.path) if spec.path is not None else str(hub_id)


def checkpoint_files(spec: ModelSpec, hub_id: str | None, model: Any) -> str:
    """What identifies the weights in a version string: the folder's digest, or the hub id
    with the commit the loaded `model` came from."""
    if spec.path is not None:
        return digest_folder(spec.path)
    commit = getattr(getattr(model, "config", None), "_commit_hash", None)
    return f"{hub_id}@{commit or 'unknown'}"


def hub_error(hub_id: str, exc: BaseException) -> ModelError:
    """The error for a hub id that could not be loaded (offline, unknown, or the wrong kind)."""
    return ModelError(
        f"cannot load hub model {hub_id!r}: {exc}. Where the network allows, download it with "
        f"`hf download {hub_id} --local-dir DIR` and register DIR with --path (offline, set "
        "HF_HUB_OFFLINE=1 so that only the local cache is tried)"
    )


def resolve_checkpoint(project: Project, path: str | Path) -> tuple[Path, str]:
    """The checkpoint folder `path` names, and the value to store for it.

    A relative `path` is looked up in the project first, then in the working directory.
    The stored value is relative to the project root when the folder lies inside it.
    """
    given = Path(path).expanduser()
    if given.is_absolute():
        folder = given
    elif (project.root / given).is_dir():
        folder = project.root / given
    else:
        folder = Path.cwd() / given
    folder = folder.resolve()
    root = project.root.resolve()
    stored = str(folder.relative_to(root)) if folder.is_relative_to(root) else str(folder)
    return folder, stored
