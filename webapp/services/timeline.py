"""The timeline: events and relation intervals in date order, under the shared filter."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from ..dates import PartialDate
from .filters import ViewFilter
from .graph import filtered_edges
from .records import list_events


def _first(date: str | None) -> dt.date:
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
        "meta": {
            "event_count": sum(1 for i in items if i["kind"] == "event"),
            "relation_count": sum(1 for i in items if i["kind"] == "relation"),
            "filter": view.query(),
        },
    }
