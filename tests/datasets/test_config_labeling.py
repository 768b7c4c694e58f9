"""The `[labeling]` table of voxcart.toml: defaults, validation and round trip."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from voxcart.datasets.errors import ConfigError
from voxcart.datasets.store.config import (
    CONFIG_NAME,
    KeysConfig,
    LabelingConfig,
    ProjectConfig,
    load_config,
)
from voxcart.datasets.store.project import init_project, open_project


def test_default_is_no_double_annotation() -> None:
    assert ProjectConfig().labeling == LabelingConfig(double_annotation=0.0, seed=7)


def test_labeling_round_trips_through_the_project_file(tmp_path: Path) -> None:
    config = ProjectConfig(name="shop", labeling=LabelingConfig(double_annotation=0.25, seed=3))
    init_project(tmp_path / "p", config).close()
    assert "[labeling]" in (tmp_path / "p" / CONFIG_NAME).read_text(encoding="utf-8")
    project = open_project(tmp_path / "p")
    assert project.config.labeling == LabelingConfig(double_annotation=0.25, seed=3)
    project.close()


def test_file_without_labeling_table_loads_defaults(tmp_path: Path) -> None:
    (tmp_path / CONFIG_NAME).write_text('name = "old"\n', encoding="utf-8")
    assert load_config(tmp_path).labeling == LabelingConfig()


@pytest.mark.parametrize("value", [-0.1, 1.5, float("nan"), "half", True])
def test_bad_fraction_is_refused_naming_the_field(value: Any) -> None:
    with pytest.raises(ConfigError, match=r"labeling\.double_annotation"):
        LabelingConfig(double_annotation=value)


def test_bad_values_in_the_file_name_the_table(tmp_path: Path) -> None:
    (tmp_path / CONFIG_NAME).write_text("[labeling]\ndouble_annotation = 2\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"labeling\.double_annotation=2"):
        load_config(tmp_path)
    (tmp_path / CONFIG_NAME).write_text("[labeling]\nfraction = 0.1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[labeling\].*fraction"):
        load_config(tmp_path)
    (tmp_path / CONFIG_NAME).write_text('[labeling]\nseed = "x"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"labeling\.seed"):
        load_config(tmp_path)


def test_retype_threshold_round_trips_and_is_validated(tmp_path: Path) -> None:
    config = ProjectConfig(name="shop", labeling=LabelingConfig(retype_below=0.25))
    init_project(tmp_path / "p", config).close()
    project = open_project(tmp_path / "p")
    assert project.config.labeling.retype_below == 0.25
    project.close()
    for bad in (-0.1, 1.5, "low", True):
        with pytest.raises(ConfigError, match=r"labeling\.retype_below"):
            LabelingConfig(retype_below=bad)  # type: ignore[arg-type]


def test_editor_keys_round_trip_and_reach_the_editor_as_key_codes(tmp_path: Path) -> None:
    config = ProjectConfig(name="shop", keys=KeysConfig(accept="y", zoom_in="]"))
    init_project(tmp_path / "p", config).close()
    assert "[keys]" in (tmp_path / "p" / CONFIG_NAME).read_text(encoding="utf-8")
    keys = open_project(tmp_path / "p").config.keys
    assert keys.codes()["accept"] == "KeyY" and keys.codes()["zoom_in"] == "BracketRight"
    assert keys.codes()["skip"] == "KeyS"  # the rest keep their defaults


def test_editor_keys_are_validated() -> None:
    with pytest.raises(ConfigError, match=r"keys\.accept='ctrl'.*one character"):
        KeysConfig(accept="ctrl")
    with pytest.raises(ConfigError, match=r"keys\.skip='a' is already keys\.accept"):
        KeysConfig(skip="a")
