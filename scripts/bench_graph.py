"""Benchmark: the /api/graph build (column selects + orjson) against a naive ORM + json baseline.

Builds a synthetic dataset (default 2,000 actors, 10,000 relations) in a temporary
SQLite database, then times, in the same run:
  baseline  load Relation objects with their evidence through the ORM, build dicts, json.dumps
  graph     webapp.services.graph.graph() (column selects, one aggregate) + orjson
  layout    the network layout for all actors (cached per data revision afterwards)
and prints each figure and the ratio to the baseline.

Usage: python scripts/bench_graph.py [ACTORS] [RELATIONS]
"""

from __future__ import annotations

import json
import random
import sys
import tempfile
import time
from pathlib import Path

import orjson
from sqlalchemy import insert, select
from sqlalchemy.orm import selectinload

from webapp import migrate
from webapp.db import Database
from webapp.models import Actor, Bloc, Dataset, Passage, Relation, RelationEvidence, Source
from webapp.services import analysis, network
from webapp.services.filters import ViewFilter
from webapp.services.graph import graph


def build(database: Database, actors: int, relations: int) -> None:
    rng = random.Random(7)
    text = "Synthetic evidence sentence. " * 200
    with database.transaction() as session:
        session.execute(insert(Dataset), [{"id": "bench", "title": "Benchmark", "description": "", "revision": 1}])
        session.execute(insert(Bloc), [{"id": f"b{i}", "dataset_id": "bench", "name": f"Bloc {i}", "color": "#336699",
                                        "description": "", "position": i} for i in range(8)])
        session.execute(insert(Source), [{"id": "s", "dataset_id": "bench", "title": "S", "text": text,
                                          "filename": "s.md", "language": "en"}])
        session.execute(insert(Actor), [{"id": f"a{i}", "dataset_id": "bench", "name": f"Actor {i}", "kind": "state",
                                         "bloc_id": f"b{i % 8}", "description": "", "position": i}
                                        for i in range(actors)])
        session.execute(insert(Passage), [{"id": i + 1, "source_id": "s", "start": i % 5000,
                                           "end": i % 5000 + 20 + i // 5000,
                                           "exact": "x", "prefix": "", "suffix": "", "voice": "report"}
                                          for i in range(relations)])
        rows, evidence = [], []
        for i in range(relations):
            a, b = rng.sample(range(actors), 2)
            rows.append({"id": f"r{i}", "dataset_id": "bench", "source_id": f"a{a}", "target_id": f"a{b}",
                         "type": "cooperation" if i % 3 else "hostility", "sign": 1 if i % 3 else -1,
                         "directed": False, "confidence": "high", "summary": "", "position": i,
                         "start": "2015", "start_first": None, "end": None, "end_last": None})
            evidence.append({"relation_id": f"r{i}", "position": 0, "passage_id": i + 1})
        session.execute(insert(Relation), rows)
        session.execute(insert(RelationEvidence), evidence)


def timed(function, repeat: int = 3) -> float:  # type: ignore[no-untyped-def]
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    actors = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    relations = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
    with tempfile.TemporaryDirectory() as folder:
        database = Database(f"sqlite:///{Path(folder) / 'bench.db'}")
        migrate.upgrade(database)
        build(database, actors, relations)
        view = ViewFilter()

        def baseline() -> bytes:
            with database.session() as session:
                items = session.scalars(select(Relation).options(
                    selectinload(Relation.evidence), selectinload(Relation.source),
                    selectinload(Relation.target))).all()
                edges = [{"id": r.id, "from": r.source_id, "to": r.target_id, "type": r.type, "sign": r.sign,
                          "evidence_count": len(r.evidence), "from_name": r.source.name} for r in items]
                return json.dumps({"edges": edges}).encode()

        def ours() -> bytes:
            with database.session() as session:
                return orjson.dumps(graph(session, view))

        def layout() -> None:
            with database.session() as session:
                network._computed.clear()
                network._compute_layout(session)

        def tensions() -> None:
            with database.session() as session:
                analysis.balance(session, view)
                analysis.brokers(session, view)

        base = timed(baseline)
        fast = timed(ours)
        lay = timed(layout, repeat=1)
        ana = timed(tensions, repeat=1)
        print(f"synthetic network: {actors} actors, {relations} relations (SQLite)")
        print(f"baseline ORM + json : {base * 1000:8.1f} ms  (1.00x)")
        print(f"graph() + orjson    : {fast * 1000:8.1f} ms  ({fast / base:.2f}x of baseline)")
        print(f"layout (uncached)   : {lay * 1000:8.1f} ms  ({lay / base:.2f}x of baseline; cached per revision)")
        print(f"analysis (balance + brokers): {ana * 1000:8.1f} ms  ({ana / base:.2f}x of baseline)")
        database.dispose()


if __name__ == "__main__":
    main()
