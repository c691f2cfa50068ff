"""Who is caught between whom: structural balance, brokers and camps of the filtered network.

Everything here starts from ``graph.filtered_edges`` under the explorer's
filter, so the analysis always describes the network the user is looking at.

How several relations between one pair become one sign: structural relations
(sign 0: leads, member of…) are left out; the pair takes the sign whose
relations weigh more, each weighted by the curator's confidence (high 3,
medium 2, low 1), a tie counts as adversarial, and a pair with relations of
both signs in overlapping time is flagged ``contested``
(``corroboration.contested_relations``). Direction is ignored: balance is
about pairs.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
import random
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import networkx as nx
import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import shortest_path
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..dates import PartialDate
from ..json_cache import RecentValues
from ..models import Event, EventActor, Relation
from . import pages, records
from .corroboration import contested_relations
from .balance import Pair, frustration, is_balanced, is_weakly_balanced, pair, triangles
from .filters import FilterError, ViewFilter, parse_date
from .graph import actor_rows, data_revision, filtered_edges
from .explorer import add_excerpts

T = TypeVar("T")
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


class _Collector:
    """Python's cyclic garbage collector, paused while any analysis runs (nested and threaded uses count).

    The analysis of a large network allocates hundreds of thousands of small acyclic objects (edges, pairs,
    triangles), and such bursts set off full collections that walk all of them again and again: about a
    third of the time at 5,000 actors. Whatever cycles it leaves are collected once it is resumed."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.depth = 0
        self.resume = False

    @contextmanager
    def paused(self) -> Iterator[None]:
        with self.lock:
            if self.depth == 0:
                self.resume = gc.isenabled()  # never turn on a collector someone else turned off
                gc.disable()
            self.depth += 1
        try:
            yield
        finally:
            with self.lock:
                self.depth -= 1
                if self.depth == 0 and self.resume:
                    gc.enable()


collector = _Collector()


def _weight(relation: dict[str, Any]) -> int:
    return CONFIDENCE_WEIGHTS.get(relation["confidence"] or "medium", 2)


@dataclass
class Side:
    """One pair of actors with the relations between them and the sign they combine to."""

    a: str
    b: str
    relations: list[dict[str, Any]] = field(default_factory=list)
    # The confidence weights of its cooperative and of its adversarial relations, summed as they are added.
    positive: int = 0
    negative: int = 0

    def add(self, relation: dict[str, Any]) -> None:
        self.relations.append(relation)
        if relation["sign"] > 0:
            self.positive += _weight(relation)
        elif relation["sign"] < 0:
            self.negative += _weight(relation)

    @property
    def weights(self) -> tuple[int, int]:
        return self.positive, self.negative

    @property
    def sign(self) -> int:
        return 1 if self.positive > self.negative else -1

    def contested(self, taking_part: set[str]) -> bool:
        """Evidence of both signs in overlapping time (``taking_part``: ``contested_relations`` of the edges,
        the one definition, worked out once for every pair)."""
        # A pair of one sign only has nothing to contest.
        return bool(self.positive and self.negative) and any(r["id"] in taking_part for r in self.relations)

    def leading(self) -> dict[str, Any]:
        """The relation that best states the pair's sign (most weight, then most evidence, then curated order)."""
        sign = self.sign
        agreeing = [r for r in self.relations if r["sign"] == sign]
        return max(agreeing, key=lambda r: (_weight(r), r["evidence_count"]))


def signed_pairs(edges: Iterable[dict[str, Any]]) -> dict[Pair, Side]:
    """One side per pair of actors joined by cooperative or adversarial relations."""
    sides: dict[Pair, Side] = {}
    for edge in edges:
        a, b = edge["from"], edge["to"]
        if edge["sign"] == 0 or a == b:
            continue
        if b < a:
            a, b = b, a
        key = frozenset((a, b))
        side = sides.get(key)
        if side is None:
            side = sides[key] = Side(a, b)
        side.add(edge)
    return sides


def clause(relation: dict[str, Any], names: dict[str, str]) -> str:
    """The relation as a clause of a sentence ("Iraq shares intelligence with Iran")."""
    a, b = names.get(relation["from"], relation["from"]), names.get(relation["to"], relation["to"])
    template = CLAUSES.get(relation["type"])
    if template is None:
        return f"{a} — {relation['type_label']} — {b}"
    return template.format(a=a, b=b)


def _order(a: str, b: str, c: str, values: list[int], names: dict[str, str]) -> list[str]:
    """The triangle's actors (sorted; ``values`` the signs of ab, bc, ac) as its sentence names them:
    "two friends who are enemies" around the shared friend."""
    if values.count(-1) != 1:
        return [a, b, c]
    x, y, between = ((a, b, c), (b, c, a), (a, c, b))[values.index(-1)]
    if (names.get(y, y), y) < (names.get(x, x), x):
        x, y = y, x
    return [x, between, y]


def _triad(order: list[str], sides: dict[Pair, Side], names: dict[str, str], contested: set[str]) -> dict[str, Any]:
    x, y, z = order
    ordered = [sides[pair(x, y)], sides[pair(y, z)], sides[pair(z, x)]]
    values = [s.sign for s in ordered]
    balanced = is_balanced(*values)
    clauses = [clause(s.leading(), names) for s in ordered]
    label = " — ".join(names.get(n, n) for n in order)
    if balanced:
        sentence = f"{label}: {'; '.join(clauses)}."
    elif values.count(-1) == 1:
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
            {"actors": [s.a, s.b], "sign": s.sign, "contested": s.contested(contested),
             "relations": [r["id"] for r in s.relations], "leading": s.leading()["id"]}
            for s in ordered
        ],
        "sentence": sentence,
        "evidence_count": sum(r["evidence_count"] for s in ordered for r in s.relations),
    }


TRIADS_PER_PAGE = 500


def ranked_triangles(sides: dict[Pair, Side], names: dict[str, str]) -> list[tuple[tuple[Any, ...], list[str]]]:
    """Every triangle as (sort key, actors in sentence order): tensions first (strongly unbalanced before
    "all at odds"), the best-documented first, then by name. Cheap: no sentence is written here."""
    # Keyed by the sorted pair as a tuple: a triangle's three look-ups then build no frozensets.
    signs = {(side.a, side.b): side.sign for side in sides.values()}
    evidence = {(side.a, side.b): sum(r["evidence_count"] for r in side.relations) for side in sides.values()}
    ranked = []
    for a, b, c in triangles(signs):
        values = [signs[a, b], signs[b, c], signs[a, c]]
        order = _order(a, b, c, values, names)
        key = (is_balanced(*values), is_weakly_balanced(*values), -(evidence[a, b] + evidence[b, c] + evidence[a, c]),
               [names.get(n, n) for n in order], order)
        ranked.append((key, order))
    ranked.sort(key=lambda item: item[0])
    return ranked


def analyse(edges: Iterable[dict[str, Any]], names: dict[str, str], blocs: dict[str, str | None], *,
            page: int = 1, per_page: int | None = None, tensions_only: bool = False,
            sides: dict[Pair, Side] | None = None) -> dict[str, Any]:
    """Balance of a list of edges (as ``filtered_edges`` returns them): no database needed.

    Every triangle is counted; only page ``page`` of ``per_page`` of them (tensions first, the
    best-documented first; with ``tensions_only`` the pages run over the tensions alone) is written
    out with sentences and sides. A page past the end gives the last one. ``sides``: ``signed_pairs(edges)``
    when the caller has it already.
    """
    sides = signed_pairs(edges) if sides is None else sides
    ranked = ranked_triangles(sides, names)
    listed = sum(1 for (is_bal, *_), _ in ranked if not is_bal) if tensions_only else len(ranked)
    size = per_page or max(1, listed)
    number = min(page, max(1, -(-listed // size)))
    chosen = ranked[(number - 1) * size:min(number * size, listed)]
    contested = contested_relations(r for side in sides.values() if all(side.weights) for r in side.relations)
    triads = [_triad(order, sides, names, contested) for _, order in chosen]
    signed_actors = sorted({n for key in sides for n in key})
    result = frustration(signed_actors, {key: side.sign for key, side in sides.items()}, blocs=blocs)
    unbalanced: dict[str, int] = {}
    balanced_count = weak_only = 0
    for (is_bal, is_weak, *_), order in ranked:
        if is_bal:
            balanced_count += 1
            continue
        weak_only += is_weak
        for actor in order:
            unbalanced[actor] = unbalanced.get(actor, 0) + 1
    return {
        "triads": triads,
        "triad_count": len(ranked),
        "triads_page": pages.pager_context(pages.Page(triads, number, size, listed)),
        "frustration": result.value,
        "frustration_lower_bound": result.lower_bound,
        "method": result.method,
        "components": {"count": result.components, "exact": result.exact_components},
        "partition": result.partition,
        "frustrated": [
            {"actors": sorted(key), "names": [names.get(a, a) for a in sorted(key)], "sign": sides[key].sign,
             "relations": [r["id"] for r in sides[key].relations]}
            for key in result.frustrated
        ],
        "contested": [
            {"actors": [side.a, side.b], "relations": [r["id"] for r in side.relations],
             "cooperative_weight": side.weights[0], "adversarial_weight": side.weights[1], "sign": side.sign}
            for side in sides.values() if side.contested(contested)
        ],
        "actors": sorted(
            ({"id": a, "label": names.get(a, a), "unbalanced": unbalanced.get(a, 0)} for a in signed_actors),
            key=lambda row: (-row["unbalanced"], row["label"], row["id"]),
        ),
        "summary": {
            "pairs": len(sides),
            "triangles": len(ranked),
            "balanced": balanced_count,
            "unbalanced": len(ranked) - balanced_count,
            "weakly_balanced_only": weak_only,
        },
    }


Rows = dict[str, dict[str, Any]]


def _rows(session: Session, ids: Iterable[str], rows: Rows | None = None) -> Rows:
    """The actors' rows (label, bloc, colour), from ``rows`` when the caller read them already."""
    wanted = set(ids)
    if rows is not None and wanted <= rows.keys():
        return rows
    return {r["id"]: r for r in actor_rows(session, ViewFilter(), wanted)} if wanted else {}


def _actors_of(session: Session, edges: list[dict[str, Any]],
               rows: Rows | None = None) -> tuple[dict[str, str], dict[str, str | None]]:
    ids = {end for e in edges for end in (e["from"], e["to"])}
    found = _rows(session, ids, rows)
    return {i: found[i]["label"] for i in ids if i in found}, {i: found[i]["bloc"] for i in ids if i in found}


def _kept(recent: RecentValues | None, session: Session, key: tuple[str, ...], view: ViewFilter,
          compute: Callable[[], T]) -> T:
    """``compute()``, or what it gave for the same data revision and filter in this process (with ``recent``)."""
    if recent is None:
        return compute()
    return recent.get(("analysis", *key[:1], data_revision(session), view.cache_key(), *key[1:]), compute)


def balance(session: Session, view: ViewFilter, *, page: int = 1, per_page: int | None = None,
            edges: list[dict[str, Any]] | None = None, recent: RecentValues | None = None) -> dict[str, Any]:
    """Triangles with their signs (``per_page`` of them, page ``page``), unbalanced counts per actor,
    the frustration index and its camps. ``recent``: where results are kept per data revision and filter."""
    def compute() -> dict[str, Any]:
        with collector.paused():
            found = filtered_edges(session, view) if edges is None else edges
            result = analyse(found, *_actors_of(session, found), page=page, per_page=per_page or TRIADS_PER_PAGE)
            result["meta"] = {"filter": view.query(), "revision": data_revision(session), "pair_rule": PAIR_RULE}
            return result

    if edges is not None:
        return compute()
    return _kept(recent, session, ("balance", str(page), str(per_page or TRIADS_PER_PAGE)), view, compute)


def brokers(session: Session, view: ViewFilter, edges: list[dict[str, Any]] | None = None,
            sides: dict[Pair, Side] | None = None, rows: Rows | None = None) -> list[dict[str, Any]]:
    """Actors by betweenness over cooperative ties: who the others' cooperation has to pass through."""
    if sides is None:
        sides = signed_pairs(filtered_edges(session, view) if edges is None else edges)
    partners: dict[str, list[tuple[str, int]]] = {}
    for side in sides.values():
        partners.setdefault(side.a, []).append((side.b, side.sign))
        partners.setdefault(side.b, []).append((side.a, side.sign))
    if not partners:
        return []
    actors = sorted(partners)
    cooperative = [(side.a, side.b) for side in sides.values() if side.sign > 0]
    if len(actors) <= BETWEENNESS_EXACT_MAX:
        graph = nx.Graph()
        graph.add_nodes_from(actors)
        graph.add_edges_from(cooperative)
        centrality = nx.betweenness_centrality(graph, normalized=True)
    else:
        # Exact betweenness is O(actors × ties); on large networks sample the path sources (Brandes–Pich).
        centrality = sampled_betweenness(actors, cooperative, BETWEENNESS_SAMPLES)
    rows = _rows(session, actors, rows)
    result = []
    for actor in actors:
        ties = partners[actor]
        friendly_blocs = sorted({rows[o]["bloc_name"] for o, s in ties if s > 0 and rows[o]["bloc_name"]})
        result.append({
            "id": actor, "label": rows[actor]["label"], "bloc": rows[actor]["bloc"],
            "bloc_name": rows[actor]["bloc_name"], "color": rows[actor]["color"],
            "betweenness": round(centrality[actor], 4), "degree": len(ties),
            "cooperative": sum(1 for _, s in ties if s > 0),
            "adversarial": sum(1 for _, s in ties if s < 0),
            "cooperates_across": friendly_blocs,
        })
    result.sort(key=lambda r: (-r["betweenness"], -r["degree"], r["label"], r["id"]))
    return result


def sampled_betweenness(actors: list[str], ties: list[tuple[str, str]], samples: int,
                        seed: int = 2015) -> dict[str, float]:
    """Normalised betweenness estimated from ``samples`` path sources (all of them when there are fewer actors),
    as networkx's ``betweenness_centrality(k=…)`` estimates it; Brandes's two passes run level by level for
    every source at once (sparse products), so no Python loop visits an edge."""
    n = len(actors)
    index = {actor: i for i, actor in enumerate(actors)}
    if n <= 2 or not ties:
        return dict.fromkeys(actors, 0.0)
    rows = np.array([index[a] for a, _ in ties] + [index[b] for _, b in ties])
    cols = np.array([index[b] for _, b in ties] + [index[a] for a, _ in ties])
    adjacency = csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    chosen = np.array(sorted(random.Random(seed).sample(range(n), min(samples, n))))
    k = len(chosen)
    dist = shortest_path(adjacency, unweighted=True, indices=chosen)
    levels = int(np.nanmax(np.where(np.isfinite(dist), dist, np.nan)))
    sigma = np.zeros((k, n))
    sigma[np.arange(k), chosen] = 1.0
    for level in range(1, levels + 1):
        before = np.where(dist == level - 1, sigma, 0.0)
        sigma += np.where(dist == level, (adjacency @ before.T).T, 0.0)
    delta = np.zeros((k, n))
    for level in range(levels, 0, -1):
        share = np.where(dist == level, (1.0 + delta) / np.where(sigma > 0, sigma, 1.0), 0.0)
        delta += np.where(dist == level - 1, sigma * (adjacency @ share.T).T, 0.0)
    delta[np.arange(k), chosen] = 0.0
    scale = 1.0 / ((n - 1) * (n - 2)) * n / k
    values = delta.sum(axis=0) * scale
    return {actor: float(values[i]) for i, actor in enumerate(actors)}


def camps(session: Session, view: ViewFilter, partition: dict[str, int], rows: Rows | None = None) -> dict[str, Any]:
    """The two camps of the frustration split beside the curated blocs."""
    rows = _rows(session, partition, rows)
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


class History:
    """The filter's relations at every date from one read: ``filtered_edges`` without its date, then the
    relations valid in a window picked here by the rule of ``ViewFilter.relation_conditions`` (begun by
    the window's last day, not ended before its first; undated bounds are open), the ego network
    re-taken at each date. The page asks for many dates; each would otherwise be a query."""

    def __init__(self, view: ViewFilter, edges: list[dict[str, Any]]) -> None:
        self.view = view
        self.edges = edges
        bounds: dict[str | None, PartialDate | None] = {None: None}
        for edge in edges:
            for value in (edge["start"], edge["end"]):
                if value not in bounds:
                    bounds[value] = PartialDate.parse(value)
        # Days as ordinals, an open bound as one past every date: a window is then two array comparisons.
        self.begins = np.array([bounds[e["start"]].first.toordinal() if e["start"] else -1 << 40  # type: ignore[union-attr]
                                for e in edges], dtype=np.int64)
        self.ends = np.array([bounds[e["end"]].last.toordinal() if e["end"] else 1 << 40  # type: ignore[union-attr]
                              for e in edges], dtype=np.int64)

    @classmethod
    def read(cls, session: Session, view: ViewFilter) -> History:
        return cls(view, filtered_edges(session, dataclasses.replace(view, at=None, date_from=None, date_to=None)))

    def mask(self, first: dt.date | None, last: dt.date | None) -> np.ndarray:
        """Which of ``edges`` are valid in the window (either end open)."""
        keep = np.ones(len(self.edges), dtype=bool)
        if last is not None:
            keep &= self.begins <= last.toordinal()
        if first is not None:
            keep &= self.ends >= first.toordinal()
        if self.view.focus is not None:
            ego = self.view.ego((e["from"], e["to"]) for e, kept in zip(self.edges, keep, strict=True) if kept)
            assert ego is not None
            keep &= np.array([e["from"] in ego and e["to"] in ego for e in self.edges], dtype=bool)
        return keep

    def window(self, first: dt.date | None, last: dt.date | None) -> list[dict[str, Any]]:
        return [e for e, kept in zip(self.edges, self.mask(first, last), strict=True) if kept]

    def at(self, date: PartialDate) -> list[dict[str, Any]]:
        return self.window(date.first, date.last)

    def current(self) -> list[dict[str, Any]]:
        """The edges under the view's own date (as ``filtered_edges(session, view)`` returns them)."""
        return self.window(*self.view.window()) if self.view.is_timed else self.edges


def diff(session: Session, view: ViewFilter, before: PartialDate, after: PartialDate,
         history: History | None = None, rows: Rows | None = None) -> dict[str, Any]:
    """What changed between two dates: relations that appeared, ended, and pairs that changed sign."""
    history = history or History.read(session, view)
    old = {e["id"]: e for e in history.at(before)}
    new = {e["id"]: e for e in history.at(after)}
    old_sides, new_sides = signed_pairs(old.values()), signed_pairs(new.values())
    names, _ = _actors_of(session, [*old.values(), *new.values()], rows)

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
    query = select(Event.date, Event.date_first).where(*untimed.event_conditions())
    if untimed.focus is None:
        found = {(date, first) for date, first in session.execute(query.distinct()) if date}
    else:
        # As ``records.list_events`` keeps them: events with an actor in the focus's neighbourhood.
        ego = untimed.ego(session.execute(select(Relation.source_id, Relation.target_id)
                                          .where(*untimed.relation_conditions())))
        assert ego is not None
        found = {(date, first) for date, first, actor in session.execute(
            query.add_columns(EventActor.actor_id).join(EventActor, EventActor.event_id == Event.id))
            if date and actor in ego}
    # Ties on the first day ("1999" and "1999-01") by the text: the order must not follow string hashing.
    return [date for date, _ in sorted(found, key=lambda item: (item[1], item[0]))]


def balance_over_time(session: Session, view: ViewFilter, dates: list[str] | None = None,
                      history: History | None = None, sides: dict[Pair, Side] | None = None) -> list[dict[str, Any]]:
    """The share of balanced triangles as of each event date (at most ``MAX_TIMELINE_DATES``).

    A triangle at a date is a triangle of the whole history whose three pairs have signed relations
    then, so the triangles are listed once and each date only re-weighs the pairs (as ``Side`` does).
    """
    dates = event_dates(session, view) if dates is None else dates
    if len(dates) > MAX_TIMELINE_DATES:
        step = len(dates) / MAX_TIMELINE_DATES
        dates = [dates[int(i * step)] for i in range(MAX_TIMELINE_DATES - 1)] + [dates[-1]]
    if not dates:
        return []
    history = history or History.read(session, view)
    sides = signed_pairs(history.edges) if sides is None else sides  # of every date: the untimed edges
    number = {(side.a, side.b): i for i, side in enumerate(sides.values())}
    corners = np.array([[number[a, b], number[b, c], number[a, c]] for a, b, c in triangles(number)],
                       dtype=np.int64).reshape(-1, 3)
    signed = [i for i, e in enumerate(history.edges) if e["sign"] != 0 and e["from"] != e["to"]]
    owner = np.array([number[min(e["from"], e["to"]), max(e["from"], e["to"])]
                      for e in (history.edges[i] for i in signed)], dtype=np.int64)
    weight = np.array([_weight(history.edges[i]) for i in signed], dtype=float)
    positive = np.array([history.edges[i]["sign"] > 0 for i in signed], dtype=bool)
    points = []
    for date in dates:
        when = PartialDate.parse(date)
        valid = history.mask(when.first, when.last)[signed]
        present = np.bincount(owner[valid], minlength=len(sides)) > 0
        cooperative = np.bincount(owner[valid & positive], weights=weight[valid & positive], minlength=len(sides))
        adversarial = np.bincount(owner[valid & ~positive], weights=weight[valid & ~positive], minlength=len(sides))
        sign = np.where(cooperative > adversarial, 1, -1)
        alive = present[corners].all(axis=1)
        count = int(alive.sum())
        balanced = int((alive & (sign[corners].prod(axis=1) > 0)).sum())
        points.append({
            "date": date, "triangles": count, "balanced": balanced,
            "share": balanced / count if count else None,
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


def page(session: Session, view: ViewFilter, comparison: tuple[PartialDate, PartialDate] | None,
         tensions_page: int = 1, recent: RecentValues | None = None) -> dict[str, Any]:
    """Everything the analysis page shows, each tension with the evidence of its three sides.

    The relations are read once; the tensions come ``MAX_TENSIONS_SHOWN`` at a time, page ``tensions_page``.
    ``recent``: where results are kept per data revision and filter.
    """
    def compute() -> dict[str, Any]:
        with collector.paused():
            return _page(session, view, comparison, tensions_page)

    return _kept(recent, session, ("page", str(tensions_page), *map(str, comparison or ())), view, compute)


def _page(session: Session, view: ViewFilter, comparison: tuple[PartialDate, PartialDate] | None,
          tensions_page: int) -> dict[str, Any]:
    history = History.read(session, view)
    edges = history.current()
    rows = _rows(session, {end for e in history.edges for end in (e["from"], e["to"])})
    sides = signed_pairs(edges)
    tensions = _tension_page(session, view, tensions_page, edges, sides, rows)
    dates = event_dates(session, view)  # read once for both
    comparison = comparison or default_comparison(session, view, dates)
    over_time = balance_over_time(session, view, dates, history, sides=None if view.is_timed else sides)
    return {
        **tensions,
        "brokers": brokers(session, view, sides=sides, rows=rows)[:8],
        "camps": camps(session, view, tensions["balance"]["partition"], rows),
        "diff": diff(session, view, *comparison, history=history, rows=rows) if comparison else None,
        "over_time": over_time,
        "chart": chart(over_time),
    }


def tension_page(session: Session, view: ViewFilter, number: int = 1, edges: list[dict[str, Any]] | None = None,
                 sides: dict[Pair, Side] | None = None, rows: Rows | None = None,
                 recent: RecentValues | None = None) -> dict[str, Any]:
    """One page of tensions (unbalanced triangles, the best-documented first) with their sides' evidence.
    ``recent``: where results are kept per data revision and filter (when the edges are not given)."""
    if edges is not None:
        return _tension_page(session, view, number, edges, sides, rows)

    def compute() -> dict[str, Any]:
        with collector.paused():
            return _tension_page(session, view, number, filtered_edges(session, view), sides, rows)

    return _kept(recent, session, ("tensions", str(number)), view, compute)


def _tension_page(session: Session, view: ViewFilter, number: int, edges: list[dict[str, Any]],
                  sides: dict[Pair, Side] | None, rows: Rows | None) -> dict[str, Any]:
    result = analyse(edges, *_actors_of(session, edges, rows), page=number, per_page=MAX_TENSIONS_SHOWN,
                     tensions_only=True, sides=sides)
    result["meta"] = {"filter": view.query(), "revision": data_revision(session), "pair_rule": PAIR_RULE}
    shown = result["triads"]
    relations = records.relations_by_id(session, {r for t in shown for r in t["relations"]})
    passages = [p for r in relations.values() for p in r["evidence"]]
    add_excerpts(session, passages, {a for t in shown for a in t["actors"]})
    for tension in shown:
        for side in tension["sides"]:
            side["records"] = [relations[r] for r in side["relations"]]
    listed = pages.Page(shown, result["triads_page"]["number"], MAX_TENSIONS_SHOWN, result["summary"]["unbalanced"])
    return {
        "balance": result,
        "tensions": shown,
        "tension_page": listed,
        "hidden_tensions": listed.total - listed.last,
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
