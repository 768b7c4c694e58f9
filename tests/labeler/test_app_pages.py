"""The app's pages through AppTest: review actions, explore filters, export zip, jobs, escaping."""

from __future__ import annotations

import json
import zipfile

import pytest
from sqlalchemy import select

from tests.labeler.app_support import annotate, make_accounts, make_audio_clips, page, texts
from voxcart.datasets.store.schema import (
    Clip,
    ModelVersion,
    Revision,
    RevisionStatus,
    Suggestion,
)
from voxcart.labeler.pages import review as review_page

HOSTILE = ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>")


@pytest.fixture
def env(project, monkeypatch):
    monkeypatch.setenv("VOXCART_PROJECT", str(project.root))
    monkeypatch.delenv("VOXCART_DB", raising=False)
    accounts = make_accounts(project)
    clips = make_audio_clips(project, 4)
    with project.session() as session:
        model = ModelVersion(name="test-model-v1", backend="sphinx", metrics={"wer": 0.25})
        session.add(model)
        session.flush()
        sugg = []
        for i, clip_id in enumerate(clips):
            row = Suggestion(
                clip_id=clip_id,
                model_version_id=model.id,
                text=f"sony earbuds {i}",
                scores={"mean_confidence": 0.2 + 0.2 * i},
            )
            session.add(row)
            session.flush()
            sugg.append(row.id)
    return accounts, clips, sugg


def _newest(project, clip_id) -> Revision:
    with project.session() as session:
        return session.scalars(
            select(Revision).where(Revision.clip_id == clip_id).order_by(Revision.id.desc())
        ).first()


def _frame(at, column: str):
    """The first table on the page that has `column` (AppTest does not expose table keys)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def _no_unsafe_data(at) -> None:
    for md in at.markdown:
        if md.allow_html:
            for bad in HOSTILE:
                assert bad not in md.value


def _review_args(at):
    [component] = at.get("component_instance")
    return json.loads(component.proto.json_args)


def _review_key(at, nonce, clip_id, action, **fields):
    event = {"action": action, "nonce": nonce, "task_id": clip_id, "flags": [], **fields}
    at.session_state[review_page.EDITOR_KEY] = event
    at.run()
    assert not at.exception, at.exception


def test_review_page_approve_reject_edit_by_key(env, project):
    acc, clips, sugg = env
    revs = [
        annotate(project, c, acc.annotator, f"sony wireless earbuds {i}", sugg[i])
        for i, c in enumerate(clips[:3])
    ]
    at = page("review", acc.reviewer).run()
    assert "3 clip(s) wait for your review" in texts(at)
    args = _review_args(at)
    assert args["mode"] == "review"
    # The line: the clip on screen and the next ones, each with audio, suggestion and text.
    assert [args["clip_uid"], *(a["clip_uid"] for a in args["ahead"])] == [
        "clip-000",
        "clip-001",
        "clip-002",
    ]
    assert args["prefill"] == "sony wireless earbuds 0"
    assert args["suggestion_text"] == "sony earbuds 0" and args["audio_url"].startswith("data:")
    assert args["skip_reasons"] == list(review_page.REJECT_REASONS)

    _review_key(at, "n-1", clips[0], "accept", text="sony wireless earbuds 0")  # Alt+A
    rev = _newest(project, clips[0])
    assert (rev.source, rev.status, rev.previous_id) == (
        "review:approve",
        RevisionStatus.REVIEWED,
        revs[0],
    )
    assert "Approved clip-000" in texts(at)
    assert _review_args(at)["handled_nonce"] == "n-1"

    _review_key(at, "n-2", clips[1], "skip", reason="wrong words")  # Alt+S, 2
    rev = _newest(project, clips[1])
    assert (rev.status, rev.flags) == (RevisionStatus.FLAGGED, ["rejected:wrong words"])

    _review_key(at, "n-3", clips[2], "submit", text="sony earbuds pro")  # Ctrl+Enter, edited
    rev = _newest(project, clips[2])
    assert (rev.source, rev.status, rev.verbatim) == (
        "review:edit",
        RevisionStatus.REVIEWED,
        "sony earbuds pro",
    )
    assert "Nothing to review" in texts(at)


def test_a_review_of_a_clip_that_changed_is_reported_not_saved(env, project):
    acc, clips, sugg = env
    annotate(project, clips[0], acc.annotator, "sony earbuds", sugg[0])
    at = page("review", acc.reviewer).run()
    annotate(project, clips[0], acc.annotator, "sony earbuds pro", sugg[0])  # changed since
    _review_key(at, "n-1", clips[0], "accept", text="sony earbuds")
    assert _newest(project, clips[0]).source != "review:approve"
    [failure] = _review_args(at)["failures"]
    assert failure["nonce"] == "n-1" and "changed" in failure["message"]


def test_review_page_shows_agreement(env, project):
    acc, clips, _ = env
    annotate(project, clips[0], acc.annotator, "apple watch band")
    annotate(project, clips[0], acc.lead, "apple watch")
    at = page("review", acc.lead).run()
    assert "Double-annotated clips" in [m.label for m in at.metric]
    frame = _frame(at, "annotator A")
    assert list(frame["annotator A"]) == ["annotator"] and list(frame["annotator B"]) == ["lead"]


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_transcripts_render_escaped(env, project, hostile):
    acc, clips, sugg = env
    annotate(project, clips[0], acc.annotator, f"buy {hostile} now", sugg[0])
    review = page("review", acc.reviewer).run()
    assert not review.exception
    _no_unsafe_data(review)
    # The review editor gets the text as data; it puts it into the page with textContent.
    assert _review_args(review)["prefill"] == f"buy {hostile} now"
    at = page("explore", acc.lead).run()
    assert not at.exception
    _no_unsafe_data(at)
    diff_html = "".join(md.value for md in at.markdown if "vx-diff" in md.value)
    assert "&lt;" in diff_html  # shown, escaped
    assert any(hostile in t.value for t in at.text)  # plain text elements show it as is


def test_explore_filters_by_status_speaker_confidence_and_flag(env, project):
    acc, clips, sugg = env
    annotate(project, clips[0], acc.annotator, "sony earbuds 0", sugg[0])
    annotate(project, clips[1], acc.annotator, "totally different words", sugg[1])
    at = page("explore", acc.annotator).run()
    assert len(_frame(at, "confidence")) == 4

    at.multiselect(key="voxcart_explore_status").select("corrected").run()
    assert sorted(_frame(at, "confidence")["clip_id"]) == clips[:2]
    at.number_input(key="voxcart_explore_min_wer").set_value(0.5).run()
    assert list(_frame(at, "confidence")["clip_id"]) == [clips[1]]

    at.multiselect(key="voxcart_explore_status").unselect("corrected").run()
    at.number_input(key="voxcart_explore_min_wer").set_value(None).run()
    at.multiselect(key="voxcart_explore_speaker").select("spk1").run()
    assert list(_frame(at, "confidence")["speaker"]) == ["spk1", "spk1"]
    at.multiselect(key="voxcart_explore_speaker").unselect("spk1").run()
    at.number_input(key="voxcart_explore_min_conf").set_value(0.5).run()
    assert list(_frame(at, "confidence")["clip_id"]) == clips[2:]
    at.number_input(key="voxcart_explore_min_conf").set_value(None).run()
    at.text_input(key="voxcart_explore_flag").input("nothing-has-this").run()
    assert len(_frame(at, "confidence")) == 0
    assert not at.exception


def test_explore_shows_and_filters_clip_metadata(env, project):
    acc, clips, _ = env
    at = page("explore", acc.annotator).run()
    assert not any(s.key == "voxcart_explore_meta_name" for s in at.selectbox)  # none yet
    with project.session() as session:
        for i, clip_id in enumerate(clips):
            clip = session.get(Clip, clip_id)
            clip.meta = {"condition": "far" if i % 2 else "near"} if i < 3 else {"région": "EU"}
    at = page("explore", acc.annotator).run()
    frame = _frame(at, "confidence")
    assert list(frame["meta.condition"]) == ["near", "far", "near", "—"]
    assert list(frame["meta.région"]) == ["—", "—", "—", "EU"]
    at.selectbox(key="voxcart_explore_meta_name").select("condition").run()
    at.multiselect(key="voxcart_explore_meta_values_condition").select("far").run()
    assert list(_frame(at, "confidence")["clip_id"]) == [clips[1]]
    assert "meta.condition" in at.selectbox(key="voxcart_explore_slice").options
    assert not at.exception


def test_explore_plays_clip_and_shows_history(env, project):
    acc, clips, sugg = env
    annotate(project, clips[0], acc.annotator, "first text", sugg[0])
    annotate(project, clips[0], acc.annotator, "second text", sugg[0])
    at = page("explore", acc.reviewer).run()
    assert len(at.get("audio")) == 1
    history = _frame(at, "revision")
    assert list(history["text"]) == ["first text", "second text"]


def test_export_page_writes_the_cli_export_and_a_zip(env, project):
    acc, clips, _ = env
    for c in clips:
        annotate(project, c, acc.annotator, "sony earbuds")
    at = page("export", acc.lead).run()
    at.selectbox(key="voxcart_export_format").select("csv")
    at.text_input(key="voxcart_export_name").input("from-app")
    next(b for b in at.button if b.label == "Export").click().run()
    assert not at.exception, at.exception
    assert "Exported 4 clips" in texts(at)
    zip_path = project.exports_dir / "from-app.zip"
    with zipfile.ZipFile(zip_path) as archive:
        names = archive.namelist()
    assert "from-app/datasheet.json" in names
    assert all(n.startswith("from-app/") for n in names)
    assert len(at.get("download_button")) == 1


def test_export_page_reports_exporter_errors(env, project):
    acc, *_ = env
    at = page("export", acc.lead).run()
    next(b for b in at.button if b.label == "Export").click().run()
    assert "no clips to export" in texts(at)


def test_rounds_page_lists_models_and_starts_an_lm_job(env, project):
    from voxcart.labeler.services import jobs

    acc, *_ = env
    at = page("rounds", acc.lead).run()
    models = _frame(at, "backend")
    assert "test-model-v1" in list(models["name"])
    assert "No active-learning round yet." in texts(at)
    at.button(key="voxcart_rounds_lm").click().run()
    status = jobs.wait(project, timeout_s=60)
    assert status is not None and status.kind == "build-lm"
    # The demo-less project has no catalog: the job fails with the LM builder's reason.
    assert status.state is jobs.JobState.FAILED and "no catalog products" in status.summary
    at.run()
    assert "no catalog products" in texts(at)


def test_augment_preview_page_shows_before_and_after(env, project):
    acc, *_ = env
    at = page("augment_preview", acc.lead).run()
    assert not at.exception, at.exception
    assert len(at.get("audio")) == 2
    assert len(at.get("image")) == 2
    assert "Before" in texts(at) and "After" in texts(at)


def test_home_counts_each_annotators_work(env, project):
    acc, clips, _ = env
    annotate(project, clips[0], acc.annotator, "a b c")
    annotate(project, clips[1], acc.annotator, "a b c")
    at = page("home", acc.annotator).run()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Annotations"] == "2"
    assert metrics["Waiting for review"] == "2"
    at = page("home", acc.lead).run()
    team = _frame(at, "annotations")
    assert dict(zip(team["username"], team["annotations"], strict=True))["annotator"] == 2


def test_rounds_page_selects_the_next_batch_and_shows_the_simulation(env, project):
    from tests.model.test_al_curves import _points
    from voxcart.model.al.curves import write_outputs
    from voxcart.model.al.sim_config import SimulationConfig

    acc, *_ = env
    at = page("rounds", acc.lead).run()
    assert "No trained round with a measured WER yet." in texts(at)
    assert "No simulation yet" in texts(at)
    at.selectbox(key="voxcart_al_strategy").select("least-confidence")
    at.text_input(key="voxcart_al_budget").set_value("2")
    next(b for b in at.button if b.label == "Select next batch").click().run()
    assert any("Round 1: 2 clip(s)" in s.value for s in at.success), [s.value for s in at.success]
    next(b for b in at.button if b.label == "Select next batch").click().run()
    assert any("Round 2: 2 clip(s)" in s.value for s in at.success)
    next(b for b in at.button if b.label == "Select next batch").click().run()
    assert any("already queued" in e.value for e in at.error)  # every clip is on its way
    assert 1 in list(_frame(at, "strategy")["round"])
    config = SimulationConfig(strategies=("random", "hybrid", "entropy"), rounds=3, seeds=2)
    write_outputs(_points(), project.root / "reports" / "al-simulation", config)
    at.run()
    assert len(at.get("image")) == 1
    assert any("| hybrid | 44.0% |" in md.value for md in at.markdown)
