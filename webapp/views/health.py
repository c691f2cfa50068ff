"""Liveness and database status for load balancers and operators."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from flask import Blueprint

from .. import get_database, migrate
from ..jsonio import json_response

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():  # type: ignore[no-untyped-def]
    database = get_database()
    try:
        with database.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        revision = migrate.current_revision(database)
    except SQLAlchemyError as error:
        return json_response({"status": "error", "database": {"ok": False, "error": type(error).__name__}}, 503)
    head = migrate.head_revision()
    return json_response({
        "status": "ok" if revision == head else "degraded",
        "database": {"ok": True, "dialect": database.engine.dialect.name, "schema": revision, "expected": head},
    }, 200 if revision == head else 503)
