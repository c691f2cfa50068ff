"""Issue 12 in Chromium: the seed told over time — what the slider shows in 2012, the sentences on the first
click, the time bar always at hand, Play stepping through the story, and dates that say where they come from."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .test_explorer import node_point, wait_for_network, wait_until

pytestmark = pytest.mark.browser


def drawn_edges(page) -> dict[str, float]:
    return page.evaluate("Object.fromEntries(window.explorer.edges.get().map(e => [e.id, e.color.opacity]))")


def test_mid_2012_shows_the_syrian_war_not_the_coalition_and_undated_relations_faded(page):
    page.goto("/?at=2012-06-01")
    wait_for_network(page)
    edges = drawn_edges(page)
    assert not [e for e in edges if "us-led-coalition" in e]
    assert "kerry-represents-united-states" not in edges and "rouhani-leads-iran" not in edges
    assert {"iran-military-support-assad", "russia-military-support-assad"} <= set(edges)
    # The one relation nobody dates is drawn, but faded, and the legend says what that means.
    assert edges["joint-operations-command-represents-iraq"] < 0.5
    assert all(opacity > 0.5 for edge, opacity in edges.items() if edge != "joint-operations-command-represents-iraq")
    expect(page.get_by_test_id("legend-undated")).to_contain_text("dates not stated")
    expect(page.get_by_test_id("network-summary")).to_contain_text("1 undated (drawn faded)")


def test_one_click_on_iraq_shows_its_sentences_with_the_time_bar_in_view(browser, live_server):
    context = browser.new_context(viewport={"width": 1366, "height": 768}, base_url=live_server)
    page = context.new_page()
    page.goto("/")
    wait_for_network(page)
    point = node_point(page, "iraq")
    page.mouse.click(point["x"], point["y"])
    passages = page.get_by_test_id("panel-actor").get_by_test_id("key-passage")
    expect(passages.first).to_be_visible()
    assert passages.count() >= 4
    first = passages.first
    expect(first.get_by_test_id("voice-badge")).to_be_visible()
    expect(first.get_by_test_id("reader-link")).to_be_visible()
    expect(first).to_contain_text("Joint Operations Command")
    # The time control stays on screen with the panel open: no scrolling needed to change the date.
    for control in ("play", "as-of-slider", "as-of-date"):
        box = page.get_by_test_id(control).bounding_box()
        assert box is not None and 0 <= box["y"] and box["y"] + box["height"] <= 768, (control, box)
    page.screenshot(path="/tmp/shots/story-iraq-1366.png")
    context.close()


def test_play_steps_through_the_events_from_the_keyboard_and_pauses(page):
    page.goto("/?select=actor:iraq")
    wait_for_network(page)
    play = page.get_by_test_id("play")
    stops = play.get_attribute("data-stops-event").split(",")
    assert stops[0] == "2011" and stops[-1] == "2015-09"  # the uprising … the month of the deal
    play.focus()
    page.keyboard.press("Enter")
    expect(play).to_have_attribute("aria-pressed", "true")
    wait_until(page, "new URLSearchParams(location.search).get('at') === '2011'")
    wait_until(page, "window.explorer.edges.get('iraq-intelligence-sharing-russia') === null")
    expect(page.get_by_test_id("as-of-date")).to_have_value("2011")
    wait_until(page, f"new URLSearchParams(location.search).get('at') === '{stops[1]}'", timeout=6)
    expect(page.get_by_test_id("panel-title")).to_have_text("Iraq")  # the panel follows in place
    assert "select=actor%3Airaq" in page.url or "select=actor:iraq" in page.url
    page.keyboard.press(" ")
    expect(play).to_have_attribute("aria-pressed", "false")
    paused_at = page.evaluate("new URLSearchParams(location.search).get('at')")
    page.wait_for_timeout(2000)
    assert page.evaluate("new URLSearchParams(location.search).get('at')") == paused_at


def test_an_inferred_date_says_why_on_focus(page):
    page.goto("/?select=relation:kerry-represents-united-states")
    interval = page.get_by_test_id("panel-relation").get_by_test_id("relation-interval")
    inferred = interval.locator("[data-provenance=inferred]")
    expect(inferred).to_have_count(2)
    inferred.last.focus()
    tip = inferred.last.evaluate("el => getComputedStyle(el, '::after').content")
    assert "Kerry left office on 20 January 2017" in tip
    stated = page.goto("/?select=relation:iran-military-support-assad")
    assert stated is not None
    expect(page.get_by_test_id("relation-interval").locator("[data-provenance=stated]")).to_have_text("2011")
