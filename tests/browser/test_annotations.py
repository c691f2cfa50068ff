"""Annotating in Chromium: select a sentence, note it, see it in the margin and in the panels; edit in
place; two people editing the same note lose nothing; delete and undo; logged out, nothing can be written.
And notes full of XSS payloads stay text: no dialog, no CSP violation, no htmx request."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from webapp.models import Annotation
from webapp.services import accounts
from webapp.services import annotations as notes

from ..conftest import PASSWORD
from ..test_annotation_xss import PAYLOADS
from .conftest import checked_page
from .test_explorer import wait_for_network, wait_until

pytestmark = pytest.mark.browser

SOURCE = "pjtatler-2015-09-27-iraq-intel"
READER = f"/sources/{SOURCE}"
# The sentence of the Joint Operations Command's statement: its passages support Iraq's intelligence sharing.
SENTENCE = ("A statement issued by the Joint Operations Command said the countries will “help and cooperate in "
            "collecting information about the terrorist Daesh group,” using the Arabic acronym for the IS group.")

SELECT_TEXT = """(wanted) => {
  const article = document.querySelector('[data-testid=article-text]');
  const walker = document.createTreeWalker(article, NodeFilter.SHOW_TEXT);
  const nodes = [];
  let text = '';
  while (walker.nextNode()) { nodes.push([walker.currentNode, text.length]); text += walker.currentNode.data; }
  const start = text.indexOf(wanted);
  if (start < 0) { return null; }
  // The start in the text node the words begin in (not at the end of the one before), the end in theirs.
  const at = (offset, isEnd) => {
    for (const [node, from] of nodes) {
      if (isEnd ? offset <= from + node.data.length : offset < from + node.data.length) {
        return [node, offset - from];
      }
    }
  };
  const range = document.createRange();
  range.setStart(...at(start, false));
  range.setEnd(...at(start + wanted.length, true));
  range.startContainer.parentElement.scrollIntoView({block: 'center'});
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
  document.querySelector('[data-testid=article-text]').dispatchEvent(new MouseEvent('mouseup', {bubbles: true}));
  return start;
}"""


@pytest.fixture
def people(base_database) -> Iterator[Callable[..., str]]:
    """Users committed for the live server (unique names); the notes they wrote are removed afterwards,
    so later tests on the same database see none of them."""
    made: list[str] = []

    def make(role: str = "editor") -> str:
        name = f"{role}-{uuid.uuid4().hex[:8]}"
        with base_database.transaction() as session:
            accounts.create_user(session, name, PASSWORD, role)
        made.append(name)
        return name

    yield make
    with base_database.transaction() as session:
        for note in session.scalars(select(Annotation).where(Annotation.creator_name.in_(made))):
            session.delete(note)


def write_note(base_database, author: str, text: str, target: object = "/actors/iraq", tags: list[str] = ()) -> str:  # type: ignore[assignment]
    with base_database.transaction() as session:
        caller = notes.Caller.of(accounts.get_user(session, author))
        return notes.create(session, caller, notes.parse_draft({"text": text, "target": target, "tags": list(tags)})).id


def log_in(page: Page, name: str, then: str) -> None:
    page.goto(f"/login?next={then}")
    page.get_by_test_id("login-name").fill(name)
    page.get_by_test_id("login-password").fill(PASSWORD)
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("account-name")).to_contain_text(name)
    # app.js is deferred: wait until its listeners (selection → Annotate) are in place.
    page.wait_for_selector("html[data-app=ready]", state="attached")


def allow_http_errors(page: Page, *statuses: int) -> None:
    """Chromium logs every 4xx fetch as a console error; drop the ones this test asked for."""
    alternatives = "|".join(map(str, statuses))
    pattern = re.compile(rf"(status of|Status Error Code) ({alternatives})\b")
    page.problems.console_errors[:] = [m for m in page.problems.console_errors if not pattern.search(m)]


@pytest.fixture
def second_page(browser, live_server) -> Iterator[Page]:
    """Another browser (its own cookies), checked like ``page``."""
    with checked_page(browser, live_server) as page:
        yield page


def note_in(page: Page, note_id: str):  # type: ignore[no-untyped-def]
    return page.locator(f"#note-{note_id}")


# --- The "done when", step by step --------------------------------------------

def test_annotate_a_sentence_see_it_beside_its_words_and_in_the_panel_edit_it_and_reload(page, people):
    editor = people("editor")
    log_in(page, editor, READER)
    expect(page.get_by_test_id("annotate-button")).to_be_hidden()

    assert page.evaluate(SELECT_TEXT, SENTENCE) is not None
    button = page.get_by_test_id("annotate-button")
    expect(button).to_be_visible()
    on_page = "window.scrollY + window.getSelection().getRangeAt(0).getBoundingClientRect().top"
    words = page.evaluate(on_page)
    scrolled = page.evaluate("window.scrollY")
    page.mouse.wheel(0, 200)  # scrolling before clicking "Annotate" must not move the form away from the words
    wait_until(page, f"window.scrollY > {scrolled}")
    button.click()
    form = page.get_by_test_id("annotate-form")
    expect(form).to_be_visible()
    assert abs(page.evaluate("window.scrollY") + form.bounding_box()["y"] - words) < 12, "the form is beside the words"
    expect(form.get_by_test_id("annotate-quote")).to_have_text(f"“{SENTENCE}”")
    expect(form.locator("textarea")).to_be_focused()
    form.locator("textarea").fill("The JOC speaks for the **Iraqi military** here, not the government.")
    form.get_by_test_id("note-tags-input").fill("joc, sourcing")
    form.get_by_test_id("annotate-submit").click()

    # Back in the reader, the note is in the margin, level with the words it is about.
    expect(page).to_have_url(re.compile(rf"{READER}\?note=[0-9a-f-]+#note-[0-9a-f-]+$"))
    note_id = page.url.rsplit("#note-", 1)[1]
    margin_note = page.locator(f"#margin-notes #note-{note_id}")
    expect(margin_note.get_by_test_id("note-body")).to_have_text(
        "The JOC speaks for the Iraqi military here, not the government.")
    expect(margin_note.locator("strong")).to_have_text("Iraqi military")
    expect(margin_note.get_by_test_id("note-tag")).to_have_text(["#joc", "#sourcing"])
    expect(margin_note.get_by_test_id("note-quote")).to_have_text(f"“{SENTENCE}”")
    noted = page.locator(f'[data-testid=article-text] .noted[data-notes~="{note_id}"]')
    assert "".join(noted.all_text_contents()) == SENTENCE
    expect(noted.first).to_have_class(re.compile(r"\bis-active\b"))  # the link to it is highlighted
    wait_until(page, "document.getElementById('margin-notes').classList.contains('is-placed')")
    words, box = noted.first.bounding_box(), margin_note.bounding_box()
    assert words and box and abs(box["y"] - words["y"]) < 24, (words, box)
    assert box["x"] > words["x"] + words["width"] - 5, "beside the text, in the margin"

    # The sentence supports Iraq's relations: the note is in Iraq's panel, with its quote.
    page.goto("/actors/iraq")
    in_panel = note_in(page, note_id)
    expect(in_panel.get_by_test_id("note-quote")).to_have_text(f"“{SENTENCE}”")
    expect(in_panel.get_by_test_id("note-body")).to_contain_text("The JOC speaks for the Iraqi military")

    # ... and in the explorer's panel, loaded by htmx.
    page.goto("/?select=actor:iraq")
    wait_for_network(page)
    expect(page.locator("#panel").locator(f"#note-{note_id}")).to_be_visible()

    # Edit in place, in the panel.
    page.goto("/actors/iraq")
    in_panel.get_by_test_id("note-edit").click()
    editor_form = note_in(page, note_id)
    expect(editor_form).to_have_attribute("data-testid", "note-editor")
    textarea = editor_form.get_by_test_id("note-body-input")
    expect(textarea).to_have_value("The JOC speaks for the **Iraqi military** here, not the government.")
    textarea.fill("The JOC speaks for the **Iraqi military**; the government said nothing that day.")
    editor_form.get_by_test_id("note-save").click()
    expect(note_in(page, note_id).get_by_test_id("note-body")).to_have_text(
        "The JOC speaks for the Iraqi military; the government said nothing that day.")
    expect(note_in(page, note_id).locator(".note-meta")).to_contain_text("edited (v2)")

    page.reload()
    expect(note_in(page, note_id).get_by_test_id("note-body")).to_have_text(
        "The JOC speaks for the Iraqi military; the government said nothing that day.")
    page.goto(READER)
    expect(page.locator(f"#margin-notes #note-{note_id}").get_by_test_id("note-body")).to_contain_text(
        "the government said nothing that day")


def test_a_refused_note_keeps_the_text_and_says_why(page, people):
    editor = people("editor")
    log_in(page, editor, READER)
    assert page.evaluate(SELECT_TEXT, SENTENCE) is not None
    page.get_by_test_id("annotate-button").click()
    form = page.get_by_test_id("annotate-form")
    form.locator("textarea").fill("My careful note.")
    form.get_by_test_id("note-tags-input").fill(", ".join(f"t{i}" for i in range(21)))
    form.get_by_test_id("annotate-submit").click()
    expect(form.get_by_test_id("note-error")).to_contain_text("at most 20 tags")
    allow_http_errors(page, 422)
    expect(form.locator("textarea")).to_have_value("My careful note.")
    expect(form.get_by_test_id("annotate-quote")).to_have_text(f"“{SENTENCE}”")
    # Fixing the tags saves the note on the same words.
    form.get_by_test_id("note-tags-input").fill("joc")
    form.get_by_test_id("annotate-submit").click()
    expect(page).to_have_url(re.compile(r"#note-[0-9a-f-]+$"))
    note_id = page.url.rsplit("#note-", 1)[1]
    noted = page.locator(f'[data-testid=article-text] .noted[data-notes~="{note_id}"]')
    assert "".join(noted.all_text_contents()) == SENTENCE


def test_cancel_hides_the_annotate_form_and_a_selection_outside_the_article_offers_nothing(page, people):
    log_in(page, people("editor"), READER)
    page.evaluate(SELECT_TEXT, SENTENCE)
    page.get_by_test_id("annotate-button").click()
    page.locator("[data-annotate-cancel]").click()
    expect(page.get_by_test_id("annotate-form")).to_be_hidden()
    page.evaluate("""() => {
      const range = document.createRange();
      range.selectNodeContents(document.querySelector('.margin-title'));
      window.getSelection().removeAllRanges();
      window.getSelection().addRange(range);
      document.dispatchEvent(new MouseEvent('mouseup', {bubbles: true}));
    }""")
    page.wait_for_timeout(100)
    expect(page.get_by_test_id("annotate-button")).to_be_hidden()


def test_on_a_narrow_screen_annotate_and_its_form_stay_in_view(page, people):
    """There the margin is below the article: "Annotate" must not appear a screen or two away."""
    page.set_viewport_size({"width": 900, "height": 900})
    log_in(page, people("editor"), READER)
    page.evaluate(SELECT_TEXT, "Iraq has long had close ties with neighboring Iran")
    button = page.get_by_test_id("annotate-button")
    expect(button).to_be_in_viewport()
    button.click()
    expect(page.get_by_test_id("annotate-form")).to_be_in_viewport(ratio=1)
    expect(page.get_by_test_id("annotate-quote")).to_have_text("“Iraq has long had close ties with neighboring Iran”")


def test_add_a_note_in_a_panel_shows_it_at_once(page, people):
    editor = people("editor")
    log_in(page, editor, "/relations/iraq-intelligence-sharing-iran")
    section = page.get_by_test_id("notes")
    before = int(section.get_by_test_id("notes-count").inner_text())
    section.get_by_test_id("note-body-input").fill("Announced, not yet *observed*.")
    section.get_by_test_id("note-visibility").select_option("private")
    section.get_by_test_id("note-submit").click()
    # The answer swaps the whole notes section: the new note is in it, without a reload.
    expect(section.get_by_test_id("notes-count")).to_have_text(str(before + 1))
    mine = section.get_by_test_id("note").filter(has_text="Announced, not yet observed.")
    expect(mine).to_have_count(1)
    expect(mine.locator(".private-badge")).to_have_text("private")
    expect(section.get_by_test_id("note-body-input")).to_have_value("")


def test_two_people_edit_the_same_note_the_second_keeps_theirs_and_nothing_is_lost(page, second_page, people,
                                                                                 base_database):
    editor = people("editor")
    note_id = write_note(base_database, editor, "First draft.")
    first, second = page, second_page
    for each in (first, second):
        log_in(each, editor, "/actors/iraq")  # the same editor, in two browsers
        note_in(each, note_id).get_by_test_id("note-edit").click()
        expect(note_in(each, note_id).get_by_test_id("note-body-input")).to_have_value("First draft.")

    note_in(first, note_id).get_by_test_id("note-body-input").fill("Edited in the first browser.")
    note_in(first, note_id).get_by_test_id("note-save").click()
    expect(note_in(first, note_id).get_by_test_id("note-body")).to_have_text("Edited in the first browser.")

    note_in(second, note_id).get_by_test_id("note-body-input").fill("Edited in the second browser.\nTwo lines.")
    note_in(second, note_id).get_by_test_id("note-save").click()
    conflict = note_in(second, note_id)
    expect(conflict).to_have_attribute("data-testid", "note-conflict")
    expect(conflict.get_by_role("alert")).to_contain_text("You saved a newer version (v2) in another window")
    expect(conflict.get_by_test_id("conflict-theirs")).to_contain_text("Edited in the first browser.")
    expect(conflict.get_by_test_id("conflict-mine")).to_contain_text("Edited in the second browser.\nTwo lines.")
    theirs, mine = conflict.get_by_test_id("conflict-theirs").bounding_box(), conflict.get_by_test_id(
        "conflict-mine").bounding_box()
    assert theirs and mine and abs(theirs["y"] - mine["y"]) < 2 and mine["x"] > theirs["x"], "side by side"

    conflict.get_by_test_id("keep-mine").click()
    kept = note_in(second, note_id)
    expect(kept.get_by_test_id("note-body")).to_have_text("Edited in the second browser.\nTwo lines.")
    expect(kept.locator(".note-meta")).to_contain_text("edited (v3)")
    for _ in range(2):  # the history replaces its slot: opened twice, it is there once
        kept.get_by_test_id("note-history-link").click()
        history = kept.get_by_test_id("note-history")
        expect(history.locator("li")).to_have_count(3)
    expect(second.locator(f"[id=history-{note_id}]")).to_have_count(1)
    expect(history.locator(".rev-body")).to_have_text(
        ["First draft.", "Edited in the first browser.", re.compile(r"Edited in the second browser.\s+Two lines.")])

    first.reload()
    expect(note_in(first, note_id).get_by_test_id("note-body")).to_contain_text("Edited in the second browser.")
    body = first.request.get(f"/api/annotations/{note_id}").json()["body"][0]["value"]
    assert re.fullmatch(r"Edited in the second browser\.\r?\nTwo lines\.", body), "kept as typed, line break included"
    allow_http_errors(second, 409)


def test_a_conflict_resolved_by_editing_a_merge_or_by_taking_theirs(page, second_page, people, base_database):
    editor, admin = people("editor"), people("admin")
    note_id = write_note(base_database, editor, "Iraq shares intelligence.", tags=["intel"])
    log_in(page, editor, "/actors/iraq")
    log_in(second_page, admin, "/actors/iraq")
    for each in (page, second_page):
        note_in(each, note_id).get_by_test_id("note-edit").click()
        expect(note_in(each, note_id).get_by_test_id("note-save")).to_be_visible()

    note_in(second_page, note_id).get_by_test_id("note-body-input").fill("Iraq shares intelligence with Iran.")
    note_in(second_page, note_id).get_by_test_id("note-save").click()
    expect(note_in(second_page, note_id).get_by_test_id("note-body")).to_have_text(
        "Iraq shares intelligence with Iran.")

    note_in(page, note_id).get_by_test_id("note-body-input").fill("Iraq shares intelligence, from Baghdad.")
    note_in(page, note_id).get_by_test_id("note-tags-input").fill("intel, baghdad")
    note_in(page, note_id).get_by_test_id("note-save").click()
    conflict = note_in(page, note_id)
    expect(conflict.get_by_role("alert")).to_contain_text(f"{admin} saved a newer version (v2)")
    conflict.get_by_test_id("conflict-merge").locator("summary").click()
    merged = conflict.get_by_test_id("conflict-merge").get_by_test_id("note-body-input")
    expect(merged).to_have_value("Iraq shares intelligence with Iran.\n\nIraq shares intelligence, from Baghdad.")
    expect(conflict.get_by_test_id("conflict-merge").get_by_test_id("note-tags-input")).to_have_value("intel, baghdad")
    merged.fill("Iraq shares intelligence with Iran, from Baghdad.")
    conflict.get_by_test_id("save-merge").click()
    saved = note_in(page, note_id)
    expect(saved.get_by_test_id("note-body")).to_have_text("Iraq shares intelligence with Iran, from Baghdad.")
    expect(saved.get_by_test_id("note-tag")).to_have_text(["#intel", "#baghdad"])
    expect(saved.locator(".note-meta")).to_contain_text("edited (v3)")

    # Both edit again; the admin saves first, and this time the editor takes the saved version.
    second_page.reload()
    for each in (page, second_page):
        note_in(each, note_id).get_by_test_id("note-edit").click()
        expect(note_in(each, note_id).get_by_test_id("note-save")).to_be_visible()
    note_in(second_page, note_id).get_by_test_id("note-body-input").fill("The admin's last word.")
    note_in(second_page, note_id).get_by_test_id("note-save").click()
    # The footer names who changed the text last, not only who wrote the note.
    expect(note_in(second_page, note_id).locator(".note-meta")).to_contain_text(f"edited by {admin} (v4)")
    note_in(page, note_id).get_by_test_id("note-body-input").fill("The editor's last word.")
    note_in(page, note_id).get_by_test_id("note-save").click()
    expect(note_in(page, note_id).get_by_test_id("conflict-mine")).to_contain_text("The editor's last word.")
    note_in(page, note_id).get_by_test_id("take-theirs").click()
    expect(note_in(page, note_id).get_by_test_id("note-body")).to_have_text("The admin's last word.")
    expect(note_in(page, note_id).locator(".note-meta")).to_contain_text(f"edited by {admin} (v4)")
    allow_http_errors(page, 409)


def test_delete_then_undo(page, people, base_database):
    editor = people("editor")
    note_id = write_note(base_database, editor, "Soon deleted, then back.")
    log_in(page, editor, "/actors/iraq")
    note_in(page, note_id).get_by_test_id("note-delete").click()
    gone = note_in(page, note_id)
    expect(gone).to_have_attribute("data-testid", "note-deleted")
    expect(gone).to_contain_text("Note deleted.")
    page.goto("/actors/iraq")
    expect(note_in(page, note_id)).to_have_count(0)  # really deleted ...
    page.go_back()
    page.reload()
    page.goto("/actors/iraq")
    write_back = page.request.get(f"/api/annotations/{note_id}")
    assert write_back.status == 404

    # ... and undone from the panel, right where it was deleted.
    note_id2 = write_note(base_database, editor, "Deleted by mistake.")
    page.reload()
    note_in(page, note_id2).get_by_test_id("note-delete").click()
    note_in(page, note_id2).get_by_test_id("note-undo").click()
    expect(note_in(page, note_id2).get_by_test_id("note-body")).to_have_text("Deleted by mistake.")
    page.reload()
    expect(note_in(page, note_id2).get_by_test_id("note-body")).to_have_text("Deleted by mistake.")
    history = page.request.get(f"/api/annotations/{note_id2}/history").json()["revisions"]
    assert [r["action"] for r in history] == ["create", "delete", "restore"]


def test_logged_out_there_are_no_controls_and_the_api_refuses_writes(page, people, base_database):
    editor = people("editor")
    note_id = write_note(base_database, editor, "Visible to all, changeable by its author.")
    log_in(page, editor, "/actors/iraq")
    expect(note_in(page, note_id).get_by_test_id("note-edit")).to_be_visible()
    expect(note_in(page, note_id).get_by_test_id("note-delete")).to_be_visible()
    expect(page.get_by_test_id("note-form")).to_be_visible()

    page.get_by_test_id("logout").click()
    expect(page.get_by_test_id("login-link")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/actors/iraq$"))
    expect(note_in(page, note_id).get_by_test_id("note-body")).to_have_text("Visible to all, changeable by its author.")
    for control in ("note-edit", "note-delete", "note-form", "note-submit", "note-undo"):
        expect(page.get_by_test_id(control)).to_have_count(0)
    expect(page.get_by_test_id("notes-login")).to_be_visible()
    page.goto(READER)
    expect(page.get_by_test_id("annotate-button")).to_have_count(0)
    expect(page.get_by_test_id("annotate-form")).to_have_count(0)
    expect(page.get_by_test_id("margin-login")).to_be_visible()

    # A script on the page, with the page's CSRF token, still cannot write.
    statuses = page.evaluate("""async (noteId) => {
      const token = document.querySelector('meta[name=csrf-token]').content;
      const send = (method, url, body) => fetch(url, {method, credentials: 'same-origin',
        headers: {'Content-Type': 'application/json', 'X-CSRFToken': token}, body: JSON.stringify(body)});
      return [
        (await send('POST', '/api/annotations', {text: 'sneaky', target: '/actors/iraq'})).status,
        (await send('PUT', '/api/annotations/' + noteId, {text: 'sneaky', version: 1})).status,
        (await send('DELETE', '/api/annotations/' + noteId)).status,
      ];
    }""", note_id)
    assert all(status in (400, 401) for status in statuses), statuses
    allow_http_errors(page, 400, 401)
    note = page.request.get(f"/api/annotations/{note_id}").json()
    assert note["version"] == 1 and note["body"][0]["value"] == "Visible to all, changeable by its author."
    search = page.request.get("/api/annotations", params={"target": "/actors/iraq"}).json()
    assert not any(item["body"][0]["value"] == "sneaky" for item in search["first"]["items"])


# --- XSS payloads in a real browser -----------------------------------------------------

def test_notes_full_of_payloads_run_nothing(page, people, base_database):
    editor = people("editor")
    for payload in PAYLOADS:
        tags = [payload.replace(",", " ")[:50]]
        write_note(base_database, editor, f"Payload: {payload}", "/actors/iraq", tags)
        write_note(base_database, editor, f"Payload: {payload}", {"source": SOURCE, "selector": [
            {"type": "TextQuoteSelector", "exact": "This is not yet coordinated."}]}, tags)
    with base_database.transaction() as session:  # quotes no API would take: an admin's import keeps them
        notes.import_collection(session, {"items": [{
            "id": str(uuid.uuid4()), "text": f"Quote payload {index}", "creator": {"name": editor},
            "created": "2015-09-28T10:00:00Z", "modified": "2015-09-28T10:00:00Z",
            "target": {"source": SOURCE, "selector": [{"type": "TextQuoteSelector", "exact": payload}]},
        } for index, payload in enumerate(PAYLOADS)]})

    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    requests: list[str] = []
    page.on("request", lambda request: requests.append(f"{request.method} {request.url}"))
    log_in(page, editor, READER)

    def no_effect(where: str) -> None:
        page.wait_for_timeout(300)  # time for anything "on load" to fire
        assert dialogs == [], (where, dialogs)
        assert not [r for r in requests if "/logout" in r or r.startswith("POST") and "/api/" in r], (where, requests)
        expect(page.get_by_test_id("account-name")).to_contain_text(editor)  # hx-get="/logout" did not run

    def links_lead_nowhere_harmful(scope: str) -> None:
        """Links in notes go to web pages: as the browser resolves them, never javascript: or data:."""
        protocols = page.locator(f"{scope} [data-testid=note-body] a").evaluate_all(
            "links => links.map(a => new URL(a.href).protocol)")
        assert set(protocols) <= {"http:", "https:", "mailto:"}, protocols

    expect(page.locator("#margin-notes [data-testid=note]").filter(has_text="Payload:")).to_have_count(len(PAYLOADS))
    expect(page.locator("#margin-notes [data-testid=orphaned]")).to_have_count(len(PAYLOADS))
    no_effect("reader")
    links_lead_nowhere_harmful("#margin-notes")
    page.goto("/actors/iraq")
    expect(page.get_by_test_id("notes").get_by_test_id("note").filter(has_text="Payload:")).to_have_count(
        2 * len(PAYLOADS))
    links_lead_nowhere_harmful("[data-testid=notes]")
    no_effect("actor page")
    page.goto("/?select=actor:iraq")  # the panel comes in by htmx, which must not wake anything in it
    wait_for_network(page)
    expect(page.locator("#panel [data-testid=note]").filter(has_text="Payload:")).to_have_count(2 * len(PAYLOADS))
    no_effect("explorer panel")
    page.locator("#panel [data-testid=note-edit]").first.click()
    expect(page.locator("#panel [data-testid=note-editor]")).to_have_count(1)
    no_effect("edit form")
    page.goto("/notes")
    no_effect("notes page")
