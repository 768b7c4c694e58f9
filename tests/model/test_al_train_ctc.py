"""An active-learning round on a ctc model: fine-tune the selecting model, re-suggest, resume."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import delete, select

from tests.model.train_project import TINY_MODEL, copy_project, shared_labelled_demo
from voxcart.datasets.store.clip_filter import ClipFilter
from voxcart.datasets.store.project import Project, open_project
from voxcart.datasets.store.schema import ALRound, Clip, ModelVersion, Revision, Split, Suggestion
from voxcart.model.al.oracle import ORACLE_SOURCE, annotate_round
from voxcart.model.al.rounds import select_round
from voxcart.model.al.train import ctc_round_name, train_round
from voxcart.model.suggest import suggest
from voxcart.model.train.config import TrainConfig
from voxcart.model.train.loop import train

TINY = TrainConfig(
    max_steps=2, max_batch_seconds=30.0, eval_every=0, save_every=2, log_every=1, model=TINY_MODEL
)


@pytest.fixture
def ctc_demo(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Project]:
    project = open_project(copy_project(shared_labelled_demo(tmp_path_factory), tmp_path / "p"))
    train(project, "small", "shop-ctc", TINY, device="cpu")
    with project.session() as session:
        train_ids = list(
            session.scalars(select(Clip.id).where(Clip.split == Split.TRAIN).order_by(Clip.id))
        )
        # The last three train clips become the unlabelled pool (a test-only rewrite).
        session.execute(delete(Revision).where(Revision.clip_id.in_(train_ids[-3:])))
    suggest(project, "shop-ctc", ClipFilter())
    yield project
    project.close()


def test_round_names():
    assert ctc_round_name("shop-ctc", 1) == "shop-ctc-al1"
    assert ctc_round_name("shop-ctc-al1", 2) == "shop-ctc-al2"


def test_a_ctc_round_fine_tunes_the_selecting_model_and_resumes(ctc_demo):
    picked = select_round(ctc_demo, model="shop-ctc", budget="1", diversity="none")
    annotate_round(ctc_demo, picked.round_id)
    trained = train_round(
        ctc_demo,
        train_config=TINY,
        device="cpu",
        label_sources=(ORACLE_SOURCE,),
        eval_splits=("dev",),
        reference="hidden",
    )
    assert trained.model == "shop-ctc-al1" and trained.metrics.model_created is True
    assert trained.metrics.evaluations["dev"].wer is not None
    assert trained.metrics.evaluations["dev"].compare_to == "shop-ctc"
    with ctc_demo.session() as session:
        new = session.scalars(select(ModelVersion).where(ModelVersion.name == "shop-ctc-al1")).one()
        parent = session.get(ModelVersion, new.parent_id)
        assert parent is not None and parent.name == "shop-ctc"
        # The base learned from every train clip; three were unlabelled since, and the
        # round's model learned from the rest plus the oracle's one label.
        assert new.config["training"]["data"]["train_clips"] == (
            parent.config["training"]["data"]["train_clips"] - 3 + 1
        )
        pool = set(
            session.scalars(select(Suggestion.clip_id).where(Suggestion.model_version_id == new.id))
        )
    assert len(pool) >= 2  # the rest of the pool (and dev) were suggested again
    # Interrupted after the model was registered: training again reuses it.
    with ctc_demo.session() as session:
        session.scalars(select(ALRound)).one().status = "training"
    again = train_round(ctc_demo, train_config=TINY, device="cpu", eval_splits=())
    assert again.model == "shop-ctc-al1" and again.metrics.model_created is False
