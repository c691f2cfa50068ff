"""An actor's relations in its panel at any size: up to a page of them as they are, and beyond that
counts per type and per counterpart with the strongest-evidenced relations a page at a time."""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from ..models import Actor, Event, EventActor, Relation, RelationEvidence
from . import records
from .filters import ViewFilter
from .graph import actor_rows, relation_types
from .pages import page_of

PAGE_SIZE = 25
EVENTS_SHOWN = 25
COUNTERPARTS_SHOWN = 8


def actor_record(session: Session, actor_id: str, view: ViewFilter, page: int = 1) -> dict[str, Any]:
    """The actor as ``records.actor_detail`` gives it when it has at most ``PAGE_SIZE`` relations under
    the filter (``overview`` None). Otherwise ``relations`` is page ``page`` of them, the most evidence
    first, ``events`` its first ``EVENTS_SHOWN`` events, and ``overview`` holds the counts: in all, per
    type, with its most frequent counterparts, and the page."""
    rows = actor_rows(session, view, {actor_id})
    if not rows:
        raise records.NotFound("actor", actor_id)
    involving = [or_(Relation.source_id == actor_id, Relation.target_id == actor_id), *view.relation_conditions()]
    total = session.scalar(select(func.count()).select_from(Relation).where(*involving)) or 0
    if total <= PAGE_SIZE:
        record = records.actor_detail(session, actor_id, view)
        record["overview"] = None
        return record
    record = rows[0]
    evidence = (select(RelationEvidence.relation_id, func.count().label("n"))
                .group_by(RelationEvidence.relation_id).subquery())
    shown = page_of(range(total), page, PAGE_SIZE)
    ids = list(session.scalars(
        select(Relation.id).outerjoin(evidence, evidence.c.relation_id == Relation.id).where(*involving)
        .order_by(func.coalesce(evidence.c.n, 0).desc(), Relation.dataset_id, Relation.position)
        .offset(shown.first - 1).limit(PAGE_SIZE)))
    found = records.relations_by_id(session, ids)
    record["relations"] = [found[i] for i in ids]
    types = relation_types(session)
    by_type = session.execute(select(Relation.type, Relation.sign, func.count()).where(*involving)
                              .group_by(Relation.type, Relation.sign).order_by(func.count().desc(), Relation.type))
    other = case((Relation.source_id == actor_id, Relation.target_id), else_=Relation.source_id).label("other")
    counterparts = session.execute(
        select(other, func.count()).where(*involving).group_by(other)
        .order_by(func.count().desc(), other).limit(COUNTERPARTS_SHOWN)).all()
    names = dict(session.execute(select(Actor.id, Actor.name).where(Actor.id.in_([c[0] for c in counterparts]))).all())
    counterpart_count = session.scalar(select(func.count()).select_from(
        select(other).where(*involving).group_by(other).subquery())) or 0
    in_events = [Event.id.in_(select(EventActor.event_id).where(EventActor.actor_id == actor_id)),
                 *view.event_conditions()]
    event_total = session.scalar(select(func.count()).select_from(Event).where(*in_events)) or 0
    event_ids = list(session.scalars(select(Event.id).where(*in_events).order_by(Event.date_first, Event.position)
                                     .limit(EVENTS_SHOWN)))
    events = records.events_by_id(session, event_ids)
    record["events"] = [events[i] for i in event_ids]
    record["overview"] = {
        "total": total,
        "page": shown,
        "types": [{"id": kind, "label": types.get(kind, {"label": kind})["label"], "sign": sign, "count": count}
                  for kind, sign, count in by_type],
        "counterparts": [{"id": ident, "name": names.get(ident, ident), "count": count}
                         for ident, count in counterparts],
        "counterpart_count": counterpart_count,
        "event_total": event_total,
    }
    return record
