"""A network too large to draw in full: drawn for speed, its best-evidenced relations, and said so.

The limits are lowered to the seed's size here; at their real values they apply from 300 actors and
3,000 relations (scripts/bench.py measures what they buy at 5,000 actors and 50,000 relations)."""

from __future__ import annotations

import pytest

from webapp.services import labels, network
from webapp.services.filters import ViewFilter
from webapp.services.graph import graph


@pytest.fixture
def small_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(network, "LABEL_LIMIT", 5)
    monkeypatch.setattr(network, "DRAWN_EDGE_LIMIT", 10)
    monkeypatch.setattr(network, "LABELLED_ACTORS", 3)


def test_the_seed_is_drawn_whole_with_every_label(session):
    drawn = network.vis_network(session, ViewFilter())
    assert drawn["meta"]["large"] is False
    assert drawn["meta"]["drawn_edge_count"] == drawn["meta"]["edge_count"] == len(drawn["edges"])
    assert not any("font" in node for node in drawn["nodes"])
    assert drawn["options"]["edges"]["smooth"]["enabled"] is True
    assert drawn["options"]["interaction"]["hover"] is True


def test_a_large_network_draws_its_best_evidenced_relations_straight(session, small_limits):
    everything = graph(session, ViewFilter())
    drawn = network.vis_network(session, ViewFilter())
    assert drawn["meta"]["large"] is True
    assert drawn["meta"]["edge_count"] == len(everything["edges"]) > 10
    assert drawn["meta"]["drawn_edge_count"] == len(drawn["edges"]) == 10
    strength = {e["id"]: (e["independent_sources"], e["evidence_count"]) for e in everything["edges"]}
    weakest_drawn = min(strength[e["id"]] for e in drawn["edges"])
    left_out = [strength[i] for i in strength if i not in {e["id"] for e in drawn["edges"]}]
    assert max(left_out) <= weakest_drawn
    # Straight edges, no repaint on hover, edges hidden while dragging or zooming.
    options = drawn["options"]
    assert options["edges"]["smooth"]["enabled"] is False
    assert options["interaction"]["hover"] is False and options["interaction"]["hideEdgesOnDrag"] is True
    assert options["nodes"]["font"]["size"] == network.OPTIONS["nodes"]["font"]["size"]  # merged, not replaced


def test_a_large_network_labels_its_most_evidenced_actors_legibly_and_the_rest_on_zooming(session, small_limits):
    drawn = network.vis_network(session, ViewFilter())
    evidence = {n["id"]: n["evidence_count"] for n in graph(session, ViewFilter())["nodes"]}
    sizes = sorted({n["font"]["size"] for n in drawn["nodes"]})
    assert len(sizes) == 2
    small, full = sizes
    labelled = [n for n in drawn["nodes"] if n["font"]["size"] == full]
    assert len(labelled) == 3
    assert full >= network.OPTIONS["nodes"]["font"]["size"]
    assert small < full / 1.9  # drawn from about twice the zoom (tests/browser/test_scale.py looks on screen)
    # The most evidenced first, skipping one whose label would cover one already chosen.
    boxes = {n["id"]: labels.node_extent(n["label"], n["size"], full) for n in labelled}
    at = {n["id"]: (n["x"], n["y"]) for n in labelled}
    for i, first in enumerate(labelled):
        for second in labelled[i + 1:]:
            assert not network._meet(at[first["id"]], boxes[first["id"]], at[second["id"]], boxes[second["id"]],
                                     network.LABEL_GAP)
    assert max(evidence, key=lambda a: evidence[a]) in at


def test_the_explorer_says_how_many_relations_it_draws(client, small_limits):
    page = client.get("/").get_data(as_text=True)
    assert "(<span data-count=\"drawn\">10</span> best evidenced drawn)" in page
    assert client.get("/explorer/network.json").json["meta"]["drawn_edge_count"] == 10
