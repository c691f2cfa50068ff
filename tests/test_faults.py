"""Faults answered honestly: a database that cannot be reached, is read-only, full or locked is a 503
with Retry-After and a message saying what is wrong; reads go on where the database can be read;
/healthz reports reading and writing apart; and the next request after the fault works, no restart.

Each test runs its own app on its own database (SQLite: a copy of a small migrated file;
PostgreSQL: a schema of its own in the test database), since the faults are real ones.
The PostgreSQL tests run in the suite's PostgreSQL pass (TEST_DATABASE_URL) and are skipped on SQLite.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import sqlite3
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
import psycopg
from sqlalchemy import event, make_url, text
from sqlalchemy.exc import IntegrityError, OperationalError

from webapp import create_app, db, faults, migrate
from webapp.datasets.loader import load_directory
from webapp.db import Database
from webapp.services import accounts

from .conftest import PASSWORD, RIVER_PACT

NOTE = {"text": "Upland hedges.", "target": "/actors/upland"}
READ_ONLY = "The database is read-only: changes cannot be saved. Reading still works."
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


@dataclass
class Site:
    """An app on a database of its own, with an editor's API token."""

    app: Flask
    token: str

    @property
    def client(self) -> FlaskClient:
        return self.app.test_client()

    @property
    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def database(self) -> Database:
        database: Database = self.app.extensions["database"]
        return database

    def write(self, **note: Any) -> Any:
        return self.client.post("/api/annotations", json={**NOTE, **note}, headers=self.bearer)

    def reads(self) -> None:
        """What a reader does: the explorer page, its graph, an actor, who am I (by token)."""
        client = self.client
        for path in ("/", "/api/graph", "/api/actors/upland"):
            response = client.get(path)
            assert response.status_code == 200, (path, response.data[:300])
        assert client.get("/api/me", headers=self.bearer).json["name"] == "ed"

    def health(self) -> Any:
        return self.client.get("/healthz", headers=self.bearer)

    def close(self) -> None:
        self.app.extensions["database"].dispose()


def assert_fault(response: Any, words: str) -> None:
    """A 503 a user can act on: when to retry, and in words what is wrong (JSON or the error page)."""
    assert response.status_code == 503, response.data[:300]
    assert int(response.headers["Retry-After"]) > 0
    if response.is_json:
        message = response.json["error"]["message"]
    else:
        page = response.get_data(as_text=True)
        assert 'data-testid="error-page"' in page and "Traceback" not in page
        message = page
    assert words in message, message


def seed(database: Database) -> str:
    """River Pact, an editor 'ed', and ed's token."""
    migrate.upgrade(database)
    with database.transaction() as session:
        load_directory(session, RIVER_PACT)
        accounts.create_user(session, "ed", PASSWORD, "editor")
    with database.transaction() as session:
        return accounts.issue_token(session, "ed").token


# --- SQLite ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    path = tmp_path_factory.mktemp("faults") / "template.db"
    database = Database(f"sqlite:///{path}")
    token = seed(database)
    database.dispose()
    vacuum = sqlite3.connect(path, isolation_level=None)
    vacuum.execute("VACUUM")  # no free pages: the next page a write needs grows the file
    vacuum.close()
    return path, token


@pytest.fixture
def sqlite_site(template: tuple[Path, str], tmp_path: Path) -> Iterator[Any]:
    """make(uri="", **config) → a Site on a copy of the template database, ``tmp_path/db/app.db``,
    opened with SQLite URI parameters ``uri`` (``mode=ro``) if given."""
    path = tmp_path / "db" / "app.db"
    path.parent.mkdir()
    shutil.copy(template[0], path)
    sites: list[Site] = []

    def make(uri: str = "", **config: Any) -> Site:
        url = f"sqlite:///file:{path}?{uri}&uri=true" if uri else f"sqlite:///{path}"
        app = create_app({"TESTING": True, "AUTO_SETUP": False, "DATABASE_URL": url, **config})
        sites.append(Site(app, template[1]))
        return sites[-1]

    yield make
    for site in sites:
        site.close()


def test_a_read_only_sqlite_database_still_reads_and_refuses_writes_saying_so(sqlite_site):
    site = sqlite_site("mode=ro")  # as a file this process may not write, in a directory it may

    site.reads()
    assert_fault(site.write(), READ_ONLY)
    # A form in the browser: the login's rate limit must be written, so the page says why it cannot.
    client = site.client
    csrf = CSRF_META.search(client.get("/login").get_data(as_text=True))
    assert csrf
    response = client.post("/login", data={"name": "ed", "password": PASSWORD, "csrf_token": csrf.group(1)})
    assert_fault(response, READ_ONLY)

    health = site.health()
    assert health.status_code == 503 and int(health.headers["Retry-After"]) > 0
    database = health.json["database"]
    assert database["read"] == {"ok": True}
    assert database["write"]["ok"] is False and database["write"]["error"] == "read_only"
    assert health.json["status"] == "degraded"


@contextmanager
def write_protected(*paths: Path) -> Iterator[None]:
    """Make files and directories unwritable to this process: chmod, or for root (whom modes do not stop)
    the immutable attribute."""
    if os.geteuid() != 0:
        modes = {path: path.stat().st_mode for path in paths}
        for path in paths:
            path.chmod(0o555 if path.is_dir() else 0o444)
        try:
            yield
        finally:
            for path, mode in modes.items():
                path.chmod(mode)
        return
    chattr = shutil.which("chattr")
    done = chattr and subprocess.run([chattr, "+i", *map(str, paths)], capture_output=True).returncode == 0
    if not done:
        message = "root without chattr +i (CAP_LINUX_IMMUTABLE) cannot make a file read-only for itself"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    try:
        yield
    finally:
        subprocess.run([str(chattr), "-i", *map(str, paths)], check=True)


@pytest.mark.parametrize("what", ["file", "file and directory"])
def test_a_write_protected_sqlite_file_reads_refuses_writes_and_recovers_without_a_restart(
        sqlite_site, tmp_path, monkeypatch, what):
    monkeypatch.setattr(db, "READ_ONLY_RECHECK_S", 0.1)
    path = tmp_path / "db" / "app.db"
    site = sqlite_site()
    protected = (path, path.parent) if what == "file and directory" else (path,)
    # Nothing but the file (as after a clean shutdown): in a read-only directory SQLite cannot add the
    # -shm a WAL database needs even to be read.
    assert [p.name for p in path.parent.iterdir()] == ["app.db"]

    with write_protected(*protected):
        site.reads()
        assert_fault(site.write(), READ_ONLY)
        health = site.health()
        assert health.status_code == 503
        assert health.json["database"]["read"]["ok"] is True
        assert health.json["database"]["write"]["error"] == "read_only"

    time.sleep(0.2)  # connections opened read-only are replaced after READ_ONLY_RECHECK_S
    created = site.write()
    assert created.status_code == 201, created.data[:300]
    health = site.health()
    assert health.status_code == 200, health.json
    site.reads()


def _page_limit(site: Site, limit: dict[str, int]) -> None:
    """A disk of ``limit["pages"]`` pages, applied to each connection as it is handed out."""

    @event.listens_for(site.app.extensions["database"].engine, "checkout")
    def _limit(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        dbapi_connection.execute(f"PRAGMA max_page_count = {limit['pages']}")


def test_a_full_sqlite_database_refuses_writes_that_grow_it_reads_on_and_recovers(sqlite_site, template):
    with sqlite3.connect(template[0]) as probe:
        pages = probe.execute("PRAGMA page_count").fetchone()[0]
    limit = {"pages": pages}  # not one page more than it has
    site = sqlite_site()
    _page_limit(site, limit)

    response = site.write(text="A long note. " * 4000)  # ~52 KB: a dozen new pages
    assert_fault(response, "The database is out of space")
    assert "Reading still works" in response.json["error"]["message"]
    site.reads()
    health = site.health()
    assert health.status_code == 503 and health.json["database"]["write"]["error"] == "full"
    assert health.json["database"]["read"]["ok"] is True

    limit["pages"] = 1_000_000  # space freed
    assert site.write(text="A long note. " * 4000).status_code == 201
    assert site.health().status_code == 200


def test_a_sqlite_database_locked_past_the_busy_timeout_is_busy_then_works_again(sqlite_site, tmp_path):
    site = sqlite_site(SQLITE_BUSY_TIMEOUT_MS=100)
    site.reads()
    other = sqlite3.connect(tmp_path / "db" / "app.db", isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # another writer holds the write lock
        assert_fault(site.write(), "The database is busy (locked")
        site.reads()  # WAL: readers do not wait for the writer
        health = site.health()
        assert health.status_code == 503 and health.json["database"]["write"]["error"] == "busy"
        other.execute("ROLLBACK")
    finally:
        other.close()
    assert site.write().status_code == 201
    assert site.health().status_code == 200


def test_an_unrecognised_database_error_is_still_a_plain_500(sqlite_site):
    site = sqlite_site()
    with site.app.extensions["database"].engine.begin() as connection:
        connection.execute(text("DROP TABLE annotations"))
    response = site.write()
    assert response.status_code == 500 and "Retry-After" not in response.headers
    assert response.json["error"]["code"] == "internal_error"
    assert b"annotations" not in response.data


# --- PostgreSQL ------------------------------------------------------------------------------------


class Proxy:
    """A TCP proxy in front of the database server that can be cut (connections dropped, port closed)
    and restored on the same port."""

    def __init__(self, host: str, port: int) -> None:
        self.upstream = (host, port)
        self.port = 0
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self.restore()

    def restore(self) -> None:
        listener = socket.create_server(("127.0.0.1", self.port))  # SO_REUSEADDR: the same port again
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            _close(listener)
        with self._lock:
            sockets, self._sockets = self._sockets, set()
        for sock in sockets:
            _close(sock)

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream, timeout=5)
                server.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets |= {client, server}
            for source, target in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            with self._lock:
                self._sockets -= {source, target}
            _close(source)
            _close(target)


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)  # wakes a thread blocked in accept() or recv()
    except OSError:
        pass
    sock.close()


@pytest.fixture(scope="module")
def pg_schema(database_url: str) -> Iterator[tuple[str, str]]:
    """A schema of its own in the PostgreSQL test database, migrated, with River Pact and ed's token."""
    if database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL only: runs when the suite runs on PostgreSQL (TEST_DATABASE_URL)")
    schema = f"faults_{uuid.uuid4().hex[:8]}"
    owner = Database(database_url)
    with owner.engine.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    database = Database(_with_options(database_url, f"-csearch_path={schema}"))
    try:
        token = seed(database)
        database.dispose()
        yield schema, token
    finally:
        database.dispose()
        with owner.engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        owner.dispose()


def _with_options(url: str, options: str, **parts: Any) -> str:
    parsed = make_url(url).set(**parts)
    return parsed.update_query_dict({"options": options}).render_as_string(hide_password=False)


@pytest.fixture
def pg_site(pg_schema: tuple[str, str], database_url: str) -> Iterator[Any]:
    """make(options, proxy=None) → a Site on the faults schema, reached through ``proxy`` if given."""
    schema, token = pg_schema
    sites: list[Site] = []

    def make(options: str = "", proxy: Proxy | None = None) -> Site:
        parts = {"host": "127.0.0.1", "port": proxy.port} if proxy else {}
        url = _with_options(database_url, f"-csearch_path={schema} {options}".strip(), **parts)
        sites.append(Site(create_app({"TESTING": True, "AUTO_SETUP": False, "DATABASE_URL": url}), token))
        return sites[-1]

    yield make
    for site in sites:
        site.close()


def test_postgresql_out_of_reach_is_503_with_retry_after_then_works_again_without_a_restart(
        pg_site, database_url):
    upstream = make_url(database_url)
    proxy = Proxy(upstream.host or "127.0.0.1", upstream.port or 5432)
    try:
        site = pg_site(proxy=proxy)
        site.reads()
        assert site.health().status_code == 200

        proxy.cut()
        unreachable = "The database cannot be reached"
        assert_fault(site.client.get("/api/graph"), unreachable)
        assert_fault(site.client.get("/"), unreachable)  # the HTML page
        assert_fault(site.write(), unreachable)          # the token cannot be looked up either
        assert_fault(site.health(), unreachable)         # /healthz with a bearer token
        health = site.client.get("/healthz")
        assert health.status_code == 503 and int(health.headers["Retry-After"]) > 0
        assert health.json["status"] == "error"
        assert health.json["database"]["read"]["ok"] is False
        assert health.json["database"]["read"]["error"] == "unavailable"

        proxy.restore()
        site.reads()
        assert site.write().status_code == 201
        assert site.health().status_code == 200
    finally:
        proxy.cut()


def test_a_read_only_postgresql_database_reads_and_refuses_writes_saying_so(pg_site):
    site = pg_site("-cdefault_transaction_read_only=on")  # as on a hot standby, or after ALTER DATABASE
    site.reads()
    assert_fault(site.write(), READ_ONLY)
    health = site.health()
    assert health.status_code == 503 and int(health.headers["Retry-After"]) > 0
    assert health.json["database"]["read"] == {"ok": True}
    assert health.json["database"]["write"]["error"] == "read_only"


def test_postgresql_out_of_space_is_503_saying_so(pg_site, pg_schema, database_url):
    """A full disk cannot be made on demand: a trigger raises what PostgreSQL raises then (SQLSTATE 53100)."""
    schema = pg_schema[0]
    site = pg_site()
    with site.database.engine.begin() as connection:
        connection.execute(text(
            f'CREATE FUNCTION "{schema}".disk_full() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN '
            "RAISE EXCEPTION 'could not extend file: No space left on device' USING ERRCODE = '53100'; END $$"))
        connection.execute(text(f'CREATE TRIGGER disk_full BEFORE INSERT ON "{schema}".annotations '
                                f'FOR EACH ROW EXECUTE FUNCTION "{schema}".disk_full()'))
    try:
        assert_fault(site.write(), "The database is out of space")
        site.reads()
    finally:
        with site.database.engine.begin() as connection:
            connection.execute(text(f'DROP TRIGGER disk_full ON "{schema}".annotations'))
            connection.execute(text(f'DROP FUNCTION "{schema}".disk_full()'))
    assert site.write().status_code == 201


# --- the classification itself ---------------------------------------------------------------------


class DriverError(Exception):
    """What a driver's error carries: sqlite3's sqlite_errorname, psycopg's sqlstate."""

    def __init__(self, message: str, *, sqlstate: str | None = None, sqlite_errorname: str | None = None) -> None:
        super().__init__(message)
        self.sqlstate, self.sqlite_errorname = sqlstate, sqlite_errorname


@pytest.mark.parametrize(("driver_error", "kind"), [
    (DriverError("database or disk is full", sqlite_errorname="SQLITE_FULL"), "full"),
    (DriverError("attempt to write a readonly database", sqlite_errorname="SQLITE_READONLY_DIRECTORY"), "read_only"),
    (DriverError("database is locked", sqlite_errorname="SQLITE_BUSY"), "busy"),
    (DriverError("unable to open database file", sqlite_errorname="SQLITE_CANTOPEN"), "unavailable"),
    (DriverError("no such table: actors", sqlite_errorname="SQLITE_ERROR"), None),
    (DriverError("database is locked"), "busy"),  # a driver that gives only the message
    (DriverError("could not extend file", sqlstate="53100"), "full"),
    (DriverError("cannot execute UPDATE in a read-only transaction", sqlstate="25006"), "read_only"),
    (DriverError("canceling statement due to lock timeout", sqlstate="55P03"), "busy"),
    (DriverError("sorry, too many clients already", sqlstate="53300"), "busy"),
    (DriverError("terminating connection due to administrator command", sqlstate="57P01"), "unavailable"),
    (DriverError("connection failure", sqlstate="08006"), "unavailable"),
    (DriverError('relation "actors" does not exist', sqlstate="42P01"), None),
    (psycopg.OperationalError("connection failed: Connection refused"), "unavailable"),
])
def test_driver_errors_are_classified_in_one_place(driver_error, kind):
    fault = faults.classify(OperationalError("SELECT 1", {}, driver_error))
    assert (fault.kind if fault else None) == kind


def test_a_constraint_violation_is_not_a_fault():
    duplicate = IntegrityError("INSERT", {}, DriverError("duplicate key", sqlstate="23505"))
    assert faults.classify(duplicate) is None
