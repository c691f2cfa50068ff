"""The analysis page in Chromium: a tension's evidence, its triangle in the network, filters by date."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .test_explorer import node_point, wait_for_network, wait_until

pytestmark = pytest.mark.browser


def test_a_tension_shows_its_evidence_and_its_triangle(page):
    page.goto("/analysis")
    wait_for_network(page)
    tension = page.locator("[data-testid=tension][data-actors='iran,iraq,united-states']")
    expect(tension.locator("[data-testid=tension-sentence]")).to_contain_text(
        "Iraq is caught between Iran and United States")

    tension.locator("[data-testid=tension-evidence] summary").click()
    expect(tension.locator("[data-testid=evidence]").first).to_be_visible()
    expect(tension).to_contain_text("not coordinating their efforts against the Islamic State with Iran")

    tension.locator("[data-testid=show-triangle]").click()
    wait_until(page, "document.body.dataset.triangle === 'iran,iraq,united-states'")
    selected = page.evaluate("window.explorer.network.getSelection()")
    assert sorted(selected["nodes"]) == ["iran", "iraq", "united-states"]
    assert "iraq-intelligence-sharing-iran" in selected["edges"]
    assert "united-states-non-cooperation-iran" in selected["edges"]
    expect(tension).to_have_class("tension card is-active")


def test_clicking_an_actor_in_the_analysis_network_opens_it_in_the_explorer(page):
    page.goto("/analysis?at=2015-10")
    wait_for_network(page)
    point = node_point(page, "iraq")
    page.mouse.click(point["x"], point["y"])
    page.wait_for_url("**/?*select=actor%3Airaq*")
    expect(page.locator("[data-testid=panel-title]")).to_have_text("Iraq")
    assert "at=2015-10" in page.url


def test_the_date_box_narrows_the_analysis(page):
    page.goto("/analysis")
    before = page.locator("[data-testid=tension]").count()
    page.fill("[data-testid=analysis-at]", "2012")
    page.locator("[data-testid=analysis-date] button").click()
    page.wait_for_url("**/analysis?at=2012")
    expect(page.locator("[data-testid=balance-summary]")).to_contain_text("as of 2012")
    assert page.locator("[data-testid=tension]").count() < before
