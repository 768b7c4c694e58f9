"""Clip metadata: the manifest columns voxcart has no field for, kept per clip as text.

A clip's ``meta`` is a flat JSON object of name -> text (a recording condition, a device model,
a region...). Names and values come from untrusted manifests, so both are checked here once for
every place that reads them (import, ``--where meta.NAME=VALUE``, ``--slice meta.NAME``, the
Explore page, exports): a name is 1 to :data:`MAX_NAME_CHARS` printable characters without
``= , " \\``; a value is at most :data:`MAX_VALUE_CHARS` characters without control characters
(another value is not kept, never cut); a clip keeps at most :data:`MAX_FIELDS` names.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from voxcart.datasets.text.clean import unsafe_chars

MAX_FIELDS = 64
"""Most metadata names one clip keeps (a manifest's further unknown columns are reported)."""
MAX_NAME_CHARS = 64
"""Longest metadata name."""
MAX_VALUE_CHARS = 1000
"""Longest metadata value (longer ones are refused, never cut)."""
META_PREFIX = "meta."
"""How filters and slices name a metadata field: ``meta.condition``."""
_NAME_FORBIDDEN = frozenset('=,"\\')


def name_problem(name: str) -> str | None:
    """Why `name` cannot be a metadata name, or None when it can.

    ``=`` and ``,`` would break ``--where meta.NAME=VALUE`` and comma-separated ``--slice``
    lists; quotes and backslashes would break JSON paths in SQL.
    """
    if not name.strip():
        return "the name is empty"
    bad = unsafe_chars(name)
    if bad:
        return f"the name holds control characters ({', '.join(bad)})"
    if len(name) > MAX_NAME_CHARS:
        return f"the name is {len(name)} characters long, over the {MAX_NAME_CHARS} allowed"
    forbidden = sorted(set(name) & _NAME_FORBIDDEN)
    if forbidden:
        return f"the name holds {' '.join(forbidden)}, which metadata names may not contain"
    return None


def value_text(value: Any) -> str | None:
    """A manifest cell as metadata text: numbers and booleans in their JSON spelling, lists
    and objects as compact JSON, None or blank as None (not stored)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else str(value).lower()
    if isinstance(value, str):
        return value if value.strip() else None
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def value_problem(text: str) -> str | None:
    """Why `text` cannot be stored as a metadata value, or None when it can (the same reason for
    every such value of a column, so that a report can count them)."""
    if unsafe_chars(text):
        return (
            "values with control characters, tabs or line breaks are not kept; remove them and "
            "import the manifest again to add the values"
        )
    if len(text) > MAX_VALUE_CHARS:
        return (
            f"values over {MAX_VALUE_CHARS} characters are not kept (never cut); shorten them "
            "and import the manifest again to add the values"
        )
    return None


def meta_field(text: str) -> str | None:
    """The metadata name in ``meta.NAME`` (None when `text` does not start with ``meta.``)."""
    if not text.lower().startswith(META_PREFIX):
        return None
    return text[len(META_PREFIX) :].strip().lower()


def clip_meta(stored: object) -> dict[str, str]:
    """A clip's stored ``meta`` as name -> text (None or a damaged value read as empty)."""
    if not isinstance(stored, Mapping):
        return {}
    return {str(k): str(v) for k, v in stored.items() if v is not None}
