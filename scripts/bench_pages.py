"""Benchmark: the pages and the network JSON at a given database, warm, through the app in this process.

For each URL, after one warm-up request: the median server time of N requests, the bytes sent plain and
with ``Accept-Encoding: gzip``, and — for the JSON documents — requests per second as a ratio to a
static file of the same bytes served by the same app in the same run (the goal: at least 0.5×).

Usage: python scripts/bench_pages.py DATABASE_URL [REQUESTS]
  DATABASE_URL  a loaded database, e.g. sqlite:////tmp/bench/5k.db (scripts/bench_data.py writes one)
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from flask import send_from_directory
from sqlalchemy import func, select

from webapp import create_app
from webapp.models import Actor, Passage, Relation, Source

GZIP = {"Accept-Encoding": "gzip"}
HTMX = {"HX-Request": "true"}


def best_connected(app: Any) -> tuple[str, str]:
    """The actor with the most relations, and the source with the most passages."""
    with app.extensions["database"].session() as session:
        ends = select(Relation.source_id.label("actor")).union_all(select(Relation.target_id.label("actor"))).subquery()
        actor = session.execute(select(ends.c.actor, func.count()).group_by(ends.c.actor)
                                .order_by(func.count().desc()).limit(1)).one()[0]
        source = session.execute(select(Passage.source_id, func.count()).group_by(Passage.source_id)
                                 .order_by(func.count().desc()).limit(1)).first()
        source_id = source[0] if source else session.scalar(select(Source.id).limit(1))
        assert session.get(Actor, actor) is not None
    return actor, source_id


def measure(client: Any, url: str, runs: int, headers: dict[str, str] | None = None) -> tuple[float, int]:
    """(median ms, bytes) of ``runs`` warm requests."""
    response = client.get(url, headers=headers or {})
    # (/healthz answers 503 on a database whose schema is older or newer than the code's: still timed.)
    assert response.status_code in (200, 503), (url, response.status_code)
    response.close()
    samples, size = [], 0
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url, headers=headers or {})
        size = len(response.data)
        samples.append((time.perf_counter() - started) * 1000)
        response.close()
    return statistics.median(samples), size


def main(url: str, runs: int) -> None:
    app = create_app({"DATABASE_URL": url, "AUTO_SETUP": False})
    folder = Path(tempfile.mkdtemp())

    @app.get("/bench-static/<name>")
    def bench_static(name: str):  # type: ignore[no-untyped-def]
        return send_from_directory(folder, name, mimetype="application/json")

    client = app.test_client()
    actor, source = best_connected(app)
    pages = [
        ("/ (explorer)", "/", {}),
        ("/list", "/list", {}),
        ("/timeline", "/timeline", {}),
        (f"panel /actors/{actor} (htmx)", f"/actors/{actor}", HTMX),
        (f"reader /sources/{source}", f"/sources/{source}", {}),
        ("/healthz", "/healthz", {}),
    ]
    documents = [("/api/graph", "/api/graph"), ("/explorer/network.json", "/explorer/network.json")]
    print(f"{url}: best-connected actor {actor}; reader of {source}; {runs} warm requests each, median")
    print(f"{'what':44} {'ms':>9} {'plain bytes':>13} {'gzip bytes':>12} {'gzip ms':>9}")
    for label, path, headers in pages:
        plain_ms, plain = measure(client, path, runs, headers)
        gzip_ms, packed = measure(client, path, runs, {**headers, **GZIP})
        print(f"{label[:44]:44} {plain_ms:9.1f} {plain:13,} {packed:12,} {gzip_ms:9.1f}")
    for label, path in documents:
        plain_ms, plain = measure(client, path, runs)
        gzip_ms, packed = measure(client, path, runs, GZIP)
        (folder / "same.json").write_bytes(client.get(path).data)
        static_ms, _ = measure(client, "/bench-static/same.json", runs)
        print(f"{label:44} {plain_ms:9.1f} {plain:13,} {packed:12,} {gzip_ms:9.1f}   "
              f"static file of the same bytes {static_ms:.1f} ms: rate ×{static_ms / plain_ms:.2f} plain, "
              f"×{static_ms / gzip_ms:.2f} gzip")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 5)
