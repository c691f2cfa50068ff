"""Benchmark: the network layout at scale, before and after the stored positions (issue 13).

Builds a synthetic network (skewed degrees: each relation's first actor is a Pareto choice, so one
actor holds about half the relations) in a temporary SQLite database and prints, in the same run:
  fr unit start   igraph Fruchterman–Reingold started inside the unit box (the old way: its grid
                  finds every node in one cell), the baseline
  fr grid start   the start scaled to the grid's square, plus the spread steps (what load runs now)
  load layout     after_load: the full layout computed and stored (paid once, by `flask load`)
  first request   positions as a fresh process reads them (what every worker pays after a load)
  edit            placing one new actor beside its neighbours in the edit's transaction
each with its ratio to the baseline, and the share of nodes stacked on another (within 0.2 % of
the picture's width) for both starts.

Usage: python scripts/bench_layout.py [ACTORS] [RELATIONS]   (default 1000 10000)
"""

from __future__ import annotations

import math
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import igraph
from sqlalchemy import insert

from webapp import migrate
from webapp.db import Database
from webapp.models import Actor, Bloc, Dataset, Relation
from webapp.services import network, network_positions


def build(database: Database, actors: int, relations: int) -> None:
    rng = random.Random(7)
    with database.transaction() as session:
        session.execute(insert(Dataset), [{"id": "bench", "title": "Benchmark", "description": "", "revision": 1}])
        session.execute(insert(Bloc), [{"id": f"b{i}", "dataset_id": "bench", "name": f"Bloc {i}", "color": "#336699",
                                        "description": "", "position": i} for i in range(8)])
        session.execute(insert(Actor), [{"id": f"a{i}", "dataset_id": "bench", "name": f"Actor {i}", "kind": "state",
                                         "bloc_id": f"b{i % 8}", "description": "", "position": i}
                                        for i in range(actors)])
        rows = []
        for i in range(relations):
            a = min(int(rng.paretovariate(1.0)) - 1, actors - 1)
            b = rng.randrange(actors)
            b = (b + 1) % actors if a == b else b
            rows.append({"id": f"r{i}", "dataset_id": "bench", "source_id": f"a{a}", "target_id": f"a{b}",
                         "type": "cooperation" if i % 3 else "hostility", "sign": 1 if i % 3 else -1,
                         "directed": False, "confidence": "high", "summary": "", "position": i})
        session.execute(insert(Relation), rows)


def stacked(points: dict[str, tuple[float, float]]) -> float:
    """The share of nodes within 0.2 % of the picture's width of another."""
    xs, ys = [p[0] for p in points.values()], [p[1] for p in points.values()]
    width = max(max(xs) - min(xs), max(ys) - min(ys)) or 1.0
    limit = 0.002 * width
    cells: dict[tuple[int, int], list[tuple[float, float]]] = {}
    for p in points.values():
        cells.setdefault((int(p[0] // limit), int(p[1] // limit)), []).append(p)
    close = 0
    for p in points.values():
        cx, cy = int(p[0] // limit), int(p[1] // limit)
        if any(q is not p and math.dist(p, q) < limit for dx in (-1, 0, 1) for dy in (-1, 0, 1)
               for q in cells.get((cx + dx, cy + dy), [])):
            close += 1
    return close / max(len(points), 1)


def old_fruchterman_reingold(graph_: Any, start: dict[str, tuple[float, float]]) -> dict[str, tuple[float, float]]:
    """The layout as it was before issue 13: the unit-box start handed to igraph's grid."""
    ids = list(graph_.nodes)
    index = {node: i for i, node in enumerate(ids)}
    edges = list(graph_.edges(data="weight"))
    g = igraph.Graph(n=len(ids), edges=[(index[a], index[b]) for a, b, _ in edges])
    previous = igraph.set_random_number_generator(random.Random(7))
    try:
        coords = g.layout_fruchterman_reingold(weights=[w for _, _, w in edges] or None,
                                               seed=[list(start[n]) for n in ids], niter=500, grid="auto").coords
    finally:
        igraph.set_random_number_generator(previous)
    return {node: (coords[i][0], coords[i][1]) for node, i in index.items()}


def graph_and_start(database: Database) -> tuple[Any, dict[str, tuple[float, float]]]:
    """The networkx graph and the bloc-seeded start the layout builds (captured from the real code)."""
    captured: dict[str, Any] = {}
    real = network._fruchterman_reingold

    def capture(graph_: Any, start: dict[str, tuple[float, float]]) -> dict[str, tuple[float, float]]:
        captured["graph"], captured["start"] = graph_, start
        return {node: (0.0, 0.0) for node in graph_.nodes}

    network._fruchterman_reingold = capture  # type: ignore[assignment]
    try:
        with database.session() as session:
            network._compute(network._inputs(session))
    finally:
        network._fruchterman_reingold = real  # type: ignore[assignment]
    return captured["graph"], captured["start"]


def timed(function: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result


def main() -> None:
    actors = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    relations = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
    with tempfile.TemporaryDirectory() as folder:
        database = Database(f"sqlite:///{Path(folder) / 'bench.db'}")
        migrate.upgrade(database)
        build(database, actors, relations)
        graph_, start = graph_and_start(database)
        base, old = timed(lambda: old_fruchterman_reingold(graph_, start))
        new_time, new = timed(lambda: network._fruchterman_reingold(graph_, start))

        def load() -> None:
            with database.transaction() as session:
                network.after_load(session, changed=True)

        network._computed.clear()
        load_time, _ = timed(load)

        def first_request() -> int:
            network_positions._cache.clear()  # a fresh worker
            with database.session() as session:
                return len(network.layout(session))

        read_time, count = timed(first_request)

        def edit() -> None:
            with database.transaction() as session:
                session.execute(insert(Actor), [{"id": "new", "dataset_id": "bench", "name": "New", "kind": "state",
                                                 "bloc_id": "b0", "description": "", "position": actors}])
                session.execute(insert(Relation), [{"id": "r-new", "dataset_id": "bench", "source_id": "new",
                                                    "target_id": "a1", "type": "cooperation", "sign": 1,
                                                    "directed": False, "confidence": "high", "summary": "",
                                                    "position": relations}])
                network.place_new_actors(session)

        edit_time, _ = timed(edit)
        print(f"synthetic network: {actors} actors, {relations} relations ({graph_.number_of_edges()} linked pairs;"
              f" SQLite)")
        print(f"fr unit start (old) : {base * 1000:9.1f} ms  (1.00x)   stacked nodes {stacked(old):6.2%}")
        print(f"fr grid start (new) : {new_time * 1000:9.1f} ms  ({new_time / base:.3f}x)  "
              f"stacked nodes {stacked(new):6.2%}")
        print(f"load: layout stored : {load_time * 1000:9.1f} ms  ({load_time / base:.3f}x)  paid once, by `load`")
        print(f"first request reads : {read_time * 1000:9.1f} ms  ({read_time / base:.4f}x)  {count} positions")
        print(f"edit: 1 actor placed: {edit_time * 1000:9.1f} ms  ({edit_time / base:.4f}x)  (insert + placement)")
        database.dispose()


if __name__ == "__main__":
    main()
