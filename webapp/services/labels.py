"""Node labels as vis-network draws them: their size in the bundled font, and a pass that moves
nodes apart until no node's box (its shape and the label hanging under it) overlaps another's.

Sizes are in vis-network's canvas units, which the default fit only scales, so boxes that do not
overlap here do not overlap on any screen. Widths come from the font's advance widths
(``font_metrics``), without kerning, which only ever narrows a label a little.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .font_metrics import RUNS

_WIDTHS = {code: width for first, widths in RUNS for code, width in enumerate(widths, first)}
# A character the font lacks is drawn in a fallback font: assume a wide one.
_MISSING = 650
# vis-network hangs a label under the shape: its box starts 15 units below the shape's edge
# (half the label height, then ``size.top += size/2 + 4``) and is one font size tall per line.
_LABEL_DROP = 15.0
# Each push goes a little past touching, so that a sweep ends instead of creeping forever.
_SLACK = 0.5


def text_width(text: str, size: float) -> float:
    """The advance width of ``text`` at font size ``size`` (canvas units)."""
    return sum(_WIDTHS.get(ord(char), _MISSING) for char in text) * size / 1000


@dataclass(frozen=True)
class Extent:
    """A node's box relative to its position: shape and label together (left and top are negative)."""

    left: float
    top: float
    right: float
    bottom: float


def node_extent(label: str, size: float, font_size: float, triangle: bool = False) -> Extent:
    """The box vis-network fills for a node of radius ``size`` with ``label`` under it."""
    radius = size * 1.15 if triangle else size  # vis draws triangles 15 % larger than their size
    half = max(radius, text_width(label, font_size) / 2) if label else radius
    bottom = size + _LABEL_DROP + font_size * max(label.count("\n") + 1, 1) if label else radius
    return Extent(-half, -radius, half, bottom)


def separate(points: Sequence[tuple[float, float]], extents: Sequence[Extent], gap: tuple[float, float],
             max_sweeps: int = 400) -> list[tuple[float, float]]:
    """Positions moved apart until no two boxes come closer than ``gap`` (across, and up or down).

    Each sweep visits the boxes from left to right and pushes every overlapping pair apart along the
    axis where they overlap least, each by half, in the direction they already lie in (so the
    picture keeps its shape); sweeps repeat until one moves nothing, or ``max_sweeps`` have run.
    The same input gives the same output. Cost per sweep: a sort, and the pairs whose x-ranges meet.
    """
    xs = [float(p[0]) for p in points]
    ys = [float(p[1]) for p in points]
    lefts, rights = [e.left for e in extents], [e.right for e in extents]
    tops, bottoms = [e.top for e in extents], [e.bottom for e in extents]
    gap_x, gap_y = gap
    indices = range(len(xs))
    for _ in range(max_sweeps):
        moved = False
        open_: list[int] = []  # boxes seen so far whose right edge may still reach the next ones
        for i in sorted(indices, key=lambda k: (xs[k] + lefts[k], k)):
            left_i = xs[i] + lefts[i] - gap_x
            open_ = [j for j in open_ if xs[j] + rights[j] > left_i]
            for j in open_:
                over_x = min(xs[i] + rights[i], xs[j] + rights[j]) - max(xs[i] + lefts[i], xs[j] + lefts[j]) + gap_x
                if over_x <= 0:
                    continue
                over_y = min(ys[i] + bottoms[i], ys[j] + bottoms[j]) - max(ys[i] + tops[i], ys[j] + tops[j]) + gap_y
                if over_y <= 0:
                    continue
                moved = True
                if over_x <= over_y:
                    ahead = (xs[i] + (lefts[i] + rights[i]) / 2, i) > (xs[j] + (lefts[j] + rights[j]) / 2, j)
                    step = (over_x / 2 + _SLACK) * (1 if ahead else -1)
                    xs[i] += step
                    xs[j] -= step
                else:
                    ahead = (ys[i] + (tops[i] + bottoms[i]) / 2, i) > (ys[j] + (tops[j] + bottoms[j]) / 2, j)
                    step = (over_y / 2 + _SLACK) * (1 if ahead else -1)
                    ys[i] += step
                    ys[j] -= step
            open_.append(i)
        if not moved:
            break
    return list(zip(xs, ys, strict=True))


def spread(points: Sequence[tuple[float, float]], extents: Sequence[Extent],
           density: float) -> list[tuple[float, float]]:
    """Positions scaled up (never down) about their centre until the boxes fill at most ``density`` of
    the area the nodes span: a crowded layout then needs far fewer pushes to come apart."""
    if len(points) < 2:
        return list(points)
    filled = sum((e.right - e.left) * (e.bottom - e.top) for e in extents)
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    area = (max(xs) - min(xs) or 1.0) * (max(ys) - min(ys) or 1.0)
    factor = max(1.0, (filled / (density * area)) ** 0.5)
    cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
    return [(cx + (x - cx) * factor, cy + (y - cy) * factor) for x, y in points]


def bounds(points: Sequence[tuple[float, float]], extents: Sequence[Extent]) -> tuple[float, float, float, float]:
    """The box around every node's box: (left, top, right, bottom)."""
    return (min(x + e.left for (x, _), e in zip(points, extents, strict=True)),
            min(y + e.top for (_, y), e in zip(points, extents, strict=True)),
            max(x + e.right for (x, _), e in zip(points, extents, strict=True)),
            max(y + e.bottom for (_, y), e in zip(points, extents, strict=True)))


def overlaps(points: Sequence[tuple[float, float]], extents: Sequence[Extent]) -> int:
    """How many pairs of boxes overlap (quadratic: for tests and small networks)."""
    boxes = [(x + e.left, y + e.top, x + e.right, y + e.bottom) for (x, y), e in zip(points, extents, strict=True)]
    return sum(1 for i, a in enumerate(boxes) for b in boxes[i + 1:]
               if min(a[2], b[2]) > max(a[0], b[0]) and min(a[3], b[3]) > max(a[1], b[1]))
