"""Issue 11's "done when", in Chromium: three fictional reports of one event — A; B, A republished by another
outlet under a new headline; C, an independent report that contradicts one of A's relations. As an editor:
curate a relation from A, attach B's copy of its sentence and C's confirming sentence of another relation,
and C's opposite-sign relation; then read the panels, the review queue, the map according to C's quoted
official, and the analysis under it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import delete

from webapp import create_app
from webapp.datasets.loader import load_directory
from webapp.models import ApiToken, Dataset
from webapp.services import accounts, articles

from ..api.test_corroboration import DATASET, FIXTURES, KESSAN_A, PATROLS, TRADE
from ..conftest import reset_seed
from .test_annotations import SELECT_TEXT, log_in, people  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser

# Selected in the reader: only the quoted words, so that voice and speaker are detected as a quotation of Renn's.
KESSAN_C = "stands behind Dravenia, as it always has"
REFUSAL = "will not cooperate with Dravenian units on the river"
SHOTS = Path("/tmp/shots")


@pytest.fixture
def three_reports(base_database, database_url, people) -> Iterator[str]:  # noqa: F811
    """The dataset's actors and the three articles read in; one relation from A and one from C already
    curated (through the API, as a script would); an editor to log in as."""
    with base_database.transaction() as session:
        load_directory(session, FIXTURES / DATASET)
        for letter in "abc":
            articles.import_file(session, FIXTURES / "articles" / f"vell-patrols-{letter}.html", DATASET)
    name = people("editor")
    with base_database.transaction() as session:
        token = accounts.issue_token(session, name).token
    app = create_app({"DATABASE_URL": database_url, "AUTO_SETUP": False, "TESTING": True})
    try:
        client, headers = app.test_client(), {"Authorization": f"Bearer {token}"}
        for body in (
            {"source": "kessan", "target": "dravenia", "type": "political_support", "confidence": "medium",
             "start": "2024-05", "evidence": [{"source": "vell-patrols-a", "quote": KESSAN_A, "voice": "report"}]},
            {"source": "ostmark", "target": "kessan", "type": "cooperation", "confidence": "medium",
             "evidence": [{"source": "vell-patrols-c", "quote": TRADE, "voice": "quote", "speaker": "halvar-renn"}]},
        ):
            response = client.post("/api/relations", json={**body, "dataset": DATASET}, headers=headers)
            assert response.status_code == 201, response.get_json()
    finally:
        app.extensions["database"].dispose()
    yield name
    with base_database.transaction() as session:
        session.execute(delete(Dataset).where(Dataset.id == DATASET))
        user = accounts.get_user(session, name)
        session.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
    reset_seed(base_database)


def select(page: Page, words: str) -> None:
    assert page.evaluate(SELECT_TEXT, words) is not None, words
    expect(page.get_by_test_id("claim-actions")).to_be_visible()


def attach(page: Page, words: str, relation: str, says: str) -> None:
    select(page, words)
    page.get_by_test_id("claim-attach").click()
    expect(page.get_by_test_id("attach-evidence")).to_contain_text(says)
    page.get_by_test_id("attach-evidence").locator(
        f"[data-testid=attach-candidate][data-id={relation}]").get_by_test_id("attach-to").click()


def shoot(page: Page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    for width, height in ((1366, 768), (1920, 1080)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(SHOTS / f"corroboration-{name}-{width}.png"))


def test_independent_sources_contested_pairs_and_who_says_so_in_the_browser(page, three_reports):
    log_in(page, three_reports, "/sources/vell-patrols-a")

    # A relation from A's sentence.
    select(page, PATROLS)
    page.get_by_test_id("claim-relation").click()
    form = page.get_by_test_id("record-new-form")
    expect(form.get_by_test_id("edit-source")).to_have_value("dravenia")
    expect(form.get_by_test_id("edit-target")).to_have_value("ostmark")
    form.get_by_test_id("edit-type").select_option("cooperation")
    form.get_by_test_id("edit-confidence").select_option("high")
    form.get_by_test_id("create-save").click()
    expect(page.get_by_test_id("panel-relation").get_by_test_id("panel-notice")).to_have_text("Relation created.")

    # B's copy of the sentence; C's independent confirmation of the other relation; C's refusal.
    page.goto("/sources/vell-patrols-b")
    expect(page.get_by_test_id("republished-from")).to_contain_text("Dravenia and Ostmark agree joint patrols")
    attach(page, PATROLS, "dravenia-cooperation-ostmark", "Voice: report")
    expect(page.get_by_test_id("panel-relation").get_by_test_id("evidence")).to_have_count(2)
    page.goto("/sources/vell-patrols-c")
    expect(page.get_by_test_id("republished-from")).to_have_count(0)
    attach(page, KESSAN_C, "kessan-political-support-dravenia", "Voice: quote, speaker Halvar Renn")
    expect(page.get_by_test_id("panel-relation").get_by_test_id("evidence")).to_have_count(2)
    select(page, REFUSAL)
    page.get_by_test_id("claim-relation").click()
    form = page.get_by_test_id("record-new-form")
    form.get_by_test_id("edit-source").select_option("ostmark")     # the quotation names only Dravenia
    form.get_by_test_id("edit-target").select_option("dravenia")
    form.get_by_test_id("edit-type").select_option("non_cooperation")
    expect(form.get_by_test_id("evidence-voice")).to_have_value("quote")
    expect(form.get_by_test_id("evidence-speaker")).to_have_value("halvar-renn")
    form.get_by_test_id("create-save").click()
    expect(page.get_by_test_id("panel-relation").get_by_test_id("panel-notice")).to_have_text("Relation created.")

    # The first relation: two passages, one independent source, the copy labelled; contested, side by side.
    page.goto(f"/?dataset={DATASET}&select=relation:dravenia-cooperation-ostmark")
    panel = page.get_by_test_id("panel-relation")
    corroboration = panel.get_by_test_id("corroboration")
    expect(corroboration).to_have_attribute("data-passages", "2")
    expect(corroboration).to_have_attribute("data-sources", "1")
    expect(corroboration).to_contain_text("single source")
    expect(panel.locator("section:not(.contest) [data-testid=republished]")).to_contain_text("republished from")
    contest = panel.get_by_test_id("contest")
    expect(contest.get_by_test_id("contest-cooperative")).to_contain_text("joint patrols")
    expect(contest.get_by_test_id("contest-adversarial")).to_contain_text("will not cooperate")
    expect(contest.get_by_test_id("contest-adversarial")).to_contain_text("Halvar Renn")
    cooperative_box = contest.get_by_test_id("contest-cooperative").bounding_box()
    adversarial_box = contest.get_by_test_id("contest-adversarial").bounding_box()
    assert cooperative_box and adversarial_box and adversarial_box["x"] > cooperative_box["x"] + 100, \
        "the two sides stand side by side"
    shoot(page, "contested-panel")

    # The second: two independent sources.
    page.goto(f"/?dataset={DATASET}&select=relation:kessan-political-support-dravenia")
    corroboration = page.get_by_test_id("panel-relation").get_by_test_id("corroboration")
    expect(corroboration).to_have_attribute("data-sources", "2")
    expect(corroboration).to_contain_text("2 independent sources")
    expect(page.get_by_test_id("panel-relation").get_by_test_id("contest")).to_have_count(0)

    # What is left to curate.
    page.goto(f"/curate/{DATASET}")
    expect(page.get_by_test_id("count-republications")).to_have_text("1")
    expect(page.get_by_test_id("count-single_source")).to_have_text("3")
    expect(page.get_by_test_id("count-undated")).to_have_text("1")  # the dates came from "on Thursday", "on Saturday"
    expect(page.get_by_test_id("queue-sentence").first).to_be_visible()
    expect(page.get_by_test_id("queue-candidates")).to_contain_text("Sable Brigade")
    shoot(page, "curate")
    page.get_by_test_id("queue-sentence").first.get_by_test_id("queue-reader-link").click()
    expect(page.get_by_test_id("claim-actions")).to_be_visible()

    # The map according to Renn: only what he claims; the analysis under it finds the tension.
    page.goto(f"/?dataset={DATASET}&speaker=halvar-renn")
    expect(page.locator("[data-testid=network-summary] [data-count=edges]")).to_have_text("3")
    expect(page.get_by_test_id("evidence-summary")).to_have_text("by Halvar Renn")
    shoot(page, "according-to-renn")
    page.goto(f"/analysis?dataset={DATASET}")
    expect(page.get_by_test_id("tension")).to_have_count(0)
    page.goto(f"/analysis?dataset={DATASET}&speaker=halvar-renn")
    expect(page.get_by_test_id("tension")).to_have_count(1)
    expect(page.get_by_test_id("tension-sentence")).to_contain_text("caught between")
    shoot(page, "analysis-renn")
