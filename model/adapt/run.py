"""`voxcart train --backend sphinx`: adapt the acoustic model to the project's labelled speech.

A run takes a base sphinx model version (its LM and dictionary; default the newest promoted
``sphinx-catalog`` version), the train split's labelled clips (optionally their augmented
copies) and MAP- or MLLR-adapts pocketsphinx's bundled en-us acoustic model on them. Every
run starts from the bundled acoustics with all the labels so far, so that a clip is never
counted twice by adapting an adapted model again. Work happens in
``<project>/runs/adapt/<job>/`` (the job is a digest of the corpus and the options), each step
skipping what an earlier, interrupted run finished; the clips' features are shared by every run
(``runs/adapt/features/``), so a later run featurises only clips it has not met. The result is
a new model version holding the LM it was trained with plus its own acoustic-model folder
(``hmm/``) or MLLR transform; its folder is written completely before it is registered, so a
killed run never leaves a half-registered model. The new version is then checked on dev
(:mod:`voxcart.model.adapt.promote`).
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from voxcart.datasets.store.project import Project
from voxcart.datasets.store.schema import ModelVersion
from voxcart.model.adapt import steps
from voxcart.model.adapt.corpus import Utterance, adaptation_corpus
from voxcart.model.adapt.promote import PROMOTE_POLICIES, Promotion, check_promotion
from voxcart.model.adapt.tools import find_tools
from voxcart.model.errors import ModelError
from voxcart.model.lm.g2p import pronounce
from voxcart.model.lm.pron_dict import bundled_dict, bundled_hmm_path, read_dict, write_dict
from voxcart.model.versions import (
    CATALOG_MODEL,
    MODELS_DIR,
    check_name,
    find_model,
    latest_version,
    register_model,
    to_spec,
)

METHODS: tuple[str, ...] = ("map", "mllr")
ADAPT_KEY = "acoustic"
HMM_DIR = "hmm"
RUNS_DIR = Path("runs") / "adapt"
FEATURES_DIR = RUNS_DIR / "features"
"""Every run's MFCC features, one file per clip uid, shared so that a clip is featurised once."""
_LM_FILES = ("lm.arpa", "words.dict", "corpus.txt")
_VERSION_RE = re.compile(r"^(?P<base>.+)-v\d+$")
_REPORTED = 50

Progress = Callable[[str], None]


@dataclass(frozen=True)
class AdaptConfig:
    """Options of an adaptation run.

    Attributes:
        method: ``map`` (means, variances, mixture weights and transitions) or ``mllr`` (one
            global linear transform of the means).
        with_augmented: also learn from the augmented copies of the labelled clips.
        tau: MAP's prior weight (higher: stay closer to the bundled model).
        promote: ``auto`` (only if dev WER improves), ``always`` or ``never``.
        reference: dev references for the promotion check: ``human`` or ``gold``
            (``hidden``: an alias).
        label_sources: non-human revision sources that count as labels (``oracle``).
    """

    method: str = "map"
    with_augmented: bool = False
    tau: float = 10.0
    promote: str = "auto"
    reference: str = "human"
    label_sources: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ModelError(f"method={self.method!r} is unknown; use one of {', '.join(METHODS)}")
        if self.promote not in PROMOTE_POLICIES:
            raise ModelError(
                f"promote={self.promote!r} is unknown; use one of {', '.join(PROMOTE_POLICIES)}"
            )
        if not self.tau > 0:
            raise ModelError(f"tau={self.tau!r} must be a positive number")


@dataclass(frozen=True)
class AdaptResult:
    """What a run produced.

    Attributes:
        model_name: the new (or reused) model version.
        model_id: its id.
        base: the version it started from (LM, dictionary, comparison on dev).
        created: False when an earlier run had already registered it.
        utterances: utterances in the corpus (clips plus augmented copies).
        used: utterances ``bw`` aligned and learned from.
        skipped: uid -> why an utterance was left out (unreadable, unknown word, not aligned).
        seconds: wall time per step (this call's; 0 for steps done earlier).
        promotion: the dev check and its decision.
    """

    model_name: str
    model_id: int
    base: str
    created: bool
    utterances: int
    used: int
    skipped: dict[str, str]
    seconds: dict[str, float] = field(default_factory=dict)
    promotion: Promotion | None = None


def _base_row(session: Any, base: str | None) -> ModelVersion:
    row = find_model(session, base or CATALOG_MODEL)
    if row.backend != "sphinx" or not row.path:
        raise ModelError(
            f"base model {row.name!r} (backend {row.backend!r}) has no catalog LM folder; "
            "adapt from a sphinx-catalog version (build one with `voxcart lm build`)"
        )
    return row


def _job_digest(lm: str, corpus: Sequence[Utterance], config: AdaptConfig) -> str:
    """Same LM, labels and options: same job (the acoustic prior is always the bundled one)."""
    text = json.dumps(
        [lm, config.method, config.tau, [(u.uid, u.text) for u in corpus]], sort_keys=True
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _next_name(session: Any, base_name: str) -> str:
    match = _VERSION_RE.match(base_name)
    series = match.group("base") if match else base_name
    newest = latest_version(session, series)
    number = int(newest.name.rsplit("-v", 1)[1]) + 1 if newest is not None else 1
    return f"{series}-v{number}"


def _existing(session: Any, job: str) -> ModelVersion | None:
    for row in session.scalars(select(ModelVersion).where(ModelVersion.backend == "sphinx")):
        if (row.config or {}).get(ADAPT_KEY, {}).get("job") == job:
            return row
    return None


def _timed(seconds: dict[str, float], name: str, started: float) -> None:
    seconds[name] = round(time.monotonic() - started, 3)


def _training_dict(dictionary: Path, corpus: Sequence[Utterance], work: Path) -> Path:
    """The base's dictionary plus the corpus words it lacks (CMU dictionary, else espeak-ng),
    so that a labelled clip is not dropped for a word the LM has not met yet."""
    entries = read_dict(dictionary)
    missing = sorted({w for u in corpus for w in u.text.split()} - set(entries))
    cmu = bundled_dict()
    entries.update({w: cmu[w] for w in missing if w in cmu})
    entries.update({w: [p] for w, p in pronounce([w for w in missing if w not in cmu]).items()})
    target = work / "train.dict"
    write_dict(target, entries)
    return target


def _vocabulary(dictionary: Path, hmm: Path) -> set[str]:
    words = set(read_dict(dictionary))
    words.update(line.split()[0] for line in (hmm / "noisedict").read_text().splitlines() if line)
    return words


def _assemble(target: Path, lm_folder: Path, adapted: Path, method: str) -> None:
    """Write the model folder (LM files plus acoustics) in a staging folder, then rename."""
    staging = target.parent / f".{target.name}.{uuid.uuid4().hex}.tmp"
    staging.mkdir(parents=True)
    try:
        for name in _LM_FILES:
            if (lm_folder / name).is_file():
                shutil.copy2(lm_folder / name, staging / name)
        if method == "map":
            shutil.copytree(adapted, staging / HMM_DIR)
        else:
            shutil.copy2(adapted / steps.MLLR_FILE, staging / steps.MLLR_FILE)
        if target.exists():
            shutil.rmtree(target)  # left by a run killed before it registered the model
        staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def adapt_sphinx(
    project: Project,
    base: str | None = None,
    out: str | None = None,
    config: AdaptConfig | None = None,
    *,
    progress: Progress | None = None,
) -> AdaptResult:
    """Adapt the bundled acoustic model on the labelled train clips; register and check it.

    Args:
        project: the open project.
        base: the sphinx version (or base name) whose LM and dictionary the new version uses
            and which it must beat on dev; default the newest promoted ``sphinx-catalog``.
        out: the new version's name (default: the next ``<series>-v<N>`` of the base's series).
        config: method, augmented copies, MAP tau and promotion policy.
        progress: called with the name of each step as it starts.

    Raises:
        SphinxToolsMissingError: the CMU Sphinx tools are not installed.
        ModelError: no such base, no labelled train clip, no utterance left to learn from,
            a name already taken by another model, or a failing tool (its log is named).
    """
    cfg = config or AdaptConfig()
    tools = find_tools()
    note = progress or (lambda _step: None)
    seconds: dict[str, float] = {}
    with project.session() as session:
        base_row = _base_row(session, base)
        base_id, base_name = base_row.id, base_row.name
        base_config = dict(base_row.config or {})
        lm_folder = to_spec(base_row, project.root).path
        corpus = adaptation_corpus(
            session,
            project.root,
            with_augmented=cfg.with_augmented,
            label_sources=cfg.label_sources,
        )
        if not corpus:
            raise ModelError(
                "no train clip has an accepted or corrected human transcript to adapt on; "
                "label some train clips first"
            )
        job = _job_digest(str(base_config.get("content_hash") or base_id), corpus, cfg)
        done = _existing(session, job)
        done_name = done.name if done is not None else None
    if lm_folder is None:
        raise ModelError(f"base model {base_name!r} has no folder")
    if done_name is not None:
        promotion = check_promotion(project, done_name, base_name, cfg.promote, cfg.reference)
        with project.session() as session:
            row = find_model(session, done_name)
            acoustic = dict((row.config or {}).get(ADAPT_KEY, {}))
            return AdaptResult(
                done_name,
                row.id,
                base_name,
                False,
                int(acoustic.get("utterances", 0)),
                int(acoustic.get("used", 0)),
                dict(acoustic.get("skipped_examples", {})),
                {},
                promotion,
            )
    work = project.root / RUNS_DIR / job
    work.mkdir(parents=True, exist_ok=True)
    job_file = work / "job.json"
    if job_file.is_file():
        name = str(json.loads(job_file.read_text(encoding="utf-8"))["name"])
    else:
        with project.session() as session:
            name = check_name(out) if out else _next_name(session, base_name)
            if session.scalar(select(ModelVersion.id).where(ModelVersion.name == name)):
                raise ModelError(f"model {name!r} is already registered; choose another --out")
        job_file.write_text(json.dumps({"name": name, "base": base_name}), encoding="utf-8")
    hmm = bundled_hmm_path()

    note("features")
    started = time.monotonic()
    feat = project.root / FEATURES_DIR
    skipped = steps.compute_features(tools, hmm, corpus, work, feat)
    _timed(seconds, "features", started)
    dictionary = _training_dict(
        lm_folder / str(base_config.get("dict", "words.dict")), corpus, work
    )
    prepared = steps.write_training_lists(corpus, _vocabulary(dictionary, hmm), work, feat)
    skipped.update(prepared.skipped)
    if not prepared.used:
        raise ModelError(
            f"none of the {len(corpus)} labelled utterance(s) can be used "
            f"(e.g. {next(iter(skipped.values()), 'unknown')}); see {work}"
        )
    mdef = steps.text_mdef(tools, hmm, work)
    mixw = steps.mixture_weights(hmm, work)
    bw_done = work / "bw.json"
    if bw_done.is_file():
        failed = tuple(json.loads(bw_done.read_text(encoding="utf-8"))["failed"])
    else:
        note("alignment (bw)")
        started = time.monotonic()
        failed = steps.baum_welch(tools, hmm, dictionary, work, mdef, mixw, feat)
        _timed(seconds, "bw", started)
        bw_done.write_text(json.dumps({"failed": list(failed)}), encoding="utf-8")
    skipped.update({uid: "bw could not align it" for uid in failed})
    used = len(prepared.used) - len(failed)
    if used <= 0:
        raise ModelError(f"bw aligned none of the {len(prepared.used)} utterance(s); see {work}")

    adapted = work / cfg.method
    if not (adapted / "done").is_file():
        note(cfg.method)
        started = time.monotonic()
        shutil.rmtree(adapted, ignore_errors=True)
        if cfg.method == "map":
            steps.map_adapt(tools, hmm, work, mdef, mixw, adapted, cfg.tau)
        else:
            steps.mllr_solve(tools, hmm, work, mdef, adapted)
        (adapted / "done").write_text("ok", encoding="utf-8")
        _timed(seconds, cfg.method, started)

    relative = Path(MODELS_DIR) / name
    target = project.root / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    _assemble(target, lm_folder, adapted, cfg.method)
    clips = sum(1 for u in corpus if not u.augmented)
    model_config = {
        **{k: v for k, v in base_config.items() if k not in (ADAPT_KEY, "hmm", "mllr")},
        "hmm" if cfg.method == "map" else "mllr": (
            HMM_DIR if cfg.method == "map" else steps.MLLR_FILE
        ),
        ADAPT_KEY: {
            "job": job,
            "method": cfg.method,
            "tau": cfg.tau if cfg.method == "map" else None,
            "prior": "bundled en-us",
            "base": base_name,
            "with_augmented": cfg.with_augmented,
            "label_sources": list(cfg.label_sources),
            "utterances": len(corpus),
            "clips": clips,
            "augmented_copies": len(corpus) - clips,
            "audio_seconds": round(sum(u.duration_s for u in corpus), 3),
            "used": used,
            "skipped": len(skipped),
            "alignment_failed": len(failed),
            "skipped_examples": dict(list(skipped.items())[:_REPORTED]),
            "seconds": seconds,
            "work_dir": (RUNS_DIR / job).as_posix(),
        },
    }
    with project.session() as session:
        try:
            row = register_model(
                session, name, "sphinx", relative.as_posix(), model_config, parent_id=base_id
            )
            row.metrics = {"promotion": {"promoted": False, "status": "pending"}}
            session.flush()
        except BaseException:
            shutil.rmtree(target, ignore_errors=True)
            raise
        model_id = row.id
    note("dev check")
    started = time.monotonic()
    promotion = check_promotion(project, name, base_name, cfg.promote, cfg.reference)
    _timed(seconds, "dev_check", started)
    return AdaptResult(
        name, model_id, base_name, True, len(corpus), used, skipped, seconds, promotion
    )
