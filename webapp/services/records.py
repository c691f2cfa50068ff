"""Actors, relations, events and sources with their evidence passages, as plain data.

Every loader here uses a fixed number of queries whatever the number of rows
(eager ``selectinload`` chains), so lists and panels cannot degrade into N+1.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, defer, selectinload

from ..dates import precision_of
from ..datasets.vocabulary import SIGN_NAMES
from ..models import (
    Actor,
    Event,
    EventActor,
    EventEvidence,
    Passage,
    Relation,
    RelationEvidence,
    Source,
)
from .filters import ViewFilter
from .graph import actor_rows, relation_types


class NotFound(LookupError):
    """No such record; ``kind`` and ``ident`` say what was asked for."""

    def __init__(self, kind: str, ident: str) -> None:
        super().__init__(f"no {kind} with id '{ident}'")
        self.kind = kind
        self.ident = ident


_PASSAGE_LOAD = (selectinload(Passage.source).load_only(Source.id, Source.title, Source.published,
                                                         Source.published_inferred, Source.publisher,
                                                         Source.republished_from),
                 selectinload(Passage.speaker).load_only(Actor.id, Actor.name))


def passage_data(passage: Passage) -> dict[str, Any]:
    return {
        "id": passage.id,
        "source": passage.source_id,
        "source_title": passage.source.title,
        "source_publisher": passage.source.publisher,
        "source_published": passage.source.published,
        # The source as it counts among independent sources: a republication as its original.
        "source_original": passage.source.republished_from or passage.source_id,
        "start": passage.start,
        "end": passage.end,
        "text": passage.exact,
        "prefix": passage.prefix,
        "suffix": passage.suffix,
        "voice": passage.voice,
        "speaker": passage.speaker_id,
        "speaker_name": passage.speaker.name if passage.speaker else None,
    }


def _evidence(passages: list[dict[str, Any]]) -> dict[str, Any]:
    """A claim's evidence, with its count of passages and of independent sources."""
    return {"evidence": passages, "evidence_count": len(passages),
            "independent_sources": len({p["source_original"] for p in passages})}


def _relation_data(relation: Relation, types: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": relation.id,
        "version": relation.version,
        "from": relation.source_id,
        "from_name": relation.source.name,
        "to": relation.target_id,
        "to_name": relation.target.name,
        "type": relation.type,
        "type_label": types.get(relation.type, {"label": relation.type})["label"],
        "sign": relation.sign,
        "sign_label": SIGN_NAMES[relation.sign],
        "directed": relation.directed,
        "start": relation.start,
        "end": relation.end,
        "start_precision": precision_of(relation.start),
        "end_precision": precision_of(relation.end),
        "start_inferred": relation.start_inferred,
        "end_inferred": relation.end_inferred,
        "confidence": relation.confidence,
        "summary": relation.summary,
        "dataset": relation.dataset_id,
        **_evidence([passage_data(e.passage) for e in relation.evidence]),
    }


def _relations_query():  # type: ignore[no-untyped-def]
    return select(Relation).options(
        selectinload(Relation.source).load_only(Actor.id, Actor.name),
        selectinload(Relation.target).load_only(Actor.id, Actor.name),
        selectinload(Relation.evidence).selectinload(RelationEvidence.passage).options(*_PASSAGE_LOAD),
    )


def _event_data(event: Event) -> dict[str, Any]:
    return {
        "id": event.id,
        "version": event.version,
        "date": event.date,
        "end": event.end,
        "precision": precision_of(event.date),
        "end_precision": precision_of(event.end),
        "start_inferred": event.start_inferred,
        "end_inferred": event.end_inferred,
        "title": event.title,
        "summary": event.summary,
        "actors": [{"id": a.actor_id, "name": a.actor.name} for a in event.actors],
        "dataset": event.dataset_id,
        **_evidence([passage_data(e.passage) for e in event.evidence]),
    }


def _events_query():  # type: ignore[no-untyped-def]
    return select(Event).options(
        selectinload(Event.actors).selectinload(EventActor.actor).load_only(Actor.id, Actor.name),
        selectinload(Event.evidence).selectinload(EventEvidence.passage).options(*_PASSAGE_LOAD),
    )


def list_actors(session: Session, view: ViewFilter) -> list[dict[str, Any]]:
    """Actors the filter allows, with bloc, aliases and relation count."""
    actors = actor_rows(session, view)
    counts = dict(session.execute(
        select(Actor.id, func.count(Relation.id))
        .join(Relation, or_(Relation.source_id == Actor.id, Relation.target_id == Actor.id))
        .where(*view.relation_conditions())
        .group_by(Actor.id)
    ).all())
    for actor in actors:
        actor["relation_count"] = counts.get(actor["id"], 0)
    return actors


def actor_detail(session: Session, actor_id: str, view: ViewFilter) -> dict[str, Any]:
    """One actor with its relations (under the filter), their evidence, and its events."""
    rows = actor_rows(session, view, {actor_id})
    if not rows:
        raise NotFound("actor", actor_id)
    actor = rows[0]
    types = relation_types(session)
    relations = session.scalars(
        _relations_query()
        .where(or_(Relation.source_id == actor_id, Relation.target_id == actor_id), *view.relation_conditions())
        .order_by(Relation.position)
    ).all()
    actor["relations"] = [_relation_data(r, types) for r in relations]
    events = session.scalars(
        _events_query()
        .where(Event.id.in_(select(EventActor.event_id).where(EventActor.actor_id == actor_id)),
               *view.event_conditions())
        .order_by(Event.date_first, Event.position)
    ).all()
    actor["events"] = [_event_data(e) for e in events]
    return actor


def relation_detail(session: Session, relation_id: str) -> dict[str, Any]:
    relation = session.scalars(_relations_query().where(Relation.id == relation_id)).one_or_none()
    if relation is None:
        raise NotFound("relation", relation_id)
    return _relation_data(relation, relation_types(session))


def relations_by_id(session: Session, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Several relations with their evidence, in one round of queries."""
    wanted = set(ids)
    if not wanted:
        return {}
    types = relation_types(session)
    return {r.id: _relation_data(r, types) for r in session.scalars(_relations_query().where(Relation.id.in_(wanted)))}


def list_events(session: Session, view: ViewFilter) -> list[dict[str, Any]]:
    """Events the filter keeps, in date order, each with actors and evidence."""
    events = session.scalars(
        _events_query().where(*view.event_conditions()).order_by(Event.date_first, Event.position)
    ).all()
    ego = _ego_actors(session, view)
    data = [_event_data(e) for e in events]
    if ego is not None:
        data = [e for e in data if any(a["id"] in ego for a in e["actors"])]
    return data


def _ego_actors(session: Session, view: ViewFilter) -> set[str] | None:
    if view.focus is None:
        return None
    edges = session.execute(select(Relation.source_id, Relation.target_id).where(*view.relation_conditions()))
    return view.ego((a, b) for a, b in edges)


def event_detail(session: Session, event_id: str) -> dict[str, Any]:
    event = session.scalars(_events_query().where(Event.id == event_id)).one_or_none()
    if event is None:
        raise NotFound("event", event_id)
    return _event_data(event)


def _source_data(source: Source, passage_count: int) -> dict[str, Any]:
    return {
        "id": source.id,
        "title": source.title,
        "publisher": source.publisher,
        "author": source.author,
        "url": source.url,
        "published": source.published,
        "published_precision": precision_of(source.published),
        "published_inferred": source.published_inferred,
        "language": source.language,
        "dataset": source.dataset_id,
        "passage_count": passage_count,
    }


def list_sources(session: Session, view: ViewFilter) -> list[dict[str, Any]]:
    counts = (
        select(Passage.source_id, func.count().label("n")).group_by(Passage.source_id).subquery()
    )
    query = (
        select(Source, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.source_id == Source.id)
        .options(defer(Source.text))
        .order_by(Source.published_first, Source.id)
    )
    if view.dataset:
        query = query.where(Source.dataset_id == view.dataset)
    return [_source_data(source, count) for source, count in session.execute(query)]


def source_detail(session: Session, source_id: str) -> dict[str, Any]:
    """A source with its full text and every passage, each with what it supports."""
    source = session.get(Source, source_id)
    if source is None:
        raise NotFound("source", source_id)
    passages = session.scalars(
        select(Passage).where(Passage.source_id == source_id).order_by(Passage.start, Passage.end)
        .options(selectinload(Passage.speaker).load_only(Actor.id, Actor.name))
    ).all()
    supports: dict[int, dict[str, list[str]]] = {p.id: {"relations": [], "events": []} for p in passages}
    ids = list(supports)
    if ids:
        for relation_id, passage_id in session.execute(
            select(RelationEvidence.relation_id, RelationEvidence.passage_id)
            .where(RelationEvidence.passage_id.in_(ids)).order_by(RelationEvidence.relation_id)
        ):
            supports[passage_id]["relations"].append(relation_id)
        for event_id, passage_id in session.execute(
            select(EventEvidence.event_id, EventEvidence.passage_id)
            .where(EventEvidence.passage_id.in_(ids)).order_by(EventEvidence.event_id)
        ):
            supports[passage_id]["events"].append(event_id)
    data = _source_data(source, len(passages))
    data["text"] = source.text
    data["passages"] = [
        {
            "id": p.id, "start": p.start, "end": p.end, "text": p.exact, "prefix": p.prefix, "suffix": p.suffix,
            "voice": p.voice, "speaker": p.speaker_id, "speaker_name": p.speaker.name if p.speaker else None,
            **supports[p.id],
        }
        for p in passages
    ]
    return data


def events_by_id(session: Session, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Several events with their actors and evidence, in one round of queries."""
    wanted = set(ids)
    if not wanted:
        return {}
    return {e.id: _event_data(e) for e in session.scalars(_events_query().where(Event.id.in_(wanted)))}
