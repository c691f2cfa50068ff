"""Editing curated records in the app: blocs, actors, relations, events and their evidence.

Every write here goes the same way, so nothing is lost or half-written:

1. the caller must be an editor or admin (``access``);
2. the record moves from the version the caller read to the next one, or the
   write is refused with 409 (``versioning.claim``, which also locks the row);
3. the new state, in the dataset file format, is checked by the very rules
   ``flask validate`` applies to files (``datasets.reader.check_record``);
4. it is written with the loader's own column mapping, the change is kept as a
   revision (fields old → new, and the whole state), and the dataset's
   revision moves so every cache follows.

The caller owns the transaction: any refusal raised here rolls it all back.
Deletes keep the removed state as a revision, from which ``restore`` brings it back.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy import update as sa_update
from sqlalchemy.orm import Session, selectinload

from .. import revisions
from ..datasets import exporter, loader
from ..datasets.reader import (
    ActorSpec, BlocSpec, EventSpec, EvidenceSpec, Problem, RecordContext, RelationSpec, TypeSpec, check_record,
)
from ..datasets.vocabulary import BUILTIN_RELATION_TYPES
from ..models import (
    Actor, ActorAlias, Annotation, Bloc, Dataset, Event, EventActor, EventEvidence, Passage, RecordRevision, Relation,
    RelationEvidence, RelationType, Source, utcnow,
)
from ..text.match import find_all, occurrence_of, words_span
from . import access, network, versioning
from .access import Caller, Invalid
from .records import NotFound

KINDS = ("bloc", "actor", "relation", "event")
MODELS: dict[str, Any] = {kind: revisions.MODELS[kind] for kind in KINDS}
# An evidence item's id: its passage's source and character offsets — stable, never a position.
EVIDENCE_ID = re.compile(r"^(?P<source>[a-z0-9][a-z0-9_-]*):(?P<start>\d{1,9})-(?P<end>\d{1,9})$")


class RecordInvalid(Invalid):
    """The record breaks a rule of the dataset format; ``problems`` name each field at fault."""

    code = "invalid_record"

    def __init__(self, problems: list[Problem]) -> None:
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(first.message + more, first.key)
        self.problems = problems


class InUse(access.ServiceError):
    """Deleting the record would break others; ``users`` lists them."""

    status, code = 409, "in_use"

    def __init__(self, message: str, users: list[dict[str, str]]) -> None:
        super().__init__(message)
        self.users = users


class NoChange(Exception):
    """The edit asked for the state the record already has: roll back (the version stays), answer with it."""

    def __init__(self, saved: Saved) -> None:
        super().__init__(f"the {saved.kind} is already in that state")
        self.saved = saved


@dataclass(frozen=True)
class Saved:
    """What a write left: the record's kind, id, dataset, new version, and its state (None once deleted)."""

    kind: str
    id: str
    dataset_id: str
    version: int
    record: dict[str, Any] | None


# --- Reading records in the file format -------------------------------------------

def exists(session: Session, kind: str, ident: str) -> bool:
    """Whether the record is there (not deleted, not merged away, not never made)."""
    return session.scalar(select(MODELS[kind].id).where(MODELS[kind].id == ident)) is not None


def _load_row(session: Session, kind: str, ident: str) -> Any:
    model = MODELS[kind]
    query = select(model).where(model.id == ident).execution_options(populate_existing=True)
    if kind == "actor":
        query = query.options(selectinload(Actor.aliases))
    elif kind == "relation":
        query = query.options(selectinload(Relation.evidence).selectinload(RelationEvidence.passage))
    elif kind == "event":
        query = query.options(selectinload(Event.actors),
                              selectinload(Event.evidence).selectinload(EventEvidence.passage))
    row = session.scalar(query)
    if row is None:
        raise NotFound(kind, ident)
    return row


def _text_of(session: Session) -> Any:
    cache: dict[str, str] = {}

    def text_of(source_id: str) -> str:
        if source_id not in cache:
            cache[source_id] = session.scalar(select(Source.text).where(Source.id == source_id)) or ""
        return cache[source_id]
    return text_of


def _form(session: Session, kind: str, row: Any) -> dict[str, Any]:
    if kind == "bloc":
        return exporter.bloc_record(row)
    if kind == "actor":
        return exporter.actor_record(row)
    if kind == "relation":
        return exporter.relation_record(row, _text_of(session), exporter.type_defaults(session, row.dataset_id))
    return exporter.event_record(row, _text_of(session))


def record(session: Session, kind: str, ident: str) -> Saved:
    """A record as it stands, in the dataset file format, with its version."""
    row = _load_row(session, kind, ident)
    return Saved(kind, row.id, row.dataset_id, row.version, _form(session, kind, row))


# --- The one validator, against the database ---------------------------------------

class _SourceTexts:
    """A dataset's source texts, fetched as evidence names them."""

    def __init__(self, session: Session, dataset_id: str) -> None:
        self.session, self.dataset_id = session, dataset_id

    def get(self, source_id: str, /) -> Any:
        return self.session.execute(
            select(Source.id, Source.text).where(Source.id == source_id, Source.dataset_id == self.dataset_id)
        ).first()


def context(session: Session, dataset_id: str) -> RecordContext:
    """What a record of this dataset is checked against, read from the database."""
    types = {k.id: TypeSpec(k.id, k.label, k.sign, k.directed) for k in BUILTIN_RELATION_TYPES.values()}
    for t in session.scalars(select(RelationType).where(RelationType.dataset_id == dataset_id)):
        types[t.id] = TypeSpec(t.id, t.label, t.sign, t.directed)
    return RecordContext(
        bloc_ids=set(session.scalars(select(Bloc.id).where(Bloc.dataset_id == dataset_id))),
        actor_ids=set(session.scalars(select(Actor.id).where(Actor.dataset_id == dataset_id))),
        types=types,
        sources=_SourceTexts(session, dataset_id),
    )


def _check(session: Session, kind: str, data: dict[str, Any], dataset_id: str) -> Any:
    spec, problems = check_record(kind, data, context(session, dataset_id))
    if problems or spec is None:
        raise RecordInvalid(problems or [Problem("record", 0, f"the {kind} is incomplete")])
    return spec


# --- Writing -------------------------------------------------------------------------

def _passage(session: Session, evidence: EvidenceSpec, owner: tuple[str, str]) -> Passage:
    """The passage for an evidence item: the one already at that span, or a new one.

    One span is one passage with one voice and speaker; a different voice for a
    span that other records cite is refused rather than changed under them.
    """
    passage = session.scalar(select(Passage).where(
        Passage.source_id == evidence.source_id, Passage.start == evidence.start, Passage.end == evidence.end))
    if passage is None:
        passage = Passage(**loader.passage_values(evidence))
        session.add(passage)
        session.flush()
        return passage
    if (passage.voice, passage.speaker_id) != (evidence.voice, evidence.speaker_id):
        others = [c for c in _citations(session, passage.id) if c != owner]
        if others:
            kind, ident = others[0]
            raise Invalid(
                f"this passage is also evidence of {kind} '{ident}' with voice '{passage.voice}' and speaker "
                f"'{passage.speaker_id}'; one passage has one voice and speaker", "evidence")
        passage.voice, passage.speaker_id = evidence.voice, evidence.speaker_id
    return passage


def _citations(session: Session, passage_id: int) -> list[tuple[str, str]]:
    relations = session.scalars(select(RelationEvidence.relation_id).where(RelationEvidence.passage_id == passage_id))
    events = session.scalars(select(EventEvidence.event_id).where(EventEvidence.passage_id == passage_id))
    return [("relation", r) for r in relations] + [("event", e) for e in events]


def _prune_passages(session: Session, passage_ids: set[int]) -> None:
    """Remove passages no record cites any more (an evidence item brought back makes a new one)."""
    session.flush()
    for passage_id in passage_ids:
        if not _citations(session, passage_id):
            passage = session.get(Passage, passage_id)
            if passage is not None:
                session.delete(passage)


def _next_position(session: Session, model: Any, dataset_id: str) -> int:
    return (session.scalar(select(func.max(model.position)).where(model.dataset_id == dataset_id)) or 0) + 1


def _write(session: Session, kind: str, row: Any, spec: Any, dataset_id: str) -> Any:
    """Write a validated spec onto ``row`` (a new row when None) with the loader's column mapping."""
    model = MODELS[kind]
    values: dict[str, Any]
    if isinstance(spec, BlocSpec):
        values = loader.bloc_values(spec, dataset_id)
    elif isinstance(spec, ActorSpec):
        values = loader.actor_values(spec, dataset_id)
    elif isinstance(spec, RelationSpec):
        values = loader.relation_values(spec, dataset_id)
    else:
        values = loader.event_values(spec, dataset_id)
    if row is None:
        row = model(**values, position=_next_position(session, model, dataset_id))
        session.add(row)
    else:
        for key, value in values.items():
            if getattr(row, key) != value:
                setattr(row, key, value)
    old_passages: set[int] = set()
    if isinstance(spec, ActorSpec):
        if row.alias_names != spec.aliases:
            row.aliases = [ActorAlias(position=i, name=name) for i, name in enumerate(spec.aliases)]
    elif isinstance(spec, (RelationSpec, EventSpec)):
        old_passages = {e.passage_id for e in row.evidence}
        wanted = [_passage(session, e, (kind, spec.id)).id for e in spec.evidence]
        if [e.passage_id for e in row.evidence] != wanted:
            child = RelationEvidence if isinstance(spec, RelationSpec) else EventEvidence
            row.evidence = [child(position=i, passage_id=pid) for i, pid in enumerate(wanted)]
    if isinstance(spec, EventSpec) and [a.actor_id for a in row.actors] != spec.actor_ids:
        row.actors = [EventActor(position=i, actor_id=a) for i, a in enumerate(spec.actor_ids)]
    session.flush()
    _prune_passages(session, old_passages)
    return row


def _finish(session: Session, kind: str, row: Any, action: str, caller: Caller, before: dict[str, Any] | None,
            version: int, now: dt.datetime, extra: dict[str, Any] | None = None) -> Saved:
    session.flush()
    row = _load_row(session, kind, row.id)
    after = _form(session, kind, row)
    if action == "update" and after == before:
        raise NoChange(Saved(kind, row.id, row.dataset_id, version - 1, before))
    revisions.add_revision(session, dataset_id=row.dataset_id, kind=kind, ident=row.id, version=version,
                           action=action, editor=caller.name or "?", before=before, after=after, now=now, extra=extra)
    revisions.bump_dataset(session, row.dataset_id)
    network.place_new_actors(session)  # a new actor goes beside its neighbours; nothing else moves
    return Saved(kind, row.id, row.dataset_id, version, after)


def _dataset_for(session: Session, kind: str, data: dict[str, Any], dataset_id: str | None) -> str:
    """The dataset a new record goes into: named, or that of the actors it links, or the only one."""
    if dataset_id:
        if session.get(Dataset, dataset_id) is None:
            raise Invalid(f"there is no dataset '{dataset_id}'", "dataset")
        return dataset_id
    raw_actors = data.get("actors")
    linked: list[Any] = [data.get("source")] if kind == "relation" else []
    if kind == "event" and isinstance(raw_actors, list):
        linked = raw_actors
    for actor_id in linked:
        if isinstance(actor_id, str) and (found := session.scalar(select(Actor.dataset_id)
                                                                  .where(Actor.id == actor_id))):
            return found
    if kind == "actor" and isinstance(data.get("bloc"), str):
        if found := session.scalar(select(Bloc.dataset_id).where(Bloc.id == data["bloc"])):
            return found
    datasets = list(session.scalars(select(Dataset.id).limit(2)))
    if len(datasets) == 1:
        return datasets[0]
    raise Invalid("say which dataset the record belongs to ('dataset')", "dataset")


def _id_taken(session: Session, kind: str, ident: str) -> bool:
    model = MODELS[kind]
    if session.scalar(select(model.id).where(model.id == ident)) is not None:
        return True
    # A deleted record keeps its id: a new record may not take it (its history would mix with the old one's).
    return session.scalar(select(RecordRevision.id).where(
        RecordRevision.kind == kind, RecordRevision.record_id == ident).limit(1)) is not None


def slug(text: str) -> str:
    """An id from a name: lowercase letters and digits joined by '-' ("Bashar al-Assad" → "bashar-al-assad")."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:90].strip("-")


def _free_id(session: Session, kind: str, name: str) -> str | None:
    base = slug(name)
    if not base:
        return None
    candidate, n = base, 1
    while _id_taken(session, kind, candidate):
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def create(session: Session, caller: Caller, kind: str, data: Any, dataset_id: str | None = None) -> Saved:
    """A new record, checked like a file's, in the dataset named or implied."""
    access.require_writer(caller, f"create {kind}s")
    if not isinstance(data, dict):
        raise Invalid(f"send the {kind} as a JSON object")
    dataset_id = _dataset_for(session, kind, data, dataset_id)
    if kind in ("actor", "event") and not data.get("id"):
        data = {**data, "id": _free_id(session, kind, str(data.get("name") or data.get("title") or ""))}
    spec = _check(session, kind, data, dataset_id)
    if _id_taken(session, kind, spec.id):
        raise Invalid(f"{kind} id '{spec.id}' is already taken; choose another 'id'", "id")
    now = utcnow()
    row = _write(session, kind, None, spec, dataset_id)
    row.origin, row.changed_by, row.changed_at = "app", caller.name, now
    return _finish(session, kind, row, "create", caller, None, 1, now)


def _begin(session: Session, caller: Caller, kind: str, ident: str, expected: int | None, doing: str,
           now: dt.datetime) -> tuple[int, Any, dict[str, Any]]:
    """Start a change: claim the next version (or Conflict), keep a baseline of a file state, and
    return the new version, the row and its state before, in the file format."""
    if expected is None:
        raise Invalid(f"say which version you are {doing}: an If-Match header with the ETag, or 'version'",
                      "version")
    version = versioning.claim(session, kind, ident, expected, by=caller.name or "?", now=now)
    row = _load_row(session, kind, ident)
    before = _form(session, kind, row)
    revisions.ensure_baseline(session, dataset_id=row.dataset_id, kind=kind, ident=ident, version=expected,
                              state=before, now=now)
    return version, row, before


def _change(session: Session, caller: Caller, kind: str, ident: str, expected: int | None,
            new_state: Any, action: str = "update", extra: dict[str, Any] | None = None) -> Saved:
    """Move a record from ``expected`` to the state ``new_state(current form)`` returns, checked and recorded."""
    access.require_writer(caller, f"change {kind}s")
    now = utcnow()
    version, row, before = _begin(session, caller, kind, ident, expected, "changing", now)
    data = new_state(dict(before))
    if not isinstance(data, dict):
        raise Invalid(f"the {kind} must be a JSON object")
    if data.get("id", ident) != ident:
        raise Invalid(f"ids never change: this {kind} is '{ident}'", "id")
    data = {**data, "id": ident}
    spec = _check(session, kind, data, row.dataset_id)
    _write(session, kind, row, spec, row.dataset_id)
    return _finish(session, kind, row, action, caller, before, version, now, extra)


def replace(session: Session, caller: Caller, kind: str, ident: str, data: Any, expected: int | None) -> Saved:
    """PUT: the record becomes ``data`` (every field; the id stays)."""
    return _change(session, caller, kind, ident, expected, lambda _current: data)


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 JSON Merge Patch: objects merge key by key, ``null`` removes, anything else replaces."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def patch(session: Session, caller: Caller, kind: str, ident: str, changes: Any, expected: int | None) -> Saved:
    """PATCH: JSON Merge Patch over the record in the file format."""
    if not isinstance(changes, dict):
        raise Invalid("a merge patch is a JSON object of the fields to change (null removes one)")
    return _change(session, caller, kind, ident, expected,
                   lambda current: merge_patch(_shorthand(current, changes), changes))


def _shorthand(current: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """``inferred`` in a patch is the one reason for both bounds: it replaces the per-bound reasons."""
    if "inferred" not in changes:
        return current
    return {k: v for k, v in current.items() if k not in ("start_inferred", "end_inferred")}


def evidence_id(item: dict[str, Any], session: Session) -> str:
    """The stable id of an evidence item of the file format: ``source:start-end``."""
    spans = _spans(session, item)
    return f"{item['source']}:{spans[0]}-{spans[1]}"


def _spans(session: Session, item: dict[str, Any]) -> tuple[int, int]:
    text = _text_of(session)(item["source"])
    found = find_all(text, item["quote"])
    return found[(item.get("occurrence") or 1) - 1]


def with_evidence_ids(session: Session, data: dict[str, Any] | None) -> dict[str, Any] | None:
    """A record for the API: its evidence items carry their ids (which are not part of the file format)."""
    if data is None or "evidence" not in data:
        return data
    return {**data, "evidence": [{"id": evidence_id(e, session), **e} for e in data["evidence"]]}


def _evidence_item(session: Session, item: Any, dataset_id: str) -> dict[str, Any]:
    """An evidence item from the API: the file format (source, quote, occurrence), or a source with exact offsets."""
    if not isinstance(item, dict):
        raise Invalid("an evidence item is a JSON object with source, quote (or start and end), voice")
    item = dict(item)
    start, end = item.pop("start", None), item.pop("end", None)
    if start is not None or end is not None:
        if not (isinstance(start, int) and isinstance(end, int)) or isinstance(start, bool) or isinstance(end, bool):
            raise Invalid("'start' and 'end' are character offsets (whole numbers)", "start")
        text = _SourceTexts(session, dataset_id).get(str(item.get("source")))
        if text is None:
            raise Invalid(f"unknown source {item.get('source')!r}", "source")
        try:
            start, end = words_span(text.text, start, end)
        except ValueError as error:
            raise Invalid(str(error), "start") from None
        quote = text.text[start:end]
        if "quote" in item and item["quote"] != quote:
            raise Invalid(f"the quote is not the text at {start}-{end} (which reads {quote[:60]!r})", "quote")
        item["quote"] = quote
        occurrence, count = occurrence_of(text.text, start, end)
        if count > 1:
            item["occurrence"] = occurrence
    return item


def add_evidence(session: Session, caller: Caller, kind: str, ident: str, item: Any,
                 expected: int | None, position: int | None = None) -> tuple[Saved, str]:
    """Attach a passage to a relation or event (last, or at ``position``, as an Undo puts it back);
    returns the new state and the new item's id."""
    dataset_id = session.scalar(select(MODELS[kind].dataset_id).where(MODELS[kind].id == ident))
    if dataset_id is None:
        raise NotFound(kind, ident)
    prepared = _evidence_item(session, item, dataset_id)
    at: list[int] = []

    def added(current: dict[str, Any]) -> dict[str, Any]:
        existing = list(current.get("evidence", []))
        index = len(existing) if position is None else max(0, min(position, len(existing)))
        at.append(index)
        candidate = {**current, "evidence": [*existing[:index], prepared, *existing[index:]]}
        spec = _check(session, kind, candidate, dataset_id)
        new = spec.evidence[index]
        if any((e.source_id, e.start, e.end) == (new.source_id, new.start, new.end)
               for i, e in enumerate(spec.evidence) if i != index):
            raise Invalid("this passage is already evidence of the record", "evidence")
        return candidate

    saved = _change(session, caller, kind, ident, expected, added)
    assert saved.record is not None
    return saved, evidence_id(saved.record["evidence"][at[0]], session)


def remove_evidence(session: Session, caller: Caller, kind: str, ident: str, item_id: str,
                    expected: int | None) -> Saved:
    """Detach one evidence item (by its id) from a relation or event; the last one cannot go."""
    if not EVIDENCE_ID.match(item_id):
        raise Invalid(f"{item_id!r} is not an evidence id (source:start-end)", "evidence_id")

    def removed(current: dict[str, Any]) -> dict[str, Any]:
        items = current.get("evidence", [])
        kept = [e for e in items if evidence_id(e, session) != item_id]
        if len(kept) == len(items):
            raise NotFound("evidence item", item_id)
        if not kept:
            raise Invalid(f"a {kind} needs at least one evidence item: add another before removing this one",
                          "evidence")
        return {**current, "evidence": kept}

    return _change(session, caller, kind, ident, expected, removed)


# --- Delete, restore, revert ---------------------------------------------------------

def dependants(session: Session, kind: str, ident: str) -> list[dict[str, str]]:
    """The records that would break if this one went (an actor still in relations, a bloc still used)."""
    found: list[dict[str, str]] = []
    if kind == "actor":
        for rid in session.scalars(select(Relation.id).where(or_(Relation.source_id == ident,
                                                                 Relation.target_id == ident))):
            found.append({"kind": "relation", "id": rid})
        for eid in session.scalars(select(EventActor.event_id).where(EventActor.actor_id == ident).distinct()):
            found.append({"kind": "event", "id": eid})
        for aid in session.scalars(select(Actor.id).where(Actor.affiliation_id == ident)):
            found.append({"kind": "actor", "id": aid})
        quoted = select(Passage.id).where(Passage.speaker_id == ident)
        for rid in session.scalars(select(RelationEvidence.relation_id)
                                   .where(RelationEvidence.passage_id.in_(quoted)).distinct()):
            found.append({"kind": "relation", "id": rid})
        for eid in session.scalars(select(EventEvidence.event_id)
                                   .where(EventEvidence.passage_id.in_(quoted)).distinct()):
            found.append({"kind": "event", "id": eid})
    elif kind == "bloc":
        for aid in session.scalars(select(Actor.id).where(Actor.bloc_id == ident)):
            found.append({"kind": "actor", "id": aid})
    unique = {(d["kind"], d["id"]): d for d in found}
    return [unique[key] for key in sorted(unique)]


def delete(session: Session, caller: Caller, kind: str, ident: str, expected: int | None) -> Saved:
    """Remove a record, keeping its state as a revision (``restore`` undoes it); refused if others need it."""
    access.require_writer(caller, f"delete {kind}s")
    now = utcnow()
    version, row, before = _begin(session, caller, kind, ident, expected, "deleting", now)
    users = dependants(session, kind, ident)
    if users:
        named = ", ".join(f"{u['kind']} '{u['id']}'" for u in users[:10])
        more = f" and {len(users) - 10} more" if len(users) > 10 else ""
        raise InUse(f"{kind} '{ident}' is still used by {named}{more}: change or delete those first", users)
    passages = {e.passage_id for e in row.evidence} if kind in ("relation", "event") else set()
    dataset_id = row.dataset_id
    session.delete(row)
    _prune_passages(session, passages)
    revisions.add_revision(session, dataset_id=dataset_id, kind=kind, ident=ident, version=version,
                           action="delete", editor=caller.name or "?", before=before, after=None, now=now)
    revisions.bump_dataset(session, dataset_id)
    return Saved(kind, ident, dataset_id, version, None)


def _last_revision(session: Session, kind: str, ident: str) -> RecordRevision | None:
    return session.scalar(select(RecordRevision).where(RecordRevision.kind == kind, RecordRevision.record_id == ident)
                          .order_by(RecordRevision.version.desc(), RecordRevision.id.desc()).limit(1))


def restore(session: Session, caller: Caller, kind: str, ident: str, expected: int | None = None,
            state: dict[str, Any] | None = None, action: str = "restore") -> Saved:
    """Bring a deleted record back from its history (Undo), checked against the data as it is now."""
    access.require_writer(caller, f"restore {kind}s")
    if exists(session, kind, ident):
        raise Invalid(f"{kind} '{ident}' is not deleted", "id")
    last = _last_revision(session, kind, ident)
    if last is not None and last.action == "merge":
        into = json.loads(last.changes).get("merge", {}).get("into")
        raise Invalid(f"{kind} '{ident}' was merged into '{into}': undo the merge instead", "id")
    if last is None or last.action != "delete" or last.snapshot is None:
        raise NotFound(kind, ident)
    if expected is not None and expected != last.version:
        raise access.Conflict(f"the {kind} is at version {last.version}, not {expected}", kind, ident)
    data = state if state is not None else json.loads(last.snapshot)
    spec = _check(session, kind, data, last.dataset_id)
    now = utcnow()
    row = _write(session, kind, None, spec, last.dataset_id)
    row.version, row.origin, row.changed_by, row.changed_at = last.version + 1, "app", caller.name, now
    return _finish(session, kind, row, action, caller, None, last.version + 1, now)


def revert(session: Session, caller: Caller, kind: str, ident: str, to_version: int,
           expected: int | None = None) -> Saved:
    """Admins: bring a record back to the state of one of its revisions (itself a new revision)."""
    access.require_admin(caller, "revert records to an earlier revision")
    target = session.scalar(select(RecordRevision).where(
        RecordRevision.kind == kind, RecordRevision.record_id == ident, RecordRevision.version == to_version)
        .order_by(RecordRevision.id.desc()).limit(1))
    if target is None or target.snapshot is None:
        raise Invalid(f"{kind} '{ident}' has no revision {to_version}", "version")
    state = json.loads(target.snapshot)
    extra = {"reverted_to": to_version}
    if not exists(session, kind, ident):
        return restore(session, caller, kind, ident, None, state, action="revert")
    if expected is None:
        expected = session.scalar(select(MODELS[kind].version).where(MODELS[kind].id == ident))
    return _change(session, caller, kind, ident, expected, lambda _current: state, action="revert", extra=extra)


def history(session: Session, kind: str, ident: str) -> list[dict[str, Any]]:
    """Every revision of a record, oldest first; NotFound if it never existed."""
    found = revisions.history(session, kind, ident)
    if not found and not exists(session, kind, ident):
        raise NotFound(kind, ident)
    return [revisions.revision_data(r) for r in found]


def recent_changes(session: Session, dataset_id: str | None, limit: int = 200) -> list[dict[str, Any]]:
    """The latest changes of a dataset (or of all), newest first, each saying whether its record still exists."""
    if dataset_id is not None and session.get(Dataset, dataset_id) is None:
        raise NotFound("dataset", dataset_id)
    found = [revisions.revision_data(r) for r in revisions.recent(session, dataset_id, limit)]
    alive: dict[str, set[str]] = {}
    for kind in {c["kind"] for c in found}:
        ids = {c["id"] for c in found if c["kind"] == kind}
        model = revisions.MODELS[kind]
        alive[kind] = set(session.scalars(select(model.id).where(model.id.in_(ids))))
    for change in found:
        change["exists"] = change["id"] in alive[change["kind"]]
    return found


# --- Merging duplicate actors --------------------------------------------------------

@dataclass(frozen=True)
class _Touched:
    kind: str
    id: str
    version: int
    before: dict[str, Any]


def _merge_scope(session: Session, merged: str) -> dict[str, list[str]]:
    """What refers to an actor: relations, events, affiliated actors, notes, and passages it speaks."""
    speaking = list(session.scalars(select(Passage.id).where(Passage.speaker_id == merged)))
    relations = set(session.scalars(select(Relation.id).where(or_(Relation.source_id == merged,
                                                                  Relation.target_id == merged))))
    events = set(session.scalars(select(EventActor.event_id).where(EventActor.actor_id == merged)))
    if speaking:
        relations |= set(session.scalars(select(RelationEvidence.relation_id)
                                         .where(RelationEvidence.passage_id.in_(speaking))))
        events |= set(session.scalars(select(EventEvidence.event_id).where(EventEvidence.passage_id.in_(speaking))))
    return {
        "relation": sorted(relations), "event": sorted(events),
        "actor": sorted(session.scalars(select(Actor.id).where(Actor.affiliation_id == merged))),
        "note": sorted(session.scalars(select(Annotation.id).where(Annotation.target_kind == "actor",
                                                                   Annotation.target_id == merged))),
        "passage": [f"{p.source_id}:{p.start}-{p.end}" for p in session.scalars(
            select(Passage).where(Passage.id.in_(speaking)))] if speaking else [],
    }


def _touch(session: Session, caller: Caller, kind: str, ident: str, now: dt.datetime) -> _Touched:
    """Lock a record for a change made on its behalf (a merge): next version, baseline kept, state before."""
    current = session.scalar(select(MODELS[kind].version).where(MODELS[kind].id == ident))
    if current is None:
        raise NotFound(kind, ident)
    version, _row, before = _begin(session, caller, kind, ident, current, "changing", now)
    return _Touched(kind, ident, version, before)


def _set_speakers(session: Session, keys: list[str], speaker: str) -> None:
    for key in keys:
        match = EVIDENCE_ID.match(key)
        assert match is not None
        session.execute(sa_update(Passage).where(
            Passage.source_id == match["source"], Passage.start == int(match["start"]),
            Passage.end == int(match["end"])).values(speaker_id=speaker).execution_options(synchronize_session=False))


def merge_actors(session: Session, caller: Caller, merged: str, into: str) -> Saved:
    """Merge actor ``merged`` into ``into``: its relations, events, spoken passages, affiliations, notes and
    names move to ``into``, and it is removed. Every record touched gets a revision; ``unmerge`` undoes it."""
    access.require_writer(caller, "merge actors")
    if merged == into:
        raise Invalid("an actor cannot be merged into itself", "into")
    rows = {a.id: a for a in session.scalars(select(Actor).where(Actor.id.in_([merged, into])))}
    for ident in (merged, into):
        if ident not in rows:
            raise NotFound("actor", ident)
    if rows[merged].dataset_id != rows[into].dataset_id:
        raise Invalid(f"'{merged}' and '{into}' belong to different datasets", "into")
    direct = list(session.scalars(select(Relation.id).where(or_(
        (Relation.source_id == merged) & (Relation.target_id == into),
        (Relation.source_id == into) & (Relation.target_id == merged)))))
    if direct:
        raise Invalid(f"relation(s) {', '.join(direct)} link the two actors and would link '{into}' to itself: "
                      "delete them first", "into")
    now = utcnow()
    scope = _merge_scope(session, merged)
    touched = [_touch(session, caller, kind, ident, now) for kind in ("relation", "event", "actor")
               for ident in scope[kind] if ident != into]
    target = _touch(session, caller, "actor", into, now)
    gone = _touch(session, caller, "actor", merged, now)

    _set_speakers(session, scope["passage"], into)
    session.execute(sa_update(Relation).where(Relation.source_id == merged).values(source_id=into)
                    .execution_options(synchronize_session=False))
    session.execute(sa_update(Relation).where(Relation.target_id == merged).values(target_id=into)
                    .execution_options(synchronize_session=False))
    session.execute(sa_update(Actor).where(Actor.affiliation_id == merged).values(affiliation_id=into)
                    .execution_options(synchronize_session=False))
    session.execute(sa_update(Actor).where(Actor.id == into, Actor.affiliation_id == into)
                    .values(affiliation_id=None).execution_options(synchronize_session=False))
    session.execute(sa_update(Annotation).where(Annotation.target_kind == "actor", Annotation.target_id == merged)
                    .values(target_id=into).execution_options(synchronize_session=False))
    for event_id in scope["event"]:
        event = _load_row(session, "event", event_id)
        actors: list[str] = []
        for actor_id in (into if a.actor_id == merged else a.actor_id for a in event.actors):
            if actor_id not in actors:
                actors.append(actor_id)
        event.actors = [EventActor(position=i, actor_id=a) for i, a in enumerate(actors)]
    session.flush()
    keeper = _load_row(session, "actor", into)
    names = list(keeper.alias_names)
    for name in [rows[merged].name, *rows[merged].alias_names]:
        if name not in names and name != keeper.name:
            names.append(name)
    keeper.aliases = [ActorAlias(position=i, name=n) for i, n in enumerate(names)]
    session.delete(_load_row(session, "actor", merged))
    session.flush()

    marker = {"merge": {"merged": merged, "into": into}}
    for item in [*touched, target]:
        row = _load_row(session, item.kind, item.id)
        revisions.add_revision(session, dataset_id=row.dataset_id, kind=item.kind, ident=item.id,
                               version=item.version, action="merge", editor=caller.name or "?", before=item.before,
                               after=_form(session, item.kind, row), now=now, extra=marker)
    moved = {"merge": {"merged": merged, "into": into, **scope,
                       "versions": {f"{t.kind}:{t.id}": t.version for t in [*touched, target]}}}
    revisions.add_revision(session, dataset_id=keeper.dataset_id, kind="actor", ident=merged, version=gone.version,
                           action="merge", editor=caller.name or "?", before=gone.before, after=None, now=now,
                           extra=moved)
    revisions.bump_dataset(session, keeper.dataset_id)
    return Saved("actor", into, keeper.dataset_id, target.version, _form(session, "actor", keeper))


def unmerge(session: Session, caller: Caller, merged: str) -> Saved:
    """Undo a merge: bring the merged actor back and every record it touched to its state before,
    refused (naming them) if any of those records changed since."""
    access.require_writer(caller, "undo merges")
    last = _last_revision(session, "actor", merged)
    if last is None or last.action != "merge" or last.snapshot is None:
        raise Invalid(f"actor '{merged}' was not merged into another", "id")
    info = json.loads(last.changes)["merge"]
    versions: dict[str, int] = info["versions"]
    changed = []
    for key, version in versions.items():
        kind, ident = key.split(":", 1)
        if session.scalar(select(MODELS[kind].version).where(MODELS[kind].id == ident)) != version:
            changed.append(key)
    if changed:
        raise access.Conflict(f"changed since the merge, so it cannot be undone automatically: {', '.join(changed)}",
                              "actor", info["into"])
    now = utcnow()
    into = info["into"]
    # Back first, so the records restored below can name it again.
    spec = _check(session, "actor", {**json.loads(last.snapshot), "affiliation": None}, last.dataset_id)
    row = _write(session, "actor", None, spec, last.dataset_id)
    row.version, row.origin, row.changed_by, row.changed_at = last.version + 1, "app", caller.name, now
    session.flush()
    _set_speakers(session, info["passage"], merged)
    session.execute(sa_update(Annotation).where(Annotation.id.in_(info["note"])).values(target_id=merged)
                    .execution_options(synchronize_session=False))
    for key, version in versions.items():
        kind, ident = key.split(":", 1)
        before = session.scalar(select(RecordRevision.snapshot).where(
            RecordRevision.kind == kind, RecordRevision.record_id == ident, RecordRevision.version == version - 1)
            .order_by(RecordRevision.id.desc()).limit(1))
        assert before is not None  # the merge kept a baseline of every record it touched
        _change(session, caller, kind, ident, version, lambda _current, state=json.loads(before): state,
                action="revert", extra={"unmerge": {"merged": merged, "into": into}})
    affiliation = json.loads(last.snapshot).get("affiliation")
    if affiliation:
        row = _load_row(session, "actor", merged)
        row.affiliation_id = affiliation
    return _finish(session, "actor", _load_row(session, "actor", merged), "restore", caller, None,
                   last.version + 1, now)
