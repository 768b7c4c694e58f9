"""Build a ready demo project offline: a product catalog, synthetic speakers, spoken queries.

The audio is synthesized with espeak-ng (:mod:`voxcart.datasets.demo.synth`) from the spoken form of
generated shopping queries, resampled to 16 kHz, padded with silence and, for a fraction of the
clips, mixed with generated noise. Each clip's source text is stored only as a gold
reference (``ClipReference``), never as a transcript or suggestion, so the demo starts
unlabelled like a real project and simulations can still score against the truth.
"""

from __future__ import annotations

import hashlib
import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sqlalchemy import func, select

from voxcart.datasets.audio import resample, write_wav
from voxcart.datasets.catalog.store import import_catalog
from voxcart.datasets.demo.catalog import demo_products, write_demo_catalog
from voxcart.datasets.demo.queries import DemoQuery, generate_queries
from voxcart.datasets.demo.synth import Voice, available_voices, synthesize
from voxcart.datasets.errors import ProjectError
from voxcart.datasets.ingest.engine import ImportItem, import_items
from voxcart.datasets.store.project import Project, init_project
from voxcart.datasets.store.schema import Clip, ClipReference, Product
from voxcart.datasets.text.normalize import normalize

TARGET_SR = 16_000
REFERENCE_SOURCE = "demo-tts"
DEMO_ORIGIN = "demo"
CATALOG_NAME = "demo"
MAX_CLIPS = 5_000
NOISE_KINDS: tuple[str, ...] = ("pink", "brown", "babble")
SNR_RANGE_DB = (5, 20)
_PLAN_VERSION = 1
_GOLDEN = (5**0.5 - 1) / 2
DEFAULT_SPEAKERS = 16
# Preferred English voices and variants; only those the installed espeak-ng has are used.
_VOICES: tuple[tuple[str, str], ...] = (
    ("en-us", "en-US"),
    ("en-gb-x-rp", "en-GB"),
    ("en", "en-GB"),
    ("en-029", "en-029"),
    ("en-gb-scotland", "en-GB"),
    ("en-us-nyc", "en-US"),
    ("en-gb-x-gbclan", "en-GB"),
    ("en-gb-x-gbcwmd", "en-GB"),
)
_VARIANTS: tuple[str | None, ...] = (
    "f1", "f2", "f3", "f4", "f5", "m1", "m2", "m3", "m4", "m5", "m6", "m7", None,
)  # fmt: skip
Progress = Callable[[int, int | None], None]


@dataclass(frozen=True)
class Speaker:
    """A synthetic speaker: an id and the fixed voice every one of its clips uses."""

    id: str
    voice: Voice
    gain_db: float


@dataclass(frozen=True)
class ClipPlan:
    """Everything that determines one demo clip's audio; its digest names the file."""

    index: int
    query: DemoQuery
    speaker: Speaker
    session: str
    lead_s: float
    tail_s: float
    noise: str | None
    snr_db: int | None
    noise_seed: int
    babble: tuple[tuple[str, Voice], ...] = ()

    @property
    def digest(self) -> str:
        """Stable content id of the plan (same plan, same audio, same file and clip uid)."""
        key = repr(
            (
                _PLAN_VERSION,
                self.query.spoken,
                self.speaker,
                self.lead_s,
                self.tail_s,
                self.noise,
                self.snr_db,
                self.noise_seed,
                self.babble,
            )
        )
        return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]

    @property
    def tags(self) -> tuple[str, ...]:
        """Clip tags: always ``tts``; noisy clips add ``noise:<kind>`` and ``snr:<dB>``."""
        if self.noise is None:
            return ("tts",)
        return ("tts", f"noise:{self.noise}", f"snr:{self.snr_db}")


@dataclass(frozen=True)
class DemoSummary:
    """What a demo build produced (counts cover the whole demo, not just this run)."""

    root: Path
    clips: int
    new_clips: int
    speakers: int
    hours: float
    products: int
    categories: int
    noisy_clips: int
    rejected: int = 0

    def to_text(self) -> str:
        """A short report for people."""
        minutes = self.hours * 60
        lines = [
            f"demo project: {self.root}",
            f"  clips:      {self.clips} ({self.new_clips} new), {minutes:.1f} min of audio, "
            f"{self.noisy_clips} with background noise",
            f"  speakers:   {self.speakers} synthetic voices",
            f"  catalog:    {self.products} products in {self.categories} categories",
        ]
        if self.rejected:
            lines.append(f"  rejected:   {self.rejected} clip(s); see {self.root / 'reports'}")
        return "\n".join(lines)


def make_speakers(count: int, seed: int = 0) -> list[Speaker]:
    """`count` distinct synthetic speakers drawn with `seed` from the installed English voices.

    Each speaker is a fixed (voice, variant, rate 130-200 wpm, pitch 30-70, gain) combination.
    """
    installed = set(available_voices("en"))
    voices = [pair for pair in _VOICES if pair[0] in installed]
    if not voices:
        voices = [(name, "en") for name in sorted(installed)][:4]
    if not voices:
        raise ProjectError("espeak-ng has no English voice; reinstall espeakng-loader")
    rng = np.random.default_rng([seed, 1])
    combos = [(v, variant) for v in voices for variant in _VARIANTS]
    order = rng.permutation(len(combos))
    speakers: list[Speaker] = []
    for number, combo_index in enumerate(order[:count], start=1):
        (name, language), variant = combos[int(combo_index)]
        voice = Voice(
            name=name,
            language=language,
            rate_wpm=int(rng.integers(130, 201)),
            pitch=int(rng.integers(30, 71)),
            variant=variant,
            pitch_range=int(rng.integers(35, 76)),
        )
        tag = variant or "base"
        speakers.append(Speaker(f"spk{number:02d}-{name}-{tag}", voice, float(rng.uniform(-6, 0))))
    return speakers


def _is_noisy(index: int, seed: int, fraction: float) -> bool:
    # A Weyl sequence: every run of clips gets within one clip of `fraction` noisy, and adding
    # clips to a demo never changes which of the earlier ones are noisy.
    offset = float(np.random.default_rng([seed, 4]).random())
    return (offset + index * _GOLDEN) % 1.0 < fraction


def plan_clips(
    queries: Sequence[DemoQuery],
    speakers: Sequence[Speaker],
    seed: int,
    noise_fraction: float,
    babble_texts: Sequence[str],
) -> list[ClipPlan]:
    """Assign queries to speakers and draw each clip's padding and noise condition.

    Clip ``i``'s plan depends only on the seed, ``i``, query ``i`` and the speakers, so a
    longer demo with the same seed extends a shorter one instead of replacing it.
    """
    if not speakers:
        raise ValueError("speakers is empty; make at least one with make_speakers()")
    order = np.random.default_rng([seed, 2]).permutation(len(speakers))
    plans: list[ClipPlan] = []
    for index, query in enumerate(queries):
        clip_rng = np.random.default_rng([seed, 3, index])
        owner = int(order[index % len(speakers)])
        speaker = speakers[owner]
        noise = snr = None
        babble: tuple[tuple[str, Voice], ...] = ()
        if _is_noisy(index, seed, noise_fraction):
            noise = NOISE_KINDS[int(clip_rng.integers(len(NOISE_KINDS)))]
            snr = int(clip_rng.integers(SNR_RANGE_DB[0], SNR_RANGE_DB[1] + 1))
            if noise == "babble" and babble_texts:
                babble = tuple(
                    (
                        babble_texts[int(clip_rng.integers(len(babble_texts)))],
                        speakers[(owner + k) % len(speakers)].voice,
                    )
                    for k in range(1, 4)
                )
            elif noise == "babble":
                noise = "pink"
        plans.append(
            ClipPlan(
                index=index,
                query=query,
                speaker=speaker,
                session=f"{speaker.id}-s{1 + (index // len(speakers)) % 2}",
                lead_s=round(float(clip_rng.uniform(0.15, 0.4)), 3),
                tail_s=round(float(clip_rng.uniform(0.2, 0.5)), 3),
                noise=noise,
                snr_db=snr,
                noise_seed=int(clip_rng.integers(2**31)),
                babble=babble,
            )
        )
    return plans


def _speak(text: str, voice: Voice) -> np.ndarray:
    samples, rate = synthesize(text, voice)
    return resample(samples, rate, TARGET_SR)


def _colored_noise(kind: str, length: int, rng: np.random.Generator) -> np.ndarray:
    white = rng.standard_normal(length)
    if kind == "brown":
        walk = np.cumsum(white)
        # Remove the drift so the noise stays centred over the clip.
        trend = np.linspace(walk[0], walk[-1], length) if length > 1 else walk
        return np.asarray(walk - trend, dtype=np.float64)
    spectrum = np.fft.rfft(white)
    freqs = np.fft.rfftfreq(length, d=1.0 / TARGET_SR)
    freqs[0] = freqs[1] if length > 2 else 1.0
    shaped = np.fft.irfft(spectrum / np.sqrt(freqs), n=length)
    return np.asarray(shaped, dtype=np.float64)


def _babble(plan: ClipPlan, length: int, rng: np.random.Generator) -> np.ndarray:
    mix = np.zeros(length)
    for text, voice in plan.babble:
        talker = _speak(text, voice).astype(np.float64)
        talker = talker / (np.sqrt(np.mean(talker**2)) + 1e-9)
        if talker.size < length:
            talker = np.tile(talker, int(np.ceil(length / max(talker.size, 1))) + 1)
        start = int(rng.integers(0, talker.size - length + 1))
        mix += talker[start : start + length]
    return mix


def render_clip(plan: ClipPlan) -> np.ndarray:
    """Synthesize one planned clip: 16 kHz float32 mono speech, padding and noise."""
    speech = _speak(plan.query.spoken, plan.speaker.voice).astype(np.float64)
    rng = np.random.default_rng(plan.noise_seed)
    peak = float(np.max(np.abs(speech))) or 1.0
    speech *= 0.8 / peak * 10 ** (plan.speaker.gain_db / 20)
    lead, tail = round(plan.lead_s * TARGET_SR), round(plan.tail_s * TARGET_SR)
    audio = np.concatenate([np.zeros(lead), speech, np.zeros(tail)])
    if plan.noise is not None and plan.snr_db is not None:
        if plan.noise == "babble":
            noise = _babble(plan, audio.size, rng)
        else:
            noise = _colored_noise(plan.noise, audio.size, rng)
        speech_power = float(np.mean(speech**2))
        noise_power = float(np.mean(noise**2)) or 1.0
        audio += noise * np.sqrt(speech_power / (noise_power * 10 ** (plan.snr_db / 10)))
    # A faint floor, as any microphone has; digital silence would look synthetic.
    audio += rng.standard_normal(audio.size) * 1e-4
    peak = float(np.max(np.abs(audio)))
    if peak > 0.98:
        audio *= 0.98 / peak
    return audio.astype(np.float32)


def _import_catalog(project: Project, path: Path) -> tuple[int, int]:
    """Import the demo catalog like any user catalog; returns (products, categories)."""
    summary = import_catalog(project, path, name=CATALOG_NAME)
    with project.session() as session:
        categories = session.scalar(
            select(func.count(func.distinct(Product.category))).where(
                Product.catalog_id == summary.catalog_id
            )
        )
    return summary.products, int(categories or 0)


def _store_references(project: Project, plans: Sequence[ClipPlan]) -> None:
    uids = {f"demo-{plan.digest}": plan for plan in plans}
    with project.session() as session:
        found = session.execute(select(Clip.uid, Clip.id).where(Clip.uid.in_(list(uids)))).all()
        existing = set(
            session.scalars(
                select(ClipReference.clip_id).where(
                    ClipReference.clip_id.in_([clip_id for _uid, clip_id in found])
                )
            )
        )
        for uid, clip_id in found:
            if clip_id not in existing:
                text = uids[uid].query.written
                session.add(ClipReference(clip_id=clip_id, text=text, source=REFERENCE_SOURCE))


def _assign_splits(project: Project) -> None:
    try:
        splits = importlib.import_module("voxcart.datasets.splits")
    except ModuleNotFoundError as exc:
        if exc.name != "voxcart.datasets.splits":
            raise
        return
    splits.assign_splits(project)


def _totals(project: Project) -> tuple[int, int, float, int]:
    with project.session() as session:
        demo = select(Clip).where(Clip.origin == DEMO_ORIGIN).subquery()
        clips, speakers, seconds = session.execute(
            select(
                func.count(), func.count(func.distinct(demo.c.speaker)), func.sum(demo.c.duration_s)
            )
        ).one()
        tags = session.scalars(select(Clip.tags).where(Clip.origin == DEMO_ORIGIN))
        noisy = sum(1 for clip_tags in tags if any(str(t).startswith("noise:") for t in clip_tags))
    return int(clips), int(speakers), float(seconds or 0.0) / 3600, noisy


def build_demo(
    root: Path,
    *,
    n_clips: int = 300,
    seed: int = 0,
    noise_fraction: float = 0.25,
    n_speakers: int | None = None,
    progress: Progress | None = None,
) -> DemoSummary:
    """Create (or complete) a demo project in `root`.

    Deterministic for a given seed; re-running on the same directory adds nothing that is
    already there (files are named after their content plan, imports deduplicate).

    Args:
        root: the project directory (created if missing; an existing project is reused).
        n_clips: how many spoken queries to synthesize.
        seed: drives the catalog sample, the queries, the speakers and the noise.
        noise_fraction: share of clips mixed with pink, brown or babble noise at 5-20 dB SNR.
        n_speakers: synthetic speakers (default DEFAULT_SPEAKERS, fewer for tiny demos).
        progress: called as progress(done, total) after each synthesized clip.

    Raises:
        ValueError: an argument is out of range.
        SynthesisError: espeak-ng cannot be loaded.
        ProjectError: `root` cannot be used as a project directory, or is a project that
            holds clips other than demo clips.
    """
    if not 1 <= n_clips <= MAX_CLIPS:
        raise ValueError(f"n_clips={n_clips} must be between 1 and {MAX_CLIPS}")
    if not 0.0 <= noise_fraction <= 1.0:
        raise ValueError(f"noise_fraction={noise_fraction} must be between 0 and 1")
    if n_speakers is not None and not 1 <= n_speakers <= 50:
        raise ValueError(f"n_speakers={n_speakers} must be between 1 and 50")
    speaker_count = n_speakers or DEFAULT_SPEAKERS
    project = init_project(root)
    try:
        _refuse_user_project(project)
        media = project.media_dir / "demo"
        catalog_path = media / "demo_catalog.csv"
        write_demo_catalog(catalog_path, seed=seed)
        products, categories = _import_catalog(project, catalog_path)
        queries = generate_queries(demo_products(seed), n=n_clips, seed=seed)
        speakers = make_speakers(speaker_count, seed=seed)
        babble = [normalize(p.title) for p in demo_products(seed)]
        plans = plan_clips(queries, speakers, seed, noise_fraction, babble)
        items: list[ImportItem] = []
        for done, plan in enumerate(plans, start=1):
            path = media / f"{plan.speaker.id}" / f"demo-{plan.digest}.wav"
            if not path.is_file():
                write_wav(path, render_clip(plan), TARGET_SR)
            items.append(
                ImportItem(
                    path=path,
                    transcript=None,
                    speaker=plan.speaker.id,
                    session=plan.session,
                    locale=plan.speaker.voice.language,
                    uid=f"demo-{plan.digest}",
                    tags=plan.tags,
                    lineage=_lineage(plan),
                    source_format="demo",
                )
            )
            if progress is not None:
                progress(done, len(plans))
        report = import_items(
            project, items, origin=DEMO_ORIGIN, transcripts=False, source=str(media), fmt="demo"
        )
        _store_references(project, plans)
        _assign_splits(project)
        clips, speaker_total, hours, noisy = _totals(project)
    finally:
        project.close()
    return DemoSummary(
        root=project.root,
        clips=clips,
        new_clips=report.imported,
        speakers=speaker_total,
        hours=hours,
        products=products,
        categories=categories,
        noisy_clips=noisy,
        rejected=report.rejected,
    )


def _refuse_user_project(project: Project) -> None:
    with project.session() as session:
        others = session.scalar(
            select(func.count()).select_from(Clip).where(Clip.origin != DEMO_ORIGIN)
        )
    if others:
        raise ProjectError(
            f"{project.root} is a project with {others} clip(s) of your own; build the demo in a "
            "new or empty directory so that synthetic clips never mix with real ones"
        )


def _lineage(plan: ClipPlan) -> dict[str, object]:
    voice = plan.speaker.voice
    record: dict[str, object] = {
        "generator": "voxcart-demo",
        "tts": {
            "engine": "espeak-ng",
            "voice": voice.spec,
            "rate_wpm": voice.rate_wpm,
            "pitch": voice.pitch,
            "pitch_range": voice.pitch_range,
            "gain_db": round(plan.speaker.gain_db, 2),
        },
        "lead_s": plan.lead_s,
        "tail_s": plan.tail_s,
    }
    if plan.noise is not None:
        record["noise"] = {"kind": plan.noise, "snr_db": plan.snr_db, "seed": plan.noise_seed}
    return record
