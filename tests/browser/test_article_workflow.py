"""Issue 10's "done when", in Chromium: upload a cluttered page, accept two candidate actors and one alias,
make a relation dated "on Saturday" from the publication date, an event from another sentence, attach a third
sentence with *Add as evidence to…*, find a phrase with search and open it in the reader; then export, and
load the files into a fresh database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from webapp import create_app

from ..conftest import reset_seed
from .test_annotations import SELECT_TEXT, allow_http_errors, log_in, people  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser

PAGE = Path(__file__).parent.parent / "fixtures" / "articles" / "harbour-accord.html"
SATURDAY = "Marovia and Tessaly signed an accord on Saturday to share the harbour of Port Anselm"
CUSTOMS = "Reyel told the Coastal Ledger that Tessaly would open its customs office in the port next month."
FISHERMEN = "This harbour belongs to the fishermen of both our countries"


@pytest.fixture(autouse=True)
def seed_as_loaded(base_database) -> Iterator[None]:
    yield
    reset_seed(base_database)


def select(page: Page, words: str) -> None:
    assert page.evaluate(SELECT_TEXT, words) is not None, words
    expect(page.get_by_test_id("claim-actions")).to_be_visible()


def candidate(page: Page, name: str):  # type: ignore[no-untyped-def]
    return page.locator(f"[data-testid=candidate][data-name='{name}']")


def test_an_article_read_into_the_map_from_the_browser(page, people, database_url, tmp_path,  # noqa: F811
                                                       fresh_runner):
    log_in(page, people("editor"), "/sources/new")
    page.get_by_test_id("article-file").set_input_files(PAGE)
    page.get_by_test_id("article-read").click()
    expect(page.get_by_test_id("meta-author")).to_have_value("Ines Calder")
    expect(page.get_by_test_id("meta-published")).to_have_value("2019-03-17")
    expect(page.get_by_test_id("article-text-preview")).not_to_contain_text("IE 11")
    page.get_by_test_id("meta-title").fill("Marovia and Tessaly sign harbour accord as Vell Front protests")
    page.get_by_test_id("article-add").click()
    expect(page.get_by_test_id("reader")).to_contain_text("Marovia and Tessaly signed an accord on Saturday")

    # Two candidates become actors, one becomes an alias.
    for name, kind in (("Marovia", "state"), ("Tessaly", "state")):
        candidate(page, name).get_by_test_id("candidate-add").click()
        form = page.get_by_test_id("record-new-form")
        expect(form.get_by_test_id("edit-name")).to_have_value(name)
        expect(form.get_by_test_id("edit-kind")).to_have_value(kind)
        form.get_by_test_id("create-save").click()
        expect(page.get_by_test_id("panel-actor").get_by_test_id("panel-notice")).to_have_text("Actor created.")
        expect(candidate(page, name)).to_have_count(0)
    alias = candidate(page, "United States of America")
    expect(alias.get_by_test_id("candidate-alias-of")).to_have_value("united-states")
    alias.get_by_test_id("candidate-alias").click()
    expect(page.get_by_test_id("candidates-notice")).to_contain_text("is now an alias of United States")
    for width, height in ((1366, 768), (1920, 1080)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=f"/tmp/shots/workflow-reader-{width}.png")

    # "on Saturday" → the Saturday before the publication date (Sunday 17 March 2019).
    select(page, SATURDAY)
    page.get_by_test_id("claim-relation").click()
    form = page.get_by_test_id("record-new-form")
    expect(form.get_by_test_id("suggestion-dates")).to_contain_text("on Saturday → 2019-03-16")
    expect(form.get_by_test_id("edit-source")).to_have_value("marovia")
    expect(form.get_by_test_id("edit-target")).to_have_value("tessaly")
    form.get_by_test_id("edit-type").select_option("cooperation")
    form.get_by_test_id("create-save").click()
    relation = page.get_by_test_id("panel-relation")
    expect(relation.get_by_test_id("panel-notice")).to_have_text("Relation created.")
    expect(relation.get_by_test_id("relation-interval")).to_contain_text("since 2019-03-16")

    # An event from another sentence: "next month", in future tense.
    select(page, CUSTOMS)
    page.get_by_test_id("claim-event").click()
    form = page.get_by_test_id("record-new-form")
    expect(form.get_by_test_id("edit-date")).to_have_value("2019-04")
    form.get_by_test_id("edit-title").fill("Tessaly to open a customs office in Port Anselm")
    form.get_by_test_id("create-save").click()
    expect(page.get_by_test_id("panel-event").get_by_test_id("panel-notice")).to_have_text("Event created.")

    # A third sentence becomes evidence of the relation, in two clicks.
    select(page, FISHERMEN)
    page.get_by_test_id("claim-attach").click()
    attach = page.get_by_test_id("attach-evidence")
    expect(attach).to_contain_text("Voice: quote")
    attach.locator("[data-testid=attach-candidate][data-id=marovia-cooperation-tessaly]").get_by_test_id(
        "attach-to").click()
    expect(page.get_by_test_id("panel-relation").get_by_test_id("evidence")).to_have_count(2)

    # Search finds a phrase and opens the reader on it, selected.
    page.goto("/search?q=%22customs+office%22")
    expect(page.get_by_test_id("search-hit")).to_have_count(1)
    page.get_by_test_id("search-hit-link").click()
    expect(page.get_by_test_id("claim-actions")).to_be_visible()
    assert "customs office" in page.evaluate("window.getSelection().toString()")

    # Files out, files in: a fresh database reproduces the article, the actors, the relation and the event.
    app = create_app({"DATABASE_URL": database_url, "AUTO_SETUP": False, "TESTING": True})
    try:
        assert app.test_cli_runner().invoke(args=["export", str(tmp_path / "out")]).exit_code == 0
    finally:
        app.extensions["database"].dispose()
    fresh, fresh_client = fresh_runner
    result = fresh.invoke(args=["load", str(tmp_path / "out" / "iraq-intel-2015")])
    assert result.exit_code == 0, result.output
    mine = page.request.get("/api/relations/marovia-cooperation-tessaly").json()
    theirs = fresh_client.get("/api/relations/marovia-cooperation-tessaly").get_json()
    assert theirs["start"] == "2019-03-16" and theirs["start_inferred"] == mine["start_inferred"]
    assert [p["text"] for p in theirs["evidence"]] == [p["text"] for p in mine["evidence"]]
    events = fresh_client.get("/api/events").get_json()["events"]
    assert any(e["title"] == "Tessaly to open a customs office in Port Anselm" and e["date"] == "2019-04"
               for e in events)
    assert "United States of America" in fresh_client.get("/api/actors/united-states").get_json()["aliases"]
    assert fresh_client.get("/api/sources/harbour-accord").get_json()["author"] == "Ines Calder"
