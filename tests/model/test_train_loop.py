"""The training loop on a tiny model: learning, reproducibility, resume, registration, errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from sqlalchemy import select

from tests.model.train_project import TINY_MODEL, copy_project, shared_labelled_demo
from voxcart.datasets.store.project import Project, open_project
from voxcart.datasets.store.schema import ModelVersion, Revision
from voxcart.model.backends.base import create_backend
from voxcart.model.errors import ModelError
from voxcart.model.train.checkpoint import list_checkpoints
from voxcart.model.train.config import TrainConfig, TrainingError
from voxcart.model.train.data import ClipDataset, CtcCollator, encode_texts
from voxcart.model.train.loop import TrainResult, train
from voxcart.model.train.presets import load_base, prepare_model
from voxcart.model.versions import to_spec

TINY = TrainConfig(
    max_steps=4,
    batch_size=2,
    eval_every=2,
    save_every=2,
    log_every=1,
    warmup_steps=1,
    seed=5,
    model=TINY_MODEL,
)


@pytest.fixture
def demo(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Project]:
    project = open_project(copy_project(shared_labelled_demo(tmp_path_factory), tmp_path / "p"))
    yield project
    project.close()


def _losses(result: TrainResult) -> list[float]:
    lines = [json.loads(line) for line in result.metrics_log.read_text("utf-8").splitlines()]
    return [r["loss"] for r in lines if "loss" in r and r.get("event") is None]


def _weights(folder: Path) -> dict[str, torch.Tensor]:
    from transformers import AutoModelForCTC

    return AutoModelForCTC.from_pretrained(str(folder)).state_dict()


@pytest.fixture(scope="module")
def reference_run(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Project, TrainResult]]:
    """One uninterrupted 4-step run, shared by the tests that only read its results."""
    root = copy_project(shared_labelled_demo(tmp_path_factory), tmp_path_factory.mktemp("r") / "p")
    project = open_project(root)
    yield project, train(project, "small", "ref", TINY, device="cpu")
    project.close()


def test_loss_decreases_on_a_repeated_batch(demo: Project) -> None:
    from voxcart.model.train.data import select_training_data

    data = select_training_data(demo, max_clip_seconds=20.0)
    config = TINY.with_overrides(dropout=0.0, layerdrop=0.0, mask_time_prob=0.0)
    loaded = prepare_model(load_base("small", (c.text for c in data.train), config), config)
    clips = data.train[:2]
    dataset = ClipDataset(clips, encode_texts(clips, loaded.vocab).labels)
    batch = CtcCollator()([dataset[0], dataset[1]])
    inputs = {k: batch[k] for k in ("input_values", "attention_mask", "labels")}
    model = loaded.model.train()
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=3e-3)
    losses = []
    for _ in range(8):
        optimizer.zero_grad()
        loss = model(**inputs).loss
        loss.backward()
        optimizer.step()
        losses.append(float(loss.detach()))
    assert all(torch.isfinite(torch.tensor(losses)))
    assert losses[-1] < losses[0] * 0.9


def test_run_registers_a_loadable_model_with_config_and_metrics(
    reference_run: tuple[Project, TrainResult],
) -> None:
    project, result = reference_run
    assert result.steps == 4 and result.path == project.root / "models" / "ref"
    with project.session() as session:
        row = session.scalar(select(ModelVersion).where(ModelVersion.name == "ref"))
        assert row is not None and row.id == result.model_version_id
        assert (row.backend, row.path, row.parent_id) == ("ctc", "models/ref", None)
        assert row.config["training"]["base"] == "small"
        assert row.config["training"]["max_steps"] == 4
        assert row.config["training"]["data"]["train_clips"] == result.stats.train_clips > 0
        assert row.config["training"]["pseudo_labels"] is False
        assert row.metrics["steps"] == 4 and row.metrics["best_dev_wer"] is not None
        assert row.metrics["train_loss"] == pytest.approx(result.train_loss)
        spec = to_spec(row, project.root)
    # The registered version is usable as a suggestion model straight away.
    engine = create_backend(spec)
    engine.load()
    (hyp,) = engine.transcribe([np.zeros(16_000, dtype=np.float32)])
    assert isinstance(hyp.text, str)
    from transformers import AutoModelForCTC, AutoProcessor

    model = AutoModelForCTC.from_pretrained(str(result.path))
    processor = AutoProcessor.from_pretrained(str(result.path))
    assert model.config.vocab_size == len(processor.tokenizer)
    assert model.config.hidden_size == TINY_MODEL["hidden_size"]
    losses = _losses(result)
    assert len(losses) == 4 and all(isinstance(x, float) for x in losses)
    records = [json.loads(x) for x in result.metrics_log.read_text("utf-8").splitlines()]
    assert any("dev_wer" in r for r in records)
    assert all(r["samples_per_s"] > 0 for r in records if "samples_per_s" in r)
    # Checkpoints are cleaned up once the model is published; the log stays.
    assert not list_checkpoints(project.root / "runs" / "ref")


def test_same_seed_same_losses(demo: Project, reference_run: tuple[Project, TrainResult]) -> None:
    again = train(demo, "small", "again", TINY, device="cpu")
    assert _losses(again) == _losses(reference_run[1])
    other = train(demo, "small", "other", TINY.with_overrides(seed=6), device="cpu")
    assert _losses(other) != _losses(again)


def test_resume_after_a_kill_matches_an_uninterrupted_run(
    demo: Project, reference_run: tuple[Project, TrainResult]
) -> None:
    def kill_at_two(step: int, _total: int | None) -> None:
        if step == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train(demo, "small", "ref", TINY, device="cpu", progress=kill_at_two)
    assert [p.name for p in list_checkpoints(demo.root / "runs" / "ref")] == ["step-000002.pt"]
    with pytest.raises(TrainingError, match="--resume"):
        train(demo, "small", "ref", TINY, device="cpu")
    with pytest.raises(TrainingError, match="another base, vocabulary"):
        train(
            demo,
            "small",
            "ref",
            TINY.with_overrides(model={**TINY_MODEL, "hidden_size": 16}),
            resume=True,
            device="cpu",
        )
    resumed = train(demo, "small", "ref", TINY, resume=True, device="cpu")
    assert resumed.resumed_from == 2 and resumed.steps == 4
    expected, got = _weights(reference_run[1].path), _weights(resumed.path)
    assert expected.keys() == got.keys()
    for name, tensor in expected.items():
        torch.testing.assert_close(got[name], tensor, msg=name)
    assert _losses(resumed) == _losses(reference_run[1])


def test_freezing_options_stop_gradients(demo: Project) -> None:
    config = TINY.with_overrides(freeze_layers=1)
    loaded = prepare_model(load_base("small", ["abc"], config), config)
    model: Any = loaded.model
    assert not any(p.requires_grad for p in model.wav2vec2.feature_extractor.parameters())
    assert not any(p.requires_grad for p in model.wav2vec2.encoder.layers[0].parameters())
    assert all(p.requires_grad for p in model.wav2vec2.encoder.layers[1].parameters())
    assert all(p.requires_grad for p in model.lm_head.parameters())
    loose = TINY.with_overrides(freeze_feature_encoder=False)
    model = prepare_model(load_base("small", ["abc"], loose), loose).model
    assert all(p.requires_grad for p in model.wav2vec2.feature_extractor.parameters())
    with pytest.raises(TrainingError, match="freeze_layers=3"):
        bad = TINY.with_overrides(freeze_layers=3)
        prepare_model(load_base("small", ["abc"], bad), bad)


def test_lora_trains_only_adapters_on_a_registered_base(
    demo: Project, reference_run: tuple[Project, TrainResult]
) -> None:
    base = reference_run[1].path
    config = TINY.with_overrides(lora=True, max_steps=2, eval_every=0)
    loaded = prepare_model(load_base(str(base), ["show me"], config), config)
    trainable = [n for n, p in loaded.model.named_parameters() if p.requires_grad]
    assert trainable and all("lora_" in n for n in trainable)
    result = train(demo, str(base), "lora", config, device="cpu")
    with demo.session() as session:
        row = session.scalar(select(ModelVersion).where(ModelVersion.name == "lora"))
        assert row is not None and row.config["training"]["lora"] is True
    before, after = _weights(base), _weights(result.path)
    assert not any("lora" in name for name in after)  # adapters merged: a plain model
    changed = [n for n in before if not torch.equal(before[n], after[n])]
    assert changed and all(
        any(k in n for k in ("q_proj", "k_proj", "v_proj", "out_proj")) for n in changed
    )
    assert torch.equal(before["lm_head.weight"], after["lm_head.weight"])


def test_clear_errors_for_no_data_bad_base_and_taken_names(demo: Project) -> None:
    with pytest.raises(TrainingError, match="neither a preset"):
        train(demo, "no-such-dir", "x", TINY, device="cpu")
    with pytest.raises(ModelError, match="not allowed"):
        train(demo, "small", "../evil", TINY, device="cpu")
    with demo.session() as session:
        session.add(ModelVersion(name="taken", backend="ctc"))
    with pytest.raises(TrainingError, match="already registered"):
        train(demo, "small", "taken", TINY, device="cpu")
    with pytest.raises(TrainingError, match="fp16 needs a CUDA"):
        train(demo, "small", "fp16", TINY.with_overrides(precision="fp16"), device="cpu")
    with demo.session() as session:
        for revision in session.scalars(select(Revision)):
            session.delete(revision)
    with pytest.raises(TrainingError, match="no training clips"):
        train(demo, "small", "empty", TINY, device="cpu")
    assert not (demo.root / "models" / "empty").exists()
