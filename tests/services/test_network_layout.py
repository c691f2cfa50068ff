"""The network layout: positions for every actor, the same for the same data, spread over the canvas."""

from __future__ import annotations

import math
import random
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest

from webapp.services import labels, network
from webapp.services.filters import ViewFilter


def _bloc_graph(actors: int, relations: int) -> tuple[nx.Graph, dict[str, tuple[float, float]]]:
    rng = random.Random(3)
    graph = nx.Graph()
    start = {}
    for i in range(actors):
        graph.add_node(f"a{i}", bloc=("d", f"b{i % 5}"))
        start[f"a{i}"] = (math.cos(i), math.sin(i))
    for _ in range(relations):
        a, b = rng.sample(range(actors), 2)
        graph.add_edge(f"a{a}", f"a{b}", weight=rng.choice((2.0, 0.6, 0.3)))
    return graph, start


def test_large_networks_get_a_repeatable_spread_out_layout():
    graph, start = _bloc_graph(network.KAMADA_KAWAI_LIMIT + 100, 1500)
    first = network._fruchterman_reingold(graph, start)
    again = network._fruchterman_reingold(graph, start)
    assert first == again  # same data, same picture (the random seed is fixed)
    assert set(first) == set(graph.nodes)
    xs, ys = [p[0] for p in first.values()], [p[1] for p in first.values()]
    assert max(map(abs, xs + ys)) <= 1.0 + 1e-9 and max(xs) - min(xs) > 1.5  # normalised to the unit box, and used
    # Nodes do not pile up: the median distance to the nearest other node is not tiny.
    points = list(first.values())[:200]
    nearest = sorted(min(math.dist(p, q) for q in points if q is not p) for p in points)
    assert nearest[len(nearest) // 2] > 0.01
    # The caller's own random state is left alone.
    random.seed(11)
    expected = random.random()
    random.seed(11)
    network._fruchterman_reingold(graph, start)
    assert random.random() == expected


def _boxes(nodes: list[dict], positions: dict[str, tuple[float, float]]) -> tuple[list, list]:
    font = float(network.OPTIONS["nodes"]["font"]["size"])
    extents = [labels.node_extent(n["label"], n["size"], font, triangle=n["shape"].startswith("triangle"))
               for n in nodes]
    return [positions[n["id"]] for n in nodes], extents


def test_the_seed_network_keeps_every_label_clear_of_other_labels_and_nodes(session):
    drawn = network.vis_network(session, ViewFilter())
    points, extents = _boxes(drawn["nodes"], {n["id"]: (n["x"], n["y"]) for n in drawn["nodes"]})
    assert len(points) == 17
    assert labels.overlaps(points, extents) == 0
    # Sized for the default fit: labels at least MIN_LABEL_PX tall on the smaller canvas (1366×768).
    left, top, right, bottom = labels.bounds(points, extents)
    width, height = network.FIT_CANVASES[0]
    zoom = min(1.0, width / (1.1 * (right - left)), height / (1.1 * (bottom - top)))
    assert zoom * network.OPTIONS["nodes"]["font"]["size"] >= network.MIN_LABEL_PX
    # Deterministic: computed again from scratch, the same positions.
    network._computed.clear()
    assert network.layout(session) == network._compute(network._inputs(session))


def test_separate_pushes_boxes_apart_deterministically_and_keeps_the_picture():
    rng = random.Random(5)
    points = [(rng.uniform(-300, 300), rng.uniform(-150, 150)) for _ in range(120)]
    extents = [labels.node_extent("x" * rng.randint(3, 30), rng.uniform(12, 34), 22) for _ in points]
    assert labels.overlaps(points, extents) > 50
    apart = labels.separate(labels.spread(points, extents, 0.2), extents, (18.0, 6.0))
    assert labels.overlaps(apart, extents) == 0
    assert apart == labels.separate(labels.spread(points, extents, 0.2), extents, (18.0, 6.0))
    # Pushes keep where things lie: the leftmost and the rightmost node stay so.
    order = sorted(range(len(points)), key=lambda i: points[i][0])
    assert min(range(len(apart)), key=lambda i: apart[i][0]) == order[0]
    assert max(range(len(apart)), key=lambda i: apart[i][0]) == order[-1]
    # Boxes already apart do not move.
    assert labels.separate([(0.0, 0.0), (500.0, 0.0)], extents[:2], (18.0, 6.0)) == [(0.0, 0.0), (500.0, 0.0)]


def test_label_widths_follow_the_bundled_font():
    assert labels.text_width("", 22) == 0
    assert labels.text_width("Iraq", 22) < labels.text_width("Iran and Iraq", 22)
    assert labels.text_width("W", 10) == 2 * labels.text_width("W", 5)
    # The table is generated from the woff2 files under static/vendor/: it must match them.
    pytest.importorskip("fontTools")
    script = Path(__file__).resolve().parents[2] / "scripts" / "font_metrics.py"
    result = subprocess.run([sys.executable, str(script), "--check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
