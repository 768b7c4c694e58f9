"""What an active-learning simulation is asked to run, and the points it measures.

Shared by the simulation (:mod:`voxcart.model.al.simulate`) and its learning curves
(:mod:`voxcart.model.al.curves`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from voxcart.model.al.rounds import STRATEGIES
from voxcart.model.al.select import parse_budget
from voxcart.model.errors import ModelError

StartModel = Literal["catalog-only", "current"]
START_MODELS: tuple[str, ...] = ("catalog-only", "current")
DEFAULT_STRATEGIES: tuple[str, ...] = ("random", "least-confidence", "entropy", "hybrid")


@dataclass(frozen=True)
class SimulationConfig:
    """What `voxcart al simulate` runs.

    Attributes:
        strategies: strategy names (scorers or presets such as ``hybrid``).
        rounds: rounds per run.
        budget: clips or audio time selected per round (``"30s"``, ``"10"``).
        seeds: runs per strategy, with seeds 0 .. seeds-1.
        pool_sample: pool clips re-scored after each round (None: all).
        start: ``catalog-only`` or ``current`` (see the module docstring).
        diversity: the diversity rule of plain scorers (presets bring their own; ``random``
            never uses one).
        workers: runs in parallel (processes); also the processes that decode every clip
            with the start model.
        adapt: ``none`` (LM-only rounds) or ``map``/``mllr`` (each round also adapts the
            acoustic model on the oracle labels so far).
    """

    strategies: tuple[str, ...] = DEFAULT_STRATEGIES
    rounds: int = 5
    budget: str = "30s"
    seeds: int = 3
    pool_sample: int | None = 80
    start: StartModel = "catalog-only"
    diversity: str = "none"
    workers: int = 2
    adapt: str = "none"

    def __post_init__(self) -> None:
        if not self.strategies:
            raise ModelError("strategies is empty; name at least one, e.g. random,hybrid")
        for name in self.strategies:
            if name not in STRATEGIES:
                raise ModelError(
                    f"strategy={name!r} is unknown; use one of {', '.join(STRATEGIES)}"
                )
        if self.adapt not in ("none", "map", "mllr"):
            raise ModelError(f"adapt={self.adapt!r} is unknown; use none, map or mllr")
        if "random" not in self.strategies:
            raise ModelError(
                "strategies must include 'random': label efficiency is measured against it"
            )
        for name, low in (("rounds", 1), ("seeds", 1), ("workers", 1)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ModelError(f"{name}={value!r} must be a whole number >= {low}")
        if self.pool_sample is not None and self.pool_sample < 1:
            raise ModelError(f"pool_sample={self.pool_sample!r} must be >= 1 (or None for all)")
        if self.start not in START_MODELS:
            raise ModelError(f"start={self.start!r} is unknown; use {' or '.join(START_MODELS)}")
        parse_budget(self.budget)


@dataclass(frozen=True)
class CurvePoint:
    """One measurement of one run: the model after `round` rounds.

    Attributes:
        strategy: the run's strategy.
        seed: the run's seed.
        round: rounds done (0: the start model).
        labelled_clips: train clips labelled so far.
        labelled_minutes: their audio time.
        wer: held-out WER against the gold references.
        cer: held-out CER.
        entity_error: held-out catalog-entity error rate (None without entities).
        model: the model version measured.
    """

    strategy: str
    seed: int
    round: int
    labelled_clips: int
    labelled_minutes: float
    wer: float
    cer: float
    entity_error: float | None
    model: str
