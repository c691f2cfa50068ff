"""The timeline: events and relation intervals in date order, under the shared filter."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..dates import PartialDate
from ..models import Source
from .filters import ViewFilter
from .graph import filtered_edges
from .records import list_events


@lru_cache(maxsize=8192)
def _first(date: str | None) -> dt.date:
    # Cached: tens of thousands of items share a few thousand dates.
    return PartialDate.parse(date).first if date else dt.date.min


def timeline(session: Session, view: ViewFilter) -> dict[str, Any]:
    """Events and relation intervals sorted by when they begin (open starts first)."""
    items: list[dict[str, Any]] = []
    for event in list_events(session, view):
        items.append({"kind": "event", **{k: v for k, v in event.items() if k != "evidence"},
                      "evidence_count": len(event["evidence"])})
    for edge in filtered_edges(session, view):
        items.append({"kind": "relation", **edge})
    items.sort(key=lambda item: (_first(item.get("date") or item.get("start")), item["kind"], item["id"]))
    return {
        "items": items,
        "period": story_period(session, view, items),
        "meta": {
            "event_count": sum(1 for i in items if i["kind"] == "event"),
            "relation_count": sum(1 for i in items if i["kind"] == "relation"),
            "filter": view.query(),
        },
    }


def story_period(session: Session, view: ViewFilter, items: list[dict[str, Any]]) -> tuple[int, int] | None:
    """The years the story is told in — its events and the articles' publication — where the timeline
    opens (relations that began long before, such as a president's term, are shown as open starts)."""
    sources = select(Source.published).where(Source.published.is_not(None))
    if view.dataset:
        sources = sources.where(Source.dataset_id == view.dataset)
    dates = [PartialDate.parse(d) for d in session.scalars(sources)]
    for item in items:
        if item["kind"] == "event":
            dates.append(PartialDate.parse(item["date"]))
    if not dates:
        return None
    return min(d.first.year for d in dates), max(d.last.year for d in dates)
