"""Where a training run reads from and writes to, and how its result becomes a model version.

A run named ``NAME`` keeps its checkpoints, best weights and metrics log in
``<project>/runs/NAME/`` and publishes the final Hugging Face folder (model + processor, the
format ``AutoModelForCTC``/``AutoProcessor.from_pretrained`` load) at
``<project>/models/NAME/`` in one rename, then registers it as a ``ctc`` model version.
"""

from __future__ import annotations

import math
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from sqlalchemy import select
from torch import nn

from voxcart.datasets.store.project import Project
from voxcart.datasets.store.schema import ModelVersion
from voxcart.model.train.checkpoint import list_checkpoints
from voxcart.model.train.config import TrainConfig, TrainingError
from voxcart.model.train.data import DataStats, TrainData, select_training_data
from voxcart.model.train.presets import PRESETS, LoadedBase, plain_model
from voxcart.model.versions import MODELS_DIR, TRAINING_KEY, check_name, register_model

RUNS_DIR = "runs"
CTC_BACKEND = "ctc"


@dataclass(frozen=True)
class TrainResult:
    """What a finished run produced.

    Attributes:
        model_name: the registered model version's name.
        model_version_id: its id (None on ranks other than 0).
        path: the Hugging Face model folder.
        steps: optimizer steps taken in total.
        best_dev_wer: best dev WER seen (None without dev clips).
        final_dev_wer: dev WER of the last evaluation.
        train_loss: mean training loss of the last logging window.
        stats: what the run trained on.
        dropped_chars: transcript characters the vocabulary lacked.
        stopped_early: early stopping ended the run.
        resumed_from: the step the run resumed at, if it did.
        metrics_log: the JSONL metrics log.
    """

    model_name: str
    model_version_id: int | None
    path: Path
    steps: int
    best_dev_wer: float | None
    final_dev_wer: float | None
    train_loss: float | None
    stats: DataStats
    dropped_chars: int
    stopped_early: bool
    resumed_from: int | None
    metrics_log: Path


@dataclass(frozen=True)
class OutputPlan:
    """Paths and lineage of one run.

    Attributes:
        name: the model version's name.
        final_dir: the published model folder.
        run_dir: checkpoints, best weights and metrics log.
        base_source: what to load: a preset name or a model folder.
        base_label: the base as the user named it.
        parent_id: the model version the base is, if it is a registered one.
    """

    name: str
    final_dir: Path
    run_dir: Path
    base_source: str
    base_label: str
    parent_id: int | None

    @property
    def metrics_log(self) -> Path:
        """The JSONL metrics log (step, loss, lr, samples/s, dev WER)."""
        return self.run_dir / "metrics.jsonl"

    @property
    def best_path(self) -> Path:
        """Weights of the best dev WER so far."""
        return self.run_dir / "best.pt"


def plan_output(project: Project, out: str, base: str) -> OutputPlan:
    """Resolve the run's folders and its base (a preset, a registered model, or a folder).

    Raises:
        ModelError: `out` is not a valid model name.
        TrainingError: `base` names a registered model that is not a ctc model with files.
    """
    check_name(out)
    source, parent = base, None
    if base not in PRESETS:
        with project.session() as session:
            row = session.scalar(select(ModelVersion).where(ModelVersion.name == base))
            if row is not None:
                if row.backend != CTC_BACKEND or not row.path:
                    raise TrainingError(
                        f"--base {base!r} is a {row.backend} model; fine-tuning needs a ctc "
                        "model, a Hugging Face model folder, or the preset `small`"
                    )
                source, parent = str(_resolve(project, row.path)), row.id
            else:
                parent = _registered_folder(session, project, Path(base))
    return OutputPlan(
        name=out,
        final_dir=project.root / MODELS_DIR / out,
        run_dir=project.root / RUNS_DIR / out,
        base_source=source,
        base_label=base,
        parent_id=parent,
    )


def _resolve(project: Project, path: str) -> Path:
    folder = Path(path)
    return (folder if folder.is_absolute() else project.root / folder).resolve()


def _registered_folder(session: Any, project: Project, folder: Path) -> int | None:
    if not folder.is_dir():
        return None
    target = folder.resolve()
    for row_id, path in session.execute(
        select(ModelVersion.id, ModelVersion.path).where(ModelVersion.path.is_not(None))
    ):
        if _resolve(project, path) == target:
            return int(row_id)
    return None


def check_output_free(project: Project, plan: OutputPlan, resume: bool) -> None:
    """Refuse to overwrite a registered model, a published folder, or an unresumed run.

    Raises:
        TrainingError: naming what is in the way and the fix.
    """
    with project.session() as session:
        taken = session.scalar(select(ModelVersion.id).where(ModelVersion.name == plan.name))
    if taken is not None:
        raise TrainingError(f"model {plan.name!r} is already registered; choose another --out")
    if plan.final_dir.exists():
        raise TrainingError(
            f"{plan.final_dir} already exists; choose another --out or remove that folder"
        )
    if list_checkpoints(plan.run_dir) and not resume:
        raise TrainingError(
            f"run {plan.name!r} has checkpoints in {plan.run_dir}; add --resume to continue "
            "it, or choose another --out"
        )


def select_data(
    project: Project, config: TrainConfig, label_sources: Sequence[str] = ()
) -> TrainData:
    """The run's examples.

    Raises:
        TrainingError: no usable training clip.
    """
    data = select_training_data(
        project,
        max_clip_seconds=config.max_clip_seconds,
        pseudo_label_threshold=config.pseudo_label_threshold,
        label_sources=label_sources,
    )
    if not data.train:
        hint = "" if config.pseudo_label_threshold is not None else " (or add --pseudo-labels)"
        raise TrainingError(
            "no training clips: a clip is used when it is on the train split and its current "
            "transcript is a human-accepted or corrected revision no longer than "
            f"max_clip_seconds={config.max_clip_seconds}; run `voxcart split`, label clips in "
            f"the app{hint}"
        )
    return data


def _finite(value: Any) -> Any:
    # JSON has no NaN; a WER that could not be computed is stored as null.
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def publish_model(
    project: Project,
    plan: OutputPlan,
    model: nn.Module,
    loaded: LoadedBase,
    config: TrainConfig,
    extra: dict[str, Any],
    metrics: dict[str, Any],
) -> int:
    """Save the model and processor to ``models/NAME/`` atomically and register it.

    Returns:
        The new model version's id.
    """
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # the command shows its own progress
    final = plain_model(model).to("cpu")
    final.eval()
    plan.final_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(
        tempfile.mkdtemp(prefix=f".{plan.name}.", suffix=".partial", dir=plan.final_dir.parent)
    )
    try:
        cast(Any, final).save_pretrained(str(staging))
        loaded.processor.save_pretrained(str(staging))
        if plan.final_dir.exists():
            raise TrainingError(f"{plan.final_dir} appeared while training; choose another --out")
        staging.rename(plan.final_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    # Kept under "training": the top level of a model version's config holds decoding settings
    # only (the ctc backend rejects keys it does not know).
    record = {
        TRAINING_KEY: {
            **config.to_dict(),
            "base": plan.base_label,
            "base_source": plan.base_source,
            "new_head": loaded.new_head,
            "vocab": list(loaded.vocab.tokens),
            **extra,
        }
    }
    with project.session() as session:
        row = register_model(
            session,
            plan.name,
            CTC_BACKEND,
            str(plan.final_dir.relative_to(project.root)),
            record,
            parent_id=plan.parent_id,
        )
        row.metrics = {key: _finite(value) for key, value in metrics.items()}
        version_id = row.id
    shutil.rmtree(plan.run_dir / "checkpoints", ignore_errors=True)
    plan.best_path.unlink(missing_ok=True)
    return version_id
