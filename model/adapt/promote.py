"""Guarded promotion: a trained version becomes its base name's default only if it is better.

The new version and the one it started from are evaluated on the same dev clips; with the
``auto`` policy the new one is promoted only when its dev WER is lower, and also lower than the
version its base name loads now when that is another one (a round started from an older
version must not replace a better live one). The decision, the WERs and the reason are stored
in the version's metrics (``promotion``), where :func:`voxcart.model.versions.find_model`
reads it: a base name resolves to the newest
*promoted* version, so a model that makes the project's own dev set worse never becomes the
default silently.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from voxcart.datasets.store.project import Project
from voxcart.model.errors import ModelError
from voxcart.model.eval.evaluate import evaluate
from voxcart.model.versions import PROMOTION_KEY, find_model, latest_version

PROMOTE_POLICIES: tuple[str, ...] = ("auto", "always", "never")


@dataclass(frozen=True)
class Promotion:
    """The dev check of a trained version.

    Attributes:
        promoted: whether the version is now its base name's default.
        policy: ``auto``, ``always`` or ``never``.
        base: the version it was compared with.
        dev_wer_before: the base's dev WER (None: not evaluated).
        dev_wer_after: the new version's dev WER on the same clips.
        dev_clips: clips compared.
        reason: why it was (not) promoted, in words.
        live: the version the base name loaded when the check ran, where that was neither
            `base` nor the new version (None otherwise).
        dev_wer_live: the live version's dev WER on the same clips (None: not compared).
    """

    promoted: bool
    policy: str
    base: str
    dev_wer_before: float | None
    dev_wer_after: float | None
    dev_clips: int
    reason: str
    live: str | None = None
    dev_wer_live: float | None = None


def check_promotion(
    project: Project, model: str, base: str, policy: str = "auto", reference: str = "human"
) -> Promotion:
    """Evaluate `model` against `base` on dev, decide, and store the decision.

    A decision already stored under the same policy is returned as is.

    Raises:
        ModelError: an unknown policy or model.
    """
    if policy not in PROMOTE_POLICIES:
        raise ModelError(f"promote={policy!r} is unknown; use one of {', '.join(PROMOTE_POLICIES)}")
    with project.session() as session:
        stored = dict((find_model(session, model).metrics or {}).get(PROMOTION_KEY) or {})
    if stored.get("policy") == policy and "reason" in stored:
        return Promotion(**{k: stored[k] for k in Promotion.__dataclass_fields__ if k in stored})
    before = after = live_wer = None
    clips = 0
    live = _live_other_than(project, model, base) if policy == "auto" else None
    if policy == "never":
        reason = "--promote never"
    else:
        try:
            report = evaluate(project, model, "dev", reference=reference, compare_to=base)
        except ModelError as exc:
            report = None
            reason = f"dev not evaluated: {exc}"
        if report is not None and report.baseline is not None:
            before, after = report.baseline.wer, report.overall.wer
            clips = report.overall.clips
            reason = f"dev WER {_pct(before)} -> {_pct(after)} on {clips} clip(s)"
        if live is not None and after is not None:
            against = evaluate(project, model, "dev", reference=reference, compare_to=live)
            live_wer = against.baseline.wer if against.baseline is not None else None
            reason += f"; live {live}: {_pct(live_wer)}"
    if policy == "always":
        promoted, reason = True, f"--promote always; {reason}"
    elif policy == "never":
        promoted = False
    else:
        promoted = before is not None and after is not None and after < before
        beaten_live = live_wer is not None and after is not None and after < live_wer
        if promoted and live is not None and not beaten_live:
            promoted = False
            reason += f"; not promoted (no better than the live {live})"
        else:
            reason += "; promoted" if promoted else "; not promoted (dev WER did not improve)"
    decision = Promotion(promoted, policy, base, before, after, clips, reason, live, live_wer)
    with project.session() as session:
        row = find_model(session, model)
        row.metrics = {
            **dict(row.metrics or {}),
            PROMOTION_KEY: {**asdict(decision), "status": "promoted" if promoted else "refused"},
        }
    return decision


def _live_other_than(project: Project, model: str, base: str) -> str | None:
    """The version `model`'s base name loads now, if it is neither `model` nor `base`."""
    if "-v" not in model:
        return None
    with project.session() as session:
        live = latest_version(session, model.rsplit("-v", 1)[0], promoted_only=True)
    return None if live is None or live.name in (model, base) else live.name


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"
