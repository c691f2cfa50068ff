"""Who is caught between whom: structural balance, brokers and camps of the filtered network.

Everything here starts from ``graph.filtered_edges`` under the explorer's
filter, so the analysis always describes the network the user is looking at.

How several relations between one pair become one sign: structural relations
(sign 0: leads, member of…) are left out; the pair takes the sign whose
relations weigh more, each weighted by the curator's confidence (high 3,
medium 2, low 1), a tie counts as adversarial, and a pair with relations of
both signs is flagged ``contested``. Direction is ignored: balance is about
pairs.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
from sqlalchemy.orm import Session

from ..dates import PartialDate
from . import records
from .balance import Pair, frustration, is_balanced, is_weakly_balanced, pair, triangles
from .filters import FilterError, ViewFilter, parse_date
from .graph import actor_rows, data_revision, filtered_edges
from .explorer import add_excerpts

MAX_TIMELINE_DATES = 60
BETWEENNESS_EXACT_MAX = 500
BETWEENNESS_SAMPLES = 100
CONFIDENCE_WEIGHTS = {"low": 1, "medium": 2, "high": 3}
PAIR_RULE = ("a pair takes the sign whose relations weigh more (confidence high 3, medium 2, low 1); "
             "a tie is adversarial; structural relations are left out")

# How a relation reads inside a sentence; {a} is its source, {b} its target.
CLAUSES = {
    "alliance": "{a} is allied with {b}",
    "cooperation": "{a} works with {b}",
    "coordination": "{a} coordinates with {b}",
    "intelligence_sharing": "{a} shares intelligence with {b}",
    "military_support": "{a} supports {b} militarily",
    "political_support": "{a} backs {b} politically",
    "financial_support": "{a} funds {b}",
    "training": "{a} trains {b}",
    "diplomatic_contact": "{a} talks with {b}",
    "opposition": "{a} opposes {b}",
    "hostility": "{a} and {b} are hostile",
    "military_action": "{a} strikes {b}",
    "non_cooperation": "{a} refuses to cooperate with {b}",
    "rivalry": "{a} and {b} are rivals",
}


def _weight(relation: dict[str, Any]) -> int:
    return CONFIDENCE_WEIGHTS.get(relation["confidence"] or "medium", 2)


@dataclass
class Side:
    """One pair of actors with the relations between them and the sign they combine to."""

    a: str
    b: str
    relations: list[dict[str, Any]] = field(default_factory=list)

    @property
    def weights(self) -> tuple[int, int]:
        positive = sum(_weight(r) for r in self.relations if r["sign"] > 0)
        negative = sum(_weight(r) for r in self.relations if r["sign"] < 0)
        return positive, negative

    @property
    def sign(self) -> int:
        positive, negative = self.weights
        return 1 if positive > negative else -1

    @property
    def contested(self) -> bool:
        return len({r["sign"] for r in self.relations}) > 1

    def leading(self) -> dict[str, Any]:
        """The relation that best states the pair's sign (most weight, then most evidence, then curated order)."""
        agreeing = [r for r in self.relations if r["sign"] == self.sign]
        return max(agreeing, key=lambda r: (_weight(r), r["evidence_count"]))


def signed_pairs(edges: Iterable[dict[str, Any]]) -> dict[Pair, Side]:
    """One side per pair of actors joined by cooperative or adversarial relations."""
    sides: dict[Pair, Side] = {}
    for edge in edges:
        if edge["sign"] == 0 or edge["from"] == edge["to"]:
            continue
        key = pair(edge["from"], edge["to"])
        if key not in sides:
            a, b = sorted(key)
            sides[key] = Side(a, b)
        sides[key].relations.append(edge)
    return sides


def clause(relation: dict[str, Any], names: dict[str, str]) -> str:
    """The relation as a clause of a sentence ("Iraq shares intelligence with Iran")."""
    a, b = names.get(relation["from"], relation["from"]), names.get(relation["to"], relation["to"])
    template = CLAUSES.get(relation["type"])
    if template is None:
        return f"{a} — {relation['type_label']} — {b}"
    return template.format(a=a, b=b)


def _triad(a: str, b: str, c: str, sides: dict[Pair, Side], names: dict[str, str]) -> dict[str, Any]:
    signs = {key: sides[key].sign for key in (pair(a, b), pair(b, c), pair(a, c))}
    negatives = [key for key, sign in signs.items() if sign < 0]
    order = [a, b, c]
    if len(negatives) == 1:
        # "Two friends who are enemies": put the shared friend in the middle.
        apex = ({a, b, c} - negatives[0]).pop()
        x, y = sorted(negatives[0], key=lambda n: names.get(n, n))
        order = [x, apex, y]
    x, y, z = order
    ordered = [sides[pair(x, y)], sides[pair(y, z)], sides[pair(z, x)]]
    values = [s.sign for s in ordered]
    balanced = is_balanced(*values)
    clauses = [clause(s.leading(), names) for s in ordered]
    label = " — ".join(names.get(n, n) for n in order)
    if balanced:
        sentence = f"{label}: {'; '.join(clauses)}."
    elif len(negatives) == 1:
        sentence = (f"{names.get(y, y)} is caught between {names.get(x, x)} and {names.get(z, z)}: "
                    f"{clauses[0]}, {clauses[1]}, but {clauses[2]}.")
    else:
        sentence = f"{label}: all three are at odds — {'; '.join(clauses)}."
    return {
        "actors": order,
        "names": [names.get(n, n) for n in order],
        "signs": values,
        "balanced": balanced,
        "weakly_balanced": is_weakly_balanced(*values),
        "relations": [r["id"] for s in ordered for r in s.relations],
        "sides": [
            {"actors": [s.a, s.b], "sign": s.sign, "contested": s.contested,
             "relations": [r["id"] for r in s.relations], "leading": s.leading()["id"]}
            for s in ordered
        ],
        "sentence": sentence,
        "evidence_count": sum(r["evidence_count"] for s in ordered for r in s.relations),
    }


def analyse(edges: Iterable[dict[str, Any]], names: dict[str, str], blocs: dict[str, str | None]) -> dict[str, Any]:
    """Balance of a list of edges (as ``filtered_edges`` returns them): no database needed."""
    sides = signed_pairs(edges)
    triads = [_triad(a, b, c, sides, names) for a, b, c in triangles({k: s.sign for k, s in sides.items()})]
    # Tensions first (strongly unbalanced before "all at odds"), the best-documented first.
    triads.sort(key=lambda t: (t["balanced"], t["weakly_balanced"], -t["evidence_count"], t["names"]))
    signed_actors = sorted({n for key in sides for n in key})
    result = frustration(signed_actors, {key: side.sign for key, side in sides.items()}, blocs=blocs)
    unbalanced: dict[str, int] = {}
    for triad in triads:
        if not triad["balanced"]:
            for actor in triad["actors"]:
                unbalanced[actor] = unbalanced.get(actor, 0) + 1
    return {
        "triads": triads,
        "frustration": result.value,
        "frustration_lower_bound": result.lower_bound,
        "method": result.method,
        "partition": result.partition,
        "frustrated": [
            {"actors": sorted(key), "names": [names.get(a, a) for a in sorted(key)], "sign": sides[key].sign,
             "relations": [r["id"] for r in sides[key].relations]}
            for key in result.frustrated
        ],
        "contested": [
            {"actors": [side.a, side.b], "relations": [r["id"] for r in side.relations],
             "cooperative_weight": side.weights[0], "adversarial_weight": side.weights[1], "sign": side.sign}
            for side in sides.values() if side.contested
        ],
        "actors": sorted(
            ({"id": a, "label": names.get(a, a), "unbalanced": unbalanced.get(a, 0)} for a in signed_actors),
            key=lambda row: (-row["unbalanced"], row["label"]),
        ),
        "summary": {
            "pairs": len(sides),
            "triangles": len(triads),
            "balanced": sum(1 for t in triads if t["balanced"]),
            "unbalanced": sum(1 for t in triads if not t["balanced"]),
            "weakly_balanced_only": sum(1 for t in triads if not t["balanced"] and t["weakly_balanced"]),
        },
    }


def _actors_of(session: Session, edges: list[dict[str, Any]]) -> tuple[dict[str, str], dict[str, str | None]]:
    ids = {end for e in edges for end in (e["from"], e["to"])}
    rows = actor_rows(session, ViewFilter(), ids) if ids else []
    return {r["id"]: r["label"] for r in rows}, {r["id"]: r["bloc"] for r in rows}


def balance(session: Session, view: ViewFilter) -> dict[str, Any]:
    """Triangles with their signs, unbalanced counts per actor, the frustration index and its camps."""
    edges = filtered_edges(session, view)
    result = analyse(edges, *_actors_of(session, edges))
    result["meta"] = {"filter": view.query(), "revision": data_revision(session), "pair_rule": PAIR_RULE}
    return result


def brokers(session: Session, view: ViewFilter) -> list[dict[str, Any]]:
    """Actors by betweenness over cooperative ties: who the others' cooperation has to pass through."""
    edges = filtered_edges(session, view)
    sides = signed_pairs(edges)
    graph = nx.Graph()
    graph.add_edges_from((side.a, side.b, {"sign": side.sign}) for side in sides.values())
    if graph.number_of_nodes() == 0:
        return []
    cooperative = nx.Graph()
    cooperative.add_nodes_from(graph.nodes)
    cooperative.add_edges_from((a, b) for a, b, sign in graph.edges(data="sign") if sign > 0)
    # Exact betweenness is O(actors × ties); on large networks sample the path sources (Brandes–Pich).
    samples = None if cooperative.number_of_nodes() <= BETWEENNESS_EXACT_MAX else BETWEENNESS_SAMPLES
    centrality = nx.betweenness_centrality(cooperative, k=samples, normalized=True, seed=2015)
    rows = {row["id"]: row for row in actor_rows(session, view, set(graph.nodes))}
    result = []
    for actor in graph.nodes:
        partners = [(other, graph.edges[actor, other]["sign"]) for other in graph.neighbors(actor)]
        friendly_blocs = sorted({rows[o]["bloc_name"] for o, s in partners if s > 0 and rows[o]["bloc_name"]})
        result.append({
            "id": actor, "label": rows[actor]["label"], "bloc": rows[actor]["bloc"],
            "bloc_name": rows[actor]["bloc_name"], "color": rows[actor]["color"],
            "betweenness": round(centrality[actor], 4), "degree": graph.degree[actor],
            "cooperative": sum(1 for _, s in partners if s > 0),
            "adversarial": sum(1 for _, s in partners if s < 0),
            "cooperates_across": friendly_blocs,
        })
    result.sort(key=lambda r: (-r["betweenness"], -r["degree"], r["label"]))
    return result


def camps(session: Session, view: ViewFilter, partition: dict[str, int]) -> dict[str, Any]:
    """The two camps of the frustration split beside the curated blocs."""
    rows = {row["id"]: row for row in actor_rows(session, view, set(partition))}
    table: dict[str | None, list[int]] = {}
    for actor, camp in partition.items():
        table.setdefault(rows[actor]["bloc"], [0, 0])[camp] += 1
    # An outlier sits in the camp that holds the smaller part of its bloc (a tie has none).
    outliers = sorted(
        (rows[a] for a, camp in partition.items()
         if rows[a]["bloc"] and table[rows[a]["bloc"]][camp] < table[rows[a]["bloc"]][1 - camp]),
        key=lambda r: r["label"],
    )
    bloc_names = {r["bloc"]: r["bloc_name"] for r in rows.values()}
    return {
        "camps": [
            sorted((rows[a] for a, c in partition.items() if c == camp),
                   key=lambda r: (r["bloc_name"] or "~", r["label"]))
            for camp in (0, 1)
        ],
        "blocs": [
            {"bloc": bloc, "name": bloc_names.get(bloc) or "No bloc", "camp_counts": counts}
            for bloc, counts in sorted(table.items(), key=lambda item: bloc_names.get(item[0]) or "~")
        ],
        "outliers": [{"id": r["id"], "label": r["label"], "bloc_name": r["bloc_name"]} for r in outliers],
        "agreement": (len(partition) - len(outliers)) / len(partition) if partition else 1.0,
    }


def _at(view: ViewFilter, date: PartialDate) -> ViewFilter:
    return dataclasses.replace(view, at=date, date_from=None, date_to=None)


def diff(session: Session, view: ViewFilter, before: PartialDate, after: PartialDate) -> dict[str, Any]:
    """What changed between two dates: relations that appeared, ended, and pairs that changed sign."""
    old = {e["id"]: e for e in filtered_edges(session, _at(view, before))}
    new = {e["id"]: e for e in filtered_edges(session, _at(view, after))}
    old_sides, new_sides = signed_pairs(old.values()), signed_pairs(new.values())
    names, _ = _actors_of(session, [*old.values(), *new.values()])

    def row(edge: dict[str, Any]) -> dict[str, Any]:
        return {"id": edge["id"], "from": edge["from"], "to": edge["to"], "type": edge["type"],
                "sign": edge["sign"], "start": edge["start"], "end": edge["end"], "sentence": clause(edge, names)}

    return {
        "before": str(before), "after": str(after),
        "appeared": [row(new[i]) for i in new if i not in old],
        "ended": [row(old[i]) for i in old if i not in new],
        "sign_changed": [
            {"actors": [side.a, side.b], "names": [names.get(side.a), names.get(side.b)],
             "before": old_sides[key].sign, "after": side.sign}
            for key, side in new_sides.items() if key in old_sides and old_sides[key].sign != side.sign
        ],
    }


def event_dates(session: Session, view: ViewFilter) -> list[str]:
    """The distinct dates of the events the filter keeps, whatever its own date, earliest first."""
    untimed = dataclasses.replace(view, at=None, date_from=None, date_to=None)
    return sorted({e["date"] for e in records.list_events(session, untimed) if e["date"]},
                  key=lambda d: PartialDate.parse(d).first)


def balance_over_time(session: Session, view: ViewFilter, dates: list[str] | None = None) -> list[dict[str, Any]]:
    """The share of balanced triangles as of each event date (at most ``MAX_TIMELINE_DATES``)."""
    dates = event_dates(session, view) if dates is None else dates
    if len(dates) > MAX_TIMELINE_DATES:
        step = len(dates) / MAX_TIMELINE_DATES
        dates = [dates[int(i * step)] for i in range(MAX_TIMELINE_DATES - 1)] + [dates[-1]]
    points = []
    for date in dates:
        edges = filtered_edges(session, _at(view, PartialDate.parse(date)))
        sides = signed_pairs(edges)
        signs = [tuple(sides[pair(x, y)].sign for x, y in ((a, b), (b, c), (a, c)))
                 for a, b, c in triangles({k: side.sign for k, side in sides.items()})]
        balanced = sum(1 for triple in signs if is_balanced(*triple))
        points.append({
            "date": date, "triangles": len(signs), "balanced": balanced,
            "share": balanced / len(signs) if signs else None,
        })
    return points


def default_comparison(session: Session, view: ViewFilter,
                       dates: list[str] | None = None) -> tuple[PartialDate, PartialDate] | None:
    """The month before the latest event, and that event's date: "what the latest news changed"."""
    dates = event_dates(session, view) if dates is None else dates
    if not dates:
        return None
    latest = PartialDate.parse(dates[-1])
    month_before = latest.first.replace(day=1) - dt.timedelta(days=1)
    return PartialDate.parse(month_before.strftime("%Y-%m")), latest


MAX_TENSIONS_SHOWN = 40


def chart(points: list[dict[str, Any]], width: int = 320, height: int = 120) -> dict[str, Any]:
    """Geometry of the small balance-over-time chart (SVG units; y is the balanced share)."""
    left, right, top, bottom = 34, 34, 10, 26
    plotted = [p for p in points if p["share"] is not None]
    inner_w, inner_h = width - left - right, height - top - bottom
    # x is time: dates far apart are drawn far apart.
    days = [PartialDate.parse(p["date"]).first.toordinal() for p in plotted]
    span = (max(days) - min(days)) if days else 0
    marks = []
    for point, day in zip(plotted, days, strict=True):
        x = left + ((day - days[0]) / span * inner_w if span else inner_w / 2)
        y = top + (1 - point["share"]) * inner_h
        marks.append({**point, "x": round(x, 1), "y": round(y, 1), "percent": round(point["share"] * 100)})
    # Label the dates that have room, the latest first (close dates would print over each other).
    labelled_x: list[float] = []
    for mark in reversed(marks):
        mark["label"] = all(abs(mark["x"] - x) >= 48 for x in labelled_x)
        if mark["label"]:
            labelled_x.append(mark["x"])
    return {
        "width": width, "height": height, "left": left, "top": top, "bottom": height - bottom,
        "right": width - right, "points": marks,
        "path": " ".join(f"{'M' if i == 0 else 'L'}{m['x']},{m['y']}" for i, m in enumerate(marks)),
        "gridlines": [{"y": round(top + (1 - share) * inner_h, 1), "label": f"{round(share * 100)}%"}
                      for share in (0.0, 0.5, 1.0)],
    }


def page(session: Session, view: ViewFilter, comparison: tuple[PartialDate, PartialDate] | None) -> dict[str, Any]:
    """Everything the analysis page shows, each tension with the evidence of its three sides."""
    result = balance(session, view)
    tensions = [t for t in result["triads"] if not t["balanced"]]
    shown = tensions[:MAX_TENSIONS_SHOWN]
    relations = records.relations_by_id(session, {r for t in shown for r in t["relations"]})
    passages = [p for r in relations.values() for p in r["evidence"]]
    add_excerpts(session, passages, {a for t in shown for a in t["actors"]})
    for tension in shown:
        for side in tension["sides"]:
            side["records"] = [relations[r] for r in side["relations"]]
    dates = event_dates(session, view)  # read once for both
    comparison = comparison or default_comparison(session, view, dates)
    over_time = balance_over_time(session, view, dates)
    return {
        "balance": result,
        "tensions": shown,
        "hidden_tensions": len(tensions) - len(shown),
        "brokers": brokers(session, view)[:8],
        "camps": camps(session, view, result["partition"]),
        "diff": diff(session, view, *comparison) if comparison else None,
        "over_time": over_time,
        "chart": chart(over_time),
    }


def parse_comparison(args: Any) -> tuple[PartialDate, PartialDate] | None:
    """``before`` and ``after`` from the query (both or neither); a bad one raises FilterError naming it."""
    before, after = parse_date(args, "before"), parse_date(args, "after")
    if (before is None) != (after is None):
        missing = "after" if after is None else "before"
        raise FilterError(missing, f"'{missing}' is needed too: compare two dates with 'before' and 'after'")
    if before is None or after is None:
        return None
    if after.last < before.first:
        raise FilterError("after", f"'after' ({after}) is before 'before' ({before})")
    return before, after
