"""Take screenshots of the main views in Debian's Chromium (for review and the README).

Usage: python scripts/screenshots.py BASE_URL OUT_DIR
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync"]

SHOTS = [
    ("default", "/", (1920, 1080)),
    ("iraq-selected", "/?select=actor:iraq", (1920, 1080)),
    ("year-2012", "/?at=2012-06&select=actor:iraq", (1366, 768)),
    ("reader", "/sources/pjtatler-2015-09-27-iraq-intel", (1366, 900)),
    ("list", "/list?select=actor:iraq", (1366, 900)),
    ("narrow-768", "/?select=actor:iraq", (768, 1400)),
]


def main(base: str, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for name, path, (width, height) in SHOTS:
            page = browser.new_page(viewport={"width": width, "height": height})
            errors: list[str] = []
            page.on("console", lambda m, errors=errors: errors.append(m.text) if m.type == "error" else None)
            page.goto(base + path)
            if page.locator("#network").count():
                page.wait_for_selector("#network[data-ready=true]", timeout=15000)
                page.wait_for_timeout(600)
            page.screenshot(path=str(out / f"{name}.png"), full_page=False)
            print(name, "console errors:", errors)
            page.close()
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]))
