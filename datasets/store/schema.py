"""The project store's tables: recordings, clips, transcripts, users, queues, rounds, models.

Nothing here is ever updated in place where history matters: transcripts are append-only
revisions, derived clips point at their parent, and exports are recorded as dataset versions.
Portable SQL only (no SQLite-specific types), so that a PostgreSQL URL works unchanged.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any, ClassVar, Protocol

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Stable constraint names, so that Alembic migrations can alter them on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Timezone-aware current time, the only clock the store uses."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Declarative base carrying the shared naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


class Role(enum.StrEnum):
    """What a user may do in the app."""

    ANNOTATOR = "annotator"
    REVIEWER = "reviewer"
    LEAD = "lead"


class RevisionStatus(enum.StrEnum):
    """The state a transcript revision puts its clip in."""

    ACCEPTED = "accepted"
    CORRECTED = "corrected"
    REVIEWED = "reviewed"
    TYPED = "typed"
    """Transcribed from scratch while the suggestion was hidden (retype mode): the text is the
    annotator's own, so it says nothing about whether the hidden suggestion was right."""
    SKIPPED = "skipped"
    FLAGGED = "flagged"


ANNOTATION_STATUSES: tuple[RevisionStatus, ...] = (
    RevisionStatus.ACCEPTED,
    RevisionStatus.CORRECTED,
    RevisionStatus.TYPED,
)
"""An annotator's transcript (the suggestion kept, corrected, or typed with it hidden), waiting
for review."""
LABEL_STATUSES: tuple[RevisionStatus, ...] = (*ANNOTATION_STATUSES, RevisionStatus.REVIEWED)
"""A transcript that counts as a label: an annotator's, or one a reviewer approved or edited."""


class TaskState(enum.StrEnum):
    """Life of a queue entry."""

    PENDING = "pending"
    LEASED = "leased"
    DONE = "done"
    CANCELLED = "cancelled"


OPEN_TASK_STATES: tuple[TaskState, ...] = (TaskState.PENDING, TaskState.LEASED)
"""A task in one of these states is open: waiting for, or leased to, somebody."""
OPEN_TASK_SQL = "state IN (" + ", ".join(f"'{state.value}'" for state in OPEN_TASK_STATES) + ")"
"""The SQL condition of an open task (the partial unique index's WHERE clause)."""


class Split(enum.StrEnum):
    """Dataset partitions."""

    TRAIN = "train"
    DEV = "dev"
    TEST = "test"


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    # Stored as plain strings (no native ENUM type), so adding a member needs no migration.
    return Enum(cls, name=name, native_enum=False, length=16, values_callable=_values)


def _values(cls: type[enum.Enum]) -> list[str]:
    return [str(member.value) for member in cls]


class User(Base):
    """A person (or a named process) who writes revisions."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(128), default="")
    password_hash: Mapped[str | None] = mapped_column(String(255), default=None)
    role: Mapped[Role] = mapped_column(_enum(Role, "role"), default=Role.ANNOTATOR)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class LoginSession(Base):
    """A browser login that survives a page refresh: only a hash of its token is stored."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)


class Recording(Base):
    """One source audio file, stored as is and referenced by path."""

    __tablename__ = "recordings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_path: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    format: Mapped[str] = mapped_column(String(16))
    subtype: Mapped[str] = mapped_column(String(32), default="")
    duration_s: Mapped[float] = mapped_column(Float)
    sample_rate: Mapped[int] = mapped_column(Integer)
    channels: Mapped[int] = mapped_column(Integer)
    num_frames: Mapped[int] = mapped_column(Integer)
    size_bytes: Mapped[int] = mapped_column(Integer, default=0)
    import_source: Mapped[str] = mapped_column(String(64), default="")
    info: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    clips: Mapped[list[Clip]] = relationship(back_populates="recording")


class ClipOrigin(Protocol):
    """What a derived clip takes from the clip it was made from (a :class:`Clip` row or a
    plain record of one)."""

    @property
    def id(self) -> int: ...

    @property
    def speaker(self) -> str | None: ...

    @property
    def session(self) -> str | None: ...

    @property
    def device(self) -> str | None: ...

    @property
    def locale(self) -> str: ...

    @property
    def split(self) -> Split | None: ...

    @property
    def meta(self) -> dict[str, Any]: ...


class Clip(Base):
    """A span of a recording: the unit that is transcribed, split and exported."""

    __tablename__ = "clips"
    __table_args__ = (
        Index("ix_clips_split", "split"),
        Index("ix_clips_speaker", "speaker"),
        Index("ix_clips_parent_id", "parent_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uid: Mapped[str] = mapped_column(String(160), unique=True)
    recording_id: Mapped[int] = mapped_column(ForeignKey("recordings.id"), index=True)
    offset_s: Mapped[float] = mapped_column(Float, default=0.0)
    duration_s: Mapped[float] = mapped_column(Float)
    speaker: Mapped[str | None] = mapped_column(String(128), default=None)
    session: Mapped[str | None] = mapped_column(String(128), default=None)
    device: Mapped[str | None] = mapped_column(String(128), default=None)
    locale: Mapped[str] = mapped_column(String(16), default="en-US")
    split: Mapped[Split | None] = mapped_column(_enum(Split, "split"), default=None)
    split_locked: Mapped[bool] = mapped_column(Boolean, default=False)
    tags: Mapped[list[Any]] = mapped_column(JSON, default=list)
    origin: Mapped[str] = mapped_column(String(32), default="import")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("clips.id"), default=None)
    lineage: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    meta: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, server_default="{}")
    """Manifest columns voxcart has no field for (name -> text; see ``clip_meta``)."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    recording: Mapped[Recording] = relationship(back_populates="clips")
    parent: Mapped[Clip | None] = relationship(remote_side="Clip.id")

    @classmethod
    def derived_from(cls, parent: ClipOrigin, **columns: Any) -> Clip:
        """A new clip made from `parent` (augmented, re-cut): it keeps the speaker, session,
        device, locale, split and metadata, names `parent` as its parent, and takes `columns`
        (uid, recording, span, tags, origin, lineage) as given."""
        inherited: dict[str, Any] = {
            "speaker": parent.speaker,
            "session": parent.session,
            "device": parent.device,
            "locale": parent.locale,
            "split": parent.split,
            "meta": dict(parent.meta or {}),
            "parent_id": parent.id,
        }
        return cls(**{**inherited, **columns})


class ClipReference(Base):
    """A clip's gold reference: what it really says, for evaluation only.

    Stored by ``voxcart import --as-reference`` (source ``import``) or by ``voxcart demo``
    (``demo-tts``, the text a clip was synthesized from). Scored against by ``voxcart eval
    --reference gold`` and used by simulations as an oracle; never a revision, never shown to
    annotators, never in an export, LM or training corpus, never counted as a label.
    """

    __tablename__ = "clip_references"

    clip_id: Mapped[int] = mapped_column(ForeignKey("clips.id"), primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(64))


class ModelVersion(Base):
    """A registered model (a backend plus its weights/LM), with its training config and metrics."""

    __tablename__ = "model_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    backend: Mapped[str] = mapped_column(String(32))
    path: Mapped[str | None] = mapped_column(Text, default=None)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("model_versions.id"), default=None)
    dataset_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("dataset_versions.id"), default=None
    )
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Suggestion(Base):
    """A model's hypothesis for a clip: text, timed words with confidences, utterance scores."""

    __tablename__ = "suggestions"
    __table_args__ = (UniqueConstraint("clip_id", "model_version_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    clip_id: Mapped[int] = mapped_column(ForeignKey("clips.id"), index=True)
    model_version_id: Mapped[int] = mapped_column(ForeignKey("model_versions.id"))
    text: Mapped[str] = mapped_column(Text)
    words: Mapped[list[Any]] = mapped_column(JSON, default=list)
    scores: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    nbest: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Revision(Base):
    """One append-only transcript revision; a clip's current transcript is its newest revision."""

    __tablename__ = "revisions"
    __table_args__ = (Index("ix_revisions_clip_id_id", "clip_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    clip_id: Mapped[int] = mapped_column(ForeignKey("clips.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    source: Mapped[str] = mapped_column(String(64), default="human")
    verbatim: Mapped[str] = mapped_column(Text, default="")
    normalized: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[RevisionStatus] = mapped_column(_enum(RevisionStatus, "revision_status"))
    flags: Mapped[list[Any]] = mapped_column(JSON, default=list)
    time_spent_s: Mapped[float | None] = mapped_column(Float, default=None)
    suggestion_id: Mapped[int | None] = mapped_column(ForeignKey("suggestions.id"), default=None)
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("revisions.id"), default=None)
    is_human: Mapped[bool] = mapped_column(Boolean, default=True)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    user: Mapped[User | None] = relationship()


class ALRound(Base):
    """One active-learning round: what was selected, how, and which model came out of it."""

    __tablename__ = "al_rounds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[int] = mapped_column(Integer)
    strategy: Mapped[str] = mapped_column(String(64))
    budget: Mapped[str] = mapped_column(String(32), default="")
    status: Mapped[str] = mapped_column(String(32), default="created")
    model_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("model_versions.id"), default=None
    )
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Task(Base):
    """A queue entry: a clip waiting to be annotated or reviewed, leased to one person at a time."""

    __tablename__ = "tasks"
    __table_args__ = (
        Index("ix_tasks_state_priority", "kind", "state", "priority"),
        # At most one open task per clip and queue, even when two processes enqueue at once.
        Index(
            "uq_tasks_open_clip_kind",
            "clip_id",
            "kind",
            unique=True,
            sqlite_where=text(OPEN_TASK_SQL),
            postgresql_where=text(OPEN_TASK_SQL),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    clip_id: Mapped[int] = mapped_column(ForeignKey("clips.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="annotate")
    priority: Mapped[float] = mapped_column(Float, default=0.0)
    round_id: Mapped[int | None] = mapped_column(ForeignKey("al_rounds.id"), default=None)
    state: Mapped[TaskState] = mapped_column(
        _enum(TaskState, "task_state"), default=TaskState.PENDING
    )
    leased_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    lease_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)


class Catalog(Base):
    """An imported product catalog."""

    __tablename__ = "catalogs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    source_path: Mapped[str] = mapped_column(Text, default="")
    content_hash: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Product(Base):
    """One catalog product."""

    __tablename__ = "products"
    __table_args__ = (UniqueConstraint("catalog_id", "sku"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    catalog_id: Mapped[int] = mapped_column(ForeignKey("catalogs.id"), index=True)
    sku: Mapped[str] = mapped_column(String(128))
    title: Mapped[str] = mapped_column(Text)
    brand: Mapped[str] = mapped_column(String(128), default="")
    category: Mapped[str] = mapped_column(String(128), default="")
    price: Mapped[float | None] = mapped_column(Float, default=None)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class CatalogTerm(Base):
    """An entity-vocabulary entry derived from a catalog (brand, product type, model, attribute)."""

    __tablename__ = "catalog_terms"
    __table_args__ = (UniqueConstraint("catalog_id", "kind", "normalized"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    catalog_id: Mapped[int] = mapped_column(ForeignKey("catalogs.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    term: Mapped[str] = mapped_column(String(255))
    normalized: Mapped[str] = mapped_column(String(255))
    count: Mapped[int] = mapped_column(Integer, default=1)


class DatasetVersion(Base):
    """One export: its format, options, content hash and datasheet."""

    __tablename__ = "dataset_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    format: Mapped[str] = mapped_column(String(16))
    content_hash: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(Text)
    row_count: Mapped[int] = mapped_column(Integer)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    datasheet: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
