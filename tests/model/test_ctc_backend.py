"""The ctc backend on tiny local checkpoints: known paths, batching, int8, bad checkpoints,
registration, `voxcart model add` and `voxcart suggest --model` end to end."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import typer
from sqlalchemy import select
from typer.testing import CliRunner

from tests.model.conftest import SR, add_catalog, speak
from tests.model.ctc_fixtures import (
    NEGATIVE_LETTER,
    POSITIVE_LETTER,
    constructed_checkpoint,
    dc_segments,
    other_architecture_checkpoint,
    tiny_checkpoint,
)
from voxcart.datasets.audio import write_wav
from voxcart.datasets.ingest.engine import ImportItem, import_items
from voxcart.datasets.store.schema import ModelVersion, Suggestion
from voxcart.model.backends.base import ModelSpec, create_backend
from voxcart.model.backends.ctc import CtcBackend
from voxcart.model.backends.ctc_models import register_ctc_model
from voxcart.model.backends.hypothesis import Hypothesis, hypothesis_from_row
from voxcart.model.cli import model_cmd as registry_cli
from voxcart.model.cli import suggest_cmd as model_cli
from voxcart.model.errors import AudioRejectedError, ModelError
from voxcart.model.suggest import suggest

F = 0.02  # seconds per output frame of the tiny models
# +level for 10 frames, silence, -level for 10 frames. Each output frame also sees the first
# 5 samples of the next frame, so a word starts one frame before its segment.
TWO_WORDS = ((0.0, 5), (0.5, 10), (0.0, 5), (-0.5, 10), (0.0, 5))
TWO_WORDS_TEXT = f"{POSITIVE_LETTER} {NEGATIVE_LETTER}"


@pytest.fixture(scope="module")
def constructed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return constructed_checkpoint(tmp_path_factory.mktemp("ctc") / "constructed")


@pytest.fixture(scope="module")
def random_ckpt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_checkpoint(tmp_path_factory.mktemp("ctc") / "random")


def backend(folder: Path, **config: object) -> CtcBackend:
    engine = create_backend(ModelSpec("m", "ctc", folder, config))
    assert isinstance(engine, CtcBackend)
    return engine


def words(h: Hypothesis) -> list[tuple[str, float, float]]:
    return [(w.word, round(w.start_s, 6), round(w.end_s, 6)) for w in h.words]


def assert_well_formed(h: Hypothesis, duration: float) -> None:
    assert h.text == " ".join(w.word for w in h.words)
    previous = 0.0
    for word in h.words:
        assert previous <= word.start_s <= word.end_s <= duration + 1e-9
        assert 0.0 <= word.confidence <= 1.0
        previous = word.start_s
    assert 0.0 <= h.scores.min_confidence <= h.scores.mean_confidence <= 1.0
    assert h.scores.token_entropy is not None and h.scores.token_entropy >= 0


@pytest.mark.parametrize("decoder", ["greedy", "beam"])
def test_constructed_model_decodes_known_words_at_known_times(constructed, decoder):
    clip = dc_segments(*TWO_WORDS)
    short = dc_segments((0.0, 3), (-0.5, 4), (0.0, 3))
    cut = clip[: 25 * 320]  # ends 5 frames into the second word
    engine = backend(constructed, decoder=decoder)
    long_h, short_h, cut_h = engine.transcribe([clip, short, cut])
    assert long_h.text == TWO_WORDS_TEXT
    assert words(long_h) == [(POSITIVE_LETTER, 4 * F, 15 * F), (NEGATIVE_LETTER, 19 * F, 30 * F)]
    assert words(short_h) == [(NEGATIVE_LETTER, 2 * F, 7 * F)]
    # Padding to the batch's longest clip is cut off again: the last word ends with its clip.
    assert words(cut_h) == [(POSITIVE_LETTER, 4 * F, 15 * F), (NEGATIVE_LETTER, 19 * F, 24 * F)]
    assert all(w.confidence > 0.99 for h in (long_h, short_h, cut_h) for w in h.words)
    if decoder == "beam":
        assert long_h.nbest[0].text == TWO_WORDS_TEXT
    else:
        assert long_h.nbest == ()


def test_batched_results_equal_one_at_a_time_in_input_order(constructed):
    clips = [dc_segments((0.0, 2), (0.5 * (-1) ** i, 3 + i), (0.0, 2)) for i in range(7)]
    engine = backend(constructed, decoder="greedy", batch_size=3)
    together = engine.transcribe(clips)
    alone = [engine.transcribe([clip])[0] for clip in clips]
    assert [h.text for h in together] == [h.text for h in alone]
    assert [words(h) for h in together] == [words(h) for h in alone]
    assert [h.text for h in together] == [
        POSITIVE_LETTER if i % 2 == 0 else NEGATIVE_LETTER for i in range(7)
    ]


def test_int8_model_runs_and_gives_the_fp32_greedy_text(constructed):
    import torch

    clips = [dc_segments(*TWO_WORDS), dc_segments((0.0, 4), (-0.3, 6), (0.0, 4))]
    full = backend(constructed, decoder="greedy", device="cpu")
    int8 = backend(constructed, decoder="greedy", device="cpu", quantize=True)
    assert [h.text for h in int8.transcribe(clips)] == [h.text for h in full.transcribe(clips)]
    linear = int8._model.lm_head
    assert not isinstance(linear, torch.nn.Linear) or "quantized" in type(linear).__module__
    assert int8.version != full.version and int8.version.endswith("int8")


@pytest.mark.parametrize("decoder", ["greedy", "beam"])
def test_random_model_on_speech_gives_well_formed_hypotheses(random_ckpt, decoder):
    clips = [speak("sony headphones", seed=1), speak("ninja", seed=2)]
    for clip, h in zip(clips, backend(random_ckpt, decoder=decoder).transcribe(clips), strict=True):
        assert_well_formed(h, clip.size / SR)


@pytest.mark.parametrize("kind", ["hubert", "wavlm"])
def test_other_architectures_load_through_auto_model_for_ctc(tmp_path, kind):
    folder = other_architecture_checkpoint(tmp_path / kind, kind)
    engine = backend(folder, decoder="greedy")
    clip = speak("apple", seed=3)
    (h,) = engine.transcribe([clip])
    assert_well_formed(h, clip.size / SR)
    assert f"/{kind}/" in engine.version


def test_too_long_and_malformed_clips_are_rejected_clearly(constructed):
    engine = backend(constructed, decoder="greedy", max_seconds=1.0)
    with pytest.raises(AudioRejectedError, match=r"1\.5 s long.*at most 1 s.*max_seconds"):
        engine.transcribe([np.zeros(SR, np.float32), np.full(int(1.5 * SR), 0.1, np.float32)])
    with pytest.raises(AudioRejectedError, match="mono"):
        engine.transcribe([np.zeros((2, SR), np.float32)])
    with pytest.raises(AudioRejectedError, match="NaN"):
        engine.transcribe([np.full(SR, np.nan, np.float32)])
    assert engine.transcribe([]) == []


def test_missing_and_incompatible_checkpoints_fail_clearly(tmp_path, random_ckpt):
    with pytest.raises(ModelError, match="does not exist"):
        backend(tmp_path / "nowhere").load()
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ModelError, match=r"no config.json"):
        backend(empty).load()
    # A non-CTC model type.
    bert = tmp_path / "bert"
    bert.mkdir()
    (bert / "config.json").write_text(json.dumps({"model_type": "bert"}), encoding="utf-8")
    with pytest.raises(ModelError, match="'bert' model, which has no CTC head"):
        backend(bert).load()
    # A wav2vec2 without a CTC head (a pretraining checkpoint).
    headless = tmp_path / "headless"
    shutil.copytree(random_ckpt, headless)
    config = json.loads((headless / "config.json").read_text(encoding="utf-8"))
    config["architectures"] = ["Wav2Vec2ForPreTraining"]
    (headless / "config.json").write_text(json.dumps(config), encoding="utf-8")
    with pytest.raises(ModelError, match="without a trained CTC head"):
        backend(headless).load()
    # A tokenizer whose vocabulary does not match the model's outputs.
    mismatched = tmp_path / "mismatched"
    shutil.copytree(random_ckpt, mismatched)
    from tests.model.ctc_fixtures import make_processor

    make_processor(mismatched, extra_tokens=5)
    with pytest.raises(ModelError, match=r"outputs 30; the vocab.json does not belong"):
        backend(mismatched).load()
    # No tokenizer at all.
    bare = tmp_path / "bare"
    shutil.copytree(random_ckpt, bare)
    for name in ("vocab.json", "tokenizer_config.json"):
        (bare / name).unlink()
    with pytest.raises(ModelError, match="no tokenizer"):
        backend(bare).load()


def test_bad_config_and_hub_offline_fail_clearly(monkeypatch, constructed):
    with pytest.raises(ModelError, match="unknown ctc config key"):
        backend(constructed, beam=3)
    with pytest.raises(ModelError, match=r"beam_width.*integer"):
        backend(constructed, beam_width="wide")
    with pytest.raises(ModelError, match=r"int8 quantization runs on the CPU|CUDA is not"):
        backend(constructed, quantize=True, device="cuda").load()
    with pytest.raises(ModelError, match="no checkpoint folder and no hub_id"):
        CtcBackend(ModelSpec("m", "ctc", None, {}))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    hub = CtcBackend(ModelSpec("m", "ctc", None, {"hub_id": "voxcart-tests/not-a-model"}))
    with pytest.raises(ModelError, match="hf download voxcart-tests/not-a-model"):
        hub.load()


def test_out_of_memory_becomes_a_clear_error(constructed):
    import torch

    engine = backend(constructed, decoder="greedy", batch_size=4)
    engine.load()

    def fail(*_args: object) -> None:
        raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    handle = engine._model.register_forward_pre_hook(fail)
    try:
        with pytest.raises(ModelError, match=r"ran out of memory on 2 clips.*smaller --batch-size"):
            engine.transcribe([dc_segments(*TWO_WORDS)] * 2)
    finally:
        handle.remove()


def test_register_and_suggest_end_to_end(tmp_path, project, constructed, monkeypatch):
    add_catalog(project, tmp_path)
    inside = project.root / "models" / "mine"
    shutil.copytree(constructed, inside)
    media = tmp_path / "media"
    media.mkdir()
    write_wav(media / "two.wav", dc_segments(*TWO_WORDS), SR)
    write_wav(media / "one.wav", dc_segments((0.0, 3), (-0.5, 8), (0.0, 3)), SR)
    write_wav(media / "long.wav", dc_segments((0.5, 120)), SR)  # 2.4 s > max_seconds
    import_items(
        project,
        [ImportItem(path=media / f"{n}.wav", uid=n) for n in ("two", "one", "long")],
        transcripts=False,
    )
    monkeypatch.chdir(tmp_path)
    model_id = register_ctc_model(project, "ctc-mine", "models/mine", config={"max_seconds": 2.0})
    with project.session() as session:
        row = session.get(ModelVersion, model_id)
        assert row is not None and row.path == "models/mine" and row.backend == "ctc"
        assert "sony" in row.config["hotwords"] and "ninja" in row.config["hotwords"]
    report = suggest(project, "ctc-mine")
    assert (report.suggested, report.failed) == (2, 1)
    assert "at most 2 s" in report.failures[0].reason
    with project.session() as session:
        rows = session.scalars(select(Suggestion).order_by(Suggestion.clip_id)).all()
        texts = sorted(hypothesis_from_row(r.text, r.words, r.scores, r.nbest).text for r in rows)
    assert texts == [NEGATIVE_LETTER, TWO_WORDS_TEXT]
    # Resumable: nothing left to do.
    assert suggest(project, "ctc-mine").suggested == 0
    with pytest.raises(ModelError, match="already registered"):
        register_ctc_model(project, "ctc-mine", inside)
    with pytest.raises(ModelError, match="does not exist"):
        register_ctc_model(project, "ctc-none", tmp_path / "nowhere")


def test_model_add_cli_then_suggest_cli(tmp_path, project, constructed):
    app = typer.Typer()
    registry_cli.register(app)
    model_cli.register(app)
    runner = CliRunner()
    root = str(project.root)
    write_wav(tmp_path / "q.wav", dc_segments(*TWO_WORDS), SR)
    import_items(project, [ImportItem(path=tmp_path / "q.wav", uid="q")], transcripts=False)
    added = runner.invoke(
        app,
        ["model", "add", "w2v", "--path", str(constructed), "--decoder", "greedy", "-p", root],
    )
    assert added.exit_code == 0, added.output
    assert "registered w2v" in added.output
    listed = runner.invoke(app, ["model", "list", "-p", root])
    assert f"w2v\tctc\t{constructed}" in listed.output
    wrong = runner.invoke(
        app, ["model", "add", "x", "--backend", "sphinx", "--path", "a", "-p", root]
    )
    assert wrong.exit_code != 0
    assert "--backend 'sphinx' cannot be added here" in str(wrong.exception)
    done = runner.invoke(app, ["suggest", "--model", "w2v", "-p", root])
    assert done.exit_code == 0, done.output
    assert "w2v: 1 suggestion(s) written" in done.output
