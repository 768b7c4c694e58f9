"""One ``voxcart eval`` run: its options as one record, every named split evaluated and reported.

The command parses its flags into :class:`EvalOptions` and calls :func:`run_evaluation`; each
split gets its own report folder (under ``out/<split>/`` when several splits share one ``out``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from voxcart.datasets.store.project import Project
from voxcart.model.errors import ModelError
from voxcart.model.eval.evaluate import SPLITS, EvalReport, evaluate
from voxcart.model.eval.references import REFERENCES
from voxcart.model.eval.report import ReportPaths, write_report
from voxcart.model.eval.slices import DEFAULT_SLICES, check_dimensions
from voxcart.model.suggest import DEFAULT_BATCH_SIZE

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class EvalOptions:
    """What to evaluate and where to write it (the options of ``voxcart eval``).

    Attributes:
        model: a model version name, or a base name for its newest version.
        splits: one or more of :data:`SPLITS`, evaluated in this order.
        reference: ``human`` or ``gold`` (gold references; ``hidden`` is an alias).
        slices: slice dimensions of the by-slice tables.
        compare_to: another model version scored on the same clips, or None.
        batch_size: clips transcribed together where a model has no stored suggestion.
        out: the report folder (with several splits, one subfolder per split); None: the
            default folder under ``<project>/reports``.
    """

    model: str = "sphinx-catalog"
    splits: tuple[str, ...] = ("test",)
    reference: str = "human"
    slices: tuple[str, ...] = DEFAULT_SLICES
    compare_to: str | None = None
    batch_size: int = DEFAULT_BATCH_SIZE
    out: Path | None = None

    def __post_init__(self) -> None:
        """Check every field before anything is transcribed.

        Raises:
            ModelError: no split, an unknown split or reference, a bad slice dimension or a
                batch size below 1.
        """
        if not self.splits:
            raise ModelError(f"splits=() is empty; name at least one of {', '.join(SPLITS)}")
        for split in self.splits:
            if split not in SPLITS:
                raise ModelError(
                    f"split {split!r} is unknown; use one or more of {', '.join(SPLITS)} "
                    "(comma-separated)"
                )
        if len(set(self.splits)) != len(self.splits):
            raise ModelError(f"splits={','.join(self.splits)} names a split twice")
        if self.reference not in REFERENCES:
            raise ModelError(
                f"reference={self.reference!r} is unknown; use one of {', '.join(REFERENCES)}"
            )
        check_dimensions(self.slices)
        if self.batch_size < 1:
            raise ModelError(f"batch_size={self.batch_size} must be at least 1")

    def folder(self, split: str) -> Path | None:
        """Where the report of `split` goes (None: the default folder)."""
        if self.out is None or len(self.splits) == 1:
            return self.out
        return self.out / split


@dataclass(frozen=True)
class EvalRun:
    """One evaluated split and where its report was written."""

    report: EvalReport
    paths: ReportPaths


def run_evaluation(
    project: Project,
    options: EvalOptions,
    progress: Progress | None = None,
) -> list[EvalRun]:
    """Evaluate the model on each split of `options` and write each split's report.

    Args:
        project: the open project.
        options: what to evaluate (checked when it was built).
        progress: called as ``progress(done, total)`` while a split's clips are transcribed
            (it starts again from 0 for each split).

    Raises:
        ModelError: as :func:`voxcart.model.eval.evaluate.evaluate`; splits evaluated before
            the failing one keep their reports.
    """
    runs = []
    for split in options.splits:
        report = evaluate(
            project,
            options.model,
            split,
            reference=options.reference,
            slices=options.slices,
            compare_to=options.compare_to,
            batch_size=options.batch_size,
            progress=progress,
        )
        runs.append(EvalRun(report, write_report(report, options.folder(split))))
    return runs
