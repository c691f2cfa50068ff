"""Engine and session setup: naming convention, SQLite pragmas, immediate write transactions."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, MetaData, create_engine, event, exc, inspect
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

# A PostgreSQL server that does not answer makes a request fail after this long instead of hanging.
POSTGRES_CONNECT_TIMEOUT_S = 5
# How long a connection opened read-only because of a read-only directory is kept before trying again.
READ_ONLY_RECHECK_S = 2.0

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    """WAL, foreign keys, a busy timeout, and BEGIN IMMEDIATE for write sessions.

    pysqlite's own transaction handling is switched off so that SQLAlchemy's
    ``begin`` decides how a transaction starts: readers take no lock (deferred),
    writers take the write lock up front so two writers queue on the busy
    timeout instead of failing half-way with "database is locked".
    """

    @event.listens_for(engine, "do_connect")
    def _open(dialect: Any, record: Any, cargs: Any, cparams: dict[str, Any]) -> Any:
        return _open_sqlite(dialect.loaded_dbapi, record, list(cargs), cparams)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if engine.url.database not in (None, "", ":memory:"):
            try:
                cursor.execute("PRAGMA journal_mode = WAL")
                cursor.execute("PRAGMA synchronous = NORMAL")
            except dbapi_connection.OperationalError as error:
                # A read-only database keeps the journal mode it has; it can still be read.
                if not getattr(error, "sqlite_errorname", "").startswith("SQLITE_READONLY"):
                    raise
        cursor.close()

    @event.listens_for(engine, "checkout")
    def _recheck(_dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if record.info.get("read_only") and time.time() - record.starttime > READ_ONLY_RECHECK_S:
            raise exc.DisconnectionError("reopen: the file may be writable again")

    @event.listens_for(engine, "handle_error")
    def _reopen_read_only(context: Any) -> None:
        # A connection to a file SQLite found write-protected stays read-only: once a write is
        # refused, replace it (and the pool's others), so a write after the permissions are fixed works.
        name = getattr(context.original_exception, "sqlite_errorname", "")
        if isinstance(name, str) and name.startswith("SQLITE_READONLY"):
            context.is_disconnect = True

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


def _open_sqlite(dbapi: Any, record: Any, cargs: list[Any], cparams: dict[str, Any]) -> Any:
    """Open the file; if it cannot even be read because its directory is read-only, open it immutable.

    SQLite opens a file it may not write read-only, and such a connection stays so: it is marked
    and replaced every ``READ_ONLY_RECHECK_S`` seconds, so writes resume soon after the file is
    writable again. A WAL database also needs its ``-shm`` file to be read, which SQLite cannot
    create in a read-only directory: every read fails ("attempt to write a readonly database", or
    "unable to open" for root under ``chattr +i``). Opened ``mode=ro&immutable=1`` it reads fine —
    done only when no ``-wal`` holds changes the main file lacks. Another process must not write
    the file meanwhile: an immutable reader would not notice.
    """
    connection = dbapi.connect(*cargs, **cparams)
    path = cargs[0] if cargs else cparams.get("database")
    if not isinstance(path, str) or path in ("", ":memory:") or cparams.get("uri"):
        return connection
    if _writable(Path(path)):
        # Never read immutable a file that can be written: another connection may be writing it, and
        # an immutable reader would not see its changes (nor notice a transient SQLITE_READONLY_* error
        # under load was not the file's permissions).
        return connection
    record.info["read_only"] = True
    try:
        connection.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()
        return connection
    except dbapi.OperationalError as error:
        name = getattr(error, "sqlite_errorname", "") or ""
        if not name.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN")) or not _readable_without_wal(Path(path)):
            return connection  # the first statement will raise, and say why
    connection.close()
    params = {key: value for key, value in cparams.items() if key != "uri"}
    fallback = dbapi.connect(f"{Path(path).resolve().as_uri()}?mode=ro&immutable=1", uri=True, **params)
    record.info["read_only"] = True
    return fallback


def _writable(path: Path) -> bool:
    # access(), never open(): closing any descriptor of a database file drops every POSIX lock this
    # process holds on it, SQLite's own included (other connections would then read past a checkpoint).
    # The kernel refuses W_OK for an immutable file even to root.
    if not path.exists():
        return True  # SQLite will create it
    return os.access(path, os.W_OK)


def _readable_without_wal(path: Path) -> bool:
    if not os.access(path, os.R_OK):  # (not open(): see _writable)
        return False
    wal = path.with_name(path.name + "-wal")
    try:
        return not wal.exists() or wal.stat().st_size == 0
    except OSError:
        return False


class Database:
    """The app's database: one engine, sessions for reading and for writing."""

    def __init__(self, url: str, *, echo: bool = False, busy_timeout_ms: int = 10_000) -> None:
        self.url, self.busy_timeout_ms = url, busy_timeout_ms
        connect_args: dict[str, Any] = {}
        if url.startswith("postgresql") and "connect_timeout" not in url:
            connect_args["connect_timeout"] = POSTGRES_CONNECT_TIMEOUT_S
        # pool_pre_ping: a connection the server dropped (a restart, an outage) is replaced on checkout.
        self.engine = create_engine(url, echo=echo, pool_pre_ping=True, connect_args=connect_args)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        if self.is_sqlite:
            _configure_sqlite(self.engine, busy_timeout_ms)
            write_bind: Engine = self.engine.execution_options(sqlite_begin="IMMEDIATE")
        else:
            write_bind = self.engine
        self.read_sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.write_sessions = sessionmaker(write_bind, expire_on_commit=False)

    @classmethod
    def joining(cls, database: Database, connection: Connection) -> Database:
        """Sessions that run inside ``connection``'s open transaction.

        Used by the tests: each test's writes, commits included, vanish when the
        outer transaction is rolled back. Write transactions are savepoints; read
        sessions join without one, because closing a request's read session would
        otherwise roll back its savepoint and with it every write transaction the
        request began after its first read (a login, a logout).
        """
        bound = cls.__new__(cls)
        bound.url, bound.engine, bound.is_sqlite = database.url, database.engine, database.is_sqlite
        bound.busy_timeout_ms = database.busy_timeout_ms
        bound.read_sessions = sessionmaker(
            bind=connection, join_transaction_mode="rollback_only", expire_on_commit=False
        )
        bound.write_sessions = sessionmaker(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        return bound

    def session(self, *, write: bool = False) -> Session:
        return (self.write_sessions if write else self.read_sessions)()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A write session that commits on success and rolls back on any error."""
        with self.session(write=True) as session, session.begin():
            yield session

    def has_schema(self) -> bool:
        return inspect(self.engine).has_table("alembic_version")

    def dispose(self) -> None:
        self.engine.dispose()


# SQLite's full-text index of the sources (migration 0007: a virtual table and its shadow tables).
SEARCH_INDEX_PREFIX = "source_fts"


# What a dataset's last load read and left (``models.LoadFingerprint``): the next load computes it again.
LOAD_FINGERPRINTS = "load_fingerprints"


def is_data_table(name: str) -> bool:
    """Whether a table holds data: not the schema revision, nor the search index rebuilt from ``sources``,
    nor the loads' fingerprints (what backups copy and what a downgrade may not destroy unasked)."""
    return name not in ("alembic_version", LOAD_FINGERPRINTS) and not name.startswith(SEARCH_INDEX_PREFIX)


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """What Alembic compares with the models: not the full-text search objects of migration 0007
    (SQLite's FTS5 tables, PostgreSQL's expression index), which no model describes."""
    if type_ == "table" and name is not None and name.startswith(SEARCH_INDEX_PREFIX):
        return False
    return not (type_ == "index" and name == "ix_sources_text_search")
