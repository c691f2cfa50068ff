"""Graph exports (SPEC §5 ``/export/graph.*``): the filtered network as GEXF, GraphML, JSON and CSV.

Everything starts from the dict ``graph.graph()`` returns, so an export holds
exactly what the explorer shows for the same filter. ``to_networkx`` builds a
``MultiDiGraph`` keyed by relation id (undirected relations keep
``directed=False`` as an attribute); the ``*_bytes`` functions serialise it.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import SubElement

import networkx as nx
from networkx.readwrite.gexf import GEXFWriter
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..dates import PartialDate
from ..jsonio import dumps
from ..models import Dataset
from . import graph as graph_service
from .filters import ViewFilter

FORMATS = ("json", "gexf", "graphml", "csv")
MEDIA_TYPES = {
    "json": "application/json",
    "gexf": "application/gexf+xml",
    "graphml": "application/graphml+xml",
    "csv": "text/csv",
}
CSV_COLUMNS = ("id", "from", "from_label", "to", "to_label", "type", "type_label", "sign", "directed",
               "start", "start_inferred", "end", "end_inferred", "confidence", "evidence_count", "independent_sources",
               "contested", "summary")
# Spreadsheets run a cell that starts with one of these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class Export:
    body: bytes
    media_type: str
    filename: str


def to_networkx(data: dict[str, Any], title: str = "Alliance Explorer") -> nx.MultiDiGraph:
    """The graph dict as a MultiDiGraph: nodes by actor id, edges keyed by relation id."""
    meta = data.get("meta", {})
    G = nx.MultiDiGraph(
        name=title,
        generator="Alliance Explorer",
        filter=_query_string(meta.get("filter", {})),
        revision=meta.get("revision", ""),
    )
    for node in data["nodes"]:
        G.add_node(node["id"], **{k: v for k, v in node.items() if k != "id"})
    for edge in data["edges"]:
        attributes = {k: v for k, v in edge.items() if k not in ("from", "to")}
        G.add_edge(edge["from"], edge["to"], key=edge["id"], **attributes)
    return G


def json_bytes(G: nx.MultiDiGraph) -> bytes:
    """node-link JSON (networkx, D3): lists and nulls kept as they are."""
    return dumps(nx.node_link_data(G, edges="edges"))


def graphml_bytes(G: nx.MultiDiGraph) -> bytes:
    """GraphML (Cytoscape, yEd): edge ids are relation ids."""
    lines = ["<?xml version='1.0' encoding='utf-8'?>", *nx.generate_graphml(_xml_safe(G))]
    return "\n".join(lines).encode("utf-8")


def gexf_bytes(G: nx.MultiDiGraph) -> bytes:
    """GEXF 1.2 for Gephi, in dynamic mode: each relation's interval drives Gephi's timeline."""
    safe = _xml_safe(G)
    safe.graph["mode"] = "dynamic"
    for _u, _v, attributes in safe.edges(data=True):
        # GEXF's own ``type`` is the edge direction and ``label`` the edge's caption.
        attributes["relation_type"] = attributes.pop("type")
        attributes["label"] = attributes.get("type_label", attributes["relation_type"])
        start, end = attributes.pop("start", None), attributes.pop("end", None)
        if start:
            attributes["start"] = PartialDate.parse(start).first.isoformat()
        if end:
            attributes["end"] = PartialDate.parse(end).last.isoformat()
    for _n, attributes in safe.nodes(data=True):
        rgb = _rgb(attributes.get("color"))
        if rgb:
            attributes["viz"] = {"color": dict(zip("rgb", rgb, strict=True))}
    writer = GEXFWriter(version="1.2draft")
    writer.add_graph(safe)
    # networkx writes the graph's name on <graph>, which the GEXF 1.2draft schema does not allow;
    # the name is in <meta><description> instead.
    writer.graph_element.attrib.pop("name", None)
    # Set even when no relation is dated, so Gephi never reads dates as numbers.
    writer.graph_element.set("timeformat", "date")
    meta = writer.xml.find("meta")
    if meta is not None:
        description = f"{G.graph['name']}; filter: {G.graph['filter'] or 'none'}; revision: {G.graph['revision']}"
        SubElement(meta, "description").text = description
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def csv_bytes(G: nx.MultiDiGraph) -> bytes:
    """One row per relation, with both actors' names, for spreadsheets (UTF-8, RFC 4180 quoting)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for u, v, attributes in G.edges(data=True):
        row = {
            **attributes,
            "from": u, "from_label": G.nodes[u].get("label", u),
            "to": v, "to_label": G.nodes[v].get("label", v),
        }
        writer.writerow({column: _csv_cell(column, row.get(column)) for column in CSV_COLUMNS})
    return out.getvalue().encode("utf-8")


SERIALISERS = {"json": json_bytes, "gexf": gexf_bytes, "graphml": graphml_bytes, "csv": csv_bytes}


def filename(view: ViewFilter, fmt: str) -> str:
    """``alliance-graph[-DATASET][-at-DATE | -from-DATE][-to-DATE].FMT``: the time filter is in the name."""
    parts = ["alliance-graph"]
    if view.dataset:
        parts.append(view.dataset)
    if view.at is not None:
        parts += ["at", str(view.at)]
    if view.date_from is not None:
        parts += ["from", str(view.date_from)]
    if view.date_to is not None:
        parts += ["to", str(view.date_to)]
    stem = _UNSAFE_FILENAME.sub("-", "-".join(parts)).strip("-")
    return f"{stem}.{fmt}"


def export_graph(session: Session, view: ViewFilter, fmt: str) -> Export:
    """The filtered network serialised as ``fmt`` (one of FORMATS), with its media type and file name."""
    data = graph_service.graph(session, view)
    G = to_networkx(data, title=dataset_title(session, view))
    return Export(SERIALISERS[fmt](G), MEDIA_TYPES[fmt], filename(view, fmt))


# --- helpers -------------------------------------------------------------


def dataset_title(session: Session, view: ViewFilter) -> str:
    """The titles of the datasets the view shows, for captions."""
    titles = session.execute(select(Dataset.id, Dataset.title).order_by(Dataset.id)).all()
    if view.dataset:
        titles = [row for row in titles if row.id == view.dataset]
    return "; ".join(row.title for row in titles) or "Alliance Explorer"


def _query_string(parameters: dict[str, str]) -> str:
    return "&".join(f"{k}={v}" for k, v in parameters.items())


def _xml_value(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return "; ".join(str(item) for item in value)
    return value


def _clean(attributes: dict[str, Any]) -> dict[str, Any]:
    """GEXF and GraphML have no null and no list: drop the first, join the second."""
    return {k: _xml_value(v) for k, v in attributes.items() if v is not None}


def _xml_safe(G: nx.MultiDiGraph) -> nx.MultiDiGraph:
    safe = nx.MultiDiGraph(**_clean(G.graph))
    safe.add_nodes_from((n, _clean(a)) for n, a in G.nodes(data=True))
    safe.add_edges_from((u, v, k, _clean(a)) for u, v, k, a in G.edges(keys=True, data=True))
    return safe


def _rgb(color: Any) -> tuple[int, int, int] | None:
    if not isinstance(color, str) or not re.fullmatch(r"#[0-9A-Fa-f]{6}", color):
        return None
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def _csv_cell(column: str, value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and column in ("from_label", "to_label", "type_label", "summary") \
            and value.startswith(_FORMULA_START):
        return "'" + value
    return value

