"""Sanitising the numbers people type: ASCII digits only, bounded.

``str.isdigit()`` also accepts '²' or '٣', which ``int()`` then refuses or reads as another digit; every
number taken from a URL, a form, a header or a file goes through here instead.
"""

from __future__ import annotations

import json
import re
from typing import Any

DIGITS = re.compile(r"[0-9]{1,9}")


def whole_number(raw: object, low: int = 0, high: int = 999_999_999) -> int | None:
    """``raw`` as a whole number within [low, high], or None if it is not one (no sign, no spaces)."""
    if not isinstance(raw, str) or not DIGITS.fullmatch(raw):
        return None
    value = int(raw)
    return value if low <= value <= high else None


class RefuseUndecodable:
    """WSGI middleware: a URL whose path or query string is not UTF-8, or holds a NUL, gets a plain 400
    before the app sees it (werkzeug would raise while parsing ``request.args``, and again while rendering
    the error page; PostgreSQL refuses a NUL in any string, and SQLite would store it)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        for key, what in (("PATH_INFO", "path"), ("QUERY_STRING", "query string")):
            raw = environ.get(key, "")
            problem = None
            try:
                # PEP 3333: the server hands these over as bytes decoded as latin-1.
                raw.encode("latin-1").decode("utf-8")
            except UnicodeError:
                problem = f"The URL's {what} is not valid UTF-8: percent-encode its characters."
            if problem is None and ("\x00" in raw or "%00" in raw):
                # No id, date or text of this app holds a NUL (PostgreSQL cannot store one).
                problem = f"The URL's {what} holds a NUL character (%00), which no id or parameter may contain."
            if problem is not None:
                api = environ.get("PATH_INFO", "").startswith("/api/")
                body = (json.dumps({"error": {"code": "bad_url", "message": problem, "details": {}}}) if api
                        else problem).encode()
                start_response("400 Bad Request", [
                    ("Content-Type", "application/json" if api else "text/plain; charset=utf-8"),
                    ("Content-Length", str(len(body)))])
                return [body]
        return self.app(environ, start_response)
