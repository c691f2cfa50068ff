"""Pages and fragments: one URL, two renderings, and what each panel shows on the seed data."""

from __future__ import annotations

import re

import pytest

HTMX = {"HX-Request": "true"}


@pytest.mark.parametrize("path", [
    "/actors/iraq", "/relations/iraq-intelligence-sharing-russia", "/events/joc-statement-2015-09-27",
    "/sources/pjtatler-2015-09-27-iraq-intel", "/timeline",
])
def test_full_page_normally_and_fragment_for_htmx(client, path):
    page = client.get(path)
    fragment = client.get(path, headers=HTMX)
    assert page.status_code == fragment.status_code == 200
    assert b"<html" in page.data and b"<html" not in fragment.data
    assert "HX-Request" in page.headers["Vary"] and "HX-Request" in fragment.headers["Vary"]


def test_pages_have_no_inline_scripts_or_style_attributes(client):
    for path in ("/", "/?select=actor:iraq&at=2012", "/list", "/timeline", "/sources/pjtatler-2015-09-27-iraq-intel",
                 "/actors/iraq", "/events/rouhani-cnn-interview-2015-09-27"):
        html = client.get(path).get_data(as_text=True)
        assert " style=" not in html, path
        assert not re.search(r"\son[a-z]+=", html), path
        for script in re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S):
            attributes, body = script
            assert 'src="' in attributes or 'type="application/json"' in attributes, (path, attributes)


def test_actor_panel_groups_relations_with_evidence_in_context(client):
    html = client.get("/actors/iraq", headers=HTMX).get_data(as_text=True)
    assert 'data-testid="panel-title">Iraq<' in html
    for heading in ("intelligence sharing", "alliance", "hostility"):
        assert f"<h3>{heading} " in html
    assert 'data-select="actor:russia"' in html
    assert 'class="voice voice-quote"' in html and "Joint Operations Command" in html
    assert '<strong class="mention">Iraq</strong>' in html or '<strong class="mention">Iraqi military</strong>' in html
    assert "/sources/pjtatler-2015-09-27-iraq-intel#p-" in html
    assert 'data-select="event:joc-statement-2015-09-27"' in html


def test_actor_panel_follows_the_date(client):
    html = client.get("/actors/iraq?at=2012-06-01", headers=HTMX).get_data(as_text=True)
    assert "iraq-intelligence-sharing-russia" not in html


def test_relation_and_event_panels(client):
    relation = client.get("/relations/united-states-non-cooperation-assad", headers=HTMX).get_data(as_text=True)
    assert "refuses to cooperate" in relation and "adversarial" in relation
    assert "refuses to cooperate with Syrian President Bashar Assad" in relation
    event = client.get("/events/rouhani-cnn-interview-2015-09-27", headers=HTMX).get_data(as_text=True)
    assert "2015-09-27" in event and "Hassan Rouhani" in event
    assert 'class="voice voice-quote"' in event


def test_reader_marks_passages_and_mentions(client):
    html = client.get("/sources/pjtatler-2015-09-27-iraq-intel").get_data(as_text=True)
    assert html.count('data-testid="highlight"') >= 61
    assert 'data-select="actor:iran"' in html and ">Tehran</a>" in html
    assert "date inferred" in html


def test_explorer_page_embeds_the_network_and_the_timeline(client):
    html = client.get("/?at=2012-06-01&select=actor:iraq").get_data(as_text=True)
    assert 'id="network-data"' in html \
        and "iraq-intelligence-sharing-russia" not in html.split('id="network-data"')[1].split("</script>")[0]
    assert 'data-testid="as-of-line"' in html
    assert 'data-testid="panel-actor"' in html
    assert "1 source" in html


def test_list_view_tables(client):
    html = client.get("/list?blocs=coalition").get_data(as_text=True)
    assert "Relations (3)" in html
    assert "<caption>Actors (5)</caption>" in html  # U.S., coalition, Kerry, Warren, Western powers


@pytest.mark.parametrize("path", ["/?select=planet:mars", "/?at=2015-13-45", "/timeline?t_from=2016&t_to=2010",
                                  "/timeline?group=colour", "/actors/atlantis"])
def test_bad_page_input_is_a_friendly_4xx(client, path):
    response = client.get(path)
    assert 400 <= response.status_code < 500
    assert b"<html" in response.data and b"Traceback" not in response.data


def test_vis_network_is_served_from_pyvis_and_nothing_else(client):
    for path in ("/vendor/vis-network/vis-network.min.js", "/static/vendor/htmx-2.0.11/htmx.min.js"):
        response = client.get(path)
        assert response.status_code == 200 and len(response.data) > 10_000
        response.close()  # file responses stream; close them (warnings are errors here)
    assert client.get("/vendor/vis-network/network.py").status_code == 404


def test_a_relation_outside_the_chosen_date_says_so(client):
    html = client.get("/?at=2010&select=relation:iraq-intelligence-sharing-iran").get_data(as_text=True)
    assert 'data-testid="outside-view"' in html and "outside the date 2010" in html
    inside = client.get("/?at=2015-10&select=relation:iraq-intelligence-sharing-iran").get_data(as_text=True)
    assert 'data-testid="outside-view"' not in inside


def test_the_summary_counts_relations_without_dates_when_a_date_is_chosen(client):
    graph = client.get("/api/graph?at=2012").get_json()
    undated = [e for e in graph["edges"] if not e["start"] and not e["end"]]
    assert graph["meta"]["undated_count"] == len(undated) > 0
    html = client.get("/?at=2012").get_data(as_text=True)
    assert f'<span data-count="undated">{len(undated)}</span> without stated dates' in html
