"""`voxcart al run`: chain rounds of select, annotation, train and evaluation.

Each pass looks at the newest round and does the next step, so an interrupted loop resumes
where it stopped: no round yet or the newest trained: select; selecting: finish the
selection; queued: get it labelled; training (interrupted): train again. Labels come either
from people in the app (``wait``: poll until the round's clips are done, or until a given
number of newly labelled minutes exists) or from the clips' gold references (``oracle``,
demo and simulated projects only).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import func, select

from voxcart.datasets.store.project import Project
from voxcart.datasets.store.queue import task_is_open
from voxcart.datasets.store.schema import ALRound, Task
from voxcart.model.al.oracle import ORACLE_SOURCE, annotate_round
from voxcart.model.al.records import RoundMetrics, RoundParams
from voxcart.model.al.rounds import (
    QUEUED,
    SELECTING,
    TRAINED,
    RoundResult,
    newest_round,
    select_round,
)
from voxcart.model.al.train import labelled_seconds, train_round
from voxcart.model.errors import ModelError
from voxcart.model.train.config import TrainConfig

Annotator = Literal["wait", "oracle"]
ANNOTATORS: tuple[str, ...] = ("wait", "oracle")


@dataclass(frozen=True)
class LoopOptions:
    """How `voxcart al run` selects, waits and trains.

    Attributes:
        strategy: the scorer or preset that ranks clips (see ``voxcart al select``).
        diversity: the diversity rule for a plain scorer.
        budget: clips or audio time per round (``"30m"``).
        cost_aware: rank by score per second of audio.
        seed: selection seed (the random strategy's, and tie breaks).
        max_per_speaker: at most this many clips of one speaker a round.
        annotator: ``wait`` for people, or ``oracle`` (gold references; simulations).
        train_after_minutes: with ``wait``, train as soon as this many minutes were labelled
            since the last training, instead of waiting for the whole round.
        poll_s: seconds between checks while waiting.
        timeout_s: stop waiting after this long (None: wait forever; 0: check once).
        pseudo_min_confidence: also train on suggestions at least this sure (pseudo-labels).
        pool_sample: re-suggest only this many pool clips after training (None: all).
        eval_splits: where each new model is measured.
        reference: ``human`` or ``gold`` references for those measurements (``hidden``: an
            alias of ``gold``).
        train_config: fine-tuning settings of ctc rounds (None: the defaults).
        device: where ctc rounds train: auto, cpu or cuda.
        adapt: sphinx rounds: ``map`` or ``mllr`` also adapt the acoustic model, ``none``
            rebuilds the LM only.
    """

    strategy: str = "least-confidence"
    diversity: str = "kcenter"
    budget: str = "30m"
    cost_aware: bool = False
    seed: int = 0
    max_per_speaker: int | None = None
    annotator: Annotator = "wait"
    train_after_minutes: float | None = None
    poll_s: float = 30.0
    timeout_s: float | None = None
    pseudo_min_confidence: float | None = None
    pool_sample: int | None = None
    eval_splits: Sequence[str] = ("dev", "test")
    reference: str = "human"
    train_config: TrainConfig | None = None
    device: str = "auto"
    adapt: str = "none"

    def __post_init__(self) -> None:
        if self.annotator not in ANNOTATORS:
            raise ModelError(
                f"annotator={self.annotator!r} is unknown; use 'wait' (people label in the "
                "app) or 'oracle' (gold references, demo projects only)"
            )
        if self.train_after_minutes is not None and not self.train_after_minutes > 0:
            raise ModelError(
                f"train_after_minutes={self.train_after_minutes!r} must be a positive number"
            )
        if not self.poll_s > 0:
            raise ModelError(f"poll_s={self.poll_s!r} must be a positive number of seconds")
        if self.timeout_s is not None and self.timeout_s < 0:
            raise ModelError(f"timeout_s={self.timeout_s!r} must be 0 or more (or None)")


@dataclass(frozen=True)
class LoopEvent:
    """One step the loop took (printed by the CLI as it happens)."""

    round_number: int
    step: str
    detail: str


@dataclass(frozen=True)
class LoopResult:
    """How a loop ended.

    Attributes:
        trained: rounds trained by this call, in order.
        waiting: the round still waiting for labels when the loop stopped, or None.
        events: every step taken.
    """

    trained: tuple[RoundResult, ...]
    waiting: int | None
    events: tuple[LoopEvent, ...]


@dataclass(frozen=True)
class _Newest:
    """What the loop needs to know of the newest round."""

    round_id: int
    number: int
    status: str
    model: str | None
    model_id: int | None


def _newest(project: Project) -> _Newest | None:
    with project.session() as session:
        row = newest_round(session)
        if row is None:
            return None
        params = RoundParams.from_dict(row.params)
        return _Newest(
            row.id,
            row.number,
            row.status,
            params.model or None,
            params.model_id if params.model_id >= 0 else None,
        )


def _open_tasks(project: Project, round_id: int) -> int:
    with project.session() as session:
        return int(
            session.scalar(
                select(func.count()).where(
                    Task.round_id == round_id,
                    Task.kind == "annotate",
                    task_is_open(),
                )
            )
            or 0
        )


def _last_trained_seconds(project: Project) -> float:
    with project.session() as session:
        rows = session.scalars(
            select(ALRound).where(ALRound.status == TRAINED).order_by(ALRound.number.desc())
        )
        for row in rows:
            value = RoundMetrics.from_dict(row.metrics).labelled_seconds_total
            if value is not None:
                return value
    return 0.0


def labels_ready(project: Project, round_id: int, train_after_minutes: float | None) -> bool:
    """Whether a queued round can be trained: all its clips are labelled, or (with
    `train_after_minutes`) that many minutes were labelled since the last training."""
    if _open_tasks(project, round_id) == 0:
        return True
    if train_after_minutes is None:
        return False
    with project.session() as session:
        _, seconds = labelled_seconds(session)
    return seconds - _last_trained_seconds(project) >= train_after_minutes * 60.0


def run_rounds(
    project: Project,
    rounds: int,
    options: LoopOptions | None = None,
    *,
    on_event: Callable[[LoopEvent], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> LoopResult:
    """Run `rounds` more rounds to the end (trained), resuming an unfinished newest round.

    Args:
        project: the open project.
        rounds: rounds to train in this call (a resumed round counts as one).
        options: strategy, budget, annotator and training options.
        on_event: called after each step.
        sleep: waits between polls (tests pass a fake clock).
        clock: monotonic seconds (for the timeout).

    Returns:
        The rounds trained, and the round left waiting for labels if the timeout struck.

    Raises:
        ModelError: `rounds` below 1, or any error of selecting, labelling or training.
    """
    if isinstance(rounds, bool) or rounds < 1:
        raise ModelError(f"rounds={rounds!r} must be at least 1")
    opts = options or LoopOptions()
    events: list[LoopEvent] = []
    trained: list[RoundResult] = []

    def note(number: int, step: str, detail: str) -> None:
        event = LoopEvent(number, step, detail)
        events.append(event)
        if on_event is not None:
            on_event(event)

    while len(trained) < rounds:
        newest = _newest(project)
        if newest is None or newest.status in (TRAINED, SELECTING):
            result = select_round(
                project,
                # With no pool re-scoring the new model suggested no pool clip: keep choosing
                # from the suggestions the previous round chose from.
                model=newest.model if newest is not None and opts.pool_sample == 0 else None,
                strategy=opts.strategy,
                diversity=opts.diversity,
                budget=opts.budget,
                cost_aware=opts.cost_aware,
                seed=opts.seed,
                max_per_speaker=opts.max_per_speaker,
            )
            note(
                result.number,
                "selected",
                f"{len(result.clip_ids)} clip(s), {result.selected_seconds / 60:.2f} min, "
                f"{result.enqueued} queued",
            )
            continue
        round_id, number = newest.round_id, newest.number
        if newest.status == QUEUED:
            if opts.annotator == "oracle":
                done = annotate_round(project, round_id, newest.model_id)
                note(
                    number,
                    "labelled",
                    f"{len(done.labelled)} clip(s) by the simulated annotator "
                    f"({done.accepted} suggestion(s) already right)",
                )
            else:
                started = clock()
                while not labels_ready(project, round_id, opts.train_after_minutes):
                    waited = clock() - started
                    if opts.timeout_s is not None and waited >= opts.timeout_s:
                        note(number, "waiting", f"{_open_tasks(project, round_id)} clip(s) open")
                        return LoopResult(tuple(trained), number, tuple(events))
                    sleep(opts.poll_s)
        result = train_round(
            project,
            number,
            pseudo_min_confidence=opts.pseudo_min_confidence,
            pool_sample=opts.pool_sample,
            eval_splits=opts.eval_splits,
            reference=opts.reference,
            label_sources=(ORACLE_SOURCE,) if opts.annotator == "oracle" else (),
            train_config=opts.train_config,
            adapt=opts.adapt,
            device=opts.device,
        )
        trained.append(result)
        wers = ", ".join(
            f"{split} WER {100 * m.wer:.1f}%"
            for split, m in result.metrics.evaluations.items()
            if m.wer is not None
        )
        note(number, "trained", f"model {result.model}" + (f"; {wers}" if wers else ""))
    return LoopResult(tuple(trained), None, tuple(events))
