"""The explorer as a user drives it in Chromium: network, panels, timeline, reader, URL state."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def wait_for_network(page):
    page.wait_for_selector("#network[data-ready=true]", timeout=20000)


def wait_until(page, expression, timeout=10.0):
    """Poll a JavaScript expression (page.wait_for_function would eval, which our CSP forbids)."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if page.evaluate(expression):
            return
        page.wait_for_timeout(50)
    pytest.fail(f"timed out waiting for {expression}")


def node_point(page, node_id):
    return page.evaluate(
        """(id) => {
            const net = window.explorer.network;
            const canvas = net.getPositions([id])[id];
            const dom = net.canvasToDOM(canvas);
            const box = document.querySelector('#network').getBoundingClientRect();
            return {x: box.left + dom.x, y: box.top + dom.y};
        }""",
        node_id,
    )


def edge_point(page, edge_id):
    """A point on the drawn edge: walk the line between its ends until vis-network reports the edge."""
    return page.evaluate(
        """(id) => {
            const net = window.explorer.network;
            const edge = window.explorer.edges.get(id);
            const pos = net.getPositions([edge.from, edge.to]);
            const a = net.canvasToDOM(pos[edge.from]), b = net.canvasToDOM(pos[edge.to]);
            const box = document.querySelector('#network').getBoundingClientRect();
            for (let t = 0.3; t <= 0.7; t += 0.01) {
              for (let off = -12; off <= 12; off += 2) {
                const dx = b.x - a.x, dy = b.y - a.y, len = Math.hypot(dx, dy);
                const p = {x: a.x + dx * t - dy / len * off, y: a.y + dy * t + dx / len * off};
                if (net.getEdgeAt(p) === id && net.getNodeAt(p) === undefined) {
                  return {x: box.left + p.x, y: box.top + p.y};
                }
              }
            }
            return null;
        }""",
        edge_id,
    )


def test_default_view_shows_the_network_legend_and_header(page):
    page.goto("/")
    wait_for_network(page)
    assert page.evaluate("window.explorer.nodes.length") == 17
    assert page.evaluate("window.explorer.edges.length") == 51
    expect(page.get_by_test_id("dataset-title")).to_contain_text("Iraq")
    expect(page.get_by_test_id("source-count")).to_have_text("1 source")
    expect(page.get_by_test_id("legend")).to_contain_text("U.S.-led coalition")


def test_clicking_iraq_opens_its_panel_with_evidence(page):
    page.goto("/")
    wait_for_network(page)
    point = node_point(page, "iraq")
    page.mouse.click(point["x"], point["y"])
    panel = page.get_by_test_id("panel-actor")
    expect(panel).to_be_visible()
    expect(page.get_by_test_id("panel-title")).to_have_text("Iraq")
    sharing = panel.locator("[data-relation=iraq-intelligence-sharing-russia]")
    sharing.locator("summary").click()
    evidence = sharing.get_by_test_id("evidence").first
    expect(evidence).to_contain_text(re.compile(r"intel|collecting information", re.I))
    expect(evidence.get_by_test_id("voice-badge")).to_be_visible()
    expect(evidence.get_by_test_id("evidence-source")).to_contain_text("Iraq Signs Deal to Share Intel")
    assert "select=actor%3Airaq" in page.url or "select=actor:iraq" in page.url


def test_clicking_an_edge_opens_the_relation(page):
    page.goto("/")
    wait_for_network(page)
    point = edge_point(page, "united-states-non-cooperation-iran")
    assert point is not None
    page.mouse.click(point["x"], point["y"])
    panel = page.get_by_test_id("panel-relation")
    expect(panel).to_be_visible()
    expect(panel).to_contain_text("not coordinating their efforts with Iran")


def test_counterpart_link_selects_it_in_the_network(page):
    page.goto("/?select=actor:iraq")
    wait_for_network(page)
    page.get_by_test_id("counterpart-link").filter(has_text="Russia").first.click()
    expect(page.get_by_test_id("panel-title")).to_have_text("Russia")
    assert page.evaluate("window.explorer.network.getSelectedNodes()") == ["russia"]


def test_timeline_event_opens_its_panel(page):
    page.goto("/")
    wait_for_network(page)
    page.locator("#tl-event-joc-statement-2015-09-27").click()
    expect(page.get_by_test_id("panel-event")).to_contain_text("Joint Operations Command")


def test_date_changes_the_network_in_place(page):
    page.goto("/")
    wait_for_network(page)
    page.evaluate("window.__sameDocument = true")
    edge = "iraq-intelligence-sharing-russia"
    assert page.evaluate(f"window.explorer.edges.get('{edge}') !== null")
    page.get_by_test_id("as-of-date").fill("2012")
    page.get_by_test_id("as-of-apply").click()
    wait_until(page, f"window.explorer.edges.get('{edge}') === null")
    in_2012 = len(page.request.get("/api/graph?at=2012").json()["edges"])
    expect(page.get_by_test_id("network-summary")).to_contain_text(f"{in_2012} relations")
    assert "at=2012" in page.url
    page.wait_for_load_state("networkidle")  # the timeline (and its slider) has been swapped in
    slider = page.get_by_test_id("as-of-slider")
    months = slider.get_attribute("data-months").split(",")
    slider.evaluate(
        "(el, i) => { el.value = i; el.dispatchEvent(new Event('input', {bubbles: true}));"
        " el.dispatchEvent(new Event('change', {bubbles: true})); }",
        months.index("2015-10"),
    )
    wait_until(page, f"window.explorer.edges.get('{edge}') !== null")
    assert "at=2015-10" in page.url
    assert page.evaluate("window.__sameDocument") is True  # no page reload happened


def test_a_shared_url_restores_selection_date_and_filters(page):
    page.goto("/?at=2012-06&select=actor:iraq&types=alliance,hostility&min_confidence=high")
    wait_for_network(page)
    types = set(page.evaluate("window.explorer.edges.get().map(e => e.type)"))
    assert types <= {"alliance", "hostility"} and types
    expect(page.get_by_test_id("panel-title")).to_have_text("Iraq")
    expect(page.get_by_test_id("as-of-date")).to_have_value("2012-06")
    expect(page.get_by_test_id("type-alliance")).to_be_checked()
    expect(page.get_by_test_id("confidence")).to_have_value("high")
    assert page.evaluate("window.explorer.network.getSelectedNodes()") == ["iraq"]
    page.reload()
    wait_for_network(page)
    expect(page.get_by_test_id("panel-title")).to_have_text("Iraq")


def test_back_and_forward_restore_the_view(page):
    page.goto("/")
    wait_for_network(page)
    page.locator("#tl-event-joc-statement-2015-09-27").click()
    expect(page.get_by_test_id("panel-event")).to_be_visible()
    page.get_by_test_id("as-of-date").fill("2012")
    page.get_by_test_id("as-of-apply").click()
    wait_until(page, "window.explorer.edges.get('iraq-intelligence-sharing-russia') === null")
    page.go_back()
    wait_until(page, "window.explorer.edges.get('iraq-intelligence-sharing-russia') !== null")
    expect(page.get_by_test_id("panel-event")).to_be_visible()


def test_search_by_alias_selects_the_actor(page):
    page.goto("/")
    wait_for_network(page)
    page.get_by_test_id("search").fill("Daesh")
    page.get_by_test_id("search").press("Enter")
    expect(page.get_by_test_id("panel-title")).to_have_text("Islamic State")


def test_searching_for_an_unknown_actor_says_so_and_keeps_the_selection(page):
    page.goto("/?select=actor:iraq")
    wait_for_network(page)
    page.get_by_test_id("search").fill("Obama")
    page.get_by_test_id("search").press("Enter")
    expect(page.get_by_test_id("search-error")).to_have_text(re.compile("No actor is called “Obama”"))
    expect(page.get_by_test_id("panel-title")).to_have_text("Iraq")
    page.get_by_test_id("search").fill("Daesh")
    page.get_by_test_id("search").press("Enter")
    expect(page.get_by_test_id("panel-title")).to_have_text("Islamic State")
    expect(page.get_by_test_id("search-error")).to_be_hidden()


def test_an_impossible_date_in_the_date_box_gets_one_clear_message(page):
    page.goto("/?select=actor:iraq")
    wait_for_network(page)
    for bad in ("2015-02-30", "2015-13"):
        page.fill("#as-of-date", bad)
        page.keyboard.press("Enter")
    expect(page.locator("#panel .error-note")).to_have_text("'at': '2015-13' has no month 13")
    expect(page.locator("#panel .error-note")).to_have_count(1)
    expect(page.get_by_test_id("toast")).to_contain_text("no month 13")  # the panel's refusal has arrived too
    page.wait_for_load_state("networkidle")  # every refused request has answered…
    page.problems.console_errors.clear()  # …and Chromium and htmx log each 400 as a console error


def test_reader_highlights_link_back_and_passage_links_flash(page):
    page.goto("/?select=actor:iraq")
    wait_for_network(page)
    link = page.get_by_test_id("reader-link").first
    href = link.get_attribute("href")
    page.goto(href)
    flashed = page.locator("mark.hl.flash")
    expect(flashed.first).to_be_visible()
    expect(page.get_by_test_id("reader-supports")).to_contain_text("Supports")
    page.get_by_test_id("highlight").nth(2).click()
    back = page.get_by_test_id("reader-supports").locator("[data-testid=supports-relation]").first
    expect(back).to_be_visible()
    back.click()
    wait_for_network(page)
    expect(page.get_by_test_id("panel-relation")).to_be_visible()


def test_reader_mentions_open_actor_panels(page):
    page.goto("/sources/pjtatler-2015-09-27-iraq-intel")
    page.get_by_test_id("mention").filter(has_text="Tehran").first.click()
    expect(page.get_by_test_id("panel-title")).to_have_text("Iran")


def test_list_view_works_with_the_keyboard_alone(page):
    page.goto("/list")
    first_actor = page.get_by_test_id("list-actor").first
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.dataset.testid === 'list-actor'"):
            break
    else:
        pytest.fail("tabbing never reached the actors table")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"  # focus is visible
    name = first_actor.inner_text()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("panel-title")).to_have_text(name)
    assert "select=actor" in page.url


@pytest.mark.parametrize("width", [1366, 768])
def test_layout_fits_common_widths(browser, live_server, width):
    context = browser.new_context(viewport={"width": width, "height": 900}, base_url=live_server)
    page = context.new_page()
    page.goto("/?select=actor:iraq")
    wait_for_network(page)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"page scrolls sideways by {overflow}px at {width}px"
    network_box = page.locator("#network").bounding_box()
    panel_box = page.locator("#panel").bounding_box()
    if width <= 800:
        assert panel_box["y"] >= network_box["y"] + network_box["height"] - 1  # panels stack
    else:
        assert panel_box["x"] >= network_box["x"] + network_box["width"] - 1  # side by side
    context.close()
