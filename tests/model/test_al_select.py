"""Active-learning selection: budgets, cost-aware ranking, duplicates, k-center spread."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.model.al_fixtures import candidate
from voxcart.model.al.candidates import ClipCandidate
from voxcart.model.al.scorers import make_scorer
from voxcart.model.al.select import Budget, parse_budget, select
from voxcart.model.errors import ModelError

LC = make_scorer("least-confidence")


def _by_confidence(conf_by_id: dict[int, float]) -> list[ClipCandidate]:
    """One-word candidates whose least-confidence score is 1 - the given confidence."""
    return [candidate(i, f"word{i}", [c]) for i, c in conf_by_id.items()]


def test_parse_budget_clips_and_durations() -> None:
    assert parse_budget("200") == Budget(clips=200)
    assert parse_budget("90s") == Budget(seconds=90.0)
    assert parse_budget("30m") == Budget(seconds=1800.0)
    assert parse_budget(" 2H ") == Budget(seconds=7200.0)
    assert parse_budget("1.5m") == Budget(seconds=90.0)


@pytest.mark.parametrize("text", ["", "abc", "-5", "1.5", "0", "0s", "10 minutes", "5d"])
def test_parse_budget_rejects_bad_text(text: str) -> None:
    with pytest.raises(ModelError, match="budget"):
        parse_budget(text)


def test_budget_needs_a_positive_limit() -> None:
    with pytest.raises(ModelError, match="no limit"):
        Budget()
    with pytest.raises(ModelError, match="clips"):
        Budget(clips=0)


def test_clip_budget_takes_the_best_scores_in_order() -> None:
    clips = _by_confidence({1: 0.9, 2: 0.2, 3: 0.5, 4: 0.7})
    result = select(clips, LC, Budget(clips=2), diversity="none")
    assert result.clip_ids == (2, 3)
    assert result.scores == pytest.approx((0.8, 0.5))
    assert result.total_seconds == 4.0


def test_seconds_budget_is_filled_greedily_and_never_exceeded() -> None:
    clips = [
        candidate(1, "a", [0.1], duration_s=5.0),
        candidate(2, "b", [0.2], duration_s=5.0),
        candidate(3, "c", [0.3], duration_s=2.0),
        candidate(4, "d", [0.4], duration_s=1.5),
    ]
    result = select(clips, LC, Budget(seconds=8.0), diversity="none")
    # 1 fits (5 s), 2 would overrun (10 s), 3 fits (7 s), 4 would overrun (8.5 s).
    assert result.clip_ids == (1, 3)
    assert result.total_seconds == 7.0
    both = select(clips, LC, Budget(clips=1, seconds=100.0), diversity="none")
    assert both.clip_ids == (1,)


def test_cost_aware_prefers_score_per_second() -> None:
    long_clip = candidate(1, "long", [0.2], duration_s=20.0)  # score 0.8, 0.04/s
    short_clip = candidate(2, "short", [0.4], duration_s=2.0)  # score 0.6, 0.3/s
    assert select([long_clip, short_clip], LC, Budget(clips=1), diversity="none").clip_ids == (1,)
    chosen = select([long_clip, short_clip], LC, Budget(clips=1), cost_aware=True)
    assert chosen.clip_ids == (2,)
    assert chosen.scores == pytest.approx((0.6,))


def test_dedup_skips_identical_and_near_identical_suggestions() -> None:
    clips = [
        candidate(1, "show me sony headphones", [0.1, 0.9, 0.9, 0.9]),
        candidate(2, "Show me Sony headphones!", [0.2, 0.9, 0.9, 0.9]),
        candidate(3, "show me sony headphone", [0.3, 0.9, 0.9, 0.9]),
        candidate(4, "add ninja air fryer to cart", [0.4, 0.9, 0.9, 0.9, 0.9, 0.9]),
    ]
    assert select(clips, LC, Budget(clips=2), diversity="none").clip_ids == (1, 2)
    assert select(clips, LC, Budget(clips=2), diversity="dedup").clip_ids == (1, 4)
    assert select(clips, LC, Budget(clips=4), diversity="dedup").clip_ids == (1, 4)


def test_kcenter_spreads_over_different_queries() -> None:
    cluster = [
        candidate(i, "show me sony wireless headphones", [0.1 + 0.01 * i] * 5) for i in range(1, 6)
    ]
    others = [
        candidate(10, "add ninja air fryer to my cart", [0.5] * 7),
        candidate(11, "do you have dyson vacuum cleaners", [0.55] * 6),
    ]
    clips = cluster + others
    plain = select(clips, LC, Budget(clips=3), diversity="none")
    assert set(plain.clip_ids) <= {c.clip_id for c in cluster}
    spread = select(clips, LC, Budget(clips=3), diversity="kcenter")
    assert spread.clip_ids[0] == 1  # the best-scored clip starts the k-center
    assert set(spread.clip_ids) == {1, 10, 11}


def test_max_per_speaker_caps_each_speaker() -> None:
    clips = [
        candidate(i, f"q{i}", [0.1 * i], speaker="ann" if i < 4 else "bob") for i in range(1, 7)
    ]
    result = select(clips, LC, Budget(clips=4), diversity="none", max_per_speaker=2)
    assert result.clip_ids == (1, 2, 4, 5)
    with pytest.raises(ModelError, match="max_per_speaker"):
        select(clips, LC, Budget(clips=4), max_per_speaker=0)


def test_ties_are_broken_by_seed_deterministically() -> None:
    clips = _by_confidence({i: 0.5 for i in range(1, 30)})
    a = select(clips, LC, Budget(clips=5), diversity="none", seed=1)
    assert a == select(clips, LC, Budget(clips=5), diversity="none", seed=1)
    assert a.clip_ids != select(clips, LC, Budget(clips=5), diversity="none", seed=2).clip_ids


def test_random_scorer_selection_is_deterministic_per_seed() -> None:
    clips = _by_confidence({i: 0.5 for i in range(1, 30)})
    pick = select(clips, make_scorer("random", seed=3), Budget(clips=5), diversity="none")
    again = select(clips, make_scorer("random", seed=3), Budget(clips=5), diversity="none")
    other = select(clips, make_scorer("random", seed=4), Budget(clips=5), diversity="none")
    assert pick == again and pick.clip_ids != other.clip_ids


def test_bad_options_are_rejected() -> None:
    clips = _by_confidence({1: 0.5})
    with pytest.raises(ModelError, match="diversity"):
        select(clips, LC, Budget(clips=1), diversity="cluster")
    nan_scorer = type("Nan", (), {"name": "nan", "__call__": lambda self, c: float("nan")})()
    with pytest.raises(ModelError, match="finite"):
        select(clips, nan_scorer, Budget(clips=1))


@settings(max_examples=40, deadline=None)
@given(
    durations=st.lists(st.floats(0.2, 20.0), min_size=0, max_size=25),
    clips=st.none() | st.integers(1, 10),
    seconds=st.none() | st.floats(0.5, 60.0),
    diversity=st.sampled_from(["kcenter", "dedup", "none"]),
    cost_aware=st.booleans(),
)
def test_budget_is_never_exceeded(
    durations: list[float],
    clips: int | None,
    seconds: float | None,
    diversity: str,
    cost_aware: bool,
) -> None:
    if clips is None and seconds is None:
        clips = 3
    pool = [
        candidate(i, f"query number {i}", [((i * 37) % 100) / 100] * 3, duration_s=d)
        for i, d in enumerate(durations)
    ]
    budget = Budget(clips=clips, seconds=seconds)
    result = select(pool, LC, budget, diversity=diversity, cost_aware=cost_aware)
    assert len(set(result.clip_ids)) == len(result.clip_ids)
    if clips is not None:
        assert len(result.clip_ids) <= clips
    total = sum(durations[i] for i in result.clip_ids)
    assert result.total_seconds == pytest.approx(total, abs=1e-6)  # stored to the microsecond
    if seconds is not None:
        assert total <= seconds + 1e-6
    if diversity == "none" and seconds is None:
        assert len(result.clip_ids) == min(clips or 0, len(pool))
