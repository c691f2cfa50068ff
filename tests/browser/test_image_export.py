"""Download → Image in Chromium: a PNG and an SVG of the network as shown, with legend, date and sources."""

from __future__ import annotations

import base64
import struct
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from playwright.sync_api import expect

from .test_explorer import wait_for_network, wait_until

pytestmark = pytest.mark.browser

SVG = "{http://www.w3.org/2000/svg}"
DEAL = "iraq-intelligence-sharing-russia"
CREDIT = "Iraq Signs Deal to Share Intel on Islamic State With Russia, Syria, and Iran — The PJ Tatler (PJ Media)"

# Draws a PNG (a data: URL) into a canvas and reports what a viewer would see in it: how much is not
# background, whether the blocs' red and blue are there, and how much dark ink (text) each band of rows
# holds, for the bands where the SVG puts the legend and the source credit.
PNG_CONTENT = """async ([url, bands]) => {
  const image = new Image();
  image.src = url;
  await image.decode();
  const canvas = document.createElement('canvas');
  canvas.width = image.naturalWidth; canvas.height = image.naturalHeight;
  const context = canvas.getContext('2d');
  context.drawImage(image, 0, 0);
  const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
  const near = (i, r, g, b) => Math.abs(pixels[i] - r) + Math.abs(pixels[i + 1] - g) + Math.abs(pixels[i + 2] - b) < 40;
  let ink = 0, red = 0, blue = 0;
  const text = bands.map(() => 0);
  for (let i = 0; i < pixels.length; i += 4) {
    if (!near(i, 255, 255, 255)) { ink++; }
    if (near(i, 0xc0, 0x39, 0x2b)) { red++; }
    if (near(i, 0x1f, 0x6f, 0xb2)) { blue++; }
    const row = Math.floor(i / 4 / canvas.width);
    if (pixels[i] < 110 && pixels[i + 1] < 110 && pixels[i + 2] < 110) {
      bands.forEach((band, n) => { if (row >= band[0] && row <= band[1]) { text[n]++; } });
    }
  }
  return {ink: ink / (pixels.length / 4), red: red, blue: blue, text: text};
}"""


def text_band(root: ET.Element, starts: str) -> tuple[int, int]:
    """The rows a line of text starting with ``starts`` covers (its baseline, less a line's height)."""
    for element in root.iter(f"{SVG}text"):
        if "".join(element.itertext()).startswith(starts):
            line = element if element.get("y") else element.find(f"{SVG}tspan")
            assert line is not None
            baseline = float(line.get("y", 0))
            return round(baseline - 20), round(baseline + 4)
    raise AssertionError(f"no text starting with {starts!r}")


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the IHDR chunk, after checking the PNG signature."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", data[:8]
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def svg_texts(root: ET.Element) -> list[str]:
    return [" ".join(t.strip() for t in el.itertext() if t.strip()) for el in root.iter(f"{SVG}text")]


def test_download_image_saves_the_view_as_png_and_svg(page):
    page.goto("/")
    wait_for_network(page)
    # The date changes in place: the image follows it like the other downloads.
    page.get_by_test_id("as-of-date").fill("2012-06-01")
    page.get_by_test_id("as-of-apply").click()
    wait_until(page, f"window.explorer.edges.get('{DEAL}') === null")
    drawn_labels = page.evaluate("window.explorer.nodes.get().map(n => n.label)")

    page.get_by_test_id("download-toggle").click()
    png_link = page.get_by_test_id("download-png")
    expect(png_link).to_be_visible()
    expect(page.get_by_role("list", name="Image, with its legend, date and sources")).to_be_visible()
    with page.expect_download() as png_download:
        png_link.click()
    assert png_download.value.suggested_filename == "alliance-network-2012-06-01.png"
    png = Path(png_download.value.path()).read_bytes()
    width, height = png_size(png)

    page.get_by_test_id("download-toggle").click()
    with page.expect_download() as svg_download:
        page.get_by_test_id("download-svg").click()
    assert svg_download.value.suggested_filename == "alliance-network-2012-06-01.svg"
    root = ET.fromstring(Path(svg_download.value.path()).read_bytes())
    texts = svg_texts(root)
    assert "as of 2012-06-01" in " ".join(texts)
    for entry in ("Russia–Iran–Syria–Iraq", "U.S.-led coalition", "cooperative", "adversarial",
                  "structural (leads, represents)"):
        assert entry in texts
    assert f"Source: {CREDIT}" in texts
    assert set(drawn_labels) <= set(texts)
    assert DEAL not in {g.get("data-relation") for g in root.iter(f"{SVG}g")}

    # The PNG is that same picture, legend and credits included: its size, and what is in it.
    assert (width, height) == (round(float(root.get("width", 0))), round(float(root.get("height", 0))))
    assert width >= 1200 and height >= 800 and len(png) > 50_000
    bands = [text_band(root, "Blocs (node colour)"), text_band(root, "Source: "), (0, 30)]
    seen = page.evaluate(PNG_CONTENT, ["data:image/png;base64," + base64.b64encode(png).decode(), bands])
    assert 0.01 < seen["ink"] < 0.6, seen
    assert seen["red"] > 500 and seen["blue"] > 200, seen
    legend, credit, top_margin = seen["text"]
    assert legend > 1000 and credit > 1000 and top_margin == 0, seen  # drawn where the SVG puts them


def test_both_image_links_draw_the_filtered_view(page):
    page.goto("/?blocs=coalition")
    wait_for_network(page)
    page.get_by_test_id("download-toggle").click()
    png_link, svg_link = page.get_by_test_id("download-png"), page.get_by_test_id("download-svg")
    expect(png_link).to_be_visible()
    assert png_link.get_attribute("href") == svg_link.get_attribute("href") == "/export/network.svg?blocs=coalition"
    body = page.request.get(svg_link.get_attribute("href")).body()
    texts = svg_texts(ET.fromstring(body))
    assert "United States" in texts and "Iraq" not in texts
