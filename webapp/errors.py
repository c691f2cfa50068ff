"""Errors: JSON for the API, a friendly page elsewhere, never a traceback to the user."""

from __future__ import annotations

from typing import Any

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from . import faults
from .jsonio import json_response
from .services.access import ServiceError
from .services.filters import FilterError
from .services.records import NotFound


class APIError(Exception):
    """An error with an HTTP status, a machine-readable code and a message for people."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details or {}
        self.headers = headers or {}


def _wants_json() -> bool:
    # The API, the JSON the explorer page fetches for itself, and the health check.
    return request.path.startswith("/api/") or request.path.endswith(".json") or request.path == "/healthz"


def _render(status: int, code: str, message: str, details: dict[str, Any] | None = None,  # type: ignore[no-untyped-def]
            headers: dict[str, str] | None = None):
    if _wants_json():
        return json_response({"error": {"code": code, "message": message, "details": details or {}}}, status, headers)
    return render_template("error.html", status=status, code=code, message=message), status, headers or {}


def register(app: Flask) -> None:
    @app.errorhandler(APIError)
    def _api_error(error: APIError):  # type: ignore[no-untyped-def]
        return _render(error.status, error.code, error.message, error.details, error.headers)

    @app.errorhandler(CSRFError)
    def _csrf_error(error: CSRFError):  # type: ignore[no-untyped-def]
        return _render(
            400, "csrf_failed",
            f"This request lacked a valid CSRF token ({error.description}) and was refused to protect your "
            "account. Reload the page and try again; scripts can send 'Authorization: Bearer <token>' instead.",
        )

    @app.errorhandler(FilterError)
    def _filter_error(error: FilterError):  # type: ignore[no-untyped-def]
        return _render(400, "bad_parameter", error.message, {"parameter": error.parameter})

    @app.errorhandler(ServiceError)
    def _refused(error: ServiceError):  # type: ignore[no-untyped-def]
        # A service's refusal that no view caught (bad offsets in a link, say): still a 4xx that says why.
        return _render(error.status, error.code, error.message, {"field": error.field} if error.field else {})

    @app.errorhandler(NotFound)
    def _not_found(error: NotFound):  # type: ignore[no-untyped-def]
        return _render(404, "not_found", str(error), {"kind": error.kind, "id": error.ident})

    @app.errorhandler(413)
    def _too_large(_error: HTTPException):  # type: ignore[no-untyped-def]
        limit = app.config["MAX_UPLOAD_BYTES"] if request.endpoint == "articles.receive" else app.config[
            "MAX_CONTENT_LENGTH"]
        return _render(413, "too_large", f"The request is larger than {limit:,} bytes, the most this page accepts.")

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):  # type: ignore[no-untyped-def]
        code = (error.name or "error").lower().replace(" ", "_")
        return _render(error.code or 500, code, error.description or error.name)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):  # type: ignore[no-untyped-def]
        if isinstance(error, HTTPException):
            return _http(error)
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        return _render(500, "internal_error", "Something went wrong on our side; the error has been logged.")

    @app.errorhandler(SQLAlchemyError)
    def _database(error: SQLAlchemyError):  # type: ignore[no-untyped-def]
        fault = faults.classify(error)
        if fault is None:
            return _unexpected(error)
        app.logger.warning("database %s on %s %s: %s", fault.kind, request.method, request.path, error)
        return _render(503, fault.code, fault.message, {"fault": fault.kind, "retry_after": fault.retry_after},
                       {"Retry-After": str(fault.retry_after)})
