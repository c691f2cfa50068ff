"""Issue 11 through the API: independent sources (a republication counts with its original), contested
pairs, the voice and speaker filters, min_sources, and the review queue — on three fictional reports of one
event (A; B, A republished by another outlet; C, an independent report contradicting one of A's relations)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from webapp.datasets.loader import load_directory
from webapp.models import Source
from webapp.services import articles

FIXTURES = Path(__file__).parent.parent / "fixtures"
DATASET = "vell-patrols"
PATROLS = "Dravenia and Ostmark agreed on Thursday to run joint patrols along the Vell river"
KESSAN_A = "The Kessan Republic, Dravenia's closest ally, said it supported the decision"
KESSAN_C = "the Kessan Republic “stands behind Dravenia, as it always has”"
REFUSAL = "his border guards “will not cooperate with Dravenian units on the river”"
TRADE = "Ostmark “will keep working with the Kessan Republic on trade”"


def read_in(app) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The dataset's actors, then the three articles read in as the browser or `flask import-source` would."""
    ids = {}
    with app.extensions["database"].transaction() as session:
        load_directory(session, FIXTURES / DATASET)
        for letter in "abc":
            report = articles.import_file(session, FIXTURES / "articles" / f"vell-patrols-{letter}.html", DATASET)
            ids[letter] = report.source_id
    return ids


def evidence(source: str, quote: str, voice: str = "report", speaker: str | None = None) -> dict[str, str]:
    return {"source": source, "quote": quote, "voice": voice, **({"speaker": speaker} if speaker else {})}


@pytest.fixture
def patrols(app, client, editor):  # type: ignore[no-untyped-def]
    ids = read_in(app)
    made = {}
    for name, body in {
        "patrols": {"source": "dravenia", "target": "ostmark", "type": "cooperation", "confidence": "high",
                    "start": "2024-05-09", "evidence": [evidence(ids["a"], PATROLS)]},
        "kessan": {"source": "kessan", "target": "dravenia", "type": "political_support", "confidence": "medium",
                   "start": "2024-05", "evidence": [evidence(ids["a"], KESSAN_A)]},
        "refusal": {"source": "ostmark", "target": "dravenia", "type": "non_cooperation", "confidence": "medium",
                    "start": "2024-05-11",
                    "evidence": [evidence(ids["c"], REFUSAL, "quote", "halvar-renn")]},
        "trade": {"source": "ostmark", "target": "kessan", "type": "cooperation", "confidence": "medium",
                  "evidence": [evidence(ids["c"], TRADE, "quote", "halvar-renn")]},
    }.items():
        response = client.post("/api/relations", json={**body, "dataset": DATASET}, headers=editor)
        assert response.status_code == 201, response.get_json()
        made[name] = response.get_json()["id"]
    # B's copy of A's sentence, and C's independent confirmation of the second relation.
    for relation, item in ((made["patrols"], evidence(ids["b"], PATROLS)),
                           (made["kessan"], evidence(ids["c"], KESSAN_C, "quote", "halvar-renn"))):
        response = client.post(f"/api/relations/{relation}/evidence", json={**item, "version": 1}, headers=editor)
        assert response.status_code in (200, 201), response.get_json()
    return {**ids, **made}


def edges(client, **query: str) -> dict[str, dict]:  # type: ignore[type-arg]
    response = client.get("/api/graph", query_string={"dataset": DATASET, **query})
    assert response.status_code == 200, response.get_json()
    return {e["id"]: e for e in response.get_json()["edges"]}


def test_the_republication_is_found_when_it_is_read_in(app, session):
    ids = read_in(app)
    rows = {row.id: row for row in session.execute(
        select(Source.id, Source.republished_from, Source.republished_share).where(Source.dataset_id == DATASET))}
    assert rows[ids["b"]].republished_from == ids["a"] and rows[ids["b"]].republished_share >= 80
    assert rows[ids["a"]].republished_from is None and rows[ids["c"]].republished_from is None


def test_graph_counts_passages_and_independent_sources_and_marks_the_contested_pair(client, patrols):
    graph = edges(client)
    copied, confirmed = graph[patrols["patrols"]], graph[patrols["kessan"]]
    assert (copied["evidence_count"], copied["independent_sources"]) == (2, 1)
    assert (confirmed["evidence_count"], confirmed["independent_sources"]) == (2, 2)
    assert copied["contested"] and graph[patrols["refusal"]]["contested"]
    assert not confirmed["contested"] and not graph[patrols["trade"]]["contested"]
    meta = client.get("/api/graph", query_string={"dataset": DATASET}).get_json()["meta"]
    assert meta["contested_count"] == 2


def test_a_pair_whose_opposite_relations_never_overlap_in_time_is_not_contested(client, editor, patrols):
    response = client.patch(f"/api/relations/{patrols['patrols']}", json={"end": "2024-05-10", "version": 2},
                            headers=editor)
    assert response.status_code == 200, response.get_json()
    graph = edges(client)
    assert not graph[patrols["patrols"]]["contested"] and not graph[patrols["refusal"]]["contested"]


def test_min_sources_keeps_what_independent_sources_back(client, patrols):
    assert set(edges(client, min_sources="2")) == {patrols["kessan"]}
    assert len(edges(client, min_sources="1")) == 4
    for bad in ("0", "two", "-1", "1.5"):
        response = client.get("/api/graph", query_string={"dataset": DATASET, "min_sources": bad})
        assert response.status_code == 400
        assert "min_sources" in response.get_json()["error"]["message"]


def test_the_map_according_to_one_speaker_or_one_voice(client, patrols):
    by_renn = edges(client, speaker="halvar-renn")
    assert set(by_renn) == {patrols["refusal"], patrols["kessan"], patrols["trade"]}
    # Only Renn's passages count: the support he confirms has one passage from one source.
    assert (by_renn[patrols["kessan"]]["evidence_count"], by_renn[patrols["kessan"]]["independent_sources"]) == (1, 1)
    assert set(edges(client, voice="report")) == {patrols["patrols"], patrols["kessan"]}
    assert set(edges(client, voice="quote,opinion")) == set(by_renn)
    assert client.get("/api/graph?speaker=nobody").status_code == 400
    assert client.get("/api/graph?voice=rumour").status_code == 400


def test_analysis_under_one_speaker_recomputes_the_tensions(client, patrols):
    everyone = client.get("/api/analysis/balance", query_string={"dataset": DATASET}).get_json()
    renn = client.get("/api/analysis/balance", query_string={"dataset": DATASET, "speaker": "halvar-renn"}).get_json()
    # All sources: Dravenia and Ostmark work together (high confidence outweighs the refusal): balanced.
    assert [t["balanced"] for t in everyone["triads"]] == [True]
    assert [c["actors"] for c in everyone["contested"]] == [["dravenia", "ostmark"]]
    # Renn's claims alone: Ostmark refuses Dravenia, yet both side with Kessan — a tension.
    assert [t["balanced"] for t in renn["triads"]] == [False]
    assert renn["contested"] == []


def test_panels_say_how_many_independent_sources_and_set_the_contest_side_by_side(client, patrols):
    copied = client.get(f"/relations/{patrols['patrols']}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'data-passages="2" data-sources="1"' in copied and "single source" in copied
    assert "republished from" in copied and "Dravenia and Ostmark agree joint patrols" in copied
    assert 'data-testid="contest"' in copied
    cooperative, adversarial = copied.split('data-testid="contest-cooperative"')[1].split(
        'data-testid="contest-adversarial"')
    assert "joint patrols" in cooperative and "will not cooperate" not in cooperative
    assert "will not cooperate" in adversarial.split("</section>")[0] and "Halvar Renn" in adversarial
    confirmed = client.get(f"/relations/{patrols['kessan']}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'data-passages="2" data-sources="2"' in confirmed and 'data-testid="contest"' not in confirmed


def test_the_reader_labels_the_republication_both_ways(client, patrols):
    copy = client.get(f"/sources/{patrols['b']}").get_data(as_text=True)
    assert 'data-testid="republished-from"' in copy and "Dravenia and Ostmark agree joint patrols" in copy
    original = client.get(f"/sources/{patrols['a']}").get_data(as_text=True)
    assert 'data-testid="republished-by"' in original and "The Harbour Courier" in original


def test_the_review_queue_says_what_is_left(client, patrols):
    page = client.get(f"/curate/{DATASET}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)

    def count(key: str) -> int:
        return int(html.split(f'data-testid="count-{key}">')[1].split("<")[0])

    # Two relations rest on one independent source (the trade claim, and the patrols with its copy).
    assert count("single_source") == 3 and count("republications") == 1 and count("undated") == 1
    assert "Officials from Ostmark and the Kessan Republic are due to meet" in html
    assert "Sable Brigade" in html
    assert count("sentences") >= 1 and count("candidates") >= 1
    assert f'/sources/{patrols["b"]}' in html
    assert client.get("/curate/no-such-dataset").status_code == 404


def test_timeline_lists_and_exports_follow_the_same_evidence_filter(client, patrols):
    items = client.get("/api/timeline", query_string={"dataset": DATASET, "speaker": "halvar-renn"}).get_json()
    relations = {i["id"] for i in items["items"] if i["kind"] == "relation"}
    assert relations == {patrols["refusal"], patrols["kessan"], patrols["trade"]}
    csv = client.get("/export/graph.csv", query_string={"dataset": DATASET, "min_sources": "2"}).get_data(as_text=True)
    rows = csv.strip().splitlines()
    assert len(rows) == 2 and rows[1].startswith(patrols["kessan"])
    header = rows[0].split(",")
    assert rows[1].split(",")[header.index("independent_sources")] == "2"
    listed = client.get("/list", query_string={"dataset": DATASET, "voice": "report"}).get_data(as_text=True)
    assert listed.count('data-testid="list-relation"') == 2
