"""Writing an evaluation: a JSON record, a Markdown report and a WER-by-slice bar chart (PNG).

Every file is written atomically. Transcript text in the Markdown report is escaped (it is
data, never markup), and the report always says which references were used.
"""

from __future__ import annotations

import html
import io
import json
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from typing import IO, Any, cast

from voxcart.datasets.atomic import atomic_open
from voxcart.model.calibrate.quality import ConfidenceQuality
from voxcart.model.eval.evaluate import ClipResult, EvalReport, SliceMetrics
from voxcart.model.eval.metrics import ENTITY_KINDS, Metrics

JSON_NAME = "eval.json"
MARKDOWN_NAME = "eval.md"
PLOT_NAME = "wer_by_slice.png"
MAX_PLOT_VALUES = 25
"""Values per slice dimension in the chart (the ones with the most clips)."""
WORST_CLIPS = 20


@dataclass(frozen=True)
class ReportPaths:
    """Where a report was written."""

    folder: Path
    json: Path
    markdown: Path
    plot: Path


def default_folder(report: EvalReport) -> Path:
    """``<project>/reports/eval-<model>-<split>-<reference>-<UTC time>``."""
    stamp = report.created_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    name = f"eval-{report.model}-{report.split}-{report.reference}-{stamp}"
    return report.project_root / "reports" / name


def _clip_dict(result: ClipResult) -> dict[str, Any]:
    record: dict[str, Any] = {
        "clip_id": result.clip_id,
        "uid": result.uid,
        "slices": dict(result.slices),
        "reference": result.score.reference,
        "hypothesis": result.score.hypothesis,
        "wer": result.score.wer,
        "word_errors": result.score.word_errors,
        "missed_entities": list(result.score.missed_entities),
        "search_top1": result.score.search_top1,
        "search_top5": result.score.search_top5,
    }
    if result.baseline is not None:
        record["baseline"] = {
            "hypothesis": result.baseline.hypothesis,
            "wer": result.baseline.wer,
            "word_errors": result.baseline.word_errors,
            "missed_entities": list(result.baseline.missed_entities),
            "search_top1": result.baseline.search_top1,
            "search_top5": result.baseline.search_top5,
        }
    return record


def _slice_dict(item: SliceMetrics) -> dict[str, Any]:
    record: dict[str, Any] = {
        "dimension": item.dimension,
        "value": item.value,
        "metrics": item.metrics.to_dict(),
    }
    if item.baseline is not None:
        record["baseline"] = item.baseline.to_dict()
    return record


def report_to_dict(report: EvalReport) -> dict[str, Any]:
    """The whole report as JSON-compatible values."""
    return {
        "model": report.model,
        "compare_to": report.compare_to,
        "split": report.split,
        "reference": report.reference,
        "reference_label": report.reference_label,
        "created_at": report.created_at.isoformat(),
        "project": str(report.project_root),
        "clips_in_split": report.selected,
        "clips_without_reference": report.unreferenced,
        "clips_evaluated": report.overall.clips,
        "skipped": [
            {"clip_id": s.clip_id, "uid": s.uid, "reason": s.reason} for s in report.skipped
        ],
        "transcribed": dict(report.transcribed),
        "overall": report.overall.to_dict(),
        "baseline": report.baseline.to_dict() if report.baseline is not None else None,
        "confidence": report.confidence.to_dict() if report.confidence is not None else None,
        "slices": [_slice_dict(s) for s in report.slices],
        "clips": [_clip_dict(c) for c in report.clips],
    }


def cell(text: object) -> str:
    """Text made safe for one Markdown table cell: no markup, pipes or line breaks."""
    escaped = html.escape(str(text), quote=False)
    for char in "\\`*_[]|#":
        escaped = escaped.replace(char, "\\" + char)
    return " ".join(escaped.split())


def percent(value: float | None) -> str:
    """A rate as a percentage with one decimal, ``n/a`` for None."""
    return "n/a" if value is None else f"{100 * value:.1f}%"


def delta(after: float | None, before: float | None) -> str:
    """after - before in percentage points, signed, ``n/a`` where either is None."""
    if after is None or before is None:
        return "n/a"
    return f"{100 * (after - before):+.1f} pts"


def metric_rows(metrics: Metrics) -> list[tuple[str, float | None]]:
    """The headline rates of a metrics record, labelled, in report order."""
    rows: list[tuple[str, float | None]] = [
        ("WER", metrics.wer),
        ("CER", metrics.cer),
        ("Entity error rate", metrics.entity_error_rate),
    ]
    rows += [
        (f"Entity err. ({kind.replace('_', ' ')})", metrics.entity_rate(kind))
        for kind in ENTITY_KINDS
    ]
    rows += [("Search success@1", metrics.search_top1), ("Search success@5", metrics.search_top5)]
    return rows


def _ratio(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def confidence_rows(quality: ConfidenceQuality) -> list[tuple[str, str, str]]:
    """(figure, raw, calibrated) rows of the word-confidence figures; "uncalibrated" where the
    model has no calibration."""
    none = "uncalibrated"
    has = quality.ece_calibrated is not None
    return [
        (
            f"ECE ({quality.bins} equal-width bins)",
            percent(quality.ece_raw),
            percent(quality.ece_calibrated) if has else none,
        ),
        (
            "AUROC, confidence for wrong words",
            _ratio(quality.auroc_raw),
            _ratio(quality.auroc_calibrated) if has else none,
        ),
    ]


def confidence_note(quality: ConfidenceQuality) -> str:
    """What the figures were measured on and how the calibration was fitted."""
    note = f"{quality.words} suggested word(s), {quality.wrong} wrong; {quality.calibration}"
    if quality.fitted_on_these:
        note += (
            "; WARNING: the calibration was fitted on these clips, so the calibrated figures "
            "are optimistic (evaluate --split test for unseen clips)"
        )
    return note


def _confidence_section(report: EvalReport) -> list[str]:
    quality = report.confidence
    if quality is None:
        return ["The model's suggestions of these clips have no word confidences.", ""]
    lines = ["| Word confidence | Raw | Calibrated |", "|---|---:|---:|"]
    lines += [f"| {name} | {raw} | {cal} |" for name, raw, cal in confidence_rows(quality)]
    return [
        *lines,
        "",
        cell(confidence_note(quality)),
        "",
        "ECE: the word-weighted mean gap between confidence and the share of right words in "
        "each confidence bin (0 = a word shown at 0.8 is right four times in five). AUROC: "
        "the chance that a wrong word has a lower confidence than a right one (0.5 = chance).",
        "",
    ]


def _overall_table(report: EvalReport) -> list[str]:
    if report.baseline is None:
        lines = [f"| Metric | {cell(report.model)} |", "|---|---:|"]
        lines += [f"| {name} | {percent(v)} |" for name, v in metric_rows(report.overall)]
        return lines
    lines = [
        f"| Metric | {cell(report.compare_to)} (before) | {cell(report.model)} (after) | Δ |",
        "|---|---:|---:|---:|",
    ]
    for (name, after), (_, before) in zip(
        metric_rows(report.overall), metric_rows(report.baseline), strict=True
    ):
        lines.append(f"| {name} | {percent(before)} | {percent(after)} | {delta(after, before)} |")
    return lines


def _slice_table(report: EvalReport, dimension: str) -> list[str]:
    compare = report.baseline is not None
    head = "| Value | Clips | WER | CER | Entity err. | Search@1 | Search@5 |"
    rule = "|---|---:|---:|---:|---:|---:|---:|"
    if compare:
        head += f" WER {cell(report.compare_to)} | Δ WER |"
        rule += "---:|---:|"
    lines = [head, rule]
    for item in report.slices_of(dimension):
        m = item.metrics
        row = (
            f"| {cell(item.value)} | {m.clips} | {percent(m.wer)} | {percent(m.cer)} | "
            f"{percent(m.entity_error_rate)} | {percent(m.search_top1)} | "
            f"{percent(m.search_top5)} |"
        )
        if compare and item.baseline is not None:
            row += f" {percent(item.baseline.wer)} | {delta(m.wer, item.baseline.wer)} |"
        lines.append(row)
    return lines


def _worst_clips(report: EvalReport) -> list[str]:
    worst = sorted(report.clips, key=lambda c: (-c.score.word_errors, c.clip_id))[:WORST_CLIPS]
    worst = [c for c in worst if c.score.word_errors]
    if not worst:
        return ["Every evaluated clip was transcribed without a word error."]
    lines = ["| Clip | Reference | Hypothesis | WER | Missed entities |", "|---|---|---|---:|---|"]
    for c in worst:
        lines.append(
            f"| {cell(c.uid)} | {cell(c.score.reference)} | {cell(c.score.hypothesis)} | "
            f"{percent(c.score.wer)} | {cell(', '.join(c.score.missed_entities))} |"
        )
    return lines


def render_markdown(report: EvalReport, plot_name: str = PLOT_NAME) -> str:
    """The Markdown report (the chart is referenced by its file name, next to the report)."""
    title = f"# Evaluation of {cell(report.model)} on the {cell(report.split)} split"
    lines = [
        title,
        "",
        f"- **References: {cell(report.reference_label)}**",
        f"- Evaluated: {report.overall.clips} clip(s) of {report.selected} in the split "
        f"({report.unreferenced} without a reference, {len(report.skipped)} without a "
        "transcript)",
        f"- Run: {report.created_at.isoformat(timespec='seconds')}",
    ]
    if report.compare_to is not None:
        lines.append(
            f"- Compared with: {cell(report.compare_to)}, on exactly the same clips "
            "(before = comparison model, after = evaluated model)"
        )
    lines += ["", "## Overall", "", *_overall_table(report), ""]
    lines += ["## Word confidence", "", *_confidence_section(report)]
    lines += ["## WER by slice", "", f"![WER by slice]({plot_name})", ""]
    for dimension in report.dimensions:
        lines += [f"### {cell(dimension)}", "", *_slice_table(report, dimension), ""]
    lines += [f"## Worst clips (up to {WORST_CLIPS})", "", *_worst_clips(report), ""]
    if report.skipped:
        lines += ["## Clips left out", "", "| Clip | Reason |", "|---|---|"]
        lines += [f"| {cell(s.uid)} | {cell(s.reason)} |" for s in report.skipped[:100]]
        lines.append("")
    lines += [
        "Metrics: WER/CER on normalized text; entity error rate = reference catalog entities "
        "(brand, product type, model, attribute) and spoken prices missing from the "
        "hypothesis; search success = the hypothesis retrieves the reference's top product "
        "(top-1) or has it among its five best (top-5), over clips whose reference finds one.",
        "",
    ]
    return "\n".join(lines)


def plot_wer_by_slice(report: EvalReport, path: Path) -> Path:
    """Draw WER bars per slice value (model and comparison side by side) to a PNG."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    groups = {d: report.slices_of(d) for d in report.dimensions} or {
        "overall": [SliceMetrics("overall", "all clips", report.overall, report.baseline)]
    }
    dimensions = list(groups)
    heights = []
    for dimension in dimensions:
        shown = min(len(groups[dimension]), MAX_PLOT_VALUES)
        heights.append(max(shown, 1) * (0.5 if report.baseline is None else 0.7) + 1.0)
    figure = Figure(figsize=(8.0, sum(heights) + 0.5), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(len(dimensions), 1, squeeze=False, height_ratios=heights)[:, 0]
    for ax, dimension in zip(axes, dimensions, strict=True):
        items = sorted(groups[dimension], key=lambda s: -s.metrics.clips)[:MAX_PLOT_VALUES]
        items.sort(key=lambda s: s.value, reverse=True)  # top-to-bottom alphabetical
        _bars(ax, report, items)
        more = len(groups[dimension]) - len(items)
        suffix = f" ({len(items)} largest of {len(items) + more} shown)" if more > 0 else ""
        ax.set_title(f"WER by {dimension}{suffix}", loc="left", fontsize=10)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    with atomic_open(path, "wb", encoding=None) as handle:
        # atomic_open is typed for text; opened with "wb" it hands out a binary file.
        cast("IO[bytes]", handle).write(buffer.getvalue())
    return path


def _bars(ax: Any, report: EvalReport, items: list[SliceMetrics]) -> None:
    labels = [f"{s.value[:40]} (n={s.metrics.clips})" for s in items]
    positions = list(range(len(items)))

    def wer_of(metrics: Metrics | None) -> float:
        return 100 * metrics.wer if metrics is not None and metrics.wer is not None else 0.0

    if report.baseline is None:
        ax.barh(positions, [wer_of(s.metrics) for s in items], color="tab:blue", label=report.model)
    else:
        width = 0.4
        ax.barh(
            [p + width / 2 for p in positions],
            [wer_of(s.baseline) for s in items],
            height=width,
            color="tab:gray",
            label=f"{report.compare_to} (before)",
        )
        ax.barh(
            [p - width / 2 for p in positions],
            [wer_of(s.metrics) for s in items],
            height=width,
            color="tab:blue",
            label=f"{report.model} (after)",
        )
    ax.set_yticks(positions, labels, fontsize=8)
    ax.set_xlabel("WER (%)")
    ax.grid(axis="x", alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")


def write_report(report: EvalReport, folder: Path | None = None) -> ReportPaths:
    """Write ``eval.json``, ``eval.md`` and ``wer_by_slice.png`` into `folder`.

    Args:
        report: the evaluation.
        folder: where to write (default: :func:`default_folder`); created if missing; the
            three files are replaced if present.
    """
    target = folder if folder is not None else default_folder(report)
    target.mkdir(parents=True, exist_ok=True)
    paths = ReportPaths(target, target / JSON_NAME, target / MARKDOWN_NAME, target / PLOT_NAME)
    with atomic_open(paths.json) as handle:
        json.dump(report_to_dict(report), handle, ensure_ascii=False, indent=2)
        handle.write("\n")
    plot_wer_by_slice(report, paths.plot)
    with atomic_open(paths.markdown) as handle:
        handle.write(render_markdown(report, PLOT_NAME))
    return paths
