"""The exports are valid by the standards' own schemas, vendored in tests/schemas/ (see the README there).

- GEXF against the GEXF 1.2draft XSD. The published XSD expects a node's color, position and size in
  the GEXF namespace, while Gephi and the GEXF primer write them as ``viz:`` elements: so the export
  keeps ``viz:`` (what Gephi reads), and before validating, ``for_gexf_xsd`` moves each ``viz:`` element
  into the GEXF namespace, where the XSD checks it against viz.xsd's types.
- GraphML against the GraphML 1.0 XSD.
- Annotation collections, their pages and single annotations against the MUST assertions of the W3C
  Web Annotation test suite (JSON Schema draft 4), run with ``jsonschema`` and its format checks (so
  an ``id`` that is not an absolute URI, or a ``created`` that is not a date-time, fails).

The last tests break each kind of document on purpose, to show that these checks do fail.
"""

from __future__ import annotations

import copy
import functools
import io
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from jsonschema import Draft4Validator, FormatChecker
from lxml import etree
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from webapp.services import annotations as notes_service

from .test_exports import download

SCHEMAS = Path(__file__).parent.parent / "schemas"
GEXF = "{http://www.gexf.net/1.2draft}"
VIZ = "{http://www.gexf.net/1.2draft/viz}"
WEB_ANNOTATION = SCHEMAS / "web-annotation"
ANNOTATION_MUSTS = "annotations/annotationMusts.test"
COLLECTION_MUSTS = "collections/collectionMusts.test"
PAGE_MUSTS = "collections/pages/pageMusts.test"
SOURCE = "pjtatler-2015-09-27-iraq-intel"
QUOTE = "This is not yet coordinated."
QUERIES = ["", "at=2015-10-01", "at=2012", "dataset=river-pact", "dataset=river-pact&at=2003",
           "from=2001&to=2004", "types=intelligence_sharing"]


# --- GEXF and GraphML -----------------------------------------------------------------------

@functools.cache
def xml_schema(path: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMAS / path)))


def xsd_errors(schema: str, document: Any) -> list[str]:
    validator = xml_schema(schema)
    if validator.validate(document):
        return []
    return [f"line {error.line}: {error.message}" for error in validator.error_log]


def for_gexf_xsd(body: bytes) -> tuple[Any, int]:
    """The GEXF document with its ``viz:`` elements moved into the GEXF namespace, and how many there were."""
    document = etree.parse(io.BytesIO(body))
    moved = list(document.iter(f"{VIZ}*"))
    for element in moved:
        element.tag = GEXF + etree.QName(element).localname
    return document, len(moved)


@pytest.mark.parametrize("query", QUERIES)
def test_gexf_is_valid_gexf_1_2draft(client, river_pact, query):
    body = download(client, "gexf", query).data
    document, viz = for_gexf_xsd(body)
    assert viz > 0  # the colours were checked too
    assert xsd_errors("gexf-1.2draft/gexf.xsd", document) == []


def test_the_gexf_checked_has_dates_for_gephis_timeline(client, river_pact):
    """The dynamic part is really validated: edges carry start and end dates."""
    graph = etree.fromstring(download(client, "gexf").data).find(f"{GEXF}graph")
    assert graph is not None and graph.get("mode") == "dynamic" and "name" not in graph.attrib
    edges = graph.findall(f"{GEXF}edges/{GEXF}edge")
    assert any(e.get("start") for e in edges) and any(e.get("end") for e in edges)


@pytest.mark.parametrize("query", QUERIES)
def test_graphml_is_valid_graphml_1_0(client, river_pact, query):
    document = etree.parse(io.BytesIO(download(client, "graphml", query).data))
    assert len(document.findall(".//{http://graphml.graphdrawing.org/xmlns}edge")) > 0
    assert xsd_errors("graphml-1.0/graphml.xsd", document) == []


# --- W3C Web Annotation ---------------------------------------------------------------------

@functools.cache
def _registry() -> Registry:
    definitions = [json.loads(p.read_text(encoding="utf-8")) for p in (WEB_ANNOTATION / "definitions").glob("*.json")]
    return Registry().with_resources(
        (d["id"], Resource.from_contents(d, default_specification=DRAFT4)) for d in definitions
    )


@functools.cache
def _assertions(test: str) -> tuple[Draft4Validator, ...]:
    """The validators for the assertions a W3C ``*Musts.test`` lists (every one of them a MUST)."""
    listed = json.loads((WEB_ANNOTATION / test).read_text(encoding="utf-8"))["assertions"]
    schemas = [json.loads((WEB_ANNOTATION / name).read_text(encoding="utf-8")) for name in listed]
    assert schemas and all(s["assertionType"] == "must" and s["expectedResult"] == "valid" for s in schemas)
    return tuple(Draft4Validator(s, registry=_registry(), format_checker=FormatChecker()) for s in schemas)


def failed_musts(test: str, document: Any) -> list[str]:
    """The assertions of ``test`` that ``document`` fails: their ids and the W3C's error messages."""
    return [f"{v.schema['id']}: {v.schema['errorMessage']}" for v in _assertions(test) if not v.is_valid(document)]


def annotation_failures(annotation: dict[str, Any], context: str | None = None) -> list[str]:
    """An annotation embedded in a collection has no ``@context`` of its own: it takes the collection's."""
    if context is not None:
        annotation = {"@context": context, **annotation}
    return failed_musts(ANNOTATION_MUSTS, annotation)


def check_collection(collection: dict[str, Any]) -> None:
    """A collection (its first page embedded) and each annotation on that page pass the MUSTs."""
    assert failed_musts(COLLECTION_MUSTS, collection) == []
    assert failed_musts(PAGE_MUSTS, collection) == []
    assert urlsplit(collection["id"]).scheme in ("http", "https")
    assert collection["first"]["partOf"] == collection["id"]
    for item in collection["first"]["items"]:
        assert annotation_failures(item, collection["@context"]) == [], item


@pytest.fixture
def some_notes(client, editor):  # type: ignore[no-untyped-def]
    """Notes of each kind: on records, on words of an article, tagged, private, deleted."""
    def post(payload: dict[str, Any]) -> str:
        response = client.post("/api/annotations", json=payload, headers=editor)
        assert response.status_code == 201, response.get_json()
        return str(response.get_json()["id"])

    ids = [
        post({"text": "Iraq hedges **both** ways.", "tags": ["hedging", "doubt"], "target": "/actors/iraq"}),
        post({"text": "On the deal.", "target": "/relations/iraq-intelligence-sharing-russia"}),
        post({"text": "Kerry sounds unsure.", "target": {
            "source": f"/sources/{SOURCE}", "selector": [{"type": "TextQuoteSelector", "exact": QUOTE}]}}),
        post({"text": "Only mine.", "visibility": "private", "target": "/actors/russia"}),
    ]
    gone = post({"text": "Deleted later.", "target": "/actors/syria"})
    assert client.delete(f"/api/annotations/{gone.rsplit('/', 1)[-1]}", headers=editor).status_code == 200
    return ids


def test_the_annotation_export_is_a_valid_annotation_collection(client, some_notes):
    response = client.get("/export/annotations.jsonld")
    collection = response.get_json()
    check_collection(collection)
    assert collection["id"] == "http://localhost/export/annotations.jsonld"
    assert collection["total"] == len(collection["first"]["items"]) == 3  # shared notes, for anonymous
    assert "next" not in collection["first"] and collection["last"] == collection["first"]["id"]


def test_the_cli_export_is_a_valid_annotation_collection(app, runner, tmp_path, some_notes):
    # A note imported with its quote only (no position): its target keeps the quote selector alone.
    with app.extensions["database"].transaction() as session:
        notes_service.import_collection(session, {"items": [{
            "id": "http://elsewhere.example/api/annotations/0f0f0f0f-0000-4000-8000-000000000001",
            "text": "Imported.", "creator": {"name": "ed"},
            "created": "2015-10-01T12:00:00Z", "modified": "2015-10-01T12:00:00Z",
            "target": {"source": SOURCE, "selector": {"type": "TextQuoteSelector", "exact": QUOTE}},
        }]})
    result = runner.invoke(args=["export", str(tmp_path), "--base-url", "https://explorer.example.org"])
    assert result.exit_code == 0, result.output
    collection = json.loads((tmp_path / "annotations.jsonld").read_text(encoding="utf-8"))
    check_collection(collection)
    assert collection["id"] == "https://explorer.example.org/export/annotations.jsonld"
    items = collection["first"]["items"]
    assert collection["total"] == len(items) == 6  # private and deleted ones too: a backup
    imported = next(i for i in items if i["id"].endswith("0f0f0f0f-0000-4000-8000-000000000001"))
    assert [s["type"] for s in imported["target"]["selector"]] == ["TextQuoteSelector"]


def test_a_single_annotation_is_valid(client, some_notes):
    for ident in some_notes[:3]:
        annotation = client.get(urlsplit(ident).path).get_json()
        assert annotation_failures(annotation) == [], annotation


def test_the_api_collection_is_paged_and_every_page_is_valid(client, some_notes, editor, monkeypatch):
    monkeypatch.setattr(notes_service, "PAGE_SIZE", 2)
    for n in range(2):
        client.post("/api/annotations", json={"text": f"More {n}.", "target": "/actors/iran"}, headers=editor)
    collection = client.get("/api/annotations").get_json()
    check_collection(collection)  # 5 shared notes: pages 0 and 1 of 2, and page 2 of 1
    assert (collection["id"], collection["total"]) == ("http://localhost/api/annotations", 5)
    assert collection["last"] == "http://localhost/api/annotations?page=2"

    seen, page = [item["id"] for item in collection["first"]["items"]], collection["first"]
    while "next" in page:
        page = client.get(urlsplit(page["next"]).path + "?" + urlsplit(page["next"]).query).get_json()
        assert failed_musts(PAGE_MUSTS, page) == [], page
        assert page["partOf"]["id"] == collection["id"] and page["partOf"]["total"] == 5
        assert page["startIndex"] == len(seen) and page["prev"]
        for item in page["items"]:
            assert annotation_failures(item, page["@context"]) == [], item
        seen += [item["id"] for item in page["items"]]
    assert page["id"] == collection["last"] and len(seen) == len(set(seen)) == 5
    assert client.get("/api/annotations?page=3").status_code == 404
    assert client.get("/api/annotations?page=first").status_code == 400


def test_a_filtered_api_collection_is_valid_and_names_its_filter(client, some_notes):
    collection = client.get("/api/annotations?tag=hedging").get_json()
    check_collection(collection)
    assert collection["id"] == "http://localhost/api/annotations?tag=hedging" and collection["total"] == 1
    empty = client.get("/api/annotations?tag=nothing-tagged-so").get_json()
    check_collection(empty)
    assert empty["total"] == 0 and empty["first"]["items"] == []


def test_import_reads_the_first_page_and_refuses_a_collection_cut_in_pages(app, client, some_notes, monkeypatch):
    exported = client.get("/export/annotations.jsonld").get_json()
    monkeypatch.setattr(notes_service, "PAGE_SIZE", 2)
    paged = client.get("/api/annotations").get_json()
    with app.extensions["database"].transaction() as session:
        assert notes_service.import_collection(session, exported).unchanged == 3
        with pytest.raises(notes_service.Invalid) as refused:
            notes_service.import_collection(session, paged)
    assert refused.value.field == "first.next"


# --- The checks fail on broken documents ----------------------------------------------------

def test_the_xsd_checks_catch_broken_gexf_and_graphml(client):
    document, _ = for_gexf_xsd(download(client, "gexf").data)
    broken = copy.deepcopy(document)
    broken.getroot().find(f"{GEXF}graph").set("name", "Alliance Explorer")  # networkx's habit
    assert any("'name'" in error for error in xsd_errors("gexf-1.2draft/gexf.xsd", broken))
    broken = copy.deepcopy(document)
    broken.getroot().find(f".//{GEXF}color").set("r", "300")  # a viz: colour out of range
    assert xsd_errors("gexf-1.2draft/gexf.xsd", broken)

    graphml = etree.parse(io.BytesIO(download(client, "graphml").data))
    graphml.getroot().find("{http://graphml.graphdrawing.org/xmlns}key").set("attr.type", "date")
    assert xsd_errors("graphml-1.0/graphml.xsd", graphml)


def test_the_w3c_assertions_catch_broken_annotations_and_collections(client, some_notes):
    collection = client.get("/export/annotations.jsonld").get_json()
    annotation = client.get(urlsplit(some_notes[2]).path).get_json()

    assert annotation_failures({**annotation, "id": urlsplit(annotation["id"]).path})  # not absolute
    assert annotation_failures({**annotation, "created": "27 September 2015"})
    assert annotation_failures({k: v for k, v in annotation.items() if k != "target"})
    positions = copy.deepcopy(annotation)
    positions["target"]["selector"].append({"type": "TextPositionSelector", "start": None, "end": None})
    assert annotation_failures(positions)

    assert failed_musts(COLLECTION_MUSTS, {**collection, "id": "/export/annotations.jsonld"})
    assert failed_musts(COLLECTION_MUSTS, {k: v for k, v in collection.items() if k != "first"})  # total > 0
    no_items = {**collection, "first": {k: v for k, v in collection["first"].items() if k != "items"}}
    assert failed_musts(PAGE_MUSTS, no_items)
    old_shape = {"@context": collection["@context"], "type": "AnnotationCollection", "total": collection["total"],
                 "items": collection["first"]["items"]}  # what the export wrote before
    assert failed_musts(COLLECTION_MUSTS, old_shape) and failed_musts(PAGE_MUSTS, old_shape)
