"""The sphinx backend on synthesized queries: catalog LM vs generic LM, word timings, N-best."""

from __future__ import annotations

import jiwer
import numpy as np
import pytest

from tests.model.conftest import QUERIES, SR, speak
from voxcart.model.backends.base import ASRBackend, ModelSpec, create_backend
from voxcart.model.errors import ModelError
from voxcart.model.versions import find_model, to_spec

# Measured on these three espeak-ng queries: catalog LM 0.00-0.06, generic LM about 0.5.
CATALOG_WER_BOUND = 0.3


@pytest.fixture(scope="module")
def catalog_backend(lm_project) -> ASRBackend:
    project, report = lm_project
    with project.session() as session:
        spec = to_spec(find_model(session, report.model_name), project.root)
    backend = create_backend(spec)
    backend.load()
    return backend


@pytest.fixture(scope="module")
def catalog_hypotheses(catalog_backend, spoken_queries):
    return catalog_backend.transcribe(spoken_queries)


def test_catalog_lm_beats_generic_lm_on_in_domain_queries(catalog_hypotheses, spoken_queries):
    generic = create_backend(ModelSpec("sphinx-generic", "sphinx", None, {"nbest": 0}))
    generic_texts = [h.text for h in generic.transcribe(spoken_queries)]
    catalog_texts = [h.text for h in catalog_hypotheses]
    catalog_wer = jiwer.wer(list(QUERIES), catalog_texts)
    generic_wer = jiwer.wer(list(QUERIES), generic_texts)
    assert catalog_wer <= generic_wer, (catalog_texts, generic_texts)
    assert catalog_wer < CATALOG_WER_BOUND, catalog_texts


def test_words_have_unit_confidences_and_monotone_times(catalog_hypotheses, spoken_queries):
    for hypothesis, audio in zip(catalog_hypotheses, spoken_queries, strict=True):
        assert hypothesis.words, hypothesis
        assert hypothesis.text == " ".join(w.word for w in hypothesis.words)
        duration = audio.size / SR
        previous_end = 0.0
        for word in hypothesis.words:
            assert 0.0 <= word.confidence <= 1.0
            assert previous_end <= word.start_s <= word.end_s <= duration + 0.02
            previous_end = word.end_s
        scores = hypothesis.scores
        assert scores.min_confidence <= scores.mean_confidence <= 1.0
        assert scores.mean_log_prob <= 0.0
        assert scores.token_entropy is not None and scores.token_entropy >= 0.0


def test_nbest_starts_with_the_best_path_and_is_distinct(catalog_hypotheses):
    for hypothesis in catalog_hypotheses:
        texts = [entry.text for entry in hypothesis.nbest]
        assert texts and texts[0] == hypothesis.text
        assert len(texts) == len(set(texts))


def test_silence_gives_an_empty_or_low_confidence_hypothesis(catalog_backend):
    rng = np.random.default_rng(3)
    (hypothesis,) = catalog_backend.transcribe([rng.standard_normal(SR).astype(np.float32) * 1e-3])
    assert hypothesis.text == "" or hypothesis.scores.mean_confidence < 0.9


def test_missing_lm_folder_is_a_clear_error(tmp_path):
    backend = create_backend(ModelSpec("broken", "sphinx", tmp_path / "gone", {}))
    with pytest.raises(ModelError, match="voxcart lm build"):
        backend.load()


def test_unknown_backend_names_the_known_ones():
    with pytest.raises(ModelError, match="sphinx"):
        create_backend(ModelSpec("x", "nonesuch"))


def test_version_changes_with_the_lm(lm_project, tmp_path):
    _project, report = lm_project
    base = create_backend(ModelSpec("a", "sphinx", report.path, {}))
    copy = tmp_path / "copy"
    copy.mkdir()
    for name in ("lm.arpa", "words.dict"):
        (copy / name).write_bytes((report.path / name).read_bytes())
    (copy / "lm.arpa").write_text((report.path / "lm.arpa").read_text() + "\n")
    assert create_backend(ModelSpec("b", "sphinx", copy, {})).version != base.version


def test_catalog_lm_decodes_a_common_word_the_catalog_lacks(catalog_backend):
    # "cheapest" and "compare" are in no catalog title or entity; the background and the
    # class-based templates make them speakable.
    audio = speak("which headphones are the cheapest", rate_wpm=140, seed=7)
    (hypothesis,) = catalog_backend.transcribe([audio])
    assert "cheapest" in hypothesis.text.split()


def test_a_clip_decodes_the_same_whatever_was_decoded_before(lm_project, spoken_queries):
    # The front end's noise estimate used to carry over from one clip to the next, so a clip's
    # suggestion depended on the clips decoded before it (order, batch, worker, resume point).
    project, report = lm_project
    with project.session() as session:
        spec = to_spec(find_model(session, report.model_name), project.root)
    rng = np.random.default_rng(7)
    noisy = [(q + rng.normal(0.0, 0.05, q.size)).astype(np.float32) for q in spoken_queries]
    clips = [*noisy, *spoken_queries]
    forward = create_backend(spec).transcribe(clips)
    backward = create_backend(spec).transcribe(clips[::-1])[::-1]
    alone = [create_backend(spec).transcribe([clip])[0] for clip in clips]
    assert [h.text for h in forward] == [h.text for h in alone] == [h.text for h in backward]
    assert [h.scores for h in forward] == [h.scores for h in alone]
