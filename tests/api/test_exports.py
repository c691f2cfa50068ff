"""/export/graph.*: each format re-imported with networkx (or csv) holds what /api/graph holds for the same filter."""

from __future__ import annotations

import csv
import html
import io
import json
import xml.etree.ElementTree as ET
from typing import Any

import networkx as nx
import pytest

from webapp.services import exports

FORMATS = ("json", "gexf", "graphml", "csv")
SEED = "dataset=iraq-intel-2015"
GEXF_NS = "{http://www.gexf.net/1.2draft}"


def download(client, fmt: str, query: str = ""):  # type: ignore[no-untyped-def]
    response = client.get(f"/export/graph.{fmt}" + (f"?{query}" if query else ""))
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response


def reimport(fmt: str, body: bytes) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """(nodes by id, edges by relation id, each edge with its ``from``/``to``) read back from an export."""
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(body.decode("utf-8"), newline="")))
        nodes: dict[str, dict[str, Any]] = {}
        for row in rows:
            nodes[row["from"]] = {"label": row["from_label"]}
            nodes[row["to"]] = {"label": row["to_label"]}
        return nodes, {row["id"]: row for row in rows}
    if fmt == "json":
        G = nx.node_link_graph(json.loads(body), directed=True, multigraph=True, edges="edges")
    elif fmt == "gexf":
        G = nx.read_gexf(io.BytesIO(body))
    else:
        G = nx.read_graphml(io.BytesIO(body), force_multigraph=True, edge_key_type=str)
    assert G.is_directed()
    edges = {}
    for u, v, data in G.edges(data=True):
        assert data["id"] not in edges
        edges[data["id"]] = {**data, "from": u, "to": v}
    return dict(G.nodes(data=True)), edges


def api_graph(client, query: str) -> tuple[set[str], set[str]]:  # type: ignore[no-untyped-def]
    data = client.get(f"/api/graph?{query}").json
    return {n["id"] for n in data["nodes"]}, {e["id"] for e in data["edges"]}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("query", ["", "at=2012", "at=2015-10-01", "dataset=river-pact", "dataset=river-pact&at=2003",
                                   "types=intelligence_sharing", "focus=dana-vale&depth=2", "blocs=coalition"])
def test_every_format_holds_the_same_actors_and_relations_as_the_api(client, river_pact, fmt, query):
    nodes, edges = reimport(fmt, download(client, fmt, query).data)
    api_nodes, api_edges = api_graph(client, query)
    assert set(edges) == api_edges
    assert set(nodes) == api_nodes


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_date_filter_exports_fewer_relations(client, fmt):
    _, everything = reimport(fmt, download(client, fmt).data)
    _, in_2012 = reimport(fmt, download(client, fmt, "at=2012").data)
    shown_in_2012 = {e["id"] for e in client.get("/api/graph?at=2012").get_json()["edges"]}
    assert len(everything) == 51 and set(in_2012) == shown_in_2012 and len(in_2012) < 51
    assert "iraq-intelligence-sharing-russia" in everything and "iraq-intelligence-sharing-russia" not in in_2012


@pytest.mark.parametrize("fmt", ["json", "graphml", "csv"])
def test_relation_and_actor_attributes_survive_the_round_trip(client, river_pact, fmt):
    nodes, edges = reimport(fmt, download(client, fmt).data)
    deal = edges["iraq-intelligence-sharing-russia"]
    assert (deal["from"], deal["to"], deal["type"]) == ("iraq", "russia", "intelligence_sharing")
    assert str(deal["sign"]) == "1" and str(deal["directed"]).lower() == "false"
    assert deal["start"] == "2015-09" and deal.get("end") in (None, "")
    assert deal["confidence"] == "high" and int(deal["evidence_count"]) >= 2
    assert deal["start_inferred"].startswith("Start inferred from the announcement of Sunday 27 September 2015")
    kerry = edges["kerry-represents-united-states"]
    assert (kerry["end"], kerry["end_inferred"]) == ("2017-01-20", "Kerry left office on 20 January 2017, when the "
                                                                   "next administration took over.")
    assert edges["iran-military-support-assad"].get("start_inferred") in (None, "")  # stated by the article
    war = edges["upland-hostility-lowland"]
    assert (war["start"], war["end"], str(war["sign"])) == ("2001", "2003", "-1")
    assert str(edges["dana-vale-represents-lowland"]["directed"]).lower() == "true"
    assert nodes["iraq"]["label"] == "Iraq"
    if fmt != "csv":
        assert (nodes["iraq"]["bloc"], nodes["iraq"]["color"], nodes["iraq"]["kind"]) == ("axis", "#c0392b", "state")
        assert nodes["upland"]["bloc_name"] == "River League"


def test_gexf_is_dynamic_with_full_dates_for_the_gephi_timeline(client, river_pact):
    body = download(client, "gexf").data
    graph = ET.fromstring(body).find(f"{GEXF_NS}graph")
    assert graph is not None
    assert (graph.get("mode"), graph.get("timeformat")) == ("dynamic", "date")
    nodes, edges = reimport("gexf", body)
    war = edges["upland-hostility-lowland"]
    assert (war["start"], war["end"]) == ("2001-01-01", "2003-12-31")  # a partial date covers its whole period
    deal = edges["iraq-intelligence-sharing-russia"]
    assert deal["start"] == "2015-09-01" and "end" not in deal  # open end: no end
    assert "start" not in edges["joint-operations-command-represents-iraq"]  # undated: open start
    assert (deal["relation_type"], deal["label"], deal["sign"], deal["directed"]) == (
        "intelligence_sharing", "intelligence sharing", 1, False)
    assert nodes["iraq"]["viz"]["color"] == {"r": 192, "g": 57, "b": 43, "a": 1.0}
    assert nodes["iraq"]["label"] == "Iraq" and nodes["iraq"]["bloc"] == "axis"
    assert nodes["iraq"]["aliases"].startswith("Iraq; Iraqi")
    assert "affiliation" not in nodes["iraq"]  # None is left out, not written as "None"


def test_graph_level_attributes_say_what_was_exported(client):
    data = json.loads(download(client, "json", "at=2012").data)
    assert data["graph"]["filter"] == "at=2012"
    assert data["graph"]["name"].startswith("Iraq's intelligence deal")
    assert data["graph"]["revision"].startswith("iraq-intel-2015:")
    iraq = next(n for n in data["nodes"] if n["id"] == "iraq")
    assert iraq["aliases"][:2] == ["Iraq", "Iraqi"]  # JSON keeps lists
    G = nx.read_graphml(io.BytesIO(download(client, "graphml", "at=2012").data))
    assert G.graph["filter"] == "at=2012"
    meta = ET.fromstring(download(client, "gexf", "at=2012").data).find(f"{GEXF_NS}meta/{GEXF_NS}description")
    assert meta is not None and "filter: at=2012" in (meta.text or "")


def test_csv_has_one_quoted_row_per_relation(client):
    text = download(client, "csv").get_data(as_text=True)
    assert text.splitlines()[0] == ",".join(exports.CSV_COLUMNS)
    assert not text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert len(rows) == 51
    row = next(r for r in rows if r["id"] == "iraq-hostility-isis")
    assert row["summary"] == "Iraq is fighting the Islamic State, with Iran's coordination and U.S. support."
    assert (row["from_label"], row["to_label"], row["type_label"]) == ("Iraq", "Islamic State", "hostility")


def test_csv_cells_that_a_spreadsheet_would_run_as_formulas_are_escaped():
    data = {
        "nodes": [{"id": "a", "label": "=HYPERLINK(\"x\")"}, {"id": "b", "label": "B"}],
        "edges": [{"id": "r", "from": "a", "to": "b", "type": "rivalry", "type_label": "rivalry", "sign": -1,
                   "directed": False, "start": None, "end": None, "confidence": "low", "evidence_count": 1,
                   "summary": "+1 for the rivals, \"quoted\", and a\nsecond line"}],
    }
    rows = list(csv.DictReader(io.StringIO(exports.csv_bytes(exports.to_networkx(data)).decode(), newline="")))
    assert rows[0]["from_label"] == "'=HYPERLINK(\"x\")"
    assert rows[0]["summary"] == "'+1 for the rivals, \"quoted\", and a\nsecond line"
    assert rows[0]["sign"] == "-1"  # numbers are left alone


@pytest.mark.parametrize(
    ("fmt", "content_type"),
    [
        ("json", "application/json"),
        ("gexf", "application/gexf+xml; charset=utf-8"),
        ("graphml", "application/graphml+xml; charset=utf-8"),
        ("csv", "text/csv; charset=utf-8"),
    ],
)
def test_content_types_and_attachment_names(client, fmt, content_type):
    response = download(client, fmt)
    assert response.headers["Content-Type"] == content_type
    assert response.headers["Content-Disposition"] == f'attachment; filename="alliance-graph.{fmt}"'
    dated = download(client, fmt, "at=2015-09&types=alliance")
    assert dated.headers["Content-Disposition"] == f'attachment; filename="alliance-graph-at-2015-09.{fmt}"'


def test_file_names_follow_the_time_filter_and_dataset(client, river_pact):
    names = {
        "from=2012&to=2015-06": "alliance-graph-from-2012-to-2015-06.gexf",
        "from=2014": "alliance-graph-from-2014.gexf",
        "dataset=river-pact&at=2003-12-31": "alliance-graph-river-pact-at-2003-12-31.gexf",
    }
    for query, name in names.items():
        assert download(client, "gexf", query).headers["Content-Disposition"] == f'attachment; filename="{name}"'


def test_dataset_narrows_the_export(client, river_pact):
    nodes, edges = reimport("gexf", download(client, "gexf", "dataset=river-pact").data)
    assert len(edges) == 6 and {e["dataset"] for e in edges.values()} == {"river-pact"}
    assert set(nodes) == {"upland", "lowland", "highland-militia", "dana-vale"}
    _, everything = reimport("gexf", download(client, "gexf").data)
    assert len(everything) == 57


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_bad_filter_is_a_400_that_names_the_parameter(client, fmt):
    response = client.get(f"/export/graph.{fmt}?at=notadate")
    assert response.status_code == 400
    assert "'at': 'notadate' is not a date" in html.unescape(response.get_data(as_text=True))
    assert "Content-Disposition" not in response.headers


@pytest.mark.parametrize("path", ["/export/graph.xml", "/export/graph", "/export/graph.GEXF", "/export/nodes.csv"])
def test_unknown_formats_are_404s(client, path):
    assert client.get(path).status_code == 404


def test_the_explorer_download_menu_links_carry_the_filters_only(client):
    page = client.get("/?at=2012-01&types=alliance,hostility&select=actor:iraq&group=actor").get_data(as_text=True)
    assert 'data-testid="download-menu"' in page
    for fmt in FORMATS:
        assert f'href="/export/graph.{fmt}?at=2012-01&amp;types=alliance,hostility"' in page.replace("%2C", ",")
