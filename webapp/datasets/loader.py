"""Loading a validated dataset into the database: in place, by id, all or nothing.

The caller owns the transaction; ``load_dataset`` only writes inside the
session it is given, so a failure anywhere rolls everything back. Loading the
same files twice changes nothing (and does not bump the dataset's revision).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import (
    Actor,
    ActorAlias,
    Bloc,
    Dataset,
    Event,
    EventActor,
    EventEvidence,
    Passage,
    Relation,
    RelationEvidence,
    RelationType,
    Source,
)
from .reader import DatasetSpec, EvidenceSpec, Problem, read_dataset

M = TypeVar("M")


class DatasetInvalid(Exception):
    """The dataset has problems; nothing was written."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the dataset")
        self.problems = problems


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


def load_directory(session: Session, directory: str | Path) -> LoadReport:
    """Validate a dataset directory and load it; raise DatasetInvalid (writing nothing) on any problem."""
    spec, problems = read_dataset(directory)
    if problems or spec is None:
        raise DatasetInvalid(problems)
    return load_dataset(session, spec)


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


class _Sync:
    """Brings the rows of one dataset in line with its spec, counting what changed."""

    def __init__(self, session: Session, report: LoadReport) -> None:
        self.session = session
        self.report = report
        self.created: set[int] = set()

    def assign(self, obj: Any, values: dict[str, Any]) -> bool:
        changed = False
        for key, value in values.items():
            if getattr(obj, key) != value:
                setattr(obj, key, value)
                changed = True
        return changed

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


def _by_id(session: Session, model: Any, dataset_id: str) -> dict[Any, Any]:
    return {obj.id: obj for obj in session.scalars(select(model).where(model.dataset_id == dataset_id))}


def load_dataset(session: Session, spec: DatasetSpec) -> LoadReport:
    """Write a validated dataset, updating rows in place by id; raise DatasetInvalid on id collisions."""
    collisions = id_collisions(session, spec)
    if collisions:
        raise DatasetInvalid(collisions)

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

    current_types = [(t.id, t.label, t.sign, t.directed) for t in dataset.relation_types]
    wanted_types = [(t.id, t.label, t.sign, t.directed) for t in spec.relation_types]
    sync.replace_children(
        "relation type", dataset, "relation_types", current_types, wanted_types,
        lambda pos, t: RelationType(id=t[0], label=t[1], sign=t[2], directed=t[3], position=pos),
    )
    session.flush()

    blocs = _by_id(session, Bloc, spec.id)
    for position, bloc in enumerate(spec.blocs):
        sync.upsert("bloc", Bloc, blocs, bloc.id, {
            "id": bloc.id, "dataset_id": spec.id, "name": bloc.name, "color": bloc.color,
            "description": bloc.description, "position": position,
        })

    sources = _by_id(session, Source, spec.id)
    for source in spec.sources:
        sync.upsert("source", Source, sources, source.id, {
            "id": source.id, "dataset_id": spec.id, "title": source.title, "publisher": source.publisher,
            "author": source.author, "url": source.url,
            "published": str(source.published) if source.published else None,
            "published_first": source.published.first if source.published else None,
            "published_inferred": source.published_inferred, "language": source.language,
            "text": source.text, "filename": source.filename,
        })
    session.flush()

    actors = _by_id(session, Actor, spec.id)
    for position, actor in enumerate(spec.actors):
        # Affiliations are set after every actor exists (they may point forward).
        row = sync.upsert("actor", Actor, actors, actor.id, {
            "id": actor.id, "dataset_id": spec.id, "name": actor.name, "kind": actor.kind,
            "bloc_id": actor.bloc_id, "description": actor.description, "country": actor.country,
            "position": position,
        })
        sync.replace_children(
            "actor", row, "aliases", [a.name for a in row.aliases], actor.aliases,
            lambda pos, name: ActorAlias(position=pos, name=name),
        )
    session.flush()
    for actor in spec.actors:
        row = actors[actor.id]
        if sync.assign(row, {"affiliation_id": actor.affiliation_id}) and id(row) not in sync.created:
            report.updated["actor"] += 1

    passages = _sync_passages(session, sync, spec)

    relations = _by_id(session, Relation, spec.id)
    for position, relation in enumerate(spec.relations):
        row = sync.upsert("relation", Relation, relations, relation.id, {
            "id": relation.id, "dataset_id": spec.id, "source_id": relation.source_id,
            "target_id": relation.target_id, "type": relation.type, "sign": relation.sign,
            "directed": relation.directed,
            "start": str(relation.start) if relation.start else None,
            "end": str(relation.end) if relation.end else None,
            "start_first": relation.start.first if relation.start else None,
            "end_last": relation.end.last if relation.end else None,
            "date_inferred": relation.date_inferred, "confidence": relation.confidence,
            "summary": relation.summary, "position": position,
        })
        wanted = [passages[_passage_key(e)].id for e in relation.evidence]
        sync.replace_children(
            "relation", row, "evidence", [e.passage_id for e in row.evidence], wanted,
            lambda pos, pid: RelationEvidence(position=pos, passage_id=pid),
        )

    events = _by_id(session, Event, spec.id)
    for position, event in enumerate(spec.events):
        row = sync.upsert("event", Event, events, event.id, {
            "id": event.id, "dataset_id": spec.id, "date": str(event.date),
            "end": str(event.end) if event.end else None,
            "date_first": event.date.first, "date_last": event.date.last,
            "end_last": event.end.last if event.end else None,
            "date_inferred": event.date_inferred, "title": event.title, "summary": event.summary,
            "position": position,
        })
        sync.replace_children(
            "event", row, "actors", [a.actor_id for a in row.actors], event.actor_ids,
            lambda pos, actor_id: EventActor(position=pos, actor_id=actor_id),
        )
        wanted = [passages[_passage_key(e)].id for e in event.evidence]
        sync.replace_children(
            "event", row, "evidence", [e.passage_id for e in row.evidence], wanted,
            lambda pos, pid: EventEvidence(position=pos, passage_id=pid),
        )
    session.flush()

    # Remove what the new version no longer has, dependants first.
    sync.delete_missing("relation", relations, {r.id for r in spec.relations})
    sync.delete_missing("event", events, {e.id for e in spec.events})
    session.flush()
    sync.delete_missing("passage", passages, _cited_passages(spec))
    session.flush()
    sync.delete_missing("actor", actors, {a.id for a in spec.actors})
    sync.delete_missing("source", sources, {s.id for s in spec.sources})
    session.flush()
    sync.delete_missing("bloc", blocs, {b.id for b in spec.blocs})

    if report.changed:
        dataset.revision = (dataset.revision or 0) + 1
    session.flush()
    report.revision = dataset.revision
    return report


def _passage_key(evidence: EvidenceSpec) -> tuple[str, int, int]:
    return (evidence.source_id, evidence.start, evidence.end)


def _cited_passages(spec: DatasetSpec) -> set[tuple[str, int, int]]:
    return {_passage_key(e) for e in spec.evidence_items()}


def _sync_passages(session: Session, sync: _Sync, spec: DatasetSpec) -> dict[tuple[str, int, int], Passage]:
    source_ids = [s.id for s in spec.sources]
    existing = {
        (p.source_id, p.start, p.end): p
        for p in session.scalars(select(Passage).where(Passage.source_id.in_(source_ids)))
    } if source_ids else {}
    for evidence in spec.evidence_items():
        key = _passage_key(evidence)
        sync.upsert("passage", Passage, existing, key, {
            "source_id": evidence.source_id, "start": evidence.start, "end": evidence.end,
            "exact": evidence.exact, "prefix": evidence.prefix, "suffix": evidence.suffix,
            "voice": evidence.voice, "speaker_id": evidence.speaker_id,
        })
    session.flush()
    return existing
