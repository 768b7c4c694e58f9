"""Run voxcart as a user would (the ``voxcart`` CLI in subprocesses) and score its suggestions.

The steps a user takes are CLI calls; what a user would read off the screen or out of a report
is parsed from their output. Only two things use the library directly, both read-only: the
split each clip landed in (to write the label manifest a user would prepare for the train split)
and scoring the test split against references the project must not hold as labels yet.

GOLD SWITCH: until ``voxcart import --as-reference`` and ``voxcart eval --reference gold``
exist on main, test transcripts stay in the bench and are scored here with the library's one
WER definition and its entity and search metrics (:func:`score_suggestions`). With
``gold=True`` (bench option ``--gold``) the bench imports them with ``--as-reference`` and
reads ``voxcart eval --reference gold``'s ``eval.json`` instead (:func:`attach_test_references`
and :func:`score_test`); nothing else changes.
"""

from __future__ import annotations

import csv
import json
import re
import resource
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from voxcart.datasets.catalog.store import load_vocabulary
from voxcart.datasets.store.project import open_project
from voxcart.datasets.store.schema import Clip, ModelVersion, Suggestion
from voxcart.datasets.text.normalize import normalize
from voxcart.model.eval.metrics import ClipScore, Metrics, aggregate, score_clip
from voxcart.model.eval.product_search import ProductSearch

SPLIT_SEED_TRIES = 40


class StepFailedError(RuntimeError):
    """A voxcart command exited non-zero; the message holds the command and its stderr."""


@dataclass(frozen=True)
class StepResult:
    """One CLI call: its output, wall seconds and CPU seconds of the child processes."""

    args: tuple[str, ...]
    stdout: str
    stderr: str
    wall_s: float
    cpu_s: float


@dataclass(frozen=True)
class Reference:
    """A test clip's reference transcript and the product the query meant ("" for none)."""

    uid: str
    path: Path
    text: str
    target_sku: str = ""
    speaker: str = ""
    condition: str = ""


@dataclass(frozen=True)
class ModelScore:
    """A model's test metrics and speed.

    Attributes:
        model: the model version name.
        metrics: corpus-level metrics over the scored test clips.
        target_top1: share of clips with a target product whose hypothesis finds it first.
        rtf: CPU seconds of decoding per audio second: ``voxcart suggest``'s real-time factor
            (one decode thread) times the CPU share the process got; None when nothing was
            decoded in this run.
        ece: expected calibration error if ``voxcart eval`` reports one, else None.
        slices: WER by ``speaker:<id>`` and ``condition:<clean|noisy>``.
    """

    model: str
    metrics: Metrics
    target_top1: float | None
    rtf: float | None
    ece: float | None = None
    slices: dict[str, float | None] = field(default_factory=dict)


class Cli:
    """Runs ``voxcart`` subcommands against one project and keeps a log of every step."""

    def __init__(self, voxcart: Path, project: Path, log: list[StepResult] | None = None) -> None:
        self.voxcart = voxcart
        self.project = project
        self.log: list[StepResult] = [] if log is None else log

    def run(self, *args: str, project: bool = True) -> StepResult:
        """Run ``voxcart ARGS [-p PROJECT]``; raise :class:`StepFailedError` on a non-zero exit."""
        argv = [str(self.voxcart), *args, *(("-p", str(self.project)) if project else ())]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        began = time.perf_counter()
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - began
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        step = StepResult(tuple(args), done.stdout, done.stderr, wall, cpu)
        self.log.append(step)
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
            raise StepFailedError(
                f"voxcart {' '.join(args)} exited {done.returncode}: {' | '.join(tail)}"
            )
        return step


def write_manifest(path: Path, rows: list[dict[str, str]], columns: tuple[str, ...]) -> Path:
    """A CSV manifest with absolute audio paths."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([row.get(c, "") for c in columns])
    return path


def clip_splits(project_dir: Path) -> dict[str, tuple[str, str]]:
    """uid -> (split, speaker) of every clip (read-only)."""
    project = open_project(project_dir)
    try:
        with project.session() as session:
            rows = session.execute(select(Clip.uid, Clip.split, Clip.speaker)).all()
    finally:
        project.close()
    return {uid: (split.value if split else "none", speaker or "") for uid, split, speaker in rows}


def split_until_nonempty(cli: Cli, seed: int) -> tuple[int, dict[str, tuple[str, str]]]:
    """``voxcart split`` with the default ratios; with few speakers a split can come out empty,
    and, as its warning advises, the next seed is tried (up to :data:`SPLIT_SEED_TRIES`)."""
    for offset in range(SPLIT_SEED_TRIES):
        cli.run("split", "--seed", str(seed + offset))
        splits = clip_splits(cli.project)
        present = {s for s, _ in splits.values()}
        if {"train", "dev", "test"} <= present:
            return seed + offset, splits
    raise StepFailedError(
        f"no split seed in {seed}..{seed + SPLIT_SEED_TRIES - 1} fills train/dev/test"
    )


def parse_model(stdout: str, pattern: str) -> str:
    """The model version name a command printed (first group of `pattern`)."""
    found = re.search(pattern, stdout, re.MULTILINE)
    if found is None:
        raise StepFailedError(f"cannot find a model name ({pattern}) in: {stdout.strip()[:300]}")
    return found.group(1)


def parse_coverage(stdout: str) -> float | None:
    """The dev-word coverage ``voxcart lm build`` reports, if it does ("coverage ... 98.7%")."""
    found = re.search(r"coverage\D{0,40}?([0-9]+(?:\.[0-9]+)?)\s*%", stdout, re.IGNORECASE)
    return float(found.group(1)) / 100 if found else None


def lm_vocabulary(model_dir: Path) -> set[str]:
    """The words of an ARPA LM's unigram section (``<s>``, ``</s>``, ``<unk>`` left out)."""
    words: set[str] = set()
    in_unigrams = False
    with (model_dir / "lm.arpa").open(encoding="utf-8") as handle:
        for line in handle:
            line = line.strip()
            if line.startswith("\\"):
                in_unigrams = line == "\\1-grams:"
                continue
            if in_unigrams and line:
                parts = line.split()
                if len(parts) >= 2 and not parts[1].startswith("<"):
                    words.add(parts[1])
    return words


def coverage(texts: list[str], vocabulary: set[str]) -> float | None:
    """Share of the words (tokens) of `texts`, normalized, that are in `vocabulary`."""
    tokens = [w for t in texts for w in normalize(t).split()]
    return sum(w in vocabulary for w in tokens) / len(tokens) if tokens else None


def oov_words(texts: list[str], vocabulary: set[str]) -> list[str]:
    """The distinct words of `texts` missing from `vocabulary`, most frequent first."""
    counts: dict[str, int] = {}
    for t in texts:
        for w in normalize(t).split():
            if w not in vocabulary:
                counts[w] = counts.get(w, 0) + 1
    return sorted(counts, key=lambda w: (-counts[w], w))


def suggest_test(cli: Cli, model: str) -> float | None:
    """``voxcart suggest`` on the test split; the real-time factor it prints."""
    step = cli.run("suggest", "--model", model, "--where", "split=test")
    found = re.search(r"real-time factor ([0-9.]+)", step.stdout)
    if found is None or step.wall_s <= 0:
        return None
    # suggest's factor is decode wall time per audio second; on a shared machine the process
    # gets only part of a core, so scale by its CPU share (CPU seconds per wall second).
    return float(found.group(1)) * min(1.0, step.cpu_s / step.wall_s)


def attach_test_references(cli: Cli, refs: list[Reference], work: Path, gold: bool) -> None:
    """GOLD SWITCH: with `gold`, import the test references with ``--as-reference``."""
    if not gold:
        return  # they stay in the bench until `import --as-reference` is on main
    rows = [{"path": str(r.path), "id": r.uid, "transcript": r.text} for r in refs]
    manifest = write_manifest(work / "test-references.csv", rows, ("path", "id", "transcript"))
    cli.run("import", str(manifest), "--as-reference", "--allow-outside")


def score_test(cli: Cli, model: str, refs: list[Reference], work: Path, gold: bool) -> ModelScore:
    """Decode the test split with `model` and score it (GOLD SWITCH: how is chosen here)."""
    rtf = suggest_test(cli, model)
    if gold:
        out = work / f"eval-{model}"
        shutil.rmtree(out, ignore_errors=True)
        cli.run("eval", "--model", model, "--split", "test", "--reference", "gold", "-o", str(out))
        report = json.loads((out / "eval.json").read_text(encoding="utf-8"))
        return ModelScore(model, metrics_from_dict(report["overall"]), None, rtf, find_ece(report))
    metrics, target, slices = score_suggestions(cli.project, model, refs)
    return ModelScore(model, metrics, target, rtf, slices=slices)


def score_suggestions(
    project_dir: Path, model: str, refs: list[Reference]
) -> tuple[Metrics, float | None, dict[str, float | None]]:
    """Score `model`'s stored suggestions for the referenced clips (read-only).

    Returns:
        The library's metrics (WER, entity error, search success against the reference's top
        product), the share of clips with a target whose hypothesis finds the target first, and
        WER by speaker and by condition.
    """
    by_uid = {r.uid: r for r in refs}
    project = open_project(project_dir)
    try:
        with project.session() as session:
            rows = session.execute(
                select(Clip.uid, Suggestion.text)
                .join(Suggestion, Suggestion.clip_id == Clip.id)
                .join(ModelVersion, ModelVersion.id == Suggestion.model_version_id)
                .where(ModelVersion.name == model, Clip.uid.in_(list(by_uid)))
            ).all()
            vocabulary = load_vocabulary(session)
            search = ProductSearch.from_session(session)
    finally:
        project.close()
    hyps = dict(rows)
    missing = sorted(set(by_uid) - set(hyps))
    if missing:
        raise StepFailedError(
            f"{model} has no suggestion for {len(missing)} test clip(s): {missing[:5]}"
        )
    vocab = vocabulary if vocabulary is not None and len(vocabulary) else None
    scores = [score_clip(r.text, hyps[r.uid], vocabulary=vocab, search=search) for r in refs]
    targeted = [r for r in refs if r.target_sku]
    hits = [
        bool((found := search.search(hyps[r.uid], 1)) and found[0] == r.target_sku)
        for r in targeted
    ]
    groups: dict[str, list[ClipScore]] = {}
    for ref, score in zip(refs, scores, strict=True):
        for key in (f"speaker:{ref.speaker}", f"condition:{ref.condition}"):
            if not key.endswith(":"):
                groups.setdefault(key, []).append(score)
    slices = {key: aggregate(items).wer for key, items in sorted(groups.items())}
    return aggregate(scores), (sum(hits) / len(hits) if hits else None), slices


def metrics_from_dict(data: dict[str, Any]) -> Metrics:
    """Rebuild :class:`Metrics` from ``eval.json``'s ``overall`` block."""
    from voxcart.model.eval.metrics import EntityTally

    entities = tuple(
        EntityTally(kind, int(v["reference"]), int(v["missed"]))
        for kind, v in (data.get("entities") or {}).items()
    )
    searchable = int(data.get("searchable") or 0)
    return Metrics(
        clips=int(data["clips"]),
        ref_words=int(data["ref_words"]),
        substitutions=int(data["substitutions"]),
        deletions=int(data["deletions"]),
        insertions=int(data["insertions"]),
        ref_chars=0,
        char_errors=0,
        entities=entities,
        searchable=searchable,
        top1_hits=round((data.get("search_top1") or 0.0) * searchable),
        top5_hits=round((data.get("search_top5") or 0.0) * searchable),
    )


def find_ece(data: object) -> float | None:
    """Expected calibration error from an eval report's ``confidence`` block: the calibrated
    value where the model has a calibration, else the raw one (None: not reported)."""
    block = data.get("confidence") if isinstance(data, dict) else None
    if not isinstance(block, dict):
        return None
    for key in ("ece_calibrated", "ece_raw"):
        value = block.get(key)
        if isinstance(value, int | float):
            return float(value)
    return None
