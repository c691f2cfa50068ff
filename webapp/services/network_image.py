"""The network as a picture (``/export/network.svg``): what the explorer draws, with legend, date and sources.

Everything comes from ``network.vis_network`` — the positions, colours, shapes,
line styles and sizes the page hands to vis-network — so the picture matches the
explorer under the same filter. The SVG is built with ``xml.etree``, which
escapes every text and attribute; the browser rasterises it for the PNG.

Text is set in the bundled Source Sans 3, embedded in the file (SIL OFL allows it), so the labels the
layout kept apart in that font stay apart in any viewer, and widths are measured with its metrics.
"""

from __future__ import annotations

import base64
import functools
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..config import PROJECT_ROOT
from ..datasets.vocabulary import SIGN_NAMES
from ..models import Actor, Bloc, Passage, RelationEvidence, Source
from .exports import Export, dataset_title
from .filters import ViewFilter
from .graph import relation_types
from .labels import text_width
from .network import OPTIONS, SHAPES, SIGN_STYLE, vis_network

SVG_NS = "http://www.w3.org/2000/svg"
MEDIA_TYPE = "image/svg+xml"
FONT_FAMILY = "SourceSans3"  # as static/css/app.css and vis-network's options name it
FONT = f"{FONT_FAMILY}, 'Source Sans 3', system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif"
# The Latin subsets of the bundled font (app.css gives the same unicode ranges), embedded in each picture.
FONT_FILES = (
    ("latin", "U+0000-00FF,U+0131,U+0152-0153,U+02BB-02BC,U+02C6,U+02DA,U+02DC,U+0304,U+0308,U+0329,"
              "U+2000-206F,U+20AC,U+2122,U+2191,U+2193,U+2212,U+2215,U+FEFF,U+FFFD"),
    ("latin-ext", "U+0100-02BA,U+02BD-02C5,U+02C7-02CC,U+02CE-02D7,U+02DD-02FF,U+0304,U+0308,U+0329,"
                  "U+1D00-1DBF,U+1E00-1E9F,U+1EF2-1EFF,U+2020,U+20A0-20AB,U+20AD-20C0,U+2113,U+2C60-2C7F,U+A720-A7FF"),
)
FONT_DIR = PROJECT_ROOT / "static" / "vendor"
INK, MUTED, RULE = "#1d2733", "#5b6573", "#d5dae1"
NO_BLOC_COLOR = "#7f8c8d"
_NODE_OPTIONS = cast(dict[str, Any], OPTIONS["nodes"])
_EDGE_OPTIONS = cast(dict[str, Any], OPTIONS["edges"])
LABEL_SIZE = int(_NODE_OPTIONS["font"]["size"])
MARGIN = 48
MIN_WIDTH = 1400
MAX_CREDITS = 12
# Widths come from the regular face's metrics; bold runs about 6 % wider, and a viewer that ignores the
# embedded font falls back to a system sans-serif that may be wider still: leave room for both.
BOLD, SLACK = 1.08, 1.05
SIGN_LEGEND = ((1, SIGN_NAMES[1]), (-1, SIGN_NAMES[-1]), (0, f"{SIGN_NAMES[0]} (leads, represents)"))
_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class Credit:
    title: str
    publisher: str | None

    @property
    def text(self) -> str:
        return f"{self.title} — {self.publisher}" if self.publisher else self.title


def date_label(view: ViewFilter) -> str:
    """The date the picture shows, as its caption says it: "as of 2015-10-01", "all dates"…"""
    if view.at is not None:
        return f"as of {view.at}"
    if view.date_from is not None and view.date_to is not None:
        return f"from {view.date_from} to {view.date_to}"
    if view.date_from is not None:
        return f"from {view.date_from} on"
    if view.date_to is not None:
        return f"until {view.date_to}"
    return "all dates"


def filename(view: ViewFilter) -> str:
    """``alliance-network[-DATASET][-DATE | -from-DATE][-to-DATE].svg`` (the PNG takes the same stem)."""
    parts = ["alliance-network"]
    if view.dataset:
        parts.append(view.dataset)
    if view.at is not None:
        parts.append(str(view.at))
    if view.date_from is not None:
        parts += ["from", str(view.date_from)]
    if view.date_to is not None:
        parts += ["to", str(view.date_to)]
    return _UNSAFE_FILENAME.sub("-", "-".join(parts)).strip("-") + ".svg"


def credits(session: Session, relation_ids: Iterable[str]) -> list[Credit]:
    """The sources whose passages back these relations, oldest first."""
    ids = list(dict.fromkeys(relation_ids))
    found: dict[str, tuple[Any, ...]] = {}
    for chunk in range(0, len(ids), 500):  # stays under every database's bound-parameter limit
        query = (
            select(Source.id, Source.title, Source.publisher, Source.published_first)
            .join(Passage, Passage.source_id == Source.id)
            .join(RelationEvidence, RelationEvidence.passage_id == Passage.id)
            .where(RelationEvidence.relation_id.in_(ids[chunk:chunk + 500]))
            .distinct()
        )
        for row in session.execute(query):
            found[row.id] = tuple(row)
    ordered = sorted(found.values(), key=lambda row: (row[3] is None, row[3] or 0, row[1], row[0]))
    return [Credit(title=row[1], publisher=row[2]) for row in ordered]


def filter_note(session: Session, view: ViewFilter) -> str:
    """The filters besides the date, in words ("" when there are none)."""
    parts: list[str] = []
    if view.types:
        types = relation_types(session)
        parts.append("types: " + ", ".join(types.get(t, {"label": t})["label"] for t in view.types))
    if view.blocs:
        names = dict(session.execute(select(Bloc.id, Bloc.name).where(Bloc.id.in_(view.blocs))).all())
        parts.append("blocs: " + ", ".join(names.get(b, b) for b in view.blocs))
    if view.source:
        title = session.scalar(select(Source.title).where(Source.id == view.source))
        parts.append(f"source: {title or view.source}")
    if view.focus:
        name = session.scalar(select(Actor.name).where(Actor.id == view.focus))
        steps = "1 step" if view.depth == 1 else f"{view.depth} steps"
        parts.append(f"around {name or view.focus} ({steps})")
    if view.min_confidence:
        parts.append(f"confidence {view.min_confidence} or higher")
    if view.include_isolated:
        parts.append("actors without relations included")
    return "; ".join(parts)


def network_svg(session: Session, view: ViewFilter) -> Export:
    """The filtered network drawn as the explorer draws it, with legend, date and source credits, as SVG."""
    data = vis_network(session, view)
    meta = data["meta"]
    faded = any(e.get("undated") for e in data["edges"])
    picture = _Picture(
        title=dataset_title(session, view),
        summary=_summary(view, meta, faded),
        filters=filter_note(session, view),
        nodes=data["nodes"],
        edges=data["edges"],
        blocs=[(b["name"], b["color"]) for b in meta["blocs"]]
        + ([("no bloc", NO_BLOC_COLOR)] if any(not n["bloc"] for n in data["nodes"]) else []),
        credits=credits(session, (e["id"] for e in data["edges"])),
        faded=faded,
    )
    return Export(picture.render(), MEDIA_TYPE, filename(view))


# --- drawing -----------------------------------------------------------------


def _summary(view: ViewFilter, meta: dict[str, Any], faded: bool) -> str:
    actors = f"{meta['node_count']} actor{'s' if meta['node_count'] != 1 else ''}"
    relations = f"{meta['edge_count']} relation{'s' if meta['edge_count'] != 1 else ''}"
    text = f"{date_label(view)} · {actors} · {relations}"
    if view.at is not None and meta["undated_count"]:
        text += f" · {meta['undated_count']} undated (drawn faded)" if faded else \
            f" · {meta['undated_count']} without stated dates (shown at every date)"
    return text


def _width(text: str, size: float, bold: bool = False) -> float:
    return text_width(text, size) * (BOLD if bold else 1.0) * SLACK


@functools.cache
def _font_face() -> str:
    """``@font-face`` rules with the bundled font's Latin subsets as data: URLs ("" if they are missing)."""
    rules = []
    for subset, unicode_range in FONT_FILES:
        found = sorted(FONT_DIR.glob(f"source-sans-3-*/source-sans-3-{subset}-wght-normal.woff2"))
        if found:
            data = base64.b64encode(found[-1].read_bytes()).decode("ascii")
            rules.append(f"@font-face {{ font-family: {FONT_FAMILY}; font-weight: 200 900; "
                         f"src: url(data:font/woff2;base64,{data}) format('woff2'); unicode-range: {unicode_range}; }}")
    return "\n".join(rules)


def _wrap(text: str, size: float, width: float, bold: bool = False) -> list[str]:
    """Lines of at most ``width`` (estimated), broken between words, of about equal length (no lone last word)."""
    lines = _fill(text, size, width, bold)
    if len(lines) < 2:
        return lines
    balanced = _fill(text, size, _width(text, size, bold) / len(lines) * 1.15, bold)
    return balanced if len(balanced) == len(lines) else lines


def _fill(text: str, size: float, width: float, bold: bool) -> list[str]:
    lines: list[str] = []
    line = ""
    for word in text.split():
        candidate = f"{line} {word}" if line else word
        if line and _width(candidate, size, bold) > width:
            lines.append(line)
            line = word
        else:
            line = candidate
    return [*lines, line] if line else lines


def _number(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _points(points: Sequence[tuple[float, float]]) -> str:
    return " ".join(f"{_number(x)},{_number(y)}" for x, y in points)


def _shape(parent: ET.Element, shape: str, x: float, y: float, r: float, style: dict[str, str]) -> ET.Element:
    """vis-network's node shapes (its ``ctx.circle``, ``square``, ``triangle``… at radius ``r``)."""
    if shape == "dot":
        return ET.SubElement(parent, "circle", style, cx=_number(x), cy=_number(y), r=_number(r))
    if shape == "square":
        return ET.SubElement(parent, "rect", style, x=_number(x - r), y=_number(y - r), width=_number(2 * r),
                             height=_number(2 * r))
    if shape == "diamond":
        points = [(x, y + r), (x + r, y), (x, y - r), (x - r, y)]
    elif shape == "hexagon":
        points = [(x + r * math.cos(i * math.pi / 3), y + r * math.sin(i * math.pi / 3)) for i in range(6)]
    elif shape in ("triangle", "triangleDown"):
        r *= 1.15
        side = 2 * r
        inner = math.sqrt(3) / 6 * side
        height = math.sqrt(side * side - r * r)
        flip = 1 if shape == "triangle" else -1
        y += flip * 0.275 * r
        points = [(x, y - flip * (height - inner)), (x + r, y + flip * inner), (x - r, y + flip * inner)]
    else:
        return _shape(parent, "dot", x, y, r, style)
    return ET.SubElement(parent, "polygon", style, points=_points(points))


def _via(a: tuple[float, float], b: tuple[float, float], roundness: float) -> tuple[float, float]:
    """The control point of vis-network's static "continuous" curve (``BezierEdgeStatic._getViaCoordinates``)."""
    dx, dy = abs(a[0] - b[0]), abs(a[1] - b[1])
    step_x = step_y = roundness * (dy if dx <= dy else dx)
    if a[0] > b[0]:
        step_x = -step_x
    if a[1] >= b[1]:
        step_y = -step_y
    x, y = a[0] + step_x, a[1] + step_y
    if dx <= dy:
        x = min(b[0], x) if a[0] <= b[0] else max(b[0], x)
    else:
        y = max(b[1], y) if a[1] >= b[1] else min(b[1], y)
    return x, y


def _on_curve(a: tuple[float, float], via: tuple[float, float], b: tuple[float, float],
              t: float) -> tuple[float, float]:
    u = 1 - t
    return (u * u * a[0] + 2 * t * u * via[0] + t * t * b[0], u * u * a[1] + 2 * t * u * via[1] + t * t * b[1])


def _arrow(a: tuple[float, float], via: tuple[float, float], b: tuple[float, float], clearance: float,
           length: float) -> list[tuple[float, float]]:
    """vis-network's arrowhead: its tip where the curve meets the target's border, along the curve."""
    low, high = 0.0, 1.0
    for _ in range(30):  # the last point of the curve outside the target's radius
        mid = (low + high) / 2
        x, y = _on_curve(a, via, b, mid)
        if math.hypot(x - b[0], y - b[1]) > clearance:
            low = mid
        else:
            high = mid
    tip = _on_curve(a, via, b, low)
    back = _on_curve(a, via, b, max(low - 0.05, 0.0))
    angle = math.atan2(tip[1] - back[1], tip[0] - back[0])
    cos, sin = math.cos(angle), math.sin(angle)
    shape = [(0.0, 0.0), (-1.0, 0.3), (-0.9, 0.0), (-1.0, -0.3)]
    return [(tip[0] + length * (px * cos - py * sin), tip[1] + length * (px * sin + py * cos)) for px, py in shape]


def _text(parent: ET.Element, x: float, y: float, text: str, size: float, **style: str) -> ET.Element:
    """A line of text; ``style`` names SVG attributes with ``_`` for ``-`` (``font_weight``)."""
    attributes = {key.replace("_", "-"): value for key, value in style.items()}
    element = ET.SubElement(parent, "text", attributes, x=_number(x), y=_number(y))
    element.set("font-size", _number(size))
    element.text = text
    return element


@dataclass
class _Picture:
    title: str
    summary: str
    filters: str
    nodes: list[dict[str, Any]]
    edges: list[dict[str, Any]]
    blocs: list[tuple[str, str]]
    credits: list[Credit]
    faded: bool = False

    def render(self) -> bytes:
        left, top, right, bottom = self._bounds()
        width = max(right - left + 2 * MARGIN, MIN_WIDTH)
        usable = width - 2 * MARGIN
        root = ET.Element("svg", xmlns=SVG_NS, attrib={"font-family": FONT, "fill": INK})
        ET.SubElement(root, "title").text = f"Alliance network, {self.summary.split(' · ')[0]}: {self.title}"
        if _font_face():
            ET.SubElement(root, "style").text = _font_face()
        background = ET.SubElement(root, "rect", x="0", y="0", width="100%", height="100%", fill="#ffffff")

        y = self._header(ET.SubElement(root, "g", attrib={"class": "header"}), usable)
        # Centre the network horizontally; its top sits under the header.
        shift = ((width - (right - left)) / 2 - left, y + 24 - top)
        self._network(ET.SubElement(root, "g", attrib={"class": "network"}), shift)
        y += 24 + (bottom - top) + 40
        ET.SubElement(root, "line", x1=str(MARGIN), x2=_number(width - MARGIN), y1=_number(y), y2=_number(y),
                      stroke=RULE, attrib={"stroke-width": "2"})
        y = self._legend(ET.SubElement(root, "g", attrib={"class": "legend"}), y + 40, usable)
        y = self._credits(ET.SubElement(root, "g", attrib={"class": "credits"}), y + 16, usable)
        height = y + MARGIN
        root.set("width", _number(width))
        root.set("height", _number(height))
        root.set("viewBox", f"0 0 {_number(width)} {_number(height)}")
        background.set("height", _number(height))
        background.set("width", _number(width))
        return ET.tostring(root, encoding="utf-8", xml_declaration=True)

    # The network's extent, labels included (estimated), in vis-network's coordinates.
    def _bounds(self) -> tuple[float, float, float, float]:
        if not self.nodes:
            return 0.0, 0.0, 600.0, 160.0
        boxes = []
        for node in self.nodes:
            half = max(node["size"] * 1.2, _width(node["label"], LABEL_SIZE) / 2)
            boxes.append((node["x"] - half, node["y"] - node["size"] * 1.3,
                          node["x"] + half, node["y"] + node["size"] + 6 + LABEL_SIZE * 1.25))
        return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))

    def _header(self, group: ET.Element, usable: float) -> float:
        y = float(MARGIN)
        for text, size, weight, colour in ((f"Alliance network — {self.title}", 32, "700", INK),
                                           (self.summary, 26, "600", INK),
                                           (f"Filters: {self.filters}" if self.filters else "", 20, "400", MUTED)):
            for line in _wrap(text, size, usable, bold=weight != "400"):
                y += size * 1.3
                _text(group, MARGIN, y, line, size, font_weight=weight, fill=colour)
        return y

    def _network(self, group: ET.Element, shift: tuple[float, float]) -> None:
        if not self.nodes:
            _text(group, shift[0] + 300, shift[1] + 90, "No relations match this date and these filters.", 26,
                  text_anchor="middle", fill=MUTED)
            return
        places = {n["id"]: (n["x"] + shift[0], n["y"] + shift[1]) for n in self.nodes}
        sizes = {n["id"]: n["size"] for n in self.nodes}
        roundness = float(_EDGE_OPTIONS["smooth"]["roundness"])
        relations = ET.SubElement(group, "g", attrib={"class": "relations", "fill": "none"})
        for edge in self.edges:
            if edge["from"] not in places or edge["to"] not in places:
                continue
            a, b = places[edge["from"]], places[edge["to"]]
            colour, opacity = edge["color"]["color"], str(edge["color"].get("opacity", 1))
            item = ET.SubElement(relations, "g", attrib={"data-relation": edge["id"]})
            ET.SubElement(item, "title").text = edge["title"]
            style = {"stroke": colour, "stroke-width": _number(edge["width"]), "stroke-opacity": opacity}
            if edge["dashes"]:
                style["stroke-dasharray"] = " ".join(str(d) for d in edge["dashes"])
            if a == b:  # a relation of an actor with itself: vis-network draws a loop on the node's top right
                radius = sizes[edge["from"]]
                ET.SubElement(item, "circle", cx=_number(a[0] + radius * 0.7), cy=_number(a[1] - radius * 0.7),
                              r=_number(radius * 0.8), attrib=style)
                continue
            via = _via(a, b, roundness)
            ET.SubElement(item, "path", d=f"M{_points([a])} Q{_points([via, b])}", attrib=style)
            if edge["arrows"]["to"]["enabled"]:
                length = 15 * float(edge["arrows"]["to"].get("scaleFactor", 1)) + 3 * float(edge["width"])
                head = _arrow(a, via, b, sizes[edge["to"]] + 2, length)
                ET.SubElement(item, "polygon", points=_points(head), fill=colour,
                              attrib={"fill-opacity": opacity, "stroke": "none"})
        actors = ET.SubElement(group, "g", attrib={"class": "actors", "stroke-width": "2"})
        labels = ET.SubElement(group, "g", attrib={
            "class": "labels", "text-anchor": "middle", "stroke": "#ffffff", "stroke-width": "4",
            "stroke-linejoin": "round", "paint-order": "stroke", "font-size": str(LABEL_SIZE)})
        for node in self.nodes:
            x, y = places[node["id"]]
            item = ET.SubElement(actors, "g", attrib={"data-actor": node["id"]})
            ET.SubElement(item, "title").text = node["title"]
            _shape(item, node["shape"], x, y, node["size"],
                   {"fill": node["color"]["background"], "stroke": node["color"]["border"]})
            # vis-network hangs the label 3 units under the shape; 0.9 em is the baseline under that top.
            label = ET.SubElement(labels, "text", x=_number(x), y=_number(y + node["size"] + 3 + LABEL_SIZE * 0.9))
            label.text = node["label"]

    def _legend(self, group: ET.Element, y: float, usable: float) -> float:
        size = 20
        kinds = list(dict.fromkeys(n["kind"] for n in self.nodes)) or list(SHAPES)
        rows: list[tuple[str, list[tuple[str, Any]]]] = [
            ("Blocs (node colour)", [("bloc", (name, colour)) for name, colour in self.blocs]),
            ("Relations (line colour, pattern)", [("sign", (sign, label, 0.85)) for sign, label in SIGN_LEGEND]
             + ([("sign", (1, "dates not stated (drawn faded)", 0.25))] if self.faded else [])),
            ("Shape: kind of actor", [("kind", kind) for kind in kinds]),
        ]
        column = max(_width(heading, size, bold=True) for heading, _ in rows) + 24
        for heading, items in rows:
            _text(group, MARGIN, y, heading, size, font_weight="700")
            x = MARGIN + column
            for what, item in items:
                label = item[0] if what == "bloc" else item[1] if what == "sign" else item.replace("_", " ")
                needed = 44 + _width(label, size) + 36
                if x > MARGIN + column and x + needed > MARGIN + usable:
                    x, y = MARGIN + column, y + size * 1.9
                entry = ET.SubElement(group, "g", attrib={"class": f"legend-{what}"})
                if what == "bloc":
                    ET.SubElement(entry, "circle", cx=_number(x + 11), cy=_number(y - 7), r="11", fill=item[1],
                                  stroke="#ffffff", attrib={"stroke-width": "1"})
                elif what == "sign":
                    style = SIGN_STYLE[item[0]]
                    line = ET.SubElement(entry, "line", x1=_number(x), x2=_number(x + 34), y1=_number(y - 7),
                                         y2=_number(y - 7), stroke=style["color"],
                                         attrib={"stroke-width": "4", "stroke-opacity": str(item[2])})
                    if style["dashes"]:
                        line.set("stroke-dasharray", " ".join(str(d) for d in style["dashes"]))
                else:
                    _shape(entry, SHAPES.get(item, "dot"), x + 11, y - 7, 10,
                           {"fill": "#c3cad3", "stroke": "#6b7480", "stroke-width": "2"})
                _text(entry, x + 44, y, label, size)
                x += needed
            y += size * 2.1
        note = "Size: evidence passages about the actor · line width: passages behind the relation · arrow: direction"
        for note_line in _wrap(note, size * 0.9, usable - column):
            _text(group, MARGIN + column, y, note_line, size * 0.9, fill=MUTED)
            y += size * 1.2
        return y

    def _credits(self, group: ET.Element, y: float, usable: float) -> float:
        size = 20
        if not self.credits:
            y += size * 1.4
            _text(group, MARGIN, y, "Source: no passages back the relations drawn.", size, fill=MUTED)
            return y
        shown = self.credits[:MAX_CREDITS]
        for credit in shown:
            element = ET.SubElement(group, "text", {"font-size": str(size), "class": "credit"})
            for line in _wrap(f"Source: {credit.text}", size, usable):
                y += size * 1.4
                ET.SubElement(element, "tspan", x=str(MARGIN), y=_number(y)).text = line
        if len(self.credits) > len(shown):
            y += size * 1.4
            _text(group, MARGIN, y, f"… and {len(self.credits) - len(shown)} more sources.", size, fill=MUTED)
        return y
