"""The analysis API and page on the bundled article: why the waters are muddied, with evidence."""

from __future__ import annotations

import networkx as nx


def _triad(body: dict, *actors: str) -> dict:
    wanted = set(actors)
    return next(t for t in body["triads"] if set(t["actors"]) == wanted)


def test_us_iraq_iran_and_us_iraq_syria_are_unbalanced_with_iraq_in_the_middle(client):
    body = client.get("/api/analysis/balance").get_json()
    for third in ("iran", "syria"):
        triad = _triad(body, "united-states", "iraq", third)
        assert triad["balanced"] is False and triad["weakly_balanced"] is False
        assert triad["actors"][1] == "iraq"  # the shared partner sits in the middle
        assert sorted(triad["signs"]) == [-1, 1, 1]
        assert f"iraq-intelligence-sharing-{third}" in triad["relations"]
        assert "united-states-cooperation-iraq" in triad["relations"]
        assert triad["sentence"].startswith("Iraq is caught between")
    assert "united-states-non-cooperation-iran" in _triad(body, "united-states", "iraq", "iran")["relations"]


def test_the_contested_us_iraq_pair_is_flagged_and_stays_cooperative(client):
    body = client.get("/api/analysis/balance").get_json()
    contested = {tuple(c["actors"]): c for c in body["contested"]}
    us_iraq = contested[("iraq", "united-states")]
    assert us_iraq["sign"] == 1
    assert "united-states-non-cooperation-iraq" in us_iraq["relations"]


def test_response_has_the_spec_shape_and_a_consistent_partition(client):
    body = client.get("/api/analysis/balance").get_json()
    assert {"triads", "frustration", "partition"} <= set(body)
    assert body["method"] == "exact" and body["frustration"] == body["frustration_lower_bound"]
    assert set(body["partition"].values()) <= {0, 1}
    # The partition leaves exactly `frustration` pairs out of place.
    assert len(body["frustrated"]) == body["frustration"]
    s = body["summary"]
    assert s["balanced"] + s["unbalanced"] == s["triangles"] == len(body["triads"])


def test_before_the_deal_the_intelligence_sharing_is_not_part_of_any_triangle(client):
    now = client.get("/api/analysis/balance").get_json()
    before = client.get("/api/analysis/balance?at=2014-07").get_json()
    assert before["summary"]["triangles"] < now["summary"]["triangles"]
    # Iraq and Iran were already close (since 2003) and the U.S. kept apart from Iran in the fight
    # against IS (since June 2014), so the tension predates the deal…
    triad = _triad(before, "united-states", "iraq", "iran")
    assert not triad["balanced"]
    # …but the deal's relations only join it from September 2015, and Russia is not yet in it.
    assert "iraq-intelligence-sharing-iran" not in triad["relations"]
    assert not any(set(t["actors"]) == {"united-states", "iraq", "russia"} for t in before["triads"])
    assert before["meta"]["filter"] == {"at": "2014-07"}


def test_other_filters_apply_as_in_the_graph(client):
    coop_only = client.get("/api/analysis/balance?types=cooperation,intelligence_sharing,alliance").get_json()
    assert all(t["balanced"] for t in coop_only["triads"])
    assert coop_only["frustration"] == 0


def test_bad_parameters_are_400_naming_them(client):
    response = client.get("/api/analysis/balance?at=2015-13")
    assert response.status_code == 400
    assert response.get_json()["error"]["details"]["parameter"] == "at"
    response = client.get("/api/analysis/diff?before=2015-08")
    assert response.status_code == 400 and response.get_json()["error"]["details"]["parameter"] == "after"
    response = client.get("/api/analysis/diff?before=2015-10&after=2015-01")
    assert response.status_code == 400 and response.get_json()["error"]["details"]["parameter"] == "after"


def test_brokers_rank_by_betweenness_on_the_signed_network(client):
    rows = client.get("/api/analysis/brokers").get_json()["brokers"]
    values = [r["betweenness"] for r in rows]
    assert values == sorted(values, reverse=True)
    # Recomputed independently from the graph API, over cooperative ties (no pair here nets negative
    # while also having a cooperative relation).
    edges = client.get("/api/graph").get_json()["edges"]
    graph = nx.Graph((e["from"], e["to"]) for e in edges if e["sign"] != 0)
    graph.remove_edges_from(list(graph.edges))
    graph.add_edges_from((e["from"], e["to"]) for e in edges if e["sign"] > 0)
    expected = nx.betweenness_centrality(graph)
    assert {r["id"]: r["betweenness"] for r in rows} == {k: round(v, 4) for k, v in expected.items()}
    # The chains of cooperation between the camps run through the U.S. and Iraq.
    assert {rows[0]["id"], rows[1]["id"]} == {"united-states", "iraq"}
    iraq = next(r for r in rows if r["id"] == "iraq")
    assert set(iraq["cooperates_across"]) >= {"Russia–Iran–Syria–Iraq", "U.S.-led coalition"}


def test_diff_across_the_announcement(client):
    body = client.get("/api/analysis/diff?before=2015-08&after=2015-10").get_json()
    appeared = {r["id"] for r in body["appeared"]}
    assert {
        "iraq-intelligence-sharing-iran", "iraq-intelligence-sharing-russia", "iraq-intelligence-sharing-syria",
    } <= appeared
    assert body["ended"] == []
    default = client.get("/api/analysis/diff").get_json()
    assert (default["before"], default["after"]) == ("2015-08", "2015-09-27")


def test_balance_share_over_event_dates_falls_with_the_deal(client):
    points = client.get("/api/analysis/over-time").get_json()["points"]
    dates = [p["date"] for p in points]
    assert dates == sorted(dates) and "2015-09-27" in dates
    by_date = {p["date"]: p for p in points}
    assert by_date["2015-09-27"]["triangles"] > by_date["2014"]["triangles"]
    assert by_date["2015-09-27"]["share"] < by_date["2014"]["share"]


def test_river_pact_is_one_balanced_triangle_enemy_of_my_enemy(client, river_pact):
    body = client.get("/api/analysis/balance?dataset=river-pact").get_json()
    [triad] = body["triads"]
    assert set(triad["actors"]) == {"upland", "lowland", "highland-militia"}
    assert triad["balanced"] and body["frustration"] == 0
    camps = body["partition"]
    assert camps["upland"] == camps["lowland"] != camps["highland-militia"]


def test_analysis_page_explains_the_muddied_waters_with_evidence(client):
    html = client.get("/analysis").get_data(as_text=True)
    assert "Tensions: who is caught between whom" in html
    assert "Iraq is caught between Iran and United States: Iraq shares intelligence with Iran" in html
    assert "remains committed to working with" in html  # an evidence excerpt
    assert 'data-triangle-nodes="iran,iraq,united-states"' in html
    assert 'data-testid="frustration"' in html and 'data-testid="broker"' in html
    assert 'data-testid="chart-point"' in html


def test_analysis_page_follows_the_date_and_rejects_a_bad_one(client):
    html = client.get("/analysis?at=2014-07").get_data(as_text=True)
    assert "Iraq is caught between Iran and United States: Iraq is allied with Iran" in html
    assert "Iraq is caught between Iran and United States: Iraq shares intelligence" not in html
    assert client.get("/analysis?at=tomorrow").status_code == 400
    assert client.get("/analysis?before=2015").status_code == 400


def test_balance_is_paged_with_the_total_given(client):
    whole = client.get("/api/analysis/balance").get_json()
    assert whole["triad_count"] == whole["summary"]["triangles"] == len(whole["triads"])
    assert whole["next"] is None and whole["triads_page"]["pages"] == 1
    assert client.get("/api/analysis/balance?triads_page=0").status_code == 400
    error = client.get("/api/analysis/balance?triads_page=two").get_json()["error"]
    assert error["details"]["parameter"] == "triads_page"


def test_balance_pages_run_tensions_first_and_add_up(app, monkeypatch):
    from webapp.services import analysis

    with app.test_client() as client:
        whole = client.get("/api/analysis/balance").get_json()
        monkeypatch.setattr(analysis, "TRIADS_PER_PAGE", 2)
        seen, url = [], "/api/analysis/balance"
        while url:
            body = client.get(url).get_json()
            assert len(body["triads"]) <= 2 and body["triad_count"] == whole["triad_count"]
            seen += body["triads"]
            url = body["next"]
    assert seen == whole["triads"]


def test_over_time_from_one_read_matches_a_query_per_date(app):
    from webapp import get_session
    from webapp.dates import PartialDate
    from webapp.services import analysis, balance as balance_module, filters
    from webapp.services.graph import filtered_edges

    with app.test_request_context("/"):
        session = get_session()
        for args in ({}, {"types": "cooperation,hostility,intelligence_sharing,alliance"}, {"focus": "iraq"}):
            view = filters.parse(session, args)
            history = analysis.History.read(session, view)
            points = analysis.balance_over_time(session, view, history=history)
            assert points
            for point in points:
                edges = filtered_edges(session, analysis._at(view, PartialDate.parse(point["date"])))
                assert sorted(e["id"] for e in history.at(PartialDate.parse(point["date"]))) == sorted(
                    e["id"] for e in edges)
                sides = analysis.signed_pairs(edges)
                signs = {key: side.sign for key, side in sides.items()}
                trios = balance_module.triangles(signs)
                balanced = sum(1 for a, b, c in trios if balance_module.is_balanced(
                    signs[balance_module.pair(a, b)], signs[balance_module.pair(b, c)],
                    signs[balance_module.pair(a, c)]))
                assert (point["triangles"], point["balanced"]) == (len(trios), balanced), (args, point)


def test_the_seed_shows_every_tension_on_one_page_with_no_pager(client):
    html = client.get("/analysis").get_data(as_text=True)
    body = client.get("/api/analysis/balance").get_json()
    assert html.count('data-testid="tension"') == body["summary"]["unbalanced"]
    assert 'data-testid="tensions-pager"' not in html


def test_tensions_come_a_page_at_a_time_and_htmx_gets_just_the_list(client, monkeypatch):
    from webapp.services import analysis

    total = client.get("/api/analysis/balance").get_json()["summary"]["unbalanced"]
    assert total > 2
    monkeypatch.setattr(analysis, "MAX_TENSIONS_SHOWN", 2)
    first = client.get("/analysis").get_data(as_text=True)
    assert first.count('data-testid="tension"') == 2 and 'data-testid="tensions-pager"' in first
    assert f"1–2 of {total}" in first and "tensions_page=2" in first
    fragment = client.get("/analysis?tensions_page=2", headers={"HX-Request": "true"})
    text = fragment.get_data(as_text=True)
    assert "HX-Request" in fragment.headers["Vary"]
    assert text.lstrip().startswith("<div id=\"tensions\"") and "<html" not in text
    assert text.count('data-testid="tension"') == min(2, total - 2) and 'start="3"' in text
    # Without JavaScript the same link loads the whole page at that page; a bad page number is a 400.
    assert 'start="3"' in client.get("/analysis?tensions_page=2").get_data(as_text=True)
    assert client.get("/analysis?tensions_page=x").status_code == 400


def test_the_page_shows_an_edit_made_after_it_was_last_shown(client, app, make_user):
    # The page's analysis is kept per data revision and filter: an edit moves the revision.
    from webapp.services import accounts

    make_user("ed", "editor")
    with app.extensions["database"].transaction() as session:
        headers = {"Authorization": f"Bearer {accounts.issue_token(session, 'ed').token}"}
    relation = "united-states-non-cooperation-iran"
    for _ in range(2):  # worked out, then kept
        assert "Caught in the middle, said the editor" not in client.get("/analysis").get_data(as_text=True)
    edited = client.patch(f"/api/relations/{relation}", json={"summary": "Caught in the middle, said the editor",
                                                              "version": 1}, headers=headers)
    assert edited.status_code == 200, edited.get_json()
    assert "Caught in the middle, said the editor" in client.get("/analysis").get_data(as_text=True)
