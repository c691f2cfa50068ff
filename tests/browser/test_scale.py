"""The explorer at 1,000 actors and 10,000 relations (scripts/bench_data.py, as the benchmark makes them):
drawn legibly and fast enough to use, its best-connected actor's relations summed up and paged.

Timings are the benchmark's business (scripts/bench.py); this test only waits with generous limits."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from webapp import create_app

from .conftest import checked_page

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import bench_data  # noqa: E402

MEDIUM = bench_data.Scale(actors=1000, relations=10000, sources=200, events=400)


@pytest.fixture
def medium_server(scratch_database, tmp_path):  # type: ignore[no-untyped-def]
    """A server on a database holding only the generated 1k/10k dataset, and the facts about it."""
    facts = bench_data.generate(tmp_path / "medium", MEDIUM)
    database = scratch_database("scale_medium")
    app = create_app({"DATABASE_URL": database.url, "AUTO_SETUP": False, "TESTING": True})
    runner = app.test_cli_runner()
    for args in (["db", "upgrade"], ["load", str(tmp_path / "medium")]):
        result = runner.invoke(args=args)
        assert result.exit_code == 0, result.output
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", facts
    server.shutdown()
    app.extensions["database"].dispose()


def test_the_best_connected_actor_of_a_large_network_is_found_summed_up_and_paged(browser, medium_server):
    url, facts = medium_server
    top, degree = facts["top_actor"], facts["top_degree"]
    assert degree > 2000  # one actor holds a large share, as in real data
    with checked_page(browser, url) as page:
        page.goto("/")
        page.wait_for_selector("#network[data-ready=true]", state="attached", timeout=60_000)
        summary = page.get_by_test_id("network-summary")
        assert "1000 actors · 10000 relations (3000 best evidenced drawn)" in " ".join(summary.inner_text().split())

        # Labels by level of detail: the few labelled are legible at the default fit, the rest are not
        # drawn until the user zooms in (vis-network draws a label from drawThreshold - 1 px on screen).
        sizes = page.evaluate("""() => { const n = window.explorer.network;
            const threshold = n.body.nodes[Object.keys(n.body.nodes)[0]].options.scaling.label.drawThreshold;
            const fonts = window.explorer.nodes.get().map(node => node.font.size);
            return {scale: n.getScale(), threshold, full: Math.max(...fonts), small: Math.min(...fonts),
                    labelled: fonts.filter(size => size === Math.max(...fonts)).length}; }""")
        assert 1 <= sizes["labelled"] <= 40
        assert sizes["full"] * sizes["scale"] >= 11.5
        assert sizes["small"] * sizes["scale"] < sizes["threshold"] - 1 <= sizes["small"] * sizes["scale"] * 2.5

        # 1,000 actors are not all listed in the page: the search box fetches its suggestions when first
        # used, and the focus menu offers the 50 most connected.
        assert page.locator("#actor-names option").count() == 0
        page.get_by_test_id("search").focus()
        page.wait_for_function("() => document.querySelectorAll('#actor-names option').length >= 1000")
        focus_choices = page.locator("[data-testid=focus] option").evaluate_all("os => os.map(o => o.value)")
        assert len(focus_choices) == 51 and focus_choices[0] == "" and top in focus_choices

        # Click the best-connected actor where it is drawn.
        point = page.evaluate("""id => { const n = window.explorer.network;
            const p = n.canvasToDOM(n.getPositions([id])[id]);
            const box = document.getElementById('network').getBoundingClientRect();
            return {x: box.left + p.x, y: box.top + p.y}; }""", top)
        page.mouse.click(point["x"], point["y"])
        overview = page.get_by_test_id("relation-overview")
        overview.wait_for(timeout=30_000)
        assert page.evaluate("() => new URLSearchParams(location.search).get('select')") == f"actor:{top}"
        assert f"{degree:,} relations with" in overview.text_content()
        by_type = page.get_by_test_id("overview-types").inner_text()
        assert by_type.startswith("By type:") and sum(
            int(part.split()[-1].replace(",", "")) for part in by_type.removeprefix("By type:").split("·")) == degree
        items = page.locator("[data-testid=relations-page] [data-testid=relation-item]")
        assert items.count() == 25
        assert page.get_by_test_id("relations-shown").inner_text() == f"25 of {degree:,} shown"

        # Show more appends the next page in place, twice.
        first_page = items.evaluate_all("items => items.map(item => item.dataset.relation)")
        for shown in (50, 75):
            page.get_by_test_id("relations-more-button").click()
            page.wait_for_function("n => document.querySelectorAll("
                                   "'[data-testid=relations-page] [data-testid=relation-item]').length === n",
                                   arg=shown, timeout=30_000)
            assert page.get_by_test_id("relations-shown").inner_text() == f"{shown} of {degree:,} shown"
        every = items.evaluate_all("items => items.map(item => item.dataset.relation)")
        assert every[:25] == first_page and len(set(every)) == 75
        assert page.get_by_test_id("relations-more").count() == 1  # one button, at the end

        # A relation of a later page opens like any other.
        items.nth(60).locator("[data-testid=counterpart-link]").click()
        page.wait_for_function("() => new URLSearchParams(location.search).get('select') !== 'actor:" + top + "'")

        # Found again by its name, from the fetched suggestions.
        page.get_by_test_id("search").fill(page.evaluate("id => window.explorer.nodes.get(id).label", top))
        page.get_by_test_id("search").press("Enter")
        page.wait_for_function("id => new URLSearchParams(location.search).get('select') === 'actor:' + id", arg=top)
        page.get_by_test_id("relation-overview").wait_for()
