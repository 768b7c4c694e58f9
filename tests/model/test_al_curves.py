"""Learning curves and label efficiency of an active-learning simulation (pure functions)."""

from __future__ import annotations

import csv
import json

import pytest

from voxcart.model.al.curves import label_efficiency, mean_curves, minutes_to_reach, write_outputs
from voxcart.model.al.sim_config import CurvePoint, SimulationConfig


def _run(strategy: str, seed: int, wers: list[float], minutes_per_round: float = 1.0):
    return [
        CurvePoint(strategy, seed, r, r * 10, r * minutes_per_round, w, w / 2, w, f"m{r}")
        for r, w in enumerate(wers)
    ]


def _points():
    return [
        *_run("random", 0, [0.70, 0.60, 0.55, 0.50]),
        *_run("random", 1, [0.70, 0.62, 0.53, 0.50]),
        # Reaches 0.50 halfway between round 1 (0.55) and round 2 (0.45).
        *_run("hybrid", 0, [0.70, 0.55, 0.45, 0.44]),
        *_run("hybrid", 1, [0.70, 0.55, 0.45, 0.44]),
        # Worse than random from round 2 on, never reaches 0.50.
        *_run("entropy", 0, [0.70, 0.60, 0.58, 0.56]),
    ]


def test_minutes_to_reach_interpolates_between_rounds():
    assert minutes_to_reach([0, 1, 2], [0.7, 0.6, 0.4], 0.5) == pytest.approx(1.5)
    assert minutes_to_reach([0, 1, 2], [0.7, 0.6, 0.55], 0.5) is None
    assert minutes_to_reach([0, 1], [0.4, 0.3], 0.5) == 0


def test_mean_curve_has_the_seed_spread():
    rows = {(r.strategy, r.round): r for r in mean_curves(_points())}
    r = rows[("random", 1)]
    assert r.seeds == 2 and r.wer_mean == pytest.approx(0.61)
    assert (r.wer_min, r.wer_max) == (0.60, 0.62)


def test_label_efficiency_against_random():
    found = {e.strategy: e for e in label_efficiency(_points())}
    hybrid = found["hybrid"]
    assert hybrid.target_wer == pytest.approx(0.50) and hybrid.random_minutes == 3.0
    assert hybrid.minutes == pytest.approx(1.5) and hybrid.saving == pytest.approx(0.5)
    assert hybrid.seed_savings == pytest.approx((0.5, 0.5))
    assert hybrid.behind_random_after_round_2 == ()
    entropy = found["entropy"]
    assert entropy.minutes is None and entropy.saving is None
    assert entropy.behind_random_after_round_2 == (2, 3)
    assert found["random"].saving == pytest.approx(0.0)


def test_label_efficiency_needs_random():
    with pytest.raises(ValueError, match="random"):
        label_efficiency(_run("hybrid", 0, [0.7, 0.5]))


def test_outputs_are_written(tmp_path):
    points = _points()
    config = SimulationConfig(strategies=("random", "hybrid", "entropy"), rounds=3, seeds=2)
    files = write_outputs(points, tmp_path, config)
    with files["points"].open(encoding="utf-8") as handle:
        assert len(list(csv.DictReader(handle))) == len(points)
    data = json.loads(files["efficiency"].read_text(encoding="utf-8"))
    assert {s["strategy"] for s in data["strategies"]} == {"random", "hybrid", "entropy"}
    assert "| hybrid | 44.0% | 1.50 | 50% |" in files["summary"].read_text(encoding="utf-8")
    assert files["figure"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
