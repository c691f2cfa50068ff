"""Geometry of the server-rendered timeline SVG: axis, event marks, relation bars, the "as of" line."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from ..dates import PartialDate, interval_text
from ..inputs import whole_number
from ..datasets.vocabulary import SIGN_NAMES
from .filters import FilterError, ViewFilter
from .pages import Page, page_of

WIDTH = 1400
GUTTER = 230
ROW = 18
EVENT_ROW = 16
TOP = 26
UNDATED_WIDTH = 118
# At scale the timeline draws one page of relation rows (the seed's fit on one, with no pager) and at most
# this many lanes of events; a density band then shows how many items begin each year, all of them.
ROWS_PER_PAGE = 200
MAX_EVENT_LANES = 12
DENSITY_HEIGHT = 28


@lru_cache(maxsize=8192)
def _date(value: str) -> PartialDate:
    """A partial date parsed once: tens of thousands of items share a few thousand dates."""
    return PartialDate.parse(value)


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
class Density:
    """How many items of the whole window begin in one period: a bar of the density band."""

    x: float
    width: float
    height: float
    title: str


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
    rows_page: Page[Any] | None = None  # the page of relation rows drawn, when there are more than one
    hidden_events: int = 0  # events in the window beyond the lanes drawn
    density: list[Density] = field(default_factory=list)
    density_y: float = 0

    def x(self, day: dt.date) -> float:
        span = (self.last - self.first).days or 1
        return self.gutter + (self.width - self.gutter - 10) * ((day - self.first).days / span)


def _year_range(items: list[dict[str, Any]]) -> tuple[int, int]:
    years = []
    for item in items:
        for key in ("date", "end", "start"):
            if item.get(key):
                years.append(_date(item[key]).first.year)
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
    period: tuple[int, int] | None = None, page: int = 1,
) -> TimelineLayout:
    """Lay out events (top lanes), relation intervals (one row each, grouped by type or actor), and last
    the relations nobody dates, in a group of their own and never as a bar across all time. Past
    ``ROWS_PER_PAGE`` rows only page ``page`` of them is drawn, past ``MAX_EVENT_LANES`` lanes no more
    events, and a density band counts everything the window holds."""
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
    begins: list[tuple[dt.date, str]] = []  # (when, kind) of everything in the window, for the density band
    for event in events:
        date = _date(event["date"])
        end = _date(event["end"]).last if event.get("end") else date.last
        if end < layout.first or date.first > layout.last:
            continue
        begins.append((max(date.first, layout.first), "event"))
        x1 = layout.x(max(date.first, layout.first))
        x2 = layout.x(min(end, layout.last))
        point = date.precision == "day" and not event.get("end")
        width = max(x2 - x1, 6.0)
        lane = next((i for i, right in enumerate(lanes) if right + 4 < x1), None)
        if lane is None:
            if len(lanes) >= MAX_EVENT_LANES:
                layout.hidden_events += 1
                continue
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
    density_y = y

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
    # The rows the window holds, in the order they are drawn; a page of them when there are many.
    drawn: list[tuple[str, dict[str, Any], dt.date | None, dt.date | None]] = []
    for heading in sorted(groups):
        for relation in groups[heading]:
            start = _date(relation["start"]).first if relation.get("start") else None
            relation_end = _date(relation["end"]).last if relation.get("end") else None
            if (start and start > layout.last) or (relation_end and relation_end < layout.first):
                continue
            drawn.append((heading, relation, start, relation_end))
            begins.append((max(start, layout.first) if start else layout.first, "relation"))
    rows_page = page_of(drawn + [("", r, None, None) for r in undated], page, ROWS_PER_PAGE)
    paged = rows_page.paged
    on_page = {id(entry[1]) for entry in rows_page.items}
    if paged or layout.hidden_events:
        layout.rows_page = rows_page if paged else None
        layout.density_y = density_y
        layout.rows.append(Row("All of them, by year", density_y, heading=True))
        y = density_y + DENSITY_HEIGHT + 8
    headings_shown = {entry[0] for entry in rows_page.items}
    for heading in sorted(groups):
        if paged and heading not in headings_shown:
            continue
        layout.rows.append(Row(heading, y, heading=True))
        y += ROW
        for relation in groups[heading]:
            if id(relation) not in on_page:
                continue
            start = _date(relation["start"]).first if relation.get("start") else None
            relation_end = _date(relation["end"]).last if relation.get("end") else None
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
    undated = [r for r in undated if id(r) in on_page]
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
    if paged or layout.hidden_events:
        layout.density = _density(layout, begins, year_from, year_to)
    layout.height = y + 10
    if view.at is not None and layout.first <= view.at.first <= layout.last:
        layout.as_of = layout.x(view.at.first)
        layout.as_of_label = str(view.at)
    layout.zoom = {"t_from": str(year_from), "t_to": str(year_to)}
    return layout


def _density(layout: TimelineLayout, begins: list[tuple[dt.date, str]], year_from: int,
             year_to: int) -> list[Density]:
    """Bars of how many relations and events begin in each year of the window (each month when it spans
    three years or less), scaled to the busiest."""
    monthly = year_to - year_from + 1 <= 3
    counts: dict[tuple[int, int], dict[str, int]] = {}
    for day, kind in begins:
        bucket = counts.setdefault((day.year, day.month if monthly else 1), {"relation": 0, "event": 0})
        bucket[kind] += 1
    busiest = max((sum(c.values()) for c in counts.values()), default=0) or 1
    bars = []
    for (year, month), count in sorted(counts.items()):
        first = dt.date(year, month, 1)
        last = dt.date(year + (month == 12), month % 12 + 1, 1) if monthly else dt.date(year + 1, 1, 1)
        x1, x2 = layout.x(max(first, layout.first)), layout.x(min(last, layout.last))
        total = count["relation"] + count["event"]
        period = f"{year}-{month:02d}" if monthly else str(year)
        bars.append(Density(x=x1, width=max(x2 - x1 - 1, 1.0), height=max(DENSITY_HEIGHT * total / busiest, 1.5),
                            title=f"{period}: {count['relation']:,} relations and {count['event']:,} events begin"))
    return bars


def navigation(first_year: int, last_year: int) -> dict[str, dict[str, str | None]]:
    """The year windows the zoom and pan links lead to (each back to the first page of rows)."""
    return {
        "zoom_in": {"t_from": str(min(first_year + 1, last_year - 1)), "t_to": str(max(last_year - 1, first_year + 1)),
                    "t_page": None},
        "zoom_out": {"t_from": str(first_year - 2), "t_to": str(last_year + 2), "t_page": None},
        "pan_left": {"t_from": str(first_year - 1), "t_to": str(last_year - 1), "t_page": None},
        "pan_right": {"t_from": str(first_year + 1), "t_to": str(last_year + 1), "t_page": None},
    }


def month_steps(first_year: int, last_year: int) -> list[str]:
    """Every month of the window, as the "as of" slider's values."""
    return [f"{year:04d}-{month:02d}" for year in range(first_year, last_year + 1) for month in range(1, 13)]



def play_stops(items: list[dict[str, Any]]) -> list[str]:
    """Play "by event" steps to each event's date, in the order the periods they name are over."""
    dates = {i["date"] for i in items if i["kind"] == "event"}
    return sorted(dates, key=lambda d: (_date(d).last, _date(d).first))
