"""/export/network.svg: the network as drawn, with its legend, date and sources, under the view's filters."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from sqlalchemy import update

from webapp.models import Actor, Source

SVG = "{http://www.w3.org/2000/svg}"
DEAL = "iraq-intelligence-sharing-russia"
CREDIT = ("Source: Iraq Signs Deal to Share Intel on Islamic State With Russia, Syria, and Iran"
          " — The PJ Tatler (PJ Media)")


def picture(client, query: str = "") -> ET.Element:  # type: ignore[no-untyped-def]
    response = client.get("/export/network.svg" + (f"?{query}" if query else ""))
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "image/svg+xml"
    return ET.fromstring(response.data)  # well-formed XML, or this raises


def texts(root: ET.Element, group: str | None = None) -> list[str]:
    """Every line of text drawn (in one ``<g class=group>`` if given), tspans of a wrapped line joined."""
    scope = root if group is None else root.find(f".//{SVG}g[@class='{group}']")
    assert scope is not None, f"no {group} group"
    return [" ".join(t.strip() for t in el.itertext() if t.strip()) for el in scope.iter(f"{SVG}text")]


def drawn(root: ET.Element, attribute: str) -> set[str]:
    return {el.get(attribute, "") for el in root.iter(f"{SVG}g") if el.get(attribute)}


def test_the_picture_draws_each_actor_with_the_legend_the_date_and_the_source(client):
    response = client.get("/export/network.svg?at=2015-10-01")
    assert response.headers["Content-Disposition"] == 'attachment; filename="alliance-network-2015-10-01.svg"'
    root = ET.fromstring(response.data)
    assert root.tag == f"{SVG}svg" and float(root.get("width", 0)) >= 1200 and float(root.get("height", 0)) >= 800

    graph = client.get("/api/graph?at=2015-10-01").json
    labels = texts(root, "labels")
    assert sorted(labels) == sorted(n["label"] for n in graph["nodes"]) and "Iraq" in labels
    assert drawn(root, "data-relation") == {e["id"] for e in graph["edges"]}
    header = " ".join(texts(root, "header"))
    assert "as of 2015-10-01" in header and f"{len(graph['nodes'])} actors" in header

    legend = texts(root, "legend")
    for entry in ("Russia–Iran–Syria–Iraq", "U.S.-led coalition", "Islamic State", "Syrian opposition",
                  "cooperative", "adversarial", "structural (leads, represents)", "state", "person"):
        assert entry in legend
    # The swatches are the blocs' colours, and the line samples the explorer's line styles.
    assert {c.get("fill") for c in root.iterfind(f".//{SVG}g[@class='legend-bloc']/{SVG}circle")} >= \
        {"#c0392b", "#1f6fb2", "#3d3d3d", "#2e8b57"}
    dashes = [line.get("stroke-dasharray") for line in root.iterfind(f".//{SVG}g[@class='legend-sign']/{SVG}line")]
    assert dashes[:3] == [None, "8 6", "2 5"]

    assert texts(root, "credits") == [CREDIT]


def test_the_picture_honours_the_date_and_the_filters(client):
    everything = picture(client)
    assert "all dates" in " ".join(texts(everything, "header"))
    assert DEAL in drawn(everything, "data-relation") and len(drawn(everything, "data-relation")) == 51

    in_2012 = picture(client, "at=2012-06-01")
    assert "as of 2012-06-01" in " ".join(texts(in_2012, "header"))
    assert DEAL not in drawn(in_2012, "data-relation")
    api_2012 = {e["id"] for e in client.get("/api/graph?at=2012-06-01").json["edges"]}
    assert drawn(in_2012, "data-relation") == api_2012 and len(api_2012) < 51

    coalition = picture(client, "blocs=coalition")
    expected = {n["label"] for n in client.get("/api/graph?blocs=coalition").json["nodes"]}
    assert set(texts(coalition, "labels")) == expected
    assert "United States" in expected and "Iraq" not in expected and "Russia" not in texts(coalition, "labels")
    assert "Russia–Iran–Syria–Iraq" not in texts(coalition, "legend")
    assert "Filters: blocs: U.S.-led coalition" in texts(coalition, "header")


def test_a_filter_that_leaves_nothing_says_so_and_credits_no_source(client):
    root = picture(client, "blocs=jihadist")  # one actor alone: no relation inside the bloc
    assert drawn(root, "data-actor") == set()
    assert "No relations match this date and these filters." in texts(root, "network")
    assert texts(root, "credits") == ["Source: no passages back the relations drawn."]


def test_names_and_titles_are_escaped(client, session):
    session.execute(update(Actor).where(Actor.id == "iraq").values(name='Iraq <script>alert(1)</script> & "Co"'))
    session.execute(update(Source).values(title="<b>Deal</b> & more", publisher=None))
    session.commit()
    response = client.get("/export/network.svg")
    assert b"<script>" not in response.data and b"<b>" not in response.data
    root = ET.fromstring(response.data)
    assert 'Iraq <script>alert(1)</script> & "Co"' in texts(root, "labels")
    assert texts(root, "credits") == ["Source: <b>Deal</b> & more"]


def test_a_bad_filter_is_a_400_naming_it(client):
    response = client.get("/export/network.svg?at=2015-13")
    assert response.status_code == 400
    assert "at" in response.get_data(as_text=True)


def test_the_explorer_offers_the_picture_for_the_view_shown(client):
    page = client.get("/?at=2015-10&types=alliance&select=actor:iraq").get_data(as_text=True)
    assert 'href="/export/network.svg?at=2015-10&amp;types=alliance" data-export data-testid="download-svg"' in page
    assert 'data-image-png data-testid="download-png"' in page
