"""The network as vis-network draws it, built with pyvis; positions computed once per data revision.

Positions come from the *whole* network (not the filtered one), so a node stays
where it is while the date or the filters change, and a reload shows the same
picture. Blocs start on their own side of a circle, which keeps them visibly
grouped after the spring layout.
"""

from __future__ import annotations

import json
import math
import random
import threading
from collections import OrderedDict
from typing import Any

import igraph
import networkx as nx
from pyvis.network import Network
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Actor, Relation
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
OPTIONS = {
    "autoResize": True,
    "physics": {"enabled": False},
    "interaction": {"hover": True, "tooltipDelay": 150, "navigationButtons": False, "keyboard": False,
                    "multiselect": False},
    "nodes": {"borderWidth": 2, "font": {"size": 22, "face": "system-ui, sans-serif", "color": "#1d2733",
                                         "strokeWidth": 4, "strokeColor": "#ffffff"}},
    "edges": {"smooth": {"enabled": True, "type": "continuous", "roundness": 0.2},
              "selectionWidth": 2, "hoverWidth": 1.5},
    "layout": {"improvedLayout": False},
}
SCALE = 620
ASPECT = 1.8
KAMADA_KAWAI_LIMIT = 400

_cache_lock = threading.Lock()
_layout_cache: OrderedDict[str, dict[str, tuple[float, float]]] = OrderedDict()


def _compute_layout(session: Session) -> dict[str, tuple[float, float]]:
    actors = session.execute(
        select(Actor.id, Actor.bloc_id, Actor.dataset_id).order_by(Actor.dataset_id, Actor.position)).all()
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
    # Screens are wider than tall: stretch the picture to use the width.
    return {node: (float(x) * SCALE * ASPECT, float(y) * SCALE) for node, (x, y) in positions.items()}


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


def _date_range(start: str | None, end: str | None) -> str:
    if start and end:
        return f"{start} to {end}"
    if start:
        return f"since {start}"
    if end:
        return f"until {end}"
    return "dates not stated"


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
            "size": 12 + 22 * math.sqrt(node["evidence_count"] / max_evidence),
            "color": {"background": node["color"], "border": _darken(node["color"]),
                      "highlight": {"background": node["color"], "border": "#111111"},
                      "hover": {"background": node["color"], "border": "#111111"}},
            "title": f"{node['label']} ({node['kind'].replace('_', ' ')}; {node['bloc_name'] or 'no bloc'}) — "
                     f"{node['degree']} relations, {node['evidence_count']} evidence passages",
            "x": x, "y": y, "bloc": node["bloc"], "kind": node["kind"],
        })
    for edge in data["edges"]:
        style = SIGN_STYLE[edge["sign"]]
        network.edges.append({
            "id": edge["id"],
            "from": edge["from"],
            "to": edge["to"],
            "color": {"color": style["color"], "highlight": "#111111", "hover": style["color"], "opacity": 0.85},
            "dashes": style["dashes"],
            "width": 1 + min(edge["evidence_count"], 6),
            "arrows": {"to": {"enabled": bool(edge["directed"]), "scaleFactor": 0.6}},
            "title": f"{edge['type_label']} ({edge['sign_label']}), {_date_range(edge['start'], edge['end'])}; "
                     f"{edge['evidence_count']} evidence passage{'s' if edge['evidence_count'] != 1 else ''}",
            "sign": edge["sign"], "type": edge["type"],
        })
    return {"nodes": network.nodes, "edges": network.edges, "options": network.options, "meta": data["meta"]}


def _darken(color: str, factor: float = 0.7) -> str:
    red, green, blue = (int(color[i:i + 2], 16) for i in (1, 3, 5))
    return f"#{int(red * factor):02x}{int(green * factor):02x}{int(blue * factor):02x}"
