"""Loading a validated dataset into the database: in place, by id, all or nothing.

The caller owns the transaction; ``load_dataset`` only writes inside the
session it is given, so a failure anywhere rolls everything back. Loading the
same files twice changes nothing (and does not bump the dataset's revision).
One load runs at a time (``lock_loads``): a second waits for it, a while, then gives up.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, cast

from sqlalchemy import Table, bindparam, exc, func, insert, select, text, update
from sqlalchemy.orm import Session, selectinload

from .. import migrate, revisions
from ..models import (
    Actor,
    ActorAlias,
    Bloc,
    Dataset,
    Event,
    EventActor,
    EventEvidence,
    LoadFingerprint,
    Passage,
    Relation,
    RelationEvidence,
    RelationType,
    Source,
    utcnow,
)
from . import exporter, republications, yamlio
from .files import FileRefused, read_bytes
from .reader import (
    ActorSpec,
    BlocSpec,
    DatasetSpec,
    EventSpec,
    ID_PATTERN,
    EvidenceSpec,
    Problem,
    RelationSpec,
    SourceSpec,
    read_dataset,
)

M = TypeVar("M")


class DatasetInvalid(Exception):
    """The dataset has problems; nothing was written."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the dataset")
        self.problems = problems


@dataclass(frozen=True)
class EditConflict:
    """A record whose current state came from the app and that the files would change or remove."""

    kind: str
    id: str
    field: str
    app_value: Any
    file_value: Any
    changed_by: str | None

    def __str__(self) -> str:
        who = f" (edited in the app by {self.changed_by})" if self.changed_by else " (edited in the app)"
        if self.field == "*":
            return f"{self.kind} '{self.id}'{who}: the files no longer list it"
        return (f"{self.kind} '{self.id}'{who}: {self.field}: "
                f"app {_show(self.app_value)} / file {_show(self.file_value)}")


def _show(value: Any) -> str:
    text = "absent" if value is None else repr(value)
    return text if len(text) <= 100 else text[:99] + "…"


class LoadRefused(Exception):
    """The load rule refused the files; nothing was written.

    ``conflicts``: app edits the files would overwrite (allowed with ``--overwrite-app-edits``);
    ``removals``: records from the files that the files no longer list (allowed with ``--allow-removals``).
    """

    def __init__(self, conflicts: list[EditConflict], removals: list[tuple[str, str]],
                 emptied: dict[str, int] | None = None) -> None:
        super().__init__(f"{len(conflicts)} conflict(s) with app edits, {len(removals)} removal(s)")
        self.conflicts = conflicts
        self.removals = removals
        self.emptied = emptied or {}  # kind → how many records a file that now lists none of them would remove

    def headlines(self) -> list[str]:
        """A file emptied by accident (or cut short to nothing) said as such, before the list of removals."""
        return [f"{RECORD_FILES.get(kind, kind)} is empty: {count} {kind}{'s' if count != 1 else ''} would be removed"
                for kind, count in sorted(self.emptied.items())]


class LoadBusy(Exception):
    """Another load (or, on SQLite, another write) held the database for longer than we wait; nothing was written."""


# How long a load waits for another to finish (on SQLite: the connection's busy timeout instead).
LOAD_WAIT_S = 10.0


def _lock_key(name: str) -> int:
    """A stable signed 64-bit advisory-lock key for a name (PostgreSQL's lock space is shared: prefix it)."""
    digest = hashlib.sha256(f"alliance-explorer load {name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def lock_loads(session: Session, dataset_id: str, *, wait_s: float | None = None) -> None:
    """Hold the load lock until the session's transaction ends (so a crashed load never leaves it behind).

    PostgreSQL: transaction-scoped advisory locks, one for the dataset (so the refusal can name it)
    and one for every load (ids are unique across datasets: two loads must not both claim one).
    SQLite: the write transaction's ``BEGIN IMMEDIATE`` already lets one writer in at a time; the
    first statement takes it, waiting the busy timeout. Raises LoadBusy when the wait runs out.
    """
    if session.get_bind().dialect.name != "postgresql":
        try:
            session.execute(text("SELECT 1"))
        except exc.OperationalError as error:
            name = getattr(error.orig, "sqlite_errorname", None) or ""
            if name.startswith("SQLITE_BUSY") or "database is locked" in str(error.orig):
                raise LoadBusy("another load or change has kept the database busy for longer than its busy "
                               "timeout (WEBAPP_SQLITE_BUSY_TIMEOUT_MS)") from None
            raise
        return
    wait_s = LOAD_WAIT_S if wait_s is None else wait_s
    deadline = time.monotonic() + wait_s
    for key, holder in ((_lock_key(f"dataset {dataset_id}"), f"another load of dataset '{dataset_id}'"),
                        (_lock_key("any dataset"), "another load")):
        while not session.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": key}):
            if time.monotonic() >= deadline:
                raise LoadBusy(f"{holder} is running (waited {wait_s:g} s)")
            time.sleep(0.05)


# Where each kind of record is listed in a dataset's files.
RECORD_FILES = {"relation": "relations.yaml", "actor": "actors.yaml", "event": "events.yaml",
                "bloc": "dataset.yaml (blocs)", "source": "sources/"}


@dataclass
class LoadReport:
    dataset_id: str
    created: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)
    deleted: Counter[str] = field(default_factory=Counter)
    revision: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.deleted)

    def summary(self) -> str:
        if not self.changed:
            return f"dataset '{self.dataset_id}' is up to date (revision {self.revision}); nothing changed"
        parts = []
        for label, counts in (("created", self.created), ("updated", self.updated), ("deleted", self.deleted)):
            if counts:
                parts.append(f"{label} " + ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items())))
        return f"dataset '{self.dataset_id}' loaded (revision {self.revision}): " + "; ".join(parts)


def load_directory(session: Session, directory: str | Path, *, overwrite_app_edits: bool = False,
                   allow_removals: bool = False, wait_s: float | None = None) -> LoadReport:
    """Validate a dataset directory and load it; raise DatasetInvalid, LoadRefused or LoadBusy (writing nothing).

    Files identical to those of the dataset's last load, read by the same code into a dataset nobody
    has changed since, are not read again: that load would change nothing (the load rule has nothing
    to refuse either), so the report says the dataset is up to date.
    """
    directory = Path(directory)
    dataset_id = _declared_id(directory)
    files = None
    if dataset_id:
        lock_loads(session, dataset_id, wait_s=wait_s)  # first: on SQLite its first statement takes the writer's lock
        files = files_fingerprint(session, directory)
    if files and dataset_id:
        stored = session.get(LoadFingerprint, dataset_id)
        if stored is not None and stored.files == files and stored.state == state_fingerprint(session, dataset_id):
            return LoadReport(dataset_id, revision=session.scalars(
                select(Dataset.revision).where(Dataset.id == dataset_id)).one())
    spec, problems = read_dataset(directory)
    if problems or spec is None:
        raise DatasetInvalid(problems)
    report = load_dataset(session, spec, overwrite_app_edits=overwrite_app_edits, allow_removals=allow_removals,
                          wait_s=wait_s)
    if files:
        session.merge(LoadFingerprint(dataset_id=spec.id, files=files, state=state_fingerprint(session, spec.id)))
        session.flush()
    return report


# The code that decides what a dataset's files mean: a new version of it reads the same files afresh.
_READING_CODE = ("datasets/reader.py", "datasets/loader.py", "datasets/yamlio.py", "datasets/files.py",
                 "datasets/fields.py", "datasets/vocabulary.py", "text/match.py", "dates.py", "models.py")


def files_fingerprint(session: Session, directory: Path) -> str | None:
    """A hash of every file the reader reads, of that code and of the schema; None when a file is refused
    (then the reader says why)."""
    digest = hashlib.sha256(str(migrate.revision_of(session.connection())).encode())
    package = Path(__file__).resolve().parent.parent
    names = ["dataset.yaml", "actors.yaml", "relations.yaml", "events.yaml"]
    folder = directory / "sources"
    names += sorted(f"sources/{path.name}" for path in folder.glob("*.md")) if folder.is_dir() else []
    try:
        root = directory.resolve()
        for name in _READING_CODE:
            digest.update((package / name).read_bytes())
        for name in names:
            path = directory / name
            digest.update(f"\0{name}\0".encode())
            digest.update(read_bytes(path, root=root) if os.path.lexists(path) else b"\0absent")
    except (FileRefused, OSError):
        return None
    return digest.hexdigest()


def state_fingerprint(session: Session, dataset_id: str) -> str:
    """A digest of what any change to a dataset's records moves: its revision, its names to ignore, and
    each kind's count and sum of versions (every edit raises a version; every removal lowers a count)."""
    dataset = session.execute(select(Dataset.revision, Dataset.title, Dataset.description, Dataset.ignored_names)
                              .where(Dataset.id == dataset_id)).one()
    parts: list[Any] = list(dataset)
    for model in (Bloc, Source, Actor, Relation, Event):
        parts += session.execute(select(func.count(), func.coalesce(func.sum(model.version), 0))
                                 .where(model.dataset_id == dataset_id)).one()
    parts.append(session.scalar(select(func.count()).select_from(Passage).join(Source)
                                .where(Source.dataset_id == dataset_id)))
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def _declared_id(directory: Path) -> str | None:
    """The id dataset.yaml gives (the directory's name without one), read without the rest of the files."""
    try:
        data, problems = yamlio.parse(read_bytes(directory / "dataset.yaml", root=directory.resolve()).decode())
    except (FileRefused, OSError, UnicodeDecodeError):
        return None
    ident = data.get("id") if isinstance(data, dict) and not problems else None
    ident = directory.name if ident is None else ident
    return ident if isinstance(ident, str) and ID_PATTERN.match(ident) else None


def id_collisions(session: Session, spec: DatasetSpec) -> list[Problem]:
    """Ids of this dataset already used by another dataset in the database (ids are global)."""
    problems = []
    checks: list[tuple[str, Any, list[str]]] = [
        ("bloc", Bloc, [b.id for b in spec.blocs]),
        ("source", Source, [s.id for s in spec.sources]),
        ("actor", Actor, [a.id for a in spec.actors]),
        ("relation", Relation, [r.id for r in spec.relations]),
        ("event", Event, [e.id for e in spec.events]),
    ]
    for kind, model, ids in checks:
        for chunk_start in range(0, len(ids), 500):
            chunk = ids[chunk_start:chunk_start + 500]
            rows = session.execute(
                select(model.id, model.dataset_id).where(model.id.in_(chunk), model.dataset_id != spec.id)
            )
            for ident, other in rows:
                file, line = spec.locations.get((kind, ident), ("?", 0))
                problems.append(Problem(file, line, f"{kind} id '{ident}' is already used by dataset '{other}'"))
    return sorted(problems)


# Rows a load inserts in one statement at most (each a dict of its columns until then).
INSERT_CHUNK = 5_000


class _Sync:
    """Brings the rows of one dataset in line with its spec, counting what changed."""

    def __init__(self, session: Session, report: LoadReport) -> None:
        self.session = session
        self.report = report
        self.created: set[int] = set()
        # New rows are not ORM objects: a first load of 50,000 relations is a few statements, not 50,000 objects.
        self.queued: dict[Any, list[dict[str, Any]]] = {}
        self.passages: dict[tuple[str, int, int], Passage] = {}

    def assign(self, obj: Any, values: dict[str, Any]) -> bool:
        changed = False
        for key, value in values.items():
            if getattr(obj, key) != value:
                setattr(obj, key, value)
                changed = True
        return changed

    def queue(self, kind: str, model: Any, values: dict[str, Any]) -> None:
        """A new row, inserted with the others of its table in one statement (``insert_queued``)."""
        self.queued.setdefault(model, []).append(values)
        self.report.created[kind] += 1

    def insert_queued(self, *models: Any) -> None:
        for model in models:
            rows = self.queued.pop(model, [])
            if rows:
                self.session.execute(insert(_table(model)), rows)

    def insert_if_full(self, *models: Any) -> None:
        """Insert the queued rows of ``models`` (those of the first, and their children after) once the first
        has ``INSERT_CHUNK``: 50,000 relations' rows need not all be waiting at once."""
        if len(self.queued.get(models[0], ())) >= INSERT_CHUNK:
            self.insert_queued(*models)

    def upsert(self, kind: str, model: type[M], existing: dict[Any, M], key: Any, values: dict[str, Any]) -> M:
        obj = existing.get(key)
        if obj is None:
            obj = model(**values)
            self.session.add(obj)
            self.created.add(id(obj))
            existing[key] = obj
            self.report.created[kind] += 1
        elif self.assign(obj, values):
            self.report.updated[kind] += 1
        return obj

    def replace_children(self, kind: str, owner: Any, attribute: str, current: list[Any], wanted: list[Any],
                         make: Any) -> None:
        """Replace an ordered child list only when it differs (so a reload writes nothing)."""
        if current != wanted:
            setattr(owner, attribute, [make(position, value) for position, value in enumerate(wanted)])
            if id(owner) not in self.created:
                self.report.updated[kind] += 1

    def delete_missing(self, kind: str, existing: dict[Any, Any], keep: set[Any]) -> None:
        for key, obj in existing.items():
            if key not in keep:
                self.session.delete(obj)
                self.report.deleted[kind] += 1


def _table(model: Any) -> Table:
    """A model's table, for Core statements: executemany without the ORM's per-row bookkeeping."""
    return cast(Table, model.__table__)


def _by_id(session: Session, model: Any, dataset_id: str) -> dict[Any, Any]:
    return {obj.id: obj for obj in session.scalars(select(model).where(model.dataset_id == dataset_id))}


def load_dataset(session: Session, spec: DatasetSpec, *, overwrite_app_edits: bool = False,
                 allow_removals: bool = False, wait_s: float | None = None) -> LoadReport:
    """Write a validated dataset, updating rows in place by id, under the load rule.

    Raises DatasetInvalid on id collisions, and LoadRefused when the files would
    change or remove a record edited in the app (unless ``overwrite_app_edits``)
    or remove a record the files used to list (unless ``allow_removals``). Every
    state a load replaces or removes is kept as a revision. Raises LoadBusy when another load
    holds the lock for longer than ``wait_s`` (see ``lock_loads``).
    """
    lock_loads(session, spec.id, wait_s=wait_s)
    collisions = id_collisions(session, spec)
    if collisions:
        raise DatasetInvalid(collisions)
    before = record_states(session, spec.id)

    report = LoadReport(spec.id)
    sync = _Sync(session, report)

    dataset = session.get(Dataset, spec.id)
    if dataset is None:
        dataset = Dataset(id=spec.id, title=spec.title, description=spec.description, revision=0)
        session.add(dataset)
        sync.created.add(id(dataset))
        report.created["dataset"] += 1
    elif sync.assign(dataset, {"title": spec.title, "description": spec.description}):
        report.updated["dataset"] += 1
    # Names ignored in the app are kept unless the files win (they are curators' decisions too).
    kept = [] if overwrite_app_edits else [n for n in (dataset.ignored_names or "").splitlines() if n]
    ignored = "\n".join(dict.fromkeys([*spec.ignored_names, *kept]))
    if (dataset.ignored_names or "") != ignored:
        dataset.ignored_names = ignored
        if id(dataset) not in sync.created:
            report.updated["dataset"] += 1

    current_types = [(t.id, t.label, t.sign, t.directed) for t in dataset.relation_types]
    wanted_types = [(t.id, t.label, t.sign, t.directed) for t in spec.relation_types]
    sync.replace_children(
        "relation type", dataset, "relation_types", current_types, wanted_types,
        lambda pos, t: RelationType(id=t[0], label=t[1], sign=t[2], directed=t[3], position=pos),
    )
    session.flush()

    blocs = _by_id(session, Bloc, spec.id)
    for position, bloc in enumerate(spec.blocs):
        sync.upsert("bloc", Bloc, blocs, bloc.id, {**bloc_values(bloc, spec.id), "position": position})

    sources = _by_id(session, Source, spec.id)
    for source in spec.sources:
        values = source_values(source, spec.id)
        if source.id in sources:
            sync.upsert("source", Source, sources, source.id, values)
        else:
            sync.queue("source", Source, values)
    session.flush()
    sync.insert_queued(Source)

    actors = _by_id(session, Actor, spec.id)
    affiliations: list[dict[str, Any]] = []
    for position, actor in enumerate(spec.actors):
        # Affiliations are set after every actor exists (they may point forward).
        values = actor_values(actor, spec.id)
        del values["affiliation_id"]
        if actor.id not in actors:
            sync.queue("actor", Actor, {**values, "position": position})
            for index, name in enumerate(actor.aliases):
                sync.queued.setdefault(ActorAlias, []).append({"actor_id": actor.id, "position": index, "name": name})
            if actor.affiliation_id:
                affiliations.append({"actor": actor.id, "affiliation": actor.affiliation_id})
            continue
        row = sync.upsert("actor", Actor, actors, actor.id, {**values, "position": position})
        sync.replace_children(
            "actor", row, "aliases", [a.name for a in row.aliases], actor.aliases,
            lambda pos, name: ActorAlias(position=pos, name=name),
        )
    session.flush()
    sync.insert_queued(Actor, ActorAlias)
    if affiliations:
        actors_table = _table(Actor)
        session.execute(update(actors_table).where(actors_table.c.id == bindparam("actor"))
                        .values(affiliation_id=bindparam("affiliation")), affiliations)
    for actor in spec.actors:
        row = actors.get(actor.id)
        if row is not None and sync.assign(row, {"affiliation_id": actor.affiliation_id}):
            report.updated["actor"] += 1

    passages = _sync_passages(session, sync, spec)

    relations = _by_id(session, Relation, spec.id)
    for position, relation in enumerate(spec.relations):
        values = {**relation_values(relation, spec.id), "position": position}
        wanted = [passages[_passage_key(e)] for e in relation.evidence]
        if relation.id not in relations:
            sync.queue("relation", Relation, values)
            sync.queued.setdefault(RelationEvidence, []).extend(
                {"relation_id": relation.id, "position": pos, "passage_id": pid} for pos, pid in enumerate(wanted))
            sync.insert_if_full(Relation, RelationEvidence)
            continue
        row = sync.upsert("relation", Relation, relations, relation.id, values)
        sync.replace_children(
            "relation", row, "evidence", [e.passage_id for e in row.evidence], wanted,
            lambda pos, pid: RelationEvidence(position=pos, passage_id=pid),
        )

    events = _by_id(session, Event, spec.id)
    for position, event in enumerate(spec.events):
        values = {**event_values(event, spec.id), "position": position}
        wanted = [passages[_passage_key(e)] for e in event.evidence]
        if event.id not in events:
            sync.queue("event", Event, values)
            sync.queued.setdefault(EventActor, []).extend(
                {"event_id": event.id, "position": pos, "actor_id": actor_id}
                for pos, actor_id in enumerate(event.actor_ids))
            sync.queued.setdefault(EventEvidence, []).extend(
                {"event_id": event.id, "position": pos, "passage_id": pid} for pos, pid in enumerate(wanted))
            sync.insert_if_full(Event, EventActor, EventEvidence)
            continue
        row = sync.upsert("event", Event, events, event.id, values)
        sync.replace_children(
            "event", row, "actors", [a.actor_id for a in row.actors], event.actor_ids,
            lambda pos, actor_id: EventActor(position=pos, actor_id=actor_id),
        )
        sync.replace_children(
            "event", row, "evidence", [e.passage_id for e in row.evidence], wanted,
            lambda pos, pid: EventEvidence(position=pos, passage_id=pid),
        )
    session.flush()
    sync.insert_queued(Relation, RelationEvidence, Event, EventActor, EventEvidence)

    listed = {("bloc", b.id) for b in spec.blocs} | {("source", s.id) for s in spec.sources} | {
        ("actor", a.id) for a in spec.actors} | {("relation", r.id) for r in spec.relations} | {
        ("event", e.id) for e in spec.events}
    # The records' states after the sync, built once for the load rule and for the revisions, and
    # only when something changed (an unchanged reload cannot conflict with anything) in records that
    # were there before (a record this load creates has no earlier state to keep or to conflict with).
    removed = any(key not in listed for key in before)
    after = record_states(session, spec.id) if before and (report.changed or removed) else {}
    _apply_load_rule(before, after, listed, overwrite_app_edits=overwrite_app_edits, allow_removals=allow_removals)

    # Remove what the new version no longer has, dependants first.
    sync.delete_missing("relation", relations, {r.id for r in spec.relations})
    sync.delete_missing("event", events, {e.id for e in spec.events})
    session.flush()
    sync.delete_missing("passage", sync.passages, _cited_passages(spec))
    session.flush()
    sync.delete_missing("actor", actors, {a.id for a in spec.actors})
    sync.delete_missing("source", sources, {s.id for s in spec.sources})
    session.flush()
    sync.delete_missing("bloc", blocs, {b.id for b in spec.blocs})

    if report.changed:
        dataset.revision = (dataset.revision or 0) + 1
        republications.refresh(session, spec.id)
        # What the deletions below removed is not "after" any more.
        _record_load_revisions(session, spec.id, before, {k: v for k, v in after.items() if k in listed})
    session.flush()
    report.revision = dataset.revision
    return report


@dataclass
class RecordState:
    """A record as it stands before a load: its file-format form, version and provenance."""

    row: Any
    form: dict[str, Any]
    version: int
    origin: str
    changed_by: str | None


def record_states(session: Session, dataset_id: str) -> dict[tuple[str, str], RecordState]:
    """Every curated record of a dataset in the file format (what export writes), keyed by (kind, id)."""
    states: dict[tuple[str, str], RecordState] = {}
    sources = list(session.scalars(select(Source).where(Source.dataset_id == dataset_id)))
    texts = {source.id: source.text for source in sources}
    defaults = exporter.type_defaults(session, dataset_id)
    rows: list[tuple[str, Any, dict[str, Any]]] = [("source", s, exporter.source_record(s)) for s in sources]
    rows += [("bloc", b, exporter.bloc_record(b)) for b in session.scalars(
        select(Bloc).where(Bloc.dataset_id == dataset_id))]
    rows += [("actor", a, exporter.actor_record(a)) for a in session.scalars(
        select(Actor).where(Actor.dataset_id == dataset_id).options(selectinload(Actor.aliases)))]
    rows += [("relation", r, exporter.relation_record(r, texts.__getitem__, defaults)) for r in session.scalars(
        select(Relation).where(Relation.dataset_id == dataset_id)
        .options(selectinload(Relation.evidence).selectinload(RelationEvidence.passage)))]
    rows += [("event", e, exporter.event_record(e, texts.__getitem__)) for e in session.scalars(
        select(Event).where(Event.dataset_id == dataset_id)
        .options(selectinload(Event.actors), selectinload(Event.evidence).selectinload(EventEvidence.passage)))]
    for kind, row, form in rows:
        states[(kind, row.id)] = RecordState(row, form, row.version, row.origin, row.changed_by)
    return states


def _apply_load_rule(before: dict[tuple[str, str], RecordState], after: dict[tuple[str, str], RecordState],
                     listed: set[tuple[str, str]], *, overwrite_app_edits: bool, allow_removals: bool) -> None:
    """Refuse (raise LoadRefused) unless every app edit and every removal the load would make is allowed."""
    conflicts: list[EditConflict] = []
    removals: list[tuple[str, str]] = []
    for key, state in sorted(before.items()):
        if key not in listed:
            # Removing any record takes --allow-removals; an app record's removal also overwrites an edit.
            removals.append(key)
            if state.origin == "app":
                conflicts.append(EditConflict(key[0], key[1], "*", state.form, None, state.changed_by))
        elif state.origin == "app" and key in after:
            new = after[key].form
            for name, (old, value) in revisions.changes(state.form, new).items():
                conflicts.append(EditConflict(key[0], key[1], name, old, value, state.changed_by))
    if (conflicts and not overwrite_app_edits) or (removals and not allow_removals):
        listed_kinds = Counter(kind for kind, _ in listed)
        emptied = Counter(kind for kind, _ in removals if not listed_kinds[kind])
        raise LoadRefused([] if overwrite_app_edits else conflicts, [] if allow_removals else removals,
                          {} if allow_removals else dict(emptied))


def _record_load_revisions(session: Session, dataset_id: str, before: dict[tuple[str, str], RecordState],
                           after: dict[tuple[str, str], RecordState]) -> None:
    """Keep every state the load replaced or removed, and the new one, as revisions; bump versions."""
    session.flush()
    now = utcnow()
    for key in sorted(set(before) | set(after)):
        kind, ident = key
        old, new = before.get(key), after.get(key)
        if old is None or (new is not None and old.form == new.form):
            continue  # created by this load (its state is the files'), or unchanged
        revisions.ensure_baseline(session, dataset_id=dataset_id, kind=kind, ident=ident, version=old.version,
                                  state=old.form, now=now)
        if new is None:
            revisions.add_revision(session, dataset_id=dataset_id, kind=kind, ident=ident, version=old.version + 1,
                                   action="delete", editor=revisions.LOAD_EDITOR, before=old.form, after=None,
                                   now=now)
            continue
        new.row.version = old.version + 1
        new.row.origin, new.row.changed_by, new.row.changed_at = "file", None, now
        revisions.add_revision(session, dataset_id=dataset_id, kind=kind, ident=ident, version=old.version + 1,
                               action="load", editor=revisions.LOAD_EDITOR, before=old.form, after=new.form,
                               now=now)


def source_values(source: SourceSpec, dataset_id: str) -> dict[str, Any]:
    """A source's columns, for the loader and ``import-source`` alike."""
    return {
        "id": source.id, "dataset_id": dataset_id, "title": source.title, "publisher": source.publisher,
        "author": source.author, "url": source.url,
        "published": str(source.published) if source.published else None,
        "published_first": source.published.first if source.published else None,
        "published_inferred": source.published_inferred, "language": source.language,
        "text": source.text, "filename": source.filename,
    }


def bloc_values(bloc: BlocSpec, dataset_id: str) -> dict[str, Any]:
    """A bloc's columns (position aside), for the loader and the app's edits alike."""
    return {"id": bloc.id, "dataset_id": dataset_id, "name": bloc.name, "color": bloc.color,
            "description": bloc.description}


def actor_values(actor: ActorSpec, dataset_id: str) -> dict[str, Any]:
    return {"id": actor.id, "dataset_id": dataset_id, "name": actor.name, "kind": actor.kind,
            "bloc_id": actor.bloc_id, "description": actor.description, "country": actor.country,
            "affiliation_id": actor.affiliation_id}


def relation_values(relation: RelationSpec, dataset_id: str) -> dict[str, Any]:
    return {
        "id": relation.id, "dataset_id": dataset_id, "source_id": relation.source_id,
        "target_id": relation.target_id, "type": relation.type, "sign": relation.sign,
        "directed": relation.directed,
        "start": str(relation.start) if relation.start else None,
        "end": str(relation.end) if relation.end else None,
        "start_first": relation.start.first if relation.start else None,
        "end_last": relation.end.last if relation.end else None,
        "start_inferred": relation.start_inferred, "end_inferred": relation.end_inferred,
        "confidence": relation.confidence,
        "summary": relation.summary,
    }


def event_values(event: EventSpec, dataset_id: str) -> dict[str, Any]:
    return {
        "id": event.id, "dataset_id": dataset_id, "date": str(event.date),
        "end": str(event.end) if event.end else None,
        "date_first": event.date.first, "date_last": event.date.last,
        "end_last": event.end.last if event.end else None,
        "start_inferred": event.start_inferred, "end_inferred": event.end_inferred,
        "title": event.title, "summary": event.summary,
    }


def passage_values(evidence: EvidenceSpec) -> dict[str, Any]:
    return {"source_id": evidence.source_id, "start": evidence.start, "end": evidence.end,
            "exact": evidence.exact, "prefix": evidence.prefix, "suffix": evidence.suffix,
            "voice": evidence.voice, "speaker_id": evidence.speaker_id}


def _passage_key(evidence: EvidenceSpec) -> tuple[str, int, int]:
    return (evidence.source_id, evidence.start, evidence.end)


def _cited_passages(spec: DatasetSpec) -> set[tuple[str, int, int]]:
    return {_passage_key(e) for e in spec.evidence_items()}


def _sync_passages(session: Session, sync: _Sync, spec: DatasetSpec) -> dict[tuple[str, int, int], int]:
    """Every cited passage in the database, updated or inserted; (source, start, end) → passage id, and
    ``sync.passages`` the rows (of the passages that existed) that the files no longer cite."""
    # Passages of the dataset's sources in the database too: those of a source the files no longer
    # list are uncited now, and go with it.
    source_ids = sorted({s.id for s in spec.sources} | set(session.scalars(
        select(Source.id).where(Source.dataset_id == spec.id))))
    existing = {
        (p.source_id, p.start, p.end): p
        for p in session.scalars(select(Passage).where(Passage.source_id.in_(source_ids)))
    } if source_ids else {}
    ids = {key: passage.id for key, passage in existing.items()}
    new: dict[tuple[str, int, int], EvidenceSpec] = {}  # the first citation of each passage new to the database
    for evidence in spec.evidence_items():
        key = _passage_key(evidence)
        if key in existing:
            sync.upsert("passage", Passage, existing, key, passage_values(evidence))
        elif key not in new:
            new[key] = evidence
    session.flush()
    if new:
        sync.report.created["passage"] += len(new)
        cited = list(new.values())
        for first in range(0, len(cited), INSERT_CHUNK):
            session.execute(insert(_table(Passage)), [passage_values(e) for e in cited[first:first + INSERT_CHUNK]])
        # Read back rather than RETURNING in parameter order, which SQLite's driver pays for quadratically.
        ids.update(((source_id, start, end), ident) for ident, source_id, start, end in session.execute(
            select(Passage.id, Passage.source_id, Passage.start, Passage.end).where(Passage.source_id.in_(source_ids))))
    sync.passages = existing
    return ids
