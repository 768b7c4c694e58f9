"""The progress bar every long-running command shows on stderr."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

ProgressCallback = Callable[[int, int | None], None]


@contextmanager
def progress_bar(label: str, total: int | None = None) -> Iterator[ProgressCallback]:
    """A transient bar labelled `label`; yields the `progress(done, total)` callback that the
    library functions take (a None total shows an indeterminate bar)."""
    with Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=total)

        def advance(done: int, new_total: int | None) -> None:
            bar.update(task, completed=done, total=new_total)

        yield advance
