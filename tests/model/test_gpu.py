"""CUDA: a few fine-tuning steps of the tiny CTC model on the GPU, then suggestions from the
registered model on the GPU, matching the same model's greedy transcripts on the CPU.

Marked ``gpu``: deselected by default (``-m 'not gpu'`` in pyproject); run with ``pytest -m gpu``
on a machine with CUDA. Without CUDA the tests skip with the reason.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from sqlalchemy import select

from tests.model.train_project import TINY_MODEL, copy_project, shared_labelled_demo
from voxcart.datasets.audio import load_audio
from voxcart.datasets.store.project import open_project
from voxcart.datasets.store.schema import Clip, ModelVersion
from voxcart.model.backends.base import create_backend
from voxcart.model.train.config import TrainConfig
from voxcart.model.train.loop import train
from voxcart.model.versions import to_spec

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU"),
]

STEPS = TrainConfig(
    max_steps=4,
    batch_size=2,
    eval_every=2,
    save_every=4,
    log_every=1,
    warmup_steps=1,
    seed=5,
    precision="fp32",
    model=TINY_MODEL,
)


def test_tiny_ctc_trains_and_transcribes_on_cuda(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # Full fp32 on both devices (no TF32), so that CPU and GPU agree to rounding error.
    saved = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
    try:
        _train_and_compare(tmp_path, tmp_path_factory)
    finally:
        torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = saved


def _train_and_compare(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    project = open_project(copy_project(shared_labelled_demo(tmp_path_factory), tmp_path / "p"))
    try:
        torch.cuda.reset_peak_memory_stats()
        result = train(project, "small", "gpu-tiny", STEPS, device="cuda")
        assert torch.cuda.max_memory_allocated() > 0  # the steps really ran on the GPU
        assert result.steps == 4 and result.train_loss is not None
        assert math.isfinite(result.train_loss) and result.best_dev_wer is not None
        with project.session() as session:
            row = session.scalar(select(ModelVersion).where(ModelVersion.name == "gpu-tiny"))
            assert row is not None and row.backend == "ctc"
            spec = to_spec(row, project.root)
            clips = list(session.scalars(select(Clip).order_by(Clip.id).limit(3)))
            audio = [load_audio(c.recording.source_path, c.offset_s, c.duration_s) for c in clips]
    finally:
        project.close()
    texts = {}
    for device in ("cuda", "cpu"):
        config = {**spec.config, "device": device, "decoder": "greedy"}
        engine = create_backend(dataclasses.replace(spec, config=config))
        engine.load()
        hypotheses = engine.transcribe([np.asarray(a, dtype=np.float32) for a in audio])
        assert len(hypotheses) == len(audio)
        texts[device] = [h.text for h in hypotheses]
    assert texts["cuda"] == texts["cpu"]
