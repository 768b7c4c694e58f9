"""Pipeline configs: presets parse, and every kind of mistake is a clear AugmentConfigError."""

from __future__ import annotations

from pathlib import Path

import pytest

from voxcart.augment.errors import AugmentConfigError
from voxcart.augment.pipeline import parse_pipeline
from voxcart.augment.presets import list_presets, load_preset, preset_names, resolve_pipeline

REQUIRED_PRESETS = {"store-noise", "far-field", "phone", "car", "mild"}


def test_shipped_presets_are_valid_and_described() -> None:
    assert set(preset_names()) >= REQUIRED_PRESETS
    for info in list_presets():
        config = load_preset(info.name)
        assert config.name == info.name
        assert info.description
        assert parse_pipeline(config.to_dict()) == config


@pytest.mark.parametrize(
    ("transforms", "expected"),
    [
        (
            [{"name": "AddGaussianNoize"}],
            "unknown transform 'AddGaussianNoize'; did you mean 'AddGaussianNoise'?",
        ),
        (
            [{"name": "Gain"}, {"name": "Gain"}, {"name": "BankNoise", "min_snr_db": -500}],
            "transforms[2].min_snr_db=-500 out of range [-20, 80] dB",
        ),
        (
            [{"name": "BankNoise", "min_snr_db": "loud"}],
            "transforms[0].min_snr_db='loud' has the wrong type: expected a number",
        ),
        (
            [{"name": "BankNoise", "min_snr": 3}],
            "unknown parameter 'min_snr' for BankNoise; did you mean 'min_snr_db'?",
        ),
        (
            [{"name": "BankNoise", "min_snr_db": 30.0, "max_snr_db": 10.0}],
            "transforms[0].min_snr_db=30.0 is greater than transforms[0].max_snr_db=10.0",
        ),
        ([{"name": "Gain", "p": 1.5}], "transforms[0].p=1.5 out of range [0, 1]"),
        ([{"name": "BankReverb", "max_rt60_s": True}], "max_rt60_s=True has the wrong type"),
        ([{"name": "BankNoise", "categories": "babble"}], "categories='babble' has the wrong type"),
        ([{"name": "LowPassFilter", "max_cutoff_freq": 9000.0}], "out of range [1, 8000] Hz"),
        ([{"name": "Mp3Compression", "backend": "ffmpeg"}], "backend='ffmpeg' is not allowed"),
        (
            [{"name": "HighPassFilter", "min_rolloff": 13}],
            "transforms[0] (HighPassFilter): Non zero phase filters",
        ),
        (
            [{"name": "OneOf", "transforms": [{"name": "Gain", "max_gain_db": 99.0}]}],
            "transforms[0].transforms[0].max_gain_db=99.0 out of range",
        ),
        (
            [{"name": "OneOf", "transforms": [{"name": "Gain"}], "weights": [1, 2]}],
            "transforms[0].weights=[1, 2] must list 1 non-negative numbers",
        ),
        ([{"name": "Lambda"}], "unknown transform 'Lambda'"),
        ([], "transforms must be a non-empty list"),
        ([{"min_snr_db": 3}], "transforms[0].name is missing"),
    ],
)
def test_bad_configs_name_the_field(transforms: list, expected: str) -> None:
    with pytest.raises(AugmentConfigError) as caught:
        parse_pipeline({"name": "bad", "transforms": transforms})
    assert expected in str(caught.value)


def test_unknown_top_level_key_and_bad_name() -> None:
    with pytest.raises(
        AugmentConfigError, match="unknown key 'transform'; did you mean 'transforms'"
    ):
        parse_pipeline({"transform": [{"name": "Gain"}]})
    with pytest.raises(AugmentConfigError, match=r"name='\.\./evil'"):
        parse_pipeline({"name": "../evil", "transforms": [{"name": "Gain"}]})


def test_unknown_preset_suggests_closest() -> None:
    with pytest.raises(AugmentConfigError, match="did you mean 'far-field'"):
        load_preset("farfield")


def test_pipeline_toml_file(tmp_path: Path) -> None:
    good = tmp_path / "kiosk.toml"
    good.write_text(
        '[[transforms]]\nname = "AddGaussianSNR"\nmin_snr_db = 10.0\nmax_snr_db = 20.0\np = 1.0\n'
    )
    config = resolve_pipeline(good)
    assert config.name == "kiosk"
    assert config.transforms[0].params == {"min_snr_db": 10.0, "max_snr_db": 20.0, "p": 1.0}
    broken = tmp_path / "broken.toml"
    broken.write_text("[[transforms]\nname = ")
    with pytest.raises(AugmentConfigError, match="is not valid TOML"):
        resolve_pipeline(broken)
    with pytest.raises(AugmentConfigError, match="cannot read pipeline file"):
        resolve_pipeline(tmp_path / "missing.toml")
