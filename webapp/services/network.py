"""The network as vis-network draws it, built with pyvis; positions computed by ``load`` and stored.

Positions come from the *whole* network (not the filtered one), so a node stays
where it is while the date or the filters change, and a reload shows the same
picture. Blocs start on their own side of a circle, which keeps them visibly
grouped after the spring layout. Up to ``LABEL_LIMIT`` actors the layout is then
sized for the default fit and nodes are pushed apart until no label overlaps
another node or label (``labels.separate``, measured in the bundled font).

The layout is computed in the load's transaction (``after_load``) and stored per actor
(``network_positions``), so every worker and every restart draws the same picture and no
request pays for it. Only a load that changes the graph lays it out again: an edit keeps
every position and places an actor it adds beside its neighbours (``place_new_actors``).
A database without positions (upgraded, or loaded by a script) gets them once, from the
first request that needs them, guarded in the database so that one process writes them.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import random
import threading
from collections import OrderedDict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import igraph
import networkx as nx
from pyvis.network import Network
from sqlalchemy import func, or_, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from .. import faults
from ..dates import interval_text
from ..models import Actor, ActorPosition, Relation, RelationEvidence
from . import labels, network_positions
from .filters import ViewFilter
from .graph import data_revision, graph

SHAPES = {
    "state": "dot",
    "coalition": "hexagon",
    "organization": "square",
    "armed_group": "triangle",
    "person": "diamond",
    "group": "triangleDown",
}
SIGN_STYLE: dict[int, dict[str, Any]] = {
    1: {"color": "#2f7d4f", "dashes": False},
    -1: {"color": "#c62828", "dashes": [8, 6]},
    0: {"color": "#7b8494", "dashes": [2, 5]},
}
# Labels are drawn in the bundled Source Sans 3 (static/css/app.css names it "SourceSans3": pyvis's
# set_options drops every space). The layout spaces them with its widths (labels.text_width).
OPTIONS: dict[str, Any] = {
    "autoResize": True,
    "physics": {"enabled": False},
    "interaction": {"hover": True, "tooltipDelay": 150, "navigationButtons": False, "keyboard": False,
                    "multiselect": False},
    "nodes": {"borderWidth": 2, "font": {"size": 22, "face": "SourceSans3, sans-serif", "color": "#1d2733",
                                         "strokeWidth": 4, "strokeColor": "#ffffff"}},
    "edges": {"smooth": {"enabled": True, "type": "continuous", "roundness": 0.2},
              "selectionWidth": 2, "hoverWidth": 1.5},
    "layout": {"improvedLayout": False},
}
SCALE = 620
ASPECT = 1.8
KAMADA_KAWAI_LIMIT = 400
# Up to this many actors, labels are kept apart; above it they are too small to read at the fit anyway.
LABEL_LIMIT = 300
# The explorer's network canvas (CSS px) at 1366×768 and at 1920×1080: the default fits the layout plans for.
FIT_CANVASES = ((832, 445), (1386, 626))
# Sizes (canvas units per unit of the spring layout) and width stretches tried, most spread out first;
# the first whose labels are at least MIN_LABEL_PX tall on both canvases wins.
FIT_SCALES = (620, 560, 500, 450, 400, 360, 320, 280, 250)
FIT_ASPECTS = (1.8, 2.1, 2.4, 1.5)
MIN_LABEL_PX = 12.0
# Space kept between node boxes, across (about a word space, so that two labels do not read as one) and up or down.
LABEL_GAP = (18.0, 6.0)
# Above this many actors only the usual size is tried. A layout whose boxes would fill more than its
# density limit of the area is first scaled up: pushing a crowded picture apart takes many sweeps
# (300 actors: seconds at 0.4, about 0.4 s at 0.2).
FIT_SEARCH_LIMIT = 40
SEARCH_DENSITY = 0.4
LARGE_DENSITY = 0.2
# Above this many actors Fruchterman–Reingold runs on igraph's grid (at 1,000 actors 7× faster than
# without, and as spread), then FR_SPREAD_STEPS steps without it. The bloc-seeded start lies within
# START_RADIUS of the centre.
FR_GRID_FROM = KAMADA_KAWAI_LIMIT
FR_SPREAD_STEPS = 10
START_RADIUS = 1.25
# An actor an edit adds is placed on rings this far apart (canvas units; half that above LABEL_LIMIT)
# around its neighbours, at the first spot where its box meets no other, within this many rings.
PLACE_STEP = 30.0
PLACE_RINGS = 12
# A network of more actors than LABEL_LIMIT is drawn for speed (vis-network repaints every node and
# edge on each frame, about 0.2 ms per curved, dashed edge in software): straight edges, no hover
# repaint, edges hidden while the view is dragged or zoomed, and labels by level of detail — up to
# LABELLED_ACTORS of the most evidenced at a size legible at the default fit (none covering another),
# the others so small that vis-network leaves them out (under LABEL_DRAW_PX on screen) until the user
# zooms in about twice, and no label grows past LABEL_MAX_PX. Of more than DRAWN_EDGE_LIMIT relations, the
# best evidenced are drawn (independent sources, then passages); the summary says how many of how many,
# and panels, list and exports keep them all.
LABELLED_ACTORS = 40
LABEL_DRAW_PX = 11
LABEL_MAX_PX = 22
DRAWN_EDGE_LIMIT = 3000
LARGE_OPTIONS: dict[str, Any] = {
    "interaction": {"hover": False, "hideEdgesOnDrag": True, "hideEdgesOnZoom": True},  # merged into OPTIONS
    "nodes": {"scaling": {"label": {"drawThreshold": LABEL_DRAW_PX, "maxVisible": LABEL_MAX_PX}}},
    "edges": {"smooth": {"enabled": False}},
}

Point = tuple[float, float]
logger = logging.getLogger(__name__)

# Full layouts computed by this process, by fingerprint (an immutable input: any process computes the same).
_computed_lock = threading.Lock()
_computed: OrderedDict[str, dict[str, tuple[float, float]]] = OrderedDict()


@dataclass(frozen=True)
class _Inputs:
    """Everything a full layout is computed from; its fingerprint says whether a load changed any of it."""

    actors: Sequence[Any]  # rows: id, name, kind, bloc_id, dataset_id, affiliation_id (in curated order)
    relations: list[tuple[str, str, int]]  # source, target, sign (by relation id)
    evidence: dict[str, int]  # evidence passages per actor (node sizes): only for readable layouts

    @cached_property
    def fingerprint(self) -> str:
        digest = hashlib.sha256()
        digest.update(json.dumps([list(a[:5]) for a in self.actors]).encode())
        digest.update(json.dumps(self.relations).encode())
        digest.update(json.dumps(sorted(self.evidence.items())).encode())
        return digest.hexdigest()


def _inputs(session: Session) -> _Inputs:
    actors = _actors(session)
    # Ordered: the same data must give the same picture in every process, on either database.
    relations = [(s, t, sign) for s, t, sign in session.execute(
        select(Relation.source_id, Relation.target_id, Relation.sign).order_by(Relation.id))]
    return _Inputs(actors, relations, _evidence(session) if len(actors) <= LABEL_LIMIT else {})


def _evidence(session: Session) -> dict[str, int]:
    counts = dict(session.execute(
        select(RelationEvidence.relation_id, func.count()).group_by(RelationEvidence.relation_id)).all())
    evidence: dict[str, int] = {}
    for relation_id, source, target in session.execute(select(Relation.id, Relation.source_id, Relation.target_id)):
        for end in (source, target):
            evidence[end] = evidence.get(end, 0) + counts.get(relation_id, 0)
    return evidence


def _compute_layout(session: Session) -> dict[str, tuple[float, float]]:
    """A full layout of the whole network as it is in ``session`` (the same data, the same picture)."""
    return _full_layout(_inputs(session))


def _full_layout(inputs: _Inputs) -> dict[str, tuple[float, float]]:
    key = inputs.fingerprint
    with _computed_lock:
        known = _computed.get(key)
    if known is None:
        known = _compute(inputs)
        with _computed_lock:
            _computed[key] = known
            while len(_computed) > 4:
                _computed.popitem(last=False)
    return dict(known)


def _compute(inputs: _Inputs) -> dict[str, tuple[float, float]]:
    actors, relations = inputs.actors, inputs.relations
    blocs = list(dict.fromkeys((a.dataset_id, a.bloc_id) for a in actors))
    graph_ = nx.Graph()
    start: dict[str, tuple[float, float]] = {}
    for index, actor in enumerate(actors):
        angle = 2 * math.pi * blocs.index((actor.dataset_id, actor.bloc_id)) / max(len(blocs), 1)
        jitter = (index * 0.61803) % 1.0
        start[actor.id] = (math.cos(angle) + 0.25 * math.cos(jitter * 6.283),
                           math.sin(angle) + 0.25 * math.sin(jitter * 6.283))
        graph_.add_node(actor.id, bloc=(actor.dataset_id, actor.bloc_id))
    for source, target, sign in relations:
        same_bloc = graph_.nodes[source]["bloc"] == graph_.nodes[target]["bloc"]
        weight = (2.0 if same_bloc else 0.6) * (1.0 if sign >= 0 else 0.5)
        if graph_.has_edge(source, target):
            graph_[source][target]["weight"] += weight
        else:
            graph_.add_edge(source, target, weight=weight)
    if not actors:
        return {}
    if len(actors) <= KAMADA_KAWAI_LIMIT:
        # Even spacing and no randomness: readable labels and the same picture on every reload.
        positions = nx.kamada_kawai_layout(graph_, pos=start, dist=_shortest(graph_))
    else:
        positions = _fruchterman_reingold(graph_, start)
    if len(actors) <= LABEL_LIMIT:
        return _readable(actors, inputs.evidence, graph_, positions)
    # Screens are wider than tall: stretch the picture to use the width.
    return {node: (round(float(x) * SCALE * ASPECT, 1), round(float(y) * SCALE, 1))
            for node, (x, y) in positions.items()}


# A contested relation (its pair has evidence of both signs at once) is drawn over an amber halo.
CONTESTED_HALO = {"enabled": True, "color": "rgba(242, 169, 0, 0.45)", "size": 9, "dashes": False}


def edge_width(independent_sources: int, passages: int) -> float:
    """An edge's width: mostly its independent sources, a little its passages (so one source's edges still
    differ, as the seed's all do)."""
    return 1.5 * min(max(independent_sources, 1), 5) + 0.25 * min(passages, 6)


def backing(passages: int, independent_sources: int) -> str:
    """"3 evidence passages, 2 independent sources", or "…, single source"."""
    sources = "single source" if independent_sources == 1 else f"{independent_sources} independent sources"
    return f"{passages} evidence passage{'s' if passages != 1 else ''}, {sources}"


def node_size(evidence: int, max_evidence: int, spacing: float = 0.0) -> float:
    """A node's radius: more evidence passages, a larger node; where nodes lie ``spacing`` apart on
    average (a large network), small enough that most do not cover each other."""
    share = math.sqrt(evidence / (max_evidence or 1))
    usual = 12 + 22 * share
    return min(usual, spacing * (0.2 + 0.6 * share)) if spacing else usual


def _spacing(points: Collection[Point]) -> float:
    """The average distance between neighbouring nodes, were they spread evenly over their bounding box."""
    xs, ys = zip(*points, strict=True) if points else ((0.0,), (0.0,))
    area = max((max(xs) - min(xs)) * (max(ys) - min(ys)), 1.0)
    return math.sqrt(area / len(xs))


def _readable(actors: Sequence[Any], evidence: dict[str, int], graph_: nx.Graph,
              positions: dict[str, Any]) -> dict[str, tuple[float, float]]:
    """The spring layout sized and stretched for the default fit (labels legible on both canvases), with nodes
    pushed apart until no node's box (shape and label) overlaps another's.

    Each (scale, stretch) candidate is separated, then scored by the smaller of its fit zooms on the
    two canvases (vis-network fits the node boxes with a 10 % margin, at most at zoom 1). The most
    spread-out candidate whose labels are at least ``MIN_LABEL_PX`` on screen wins (the closest to
    the spring layout, with room for the relations between the nodes); failing that, the largest labels.
    """
    most = max(evidence.values(), default=1)
    font_size = float(OPTIONS["nodes"]["font"]["size"])
    ids = [actor.id for actor in actors]
    extents = [labels.node_extent(actor.name, node_size(evidence.get(actor.id, 0), most), font_size,
                                  triangle=SHAPES.get(actor.kind, "dot").startswith("triangle")) for actor in actors]
    shown = [i for i, node in enumerate(ids) if graph_.degree(node)]  # the default view leaves out isolated actors
    unit = [(float(positions[node][0]), float(positions[node][1])) for node in ids]
    sizes = [(scale, aspect) for scale in FIT_SCALES for aspect in FIT_ASPECTS]
    candidates = []
    search = len(ids) <= FIT_SEARCH_LIMIT
    for scale, aspect in sizes if search else [(SCALE, ASPECT)]:
        stretched = labels.spread([(x * scale * aspect, y * scale) for x, y in unit], extents,
                                  SEARCH_DENSITY if search else LARGE_DENSITY)
        points = labels.separate(stretched, extents, LABEL_GAP)
        left, top, right, bottom = labels.bounds([points[i] for i in shown] or points,
                                                 [extents[i] for i in shown] or extents)
        zoom = min(min(1.0, width / (1.1 * (right - left)), height / (1.1 * (bottom - top)))
                   for width, height in FIT_CANVASES)
        if zoom * font_size >= MIN_LABEL_PX:
            return _rounded(ids, points)
        candidates.append((zoom, points))
    return _rounded(ids, max(candidates, key=lambda c: c[0])[1])


def _rounded(ids: list[str], points: list[tuple[float, float]]) -> dict[str, tuple[float, float]]:
    return {node: (round(x, 1), round(y, 1)) for node, (x, y) in zip(ids, points, strict=True)}


def _fruchterman_reingold(graph_: nx.Graph, start: dict[str, tuple[float, float]]) -> dict[str, tuple[float, float]]:
    """Large networks: igraph's Fruchterman–Reingold (C; SPEC §7), from the bloc-seeded start and with
    a fixed random seed, so the same data gives the same picture; normalised to the unit box.

    Above ``FR_GRID_FROM`` actors igraph's grid keeps the repulsion to nearby nodes, in cells of its own
    unit size over a square of side √n: the start is scaled to that square (a start inside a unit box
    puts every node in one cell and costs the full n² per step: 13 to 30 times slower at 5,000
    actors). The grid's cut-off lets dense parts collapse onto each other, so a few steps without
    it, barely warm, spread them again (at 5,000 actors / 50,000 relations the grid alone leaves
    15 % of nodes within 0.2 % of the picture's width of another, the old unit start 4.4 %, these
    steps none; ``scripts/bench_layout.py``)."""
    ids = list(graph_.nodes)
    index = {node: i for i, node in enumerate(ids)}
    edges = list(graph_.edges(data="weight"))
    igraph_graph = igraph.Graph(n=len(ids), edges=[(index[a], index[b]) for a, b, _ in edges])
    weights = [w for _, _, w in edges] or None
    grid = len(ids) > FR_GRID_FROM
    scale = math.sqrt(len(ids)) / 2 / START_RADIUS if grid else 1.0
    previous = igraph.set_random_number_generator(random.Random(7))
    try:
        layout = igraph_graph.layout_fruchterman_reingold(
            weights=weights, seed=[[start[n][0] * scale, start[n][1] * scale] for n in ids], niter=500,
            grid="grid" if grid else "nogrid",
        )
        if grid:
            layout = igraph_graph.layout_fruchterman_reingold(
                weights=weights, seed=layout.coords, niter=FR_SPREAD_STEPS, start_temp=0.5, grid="nogrid")
    finally:
        igraph.set_random_number_generator(previous)
    coords = layout.coords
    xs, ys = [c[0] for c in coords], [c[1] for c in coords]
    cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
    half = max(max(xs) - min(xs), max(ys) - min(ys)) / 2 or 1.0
    return {node: ((coords[i][0] - cx) / half, (coords[i][1] - cy) / half) for node, i in index.items()}


def _shortest(graph_: nx.Graph) -> dict[str, dict[str, float]]:
    """All-pairs path lengths: a step inside a bloc is shorter than one across blocs,
    so blocs cluster; disconnected pairs sit a little beyond the longest path."""
    for a, b, data in graph_.edges(data=True):
        data["length"] = 1.0 if graph_.nodes[a]["bloc"] == graph_.nodes[b]["bloc"] else 1.7
    paths = dict(nx.all_pairs_dijkstra_path_length(graph_, weight="length"))
    longest = max((d for row in paths.values() for d in row.values()), default=1.0)
    return {a: {b: paths.get(a, {}).get(b, longest * 1.2) for b in graph_} for a in graph_}


def layout(session: Session) -> Mapping[str, Point]:
    """Where every actor is drawn: the stored positions (read once per process while they stay the
    same), computed and stored first if the database has none."""
    found = network_positions.stored(session)
    return found.points if found is not None else _settled(session)[1]


def after_load(session: Session, *, changed: bool) -> None:
    """In a load's transaction: lay the whole network out again if the load changed the graph (or
    none was ever stored), so that no request pays for it. An unchanged load costs one query."""
    if not changed and network_positions.stamp(session):
        return
    _settle(session, relayout=True)


def place_new_actors(session: Session) -> None:
    """In an edit's transaction: an actor without a position is placed beside its neighbours (or its
    bloc, provisionally, until it has one), and every other actor stays where it is. While nothing is
    stored yet this does nothing (the next request computes the whole layout)."""
    if not network_positions.stamp(session):
        return
    missing = select(Actor.id).outerjoin(ActorPosition, ActorPosition.actor_id == Actor.id).where(
        ActorPosition.actor_id.is_(None)).limit(1)
    linked = select(Relation.id).where(or_(Relation.source_id == ActorPosition.actor_id,
                                           Relation.target_id == ActorPosition.actor_id))
    moving = select(ActorPosition.actor_id).where(ActorPosition.provisional, linked.exists()).limit(1)
    if session.scalar(missing) is None and session.scalar(moving) is None:
        return
    _settle(session)


def _positions_for(session: Session, ids: Sequence[str]) -> tuple[str | None, Mapping[str, Point]]:
    """The stamp of the positions (None if computed for this request only) and the positions."""
    found = network_positions.stored(session)
    # None stored, or an actor written by a load that did not lay the network out: placed now, once.
    if found is None or any(ident not in found.points for ident in ids):
        return _settled(session)
    return found.stamp, found.points


def _settled(session: Session) -> tuple[str | None, Mapping[str, Point]]:
    """Positions for every actor, first written where the database lacks them, in a transaction of
    its own, so that every process reads them next. When the database cannot be written (read-only,
    busy) they are computed for this request only, and the page is drawn all the same."""
    try:
        with network_positions.writer(session) as db:
            settled = _settle(db)
        return settled.stamp, settled.points
    except SQLAlchemyError as error:
        fault = faults.classify(error)
        if fault is None:
            raise
        logger.warning("network positions not stored (%s): computed for this request only", fault.message)
    found = network_positions.stored(session)
    if found is None:
        return None, _compute_layout(session)
    return None, {**found.points, **_placements(session, found, _actors(session))[0]}


def _settle(db: Session, *, relayout: bool = False) -> network_positions.Stored:
    """In a write transaction: a full layout when none is stored, when a dataset has no positions at
    all (loaded without them), or when ``relayout`` and the graph changed since the last one; else
    the actors without positions placed (and provisional ones moved) beside their neighbours."""
    found = network_positions.lock(db)
    actors = _actors(db)
    full = found is None or not found.fingerprint or _unlaid(actors, found)
    if found is None or full or relayout:
        inputs = _inputs(db)
        if found is None or full or inputs.fingerprint != found.fingerprint:
            return network_positions.replace_all(db, _full_layout(inputs), fingerprint=inputs.fingerprint,
                                                 revision=data_revision(db))
    placed, provisional = _placements(db, found, actors)
    return network_positions.add(db, placed, provisional) if placed else found


def _actors(session: Session) -> list[Any]:
    return list(session.execute(
        select(Actor.id, Actor.name, Actor.kind, Actor.bloc_id, Actor.dataset_id, Actor.affiliation_id)
        .order_by(Actor.dataset_id, Actor.position, Actor.id)).all())


def _unlaid(actors: Sequence[Any], found: network_positions.Stored) -> bool:
    """Whether some dataset of more than one actor has none placed: it was loaded without a layout."""
    laid: dict[str, bool] = {}
    count: dict[str, int] = {}
    for actor in actors:
        laid[actor.dataset_id] = laid.get(actor.dataset_id, False) or actor.id in found.points
        count[actor.dataset_id] = count.get(actor.dataset_id, 0) + 1
    return any(not laid[dataset] and count[dataset] > 1 for dataset in laid)


def _placements(session: Session, found: network_positions.Stored,
                actors: Sequence[Any]) -> tuple[dict[str, Point], frozenset[str]]:
    """Positions for the actors that have none and for provisional ones that now have neighbours:
    beside the mean of their placed neighbours, or, without any, of their affiliation, bloc or
    dataset (provisional then), at the nearest spot where their box meets no other box."""
    placed_ids = {a.id for a in actors if a.id in found.points}
    waiting = [a for a in actors if a.id not in placed_ids or a.id in found.provisional]
    if not waiting:
        return {}, frozenset()
    fixed = {a.id: found.points[a.id] for a in actors if a.id in placed_ids and a.id not in found.provisional}
    neighbours = _neighbours(session, [a.id for a in waiting])
    readable = len(actors) <= LABEL_LIMIT
    extents = _extents(session, actors, readable)
    waiting_ids = {a.id for a in waiting}
    boxes = [(found.points[a.id], extents[a.id]) for a in actors if a.id in placed_ids and a.id not in waiting_ids]
    placed: dict[str, Point] = {}
    provisional: set[str] = set()
    for actor in waiting:
        near = [fixed[n] for n in sorted(neighbours.get(actor.id, ())) if n in fixed]
        if not near and actor.id in placed_ids:
            boxes.append((found.points[actor.id], extents[actor.id]))  # provisional still: it stays
            continue
        anchor = _mean(near) if near else _anchor(actor, actors, fixed)
        point = _free_spot(anchor, extents[actor.id], boxes, actor.id, PLACE_STEP if readable else PLACE_STEP / 2,
                           LABEL_GAP if readable else (2.0, 2.0))
        placed[actor.id] = point
        boxes.append((point, extents[actor.id]))
        if near:
            fixed[actor.id] = point
        else:
            provisional.add(actor.id)
    return placed, frozenset(provisional)


def _neighbours(session: Session, ids: list[str]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        for source, target in session.execute(select(Relation.source_id, Relation.target_id).where(
                or_(Relation.source_id.in_(chunk), Relation.target_id.in_(chunk)))):
            found.setdefault(source, set()).add(target)
            found.setdefault(target, set()).add(source)
    return found


def _extents(session: Session, actors: Sequence[Any], readable: bool) -> dict[str, labels.Extent]:
    """Each actor's box as drawn: shape and label where labels are kept apart, else just the smallest shape."""
    if not readable:
        small = node_size(0, 1)
        return {a.id: labels.Extent(-small, -small, small, small) for a in actors}
    evidence = _evidence(session)
    most = max(evidence.values(), default=1)
    font_size = float(OPTIONS["nodes"]["font"]["size"])
    return {a.id: labels.node_extent(a.name, node_size(evidence.get(a.id, 0), most), font_size,
                                     triangle=SHAPES.get(a.kind, "dot").startswith("triangle")) for a in actors}


def _mean(points: Sequence[Point]) -> Point:
    return (sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points))


def _anchor(actor: Any, actors: Sequence[Any], fixed: Mapping[str, Point]) -> Point:
    """Where an actor with no placed neighbour goes: by its affiliation, else amid its bloc, else its dataset."""
    if actor.affiliation_id in fixed:
        return fixed[actor.affiliation_id]
    for same in (lambda a: a.bloc_id is not None and a.bloc_id == actor.bloc_id,
                 lambda a: a.dataset_id == actor.dataset_id, lambda a: True):
        points = [fixed[a.id] for a in actors if a.id in fixed and same(a)]
        if points:
            return _mean(points)
    return (0.0, 0.0)


def _free_spot(anchor: Point, extent: labels.Extent, boxes: Sequence[tuple[Point, labels.Extent]], ident: str,
               step: float, gap: tuple[float, float]) -> Point:
    """The first spot on rings around ``anchor`` (ring k: 6k spots, k steps out) where the box meets
    no other; each actor starts its turn at its own angle (from its id: every process places it alike)."""
    turn = int.from_bytes(hashlib.sha256(ident.encode()).digest()[:4], "big") / 2 ** 32 * 2 * math.pi
    widest = max((max(-e.left, e.right, -e.top, e.bottom) for _, e in boxes), default=0.0)
    own = max(-extent.left, extent.right, -extent.top, extent.bottom)
    reach = step * PLACE_RINGS + widest + own + max(gap)
    near = [(p, e) for p, e in boxes if abs(p[0] - anchor[0]) <= reach and abs(p[1] - anchor[1]) <= reach]
    first: Point | None = None
    for ring in range(1, PLACE_RINGS + 1):
        for k in range(6 * ring):
            angle = turn + 2 * math.pi * k / (6 * ring)
            point = (round(anchor[0] + ring * step * math.cos(angle), 1),
                     round(anchor[1] + ring * step * math.sin(angle), 1))
            first = first or point
            if not any(_meet(point, extent, other, box, gap) for other, box in near):
                return point
    assert first is not None
    return first


def _meet(p: Point, a: labels.Extent, q: Point, b: labels.Extent, gap: tuple[float, float]) -> bool:
    return (p[0] + a.left < q[0] + b.right + gap[0] and q[0] + b.left < p[0] + a.right + gap[0]
            and p[1] + a.top < q[1] + b.bottom + gap[1] and q[1] + b.top < p[1] + a.bottom + gap[1])


def vis_network(session: Session, view: ViewFilter) -> dict[str, Any]:
    """Nodes, edges and options for vis-network, as pyvis builds them, under the filter."""
    data = graph(session, view)
    stamp, positions = _positions_for(session, [node["id"] for node in data["nodes"]])
    large = len(data["nodes"]) > LABEL_LIMIT
    network = Network(directed=False)
    network.set_options("var options = " + json.dumps(_merged(OPTIONS, LARGE_OPTIONS) if large else OPTIONS))
    max_evidence = max((n["evidence_count"] for n in data["nodes"]), default=1) or 1
    detail = _detail(data["nodes"], positions, max_evidence) if large else None
    edges = _strongest(data["edges"], DRAWN_EDGE_LIMIT)
    # vis-network draws nodes in their order, and a click takes the topmost: in a crowded network the
    # most evidenced last, so that they are drawn over the others and a click on one gets it.
    ordered = sorted(data["nodes"], key=lambda node: (node["evidence_count"], node["degree"])) if large \
        else data["nodes"]
    for node in ordered:
        x, y = positions.get(node["id"], (0.0, 0.0))
        # Appending dicts directly: pyvis's add_node/add_edge re-scan every edge (quadratic).
        network.nodes.append({
            "id": node["id"],
            "label": node["label"],
            "shape": SHAPES.get(node["kind"], "dot"),
            "size": node_size(node["evidence_count"], max_evidence, detail.spacing if detail else 0.0),
            "color": {"background": node["color"], "border": _darken(node["color"]),
                      "highlight": {"background": node["color"], "border": "#111111"},
                      "hover": {"background": node["color"], "border": "#111111"}},
            "title": f"{node['label']} ({node['kind'].replace('_', ' ')}; {node['bloc_name'] or 'no bloc'}) — "
                     f"{node['degree']} relations, {node['evidence_count']} evidence passages",
            "x": x, "y": y, "bloc": node["bloc"], "kind": node["kind"],
            **({"font": {"size": detail.label_size(node["id"])}} if detail else {}),
        })
    for edge in edges:
        style = SIGN_STYLE[edge["sign"]]
        # With a date chosen, a relation nobody dates is drawn faded: shown, but not as known then.
        undated = view.is_timed and edge["start"] is None and edge["end"] is None
        network.edges.append({
            "id": edge["id"],
            "from": edge["from"],
            "to": edge["to"],
            "color": {"color": style["color"], "highlight": "#111111", "hover": style["color"],
                      "opacity": 0.25 if undated else 0.85},
            "dashes": style["dashes"],
            "width": edge_width(edge["independent_sources"], edge["evidence_count"]),
            "arrows": {"to": {"enabled": bool(edge["directed"]), "scaleFactor": 0.6}},
            "title": f"{edge['type_label']} ({edge['sign_label']}), "
                     f"{interval_text(edge['start'], edge['end'], edge['start_inferred'], edge['end_inferred'])}; "
                     f"{backing(edge['evidence_count'], edge['independent_sources'])}"
                     f"{'; contested: the sources disagree' if edge['contested'] else ''}",
            "sign": edge["sign"], "type": edge["type"], "undated": undated, "contested": edge["contested"],
            **({"background": CONTESTED_HALO} if edge["contested"] else {}),
        })
    # meta.layout: which stored positions these are (every process draws the same ones).
    # meta.drawn_edge_count: the relations drawn, of meta.edge_count under the filter; meta.large: drawn for speed.
    return {"nodes": network.nodes, "edges": network.edges, "options": network.options,
            "meta": {**data["meta"], "layout": stamp, "drawn_edge_count": len(edges), "large": large}}


def _merged(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """``base`` with ``extra``'s values, dictionaries merged key by key."""
    merged = dict(base)
    for key, value in extra.items():
        merged[key] = _merged(base[key], value) if isinstance(value, dict) and isinstance(base.get(key), dict) \
            else value
    return merged


@dataclass(frozen=True)
class _Detail:
    """How a large network is drawn at the default fit: its nodes' spacing, its label sizes, who is labelled."""

    spacing: float
    full_size: float  # of the labelled actors: at least MIN_LABEL_PX on both default canvases
    small_size: float  # of the others: drawn from about twice the default zoom
    labelled: frozenset[str]

    def label_size(self, actor_id: str) -> float:
        return self.full_size if actor_id in self.labelled else self.small_size


def _detail(nodes: Sequence[dict[str, Any]], positions: Mapping[str, Point], max_evidence: int) -> _Detail:
    drawn = [positions.get(node["id"], (0.0, 0.0)) for node in nodes]
    spacing = _spacing(drawn)
    xs, ys = [p[0] for p in drawn] or [0.0], [p[1] for p in drawn] or [0.0]
    width, height = max(xs) - min(xs) + 4 * spacing, max(ys) - min(ys) + 4 * spacing
    scale = min(min(w / width, h / height) for w, h in FIT_CANVASES)
    full = round(max(float(OPTIONS["nodes"]["font"]["size"]), MIN_LABEL_PX / scale), 1)
    small = round(min((LABEL_DRAW_PX - 1) / (2 * scale), full / 2), 1)
    return _Detail(spacing, full, small, frozenset(_labelled(nodes, positions, max_evidence, spacing, full)))


def _labelled(nodes: Sequence[dict[str, Any]], positions: Mapping[str, Point], max_evidence: int,
              spacing: float, font_size: float) -> set[str]:
    """The actors of a large network labelled at full size: the most evidenced, each only if its label
    meets none already chosen (so those shown at the default zoom can be read), at most LABELLED_ACTORS."""
    chosen: list[tuple[Point, labels.Extent]] = []
    labelled: set[str] = set()
    for node in sorted(nodes, key=lambda node: (-node["evidence_count"], -node["degree"], node["id"])):
        if len(labelled) >= LABELLED_ACTORS:
            break
        point = positions.get(node["id"], (0.0, 0.0))
        extent = labels.node_extent(node["label"], node_size(node["evidence_count"], max_evidence, spacing),
                                    font_size)
        if not any(_meet(point, extent, other, box, LABEL_GAP) for other, box in chosen):
            chosen.append((point, extent))
            labelled.add(node["id"])
    return labelled


def _strongest(edges: list[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
    """All the edges, or the ``limit`` best evidenced (independent sources, passages, id), in their order."""
    if len(edges) <= limit:
        return edges
    ranked = sorted(range(len(edges)), key=lambda i: (-edges[i]["independent_sources"],
                                                        -edges[i]["evidence_count"], edges[i]["id"]))
    return [edges[i] for i in sorted(ranked[:limit])]


def _darken(color: str, factor: float = 0.7) -> str:
    red, green, blue = (int(color[i:i + 2], 16) for i in (1, 3, 5))
    return f"#{int(red * factor):02x}{int(green * factor):02x}{int(blue * factor):02x}"
