"""Stored network positions (issue 13): a load lays the network out once for every process, an edit
keeps every position and puts a new actor beside its neighbours, and a database without positions
gets them once."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

from sqlalchemy import func, select

from webapp.models import Actor, ActorPosition, NetworkLayout
from webapp.services import labels, network
from webapp.services.graph import data_revision

from ..conftest import RIVER_PACT


def drawn(client, query: str = "") -> dict:  # type: ignore[no-untyped-def]
    response = client.get(f"/explorer/network.json{query}")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response.get_json()


def points(network_json: dict) -> dict[str, tuple[float, float]]:
    return {n["id"]: (n["x"], n["y"]) for n in network_json["nodes"]}


def stored_layout(app) -> tuple[int, NetworkLayout | None]:  # type: ignore[no-untyped-def]
    with app.extensions["database"].session() as session:
        return (session.scalar(select(func.count()).select_from(ActorPosition)),
                session.get(NetworkLayout, 1))


def changed_copy(tmp_path: Path) -> Path:
    """river-pact with one more actor and one relation that changed sign (hostility → cooperation)."""
    target = tmp_path / "river-pact"
    shutil.copytree(RIVER_PACT, target)
    actors = target / "actors.yaml"
    actors.write_text(actors.read_text(encoding="utf-8") + (
        "- id: hill-town\n  name: Hill Town\n  kind: group\n  bloc: highland-front\n"), encoding="utf-8")
    relations = target / "relations.yaml"
    text = relations.read_text(encoding="utf-8")
    assert "  target: lowland\n  type: hostility\n" in text
    changed = text.replace("  target: lowland\n  type: hostility\n", "  target: lowland\n  type: cooperation\n", 1)
    relations.write_text(changed, encoding="utf-8")
    return target


def test_a_load_lays_the_network_out_once_and_every_request_draws_those_positions(app, client, runner, tmp_path):
    assert runner.invoke(args=["load", str(RIVER_PACT)]).exit_code == 0
    count, layout = stored_layout(app)
    with app.extensions["database"].session() as session:
        assert count == session.scalar(select(func.count()).select_from(Actor))  # seed and river-pact, every actor
        assert layout is not None and layout.revision == data_revision(session)
        stored = {row.actor_id: (row.x, row.y) for row in session.scalars(select(ActorPosition))}
        # What was stored is the layout this data gets from scratch, in any process.
        network._computed.clear()
        assert stored == network._compute_layout(session)
    first = drawn(client, "?include_isolated=1")
    assert first["meta"]["layout"] == layout.stamp
    assert points(first) == {ident: stored[ident] for ident in points(first)}

    # Loading the same files again changes nothing, the layout included.
    again = runner.invoke(args=["load", str(RIVER_PACT)])
    assert again.exit_code == 0 and "nothing changed" in again.output
    assert stored_layout(app)[1].stamp == layout.stamp  # type: ignore[union-attr]

    # A load that changes the graph lays it out again, at load time: the new actor has its place at once.
    changed = runner.invoke(args=["load", str(changed_copy(tmp_path))])
    assert changed.exit_code == 0, changed.output
    count_after, relaid = stored_layout(app)
    assert count_after == count + 1 and relaid is not None and relaid.stamp != layout.stamp
    after = drawn(client, "?include_isolated=1")
    assert after["meta"]["layout"] == relaid.stamp and "hill-town" in points(after)


def test_a_database_without_positions_gets_them_once_from_the_first_request(app, client):
    # The test database was loaded without the CLI, as a database upgraded from 0010 holds its data.
    assert stored_layout(app) == (0, None)
    first = drawn(client)
    count, layout = stored_layout(app)
    assert layout is not None and count == 17 and first["meta"]["layout"] == layout.stamp
    # Every later request reads them; nothing is written again.
    assert points(drawn(client, "?at=2015-10-01")) == {n: p for n, p in points(first).items()
                                                       if n in points(drawn(client, "?at=2015-10-01"))}
    assert drawn(client)["meta"]["layout"] == layout.stamp and stored_layout(app)[1].stamp == layout.stamp  # type: ignore[union-attr]


def test_an_edit_keeps_every_position_and_puts_a_new_actor_beside_its_neighbours(app, client, editor):
    before = points(drawn(client))
    stamp = drawn(client)["meta"]["layout"]
    # A new actor with no relation yet: placed by its bloc, and nothing else moves.
    created = client.post("/api/actors", json={"name": "Hezbollah", "kind": "armed_group", "bloc": "axis"},
                          headers=editor)
    assert created.status_code == 201, created.get_json()
    actor_id = created.get_json()["id"]
    alone = points(drawn(client, "?include_isolated=1"))
    assert actor_id in alone and {n: alone[n] for n in before} == before
    # Its first relation moves it once, beside its neighbour; still nothing else moves.
    relation = client.post("/api/relations", json={
        "source": actor_id, "target": "iran", "type": "military_support", "confidence": "medium",
        "evidence": [{"source": "pjtatler-2015-09-27-iraq-intel", "quote": "training and advising Iraqi forces",
                      "voice": "report"}]}, headers=editor)
    assert relation.status_code == 201, relation.get_json()
    after_json = drawn(client)
    after = points(after_json)
    assert {n: after[n] for n in before} == before
    assert after_json["meta"]["layout"] != stamp  # stored, for every process
    new = after[actor_id]
    closest = sorted((n for n in after if n != actor_id), key=lambda n: math.dist(new, after[n]))
    assert "iran" in closest[:3]
    # Its box (shape and label) overlaps no other node's or label: the seed stays readable.
    font = float(network.OPTIONS["nodes"]["font"]["size"])
    nodes = after_json["nodes"]
    extents = [labels.node_extent(n["label"], n["size"], font, triangle=n["shape"].startswith("triangle"))
               for n in nodes]
    assert labels.overlaps([(n["x"], n["y"]) for n in nodes], extents) == 0
    # A later edit elsewhere (a new data revision) moves nothing at all.
    patch = client.patch("/api/relations/iraq-alliance-iran", json={"summary": "Close ties since 2003."},
                         headers={**editor, "If-Match": '"1"'})
    assert patch.status_code == 200, patch.get_json()
    latest = drawn(client)
    assert points(latest) == after and latest["meta"]["revision"] != after_json["meta"]["revision"]
    assert latest["meta"]["layout"] == after_json["meta"]["layout"]


def test_large_networks_start_on_igraphs_grid_and_end_spread_out():
    import random

    import networkx as nx

    rng = random.Random(3)
    graph = nx.Graph()
    start = {}
    count = network.FR_GRID_FROM + 500
    for i in range(count):
        graph.add_node(f"a{i}", bloc=("d", f"b{i % 5}"))
        start[f"a{i}"] = (math.cos(i), math.sin(i))
    for _ in range(6 * count):
        a, b = min(int(rng.paretovariate(1.0)) - 1, count - 1), rng.randrange(count)  # one hub holds many
        if a != b:
            graph.add_edge(f"a{a}", f"a{b}", weight=rng.choice((2.0, 0.6, 0.3)))
    first = network._fruchterman_reingold(graph, start)
    assert first == network._fruchterman_reingold(graph, start)  # the same data, the same picture
    xs, ys = [p[0] for p in first.values()], [p[1] for p in first.values()]
    assert max(map(abs, xs + ys)) <= 1.0 + 1e-9 and max(max(xs) - min(xs), max(ys) - min(ys)) > 1.9
    # No pile of nodes on top of each other (the grid's cut-off alone leaves some 15 % so at 5,000).
    values = list(first.values())
    cell: dict[tuple[int, int], list[tuple[float, float]]] = {}
    for p in values:
        cell.setdefault((int(p[0] * 250), int(p[1] * 250)), []).append(p)
    stacked = sum(1 for p in values if any(q is not p and math.dist(p, q) < 0.004
                                         for dx in (-1, 0, 1) for dy in (-1, 0, 1)
                                         for q in cell.get((int(p[0] * 250) + dx, int(p[1] * 250) + dy), [])))
    assert stacked / len(values) < 0.03
