"""Curating from the reader in Chromium: select a sentence, make it a relation with its date worked out
from the publication date, and attach another passage to an existing record (issue 10, item 3)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from ..conftest import reset_seed
from .test_annotations import READER, SELECT_TEXT, allow_http_errors, log_in, people  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser

KERRY = "Kerry, who met with Russian Foreign Minister Sergei Lavrov on the sidelines of the U.N. General Assembly"
ON_SUNDAY = KERRY + " on Sunday"


@pytest.fixture(autouse=True)
def seed_as_loaded(base_database) -> Iterator[None]:
    yield
    reset_seed(base_database)


def select(page, words: str) -> None:  # type: ignore[no-untyped-def]
    assert page.evaluate(SELECT_TEXT, words) is not None
    expect(page.get_by_test_id("claim-actions")).to_be_visible()


def test_a_sentence_becomes_a_dated_relation_and_another_becomes_evidence(page, people):  # noqa: F811
    log_in(page, people("editor"), READER)
    select(page, ON_SUNDAY)
    page.get_by_test_id("claim-relation").click()
    form = page.get_by_test_id("record-new-form")
    expect(form.get_by_test_id("suggestion-dates")).to_contain_text("on Sunday → 2015-09-27")
    expect(form.get_by_test_id("edit-source")).to_have_value("kerry")
    expect(form.get_by_test_id("edit-target")).to_have_value("lavrov")
    expect(form.get_by_test_id("edit-start")).to_have_value("2015-09-27")
    expect(form.get_by_test_id("date-hint-start")).to_contain_text("Sunday 27 September 2015")
    expect(form.get_by_test_id("edit-start_inferred")).to_have_value(
        "“on Sunday” → 2015-09-27: the most recent Sunday on or before the publication date; "
        "publication date 2015-09-27")
    expect(form.get_by_test_id("evidence-quote")).to_have_value(ON_SUNDAY)
    expect(form.get_by_test_id("evidence-voice")).to_have_value("report")
    form.get_by_test_id("edit-type").select_option("cooperation")
    for width, height in ((1366, 768), (1920, 1080)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=f"/tmp/shots/reader-claim-{width}.png")
    form.get_by_test_id("create-save").click()
    expect(page.get_by_test_id("panel-relation").get_by_test_id("panel-notice")).to_have_text("Relation created.")
    expect(page.get_by_test_id("panel-relation").get_by_test_id("relation-interval")).to_contain_text(
        "since 2015-09-27")
    # The reader marks the new passage at once.
    expect(page.locator("[data-testid=highlight]", has_text="General Assembly on Sunday")).not_to_have_count(0)
    relation = page.request.get("/api/relations/kerry-cooperation-lavrov").json()
    assert relation["start"] == "2015-09-27" and relation["evidence"][0]["text"] == ON_SUNDAY

    # A quotation becomes evidence of an existing record in two clicks, with Kerry as its speaker.
    select(page, "This is not yet coordinated.")
    page.get_by_test_id("claim-attach").click()
    attach = page.get_by_test_id("attach-evidence")
    expect(attach).to_contain_text("speaker John Kerry")
    first = attach.get_by_test_id("attach-candidate").first
    expect(first).to_contain_text("Kerry")
    attach.get_by_test_id("attach-search").fill("cooperation")
    candidate = attach.locator("[data-testid=attach-candidate][data-id=kerry-cooperation-lavrov]")
    expect(candidate).to_be_visible()
    candidate.get_by_test_id("attach-to").click()
    panel = page.get_by_test_id("panel-relation")
    expect(panel.get_by_test_id("panel-notice")).to_have_text("Passage added as evidence.")
    expect(panel.get_by_test_id("evidence")).to_have_count(2)
    relation = page.request.get("/api/relations/kerry-cooperation-lavrov").json()
    assert [(p["voice"], p["speaker"]) for p in relation["evidence"]] == [("report", None), ("quote", "kerry")]


def test_the_keyboard_selects_sentence_by_sentence_and_enter_acts_on_one(page, people):  # noqa: F811
    log_in(page, people("editor"), READER)
    page.get_by_test_id("article-text").focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    selected = page.evaluate("window.getSelection().toString()")
    assert selected.startswith("Iraq Signs Deal"), selected
    page.keyboard.press("ArrowDown")
    assert page.evaluate("window.getSelection().toString()").startswith("The Iraqi military announced")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("claim-relation")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("record-new-form").get_by_test_id("evidence-quote")).to_have_value(
        re.compile(r"^The Iraqi military announced"))
