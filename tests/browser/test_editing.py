"""Editing curated records in Chromium: fix a relation's date in its panel and see the timeline follow;
two people editing one relation lose nothing; delete and undo; remove a passage and undo; an admin reverts."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect
from webapp.services import accounts, curation
from webapp.services.access import Caller

from ..conftest import reset_seed
from .test_annotations import allow_http_errors, log_in, people, second_page  # noqa: F401 (fixtures)
from .test_explorer import wait_for_network, wait_until

pytestmark = pytest.mark.browser

SOURCE = "pjtatler-2015-09-27-iraq-intel"
RELATION = "iraq-intelligence-sharing-iran"
PANEL = f"/?select=relation:{RELATION}"


@pytest.fixture(autouse=True)
def seed_as_loaded(base_database) -> Iterator[None]:
    """These tests commit edits through the live server: afterwards the seed is as loaded again."""
    yield
    reset_seed(base_database)


def confirming(page: Page) -> Page:
    """Delete, merge and revert ask "are you sure?" first: say yes."""
    page.on("dialog", lambda dialog: dialog.accept())
    return page


def panel(page: Page):  # type: ignore[no-untyped-def]
    return page.get_by_test_id("panel-relation")


def bar_title(page: Page) -> str:
    return page.locator(f"#tl-relation-{RELATION} title").text_content() or ""


def open_edit_form(page: Page) -> None:
    panel(page).get_by_test_id("edit-relation").click()
    expect(page.get_by_test_id("record-edit-form")).to_be_visible()
    # Visible is not yet live: wait until htmx has taken in the form's fields (it keeps its state on
    # each element it processed), or a date typed at once has no hint to follow it (seen under CI load).
    page.wait_for_function(
        "() => { const el = document.querySelector('[data-testid=record-edit-form] [data-testid=edit-start]');"
        " return Boolean(el && el['htmx-internal-data']); }")


def test_fix_a_date_in_the_panel_and_the_timeline_follows(page, people):  # noqa: F811
    editor = people("editor")
    log_in(page, editor, PANEL)
    wait_for_network(page)
    expect(panel(page).get_by_test_id("relation-interval")).to_contain_text("since 2015-09")
    before = bar_title(page)

    open_edit_form(page)
    form = page.get_by_test_id("record-edit-form")
    form.get_by_test_id("edit-start").fill("2015-09-27")
    # A keystroke too: typed before htmx has taken in the new form, the input event alone could be missed.
    form.get_by_test_id("edit-start").press("End")
    expect(form.get_by_test_id("date-hint-start")).to_have_text("2015-09-27 → Sunday 27 September 2015")
    form.get_by_test_id("edit-start_inferred").fill("")
    for width, height in ((1366, 768), (1920, 1080)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=f"/tmp/shots/edit-form-{width}.png")
    form.get_by_test_id("edit-save").click()

    expect(panel(page).get_by_test_id("panel-notice")).to_have_text("Saved.")
    expect(panel(page).get_by_test_id("relation-interval")).to_have_text("since 2015-09-27")
    expect(panel(page).locator(".version")).to_have_text("v2")
    wait_until(page, f"document.querySelector('#tl-relation-{RELATION} title').textContent !== {before!r}")
    assert "2015-09-27" in bar_title(page)

    # A bad date is refused with the reason beside the field, and the form keeps what was typed.
    open_edit_form(page)
    form.get_by_test_id("edit-end").fill("2014-02")
    form.get_by_test_id("edit-save").click()
    expect(page.get_by_test_id("error-end")).to_contain_text("is before the start 2015-09-27")
    expect(page.get_by_test_id("edit-end")).to_have_value("2014-02")
    allow_http_errors(page, 422)

    page.get_by_test_id("edit-cancel").click()
    panel(page).get_by_test_id("show-history").click()
    history = page.get_by_test_id("record-history")
    expect(history.get_by_test_id("revision")).to_have_count(2)
    expect(history.get_by_test_id("revision").first).to_contain_text(f"edited by {editor}")
    expect(history.get_by_test_id("revision").first).to_contain_text("2015-09 → 2015-09-27")


def test_two_people_edit_one_relation_and_lose_nothing(page, second_page, people):  # noqa: F811
    first, second = people("editor"), people("editor")
    log_in(page, first, PANEL)
    log_in(second_page, second, PANEL)
    for each in (page, second_page):
        open_edit_form(each)
    page.get_by_test_id("edit-summary").fill("Iraq will share intelligence with Iran (first editor).")
    page.get_by_test_id("edit-save").click()
    expect(panel(page).get_by_test_id("panel-notice")).to_have_text("Saved.")

    # The second editor changed another field: the two edits fit together, and both are kept.
    second_page.get_by_test_id("edit-confidence").select_option("medium")
    second_page.get_by_test_id("edit-save").click()
    expect(panel(second_page).get_by_test_id("panel-notice")).to_have_text(
        f"Saved, together with {first}'s changes made meanwhile.")
    expect(panel(second_page).locator(".confidence")).to_have_text("medium confidence")
    expect(panel(second_page).locator(".description")).to_contain_text("(first editor)")

    # Both change the summary: the second editor writes a merge of the two texts.
    page.reload()
    second_page.reload()
    for each in (page, second_page):
        open_edit_form(each)
    page.get_by_test_id("edit-summary").fill("First editor's summary.")
    page.get_by_test_id("edit-save").click()
    expect(panel(page).get_by_test_id("panel-notice")).to_have_text("Saved.")
    second_page.get_by_test_id("edit-summary").fill("Second editor's summary.")
    second_page.get_by_test_id("edit-save").click()
    conflict = second_page.get_by_test_id("record-conflict")
    expect(conflict.get_by_test_id("conflict-row-summary")).to_contain_text("First editor's summary.")
    expect(conflict.get_by_test_id("conflict-row-summary")).to_contain_text("Second editor's summary.")
    expect(conflict.get_by_role("alert")).to_contain_text(f"{first} saved a newer version (v4)")
    second_page.set_viewport_size({"width": 1366, "height": 768})
    second_page.screenshot(path="/tmp/shots/conflict-1366.png")
    conflict.get_by_test_id("conflict-merge").locator("summary").click()
    merge = conflict.get_by_test_id("conflict-merge")
    expect(merge.get_by_test_id("edit-summary")).to_have_value("Second editor's summary.")
    merge.get_by_test_id("edit-summary").fill("First and second editors' summary.")
    merge.get_by_test_id("save-merge").click()
    expect(panel(second_page).locator(".description")).to_have_text("First and second editors' summary.")
    expect(panel(second_page).locator(".version")).to_have_text("v5")
    allow_http_errors(second_page, 409)


NEW_QUOTE = "training and advising Iraqi forces"


def test_a_new_relation_with_a_passage_appears_in_the_network_and_in_the_analysis(page, people):  # noqa: F811
    log_in(page, people("editor"), "/?select=actor:shiite-militias")
    wait_for_network(page)
    page.get_by_test_id("new-relation-from").click()
    form = page.get_by_test_id("record-new-form")
    expect(form.get_by_test_id("edit-source")).to_have_value("shiite-militias")
    form.get_by_test_id("edit-target").select_option("russia")
    form.get_by_test_id("edit-type").select_option("hostility")
    form.get_by_test_id("evidence-quote").fill("never written anywhere")
    form.get_by_test_id("create-save").click()
    expect(page.get_by_test_id("form-error")).to_contain_text("quote not found")
    allow_http_errors(page, 422)
    page.get_by_test_id("evidence-quote").fill(NEW_QUOTE)
    for width, height in ((1366, 768), (1920, 1080)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=f"/tmp/shots/new-relation-{width}.png")
    page.get_by_test_id("create-save").click()
    expect(panel(page).get_by_test_id("panel-notice")).to_have_text("Relation created.")
    expect(panel(page).get_by_test_id("evidence").first).to_contain_text(NEW_QUOTE)
    wait_until(page, "window.explorer.edges.get('shiite-militias-hostility-russia') !== null")

    page.goto("/analysis")
    tension = page.get_by_text("Iran is caught between Russia and Shiite militias (Iraq)")
    expect(tension.first).to_be_visible()
    expect(page.locator("a[href*='relation:shiite-militias-hostility-russia']")).not_to_have_count(0)


def test_merge_a_duplicate_actor_and_undo_it(page, people, base_database):  # noqa: F811
    editor = people("editor")
    with base_database.transaction() as session:
        caller = Caller.of(accounts.get_user(session, editor))
        curation.create(session, caller, "actor", {"id": "republic-of-iraq", "name": "Republic of Iraq",
                                                   "kind": "state", "aliases": ["Baghdad government"]})
        curation.create(session, caller, "relation", {
            "source": "republic-of-iraq", "target": "iran", "type": "cooperation",
            "evidence": [{"source": SOURCE, "quote": NEW_QUOTE, "voice": "report"}]})
    log_in(confirming(page), editor, "/?select=actor:republic-of-iraq")
    wait_for_network(page)
    actor_panel = page.get_by_test_id("panel-actor")
    actor_panel.get_by_test_id("merge-actor").locator("summary").click()
    actor_panel.get_by_test_id("merge-into").select_option("iraq")
    actor_panel.get_by_test_id("merge-submit").click()
    merged = page.get_by_test_id("panel-actor")
    expect(merged.get_by_test_id("panel-notice")).to_contain_text("Merged Republic of Iraq into this actor.")
    assert "select=actor%3Airaq" in page.url or "select=actor:iraq" in page.url
    expect(merged.get_by_test_id("panel-title")).to_have_text("Iraq")
    expect(merged.locator(".aliases")).to_contain_text("Republic of Iraq, Baghdad government")
    wait_until(page, "window.explorer.nodes.get('republic-of-iraq') === null")
    wait_until(page, "window.explorer.edges.get('republic-of-iraq-cooperation-iran').from === 'iraq'")

    merged.get_by_test_id("undo-merge").click()
    restored = page.get_by_test_id("panel-actor")
    expect(restored.get_by_test_id("panel-notice")).to_have_text("Merge undone.")
    expect(restored.get_by_test_id("panel-title")).to_have_text("Republic of Iraq")
    wait_until(page, "window.explorer.edges.get('republic-of-iraq-cooperation-iran').from === 'republic-of-iraq'")
    assert "Republic of Iraq" not in (page.request.get("/api/actors/iraq").json()["aliases"])


def test_delete_and_undo_remove_a_passage_and_undo_and_an_admin_reverts(page, second_page, people):  # noqa: F811
    editor, admin = people("editor"), people("admin")
    log_in(confirming(page), editor, PANEL)
    wait_for_network(page)
    evidence_count = panel(page).locator(".evidence-remove").count()
    assert evidence_count >= 2

    panel(page).get_by_test_id("remove-evidence").first.click()
    expect(panel(page).get_by_test_id("panel-notice")).to_contain_text("Removed a passage.")
    expect(panel(page).get_by_test_id("remove-evidence")).to_have_count(evidence_count - 1)
    panel(page).get_by_test_id("undo-remove-evidence").click()
    expect(panel(page).get_by_test_id("panel-notice")).to_contain_text("Passage added back.")
    expect(panel(page).get_by_test_id("remove-evidence")).to_have_count(evidence_count)

    panel(page).get_by_test_id("delete-relation").click()
    expect(page.get_by_test_id("record-deleted")).to_contain_text("was deleted")
    wait_until(page, f"window.explorer.edges.get({RELATION!r}) === null")
    page.get_by_test_id("undo-delete").click()
    expect(panel(page).get_by_test_id("panel-notice")).to_have_text("Restored.")
    wait_until(page, f"window.explorer.edges.get({RELATION!r}) !== null")

    log_in(confirming(second_page), admin, PANEL)
    panel(second_page).get_by_test_id("show-history").click()
    history = second_page.get_by_test_id("record-history")
    expect(history.get_by_test_id("revision")).to_have_count(5)
    second_page.set_viewport_size({"width": 1920, "height": 1080})
    second_page.screenshot(path="/tmp/shots/history-1920.png")
    history.get_by_test_id("revert-1").click()
    expect(panel(second_page).get_by_test_id("panel-notice")).to_have_text("Reverted to revision 1.")
    expect(panel(second_page).locator(".version")).to_have_text("v6")


def test_a_save_refused_for_another_reason_says_why_and_a_stale_link_still_opens(page, people,  # noqa: F811
                                                                                 base_database):
    editor = people("editor")
    log_in(page, editor, PANEL)
    open_edit_form(page)
    with base_database.transaction() as session:      # someone deletes the relation meanwhile
        curation.delete(session, Caller.of(accounts.get_user(session, editor)), "relation", RELATION, 1)
    page.get_by_test_id("edit-summary").fill("Too late.")
    page.get_by_test_id("edit-save").click()
    expect(page.get_by_test_id("toast")).to_contain_text(f"no relation with id '{RELATION}'")
    expect(page.get_by_test_id("edit-summary")).to_have_value("Too late.")     # the form and the text stay
    allow_http_errors(page, 404)

    page.goto(PANEL)
    expect(page.get_by_test_id("missing-record")).to_contain_text("is not here any more")
    page.get_by_test_id("missing-record").get_by_role("link", name="Its history").click()
    page.get_by_test_id("history-undo").click()
    expect(page.get_by_test_id("panel-relation").get_by_test_id("panel-notice")).to_have_text("Restored.")
