"""Engine and session setup: naming convention, SQLite pragmas, immediate write transactions."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, MetaData, create_engine, event, inspect
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

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

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


class Database:
    """The app's database: one engine, sessions for reading and for writing."""

    def __init__(self, url: str, *, echo: bool = False, busy_timeout_ms: int = 10_000) -> None:
        self.url = url
        self.engine = create_engine(url, echo=echo, pool_pre_ping=True)
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


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """What Alembic compares with the models: not the full-text search objects of migration 0007
    (SQLite's FTS5 tables, PostgreSQL's expression index), which no model describes."""
    if type_ == "table" and name is not None and name.startswith("source_fts"):
        return False
    return not (type_ == "index" and name == "ix_sources_text_search")
