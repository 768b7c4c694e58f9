"""pyannote paths end to end on small local checkpoints built here, offline.

No pretrained pyannote weights are reachable in tests, so the checkpoints are built from
pyannote's own model classes (a tiny PyanNet, an x-vector or WeSpeaker ResNet embedding, a
small valid PLDA) and saved the way pyannote saves them; they load through the same
`Model.from_pretrained` / `PLDA` path a downloaded pipeline takes. The segmentation model's
classifier is biased towards one powerset class so that its output is known: these tests
check that everything runs and is well formed, not accuracy.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf
from sqlalchemy import select

from tests.datasets.segment_sessions import SR, VOICES, add_recording, build_session
from voxcart.datasets.errors import SegmentationError
from voxcart.datasets.segment.activity import SpeechRegion
from voxcart.datasets.segment.cut import SegmentConfig, segment_audio
from voxcart.datasets.segment.diarize import (
    DiarizationConfig,
    Diarizer,
    load_speaker_map,
    scope_speakers,
)
from voxcart.datasets.segment.store import recording_key, segment_recordings
from voxcart.datasets.segment.vad_pyannote import PyannoteVad, load_pyannote_model
from voxcart.datasets.store.project import Project
from voxcart.datasets.store.schema import Clip

pytest.importorskip("pyannote.audio")

SPEAKER_00 = 1  # powerset class {speaker 1}
SPEAKERS_01 = 4  # powerset class {speaker 1, speaker 2}: overlapped speech


def _save(model, path: Path) -> Path:
    import lightning
    import torch

    checkpoint = {
        "state_dict": model.state_dict(),
        "hyper_parameters": dict(model.hparams),
        "pytorch-lightning_version": lightning.__version__,
    }
    model.on_save_checkpoint(checkpoint)  # adds pyannote's versions, architecture, specs
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(checkpoint, path)
    return path


def build_segmentation(folder: Path, favoured_class: int, duration: float = 5.0) -> Path:
    """A tiny powerset PyanNet (3 speakers, at most 2 at once) saved as folder/pytorch_model.bin."""
    import torch
    from pyannote.audio.core.task import Problem, Resolution, Specifications
    from pyannote.audio.models.segmentation import PyanNet

    torch.manual_seed(0)
    model = PyanNet(lstm={"hidden_size": 16, "num_layers": 1}, linear={"hidden_size": 16})
    model.specifications = Specifications(
        problem=Problem.MONO_LABEL_CLASSIFICATION,
        resolution=Resolution.FRAME,
        duration=duration,
        min_duration=duration,
        classes=["speaker#1", "speaker#2", "speaker#3"],
        powerset_max_classes=2,
        permutation_invariant=True,
    )
    model.build()
    with torch.no_grad():
        model.classifier.weight.mul_(0.01)
        model.classifier.bias.zero_()
        model.classifier.bias[favoured_class] = 5.0
    return _save(model, folder / "pytorch_model.bin").parent


def build_embedding(path: Path, kind: str = "xvector") -> Path:
    """A random speaker-embedding checkpoint (x-vector, 32 dims; or WeSpeaker ResNet34)."""
    import torch
    from pyannote.audio.core.task import Problem, Resolution, Specifications
    from pyannote.audio.models.embedding import WeSpeakerResNet34, XVectorMFCC

    torch.manual_seed(1)
    model: Any
    if kind == "xvector":
        model = XVectorMFCC(mfcc={"melkwargs": {"n_mels": 40}}, dimension=32)
    else:
        model = WeSpeakerResNet34()
    model.specifications = Specifications(
        problem=Problem.REPRESENTATION, resolution=Resolution.CHUNK, duration=5.0
    )
    return _save(model, path)


def build_plda(folder: Path, dimension: int, lda_dimension: int = 16) -> Path:
    """A valid PLDA: xvec_transform.npz (mean1, mean2, lda) and plda.npz (mu, tr, psi)."""
    rng = np.random.default_rng(2)
    folder.mkdir(parents=True, exist_ok=True)
    lda = np.linalg.qr(rng.standard_normal((dimension, dimension)))[0][:, :lda_dimension]
    np.savez(
        folder / "xvec_transform.npz",
        mean1=np.zeros(dimension),
        mean2=np.zeros(lda_dimension),
        lda=lda,
    )
    np.savez(
        folder / "plda.npz",
        mu=np.zeros(lda_dimension),
        tr=np.eye(lda_dimension),
        psi=np.linspace(5.0, 0.5, lda_dimension),
    )
    return folder


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("pyannote")
    return {
        "segmentation": build_segmentation(root / "segmentation", SPEAKER_00),
        "overlap": build_segmentation(root / "overlap", SPEAKERS_01),
        "embedding": build_embedding(root / "embedding" / "pytorch_model.bin"),
        "plda": build_plda(root / "plda", 32),
    }


@pytest.fixture(scope="module")
def session_audio() -> np.ndarray:
    return build_session(4, seed=31, voices=VOICES, pause_s=(0.8, 1.2)).audio


def _config(models: dict[str, Path], **kwargs: object) -> DiarizationConfig:
    return DiarizationConfig(
        segmentation=str(models["segmentation"]),
        embedding=str(models["embedding"]),
        plda=str(models["plda"]),
        segmentation_step=0.5,
        **kwargs,
    )


def _well_formed(turns: list[SpeechRegion], duration: float) -> None:
    assert turns, "the biased model speaks everywhere, so there must be turns"
    assert turns == sorted(turns, key=lambda t: (t.start_s, t.end_s, t.speaker or ""))
    for turn in turns:
        assert 0.0 <= turn.start_s < turn.end_s <= duration + 0.05
        assert re.fullmatch(r"SPEAKER_\d\d", turn.speaker or "")


def test_checkpoints_reload_through_from_pretrained(models: dict[str, Path]) -> None:
    segmentation = load_pyannote_model(models["segmentation"])
    assert segmentation.specifications.powerset
    assert load_pyannote_model(models["embedding"]).dimension == 32


def test_missing_or_corrupt_checkpoints_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(SegmentationError, match="does not exist"):
        load_pyannote_model(tmp_path / "nowhere" / "pytorch_model.bin")
    corrupt = tmp_path / "corrupt.bin"
    corrupt.write_bytes(b"not a checkpoint")
    with pytest.raises(SegmentationError, match="cannot load pyannote model"):
        load_pyannote_model(corrupt)


def test_plda_folder_must_hold_both_files(models: dict[str, Path], tmp_path: Path) -> None:
    (tmp_path / "plda.npz").write_bytes(b"")
    with pytest.raises(SegmentationError, match=r"lacks xvec_transform\.npz"):
        DiarizationConfig(str(models["segmentation"]), str(models["embedding"]), str(tmp_path))


def test_pyannote_vad_in_memory(models: dict[str, Path], session_audio: np.ndarray) -> None:
    vad = PyannoteVad(str(models["segmentation"]), step_ratio=0.5)
    config = SegmentConfig(method="pyannote", max_clip_s=6.0)
    clips, activity = segment_audio(session_audio, config, vad)
    duration = session_audio.size / SR
    assert activity.speech and activity.overlap == ()
    assert activity.speech[0].start_s < 0.1 and activity.speech[-1].end_s > duration - 0.1
    assert clips and all(c.duration_s <= 6.0 + 1e-6 for c in clips)
    overlapping = PyannoteVad(str(models["overlap"]), step_ratio=0.5)
    clips, activity = segment_audio(session_audio, config, overlapping)
    assert activity.overlap and all(c.overlap_s > 0 for c in clips)


def test_diarization_on_memory_and_on_a_file(
    models: dict[str, Path], session_audio: np.ndarray, tmp_path: Path
) -> None:
    diarizer = Diarizer(_config(models, max_speakers=3))
    duration = session_audio.size / SR
    in_memory = diarizer.diarize(session_audio)
    _well_formed(in_memory, duration)
    path = tmp_path / "session.flac"
    sf.write(path, session_audio, SR)
    from_file = diarizer.diarize(path)
    _well_formed(from_file, duration)
    assert [t.speaker for t in from_file] == [t.speaker for t in in_memory]


def test_labels_are_scoped_to_the_recording_unless_mapped(tmp_path: Path) -> None:
    turns = [SpeechRegion(0, 1, "SPEAKER_00"), SpeechRegion(1, 2, "SPEAKER_01")]
    scoped = scope_speakers(turns, "rec-abc", {"rec-abc:SPEAKER_01": "alice"})
    assert [t.speaker for t in scoped] == ["rec-abc:SPEAKER_00", "alice"]
    mapping = tmp_path / "map.json"
    mapping.write_bytes(b"\xff\xfe not utf-8")
    with pytest.raises(SegmentationError, match="cannot read it as JSON"):
        load_speaker_map(mapping)


def test_store_run_with_pyannote_vad_and_diarization(
    project: Project, models: dict[str, Path], session_audio: np.ndarray, tmp_path: Path
) -> None:
    recording_id = add_recording(project, tmp_path / "calls" / "call.wav", session_audio)
    report = segment_recordings(
        project,
        [recording_id],
        SegmentConfig(method="pyannote", max_clip_s=6.0),
        segmentation=str(models["overlap"]),
        diarization=_config(models),
    )
    assert report.failures == () and report.clips_created > 0
    assert report.overlap_clips == report.clips_created
    with project.session() as session:
        clips = list(session.scalars(select(Clip).where(Clip.origin == "segment")))
        key = recording_key(clips[0].recording)
    for clip in clips:
        assert re.fullmatch(re.escape(key) + r":SPEAKER_\d\d", clip.speaker or "")
        assert "overlap" in clip.tags
        assert clip.lineage["diarization"]["plda"] == str(models["plda"])
        assert clip.lineage["backend"] == "pyannote"


@pytest.mark.slow
def test_diarization_with_a_wespeaker_resnet_embedding(
    models: dict[str, Path], session_audio: np.ndarray, tmp_path: Path
) -> None:
    embedding = build_embedding(tmp_path / "resnet.bin", kind="resnet")
    config = DiarizationConfig(
        segmentation=str(models["segmentation"]),
        embedding=str(embedding),
        plda=str(build_plda(tmp_path / "plda", 256)),
        segmentation_step=0.5,
    )
    _well_formed(Diarizer(config).diarize(session_audio), session_audio.size / SR)
