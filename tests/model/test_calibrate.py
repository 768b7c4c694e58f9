"""Confidence calibration: PAV, ECE/AUROC, fitting on dev labels and storing with the model."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import select

from tests.model.calibration_support import add_labelled_clips
from voxcart.datasets.store.project import Project
from voxcart.datasets.store.schema import ModelVersion, Split
from voxcart.datasets.text.wer import hypothesis_hits
from voxcart.model.calibrate.fit import fit_calibration
from voxcart.model.calibrate.isotonic import IsotonicMap, fit_isotonic, pool_adjacent_violators
from voxcart.model.calibrate.labels import label_words
from voxcart.model.calibrate.quality import auroc_wrong, expected_calibration_error
from voxcart.model.calibrate.store import CALIBRATION_KEY, calibration_of
from voxcart.model.errors import ModelError

MODEL = "test-model"
REFERENCE = "alpha bravo charlie delta"
# Per clip: at raw 0.9 one word right, one wrong; at 0.5 one right; at 0.1 one wrong. The 0.5
# words beat the 0.9 words, which PAV must pool: 0.5 and 0.9 both map to 2/3, 0.1 to 0.
WORDS = [("alpha", 0.9), ("brave", 0.9), ("charlie", 0.5), ("dell", 0.1)]


def test_pav_pools_violators_into_their_weighted_mean() -> None:
    assert pool_adjacent_violators([1, 3, 2, 4, 0], [1] * 5).tolist() == [1, 2.25, 2.25, 2.25, 2.25]
    assert pool_adjacent_violators([0, 1, 2], [1, 1, 1]).tolist() == [0, 1, 2]
    # Weights count: 3 (weight 3) then 1 (weight 1) pool to 2.5.
    assert pool_adjacent_violators([3, 1], [3, 1]).tolist() == [2.5, 2.5]


def test_isotonic_fit_is_monotone_and_fits_a_step() -> None:
    step = fit_isotonic([0.1, 0.2, 0.3, 0.4, 0.5, 0.6], [0, 0, 0, 1, 1, 1])
    assert step(np.array([0.0, 0.1, 0.3, 0.4, 0.6, 1.0])).tolist() == [0, 0, 0, 1, 1, 1]
    assert step.map_one(0.35) == pytest.approx(0.5)  # linear between the step's knots
    rng = np.random.default_rng(3)
    x = rng.random(500)
    y = (rng.random(500) < x**2).astype(float)
    fitted = fit_isotonic(x, y)(np.sort(x))
    assert np.all(np.diff(fitted) >= 0) and fitted.min() >= 0 and fitted.max() <= 1
    # Equal inputs get one value: their mean where nothing violates the order.
    assert fit_isotonic([0.5, 0.5, 0.5, 0.9], [1, 0, 0, 1]).map_one(0.5) == pytest.approx(1 / 3)


def test_isotonic_fit_matches_scikit_learn_where_installed() -> None:
    isotonic = pytest.importorskip("sklearn.isotonic")
    rng = np.random.default_rng(5)
    x = np.round(rng.random(400), 2)
    y = (rng.random(400) < x).astype(float)
    theirs = isotonic.IsotonicRegression(out_of_bounds="clip").fit(x, y).predict(x)
    assert np.allclose(fit_isotonic(x, y)(x), theirs)


def test_bad_fits_and_maps_are_refused_with_the_reason() -> None:
    with pytest.raises(ModelError, match="as many outcomes as inputs"):
        fit_isotonic([0.1, 0.2], [1])
    with pytest.raises(ModelError, match=r"in \[0, 1\]"):
        fit_isotonic([1.5], [1])
    with pytest.raises(ModelError, match="non-decreasing"):
        IsotonicMap((0.1, 0.2), (0.9, 0.1))
    with pytest.raises(ModelError, match="malformed"):
        IsotonicMap.from_dict({"x": [0.1]})


def test_ece_and_auroc_on_known_cases() -> None:
    # Three words in four right at 0.75: perfectly calibrated.
    assert expected_calibration_error([0.75] * 4, [1, 1, 1, 0]) == pytest.approx(0.0)
    # Sure and always wrong: the gap is the whole confidence.
    assert expected_calibration_error([0.9, 0.9], [0, 0]) == pytest.approx(0.9)
    # Two bins, each off by 0.2, half the words each.
    assert expected_calibration_error([0.2, 0.2, 0.8, 0.8], [0, 0, 1, 1], bins=2) == pytest.approx(
        0.2
    )
    assert expected_calibration_error([], []) is None
    assert auroc_wrong([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1]) == 1.0
    assert auroc_wrong([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1]) == 0.0
    assert auroc_wrong([0.5, 0.5], [0, 1]) == 0.5
    assert auroc_wrong([0.5, 0.7], [1, 1]) is None


def test_words_are_labelled_by_the_shared_alignment() -> None:
    assert hypothesis_hits(["a", "b", "c"], ["a", "x", "c", "y"]) == (True, False, True, False)
    labels = label_words(
        [
            {"word": "show", "confidence": 0.9},
            {"word": "me", "confidence": 0.8},
            {"word": "sony", "confidence": 0.7},
            {"word": "", "confidence": 0.1},  # no word: left out
            {"word": "tv", "confidence": "nan"},  # no usable confidence: left out
        ],
        "Show me Sonos",
    )
    assert labels == [(0.9, True), (0.8, True), (0.7, False)]


def test_calibration_round_trip_fits_stores_and_applies(project: Project) -> None:
    add_labelled_clips(project, MODEL, REFERENCE, WORDS, n=10)
    add_labelled_clips(project, MODEL, REFERENCE, [("zulu", 0.9)] * 4, n=5, split=Split.TEST)
    fit = fit_calibration(project, MODEL, reference="human", min_words=40, decode=False)
    assert fit.fitted and fit.words == 40 and fit.wrong == 20 and fit.clips == 10
    assert "calibration fitted on 40 dev word(s)" in fit.message and "in-sample" in fit.message
    with project.session() as session:
        row = session.scalar(select(ModelVersion).where(ModelVersion.name == MODEL))
        assert row is not None
        stored = calibration_of(row.metrics)
    assert stored.calibrated and stored.words == 40 and stored.split == "dev"
    assert stored.apply(0.1) == pytest.approx(0.0)
    assert stored.apply(0.5) == pytest.approx(2 / 3) and stored.apply(0.9) == pytest.approx(2 / 3)
    assert stored.ece_fitted is not None and stored.ece_raw is not None
    assert stored.ece_fitted < stored.ece_raw
    assert "isotonic calibration fitted on 40 dev word(s)" in stored.describe()


def test_few_labels_say_so_and_stay_uncalibrated(project: Project) -> None:
    empty = fit_calibration(project, "sphinx-generic", decode=False)  # no dev clip at all
    assert not empty.fitted and "only 0 labelled dev reference word(s)" in empty.message
    add_labelled_clips(project, MODEL, REFERENCE, WORDS, n=10)
    few = fit_calibration(project, MODEL, min_words=41, decode=False)
    assert not few.fitted and not few.calibration.calibrated
    assert "at least 41" in few.message and "stays uncalibrated" in few.message
    with project.session() as session:
        row = session.scalar(select(ModelVersion).where(ModelVersion.name == MODEL))
        assert row is not None and CALIBRATION_KEY not in (row.metrics or {})
        assert calibration_of(row.metrics).describe().startswith("uncalibrated")
    assert fit_calibration(project, MODEL, min_words=40, decode=False).fitted
    again = fit_calibration(project, MODEL, min_words=1000, decode=False)
    assert not again.fitted and "keeps its calibration of" in again.message
    assert again.calibration.calibrated


def test_calibration_options_are_checked(project: Project) -> None:
    with pytest.raises(ModelError, match="reference='silver' is unknown"):
        fit_calibration(project, MODEL, reference="silver")
    with pytest.raises(ModelError, match="min_words=0"):
        fit_calibration(project, MODEL, min_words=0)


def test_an_unreadable_stored_calibration_reads_as_uncalibrated() -> None:
    broken = calibration_of({CALIBRATION_KEY: {"method": "isotonic", "map": {"x": [0.5]}}})
    assert not broken.calibrated and "unreadable" in broken.describe()
    assert broken.apply(0.7) == 0.7


def test_model_calibrate_command_fits_and_reports(project: Project) -> None:
    import typer
    from typer.testing import CliRunner

    from voxcart.model.cli import model_cmd

    add_labelled_clips(project, MODEL, REFERENCE, WORDS, n=10)
    app = typer.Typer()
    model_cmd.register(app)
    base = ["model", "calibrate", "-p", str(project.root), "--model", MODEL, "--no-decode"]
    few = CliRunner().invoke(app, [*base, "--min-words", "500"])
    assert few.exit_code == 0, few.output
    assert "only 40 labelled dev suggested word(s)" not in few.output  # refs counted first
    assert "only 40 labelled dev reference word(s)" in few.output
    assert "stays uncalibrated" in few.output
    done = CliRunner().invoke(app, [*base, "--min-words", "40", "--reference", "human"])
    assert done.exit_code == 0, done.output
    assert f"{MODEL}: calibration fitted on 40 dev word(s) of 10 clip(s) (20 wrong)" in done.output
    listed = CliRunner().invoke(app, ["model", "list", "-p", str(project.root)])
    assert f"{MODEL}\tsphinx\t-\t-\t" in listed.output
    assert listed.output.splitlines()[1].endswith("\tcalibrated (40 dev words)")
    bad = CliRunner().invoke(app, [*base, "--reference", "silver"])
    assert bad.exit_code != 0 and "reference='silver' is unknown" in str(bad.exception)
