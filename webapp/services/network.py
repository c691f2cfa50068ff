"""The network as vis-network draws it, built with pyvis; positions computed once per data revision.

Positions come from the *whole* network (not the filtered one), so a node stays
where it is while the date or the filters change, and a reload shows the same
picture. Blocs start on their own side of a circle, which keeps them visibly
grouped after the spring layout. Up to ``LABEL_LIMIT`` actors the layout is then
sized for the default fit and nodes are pushed apart until no label overlaps
another node or label (``labels.separate``, measured in the bundled font).
"""

from __future__ import annotations

import json
import math
import random
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import igraph
import networkx as nx
from pyvis.network import Network
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..dates import interval_text
from ..models import Actor, Relation, RelationEvidence
from . import labels
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

_cache_lock = threading.Lock()
_layout_cache: OrderedDict[str, dict[str, tuple[float, float]]] = OrderedDict()


def _compute_layout(session: Session) -> dict[str, tuple[float, float]]:
    actors = session.execute(
        select(Actor.id, Actor.name, Actor.kind, Actor.bloc_id, Actor.dataset_id)
        .order_by(Actor.dataset_id, Actor.position)).all()
    relations = session.execute(select(Relation.source_id, Relation.target_id, Relation.sign)).all()
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
        return _readable(session, actors, graph_, positions)
    # Screens are wider than tall: stretch the picture to use the width.
    return {node: (float(x) * SCALE * ASPECT, float(y) * SCALE) for node, (x, y) in positions.items()}


def node_size(evidence: int, max_evidence: int) -> float:
    """A node's radius: more evidence passages, a larger node."""
    return 12 + 22 * math.sqrt(evidence / (max_evidence or 1))


def _readable(session: Session, actors: Sequence[Any], graph_: nx.Graph,
              positions: dict[str, Any]) -> dict[str, tuple[float, float]]:
    """The spring layout sized and stretched for the default fit (labels legible on both canvases), with nodes
    pushed apart until no node's box (shape and label) overlaps another's.

    Each (scale, stretch) candidate is separated, then scored by the smaller of its fit zooms on the
    two canvases (vis-network fits the node boxes with a 10 % margin, at most at zoom 1). The most
    spread-out candidate whose labels are at least ``MIN_LABEL_PX`` on screen wins (the closest to
    the spring layout, with room for the relations between the nodes); failing that, the largest labels.
    """
    counts = dict(session.execute(
        select(RelationEvidence.relation_id, func.count()).group_by(RelationEvidence.relation_id)).all())
    evidence: dict[str, int] = {}
    for relation_id, source, target in session.execute(select(Relation.id, Relation.source_id, Relation.target_id)):
        for end in (source, target):
            evidence[end] = evidence.get(end, 0) + counts.get(relation_id, 0)
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
    """Large networks: igraph's Fruchterman–Reingold (C, grid-accelerated; SPEC §7), from the
    bloc-seeded start and with a fixed random seed, so the same data gives the same picture."""
    ids = list(graph_.nodes)
    index = {node: i for i, node in enumerate(ids)}
    edges = list(graph_.edges(data="weight"))
    igraph_graph = igraph.Graph(n=len(ids), edges=[(index[a], index[b]) for a, b, _ in edges])
    previous = igraph.set_random_number_generator(random.Random(7))
    try:
        layout = igraph_graph.layout_fruchterman_reingold(
            weights=[w for _, _, w in edges] or None, seed=[list(start[n]) for n in ids], niter=500, grid="auto",
        )
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


def layout(session: Session, revision: str | None = None) -> dict[str, tuple[float, float]]:
    """Positions for every actor, cached per data revision (pass it when already known)."""
    revision = revision or data_revision(session)
    with _cache_lock:
        cached = _layout_cache.get(revision)
    if cached is not None:
        return cached
    positions = _compute_layout(session)
    with _cache_lock:
        _layout_cache[revision] = positions
        while len(_layout_cache) > 8:
            _layout_cache.popitem(last=False)
    return positions


def vis_network(session: Session, view: ViewFilter) -> dict[str, Any]:
    """Nodes, edges and options for vis-network, as pyvis builds them, under the filter."""
    data = graph(session, view)
    positions = layout(session, data["meta"]["revision"])
    network = Network(directed=False)
    network.set_options("var options = " + json.dumps(OPTIONS))
    max_evidence = max((n["evidence_count"] for n in data["nodes"]), default=1) or 1
    for node in data["nodes"]:
        x, y = positions.get(node["id"], (0.0, 0.0))
        # Appending dicts directly: pyvis's add_node/add_edge re-scan every edge (quadratic).
        network.nodes.append({
            "id": node["id"],
            "label": node["label"],
            "shape": SHAPES.get(node["kind"], "dot"),
            "size": node_size(node["evidence_count"], max_evidence),
            "color": {"background": node["color"], "border": _darken(node["color"]),
                      "highlight": {"background": node["color"], "border": "#111111"},
                      "hover": {"background": node["color"], "border": "#111111"}},
            "title": f"{node['label']} ({node['kind'].replace('_', ' ')}; {node['bloc_name'] or 'no bloc'}) — "
                     f"{node['degree']} relations, {node['evidence_count']} evidence passages",
            "x": x, "y": y, "bloc": node["bloc"], "kind": node["kind"],
        })
    for edge in data["edges"]:
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
            "width": 1 + min(edge["evidence_count"], 6),
            "arrows": {"to": {"enabled": bool(edge["directed"]), "scaleFactor": 0.6}},
            "title": f"{edge['type_label']} ({edge['sign_label']}), "
                     f"{interval_text(edge['start'], edge['end'], edge['start_inferred'], edge['end_inferred'])}; "
                     f"{edge['evidence_count']} evidence passage{'s' if edge['evidence_count'] != 1 else ''}",
            "sign": edge["sign"], "type": edge["type"], "undated": undated,
        })
    return {"nodes": network.nodes, "edges": network.edges, "options": network.options, "meta": data["meta"]}


def _darken(color: str, factor: float = 0.7) -> str:
    red, green, blue = (int(color[i:i + 2], 16) for i in (1, 3, 5))
    return f"#{int(red * factor):02x}{int(green * factor):02x}{int(blue * factor):02x}"
