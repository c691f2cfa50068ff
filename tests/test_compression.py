"""Responses are compressed when the client accepts it, and only then; the network JSON is built once per
data revision and filter, and a client that has it gets a 304."""

from __future__ import annotations

import gzip
import re

import brotli
import pytest

GZIP = {"Accept-Encoding": "gzip"}
BROTLI = {"Accept-Encoding": "br, gzip;q=0.8"}
# A page's CSRF token is signed with the time it was made: the one part of two renderings that differs.
_TOKEN = re.compile(rb'(csrf-token" content="|"X-CSRFToken": "|name="csrf_token" value=")[^"]+')


def same_body(a: bytes, b: bytes) -> bool:
    return _TOKEN.sub(rb"\1", a) == _TOKEN.sub(rb"\1", b)


@pytest.mark.parametrize("path", [
    "/", "/list", "/timeline", "/actors/iraq", "/sources/pjtatler-2015-09-27-iraq-intel",
    "/api/graph", "/explorer/network.json", "/api/graph?at=2012&types=hostility",
    "/static/js/app.js", "/static/css/app.css", "/vendor/vis-network/vis-network.min.js",
])
def test_a_gzip_request_gets_the_same_body_compressed_and_a_plain_request_a_plain_body(client, path):
    plain = client.get(path)
    compressed = client.get(path, headers=GZIP)
    assert plain.status_code == compressed.status_code == 200
    assert "Content-Encoding" not in plain.headers
    assert compressed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in compressed.headers["Vary"]
    assert len(compressed.data) < len(plain.data)
    assert same_body(gzip.decompress(compressed.data), plain.data)


@pytest.mark.parametrize("path", ["/actors/iraq", "/api/graph", "/explorer/network.json", "/static/js/app.js"])
def test_brotli_when_the_client_prefers_it(client, path):
    plain = client.get(path)
    compressed = client.get(path, headers=BROTLI)
    assert compressed.headers["Content-Encoding"] == "br"
    assert same_body(brotli.decompress(compressed.data), plain.data)


def test_the_htmx_fragment_is_compressed_too(client):
    plain = client.get("/actors/iraq", headers={"HX-Request": "true"})
    compressed = client.get("/actors/iraq", headers={"HX-Request": "true", **GZIP})
    assert b"<html" not in plain.data
    assert same_body(gzip.decompress(compressed.data), plain.data)


def test_fonts_and_images_are_not_compressed_again(client):
    response = client.get("/static/vendor/source-sans-3-3.052/source-sans-3-latin-wght-normal.woff2", headers=GZIP)
    assert response.status_code == 200 and response.data[:4] == b"wOF2"
    assert "Content-Encoding" not in response.headers
    response.close()  # a font is sent as a stream, as before


@pytest.mark.parametrize("path", ["/api/graph?at=2015-09", "/explorer/network.json?blocs=axis"])
def test_a_client_that_has_the_network_gets_a_304_in_each_encoding(client, path):
    for headers in ({}, GZIP, BROTLI):
        first = client.get(path, headers=headers)
        etag = first.headers["ETag"]
        again = client.get(path, headers={**headers, "If-None-Match": etag})
        assert again.status_code == 304, headers
        assert again.data == b""
    # Each encoding is its own representation, with its own tag.
    tags = {client.get(path, headers=h).headers["ETag"] for h in ({}, GZIP, BROTLI)}
    assert len(tags) == 3


def test_the_graph_is_built_once_per_revision_and_filter(client, app, monkeypatch):
    from webapp.services import graph

    builds: list[str] = []
    real = graph.graph

    def counting(session, view):  # type: ignore[no-untyped-def]
        builds.append(view.cache_key())
        return real(session, view)

    monkeypatch.setattr(graph, "graph", counting)
    first = client.get("/api/graph?types=hostility").get_json()
    for headers in ({}, GZIP, BROTLI, {}):
        client.get("/api/graph?types=hostility", headers=headers)
    assert len(builds) == 1
    client.get("/api/graph?types=alliance")
    assert len(builds) == 2
    assert {e["type"] for e in first["edges"]} == {"hostility"}


def test_a_new_data_revision_is_never_answered_from_the_cache(client, app):
    from sqlalchemy import update

    from webapp.models import Dataset, Relation

    before = client.get("/api/graph", headers=GZIP)
    edited = "iraq-intelligence-sharing-russia"
    # What another process's edit leaves in the database: the record changed and its dataset's revision moved.
    with app.extensions["database"].transaction() as writer:
        writer.execute(update(Relation).where(Relation.id == edited).values(summary="Edited elsewhere."))
        writer.execute(update(Dataset).values(revision=Dataset.revision + 1))
    for headers in ({}, GZIP):
        after = client.get("/api/graph", headers=headers)
        assert after.headers["ETag"] != before.headers["ETag"]
        body = gzip.decompress(after.data) if headers else after.data
        assert b"Edited elsewhere." in body
    assert client.get("/api/graph", headers={"If-None-Match": before.headers["ETag"], **GZIP}).status_code == 200


def test_the_cache_keeps_within_its_byte_budget():
    from webapp.json_cache import JsonCache

    cache = JsonCache(budget=3000)
    for i in range(10):
        document = cache.document(("graph", "r1", f"filter{i}"), lambda i=i: {"edges": ["x" * 1000], "n": i})
        cache.encoded(document, "gzip")
    assert cache.bytes <= 3000
    assert 1 <= len(cache) < 10
    # The most recent is kept and answered without a rebuild.
    kept = cache.document(("graph", "r1", "filter9"), lambda: pytest.fail("rebuilt"))  # type: ignore[arg-type]
    assert b'"n":9' in kept.body


def test_the_seed_explorer_page_still_carries_its_network_inline(client):
    html = client.get("/").get_data(as_text=True)
    block = html.split('id="network-data">')[1].split("</script>")[0]
    assert '"nodes"' in block and "</" not in block
