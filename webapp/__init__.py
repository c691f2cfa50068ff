"""Alliance Explorer: who sides with whom, straight from the articles that say so."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click
from flask import Flask, Response, g, request
from flask_compress import Compress
from htmx_flask import Htmx
from sqlalchemy.orm import Session

from .config import PROJECT_ROOT, load_settings
from .db import Database
from .json_cache import JsonCache, RecentValues


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: settings from the environment, overridden by ``config`` (tests)."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    instance = Path(app.instance_path)
    app.config.from_mapping(load_settings(instance))
    if config:
        app.config.from_mapping(config)
    app.config.setdefault("JSON_SORT_KEYS", False)

    database = Database(
        app.config["DATABASE_URL"],
        echo=app.config["SQL_ECHO"],
        busy_timeout_ms=app.config["SQLITE_BUSY_TIMEOUT_MS"],
    )
    app.extensions["database"] = database
    Htmx(app)
    _compression(app)
    from .inputs import RefuseUndecodable

    app.wsgi_app = RefuseUndecodable(app.wsgi_app)  # type: ignore[method-assign]

    from . import auth, errors, security
    from .views import analysis, annotations, api, articles, curation, editing, explorer, exports, health
    from .views import auth as auth_views

    errors.register(app)
    security.register(app)

    @app.before_request
    def _upload_limits() -> None:
        articles.upload_limits(request, app.config["MAX_UPLOAD_BYTES"])

    auth.register(app)
    app.register_blueprint(auth_views.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(explorer.bp)
    app.register_blueprint(exports.bp)
    app.register_blueprint(analysis.bp)
    app.register_blueprint(annotations.bp)
    app.register_blueprint(curation.bp)
    app.register_blueprint(editing.bp)
    app.register_blueprint(articles.bp)

    from .cli import register_cli

    register_cli(app)

    @app.teardown_appcontext
    def _close_session(_exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            session.close()

    if app.config["AUTO_SETUP"] and _started_by_flask_run():
        from .setup import ensure_ready

        ensure_ready(app)
    return app


def _compression(app: Flask) -> None:
    """Every response the client accepts compressed is (pages, fragments, JSON, scripts, styles). What a
    view compressed itself (the cached networks, ``json_cache``) carries its Content-Encoding and is left
    alone, as are fonts and images, compressed by their formats."""
    compress = Compress(app)
    app.extensions["json_cache"] = JsonCache(app.config["JSON_CACHE_BYTES"])
    app.extensions["recent_values"] = RecentValues(24)

    @app.after_request
    def _read_files_whole(response: Response) -> Response:
        # (Runs before Flask-Compress.) A file is sent as a stream, which Flask-Compress would compress
        # chunk by chunk, losing the file's close(). The app's scripts and styles are small: read them
        # whole and close the file, so the compressed copy has a length and an ETag.
        if (response.direct_passthrough and response.status_code == 200
                and response.mimetype in compress.compress_mimetypes_set):
            response.direct_passthrough = False
            body = b"".join(response.iter_encoded())
            response.close()
            response.set_data(body)
        return response


def _started_by_flask_run() -> bool:
    context = click.get_current_context(silent=True)
    return context is not None and context.info_name == "run"


def get_database(app: Flask | None = None) -> Database:
    from flask import current_app

    return (app or current_app).extensions["database"]


def get_session() -> Session:
    """The request's read session (closed when the request ends)."""
    if "db_session" not in g:
        g.db_session = get_database().session()
    return g.db_session
