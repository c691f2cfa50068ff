"""Geometry of the server-rendered timeline SVG: axis, event marks, relation bars, the "as of" line."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..dates import PartialDate, interval_text
from ..inputs import whole_number
from ..datasets.vocabulary import SIGN_NAMES
from .filters import FilterError, ViewFilter

WIDTH = 1400
GUTTER = 230
ROW = 18
EVENT_ROW = 16
TOP = 26
UNDATED_WIDTH = 118


def _sentence(relation: Mapping[str, Any], names: Mapping[str, str]) -> str:
    """'Iraq intelligence sharing Iran': who, what, with whom."""
    return (f"{names.get(relation['from'], relation['from'])} {relation['type_label']} "
            f"{names.get(relation['to'], relation['to'])}")


def _relation_title(relation: Mapping[str, Any], names: Mapping[str, str]) -> str:
    """A relation bar's tooltip: who, what, when, and why each inferred bound is assumed."""
    when = interval_text(relation.get("start"), relation.get("end"), relation.get("start_inferred"),
                         relation.get("end_inferred"))
    title = f"{_sentence(relation, names)}: {when}"
    for bound in ("start", "end"):
        if relation.get(bound) and relation.get(f"{bound}_inferred"):
            title += f"\n{bound.capitalize()} inferred: {relation[f'{bound}_inferred']}"
    if not relation.get("start") and not relation.get("end"):
        title += "\nNo source dates this relation."
    return title


@dataclass
class Bar:
    id: str
    kind: str  # "event" | "relation"
    x: float
    width: float
    y: float
    label: str
    title: str
    css: str
    open_start: bool = False
    open_end: bool = False
    point: bool = False
    undated: bool = False  # drawn as a labelled hatched chip, never as an extent


@dataclass
class Row:
    label: str
    y: float
    heading: bool = False


@dataclass
class TimelineLayout:
    first: dt.date
    last: dt.date
    width: int = WIDTH
    height: float = 0
    gutter: int = GUTTER
    ticks: list[tuple[float, str]] = field(default_factory=list)
    bars: list[Bar] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    as_of: float | None = None
    as_of_label: str | None = None
    zoom: dict[str, str] = field(default_factory=dict)

    def x(self, day: dt.date) -> float:
        span = (self.last - self.first).days or 1
        return self.gutter + (self.width - self.gutter - 10) * ((day - self.first).days / span)


def _year_range(items: list[dict[str, Any]]) -> tuple[int, int]:
    years = []
    for item in items:
        for key in ("date", "end", "start"):
            if item.get(key):
                years.append(PartialDate.parse(item[key]).first.year)
    if not years:
        today = dt.date.today().year
        return today - 1, today
    return min(years) - 1, max(years) + 1


def zoom_window(args: Mapping[str, str], items: list[dict[str, Any]],
                period: tuple[int, int] | None = None, at: PartialDate | None = None) -> tuple[int, int]:
    """The years shown: ``t_from``/``t_to`` from the URL, or else the story's period (a year either side,
    widened to the chosen date), or else the data's extent."""
    if period is not None:
        low, high = period[0] - 1, period[1] + 1
        if at is not None:
            low, high = min(low, at.first.year), max(high, at.first.year)
    else:
        low, high = _year_range(items)
    values = {}
    for name, default in (("t_from", low), ("t_to", high)):
        raw = (args.get(name) or "").strip()
        if not raw:
            values[name] = default
            continue
        year = whole_number(raw, 1, 9999)
        if year is None:
            raise FilterError(name, f"'{name}' must be a year like 2015, not {raw!r}")
        values[name] = year
    if values["t_to"] <= values["t_from"]:
        raise FilterError("t_to", "'t_to' must be a later year than 't_from'")
    return values["t_from"], values["t_to"]


def build(
    items: list[dict[str, Any]], view: ViewFilter, args: Mapping[str, str], group: str, names: Mapping[str, str],
    period: tuple[int, int] | None = None,
) -> TimelineLayout:
    """Lay out events (top lanes), relation intervals (one row each, grouped by type or actor), and last
    the relations nobody dates, in a group of their own and never as a bar across all time."""
    year_from, year_to = zoom_window(args, items, period, view.at)
    layout = TimelineLayout(first=dt.date(year_from, 1, 1), last=dt.date(year_to, 12, 31))
    span_years = year_to - year_from + 1
    step = 1 if span_years <= 12 else 5 if span_years <= 60 else 25
    for year in range(year_from, year_to + 1, step):
        layout.ticks.append((layout.x(dt.date(year, 1, 1)), str(year)))
    if span_years <= 3:
        for year in range(year_from, year_to + 1):
            for month in (4, 7, 10):
                layout.ticks.append((layout.x(dt.date(year, month, 1)), ""))

    y = TOP
    events = [i for i in items if i["kind"] == "event"]
    lanes: list[float] = []
    layout.rows.append(Row("Events", y, heading=True))
    for event in events:
        date = PartialDate.parse(event["date"])
        end = PartialDate.parse(event["end"]).last if event.get("end") else date.last
        if end < layout.first or date.first > layout.last:
            continue
        x1 = layout.x(max(date.first, layout.first))
        x2 = layout.x(min(end, layout.last))
        point = date.precision == "day" and not event.get("end")
        width = max(x2 - x1, 6.0)
        lane = next((i for i, right in enumerate(lanes) if right + 4 < x1), None)
        if lane is None:
            lanes.append(0.0)
            lane = len(lanes) - 1
        lanes[lane] = x1 + max(width, 10.0)
        layout.bars.append(Bar(
            id=event["id"], kind="event", x=x1, width=width, y=y + lane * EVENT_ROW, label=event["title"],
            title=f"{event['date']}{' to ' + event['end'] if event.get('end') else ''}: {event['title']}"
                  + (f"\nDate inferred: {event['start_inferred']}" if event.get("start_inferred") else
                     "\nDate stated by the sources"),
            css=f"tl-event precision-{date.precision}" + (" inferred-start" if event.get("start_inferred") else ""),
            point=point,
        ))
    y += max(len(lanes), 1) * EVENT_ROW + 14

    relations = [i for i in items if i["kind"] == "relation"]
    if group == "actor":
        key = lambda r: names.get(r["from"], r["from"])  # noqa: E731
        label = lambda r: f"{r['type_label']} → {names.get(r['to'], r['to'])}"  # noqa: E731
    else:
        key = lambda r: r["type_label"]  # noqa: E731
        label = lambda r: f"{names.get(r['from'], r['from'])} – {names.get(r['to'], r['to'])}"  # noqa: E731
    groups: dict[str, list[dict[str, Any]]] = {}
    undated = [r for r in relations if not r.get("start") and not r.get("end")]
    for relation in relations:
        if relation.get("start") or relation.get("end"):
            groups.setdefault(key(relation), []).append(relation)
    for heading in sorted(groups):
        layout.rows.append(Row(heading, y, heading=True))
        y += ROW
        for relation in groups[heading]:
            start = PartialDate.parse(relation["start"]).first if relation.get("start") else None
            relation_end = PartialDate.parse(relation["end"]).last if relation.get("end") else None
            if (start and start > layout.last) or (relation_end and relation_end < layout.first):
                continue
            x1 = layout.x(max(start, layout.first)) if start else layout.x(layout.first)
            x2 = layout.x(min(relation_end, layout.last)) if relation_end else layout.x(layout.last)
            layout.rows.append(Row(label(relation), y))
            sign = SIGN_NAMES[relation["sign"]]
            inferred = [b for b in ("start", "end") if relation.get(b) and relation.get(f"{b}_inferred")]
            layout.bars.append(Bar(
                id=relation["id"], kind="relation", x=x1, width=max(x2 - x1, 4.0), y=y, label=label(relation),
                title=_relation_title(relation, names),
                css=f"tl-relation sign-{sign}" + "".join(f" inferred-{b}" for b in inferred),
                open_start=start is None or start < layout.first,
                open_end=relation_end is None or relation_end > layout.last,
            ))
            y += ROW
    if undated:
        layout.rows.append(Row("Dates not stated", y, heading=True))
        y += ROW
        for relation in undated:
            layout.rows.append(Row(_sentence(relation, names), y))
            layout.bars.append(Bar(
                id=relation["id"], kind="relation", x=layout.gutter, width=UNDATED_WIDTH, y=y,
                label="dates not stated", title=_relation_title(relation, names),
                css=f"tl-relation tl-undated sign-{SIGN_NAMES[relation['sign']]}", undated=True,
            ))
            y += ROW
    layout.height = y + 10
    if view.at is not None and layout.first <= view.at.first <= layout.last:
        layout.as_of = layout.x(view.at.first)
        layout.as_of_label = str(view.at)
    layout.zoom = {"t_from": str(year_from), "t_to": str(year_to)}
    return layout


def navigation(first_year: int, last_year: int) -> dict[str, dict[str, str]]:
    """The year windows the zoom and pan links lead to."""
    return {
        "zoom_in": {"t_from": str(min(first_year + 1, last_year - 1)), "t_to": str(max(last_year - 1, first_year + 1))},
        "zoom_out": {"t_from": str(first_year - 2), "t_to": str(last_year + 2)},
        "pan_left": {"t_from": str(first_year - 1), "t_to": str(last_year - 1)},
        "pan_right": {"t_from": str(first_year + 1), "t_to": str(last_year + 1)},
    }


def month_steps(first_year: int, last_year: int) -> list[str]:
    """Every month of the window, as the "as of" slider's values."""
    return [f"{year:04d}-{month:02d}" for year in range(first_year, last_year + 1) for month in range(1, 13)]



def play_stops(items: list[dict[str, Any]]) -> list[str]:
    """Play "by event" steps to each event's date, in the order the periods they name are over."""
    dates = {i["date"] for i in items if i["kind"] == "event"}
    return sorted(dates, key=lambda d: (PartialDate.parse(d).last, PartialDate.parse(d).first))
