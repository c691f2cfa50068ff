"""The network layout: positions for every actor, the same for the same data, spread over the canvas."""

from __future__ import annotations

import math
import random

import networkx as nx

from webapp.services import network


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
