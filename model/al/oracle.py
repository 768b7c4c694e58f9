"""The simulated annotator: label a round's queued clips with their gold reference text.

Demo projects (and projects given gold references with ``voxcart import --as-reference``)
store what each clip really says (``clip_references``). An
active-learning simulation uses it as a perfect annotator: every open annotation task of a
round gets a revision with the reference text, written as source ``oracle`` with
``is_human=False`` and the flag ``simulated``, so that it is never mistaken for, or exported
as, a person's label. The LM only learns from these revisions when a build names ``oracle`` in
:attr:`voxcart.model.lm.corpus.CorpusConfig.label_sources`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from voxcart.datasets.store.project import Project
from voxcart.datasets.store.queue import complete, task_is_open
from voxcart.datasets.store.revisions import add_revision
from voxcart.datasets.store.schema import Clip, ClipReference, RevisionStatus, Suggestion, Task
from voxcart.datasets.text.normalize import normalize
from voxcart.model.errors import ModelError

ORACLE_SOURCE = "oracle"
"""The revision source of simulated labels."""
ORACLE_FLAG = "simulated"


@dataclass(frozen=True)
class OracleResult:
    """What :func:`annotate_round` labelled.

    Attributes:
        labelled: clips that got a reference transcript (their tasks are done).
        seconds: their audio time.
        accepted: of those, clips whose suggestion already matched the reference.
        missing: clips left queued because they have no gold reference.
    """

    labelled: tuple[int, ...]
    seconds: float
    accepted: int
    missing: tuple[int, ...]


def annotate_round(
    project: Project, round_id: int, model_version_id: int | None = None
) -> OracleResult:
    """Label every open annotation task of a round from the clips' gold references.

    Args:
        project: the open project.
        round_id: the ``al_rounds`` id whose tasks are labelled.
        model_version_id: whose suggestion the label is compared with (a match is stored as
            ``accepted``, anything else as ``corrected``); None: always ``corrected``.

    Returns:
        The clips labelled and those left queued.

    Raises:
        ModelError: the round has open tasks but the project holds no gold reference at
            all (not a demo or simulated project: the oracle has nothing to say).
    """
    with project.session() as session:
        rows = session.execute(
            select(Task.id, Task.clip_id, Clip.duration_s, ClipReference.text)
            .join(Clip, Clip.id == Task.clip_id)
            .outerjoin(ClipReference, ClipReference.clip_id == Task.clip_id)
            .where(
                Task.round_id == round_id,
                Task.kind == "annotate",
                task_is_open(),
            )
            .order_by(Task.id)
        ).all()
        if rows and all(text is None for *_, text in rows):
            raise ModelError(
                "no clip of this round has a gold reference: the simulated annotator only "
                "works where clips have one (a demo project, or gold references imported with "
                "`voxcart import MANIFEST --as-reference`); label the clips in the app instead"
            )
        suggestions: dict[int, tuple[int, str]] = {}
        if model_version_id is not None:
            found = session.execute(
                select(Suggestion.clip_id, Suggestion.id, Suggestion.text).where(
                    Suggestion.model_version_id == model_version_id,
                    Suggestion.clip_id.in_([clip_id for _, clip_id, _, _ in rows]),
                )
            )
            suggestions = {clip_id: (sid, text) for clip_id, sid, text in found}
        labelled: list[int] = []
        missing: list[int] = []
        seconds = 0.0
        accepted = 0
        for task_id, clip_id, duration, text in rows:
            if text is None:
                missing.append(clip_id)
                continue
            suggested = suggestions.get(clip_id)
            same = suggested is not None and normalize(suggested[1]) == normalize(text)
            add_revision(
                session,
                clip_id,
                text,
                RevisionStatus.ACCEPTED if same else RevisionStatus.CORRECTED,
                source=ORACLE_SOURCE,
                flags=[ORACLE_FLAG],
                suggestion_id=suggested[0] if suggested is not None else None,
                is_human=False,
            )
            complete(session, task_id, clip_id)
            labelled.append(clip_id)
            seconds += float(duration)
            accepted += int(same)
        return OracleResult(tuple(labelled), seconds, accepted, tuple(missing))
