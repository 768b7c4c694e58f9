"""Submit-time checks on a transcript: warnings the annotator may override, never walls.

Each check returns typed :class:`TranscriptWarning` records (a code, a message, where in the
text, and a suggested fix where there is one) for the app to show next to the editor.
"""

from __future__ import annotations

import enum
import re
import string
from dataclasses import dataclass

from voxcart.datasets.text.normalize import normalize


class WarningCode(enum.StrEnum):
    """What a warning is about."""

    EMPTY_OVER_SPEECH = "empty_over_speech"
    TOO_FAST = "too_fast"
    TOO_SLOW = "too_slow"
    DISALLOWED_CHARS = "disallowed_chars"
    DIGITS = "digits"


@dataclass(frozen=True)
class TranscriptWarning:
    """One thing in a transcript that looks wrong."""

    code: WarningCode
    message: str
    span: tuple[int, int] | None = None
    """Character offsets [start, end) in the checked text, where the problem is local."""
    suggestion: str | None = None
    """Replacement text for `span` (or for the whole text when `span` is None)."""


@dataclass(frozen=True)
class CheckConfig:
    """Thresholds of the transcript checks."""

    min_letters_per_s: float = 2.0
    """Fewer letters per second of speech than this suggests missing words."""
    max_letters_per_s: float = 25.0
    """More than this suggests text that was not said (or a wrong clip)."""
    rate_min_s: float = 1.0
    """The speaking-rate checks only judge clips with at least this much speech."""
    min_speech_s: float = 0.3
    """An empty transcript is flagged when the clip has at least this much speech."""
    allowed_chars: str = string.ascii_letters + " '-"
    """Characters the guideline allows in a transcript (digits are checked separately)."""


DEFAULT_CHECKS = CheckConfig()
_DIGIT_TOKEN_RE = re.compile(r"\S*\d\S*")


def check_transcript(
    text: str,
    duration_s: float,
    *,
    speech_s: float | None = None,
    config: CheckConfig = DEFAULT_CHECKS,
) -> tuple[TranscriptWarning, ...]:
    """All warnings for `text` as the transcript of a clip.

    Args:
        text: the transcript as typed (verbatim).
        duration_s: the clip's duration.
        speech_s: seconds of detected speech in the clip, when known; otherwise the whole
            duration counts as speech.
        config: thresholds.

    Returns:
        Warnings in a stable order (empty, rate, characters, digits); empty when all is well.
    """
    speech = duration_s if speech_s is None else min(speech_s, duration_s)
    if not text.strip():
        return _empty(speech, config)
    return (*_rate(text, speech, config), *_characters(text, config), *_digits(text))


def _empty(speech: float, config: CheckConfig) -> tuple[TranscriptWarning, ...]:
    if speech < config.min_speech_s:
        return ()
    return (
        TranscriptWarning(
            WarningCode.EMPTY_OVER_SPEECH,
            f"the transcript is empty but the clip has {speech:.1f} s of speech; type what "
            "is said, or skip with the reason 'no speech'",
        ),
    )


def _rate(text: str, speech: float, config: CheckConfig) -> tuple[TranscriptWarning, ...]:
    if speech < config.rate_min_s:
        return ()
    # Spoken form, so that "$49" counts as the letters of "forty nine dollars".
    letters = sum(1 for ch in normalize(text) if not ch.isspace())
    rate = letters / speech
    if rate > config.max_letters_per_s:
        return (
            TranscriptWarning(
                WarningCode.TOO_FAST,
                f"{rate:.1f} letters per second is faster than anyone speaks (at most "
                f"{config.max_letters_per_s:g}); is this the right clip, or text that was "
                "not said?",
            ),
        )
    if rate < config.min_letters_per_s:
        return (
            TranscriptWarning(
                WarningCode.TOO_SLOW,
                f"{rate:.1f} letters per second is slower than normal speech (at least "
                f"{config.min_letters_per_s:g}); are words missing?",
            ),
        )
    return ()


def _characters(text: str, config: CheckConfig) -> tuple[TranscriptWarning, ...]:
    allowed = set(config.allowed_chars)
    bad: dict[str, int] = {}
    for i, ch in enumerate(text):
        if ch not in allowed and not ch.isdigit() and ch not in bad:
            bad[ch] = i
    if not bad:
        return ()
    shown = ", ".join(repr(ch) for ch in list(bad)[:10])
    first = min(bad.values())
    return (
        TranscriptWarning(
            WarningCode.DISALLOWED_CHARS,
            f"characters outside the guideline's set: {shown}; write symbols as words "
            "(e.g. '&' as 'and') and leave out punctuation",
            span=(first, first + 1),
        ),
    )


def _digits(text: str) -> tuple[TranscriptWarning, ...]:
    warnings = []
    for m in _DIGIT_TOKEN_RE.finditer(text):
        spoken = normalize(m.group())
        warnings.append(
            TranscriptWarning(
                WarningCode.DIGITS,
                f"{m.group()!r} is written with digits; the guideline wants the spoken form"
                + (f" ({spoken!r})" if spoken else ""),
                span=(m.start(), m.end()),
                suggestion=spoken or None,
            )
        )
    return tuple(warnings)
