"""The data model (SPEC §2): datasets, blocs, actors, sources, passages, relations, events, accounts.

Curated things carry the string ids of the dataset files, unique across the
whole database, so a reload updates them in place and links stay valid.
Partial dates are kept as written (``2015-09``) beside the first and last day
they cover, which is what the filters compare against.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    CheckConstraint,
    LargeBinary,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .db import Base

VOICES = ("report", "quote", "opinion")
# Badge text and a longer description for each voice, as readers see them.
VOICE_LABELS = {"report": "Reported", "quote": "Quote", "opinion": "Opinion"}
VOICE_TITLES = {"report": "Reported as fact", "quote": "Quoted statement", "opinion": "The author's opinion"}
CONFIDENCES = ("low", "medium", "high")
ACTOR_KINDS = ("state", "organization", "coalition", "armed_group", "person", "group")
# Least to most trusted: viewers read, editors write their own notes, admins everything.
ROLES = ("viewer", "editor", "admin")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# Where a curated record's current state came from: a dataset file (``load``), or an edit in the app.
ORIGINS = ("file", "app")


class Versioned:
    """A curated record's version and provenance (the one versioning mechanism, see services.versioning).

    ``version`` goes up by one with every change, from a load or from the app; a
    writer names the version it read and the UPDATE is conditional on it.
    ``origin`` says whether the current state came from the files or from the
    app (``changed_by`` is then who): the load rule refuses to overwrite app state.
    """

    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    origin: Mapped[str] = mapped_column(String(10), default="file", server_default="file")
    changed_by: Mapped[str | None] = mapped_column(String(64))
    changed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class Dataset(Base):
    __tablename__ = "datasets"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    # Bumped by every load that changes something; caches key on it.
    revision: Mapped[int] = mapped_column(Integer, default=1)
    # Names its articles use that are not actors (dataset.yaml's ignored_names), one per line.
    ignored_names: Mapped[str] = mapped_column(Text, default="", server_default="")
    loaded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    blocs: Mapped[list[Bloc]] = relationship(back_populates="dataset", order_by="Bloc.position")
    relation_types: Mapped[list[RelationType]] = relationship(
        back_populates="dataset", order_by="RelationType.position", cascade="all, delete-orphan"
    )


class RelationType(Base):
    """A relation type a dataset adds to the built-in vocabulary."""

    __tablename__ = "relation_types"
    __table_args__ = (CheckConstraint("sign IN (-1, 0, 1)", name="sign"),)

    dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"), primary_key=True)
    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    label: Mapped[str] = mapped_column(String(200))
    sign: Mapped[int] = mapped_column(Integer)
    directed: Mapped[bool]
    position: Mapped[int] = mapped_column(Integer, default=0)

    dataset: Mapped[Dataset] = relationship(back_populates="relation_types")


class Bloc(Versioned, Base):
    __tablename__ = "blocs"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    color: Mapped[str] = mapped_column(String(7))
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)

    dataset: Mapped[Dataset] = relationship(back_populates="blocs")


class Actor(Versioned, Base):
    __tablename__ = "actors"
    __table_args__ = (CheckConstraint(f"kind IN {ACTOR_KINDS!r}", name="kind"),)

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    bloc_id: Mapped[str | None] = mapped_column(ForeignKey("blocs.id", ondelete="SET NULL"), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    country: Mapped[str | None] = mapped_column(String(3))
    affiliation_id: Mapped[str | None] = mapped_column(ForeignKey("actors.id", ondelete="SET NULL"))
    position: Mapped[int] = mapped_column(Integer, default=0)

    bloc: Mapped[Bloc | None] = relationship()
    aliases: Mapped[list[ActorAlias]] = relationship(
        back_populates="actor", order_by="ActorAlias.position", cascade="all, delete-orphan"
    )

    @property
    def alias_names(self) -> list[str]:
        return [alias.name for alias in self.aliases]


class ActorAlias(Base):
    __tablename__ = "actor_aliases"

    actor_id: Mapped[str] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)

    actor: Mapped[Actor] = relationship(back_populates="aliases")


class Source(Versioned, Base):
    __tablename__ = "sources"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(500))
    publisher: Mapped[str | None] = mapped_column(String(300))
    author: Mapped[str | None] = mapped_column(String(300))
    url: Mapped[str | None] = mapped_column(String(2000))
    published: Mapped[str | None] = mapped_column(String(10))
    published_first: Mapped[dt.date | None] = mapped_column(Date)
    # Why the publication date is inferred rather than stated; None when stated.
    published_inferred: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(20), default="en")
    text: Mapped[str] = mapped_column(Text)
    # The front matter's own file name, so export writes the same file back.
    filename: Mapped[str] = mapped_column(String(300))
    # Derived from the texts (services/corroboration.py): the original this source republishes, and the
    # share of its sentences (per cent) found there. Recomputed whenever the dataset's sources change.
    republished_from: Mapped[str | None] = mapped_column(String(100))
    republished_share: Mapped[int | None] = mapped_column(Integer)

    passages: Mapped[list[Passage]] = relationship(back_populates="source", order_by="Passage.start")


class Passage(Base):
    """A span of a source's text used as evidence, anchored by offsets and by its quote."""

    __tablename__ = "passages"
    __table_args__ = (
        UniqueConstraint("source_id", "start", "end"),
        CheckConstraint("start >= 0 AND start < \"end\"", name="span"),
        CheckConstraint(f"voice IN {VOICES!r}", name="voice"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[str] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    start: Mapped[int]
    end: Mapped[int]
    exact: Mapped[str] = mapped_column(Text)
    prefix: Mapped[str] = mapped_column(Text, default="")
    suffix: Mapped[str] = mapped_column(Text, default="")
    voice: Mapped[str] = mapped_column(String(10))
    speaker_id: Mapped[str | None] = mapped_column(ForeignKey("actors.id", ondelete="SET NULL"), index=True)

    source: Mapped[Source] = relationship(back_populates="passages")
    speaker: Mapped[Actor | None] = relationship()


class Relation(Versioned, Base):
    __tablename__ = "relations"
    __table_args__ = (
        CheckConstraint("sign IN (-1, 0, 1)", name="sign"),
        CheckConstraint(f"confidence IN {CONFIDENCES!r}", name="confidence"),
        CheckConstraint("start_first IS NULL OR end_last IS NULL OR start_first <= end_last", name="interval"),
    )

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"), index=True)
    source_id: Mapped[str] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"), index=True)
    target_id: Mapped[str] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"), index=True)
    type: Mapped[str] = mapped_column(String(100), index=True)
    sign: Mapped[int] = mapped_column(Integer)
    directed: Mapped[bool]
    start: Mapped[str | None] = mapped_column(String(10))
    end: Mapped[str | None] = mapped_column(String(10))
    start_first: Mapped[dt.date | None] = mapped_column(Date, index=True)
    end_last: Mapped[dt.date | None] = mapped_column(Date, index=True)
    # Why each bound is inferred rather than stated by the sources; None when stated (or absent).
    start_inferred: Mapped[str | None] = mapped_column(Text)
    end_inferred: Mapped[str | None] = mapped_column(Text)
    confidence: Mapped[str] = mapped_column(String(10))
    summary: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)

    source: Mapped[Actor] = relationship(foreign_keys=[source_id])
    target: Mapped[Actor] = relationship(foreign_keys=[target_id])
    evidence: Mapped[list[RelationEvidence]] = relationship(
        order_by="RelationEvidence.position", cascade="all, delete-orphan"
    )


class RelationEvidence(Base):
    __tablename__ = "relation_evidence"

    relation_id: Mapped[str] = mapped_column(ForeignKey("relations.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    passage_id: Mapped[int] = mapped_column(ForeignKey("passages.id", ondelete="CASCADE"), index=True)

    passage: Mapped[Passage] = relationship()


class Event(Versioned, Base):
    __tablename__ = "events"
    __table_args__ = (
        CheckConstraint("end_last IS NULL OR date_first <= end_last", name="interval"),
    )

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"), index=True)
    date: Mapped[str] = mapped_column(String(10))
    end: Mapped[str | None] = mapped_column(String(10))
    date_first: Mapped[dt.date] = mapped_column(Date, index=True)
    date_last: Mapped[dt.date] = mapped_column(Date)
    end_last: Mapped[dt.date | None] = mapped_column(Date)
    start_inferred: Mapped[str | None] = mapped_column(Text)  # about ``date``
    end_inferred: Mapped[str | None] = mapped_column(Text)
    title: Mapped[str] = mapped_column(String(500))
    summary: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)

    actors: Mapped[list[EventActor]] = relationship(order_by="EventActor.position", cascade="all, delete-orphan")
    evidence: Mapped[list[EventEvidence]] = relationship(
        order_by="EventEvidence.position", cascade="all, delete-orphan"
    )


class EventActor(Base):
    __tablename__ = "event_actors"

    event_id: Mapped[str] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    actor_id: Mapped[str] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"), index=True)

    actor: Mapped[Actor] = relationship()


class EventEvidence(Base):
    __tablename__ = "event_evidence"

    event_id: Mapped[str] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    passage_id: Mapped[int] = mapped_column(ForeignKey("passages.id", ondelete="CASCADE"), index=True)

    passage: Mapped[Passage] = relationship()


class User(Base):
    """Someone who logs in: with a password in a browser (a LoginSession per login), or with API tokens."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint(f"role IN {ROLES!r}", name="role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(10))
    created: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    tokens: Mapped[list[ApiToken]] = relationship(
        back_populates="user", order_by="ApiToken.id", cascade="all, delete-orphan"
    )


class ApiToken(Base):
    """A bearer token for scripts; only its SHA-256 is kept, the token itself is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(200), default="")
    created: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship(back_populates="tokens")


class LoginSession(Base):
    """One login in one browser: its cookie carries a random token, of which only the SHA-256 is kept.

    Each login makes a new one; logging out revokes that one only, a new password all of the user's.
    Ended rows are kept for a while (when and where a session was used), then pruned at a login.
    """

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    user_agent: Mapped[str | None] = mapped_column(String(300))
    address: Mapped[str | None] = mapped_column(String(100))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship(lazy="joined")


class LoginAttempt(Base):
    """A login attempt not (yet) known to have succeeded; the rate limit counts these.

    Kept in the database so that every app worker sees the same count.
    """

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), index=True)
    address: Mapped[str] = mapped_column(String(100), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)


# Who may see a note: its author only, or everyone.
VISIBILITIES = ("private", "shared")
# What a note is about: a curated record, or a span of a source's text.
TARGET_KINDS = ("actor", "relation", "event", "source")


class Annotation(Base):
    """A user's note on an actor, relation, event, or a span of a source (W3C Web Annotation).

    The target is kept by id and, for text, by quote and position, never by a
    foreign key: reloading a dataset must not touch notes, and a note whose
    target vanished is kept and shown as orphaned. ``version`` makes every
    UPDATE conditional on the version the writer read (optimistic locking).
    """

    __tablename__ = "annotations"
    __table_args__ = (
        CheckConstraint(f"visibility IN {VISIBILITIES!r}", name="visibility"),
        CheckConstraint(f"target_kind IN {TARGET_KINDS!r}", name="target_kind"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    creator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    # Kept as well as the id, so a note outlives its author's account and survives export/import.
    creator_name: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    visibility: Mapped[str] = mapped_column(String(10))
    target_kind: Mapped[str] = mapped_column(String(10))
    target_id: Mapped[str] = mapped_column(String(200))
    exact: Mapped[str | None] = mapped_column(Text)
    prefix: Mapped[str | None] = mapped_column(Text)
    suffix: Mapped[str | None] = mapped_column(Text)
    start: Mapped[int | None] = mapped_column(Integer)
    end: Mapped[int | None] = mapped_column(Integer)
    created: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    modified: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer)

    tags: Mapped[list[AnnotationTag]] = relationship(
        order_by="AnnotationTag.position", cascade="all, delete-orphan", lazy="selectin"
    )
    revisions: Mapped[list[AnnotationRevision]] = relationship(
        order_by="AnnotationRevision.id", cascade="all, delete-orphan", back_populates="annotation"
    )

    __mapper_args__ = {"version_id_col": version}


Index("ix_annotations_target", Annotation.target_kind, Annotation.target_id)


class AnnotationTag(Base):
    __tablename__ = "annotation_tags"

    annotation_id: Mapped[str] = mapped_column(ForeignKey("annotations.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    tag: Mapped[str] = mapped_column(String(50), index=True)


class AnnotationRevision(Base):
    """One change to a note: who, when, what (a snapshot of the note after the change)."""

    __tablename__ = "annotation_revisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    annotation_id: Mapped[str] = mapped_column(ForeignKey("annotations.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(10))
    editor_name: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    snapshot: Mapped[str] = mapped_column(Text)

    annotation: Mapped[Annotation] = relationship(back_populates="revisions")


# What happened to a record in one revision.
REVISION_ACTIONS = ("load", "create", "update", "delete", "restore", "revert", "merge")
RECORD_KINDS = ("bloc", "actor", "relation", "event", "source")


class RecordRevision(Base):
    """One change to a curated record: who, when, which fields (old → new), and the state after it.

    ``snapshot`` is the record in the dataset file format (what ``export`` writes),
    so any revision can be restored by validating and writing it again; for a
    ``delete`` it is the state that was removed. Kept without a foreign key: a
    deleted record's history outlives it, and is how it is restored.
    """

    __tablename__ = "record_revisions"
    __table_args__ = (
        CheckConstraint(f"kind IN {RECORD_KINDS!r}", name="kind"),
        CheckConstraint(f"action IN {REVISION_ACTIONS!r}", name="action"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[str] = mapped_column(String(100), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    record_id: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(10))
    editor_name: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    # {field: [old, new]} in the file format; empty for a baseline ``load`` revision.
    changes: Mapped[str] = mapped_column(Text, default="{}")
    snapshot: Mapped[str | None] = mapped_column(Text)


Index("ix_record_revisions_record", RecordRevision.kind, RecordRevision.record_id, RecordRevision.version)


class Upload(Base):
    """An article as uploaded in the browser, kept byte for byte so its text can be extracted again.

    Pending (``source_id`` None) between the preview and the confirmation; then it is that source's original.
    """

    __tablename__ = "uploads"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    dataset_id: Mapped[str | None] = mapped_column(String(100))
    filename: Mapped[str] = mapped_column(String(300))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    source_id: Mapped[str | None] = mapped_column(String(100), index=True)


class ActorPosition(Base):
    """Where the network draws an actor, in vis-network's canvas units: derived from the data (computed by
    ``load``, placed beside its neighbours by an edit), stored so every process draws the same picture."""

    __tablename__ = "actor_positions"

    actor_id: Mapped[str] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"), primary_key=True)
    x: Mapped[float] = mapped_column(Float)
    y: Mapped[float] = mapped_column(Float)
    # Placed by its bloc because it had no relation yet: moved once beside its neighbours when it gets one.
    provisional: Mapped[bool] = mapped_column(default=False, server_default=false())


class NetworkLayout(Base):
    """The one row saying what the stored positions were computed for."""

    __tablename__ = "network_layout"
    __table_args__ = (CheckConstraint("id = 1", name="single"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # A hash of everything the full layout was computed from (actors, relations, evidence counts):
    # a load relays the network out only when it changes.
    fingerprint: Mapped[str] = mapped_column(String(64))
    # The data revision of that full layout.
    revision: Mapped[str] = mapped_column(Text)
    # New with every write of positions (the full layout, or actors placed by an edit): caches key on it.
    stamp: Mapped[str] = mapped_column(String(32))
    computed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class LoadFingerprint(Base):
    """What a dataset's last load read (a hash of its files and of the code that reads them) and the state
    it left (a digest of revision, counts and versions): a reload finding both unchanged has nothing to
    do. Derived, like the search index: backups leave it out and a downgrade may drop it."""

    __tablename__ = "load_fingerprints"

    dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"), primary_key=True)
    files: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(64))
