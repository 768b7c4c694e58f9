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


def _filled(frame: pd.DataFrame, percent: Iterable[str], seconds: Iterable[str]) -> pd.DataFrame:
    """`frame` with every column that has a missing value turned into display text.

    Streamlit draws a missing cell as "None" whatever the styler says, so such columns are
    shown as text (a dash where a value is missing); complete numeric columns stay numbers,
    and keep sorting by value.
    """
    shown = frame.copy()
    pct, secs = set(percent), set(seconds)
    for column in shown.columns:
        values = shown[column]
        if not values.isna().any():
            continue
        if column in pct:
            text = values.map(lambda v: MISSING if pd.isna(v) else f"{v:.0%}")
        elif column in secs:
            text = values.map(lambda v: MISSING if pd.isna(v) else f"{v:.2f} s")
        elif pd.api.types.is_float_dtype(values):
            text = values.map(lambda v: MISSING if pd.isna(v) else f"{v:.2f}")
        else:
            text = values.map(lambda v: MISSING if v is None or v is pd.NA or v != v else v)
        shown[column] = text.astype(object)
    return shown


def show_table(
    frame: pd.DataFrame,
    *,
    key: str,
    percent: Iterable[str] = (),
    seconds: Iterable[str] = (),
) -> None:
    """Render `frame` read-only without its index (see :func:`styled` for the formats)."""
    shown = _filled(frame, percent, seconds)
    numeric = {c for c in shown.columns if pd.api.types.is_numeric_dtype(shown[c])}
    keep_pct = [c for c in percent if c in numeric]
    keep_secs = [c for c in seconds if c in numeric]
    st.dataframe(styled(shown, keep_pct, keep_secs), hide_index=True, key=key)
