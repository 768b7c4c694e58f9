"""Registered model versions: creating, finding and resolving them to a loadable spec.

A model's files live under ``<project>/models/<name>/``; the ``path`` column stores that folder
relative to the project root, so that a project directory can be moved.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from voxcart.datasets.store.project import Project
from voxcart.datasets.store.schema import ModelVersion
from voxcart.model.backends.base import ModelSpec
from voxcart.model.calibrate.store import calibration_of
from voxcart.model.errors import ModelError

MODELS_DIR = "models"
GENERIC_MODEL = "sphinx-generic"
CATALOG_MODEL = "sphinx-catalog"
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}$")


TRAINING_KEY = "training"
"""The model-version config key holding how a model was trained (not a decoding setting)."""
PROMOTION_KEY = "promotion"
"""The model-version metrics key holding the promotion decision of a trained version."""


def is_promoted(row: ModelVersion) -> bool:
    """Whether a version may be the default of its base name: every version is, except a
    trained one whose promotion check refused it (or has not run yet)."""
    decision = (row.metrics or {}).get(PROMOTION_KEY)
    return not isinstance(decision, Mapping) or bool(decision.get("promoted"))


def check_name(name: str) -> str:
    """Return `name` when it is a safe model name (it becomes a folder name).

    Raises:
        ModelError: the name is empty, too long, or has characters other than letters,
            digits, ``_``, ``.`` and ``-`` (or starts with one of the last three).
    """
    if not _NAME_RE.match(name):
        raise ModelError(
            f"model name {name!r} is not allowed; use 1-100 letters, digits, '_', '.' or '-', "
            "starting with a letter or digit"
        )
    return name


def register_model(
    session: Session,
    name: str,
    backend: str,
    path: str | None,
    config: Mapping[str, Any],
    parent_id: int | None = None,
) -> ModelVersion:
    """Add a model version row.

    Raises:
        ModelError: a model with that name already exists, or the name is not allowed.
    """
    check_name(name)
    if session.scalar(select(ModelVersion.id).where(ModelVersion.name == name)) is not None:
        raise ModelError(f"model {name!r} is already registered; choose another --name")
    row = ModelVersion(
        name=name, backend=backend, path=path, config=dict(config), parent_id=parent_id
    )
    session.add(row)
    session.flush()
    return row


def ensure_generic_model(session: Session) -> ModelVersion:
    """The ``sphinx-generic`` model (bundled en-us LM and dictionary), registered on first use."""
    row = session.scalar(select(ModelVersion).where(ModelVersion.name == GENERIC_MODEL))
    if row is not None:
        return row
    return register_model(
        session,
        GENERIC_MODEL,
        "sphinx",
        None,
        {"lm": "bundled en-us", "description": "pocketsphinx's generic US English LM"},
    )


def latest_version(
    session: Session, base: str, *, promoted_only: bool = False
) -> ModelVersion | None:
    """The newest model named ``<base>-v<N>`` (highest N; with `promoted_only`, among the
    promoted versions), or None."""
    pattern = re.compile(rf"^{re.escape(base)}-v(\d+)$")
    best: tuple[int, ModelVersion] | None = None
    for row in session.scalars(select(ModelVersion).where(ModelVersion.name.like(f"{base}-v%"))):
        match = pattern.match(row.name)
        if promoted_only and not is_promoted(row):
            continue
        if match and (best is None or int(match.group(1)) > best[0]):
            best = (int(match.group(1)), row)
    return best[1] if best else None


def live_version_ids(session: Session, rows: Iterable[ModelVersion]) -> set[int]:
    """The ids of the versions each base name among `rows` resolves to: for every
    ``<base>-v<N>`` series, its newest promoted version (what ``--model <base>`` loads)."""
    live = set()
    for series in {row.name.rsplit("-v", 1)[0] for row in rows if "-v" in row.name}:
        row = latest_version(session, series, promoted_only=True)
        if row is not None:
            live.add(row.id)
    return live


def find_model(session: Session, name: str) -> ModelVersion:
    """A model by exact name, or the newest promoted ``<name>-v<N>`` when `name` is a base name.

    ``sphinx-generic`` is registered on first use.

    Raises:
        ModelError: no such model.
    """
    if name == GENERIC_MODEL:
        return ensure_generic_model(session)
    row = session.scalar(select(ModelVersion).where(ModelVersion.name == name))
    if row is None:
        row = latest_version(session, name, promoted_only=True)
    if row is None:
        known = ", ".join(sorted(session.scalars(select(ModelVersion.name)))) or "none"
        hint = (
            " (run `voxcart catalog import` and `voxcart lm build` first, or use the bundled "
            f"model: --model {GENERIC_MODEL})"
            if name.startswith(CATALOG_MODEL)
            else ""
        )
        raise ModelError(f"no model named {name!r}{hint}; registered models: {known}")
    return row


def to_spec(row: ModelVersion, project_root: Path) -> ModelSpec:
    """The loadable spec of a model version, its folder resolved against the project root."""
    path = None
    if row.path:
        folder = Path(row.path)
        path = folder if folder.is_absolute() else project_root / folder
    return ModelSpec(name=row.name, backend=row.backend, path=path, config=dict(row.config or {}))


@dataclass(frozen=True)
class ModelVersionInfo:
    """A registered model version as ``voxcart model list`` shows it.

    Attributes:
        id: the model version's id.
        name: its unique name.
        backend: ``sphinx``, ``ctc`` or ``whisper``.
        path: its folder (relative to the project root for models under ``models/``), or
            None for a bundled or hub model.
        hub_id: the Hugging Face hub id it loads from, if any.
        parent: the name of the model it was trained from, or None.
        hotwords: catalog words its decoder boosts.
        created_at: when it was registered.
        calibrated_words: dev words its confidence calibration was fitted on; None where its
            confidences are uncalibrated.
        promoted: False only for a trained version whose promotion check refused it (or has
            not run yet); such a version is loaded only by its exact name.
        live: whether it is what its base name resolves to (the newest promoted
            ``<base>-v<N>``), i.e. the version ``--model <base>`` loads.
    """

    id: int
    name: str
    backend: str
    path: str | None
    hub_id: str | None
    parent: str | None
    hotwords: int
    created_at: datetime
    calibrated_words: int | None = None
    promoted: bool = True
    live: bool = False


def list_model_versions(project: Project) -> list[ModelVersionInfo]:
    """Every registered model version, oldest first."""
    return _model_infos(project, None)


def model_version_info(project: Project, model_id: int) -> ModelVersionInfo:
    """One registered model version by id.

    Raises:
        ModelError: no model version has that id.
    """
    found = _model_infos(project, model_id)
    if not found:
        raise ModelError(f"model version id {model_id} does not exist")
    return found[0]


def _model_infos(project: Project, model_id: int | None) -> list[ModelVersionInfo]:
    parent = aliased(ModelVersion)
    stmt = (
        select(ModelVersion, parent.name)
        .outerjoin(parent, parent.id == ModelVersion.parent_id)
        .order_by(ModelVersion.id)
    )
    if model_id is not None:
        stmt = stmt.where(ModelVersion.id == model_id)
    with project.session() as session:
        rows = session.execute(stmt).all()
        live = live_version_ids(session, session.scalars(select(ModelVersion)))
        return [
            ModelVersionInfo(
                id=row.id,
                name=row.name,
                backend=row.backend,
                path=row.path,
                hub_id=_text((row.config or {}).get("hub_id")),
                parent=parent_name,
                hotwords=len((row.config or {}).get("hotwords") or ()),
                created_at=row.created_at,
                calibrated_words=_calibrated_words(row.metrics),
                promoted=is_promoted(row),
                live=row.id in live,
            )
            for row, parent_name in rows
        ]


def _calibrated_words(metrics: Mapping[str, Any] | None) -> int | None:
    calibration = calibration_of(metrics)
    return calibration.words if calibration.calibrated else None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
