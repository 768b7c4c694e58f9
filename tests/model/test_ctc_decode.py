"""CTC decoding on constructed posteriors: exact greedy paths, beam search, hotwords, N-best."""

from __future__ import annotations

import numpy as np
import pytest

from voxcart.model.backends.ctc_align import (
    align_span,
    collapse_path,
    force_align,
    path_words,
    token_entropy,
    word_confidence,
)
from voxcart.model.backends.ctc_decode import CtcDecoder, CtcVocab, DecodeOptions
from voxcart.model.errors import ModelError

# Model outputs as a wav2vec2 vocab.json orders them: pad (blank), unk, delimiter, letters.
TOKENS = ["<pad>", "<unk>", "|", *"abcdefghijklmnopqrstuvwxyz'"]
ID = {t: i for i, t in enumerate(TOKENS)}
FRAME_S = 0.02


def vocab() -> CtcVocab:
    return CtcVocab.from_tokens(TOKENS, blank_id=0, special_ids=[1], delimiter="|")


def _token(char: str) -> int:
    return ID[{"_": "<pad>", " ": "|"}.get(char, char)]


def posteriors(
    path: str, peak: float = 0.9, second: dict[int, tuple[str, float, float]] | None = None
) -> np.ndarray:
    """(frames, outputs) log posteriors: frame i gives probability `peak` to path[i].

    '_' is the blank, ' ' the word delimiter; the rest of each frame's mass is spread evenly.
    `second` maps a frame to (runner-up token, its probability, the path token's probability).
    """
    probs = np.zeros((len(path), len(TOKENS)))
    for i, char in enumerate(path):
        first, other, p_other = peak, None, 0.0
        if second and i in second:
            other, p_other, first = second[i]
        rest = (1.0 - first - p_other) / (len(TOKENS) - (2 if other else 1))
        probs[i] = rest
        probs[i, _token(char)] = first
        if other:
            probs[i, _token(other)] = p_other
    return np.log(probs).astype(np.float32)


def test_vocab_folds_specials_into_blank_and_maps_the_delimiter():
    v = vocab()
    assert v.labels[0] == "" and " " in v.labels and "<unk>" not in v.labels
    log_probs = np.log(np.full((1, len(TOKENS)), 1.0 / len(TOKENS)))
    reduced = v.reduce(log_probs)
    assert reduced.shape == (1, len(TOKENS) - 1)
    assert np.isclose(np.exp(reduced[0, 0]), 2.0 / len(TOKENS))  # pad + unk
    assert np.isclose(np.exp(reduced).sum(), 1.0)


def test_vocab_lowercases_uppercase_letters_and_rejects_duplicates():
    upper = CtcVocab.from_tokens(["<pad>", "|", "A", "B"], 0)
    assert upper.labels == ("", " ", "a", "b")
    with pytest.raises(ModelError, match="repeats"):
        CtcVocab.from_tokens(["<pad>", "|", "a", "a"], 0)
    with pytest.raises(ModelError, match="outside"):
        CtcVocab.from_tokens(["a", "b"], 5)


def test_collapse_merges_repeats_and_needs_a_blank_between_equal_tokens():
    spans = collapse_path([0, 3, 3, 0, 3, 4, 4, 0], blank=0)
    assert [(s.token, s.start_frame, s.end_frame) for s in spans] == [
        (3, 1, 3),
        (3, 4, 5),
        (4, 5, 7),
    ]


def test_greedy_decodes_text_and_exact_word_times():
    #          frame: 01234567890123456789
    log_probs = posteriors("__ss_oo_n_yy_ _tt_v_")
    hypothesis = CtcDecoder(vocab(), DecodeOptions("greedy")).decode(log_probs, FRAME_S, 0.4)
    assert hypothesis.text == "sony tv"
    sony, tv = hypothesis.words
    assert (sony.start_s, sony.end_s) == pytest.approx((2 * FRAME_S, 12 * FRAME_S))
    assert (tv.start_s, tv.end_s) == pytest.approx((15 * FRAME_S, 19 * FRAME_S))
    assert sony.confidence == pytest.approx(0.9, abs=0.01)
    assert hypothesis.nbest == ()


def test_greedy_splits_on_the_delimiter_and_drops_unk():
    log_probs = posteriors("ab_ cd", second={2: ("<unk>", 0.8, 0.1)})  # <unk> writes nothing
    words = CtcDecoder(vocab(), DecodeOptions("greedy")).decode(log_probs, 0.02, 1.0).words
    assert [w.word for w in words] == ["ab", "cd"]


def test_word_confidence_mean_or_min_over_emitting_frames_only():
    second = {2: ("a", 0.45, 0.5), 3: ("a", 0.45, 0.5)}  # the two 's' frames are unsure
    log_probs = posteriors("__ssoo__", second=second)
    mean = CtcDecoder(vocab(), DecodeOptions("greedy", confidence="mean"))
    low = CtcDecoder(vocab(), DecodeOptions("greedy", confidence="min"))
    (word,) = mean.decode(log_probs, FRAME_S, 1.0).words
    (word_min,) = low.decode(log_probs, FRAME_S, 1.0).words
    assert word.confidence == pytest.approx((0.5 + 0.5 + 0.9 + 0.9) / 4)
    assert word_min.confidence == pytest.approx(0.5)
    assert word_confidence([], "mean") == 1.0


def test_times_are_clipped_to_the_clip_and_an_all_blank_clip_is_empty():
    decoder = CtcDecoder(vocab(), DecodeOptions("greedy"))
    (word,) = decoder.decode(posteriors("__abc"), FRAME_S, 0.09).words
    assert word.end_s == pytest.approx(0.09)
    empty = decoder.decode(posteriors("_____"), FRAME_S, 0.1)
    assert empty.text == "" and empty.words == () and empty.scores.mean_confidence == 1.0
    assert decoder.decode(np.zeros((0, len(TOKENS)), np.float32), FRAME_S, 0.0).text == ""


def test_beam_search_gives_timed_words_nbest_and_scores():
    log_probs = posteriors("__ss_oo_n_yy__", second={5: ("a", 0.3, 0.6), 6: ("a", 0.3, 0.6)})
    decoder = CtcDecoder(vocab(), DecodeOptions("beam", beam_width=8, nbest=3))
    hypothesis = decoder.decode(log_probs, FRAME_S, 0.28)
    assert hypothesis.text == "sony"
    assert hypothesis.nbest[0].text == "sony" and len(hypothesis.nbest) >= 2
    assert len({n.text for n in hypothesis.nbest}) == len(hypothesis.nbest)
    scores = [n.log_score for n in hypothesis.nbest]
    assert scores == sorted(scores, reverse=True)
    (word,) = hypothesis.words
    assert 0 <= word.start_s < word.end_s <= 0.28 and 0 < word.confidence <= 1
    assert 0 < hypothesis.scores.utterance_prob <= 1
    assert hypothesis.scores.token_entropy > 0


def test_hotwords_turn_an_ambiguous_word_into_the_catalog_term():
    # 'a' narrowly beats 'o' acoustically: "sany" without hotwords.
    unsure = ("o", 0.4, 0.5)
    log_probs = posteriors("__ss_aa_n_yy__", second={5: unsure, 6: unsure})
    plain = CtcDecoder(vocab(), DecodeOptions("beam", beam_width=16))
    boosted = CtcDecoder(vocab(), DecodeOptions("beam", beam_width=16, hotwords=("Sony", "tv")))
    assert plain.decode(log_probs, FRAME_S, 0.28).text == "sany"
    hypothesis = boosted.decode(log_probs, FRAME_S, 0.28)
    assert hypothesis.text == "sony"
    # The word the hotword chose is scored on the acoustics: below the plain word's score.
    assert (
        hypothesis.words[0].confidence < plain.decode(log_probs, FRAME_S, 0.28).words[0].confidence
    )


def test_usable_hotwords_drop_single_letters_and_unspellable_words():
    assert vocab().usable_hotwords(["Sony TV", "x", "café", "b&o", "ninja"]) == (
        "ninja",
        "sony",
        "tv",
    )


def test_kenlm_path_fails_clearly_without_kenlm(tmp_path):
    lm = tmp_path / "lm.arpa"
    lm.write_text("\\data\\\n", encoding="utf-8")
    with pytest.raises(ModelError, match="pip install kenlm"):
        CtcDecoder(vocab(), DecodeOptions("beam", kenlm_path=lm))
    with pytest.raises(ModelError, match="not a file"):
        CtcDecoder(vocab(), DecodeOptions("beam", kenlm_path=tmp_path / "missing.arpa"))


def test_bad_options_are_rejected():
    with pytest.raises(ModelError, match="decoder="):
        DecodeOptions("viterbi")
    with pytest.raises(ModelError, match="beam_width"):
        DecodeOptions("beam", beam_width=0)
    with pytest.raises(ModelError, match="confidence"):
        DecodeOptions(confidence="max")


def test_force_align_finds_the_path_and_refuses_too_few_frames():
    log_probs = vocab().reduce(posteriors("_ll_l_"))
    l_index = vocab().token_ids("l")[0]
    path = force_align(log_probs, [l_index, l_index], blank=0)
    assert path is not None and [s.token for s in collapse_path(path, 0)] == [l_index, l_index]
    assert force_align(log_probs[:2], [l_index, l_index], blank=0) is None
    # No alignment possible: falls back to the max posteriors of the span.
    fallback = align_span(log_probs, [l_index] * 5, 0, 0, 3)
    assert (fallback.start_frame, fallback.end_frame) == (0, 3) and 0 < fallback.confidence <= 1


def test_path_words_handle_sentencepiece_word_starts():
    labels = ["", "▁so", "ny", "▁tv"]
    log_probs = np.log(np.full((5, 4), 0.01))
    for frame, token in enumerate([1, 2, 0, 3, 0]):
        log_probs[frame, token] = np.log(0.97)
    words = path_words(np.array([1, 2, 0, 3, 0]), log_probs, labels, blank=0)
    assert [(w.word, w.start_frame, w.end_frame) for w in words] == [("sony", 0, 2), ("tv", 3, 4)]


def test_token_entropy_is_higher_for_uncertain_frames():
    sure = vocab().reduce(posteriors("_ab_", peak=0.99))
    unsure = vocab().reduce(posteriors("_ab_", peak=0.4))
    assert 0 <= token_entropy(sure, 0) < token_entropy(unsure, 0)
