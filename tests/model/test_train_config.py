"""Training settings, the character vocabulary and the learning-rate schedule."""

from __future__ import annotations

import itertools
from dataclasses import fields
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voxcart.model.train.char_vocab import CharVocab
from voxcart.model.train.config import (
    TrainConfig,
    TrainingError,
    field_help,
    load_train_config,
)
from voxcart.model.train.optim import lr_factor


def test_every_field_has_help_and_defaults_are_valid() -> None:
    config = TrainConfig()
    for item in fields(TrainConfig):
        assert field_help(item.name), item.name
    assert config.freeze_feature_encoder and not config.lora and config.augment is None
    assert config.pseudo_label_threshold is None


def test_toml_with_model_table_then_cli_overrides(tmp_path: Path) -> None:
    path = tmp_path / "train.toml"
    path.write_text(
        'epochs = 3\nlr = 5e-4\nschedule = "cosine"\n[model]\nhidden_size = 64\n', "utf-8"
    )
    config = load_train_config(path)
    assert (config.epochs, config.lr, config.schedule) == (3, 5e-4, "cosine")
    assert dict(config.model) == {"hidden_size": 64}
    overridden = config.with_overrides(epochs=7, lr=None, lora=True)
    assert (overridden.epochs, overridden.lr, overridden.lora) == (7, 5e-4, True)
    assert overridden.to_dict()["model"] == {"hidden_size": 64}


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("epochs = 0\n", "epochs=0"),
        ("lr = -1.0\n", "lr=-1.0"),
        ('schedule = "step"\n', "schedule='step'"),
        ("dropout = 1.5\n", "dropout=1.5"),
        ("learning_rate = 1.0\n", "learning_rate"),
        ("lora = true\nfreeze_layers = 2\n", "exclusive"),
        ("epochs = [\n", "not valid"),
    ],
)
def test_bad_settings_name_the_field(tmp_path: Path, text: str, needle: str) -> None:
    path = tmp_path / "train.toml"
    path.write_text(text, "utf-8")
    with pytest.raises(TrainingError, match=needle.replace("[", r"\[")):
        load_train_config(path)


def test_missing_and_non_utf8_config(tmp_path: Path) -> None:
    with pytest.raises(TrainingError, match="does not exist"):
        load_train_config(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_bytes(b"epochs = 1\n\xff\xfe")
    with pytest.raises(TrainingError, match="UTF-8"):
        load_train_config(bad)
    with pytest.raises(TrainingError, match="unknown"):
        TrainConfig().with_overrides(epoch=3)


def test_vocab_layout_and_encoding_drops_unknown_chars() -> None:
    vocab = CharVocab.from_texts(["show me sony", "add two"])
    assert vocab.tokens[:3] == ("<pad>", "<unk>", "|") and vocab.pad_id == 0
    encoded = vocab.encode("  sony   <b>tv</b> ")
    mapping = vocab.to_mapping()
    decoded = "".join(vocab.tokens[i] for i in encoded.ids)
    assert decoded == "sony|t"  # 'v', 'b', '<', '>', '/' are not in the vocabulary
    assert encoded.dropped == 8
    assert mapping["|"] == 2


def test_upper_case_vocabulary_is_matched_case_insensitively() -> None:
    vocab = CharVocab.from_mapping({"<pad>": 0, "<unk>": 1, "|": 2, "A": 3, "B": 4})
    assert vocab.case_fold
    assert vocab.encode("ab ba").ids == (3, 4, 2, 4, 3)


@given(
    warmup=st.integers(0, 50),
    total=st.integers(1, 500),
    schedule=st.sampled_from(["linear", "cosine"]),
)
def test_lr_schedule_warms_up_then_decays_to_zero(warmup: int, total: int, schedule: str) -> None:
    factors = [lr_factor(s, warmup, total, schedule) for s in range(total + 1)]
    assert all(0.0 <= f <= 1.0 + 1e-9 for f in factors)
    if warmup >= 2 and warmup < total:
        assert factors[0] < factors[warmup - 1]
    after = factors[min(warmup, total) :]
    assert all(a >= b - 1e-12 for a, b in itertools.pairwise(after))
    assert factors[-1] == pytest.approx(0.0, abs=1e-9)
