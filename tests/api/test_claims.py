"""From a selected passage to a claim: the prefilled forms and *Add as evidence to…* (issue 10, item 3)."""

from __future__ import annotations

import pytest

from webapp.models import Dataset
from webapp.services import claims

SOURCE = "pjtatler-2015-09-27-iraq-intel"
KERRY = ("Kerry, who met with Russian Foreign Minister Sergei Lavrov on the sidelines of the U.N. General Assembly "
         "on Sunday")


@pytest.fixture
def text(client):  # type: ignore[no-untyped-def]
    return client.get(f"/api/sources/{SOURCE}").get_json()["text"]


def span(text: str, words: str) -> tuple[int, int]:
    start = text.index(words)
    return start, start + len(words)


def test_a_passage_suggests_its_actors_its_date_and_its_voice(session, text):
    start, end = span(text, KERRY)
    found = claims.suggest(session, SOURCE, start, end)
    assert found.actors[:2] == ["kerry", "lavrov"]
    assert [(g.expression, g.value) for g in found.dates] == [("on Sunday", "2015-09-27")]
    assert found.attribution.voice == "report"
    values = found.relation_values()
    assert (values["source"], values["target"], values["start"]) == ("kerry", "lavrov", "2015-09-27")
    assert "the most recent Sunday on or before the publication date" in values["start_inferred"]


def test_a_quotation_suggests_quote_voice_and_its_speaker(session, text):
    start, end = span(text, "This is not yet coordinated.")
    found = claims.suggest(session, SOURCE, start - 1, end + 2)   # a sloppy selection: trimmed to the words
    assert found.quote.startswith("This is not yet coordinated.")
    assert (found.attribution.voice, found.attribution.speaker) == ("quote", "kerry")
    assert found.evidence["voice"] == "quote" and found.evidence["speaker"] == "kerry"


def test_the_new_relation_form_is_prefilled_from_the_passage(client, auth, make_user, text):
    make_user("ed", "editor")
    auth.login("ed")
    start, end = span(text, KERRY)
    page = client.get(f"/relations/new?passage={SOURCE}:{start}-{end}",
                      headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'data-testid="suggestion"' in page and "on Sunday → 2015-09-27" in page
    assert 'name="start" value="2015-09-27"' in page
    assert '<option value="kerry" selected>' in page and '<option value="lavrov" selected>' in page
    bad = client.get(f"/relations/new?passage={SOURCE}:x-3", headers={"HX-Request": "true"})
    assert bad.status_code == 400
    outside = client.get(f"/relations/new?passage={SOURCE}:0-99999999")
    assert outside.status_code == 400


def test_add_as_evidence_lists_relations_between_the_named_actors_first(client, auth, make_user, text):
    make_user("ed", "editor")
    auth.login("ed")
    start, end = span(text, KERRY)
    page = client.get(f"/sources/{SOURCE}/attach?start={start}&end={end}", headers={"HX-Request": "true"})
    html = page.get_data(as_text=True)
    labels = [part.split("</button>")[0] for part in html.split('data-testid="attach-to">')[1:]]
    assert "Kerry" in labels[0] and "Lavrov" in labels[0]
    searched = client.get(f"/sources/{SOURCE}/attach?start={start}&end={end}&q=rouhani",
                          headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Rouhani" in searched and "Lavrov — diplomatic" not in searched


def test_candidate_actors_ignore_and_alias_and_ignored_names_survive_export_and_load(
        client, auth, make_user, runner, tmp_path, fresh_runner):
    make_user("ed", "editor")
    auth.login("ed")
    page = client.get(f"/sources/{SOURCE}/candidates", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'data-name="Christiane Amanpour"' in page and 'data-name="ABC News"' in page
    assert 'data-name="Iran"' not in page                     # a known actor is no candidate
    token = auth.refresh_csrf()
    ignored = client.post(f"/sources/{SOURCE}/candidates/ignore", data={"name": "ABC News", "csrf_token": token},
                          headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "will not be suggested again" in ignored and 'data-name="ABC News"' not in ignored
    aliased = client.post(f"/sources/{SOURCE}/candidates/alias",
                          data={"name": "Christiane Amanpour", "actor": "rouhani",
                                "csrf_token": token}, headers={"HX-Request": "true"})
    assert aliased.status_code == 200 and 'data-name="Christiane Amanpour"' not in aliased.get_data(as_text=True)
    assert "Christiane Amanpour" in client.get("/api/actors/rouhani").get_json()["aliases"]
    new_actor = client.get("/actors/new?name=PJ+Tatler&kind=organization&dataset=iraq-intel-2015",
                           headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'name="name" value="PJ Tatler"' in new_actor and '<option value="organization" selected>' in new_actor

    assert runner.invoke(args=["export", str(tmp_path / "out")]).exit_code == 0
    assert "ignored_names:\n  - ABC News" in (tmp_path / "out" / "iraq-intel-2015" / "dataset.yaml").read_text()
    fresh, fresh_client = fresh_runner
    assert fresh.invoke(args=["load", str(tmp_path / "out" / "iraq-intel-2015")]).exit_code == 0
    with fresh_client.application.extensions["database"].session() as session:
        assert session.get(Dataset, "iraq-intel-2015").ignored_names == "ABC News"
