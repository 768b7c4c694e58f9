"""Submit-time transcript warnings: each check fires on its case and stays quiet otherwise."""

from __future__ import annotations

from voxcart.labeler.services.checks import CheckConfig, WarningCode, check_transcript


def _codes(text: str, duration_s: float = 2.0, **kwargs: object) -> list[WarningCode]:
    return [w.code for w in check_transcript(text, duration_s, **kwargs)]


def test_clean_transcript_has_no_warnings() -> None:
    assert _codes("show me sony wireless earbuds under fifty dollars", 3.5) == []


def test_empty_text_over_speech() -> None:
    assert _codes("   ", 2.0) == [WarningCode.EMPTY_OVER_SPEECH]
    assert _codes("", 2.0, speech_s=0.1) == []  # no speech to transcribe
    assert _codes("", 0.2) == []


def test_speaking_rate_outside_normal_range() -> None:
    assert _codes("tv", 4.0) == [WarningCode.TOO_SLOW]
    long = "show me the cheapest noise cancelling over ear headphones with long battery life"
    assert _codes(long, 1.5) == [WarningCode.TOO_FAST]
    # Judged on speech, not on the whole clip, when the speech length is known.
    assert _codes("tv", 4.0, speech_s=0.5) == []
    # The spoken form counts: "$1,299" is 50 letters when read, too many for one second.
    assert _codes("$1,299", 1.0)[0] is WarningCode.TOO_FAST
    assert _codes("one thousand two hundred ninety nine dollars", 1.0) == [WarningCode.TOO_FAST]
    assert _codes("one thousand two hundred ninety nine dollars", 3.0) == []


def test_characters_outside_allowed_set() -> None:
    warnings = check_transcript("sony <b>earbuds</b>", 2.0)
    assert [w.code for w in warnings] == [WarningCode.DISALLOWED_CHARS]
    assert warnings[0].span == (5, 6)
    assert "'<'" in warnings[0].message and "'/'" in warnings[0].message
    # Apostrophes and hyphens are allowed; extra characters can be allowed by config.
    assert _codes("levi's wi-fi jeans") == []
    config = CheckConfig(allowed_chars=CheckConfig().allowed_chars + "é")
    assert _codes("nestlé coffee pods", config=config) == []
    assert _codes("nestlé coffee pods") == [WarningCode.DISALLOWED_CHARS]


def test_digits_against_the_guideline() -> None:
    warnings = check_transcript("samsung 65 inch tv under five hundred", 3.0)
    assert [w.code for w in warnings] == [WarningCode.DIGITS]
    assert warnings[0].span == (8, 10)
    assert warnings[0].suggestion == "sixty five"
    spelled = check_transcript("samsung sixty five inch tv", 2.5)
    assert spelled == ()
