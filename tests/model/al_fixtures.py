"""Builders for the active-learning tests: candidates, and the `voxcart al` command group."""

from __future__ import annotations

from collections.abc import Sequence

import typer

from voxcart.model.al.candidates import ClipCandidate, NBestScore, WordConfidence
from voxcart.model.cli.al_cmd import register


def candidate(
    clip_id: int,
    text: str = "show me sony headphones",
    confidences: Sequence[float] | None = None,
    *,
    duration_s: float = 2.0,
    speaker: str | None = None,
    nbest: Sequence[tuple[str, float]] = (),
    other_texts: Sequence[str] = (),
    scores: dict[str, float] | None = None,
) -> ClipCandidate:
    """A candidate whose words are `text`'s words with `confidences` (default all 0.9)."""
    words = text.split()
    confs = list(confidences) if confidences is not None else [0.9] * len(words)
    return ClipCandidate(
        clip_id=clip_id,
        uid=f"clip-{clip_id}",
        duration_s=duration_s,
        speaker=speaker,
        text=text,
        words=tuple(WordConfidence(w, c) for w, c in zip(words, confs, strict=True)),
        scores=scores,
        nbest=tuple(NBestScore(t, s) for t, s in nbest),
        other_texts=tuple(other_texts),
    )


def al_app() -> typer.Typer:
    """A CLI app holding only the `al` command group."""
    app = typer.Typer()
    register(app)
    return app
