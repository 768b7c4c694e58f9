"""Read-only tables as people read them: two decimals, percentages, a dash for a missing value.

Pages pass their frame through :func:`show_table` instead of ``st.dataframe`` so that no page
shows ``3.6377`` or ``None``. Formatting is display-only: sorting a column still sorts by value.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
import streamlit as st

MISSING = "—"
"""What a table shows where a value is missing."""


def styled(
    frame: pd.DataFrame, percent: Iterable[str] = (), seconds: Iterable[str] = ()
) -> pd.io.formats.style.Styler:
    """`frame` with display formats: floats at two decimals, `percent` columns as whole
    percentages, `seconds` columns with an ``s`` unit, and a dash for missing values."""
    styler = frame.style.format(precision=2, na_rep=MISSING)
    for column in percent:
        if column in frame.columns:
            styler = styler.format("{:.0%}", subset=[column], na_rep=MISSING)
    for column in seconds:
        if column in frame.columns:
            styler = styler.format("{:.2f} s", subset=[column], na_rep=MISSING)
    return styler


def show_table(
    frame: pd.DataFrame,
    *,
    key: str,
    percent: Iterable[str] = (),
    seconds: Iterable[str] = (),
) -> None:
    """Render `frame` read-only without its index (see :func:`styled` for the formats)."""
    st.dataframe(styled(frame, percent, seconds), hide_index=True, key=key)
