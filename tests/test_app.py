"""The app as a whole: configuration, headers, errors, health, and schema from migrations."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from webapp import create_app, migrate
from webapp.config import ConfigError, load_settings
from webapp.db import Base, Database, include_object


def test_every_response_carries_the_security_headers(client):
    for path in ("/api/graph", "/api/actors/atlantis", "/healthz", "/no-such-page"):
        response = client.get(path)
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert "HX-Request" in response.headers["Vary"]


def test_html_errors_are_friendly_pages_without_tracebacks(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert b"We could not find that page" in response.data
    assert b"Traceback" not in response.data


def test_unexpected_errors_are_500_pages_and_json_without_details(app, client):
    @app.get("/api/boom")
    def boom():  # pragma: no cover - exercised through the client
        raise RuntimeError("secret internals")

    response = client.get("/api/boom")
    assert response.status_code == 500
    assert response.json["error"]["code"] == "internal_error"
    assert b"secret internals" not in response.data


def test_healthz_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["status"] == "ok"
    assert response.json["database"]["schema"] == migrate.head_revision()


def test_settings_come_from_the_environment_and_bad_ones_fail_fast(tmp_path):
    settings = load_settings(tmp_path, {"WEBAPP_AUTO_SETUP": "no", "DATABASE_URL": "postgresql://u@h/db"})
    assert settings["AUTO_SETUP"] is False
    assert settings["DATABASE_URL"] == "postgresql+psycopg://u@h/db"
    assert settings["DATABASE_URL"] != "sqlite"
    default = load_settings(tmp_path, {})
    assert default["DATABASE_URL"] == f"sqlite:///{tmp_path / 'alliance.db'}"
    assert (tmp_path / "secret_key").read_text() == default["SECRET_KEY"]
    assert load_settings(tmp_path, {})["SECRET_KEY"] == default["SECRET_KEY"]  # kept, not regenerated
    with pytest.raises(ConfigError, match="WEBAPP_AUTO_SETUP='maybe' is not a boolean"):
        load_settings(tmp_path, {"WEBAPP_AUTO_SETUP": "maybe"})
    with pytest.raises(ConfigError, match="not a whole number"):
        load_settings(tmp_path, {"WEBAPP_SQLITE_BUSY_TIMEOUT_MS": "soon"})


def test_sqlite_connections_use_wal_foreign_keys_and_a_busy_timeout(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'x.db'}", busy_timeout_ms=1234)
    with database.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 1234
    database.dispose()


def test_sqlite_write_sessions_take_the_write_lock_up_front(tmp_path):
    """A second writer waits on BEGIN IMMEDIATE instead of failing half-way through."""
    database = Database(f"sqlite:///{tmp_path / 'x.db'}", busy_timeout_ms=50)
    with database.engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (x INTEGER)"))
    with database.transaction() as first:
        first.execute(text("SELECT 1"))  # BEGIN IMMEDIATE happens here
        with database.session() as reader:
            assert reader.execute(text("SELECT count(*) FROM t")).scalar() == 0  # readers are not blocked
        with pytest.raises(Exception, match="locked"):
            with database.transaction() as second:
                second.execute(text("SELECT 1"))
    database.dispose()


def test_migrations_build_the_schema_the_models_describe(base_database):
    with base_database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True,
                                                               "include_object": include_object})
        assert compare_metadata(context, Base.metadata) == []


def test_upgrade_from_empty_and_downgrade_to_base(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'fresh.db'}")
    assert not database.has_schema()
    migrate.upgrade(database)
    assert migrate.current_revision(database) == migrate.head_revision()
    assert {"actors", "relations", "passages", "events"} <= set(inspect(database.engine).get_table_names())
    migrate.downgrade(database, "base")
    assert set(inspect(database.engine).get_table_names()) == {"alembic_version"}
    database.dispose()


def test_first_run_creates_the_schema_and_loads_the_seeds(tmp_path, monkeypatch):
    from webapp import setup

    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'first.db'}", "AUTO_SETUP": False})
    setup.ensure_ready(app)
    client = app.test_client()
    graph = client.get("/api/graph").json
    assert len(graph["edges"]) == 51
    setup.ensure_ready(app)  # a second start changes nothing
    assert len(client.get("/api/graph").json["edges"]) == 51
    app.extensions["database"].dispose()


def test_per_bound_date_reasons_survive_a_downgrade_and_an_upgrade(tmp_path):
    """Migration 0008 splits a record's one date reason into a reason per bound; going back joins them."""
    from webapp.datasets.loader import load_directory
    from tests.conftest import RIVER_PACT

    import shutil
    river = tmp_path / "river-pact"
    shutil.copytree(RIVER_PACT, river)
    relations = river / "relations.yaml"
    relations.write_text(relations.read_text(encoding="utf-8").replace(
        "  start: '2012'\n", "  start: '2012'\n  start_inferred: From the archive.\n  end: '2019'\n"
        "  end_inferred: The pact ended it.\n", 1), encoding="utf-8")
    database = Database(f"sqlite:///{tmp_path / 'steps.db'}")
    migrate.upgrade(database)
    with database.transaction() as session:
        load_directory(session, river)
    query = text("SELECT {} FROM relations WHERE id = 'highland-militia-hostility-lowland'")
    migrate.downgrade(database, "0007")
    with database.session() as session:
        assert session.execute(text(query.text.format("date_inferred"))).scalar() == \
            "start: From the archive.; end: The pact ended it."
    migrate.upgrade(database)
    with database.session() as session:
        both = session.execute(text(query.text.format("start_inferred, end_inferred"))).one()
    # The joined reason now explains both bounds, as a record-level reason always did: nothing was lost.
    assert tuple(both) == ("start: From the archive.; end: The pact ended it.",) * 2
    database.dispose()
