"""Fixtures: a migrated database with the bundled seeds, and per test a rolled-back transaction.

Set TEST_DATABASE_URL to run everything against PostgreSQL (its public schema
is dropped and re-created at the start of the run); by default a temporary
SQLite file is used.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import event, text

os.environ.setdefault("SECRET_KEY", "test-secret-key")

from webapp import create_app, migrate  # noqa: E402
from webapp.config import PROJECT_ROOT  # noqa: E402
from webapp.datasets.loader import load_directory  # noqa: E402
from webapp.db import Database  # noqa: E402
from webapp.models import User  # noqa: E402
from webapp.services import accounts  # noqa: E402

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


@pytest.fixture
def scratch_database(tmp_path: Path, database_url: str) -> Iterator[Callable[[str], Database]]:
    """Empty databases of their own, of the kind under test (a SQLite file, or a new PostgreSQL
    database on the server under test), for tests that migrate, back up or restore whole databases."""
    made: list[tuple[Database, str | None]] = []

    def make(name: str) -> Database:
        if database_url.startswith("postgresql"):
            admin = Database(database_url)
            with admin.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                connection.execute(text(f'CREATE DATABASE "{name}"'))
            admin.dispose()
            database = Database(database_url.rsplit("/", 1)[0] + f"/{name}")
            made.append((database, name))
        else:
            database = Database(f"sqlite:///{tmp_path / (name + '.db')}")
            made.append((database, None))
        return database

    yield make
    for database, name in made:
        database.dispose()
        if name:
            admin = Database(database_url)
            with admin.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


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


PASSWORD = "correct horse battery staple"


@pytest.fixture
def editor(app, make_user):  # type: ignore[no-untyped-def]
    """An editor ("ed") and a Bearer header for scripts (rolled back with the test)."""
    make_user("ed", "editor")
    with app.extensions["database"].transaction() as session:
        token = accounts.issue_token(session, "ed").token
    return {"Authorization": f"Bearer {token}"}
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


@pytest.fixture
def make_user(app) -> Callable[..., User]:  # type: ignore[no-untyped-def]
    """Creates a user through the accounts service (rolled back with the test)."""

    def make(name: str = "editor", role: str = "editor", password: str = PASSWORD) -> User:
        with app.extensions["database"].transaction() as session:
            return accounts.create_user(session, name, password, role)

    return make


class AuthActions:
    """Logs in and out through the real forms, and keeps the CSRF token the pages hand out."""

    def __init__(self, client) -> None:  # type: ignore[no-untyped-def]
        self._client = client
        self.csrf_token: str | None = None

    def refresh_csrf(self) -> str:
        """Read the CSRF token of the current session from a page, as a browser would."""
        html = self._client.get("/login").get_data(as_text=True)
        match = CSRF_META.search(html)
        assert match, "no csrf-token meta tag on /login"
        self.csrf_token = match.group(1)
        return self.csrf_token

    def login(self, name: str = "editor", password: str = PASSWORD, next: str | None = None):  # type: ignore[no-untyped-def]
        token = self.refresh_csrf()
        response = self._client.post("/login", query_string={"next": next} if next is not None else None,
                                     data={"name": name, "password": password, "csrf_token": token})
        self.refresh_csrf()  # the session, and with it the token, is new after a login
        return response

    def logout(self):  # type: ignore[no-untyped-def]
        response = self._client.post("/logout", data={"csrf_token": self.csrf_token or self.refresh_csrf()})
        self.csrf_token = None
        return response

    def headers(self, **extra: str) -> dict[str, str]:
        """Headers for a cookie-authenticated write (the CSRF token, as htmx sends it)."""
        return {"X-CSRFToken": self.csrf_token or self.refresh_csrf(), **extra}


@pytest.fixture
def auth(client) -> AuthActions:  # type: ignore[no-untyped-def]
    return AuthActions(client)


@pytest.fixture
def fresh_runner(database_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A CLI runner and a client of a second app on a fresh, empty, migrated database (dropped afterwards).

    On SQLite a new file; on PostgreSQL a schema of its own in the test database.
    """
    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'fresh.db'}"
    else:
        schema = f"fresh_{os.getpid()}"
        _run_sql(database_url, f"DROP SCHEMA IF EXISTS {schema} CASCADE", f"CREATE SCHEMA {schema}")
        url = f"{database_url}{'&' if '?' in database_url else '?'}options=-csearch_path%3D{schema}"
    fresh = create_app({"TESTING": True, "DATABASE_URL": url, "AUTO_SETUP": False})
    migrate.upgrade(fresh.extensions["database"])
    yield fresh.test_cli_runner(), fresh.test_client()
    fresh.extensions["database"].dispose()
    if not database_url.startswith("sqlite"):
        _run_sql(database_url, f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def _run_sql(url: str, *statements: str) -> None:
    database = Database(url)
    try:
        with database.engine.begin() as connection:
            for statement in statements:
                connection.execute(text(statement))
    finally:
        database.dispose()


def reset_seed(database: Database) -> None:
    """Put the committed seed back as loaded (files win, app records removed, history and versions reset).

    For tests that commit edits through a real server, so the tests after them see the data they expect.
    """
    from sqlalchemy import delete, update

    from webapp.models import (
        Actor, ActorPosition, Bloc, Dataset, Event, NetworkLayout, RecordRevision, Relation, Source, Upload,
    )

    with database.transaction() as session:
        load_directory(session, SEED_DIR, overwrite_app_edits=True, allow_removals=True)
        session.execute(delete(RecordRevision))
        # As base_database left it: no stored layout (the next request computes it from the data as it is).
        session.execute(delete(ActorPosition))
        session.execute(delete(NetworkLayout))
        session.execute(delete(Upload))
        session.execute(update(Dataset).values(ignored_names=""))
        for model in (Bloc, Actor, Source, Relation, Event):
            session.execute(update(model).values(version=1, origin="file", changed_by=None, changed_at=None))
