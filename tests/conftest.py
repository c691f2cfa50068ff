"""Fixtures: a migrated database with the bundled seeds, and per test a rolled-back transaction.

Set TEST_DATABASE_URL to run everything against PostgreSQL (its public schema
is dropped and re-created at the start of the run); by default a temporary
SQLite file is used.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import event, text

os.environ.setdefault("SECRET_KEY", "test-secret-key")

from webapp import create_app, migrate  # noqa: E402
from webapp.config import PROJECT_ROOT  # noqa: E402
from webapp.datasets.loader import load_directory  # noqa: E402
from webapp.db import Database  # noqa: E402

SEED_DIR = PROJECT_ROOT / "seeds" / "iraq-intel-2015"
FIXTURES = Path(__file__).parent / "fixtures"
RIVER_PACT = FIXTURES / "river-pact"


def _reset_postgres(url: str) -> None:
    database = Database(url)
    with database.engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    database.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        url = url.replace("postgresql://", "postgresql+psycopg://", 1) if url.startswith("postgresql://") else url
        _reset_postgres(url)
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def base_database(database_url: str) -> Iterator[Database]:
    """The schema from the migrations, with the bundled seed dataset committed."""
    database = Database(database_url)
    migrate.upgrade(database)
    with database.transaction() as session:
        load_directory(session, SEED_DIR)
    yield database
    database.dispose()


class QueryCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, _conn, _cursor, statement, _params, _context, _many) -> None:  # type: ignore[no-untyped-def]
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            self.statements.append(statement)

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def app(base_database: Database, database_url: str):  # type: ignore[no-untyped-def]
    """The app on a connection whose transaction is rolled back after the test."""
    app = create_app({"TESTING": True, "DATABASE_URL": database_url, "AUTO_SETUP": False})
    app.extensions["database"].dispose()
    connection = base_database.engine.connect()
    outer = connection.begin()
    app.extensions["database"] = Database.joining(base_database, connection)
    app.extensions["test_connection"] = connection
    yield app
    outer.rollback()
    connection.close()


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    return app.test_client()


@pytest.fixture
def runner(app):  # type: ignore[no-untyped-def]
    return app.test_cli_runner()


@pytest.fixture
def session(app):  # type: ignore[no-untyped-def]
    with app.extensions["database"].session() as session:
        yield session


@pytest.fixture
def river_pact(app):  # type: ignore[no-untyped-def]
    """The small fictional dataset, loaded beside the seed one for this test."""
    with app.extensions["database"].transaction() as session:
        return load_directory(session, RIVER_PACT)


@pytest.fixture
def count_queries(app):  # type: ignore[no-untyped-def]
    """Counts the SQL statements run on the test connection inside a ``with`` block."""
    connection = app.extensions["test_connection"]

    class _Context:
        def __enter__(self) -> QueryCounter:
            self.counter = QueryCounter()
            event.listen(connection, "before_cursor_execute", self.counter)
            return self.counter

        def __exit__(self, *exc: object) -> None:
            event.remove(connection, "before_cursor_execute", self.counter)

    return _Context
