"""The typed round records: the JSON columns round-trip, and rows from older versions read."""

from __future__ import annotations

from voxcart.model.al.records import (
    PseudoLabelUse,
    RoundMetrics,
    RoundParams,
    Selection,
    SplitEval,
)


def test_params_round_trip_and_keep_their_stored_keys() -> None:
    params = RoundParams(
        model="shop-ctc",
        model_id=3,
        strategy="hybrid",
        scorer="entity",
        diversity="kcenter",
        budget="30m",
        budget_seconds=1800.0,
        seed=2,
        selection=Selection((4, 5), (0.9, 0.5), 7.5, candidates=12),
    )
    stored = params.to_dict()
    assert stored["selection"]["clip_ids"] == [4, 5] and stored["scorer"] == "entity"
    assert RoundParams.from_dict(stored) == params


def test_metrics_round_trip() -> None:
    metrics = RoundMetrics(
        selected_clips=2,
        selected_seconds=7.5,
        candidates=12,
        model="shop-ctc-al1",
        model_created=False,
        labelled_seconds_total=30.0,
        suggested={"dev": 3, "unlabeled": 0},
        pseudo_labels=PseudoLabelUse(0.9, 4),
        evaluations={"dev": SplitEval("human", None, note="not evaluated: no clips")},
    )
    assert RoundMetrics.from_dict(metrics.to_dict()) == metrics
    assert RoundMetrics.from_dict(None) == RoundMetrics() and RoundMetrics().to_dict() == {}


def test_older_rows_read() -> None:
    # A round trained before per-split evaluation kept dev under "dev"; one before presets
    # stored no "scorer".
    metrics = RoundMetrics.from_dict({"model": "m2", "dev": {"reference": "human", "wer": 0.25}})
    dev = metrics.evaluation("dev")
    assert dev is not None and dev.wer == 0.25 and metrics.evaluation("test") is None
    params = RoundParams.from_dict({"model": "m1", "model_id": 1, "strategy": "entropy"})
    assert params.scorer == "entropy" and params.selection is None and params.seed == 0
