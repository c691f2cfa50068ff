"""The network is readable at its default fit: no node label overlaps another label or another node's
shape, none is cut off at the edges, none is tiny."""

from __future__ import annotations

import itertools

import pytest

from webapp.services.labels import text_width

pytestmark = pytest.mark.browser

# Every node's label box as vis-network measured and drew it and its shape's box (canvas coordinates;
# vis draws triangles 15 % larger than their size), and the default fit's scale and canvas size.
LABEL_BOXES = """() => {
  const net = window.explorer.network;
  const canvas = document.querySelector('#network canvas');
  const labels = net.body.nodeIndices.map((id) => {
    const node = net.body.nodes[id];
    const size = node.labelModule.size;
    const radius = node.options.size * (node.options.shape.startsWith('triangle') ? 1.15 : 1);
    return {id: id, label: node.options.label, left: size.left, top: size.top,
            right: size.left + size.width, bottom: size.top + size.height,
            shape: {left: node.x - radius, top: node.y - radius, right: node.x + radius, bottom: node.y + radius}};
  });
  return {labels: labels, scale: net.getScale(), fontSize: net.body.nodes[net.body.nodeIndices[0]].options.font.size,
          face: net.body.nodes[net.body.nodeIndices[0]].options.font.face,
          width: canvas.clientWidth, height: canvas.clientHeight,
          topLeft: net.DOMtoCanvas({x: 0, y: 0}),
          bottomRight: net.DOMtoCanvas({x: canvas.clientWidth, y: canvas.clientHeight})};
}"""


def _overlap(a: dict, b: dict) -> tuple[float, float] | None:
    dx = min(a["right"], b["right"]) - max(a["left"], b["left"])
    dy = min(a["bottom"], b["bottom"]) - max(a["top"], b["top"])
    return (dx, dy) if dx > 0 and dy > 0 else None


def overlapping_pairs(labels: list[dict]) -> list[str]:
    """Every label that overlaps another label, or another node's shape, described."""
    pairs = []
    for a, b in itertools.combinations(labels, 2):
        if found := _overlap(a, b):
            pairs.append(f"label {a['label']!r} × label {b['label']!r} ({found[0]:.1f}×{found[1]:.1f} canvas px)")
    for a, b in itertools.permutations(labels, 2):
        if found := _overlap(a, b["shape"]):
            pairs.append(f"label {a['label']!r} × node {b['label']!r} ({found[0]:.1f}×{found[1]:.1f} canvas px)")
    return pairs


@pytest.mark.parametrize("width, height", [(1366, 768), (1920, 1080)])
def test_labels_do_not_overlap_at_the_default_fit(page, width, height):
    page.set_viewport_size({"width": width, "height": height})
    page.goto("/")
    page.wait_for_selector("#network[data-ready=true]", timeout=20000)
    drawn = page.evaluate(LABEL_BOXES)
    labels = drawn["labels"]
    assert len(labels) == 17

    overlaps = overlapping_pairs(labels)
    print(f"{width}×{height}: {len(overlaps)} overlaps", *overlaps, sep="\n  ")
    assert overlaps == [], f"{len(overlaps)} overlaps at {width}×{height}:\n" + "\n".join(overlaps)

    # Labels are measured and drawn in the bundled font, not a fallback.
    assert drawn["face"].startswith("SourceSans3")
    assert page.evaluate("document.fonts.check('22px SourceSans3', 'Iraq')")
    # ... so the widths the server planned with are the widths drawn (kerning narrows a label a little).
    for box in labels:
        planned, drawn_width = text_width(box["label"], drawn["fontSize"]), box["right"] - box["left"]
        assert abs(drawn_width - planned) <= 0.03 * planned + 1, (box["label"], drawn_width, planned)

    # Nothing is cut off at the edges of the canvas.
    view_left, view_top = drawn["topLeft"]["x"], drawn["topLeft"]["y"]
    view_right, view_bottom = drawn["bottomRight"]["x"], drawn["bottomRight"]["y"]
    outside = [box["label"] for box in labels
               if box["left"] < view_left or box["right"] > view_right
               or box["top"] < view_top or box["bottom"] > view_bottom]
    assert outside == [], f"labels cut off at {width}×{height}: {outside}"

    # And the fit leaves the labels legible (the font size on screen, in CSS pixels).
    on_screen = drawn["fontSize"] * drawn["scale"]
    print(f"  label font on screen: {on_screen:.1f}px (scale {drawn['scale']:.3f})")
    assert on_screen >= 11, f"labels are {on_screen:.1f}px at {width}×{height}"  # the layout plans for 12
