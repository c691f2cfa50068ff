"""A real server and Debian's Chromium driven by Playwright.

Locally the browser tests skip when Chromium is missing; in CI (CI=true) a
missing browser fails the run instead.
"""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from webapp import create_app

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync"]

# Records CSP violations so the tests can assert there were none.
CSP_PROBE = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', function (e) {
  // Where, and on which element: enough to find the template or script at fault.
  var element = e.target && e.target.outerHTML ? e.target.outerHTML.slice(0, 120) : '';
  window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sourceFile + ':' + e.lineNumber
                              + ' ' + element);
});
"""


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        message = f"Chromium not found at {CHROMIUM} (install Debian's 'chromium' package)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def live_server(base_database, database_url):
    """The app on a real HTTP server in a thread, reading the test database (seeds loaded)."""
    app = create_app({"DATABASE_URL": database_url, "AUTO_SETUP": False, "TESTING": True})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    app.extensions["database"].dispose()


class PageProblems:
    def __init__(self) -> None:
        self.console_errors: list[str] = []
        self.page_errors: list[str] = []


@contextmanager
def checked_page(browser, live_server):  # type: ignore[no-untyped-def]
    """A page in a browser context of its own (its own cookies) that fails the test on any console
    error, page error or CSP violation."""
    context = browser.new_context(viewport={"width": 1600, "height": 1000}, base_url=live_server)
    context.add_init_script(CSP_PROBE)
    page = context.new_page()
    problems = PageProblems()
    page.on("console", lambda m: problems.console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.page_errors.append(str(e)))
    page.problems = problems
    yield page
    violations = page.evaluate("window.__cspViolations || []") if not page.is_closed() else []
    context.close()
    assert problems.page_errors == [], problems.page_errors
    assert violations == [], violations
    assert problems.console_errors == [], problems.console_errors


@pytest.fixture
def page(browser, live_server):
    with checked_page(browser, live_server) as page:
        yield page
