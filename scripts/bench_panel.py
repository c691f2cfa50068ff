"""Benchmark: the htmx actor panel of the seed's best-connected actor, with its key passages.

Loads the bundled seed into a temporary SQLite database and times, in the same run (median of N warm
requests through the Flask test client):
  static    a static file of the app (the floor any request pays)
  plain     the actor panel without its key passages (as before issue 12)
  panel     the actor panel as served: key passages, then every relation's evidence, folded
and prints each figure, the bytes, and the ratios panel/plain and panel/static.

Usage: python scripts/bench_panel.py [REQUESTS]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from webapp import create_app, migrate
from webapp.datasets.loader import load_directory
from webapp.services import explorer

SEED = Path(__file__).resolve().parent.parent / "seeds" / "iraq-intel-2015"
HTMX = {"HX-Request": "true"}


def timed(client: Any, url: str, runs: int) -> tuple[float, int]:
    client.get(url, headers=HTMX)  # warm: templates compiled, caches filled
    samples, size = [], 0
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(url, headers=HTMX)
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        size = len(response.data)
    return statistics.median(samples), size


def main(runs: int = 50) -> None:
    with tempfile.TemporaryDirectory() as folder:
        app = create_app({"DATABASE_URL": f"sqlite:///{folder}/bench.db", "AUTO_SETUP": False})
        database = app.extensions["database"]
        migrate.upgrade(database)
        with database.transaction() as session:
            load_directory(session, SEED)
        client = app.test_client()
        nodes = client.get("/api/graph").get_json()["nodes"]
        top = max(nodes, key=lambda n: n["degree"])
        url = f"/actors/{top['id']}"
        static_ms, static_bytes = timed(client, "/static/css/app.css", runs)
        real = explorer.key_passages
        plain, panel = [], []
        for _ in range(5):  # interleaved rounds, so that neither side gets the warmer machine
            explorer.key_passages = lambda relations, limit=0: []
            plain.append(timed(client, url, runs // 5))
            explorer.key_passages = real
            panel.append(timed(client, url, runs // 5))
        database.dispose()
    plain_ms, plain_bytes = statistics.median(t for t, _ in plain), plain[0][1]
    panel_ms, panel_bytes = statistics.median(t for t, _ in panel), panel[0][1]
    print(f"best-connected actor: {top['label']} ({top['degree']} relations), {runs} warm requests each, median")
    print(f"static   {static_ms:7.2f} ms  {static_bytes:>8,} bytes")
    print(f"plain    {plain_ms:7.2f} ms  {plain_bytes:>8,} bytes  (panel without key passages)")
    print(f"panel    {panel_ms:7.2f} ms  {panel_bytes:>8,} bytes  "
          f"×{panel_ms / plain_ms:.2f} plain, ×{panel_ms / static_ms:.1f} static")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50)
