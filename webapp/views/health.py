"""Liveness and database status for load balancers and operators: can it read, can it write."""

from __future__ import annotations

from flask import Blueprint, current_app

from .. import get_database, migrate
from ..jsonio import json_response
from ..services import health

bp = Blueprint("health", __name__)


def _schema_head() -> str | None:
    # The migrations on disk do not change while the process runs: read Alembic's scripts once.
    if "schema_head" not in current_app.extensions:
        current_app.extensions["schema_head"] = migrate.head_revision()
    head: str | None = current_app.extensions["schema_head"]
    return head


@bp.get("/healthz")
def healthz():  # type: ignore[no-untyped-def]
    report = health.check(get_database(), _schema_head())
    retry_after = report.retry_after
    return json_response(report.as_json(), 200 if report.ok else 503,
                         {"Retry-After": str(retry_after)} if retry_after else None)
