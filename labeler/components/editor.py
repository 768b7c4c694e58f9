"""The transcript editor component: audio player, waveform, spectrogram, editor, keyboard.

The front end is a static folder (``editor_frontend``: index.html, editor.js, editor.css) that
speaks Streamlit's component protocol by hand. :func:`item_args` turns an
:class:`~voxcart.labeler.services.annotate.AnnotateItem` into JSON and :func:`editor_args`
bundles the line of leased clips into the component's arguments;
the component's value is an event dict that
:func:`~voxcart.labeler.services.annotate.parse_event` reads.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from voxcart.datasets.store.config import KeysConfig
from voxcart.labeler.services.annotate import AnnotateConfig, AnnotateItem, SuggestionView
from voxcart.labeler.services.checks import TranscriptWarning
from voxcart.labeler.services.clip_media import ClipMedia
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


def clip_json(
    key: int,
    clip_uid: str,
    duration_s: float,
    media: ClipMedia | None,
    audio_error: str | None,
    suggestion: SuggestionView | None,
) -> dict[str, Any]:
    """The part of an editor item every page shares: the clip's audio and its suggestion.

    Args:
        key: the item's id in the editor's line (a task id, or a clip id on the review page).
        clip_uid: the clip's stable id, shown to the user.
        duration_s: the clip's duration in the store.
        media: audio, peaks and spectrogram; None when the audio cannot be read.
        audio_error: why the audio could not be read.
        suggestion: the model's suggestion (words with times and confidences), if any.
    """
    return {
        "task_id": key,
        "clip_uid": clip_uid,
        "duration_s": round(media.duration_s if media else duration_s, 3),
        "audio_url": data_url(media.wav, "audio/wav") if media else "",
        "spectrogram_url": data_url(media.spectrogram_png, "image/png") if media else "",
        "peaks": list(media.peaks) if media else [],
        "audio_error": audio_error or "",
        "suggestion_text": suggestion.text if suggestion else "",
        "words": [
            {
                "word": w.word,
                "start_s": w.start_s,
                "end_s": w.end_s,
                "confidence": round(w.confidence, 4),
                "raw_confidence": round(
                    w.confidence if w.raw_confidence is None else w.raw_confidence, 4
                ),
            }
            for w in (suggestion.words if suggestion else ())
        ],
        # The colours use "confidence" (calibrated where the model has a calibration); the
        # word's tooltip says which it is.
        "calibrated": bool(suggestion and suggestion.calibrated),
    }


def item_args(
    item: AnnotateItem,
    *,
    token: str,
    oov: tuple[OovFlag, ...] | None = None,
    warnings: tuple[str, tuple[TranscriptWarning, ...]] | None = None,
    prefill: str | None = None,
) -> dict[str, Any]:
    """One leased clip as the editor's JSON: audio, suggestion, prefill and latest checks.

    Args:
        item: the clip, its audio and its suggestion.
        token: identifies this clip's load (task and the page's focus).
        oov: out-of-catalog flags of the latest checked text (default: those of the prefill).
        warnings: the checks' warnings and the text they are about (shown under the editor
            while the text is unchanged).
        prefill: the editor's starting text instead of ``item.prefill`` (after an undo).
    """
    return {
        **clip_json(
            item.task.task_id,
            item.clip_uid,
            item.duration_s,
            item.media,
            item.audio_error,
            # In retype mode the suggestion travels too, hidden until the annotator reveals it.
            item.suggestion,
        ),
        "token": token,
        "retype": item.retype,
        "prefill": item.prefill if prefill is None else prefill,
        "oov": oov_args(item.oov if oov is None else oov),
        "warnings": [w.message for w in warnings[1]] if warnings else [],
        "warnings_text": warnings[0] if warnings else "",
    }


def editor_args(
    items: list[dict[str, Any]],
    config: AnnotateConfig,
    *,
    focus: str,
    vocabulary: tuple[str, ...] = (),
    handled_nonce: str | None = None,
    failures: list[dict[str, Any]] | None = None,
    autoplay: bool = True,
    mode: str = "annotate",
    reasons: tuple[str, ...] | None = None,
    keys: KeysConfig | None = None,
) -> dict[str, Any]:
    """The component's arguments: the line of leased clips (JSON-serialisable only).

    The first item's fields are at the top level (the page's current clip), the rest under
    ``ahead``, in the order the editor shows them.

    Args:
        items: :func:`item_args` of each leased clip, the page's current one first.
        config: thresholds (the low-confidence colour limit).
        focus: changes whenever the page moves the editor to the first item (first load,
            undo); otherwise the editor keeps its own place in the line.
        vocabulary: catalog terms for completion.
        handled_nonce: the last event the page handled: the editor sends its next one then.
        failures: events that saved nothing, for the editor to report and go back to.
        autoplay: start playing when a clip loads.
        mode: ``"annotate"`` or ``"review"`` (approve, reject with a reason, or edit).
        reasons: the choices of the skip key (annotate: skip reasons; review: rejection
            reasons).
        keys: the project's editor keys (default: :class:`KeysConfig`'s).
    """
    chosen = keys or KeysConfig()
    first, ahead = (items[0], items[1:]) if items else ({}, [])
    return {
        **first,
        "ahead": ahead,
        "focus": focus,
        "low_confidence": config.low_confidence,
        "vocabulary": list(vocabulary),
        "skip_reasons": list(reasons) if reasons is not None else [r.value for r in SkipReason],
        "mode": mode,
        "keys": {
            action: {"code": code, "label": "Alt+" + getattr(chosen, action).upper()}
            for action, code in chosen.codes().items()
        },
        "handled_nonce": handled_nonce or "",
        "failures": failures or [],
        "autoplay": autoplay,
    }


def render_editor(args: dict[str, Any], key: str) -> Any:
    """Show the editor; returns its latest event dict (None before the first event)."""
    from streamlit.components.v1 import declare_component

    # Declared inside the run (cheap) so that it registers with the running server.
    component = declare_component(COMPONENT_NAME, path=str(FRONTEND_DIR))
    return component(key=key, default=None, **args)
