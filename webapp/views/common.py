"""What every view needs: who is calling, the JSON body, the version the client read, refusals as API errors."""

from __future__ import annotations

import json
from typing import Any

from flask import request
from flask_login import current_user

from ..errors import APIError
from ..inputs import DIGITS
from ..services.access import ANONYMOUS, Caller, ServiceError


def is_htmx() -> bool:
    """Whether htmx sent this request (its HX-Request header); htmx-flask adds ``request.htmx`` at runtime."""
    return bool(request.htmx)  # type: ignore[attr-defined]


def caller() -> Caller:
    if not current_user.is_authenticated:
        return ANONYMOUS
    return Caller(current_user.id, current_user.name, current_user.role)


def api_error(error: ServiceError, current: dict[str, Any] | None = None) -> APIError:
    details: dict[str, Any] = {"field": error.field} if error.field else {}
    if current is not None:
        details["current"] = current
    return APIError(error.status, error.code, error.message, details)


def json_body() -> Any:
    if not request.mimetype or request.mimetype not in ("application/json", "application/ld+json"):
        raise APIError(415, "unsupported_media_type", "send the body as JSON (Content-Type: application/json)")
    raw = request.get_data(cache=True)
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        raise APIError(400, "malformed_json", f"the request body is not valid JSON: {error}") from None
    except RecursionError:
        raise APIError(400, "malformed_json", "the request body is nested too deeply") from None


def expected_version(draft_version: int | None) -> int | None:
    """The version the client read: If-Match (our ETag) or ``version`` in the body."""
    if request.if_match and not request.if_match.star_tag:
        tags = list(request.if_match.as_set())
        # One strong ETag that is a version; "", W/"1", several, or junk are refused (werkzeug may hand back None).
        if len(tags) != 1 or not isinstance(tags[0], str) or not DIGITS.fullmatch(tags[0]):
            raise APIError(400, "bad_if_match", "If-Match must be the ETag (the version) that GET returned",
                           {"field": "If-Match"})
        return int(tags[0])
    return draft_version


def version_of(value: Any) -> int | None:
    """A version given in a body or form (None when absent); anything but a whole number is refused."""
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 10**9:
        return value
    if isinstance(value, str) and DIGITS.fullmatch(value):
        return int(value)
    raise APIError(400, "bad_version", f"'version' must be the record's version (a whole number), not {value!r}",
                   {"field": "version"})
