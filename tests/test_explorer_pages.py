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
    published = html.split('data-testid="reader"')[1].split("</header>")[0]
    assert 'data-provenance="inferred"' in published
    assert "not stated by the sources: The article carries no date" in published


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


def test_undated_relations_are_counted_and_drawn_faded_when_a_date_is_chosen(client):
    graph = client.get("/api/graph?at=2012").get_json()
    undated = {e["id"] for e in graph["edges"] if not e["start"] and not e["end"]}
    assert graph["meta"]["undated_count"] == len(undated) > 0
    html = client.get("/?at=2012").get_data(as_text=True)
    assert f'<span data-count="undated">{len(undated)}</span> undated (drawn faded)' in html
    drawn = client.get("/explorer/network.json?at=2012").get_json()["edges"]
    assert {e["id"] for e in drawn if e["color"]["opacity"] < 0.5} == undated
    assert all(e["color"]["opacity"] < 0.5 for e in drawn if "dates not stated" in e["title"])
    # With no date chosen nothing is faded: every relation is drawn as it is.
    assert all(e["color"]["opacity"] > 0.5 for e in client.get("/explorer/network.json").get_json()["edges"])


def test_dates_say_whether_they_are_stated_inferred_or_not_stated(client):
    def provenance(relation_id: str) -> list[str]:
        html = client.get(f"/relations/{relation_id}", headers=HTMX).get_data(as_text=True)
        interval = html.split('data-testid="relation-interval"')[1].split("</span> <span class=\"confidence")[0]
        return re.findall(r'data-provenance="([^"]+)"', interval)

    assert provenance("iran-military-support-assad") == ["stated"]  # "since Syria's uprising began in 2011"
    assert provenance("kerry-represents-united-states") == ["inferred", "inferred"]
    assert provenance("joint-operations-command-represents-iraq") == ["not stated"]
    kerry = client.get("/relations/kerry-represents-united-states", headers=HTMX).get_data(as_text=True)
    assert "Inferred, not stated by the sources: Kerry left office on 20 January 2017" in kerry
    listing = client.get("/list").get_data(as_text=True)
    assert listing.count('data-provenance="inferred"') >= 40 and 'data-provenance="stated"' in listing


def test_the_timeline_opens_on_the_story_and_never_draws_an_undated_bar_across_time(client):
    html = client.get("/timeline").get_data(as_text=True)
    assert "Events and relation intervals from 2010 to 2016" in html  # events 2011–2015, the article 2015
    assert ">Dates not stated</text>" in html
    bar = re.search(r'data-testid="timeline-relation" data-id="joint-operations-command-represents-iraq">(.*?)</a>',
                    html, re.S).group(1)
    assert 'class="tl-relation tl-undated' in bar and "dates not stated" in bar
    width = float(re.search(r'width="([\d.]+)"', bar).group(1))
    assert width < 200 < 1400  # a labelled chip, not an extent
    kerry = re.search(r'data-id="kerry-represents-united-states">(.*?)</a>', html, re.S).group(1)
    assert "inferred-start inferred-end" in kerry and "Start inferred: John Kerry was sworn in" in kerry
    # A page you could send someone: its title, the legend, the time bar, zoom and grouping, and every item a link.
    assert "<h1 data-testid=\"timeline-page-title\">Timeline: Iraq&#39;s intelligence deal" in html
    for part in ('data-testid="timeline-legend"', 'data-testid="time-bar"', 'data-testid="zoom-in"', "by actor"):
        assert part in html, part
    items = re.findall(r'<a href="(/(?:relations|events)/[^"]+)" data-select=', html)
    assert len(items) == 51 + 9
    # Zoomed out to the data's whole extent, Assad's presidency (since 2000) is in view.
    assert "from 1999 to 2016" in client.get("/timeline?t_from=1999&t_to=2016").get_data(as_text=True)


def test_one_click_on_an_actor_shows_its_sentences(client):
    html = client.get("/actors/iraq", headers=HTMX).get_data(as_text=True)
    key = html.split('data-testid="key-passages"')[1].split("All relations")[0]
    assert key.count('data-testid="key-passage"') == 6
    assert key.count('data-testid="voice-badge"') == 6 and key.count('data-testid="reader-link"') == 6
    # The sentence behind most of its relations (the three intelligence deals) comes first, its speaker named…
    first = key.split('data-testid="key-passage"')[1]
    assert "A statement issued by the Joint Operations Command" in first
    assert 'class="voice voice-quote"' in first and '<span class="speaker">Joint Operations Command' in first
    assert all(f'data-select="relation:iraq-intelligence-sharing-{c}"' in first for c in ("iran", "russia", "syria"))
    # …and no sentence is shown twice.
    quotes = re.findall(r"<blockquote.*?</blockquote>", key, re.S)
    assert len(set(quotes)) == len(quotes)
    # The full evidence of each relation is one click away, folded.
    assert "<details class=\"relation\" data-testid=\"relation-item\" data-relation=\"iraq-alliance-iran\">" in html


def test_many_actors_are_suggested_on_demand_and_the_focus_menu_offers_the_most_connected(client, monkeypatch):
    from webapp.services import explorer as explorer_service

    monkeypatch.setattr(explorer_service, "INLINE_CHOICES", 5)
    monkeypatch.setattr(explorer_service, "FOCUS_CHOICES", 3)
    page = client.get("/?focus=warren").get_data(as_text=True)
    assert 'data-testid="actor-names-later"' in page and '<option value="Iran">' not in page
    focus = page[page.index('id="focus"'):page.index("</select>", page.index('id="focus"'))]
    offered = re.findall(r'<option value="([^"]*)"', focus)
    # The three with the most relations in the seed, and the actor in focus, which is not one of them.
    graph = client.get("/api/graph").get_json()
    degree = {n["id"]: n["degree"] for n in graph["nodes"]}
    most = sorted(degree, key=lambda a: (-degree[a], a))[:3]
    assert set(offered) == {"", "warren", *most} and "warren" not in most
    suggestions = client.get("/explorer/actor-names").get_data(as_text=True)
    assert '<option value="Iran">' in suggestions and 'label="Daesh → Islamic State"' in suggestions
