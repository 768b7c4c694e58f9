"""The transcript editor component: audio player, waveform, spectrogram, editor, keyboard.

The front end is a static folder (``editor_frontend``: index.html, editor.js, editor.css) that
speaks Streamlit's component protocol by hand. :func:`editor_args` turns an
:class:`~voxcart.labeler.services.annotate.AnnotateItem` into the component's JSON arguments;
the component's value is an event dict that
:func:`~voxcart.labeler.services.annotate.parse_event` reads.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from voxcart.labeler.services.annotate import AnnotateConfig, AnnotateItem
from voxcart.labeler.services.checks import TranscriptWarning
from voxcart.labeler.services.oov import OovFlag
from voxcart.labeler.services.submit import SkipReason

FRONTEND_DIR = Path(__file__).resolve().parent / "editor_frontend"
COMPONENT_NAME = "voxcart_editor"


def data_url(payload: bytes, mime: str) -> str:
    """`payload` as a ``data:`` URL (base64)."""
    return f"data:{mime};base64,{base64.b64encode(payload).decode('ascii')}"


def oov_args(flags: tuple[OovFlag, ...]) -> list[dict[str, Any]]:
    """Out-of-catalog flags as JSON-ready dicts."""
    return [
        {"word": f.word, "start": f.start, "end": f.end, "closest": list(f.closest)} for f in flags
    ]


def editor_args(
    item: AnnotateItem,
    config: AnnotateConfig,
    *,
    token: str,
    handled_nonce: str | None = None,
    oov: tuple[OovFlag, ...] | None = None,
    warnings: tuple[str, tuple[TranscriptWarning, ...]] | None = None,
    prefill: str | None = None,
    autoplay: bool = True,
) -> dict[str, Any]:
    """The component's arguments for one clip (JSON-serialisable only).

    Args:
        item: the clip, its audio and its suggestion.
        config: thresholds (the low-confidence colour limit).
        token: changes whenever the editor must reset to ``item.prefill`` (a new clip).
        handled_nonce: the last event the page handled, so that the editor unlocks when the
            page kept the same clip (an error or a stale edit).
        oov: out-of-catalog flags of the latest checked text (default: those of the prefill).
        warnings: the checks' warnings and the text they are about (shown under the editor
            while the text is unchanged).
        prefill: the editor's starting text instead of ``item.prefill`` (after an undo).
        autoplay: start playing when the clip loads.
    """
    media = item.media
    # In retype mode the suggestion travels too, hidden until the annotator reveals it.
    suggestion = item.suggestion
    return {
        "token": token,
        "task_id": item.task.task_id,
        "clip_uid": item.clip_uid,
        "duration_s": round(media.duration_s if media else item.duration_s, 3),
        "audio_url": data_url(media.wav, "audio/wav") if media else "",
        "spectrogram_url": data_url(media.spectrogram_png, "image/png") if media else "",
        "peaks": list(media.peaks) if media else [],
        "audio_error": item.audio_error or "",
        "retype": item.retype,
        "suggestion_text": suggestion.text if suggestion else "",
        "words": [
            {
                "word": w.word,
                "start_s": w.start_s,
                "end_s": w.end_s,
                "confidence": round(w.confidence, 4),
            }
            for w in (suggestion.words if suggestion else ())
        ],
        "low_confidence": config.low_confidence,
        "prefill": item.prefill if prefill is None else prefill,
        "warnings": [w.message for w in warnings[1]] if warnings else [],
        "warnings_text": warnings[0] if warnings else "",
        "vocabulary": list(item.vocabulary),
        "oov": oov_args(item.oov if oov is None else oov),
        "skip_reasons": [r.value for r in SkipReason],
        "handled_nonce": handled_nonce or "",
        "autoplay": autoplay,
    }


def render_editor(args: dict[str, Any], key: str) -> Any:
    """Show the editor; returns its latest event dict (None before the first event)."""
    from streamlit.components.v1 import declare_component

    # Declared inside the run (cheap) so that it registers with the running server.
    component = declare_component(COMPONENT_NAME, path=str(FRONTEND_DIR))
    return component(key=key, default=None, **args)
