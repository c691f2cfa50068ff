"""The Download menu in Chromium: its links follow the date and filters as they change in place."""

from __future__ import annotations

import io
from urllib.parse import parse_qs, urlsplit

import networkx as nx
import pytest
from playwright.sync_api import expect

from .test_explorer import wait_for_network, wait_until

pytestmark = pytest.mark.browser

DEAL = "iraq-intelligence-sharing-russia"


def edge_count(gexf: bytes) -> int:
    return nx.read_gexf(io.BytesIO(gexf)).number_of_edges()


def test_download_menu_exports_the_date_shown(page):
    page.goto("/")
    wait_for_network(page)
    menu = page.get_by_test_id("download-menu")
    gexf = page.get_by_test_id("download-gexf")
    expect(gexf).to_be_hidden()
    unfiltered = page.request.get(gexf.get_attribute("href"))
    assert edge_count(unfiltered.body()) == 51

    page.get_by_test_id("as-of-date").fill("2012-01")
    page.get_by_test_id("as-of-apply").click()
    wait_until(page, f"window.explorer.edges.get('{DEAL}') === null")
    menu.locator("summary").click()
    expect(gexf).to_be_visible()
    href = gexf.get_attribute("href")
    assert urlsplit(href).path == "/export/graph.gexf"
    assert parse_qs(urlsplit(href).query) == {"at": ["2012-01"]}
    response = page.request.get(href)
    assert response.ok and response.headers["content-type"].startswith("application/gexf+xml")
    shown = page.evaluate("window.explorer.edges.length")
    assert edge_count(response.body()) == shown < 51  # the file holds what the network shows for January 2012

    with page.expect_download() as download:
        gexf.click()
    assert download.value.suggested_filename == "alliance-graph-at-2012-01.gexf"
    expect(gexf).to_be_hidden()  # choosing a format closes the menu


def test_download_links_follow_filters_but_not_the_selection(page):
    page.goto("/?at=2015-10&select=actor:iraq&group=actor")
    wait_for_network(page)
    page.get_by_test_id("types-filter").locator("summary").click()
    page.get_by_test_id("type-alliance").check()
    wait_until(page, "window.explorer.edges.get().every(e => e.type === 'alliance')")
    for fmt in ("json", "gexf", "graphml", "csv"):
        href = page.get_by_test_id(f"download-{fmt}").get_attribute("href")
        assert urlsplit(href).path == f"/export/graph.{fmt}"
        assert parse_qs(urlsplit(href).query) == {"at": ["2015-10"], "types": ["alliance"]}
    csv_text = page.request.get(page.get_by_test_id("download-csv").get_attribute("href")).text()
    rows = csv_text.strip().splitlines()[1:]
    assert rows and len(rows) == page.evaluate("window.explorer.edges.length")


def test_download_menu_closes_with_escape_and_outside_clicks(page):
    page.goto("/")
    wait_for_network(page)
    summary = page.get_by_test_id("download-toggle")
    summary.click()
    expect(page.get_by_test_id("download-csv")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("download-csv")).to_be_hidden()
    expect(summary).to_be_focused()
    summary.click()
    expect(page.get_by_test_id("download-csv")).to_be_visible()
    page.get_by_test_id("legend").click()
    expect(page.get_by_test_id("download-csv")).to_be_hidden()
