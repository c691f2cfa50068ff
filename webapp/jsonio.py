"""JSON responses serialised with orjson (fast for large graphs, dates handled)."""

from __future__ import annotations

from typing import Any

import orjson
from flask import Response


def dumps(data: Any) -> bytes:
    return orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS)


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(dumps(data), status=status, headers=headers, mimetype="application/json")
