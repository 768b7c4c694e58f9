"""Fitting a model's confidence calibration on the dev split, and storing it with the model.

The dev clips' references label each word of the model's stored suggestions right or wrong
(:mod:`voxcart.model.calibrate.labels`); an isotonic map from raw confidence to the share of
right words is fitted (:mod:`voxcart.model.calibrate.isotonic`) and kept in the model
version's metadata row (:mod:`voxcart.model.calibrate.store`). Dev clips the model has not
transcribed yet are transcribed first (and stored, so a refit decodes nothing). With fewer
labelled words than ``min_words`` nothing is fitted: the model stays as it was, and the result
says so. The test split is never used, so ``voxcart eval --split test`` measures the
calibration on words it was not fitted on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select

from voxcart.datasets.store.clip_filter import ClipFilter
from voxcart.datasets.store.project import Project
from voxcart.datasets.store.schema import ModelVersion, Suggestion
from voxcart.datasets.text.normalize import normalize
from voxcart.model.calibrate.isotonic import fit_isotonic
from voxcart.model.calibrate.labels import labelled_words
from voxcart.model.calibrate.quality import DEFAULT_BINS, expected_calibration_error
from voxcart.model.calibrate.store import Calibration, calibration_of, with_calibration
from voxcart.model.errors import ModelError
from voxcart.model.eval.evaluate import split_references
from voxcart.model.suggest import DEFAULT_BATCH_SIZE, suggest
from voxcart.model.versions import find_model

CALIBRATION_REFERENCES: tuple[str, ...] = ("any", "human", "gold", "hidden")
"""``any``: a clip's gold reference where it has one, else its accepted or corrected human
transcript; ``human`` or ``gold``: only that kind (``hidden`` is an alias of ``gold``)."""
MIN_WORDS = 200
"""Fewest labelled dev words a calibration is fitted on by default."""
FIT_SPLIT = "dev"
_ID_CHUNK = 1000

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class CalibrationFit:
    """The outcome of :func:`fit_calibration`.

    Attributes:
        model: the model version's name.
        fitted: whether a new calibration was fitted and stored.
        message: what happened, in one line (also when nothing was fitted, and why).
        words: labelled dev words (hypothesis words scored against a reference).
        wrong: of those, wrong words.
        clips: dev clips with a reference and a suggestion.
        decoded: dev clips transcribed first because the model had no suggestion for them.
        calibration: the model's calibration now (the new one, or what it had before).
    """

    model: str
    fitted: bool
    message: str
    words: int
    wrong: int
    clips: int
    decoded: int
    calibration: Calibration


def dev_references(project: Project, reference: str = "any") -> dict[int, str]:
    """Clip id -> reference text of the dev clips that have one.

    Raises:
        ModelError: `reference` is not one of :data:`CALIBRATION_REFERENCES`.
    """
    if reference not in CALIBRATION_REFERENCES:
        raise ModelError(
            f"reference={reference!r} is unknown; use one of {', '.join(CALIBRATION_REFERENCES)}"
        )
    with project.session() as session:
        refs = (
            {} if reference in ("gold", "hidden") else split_references(session, FIT_SPLIT, "human")
        )
        if reference != "human":
            refs.update(split_references(session, FIT_SPLIT, "gold"))
    return refs


def _decode_missing(
    project: Project,
    model_id: int,
    model_name: str,
    clip_ids: list[int],
    batch_size: int,
    progress: Progress | None,
) -> int:
    with project.session() as session:
        have = set(
            session.scalars(
                select(Suggestion.clip_id).where(Suggestion.model_version_id == model_id)
            )
        )
    missing = [c for c in clip_ids if c not in have]
    decoded = 0
    for start in range(0, len(missing), _ID_CHUNK):
        chunk = tuple(missing[start : start + _ID_CHUNK])
        report = suggest(
            project,
            model_name,
            ClipFilter(clip_ids=chunk),
            batch_size=batch_size,
            progress=progress,
        )
        decoded += report.suggested
    return decoded


def fit_calibration(
    project: Project,
    model: str,
    *,
    reference: str = "any",
    min_words: int = MIN_WORDS,
    decode: bool = True,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Progress | None = None,
) -> CalibrationFit:
    """Fit `model`'s confidence calibration on the dev split and store it with the model.

    Args:
        project: the open project.
        model: a model version name, or a base name for its newest promoted version.
        reference: which dev references label the words (:data:`CALIBRATION_REFERENCES`).
        min_words: fewest labelled words to fit on; with fewer, nothing changes and the
            result says so.
        decode: transcribe the dev clips the model has no suggestion for first (False: use
            only the stored suggestions).
        batch_size: clips transcribed together.
        progress: called as ``progress(done, total)`` while clips are transcribed.

    Raises:
        ModelError: an unknown model or reference, ``min_words`` below 1, or a model that
            cannot be loaded where clips need transcribing.
    """
    if min_words < 1:
        raise ModelError(f"min_words={min_words} must be at least 1")
    refs = dev_references(project, reference)
    with project.session() as session:
        row = find_model(session, model)
        model_id, name = row.id, row.name
        before = calibration_of(row.metrics)
    kept = (
        f"{name} keeps its calibration of {before.fitted_at}"
        if before.calibrated
        else f"{name} stays uncalibrated (confidences are shown raw)"
    )

    def too_few(
        words: int, what: str, decoded: int = 0, wrong: int = 0, clips: int = 0
    ) -> CalibrationFit:
        message = (
            f"only {words} labelled {FIT_SPLIT} {what} in {len(refs)} clip(s) (references: "
            f"{reference}); a calibration needs at least {min_words}: label more {FIT_SPLIT} "
            f"clips; {kept}"
        )
        return CalibrationFit(name, False, message, words, wrong, clips, decoded, before)

    reference_words = sum(len(normalize(text).split()) for text in refs.values())
    if reference_words < min_words:
        return too_few(reference_words, "reference word(s)")
    decoded = (
        _decode_missing(project, model_id, name, sorted(refs), batch_size, progress)
        if decode
        else 0
    )
    with project.session() as session:
        labels = labelled_words(session, model_id, refs)
    if labels.words < min_words:
        return too_few(labels.words, "suggested word(s)", decoded, labels.wrong, labels.clips)
    confidences, correct = labels.arrays()
    mapping = fit_isotonic(confidences, correct.astype(float))
    calibration = Calibration(
        mapping=mapping,
        split=FIT_SPLIT,
        reference=reference,
        words=labels.words,
        wrong=labels.wrong,
        clips=labels.clips,
        fitted_at=datetime.now(UTC).isoformat(timespec="seconds"),
        ece_raw=expected_calibration_error(confidences, correct, DEFAULT_BINS),
        ece_fitted=expected_calibration_error(mapping(confidences), correct, DEFAULT_BINS),
    )
    with project.session() as session:
        stored = session.get(ModelVersion, model_id)
        if stored is None:
            raise ModelError(f"model {name!r} was removed while its calibration was fitted")
        stored.metrics = with_calibration(stored.metrics, calibration)
    message = (
        f"{name}: calibration fitted on {labels.words} {FIT_SPLIT} word(s) of {labels.clips} "
        f"clip(s) ({labels.wrong} wrong); {FIT_SPLIT} ECE {_pct(calibration.ece_raw)} raw -> "
        f"{_pct(calibration.ece_fitted)} calibrated (in-sample, {DEFAULT_BINS} bins; "
        f"`voxcart eval --split test` measures it on unseen clips)"
    )
    return CalibrationFit(
        name, True, message, labels.words, labels.wrong, labels.clips, decoded, calibration
    )


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"


def calibrate_after_round(project: Project, model: str, progress: Progress | None = None) -> str:
    """Fit `model`'s calibration at the end of an LM build or training round, if dev has
    enough labelled words; one line saying what happened (a failure to transcribe dev is
    reported in the line, never raised: the round itself succeeded).

    Args:
        project: the open project.
        model: the round's new model version.
        progress: called as ``progress(done, total)`` while dev clips are transcribed.
    """
    try:
        fit = fit_calibration(project, model, progress=progress)
    except ModelError as exc:
        return f"calibration not fitted: {exc}"
    return fit.message
