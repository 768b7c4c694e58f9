"""A small project with human labels and a gold test set to import over it (``--as-reference``).

Shared by the tests that prove gold references never count as labelled work: the project has
two labelled clips (train and test) and two unlabelled ones (train and test), all split; the
gold manifest gives every one of them a reference made of words no label contains
(``quokka``...), with hostile characters that import must clean as it cleans labels.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from tests.conftest import write_audio
from voxcart.datasets.ingest.engine import import_source
from voxcart.datasets.store.project import Project
from voxcart.datasets.store.schema import Clip, Split

LABELS = {"a": "sony earbuds under $50", "b": "apple watch band"}
"""The human labels (accepted, imported as usual)."""
SPLITS = {"a": Split.TRAIN, "b": Split.TEST, "c": Split.TRAIN, "d": Split.TEST}
GOLD = {
    "a": "quokka sony earbuds",
    "b": "quokka apple\x07 watch",  # a control character: cleaned away
    "c": "numbat air fryer",
    "d": "wombat tv under $300",
}
"""The gold references of the existing clips (as written in the manifest)."""
GOLD_CLEAN = {**GOLD, "b": "quokka apple watch"}
"""What import stores for them (the same cleaning as label transcripts get)."""
GOLD_WORDS = {"quokka", "numbat", "wombat", "bilby"}
"""Words only the gold references contain."""
NEW_GOLD = {"e": "bilby blender"}
"""A gold reference of a clip that is not in the project yet."""


@dataclass(frozen=True)
class GoldFiles:
    """The audio and manifests of the gold test set."""

    folder: Path
    gold: Path
    """Gold manifest over the existing clips a-d."""
    with_new: Path
    """Gold manifest over a-d and a new clip e."""


def _manifest(path: Path, texts: dict[str, str]) -> Path:
    lines = ["path,text"] + [f"{uid}.wav,{text}" for uid, text in texts.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def build_labelled_project(project: Project, folder: Path) -> GoldFiles:
    """Import clips a-d (a and b labelled), split them, and write the gold manifests."""
    for seed, uid in enumerate("abcde"):
        write_audio(folder / f"{uid}.wav", seconds=0.5, seed=seed + 1)
    manifest = folder / "labels.csv"
    rows = ["path,text,id,speaker"] + [
        f"{uid}.wav,{LABELS.get(uid, '')},{uid},spk-{uid}" for uid in "abcd"
    ]
    manifest.write_text("\n".join(rows) + "\n", encoding="utf-8")
    report = import_source(project, manifest)
    assert (report.imported, report.transcribed) == (4, 2)
    with project.session() as session:
        for clip in session.scalars(select(Clip)):
            clip.split = SPLITS[clip.uid]
    return GoldFiles(
        folder,
        _manifest(folder / "gold.csv", GOLD),
        _manifest(folder / "gold_new.csv", {**GOLD, **NEW_GOLD}),
    )


def clip_ids(project: Project) -> dict[str, int]:
    """Clip name (a-e: the uid up to its first '-') -> id."""
    with project.session() as session:
        return {
            uid.split("-", 1)[0]: cid for uid, cid in session.execute(select(Clip.uid, Clip.id))
        }
