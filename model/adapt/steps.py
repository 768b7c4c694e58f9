"""The steps of a sphinx acoustic adaptation, each a CMU Sphinx tool run in a work folder.

Features (``sphinx_fe``, silence kept), one Baum-Welch pass over every utterance (``bw``,
accumulators in one folder), then ``map_adapt`` (new means, variances, mixture weights and
transition matrices, mixture weights dumped back to a ``sendump`` with ``mk_s2sendump``) or
``mllr_solve`` (one global MLLR transform). Each step leaves its outputs in place, so that a
rerun skips what is done.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from voxcart.datasets.audio import TARGET_SR, AudioError, load_audio, write_wav
from voxcart.model.adapt.corpus import Utterance
from voxcart.model.adapt.mixw import read_sendump, write_mixw
from voxcart.model.adapt.tools import SphinxTools
from voxcart.model.errors import ModelError

ACOUSTIC_FILES = ("means", "variances", "transition_matrices", "sendump")
COPIED_FILES = ("mdef", "feat.params", "noisedict")
MLLR_FILE = "mllr_matrix"
_FE_BATCH = 200
# bw reports each utterance it could not align, after an alignment error, as "<uid> ignored".
_BW_IGNORED = re.compile(r"^ERROR: .*?:\s*(\S+) ignored\s*$", re.M)


class AdaptError(ModelError):
    """A Sphinx tool failed during acoustic adaptation."""


@dataclass(frozen=True)
class Prepared:
    """Utterances ready for ``bw``.

    Attributes:
        used: uids with features and an in-vocabulary transcript, in order.
        skipped: uid -> why it was left out before alignment.
    """

    used: tuple[str, ...]
    skipped: dict[str, str]


def run_tool(args: Sequence[str | Path], log: Path) -> str:
    """Run a tool, appending its output to `log`; return the output.

    Raises:
        AdaptError: the tool exits non-zero (the message names the log).
    """
    command = [str(a) for a in args]
    done = subprocess.run(command, capture_output=True, text=True, errors="replace", check=False)
    output = done.stdout + done.stderr
    with log.open("a", encoding="utf-8") as handle:
        handle.write(f"$ {' '.join(command)}\n{output}\n")
    if done.returncode != 0:
        tail = " | ".join(line.strip() for line in output.strip().splitlines()[-3:])
        raise AdaptError(
            f"{Path(command[0]).name} failed (exit {done.returncode}): {tail}; full log: {log}"
        )
    return output


def _feature_args(hmm: Path) -> list[str]:
    """sphinx_fe options from the model's feat.params (front-end options only)."""
    keep = {"-lowerf", "-upperf", "-nfilt", "-transform", "-lifter", "-remove_noise"}
    tokens = (hmm / "feat.params").read_text(encoding="utf-8").split()
    args: list[str] = []
    for key, value in zip(tokens[::2], tokens[1::2], strict=False):
        if key in keep:
            args += [key, value]
    return args


def _decoder_args(hmm: Path) -> list[str]:
    """bw's feature-stream options (-feat, -svspec, -cmn, -agc, -varnorm) from feat.params."""
    keep = {"-feat", "-svspec", "-cmn", "-agc", "-varnorm"}
    tokens = (hmm / "feat.params").read_text(encoding="utf-8").split()
    return [t for k, v in zip(tokens[::2], tokens[1::2], strict=False) if k in keep for t in (k, v)]


def compute_features(
    tools: SphinxTools, hmm: Path, utterances: Sequence[Utterance], work: Path, feat: Path
) -> dict[str, str]:
    """Write ``<feat>/<uid>.mfc`` for each utterance that has none yet.

    `feat` may be shared by many runs (a clip's audio and the front end never change, so its
    features are computed once per project): files are written in the run's own ``work``
    folder and renamed into place, so that a killed run never leaves a truncated one there.

    Returns:
        uid -> reason for the utterances whose audio could not be read.
    """
    wav, fresh = work / "wav", work / "feat.tmp"
    feat.mkdir(parents=True, exist_ok=True)
    failed: dict[str, str] = {}
    todo = [u for u in utterances if not (feat / f"{u.uid}.mfc").is_file()]
    for start in range(0, len(todo), _FE_BATCH):
        batch = todo[start : start + _FE_BATCH]
        shutil.rmtree(wav, ignore_errors=True)
        shutil.rmtree(fresh, ignore_errors=True)
        wav.mkdir()
        fresh.mkdir()
        names = []
        for utt in batch:
            try:
                audio = load_audio(utt.path, utt.offset_s, utt.duration_s)
            except AudioError as exc:  # one unreadable clip must not stop the batch
                failed[utt.uid] = f"unreadable audio: {exc}"
                continue
            write_wav(wav / f"{utt.uid}.wav", np.asarray(audio, dtype=np.float32), TARGET_SR)
            names.append(utt.uid)
        if not names:
            continue
        ctl = work / "fe.fileids"
        ctl.write_text("\n".join(names) + "\n", encoding="utf-8")
        run_tool(
            [
                tools.sphinx_fe,
                *_feature_args(hmm),
                "-samprate",
                str(TARGET_SR),
                "-remove_silence",
                "no",
                "-mswav",
                "yes",
                "-c",
                ctl,
                "-di",
                wav,
                "-ei",
                "wav",
                "-do",
                fresh,
                "-eo",
                "mfc",
            ],
            work / "sphinx_fe.log",
        )
        for name in names:
            os.replace(fresh / f"{name}.mfc", feat / f"{name}.mfc")
    shutil.rmtree(wav, ignore_errors=True)
    shutil.rmtree(fresh, ignore_errors=True)
    return failed


def write_training_lists(
    utterances: Sequence[Utterance], vocabulary: set[str], work: Path, feat: Path
) -> Prepared:
    """The control and transcription files of the utterances that have features and whose
    every word the dictionary knows."""
    used: list[str] = []
    skipped: dict[str, str] = {}
    lines: list[str] = []
    for utt in utterances:
        if not (feat / f"{utt.uid}.mfc").is_file():
            skipped.setdefault(utt.uid, "no features")
            continue
        unknown = [w for w in utt.text.split() if w not in vocabulary]
        if unknown:
            skipped[utt.uid] = f"words missing from the dictionary: {' '.join(unknown[:5])}"
            continue
        used.append(utt.uid)
        lines.append(f"<s> {utt.text} </s> ({utt.uid})")
    (work / "train.fileids").write_text("\n".join(used) + "\n", encoding="utf-8")
    (work / "train.transcription").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return Prepared(tuple(used), skipped)


def text_mdef(tools: SphinxTools, hmm: Path, work: Path) -> Path:
    """The model definition as text (``bw`` and ``map_adapt`` read only that)."""
    target = work / "mdef.txt"
    if not target.is_file():
        run_tool([tools.mdef_convert, "-text", hmm / "mdef", target], work / "mdef.log")
    return target


def mixture_weights(hmm: Path, work: Path) -> Path:
    """The prior model's ``mixture_weights``: its own file, or rebuilt from its sendump."""
    own = hmm / "mixture_weights"
    if own.is_file():
        return own
    target = work / "prior_mixture_weights"
    if not target.is_file():
        write_mixw(target, read_sendump(hmm / "sendump"))
    return target


def baum_welch(
    tools: SphinxTools,
    hmm: Path,
    dictionary: Path,
    work: Path,
    mdef: Path,
    mixw: Path,
    feat: Path,
) -> tuple[str, ...]:
    """One ``bw`` pass over train.fileids into ``accum/``.

    Returns:
        The uids that ``bw`` could not align (left out of the statistics).
    """
    accum = work / "accum"
    shutil.rmtree(accum, ignore_errors=True)
    accum.mkdir()
    log = work / "bw.log"
    log.unlink(missing_ok=True)
    output = run_tool(
        [
            tools.bw,
            "-hmmdir",
            hmm,
            "-moddeffn",
            mdef,
            "-mixwfn",
            mixw,
            "-ts2cbfn",
            ".ptm.",
            *_decoder_args(hmm),
            "-dictfn",
            dictionary,
            "-fdictfn",
            hmm / "noisedict",
            "-ctlfn",
            work / "train.fileids",
            "-lsnfn",
            work / "train.transcription",
            "-cepdir",
            feat,
            "-accumdir",
            accum,
        ],
        log,
    )
    return failed_alignments(output, (work / "train.fileids").read_text().split())


def failed_alignments(bw_output: str, uids: Sequence[str]) -> tuple[str, ...]:
    """The utterances ``bw`` could not align, from its log (``ERROR: ... <uid> ignored``,
    after "final state of the search is not reached")."""
    known = set(uids)
    failed = [m.group(1) for m in _BW_IGNORED.finditer(bw_output) if m.group(1) in known]
    return tuple(dict.fromkeys(failed))


def map_adapt(
    tools: SphinxTools, hmm: Path, work: Path, mdef: Path, mixw: Path, out: Path, tau: float
) -> None:
    """MAP-adapt the prior model with the accumulators into `out` (a complete model folder)."""
    out.mkdir(parents=True, exist_ok=True)
    log = work / "map_adapt.log"
    run_tool(
        [
            tools.map_adapt,
            "-moddeffn",
            mdef,
            "-ts2cbfn",
            ".ptm.",
            "-meanfn",
            hmm / "means",
            "-varfn",
            hmm / "variances",
            "-mixwfn",
            mixw,
            "-tmatfn",
            hmm / "transition_matrices",
            "-accumdir",
            work / "accum",
            "-tau",
            str(tau),
            "-mapmeanfn",
            out / "means",
            "-mapvarfn",
            out / "variances",
            "-mapmixwfn",
            out / "mixture_weights",
            "-maptmatfn",
            out / "transition_matrices",
        ],
        log,
    )
    run_tool(
        [
            tools.mk_s2sendump,
            "-pocketsphinx",
            "yes",
            "-moddeffn",
            mdef,
            "-mixwfn",
            out / "mixture_weights",
            "-sendumpfn",
            out / "sendump",
        ],
        log,
    )
    (out / "mixture_weights").unlink()  # pocketsphinx reads the sendump; keep the folder small
    for name in COPIED_FILES:
        shutil.copy2(hmm / name, out / name)


def mllr_solve(tools: SphinxTools, hmm: Path, work: Path, mdef: Path, out: Path) -> None:
    """Estimate one global MLLR transform into ``out/mllr_matrix``."""
    out.mkdir(parents=True, exist_ok=True)
    run_tool(
        [
            tools.mllr_solve,
            "-moddeffn",
            mdef,
            "-meanfn",
            hmm / "means",
            "-varfn",
            hmm / "variances",
            "-accumdir",
            work / "accum",
            "-outmllrfn",
            out / MLLR_FILE,
        ],
        work / "mllr_solve.log",
    )
