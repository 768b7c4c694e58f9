"""Tables show what people read: two decimals, percentages, units and a dash, never None/nan."""

from __future__ import annotations

import pandas as pd

from voxcart.labeler.components.table import MISSING, _filled, styled


def test_floats_percentages_units_and_missing_values_are_formatted():
    frame = pd.DataFrame(
        {
            "uid": ["a", "b"],
            "duration_s": [3.6377, 12.0],
            "confidence": [0.91234, None],
            "wer": [0.25, None],
            "note": [None, "ok"],
            "clip_id": [7, 2000],
        }
    )
    text = styled(frame, percent=["wer"], seconds=["duration_s"]).to_string()
    assert "3.64 s" in text and "12.00 s" in text
    assert "0.91" in text and "0.91234" not in text
    assert "25%" in text
    assert "None" not in text and "nan" not in text
    assert text.count(MISSING) == 3
    assert "2000" in text  # ids keep their digits, no thousands separator


def test_styling_leaves_the_values_for_sorting_untouched():
    frame = pd.DataFrame({"wer": [0.5, 0.25]})
    assert styled(frame, percent=["wer"]).data["wer"].tolist() == [0.5, 0.25]


def test_columns_with_missing_values_are_shown_as_text_with_a_dash():
    # Streamlit draws a missing cell as "None" whatever the styler says.
    frame = pd.DataFrame({"wer": [0.4, None], "note": [None, "ok"], "d": [1.0, 2.0]})
    shown = _filled(frame, percent=["wer"], seconds=[])
    assert list(shown["wer"]) == ["40%", MISSING]
    assert list(shown["note"]) == [MISSING, "ok"]
    assert shown["d"].dtype.kind == "f"  # complete numeric columns stay numbers
