"""The annotate page reads word confidences through the model's calibration: the colours,
the low-confidence words and retype mode all use the calibrated value."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.labeler.annotate_support import add_suggestion, queue
from tests.labeler.app_support import make_accounts, make_audio_clips, page, texts
from tests.model.calibration_support import add_labelled_clips
from voxcart.datasets.store.project import Project
from voxcart.labeler.components.editor import clip_json
from voxcart.labeler.services.annotate import lease_for, load_item, next_item, retype_mode
from voxcart.model.calibrate.fit import fit_calibration

CALIBRATED = "calibrated-model"
RAW = "raw-model"
SAID = [("show", 0.9), ("me", 0.9), ("shoes", 0.9)]


@pytest.fixture
def ready(project: Project, monkeypatch: pytest.MonkeyPatch) -> tuple[Project, int, list[int]]:
    """A model whose 0.9 words were right one time in four on dev (calibrated), two queued
    clips (the first suggested by that model, the second by an uncalibrated one)."""
    monkeypatch.setenv("VOXCART_PROJECT", str(project.root))
    user = make_accounts(project).annotator
    clips = make_audio_clips(project, 2)
    wrong_three = [("alpha", 0.9), ("brave", 0.9), ("charles", 0.9), ("dell", 0.9)]
    add_labelled_clips(project, CALIBRATED, "alpha bravo charlie delta", wrong_three, n=10)
    assert fit_calibration(project, CALIBRATED, reference="human", min_words=40).fitted
    add_suggestion(project, clips[0], SAID, model=CALIBRATED)
    add_suggestion(project, clips[1], SAID, model=RAW)
    queue(project, clips, [2.0, 1.0])
    return project, user, clips


def test_service_reads_calibrated_confidences_and_retypes_on_them(ready) -> None:
    project, user, _clips = ready
    item = next_item(project, user)
    assert item is not None and item.suggestion is not None
    suggestion = item.suggestion
    assert suggestion.calibrated and suggestion.model_name == CALIBRATED
    assert [w.confidence for w in suggestion.words] == pytest.approx([0.25] * 3)
    assert [w.raw_confidence for w in suggestion.words] == [0.9] * 3
    assert suggestion.mean_confidence == pytest.approx(0.25)
    # Raw 0.9 would show the suggestion; the calibrated 0.25 is below retype_below (0.4).
    assert item.retype and item.prefill == ""
    payload = clip_json(1, item.clip_uid, 1.0, None, None, suggestion)
    assert payload["calibrated"] is True
    assert [(w["confidence"], w["raw_confidence"]) for w in payload["words"]] == [(0.25, 0.9)] * 3


def test_an_uncalibrated_model_passes_raw_confidences_marked_as_such(ready) -> None:
    project, user, clips = ready
    first = next_item(project, user)
    assert first is not None
    task = lease_for(project, user, holding=(first.task.task_id,))
    assert task is not None and task.clip_id == clips[1]
    item = load_item(project, task)
    assert item.suggestion is not None and not item.suggestion.calibrated
    assert [w.confidence for w in item.suggestion.words] == [0.9] * 3
    assert item.suggestion.calibration.startswith("uncalibrated")
    assert not item.retype and not retype_mode(item.suggestion)
    assert clip_json(2, item.clip_uid, 1.0, None, None, item.suggestion)["calibrated"] is False


def _editor_args(at: Any) -> dict[str, Any]:
    [component] = at.get("component_instance")
    args: dict[str, Any] = json.loads(component.proto.json_args)
    return args


def test_page_colours_and_retype_use_the_calibrated_value(ready) -> None:
    _project, user, _clips = ready
    at = page("annotate", user).run()
    assert not at.exception, at.exception
    args = _editor_args(at)
    assert args["retype"] is True and args["prefill"] == ""
    assert args["calibrated"] is True
    assert [w["confidence"] for w in args["words"]] == [0.25] * 3
    assert [w["raw_confidence"] for w in args["words"]] == [0.9] * 3
    assert "chance each word is right" in texts(at)
