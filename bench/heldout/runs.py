"""The three datasets the catalog bench reports on, each run end to end through the CLI.

- ``heldout``: the held-out catalog and voices of this package.
- ``demo``: ``voxcart demo``'s catalog and voices, with its hidden references as the truth.
- ``real``: the real speech of ``../shared/data`` (generic model only: it has no catalog).

Each run: a fresh project, the catalog, the audio, the default speaker-disjoint split, the
train and dev splits' transcripts imported as labels (dev is what ``train --promote auto``
and LM tuning look at), the test split's kept as references (see the GOLD SWITCH in
:mod:`.pipeline`), ``lm build``, ``train --backend sphinx --method map``, and the generic,
catalog and adapted models scored on test; with ``RunOptions.augment`` also ``voxcart augment``
and ``train --with-augmented`` from the same catalog model, scored as ``adapted+aug``.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from voxcart.datasets.store.project import open_project
from voxcart.datasets.store.schema import Clip, ClipReference, Recording

from .audio import make_voices, read_manifest, render
from .catalog import write_catalog
from .pipeline import (
    Cli,
    ModelScore,
    Reference,
    attach_test_references,
    coverage,
    lm_vocabulary,
    oov_words,
    parse_coverage,
    parse_model,
    score_test,
    split_until_nonempty,
    write_manifest,
)
from .queries import generate_queries

GENERIC = "sphinx-generic"


@dataclass(frozen=True)
class RunOptions:
    """What one bench run uses (printed at the top of the bench's output)."""

    clips: int
    voices: int
    seed: int
    noisy_share: float
    catalog_style: str
    split_seed: int
    gold: bool
    adapt: bool
    real_data: Path
    cache: Path
    augment: tuple[tuple[str, int], ...] = ()
    """With `adapt`: also adapt on the train clips plus augmented copies (preset, copies per
    clip; made with `voxcart augment` and its default simulated banks), from the same base."""


@dataclass
class DatasetRow:
    """The results of one dataset: per-model test scores and the LM's dev coverage."""

    dataset: str
    test_clips: int = 0
    test_speakers: int = 0
    scores: dict[str, ModelScore] = field(default_factory=dict)
    coverage: float | None = None
    coverage_source: str = ""
    oov: tuple[str, ...] = ()
    ece: float | None = None
    notes: list[str] = field(default_factory=list)


def _import_labels(cli: Cli, rows: list[dict[str, str]], work: Path, allow: Path) -> None:
    manifest = write_manifest(work / "labels.csv", rows, ("path", "id", "speaker", "transcript"))
    cli.run("import", str(manifest), "--allow-root", str(allow))


def _models(
    cli: Cli,
    row: DatasetRow,
    refs: list[Reference],
    dev_texts: list[str],
    work: Path,
    opts: RunOptions,
) -> None:
    """lm build, adaptation and the three models on test, shared by heldout and demo."""
    attach_test_references(cli, refs, work, opts.gold)
    built = cli.run("lm", "build")
    catalog = parse_model(built.stdout, r"(?:registered|still) (\S+) at ")
    row.coverage = parse_coverage(built.stdout)
    row.coverage_source = "lm build"
    vocabulary = lm_vocabulary(cli.project / "models" / catalog)
    if row.coverage is None:
        row.coverage = coverage(dev_texts, vocabulary)
        row.coverage_source = "dev words in lm.arpa"
    row.oov = tuple(oov_words(dev_texts, vocabulary)[:15])
    row.scores["generic"] = score_test(cli, GENERIC, refs, work, opts.gold)
    row.scores["catalog"] = score_test(cli, catalog, refs, work, opts.gold)
    if opts.adapt:
        trained = cli.run("train", "--backend", "sphinx", "--method", "map")
        adapted = parse_model(trained.stdout, r"^(\S+?)(?: \(already trained: reused\))?: map ")
        promoted = next((ln for ln in trained.stdout.splitlines() if "promoted" in ln), "")
        row.notes.append(f"adapted {adapted}: {promoted.strip()}")
        # A small dev split holds fewer words than `train` needs to calibrate on its own (200):
        # fit on what dev has, as a user with a small dev set would.
        fitted = cli.run("model", "calibrate", "--model", adapted, "--min-words", "50")
        row.notes.append(f"calibration: {fitted.stdout.strip().splitlines()[-1]}")
        row.scores["adapted"] = score_test(cli, adapted, refs, work, opts.gold)
        if opts.augment:
            row.scores["adapted+aug"] = _adapt_augmented(cli, row, refs, catalog, work, opts)
    # ECE on test (unseen by any calibration fit): calibrated where a map was fitted on dev.
    row.ece = row.scores[final_label(row.scores) or "catalog"].ece


FINAL_ORDER = ("adapted+aug", "adapted", "catalog")
"""The model a dataset's targets are judged on: the last fine-tune round that ran."""


def final_label(scores: dict[str, ModelScore]) -> str | None:
    """Which of `scores` is the final model (see :data:`FINAL_ORDER`); None: none of them."""
    return next((label for label in FINAL_ORDER if label in scores), None)


def _adapt_augmented(
    cli: Cli, row: DatasetRow, refs: list[Reference], base: str, work: Path, opts: RunOptions
) -> ModelScore:
    """Augment the train clips, adapt `base` on them and their copies, score it on test."""
    for i, (preset, copies) in enumerate(opts.augment):
        cli.run("augment", "--preset", preset, "--copies", str(copies), "--seed", str(101 + i))
    trained = cli.run(
        "train", "--backend", "sphinx", "--method", "map", "--with-augmented", "--base", base
    )
    adapted = parse_model(trained.stdout, r"^(\S+?)(?: \(already trained: reused\))?: map ")
    promoted = next((ln for ln in trained.stdout.splitlines() if "promoted" in ln), "")
    steps = ", ".join(f"{preset}:{copies}" for preset, copies in opts.augment)
    row.notes.append(f"adapted with augmented copies ({steps}) {adapted}: {promoted.strip()}")
    fitted = cli.run("model", "calibrate", "--model", adapted, "--min-words", "50")
    row.notes.append(f"calibration: {fitted.stdout.strip().splitlines()[-1]}")
    return score_test(cli, adapted, refs, work, opts.gold)


def run_heldout(cli: Cli, work: Path, opts: RunOptions) -> DatasetRow:
    """The held-out catalog and voices."""
    row = DatasetRow("heldout")
    queries = generate_queries(opts.clips, opts.seed)
    audio = opts.cache / "heldout-audio"
    manifest = render(
        queries,
        make_voices(opts.voices, opts.seed),
        audio,
        seed=opts.seed,
        noisy_share=opts.noisy_share,
        real_data=opts.real_data,
    )
    clips = read_manifest(manifest)
    noisy = sum(c.condition == "noisy" for c in clips)
    row.notes.append(f"{len(clips)} clips, {noisy} noisy (real noise + real room)")
    catalog = write_catalog(work / f"catalog-{opts.catalog_style}.csv", opts.catalog_style)
    cli.run("init", str(cli.project), "--name", "heldout", project=False)
    cli.run("catalog", "import", str(catalog), "--name", "heldout")
    columns = ("path", "id", "speaker", "condition")
    rows = [{**c.__dict__, "path": str(audio / c.path)} for c in clips]
    cli.run(
        "import", str(write_manifest(work / "audio.csv", rows, columns)), "--allow-root", str(audio)
    )
    split_seed, splits = split_until_nonempty(cli, opts.split_seed)
    row.notes.append(f"split seed {split_seed}")
    labelled = [r for r in rows if splits[r["id"]][0] in ("train", "dev")]
    _import_labels(cli, labelled, work, audio)
    test = [c for c in clips if splits[c.id][0] == "test"]
    refs = [
        Reference(c.id, audio / c.path, c.transcript, c.target_sku, c.speaker, c.condition)
        for c in test
    ]
    row.test_clips, row.test_speakers = len(refs), len({c.speaker for c in test})
    dev_texts = [c.transcript for c in clips if splits[c.id][0] == "dev"]
    _models(cli, row, refs, dev_texts, work, opts)
    return row


def _hidden(project_dir: Path) -> list[tuple[str, str, str, str, Path]]:
    """(uid, split, speaker, hidden text, audio path) of every demo clip (bench-only read)."""
    project = open_project(project_dir)
    try:
        with project.session() as session:
            found = session.execute(
                select(
                    Clip.uid, Clip.split, Clip.speaker, ClipReference.text, Recording.source_path
                )
                .join(ClipReference, ClipReference.clip_id == Clip.id)
                .join(Recording, Recording.id == Clip.recording_id)
                .order_by(Clip.id)
            ).all()
    finally:
        project.close()
    out = []
    for uid, split, speaker, text, source in found:
        path = Path(source)
        out.append(
            (
                uid,
                split.value if split else "none",
                speaker or "",
                text,
                path if path.is_absolute() else project_dir / path,
            )
        )
    return out


def run_demo(cli: Cli, work: Path, opts: RunOptions) -> DatasetRow:
    """``voxcart demo``'s data; train/dev hidden references imported as labels (bench-only
    stand-in for annotators), test hidden references kept as the truth."""
    row = DatasetRow("demo")
    cli.run(
        "demo",
        str(cli.project),
        "--clips",
        str(opts.clips),
        "--seed",
        str(opts.seed),
        project=False,
    )
    clips = _hidden(cli.project)
    labelled = [
        {"path": str(path), "id": uid, "speaker": speaker, "transcript": text}
        for uid, split, speaker, text, path in clips
        if split in ("train", "dev")
    ]
    _import_labels(cli, labelled, work, cli.project)
    test = [c for c in clips if c[1] == "test"]
    refs = [Reference(uid, path, text, "", spk) for uid, _s, spk, text, path in test]
    row.test_clips, row.test_speakers = len(refs), len({c[2] for c in test})
    dev_texts = [c[3] for c in clips if c[1] == "dev"]
    _models(cli, row, refs, dev_texts, work, opts)
    return row


def run_real(cli: Cli, work: Path, opts: RunOptions) -> DatasetRow:
    """The real speech of ``../shared/data`` with its transcripts, generic model only."""
    row = DatasetRow("real")
    listing = opts.real_data / "MANIFEST.csv"
    if not listing.is_file():
        row.notes.append(f"skipped: no {listing}")
        return row
    with listing.open(newline="", encoding="utf-8") as handle:
        speech = [r for r in csv.DictReader(handle) if r["category"] == "speech"]
    rows = [
        {
            "path": str(opts.real_data / r["path"]),
            "id": Path(r["path"]).stem,
            "transcript": r["transcript"],
        }
        for r in speech
    ]
    cli.run("init", str(cli.project), "--name", "real", project=False)
    manifest = write_manifest(work / "real.csv", rows, ("path", "id", "transcript"))
    cli.run("import", str(manifest), "--allow-root", str(opts.real_data))
    out = work / "eval-real"
    cli.run("eval", "--model", GENERIC, "--split", "all", "-o", str(out))
    report = json.loads((out / "eval.json").read_text(encoding="utf-8"))
    from .pipeline import metrics_from_dict

    row.scores["generic"] = ModelScore(GENERIC, metrics_from_dict(report["overall"]), None, None)
    row.test_clips = int(report["clips_evaluated"])
    row.notes.append("all clips unsplit, human references (the files' transcripts)")
    return row
