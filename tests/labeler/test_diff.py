"""Suggestion-vs-edit word diff: typed ops, the suggestion's WER, escaped HTML."""

from __future__ import annotations

import re

import jiwer
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voxcart.labeler.services.diff import DiffOp, OpKind, render_html, word_diff


def test_ops_read_from_suggestion_to_edit() -> None:
    diff = word_diff("show me sonny ear buds", "show me sony earbuds please")
    assert diff.ops == (
        DiffOp(OpKind.EQUAL, ("show", "me"), ("show", "me")),
        DiffOp(OpKind.SUBSTITUTE, ("sonny", "ear", "buds"), ("sony", "earbuds", "please")),
    )
    assert (diff.substitutions, diff.hits, diff.wer) == (3, 2, 0.6)
    removed = word_diff("cheap red shoes", "red shoes")
    assert removed.ops == (
        DiffOp(OpKind.DELETE, ("cheap",), ()),
        DiffOp(OpKind.EQUAL, ("red", "shoes"), ("red", "shoes")),
    )
    assert (removed.deletions, removed.insertions, removed.wer) == (1, 0, 0.5)
    added = word_diff("red shoes", "red running shoes")
    assert added.ops[1] == DiffOp(OpKind.INSERT, (), ("running",))
    assert (added.insertions, added.deletions) == (1, 0)
    assert added.wer == pytest.approx(1 / 3)


def test_wer_is_on_normalized_text() -> None:
    # "$50" and "fifty dollars" are the same words once normalized.
    same = word_diff("Earbuds under $50!", "earbuds under fifty dollars")
    assert same.wer == 0.0 and all(op.kind is OpKind.EQUAL for op in same.ops)
    typed = word_diff("Earbuds under $50!", "earbuds under fifty dollars", normalized=False)
    assert any(op.kind is not OpKind.EQUAL for op in typed.ops)
    assert typed.wer == 0.0


def test_empty_sides() -> None:
    assert word_diff("", "").wer == 0.0 and word_diff("", "").ops == ()
    everything_missing = word_diff("", "red shoes")
    assert everything_missing.wer == 1.0 and everything_missing.insertions == 2
    nothing_said = word_diff("red shoes", "")
    assert nothing_said.wer is None and nothing_said.ops == (
        DiffOp(OpKind.DELETE, ("red", "shoes"), ()),
    )


words = st.lists(st.sampled_from(["red", "blue", "shoes", "tv", "sony", "cable"]), max_size=8)


@settings(max_examples=60, deadline=None)
@given(words, words)
def test_wer_matches_jiwer_and_ops_rebuild_both_sides(hyp: list[str], ref: list[str]) -> None:
    diff = word_diff(" ".join(hyp), " ".join(ref))
    assert [w for op in diff.ops for w in op.before] == hyp
    assert [w for op in diff.ops for w in op.after] == ref
    if ref:
        assert diff.wer == pytest.approx(jiwer.wer(" ".join(ref), " ".join(hyp) or ""))


def test_html_escapes_hostile_text() -> None:
    diff = word_diff(
        "<script>alert(1)</script>", "ok <img src=x onerror=alert(1)>", normalized=False
    )
    html_out = render_html(diff)
    assert "<script>" not in html_out and "<img" not in html_out
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html_out
    assert "&lt;img" in html_out
    # Only the renderer's own tags remain.
    assert set(re.findall(r"</?([a-zA-Z]+)", html_out)) <= {"span", "del", "ins"}


def test_html_marks_each_kind() -> None:
    out = render_html(word_diff("cheap red shoe", "red shoes now"))
    assert '<del class="vx-del">cheap</del>' in out
    assert '<span class="vx-sub"><del>shoe</del> <ins>shoes</ins></span>' in out
    assert '<ins class="vx-ins">now</ins>' in out
    assert '<span class="vx-eq">red</span>' in out
