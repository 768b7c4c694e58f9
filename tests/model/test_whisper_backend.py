"""The whisper backend on a tiny Whisper checkpoint built here (no download): token
probabilities to word confidences, batching, registration, `voxcart model add`, bad inputs."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from voxcart.model.backends.base import ModelSpec, create_backend
from voxcart.model.backends.whisper import WhisperBackend, register_whisper_model
from voxcart.model.backends.whisper_words import (
    TokenStep,
    build_hypothesis,
    split_words,
    word_confidence,
)
from voxcart.model.cli import model_cmd as registry_cli
from voxcart.model.cli import suggest_cmd as model_cli
from voxcart.model.errors import AudioRejectedError, ModelError

SR = 16_000
SPECIALS = ("<|startoftranscript|>", "<|en|>", "<|transcribe|>", "<|notimestamps|>")
WORD = "Ġsony"
LOGIT = 6.0  # the tiny model's logit for WORD at every step; every other token gets 0


def _byte_chars() -> list[str]:
    """GPT-2's byte-to-unicode alphabet: the base vocabulary of byte-level BPE."""
    kept = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1)]
    kept += list(range(ord("®"), ord("ÿ") + 1))
    chars = {b: chr(b) for b in kept}
    extra = 0
    for b in range(256):
        if b not in chars:
            chars[b] = chr(256 + extra)
            extra += 1
    return [chars[b] for b in range(256)]


def _tokenizer() -> Any:
    from transformers import WhisperTokenizer

    vocab = {c: i for i, c in enumerate(_byte_chars())}
    merges = [("Ġ", "s"), ("Ġs", "o"), ("Ġso", "n"), ("Ġson", "y"), ("Ġ", "5"), ("Ġ5", "0")]
    for left, right in merges:
        vocab[left + right] = len(vocab)
    tokenizer = WhisperTokenizer(vocab=vocab, merges=merges)
    tokenizer.add_special_tokens({"additional_special_tokens": list(SPECIALS)})
    return tokenizer


def _save_tiny(folder: Path, window_s: int = 1) -> Path:
    """A random Whisper whose decoder always prefers WORD (logit LOGIT, every other 0)."""
    import torch
    from transformers import (
        WhisperConfig,
        WhisperFeatureExtractor,
        WhisperForConditionalGeneration,
        WhisperProcessor,
    )

    tokenizer = _tokenizer()
    extractor = WhisperFeatureExtractor(feature_size=8, chunk_length=window_s)
    end = tokenizer.eos_token_id
    config = WhisperConfig(
        vocab_size=len(tokenizer),
        num_mel_bins=8,
        d_model=32,
        encoder_layers=1,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=64,
        decoder_ffn_dim=64,
        max_source_positions=50 * window_s,
        max_target_positions=32,
        decoder_start_token_id=tokenizer.convert_tokens_to_ids(SPECIALS[0]),
        eos_token_id=end,
        pad_token_id=end,
        bos_token_id=end,
        tie_word_embeddings=False,
    )
    torch.manual_seed(0)
    model = WhisperForConditionalGeneration(config)
    with torch.no_grad():
        # Constant decoder output v, and logits W v with a single non-zero row: the logits
        # (hence the probabilities) are known exactly.
        norm = model.model.decoder.layer_norm
        norm.weight.zero_()
        norm.bias.copy_(torch.ones(32) / math.sqrt(32))
        model.proj_out.weight.zero_()
        model.proj_out.weight[tokenizer.convert_tokens_to_ids(WORD)] = norm.bias * LOGIT
    model.save_pretrained(folder)
    WhisperProcessor(feature_extractor=extractor, tokenizer=tokenizer).save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _save_tiny(tmp_path_factory.mktemp("whisper") / "tiny")


def _backend(folder: Path, **config: Any) -> WhisperBackend:
    spec = ModelSpec("tiny-whisper", "whisper", folder, {"device": "cpu", **config})
    backend = create_backend(spec)
    assert isinstance(backend, WhisperBackend)
    return backend


def _noise(seconds: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (0.1 * rng.standard_normal(round(seconds * SR))).astype(np.float32)


def _step(piece: str, prob: float, token_id: int = 0) -> TokenStep:
    return TokenStep(token_id, piece, math.log(prob), 0.5)


def test_words_follow_leading_spaces_and_confidence_is_geometric_mean_or_min():
    steps = [_step("Ġear", 0.9), _step("buds", 0.4), _step(".", 1.0), _step("Ġsony", 0.8)]
    groups = split_words(steps)
    assert [[s.piece for s in g] for g in groups] == [["Ġear", "buds", "."], ["Ġsony"]]
    assert word_confidence(groups[0], "mean") == pytest.approx((0.9 * 0.4) ** (1 / 3))
    assert word_confidence(groups[0], "min") == pytest.approx(0.4)
    with pytest.raises(ValueError, match="confidence"):
        word_confidence(groups[0], "max")


def test_written_words_become_spoken_words_with_spread_times():
    tokenizer = _tokenizer()
    ids = tokenizer.encode(" Sony $50.", add_special_tokens=False)
    pieces = tokenizer.convert_ids_to_tokens(ids)
    steps = [TokenStep(i, p, math.log(0.5), 1.0) for i, p in zip(ids, pieces, strict=True)]
    hypothesis = build_hypothesis(steps, tokenizer.decode, 2.0, "min")
    assert hypothesis.text == "sony fifty dollars"
    assert [w.word for w in hypothesis.words] == ["sony", "fifty", "dollars"]
    assert all(w.confidence == pytest.approx(0.5) for w in hypothesis.words)
    assert hypothesis.words[0].start_s == 0.0
    assert hypothesis.words[-1].end_s == pytest.approx(2.0)
    assert all(
        a.end_s == b.start_s
        for a, b in zip(hypothesis.words[:-1], hypothesis.words[1:], strict=True)
    )
    assert hypothesis.scores.token_entropy == pytest.approx(1.0)
    assert hypothesis.scores.utterance_prob == pytest.approx(0.5 ** len(steps))


def test_tokens_without_words_are_not_scored_as_certain():
    hypothesis = build_hypothesis([_step("Ġ!", 0.2)], lambda _ids: " !", 1.0)
    assert hypothesis.text == ""
    assert hypothesis.scores.mean_confidence == pytest.approx(0.2)


def test_tiny_model_gives_known_words_and_confidences(tiny):
    backend = _backend(tiny, max_new_tokens=3)
    clips = [_noise(0.6, 1), _noise(0.3, 2), _noise(0.9, 3)]
    hypotheses = backend.transcribe(clips)
    tokenizer = _tokenizer()
    vocab = len(tokenizer)
    expected = math.exp(LOGIT) / (math.exp(LOGIT) + vocab - 1)
    assert [h.text for h in hypotheses] == ["sony sony sony"] * 3
    for hypothesis, clip in zip(hypotheses, clips, strict=True):
        assert [w.confidence for w in hypothesis.words] == pytest.approx([expected] * 3)
        assert hypothesis.words[-1].end_s == pytest.approx(clip.size / SR)
        assert hypothesis.scores.min_confidence == pytest.approx(expected)
        assert hypothesis.scores.mean_log_prob == pytest.approx(math.log(expected))
        assert 0 < (hypothesis.scores.token_entropy or 0) < math.log(vocab)
    # Batched and one-by-one give the same result: no clip sees another's padding.
    single = backend.transcribe([clips[1]])[0]
    assert single.text == hypotheses[1].text
    assert [w.confidence for w in single.words] == pytest.approx(
        [w.confidence for w in hypotheses[1].words]
    )
    assert backend.version.startswith("transformers-") and "/whisper/" in backend.version
    assert backend.max_duration_s == pytest.approx(1.0)  # the tiny model's 1 s window


def test_clips_and_checkpoints_are_checked(tiny, tmp_path):
    backend = _backend(tiny)
    with pytest.raises(AudioRejectedError, match="at most 1 s"):
        backend.transcribe([_noise(1.5, 0)])
    with pytest.raises(AudioRejectedError, match="mono"):
        backend.transcribe([np.zeros((2, 800), dtype=np.float32)])
    with pytest.raises(AudioRejectedError, match="NaN"):
        backend.transcribe([np.full(8000, np.nan, dtype=np.float32)])
    with pytest.raises(ModelError, match="does not exist"):
        _backend(tmp_path / "missing").load()
    other = tmp_path / "other"
    other.mkdir()
    (other / "config.json").write_text(json.dumps({"model_type": "wav2vec2"}))
    with pytest.raises(ModelError, match="not a Whisper"):
        _backend(other).load()
    with pytest.raises(ModelError, match="unknown whisper config"):
        _backend(tiny, beam_width=4)
    with pytest.raises(ModelError, match="confidence"):
        _backend(tiny, confidence="max")


def test_offline_hub_id_names_the_fix(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    spec = ModelSpec("hub", "whisper", None, {"hub_id": "openai/whisper-tiny.en-not-cached"})
    with pytest.raises(ModelError, match="hf download"):
        create_backend(spec).load()
    with pytest.raises(ModelError, match="no checkpoint folder and no hub_id"):
        create_backend(ModelSpec("none", "whisper"))


def test_model_add_cli_registers_whisper_and_suggest_uses_it(tmp_path, project, tiny):
    from voxcart.datasets.audio import write_wav
    from voxcart.datasets.ingest.engine import ImportItem, import_items

    app = typer.Typer()
    registry_cli.register(app)
    model_cli.register(app)
    runner = CliRunner()
    root = str(project.root)
    write_wav(tmp_path / "q.wav", _noise(0.5, 4), SR)
    import_items(project, [ImportItem(path=tmp_path / "q.wav", uid="q")], transcripts=False)
    added = runner.invoke(
        app,
        ["model", "add", "wh", "--backend", "whisper", "--path", str(tiny), "-p", root],
    )
    assert added.exit_code == 0, added.output
    listed = runner.invoke(app, ["model", "list", "-p", root])
    assert f"wh\twhisper\t{tiny}" in listed.output
    done = runner.invoke(app, ["suggest", "--model", "wh", "-p", root])
    assert done.exit_code == 0, done.output
    assert "wh: 1 suggestion(s) written" in done.output
    with pytest.raises(ModelError, match="not a Whisper"):
        bad = tmp_path / "bad"
        bad.mkdir()
        (bad / "config.json").write_text(json.dumps({"model_type": "hubert"}))
        register_whisper_model(project, "bad", bad)
