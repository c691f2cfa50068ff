"""Is the database there, can it be read, can it be written: the checks behind ``/healthz``.

The write probe changes nothing lasting: in a write transaction it rewrites the schema
revision row with itself (which needs the main database writable: a temporary table would
not) and rolls back. On SQLite it also compares the file's page count with its limit and
the disk's free space. It waits at most ``PROBE_WAIT_MS`` for another writer's lock.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic.migration import MigrationContext
from sqlalchemy import Connection, text
from sqlalchemy.exc import SQLAlchemyError

from .. import faults
from ..db import Database

PROBE_WAIT_MS = 1000
MIN_FREE_BYTES = 1024 * 1024  # below this a SQLite write is about to fail: report "out of space" first


@dataclass
class Check:
    ok: bool
    fault: faults.Fault | None = None
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        if self.ok:
            return {"ok": True}
        return {"ok": False, "error": self.fault.kind if self.fault else self.error,
                "message": self.fault.message if self.fault else None}


@dataclass
class Health:
    read: Check
    write: Check
    schema: str | None
    expected: str | None
    dialect: str

    @property
    def ok(self) -> bool:
        return self.read.ok and self.write.ok and self.schema == self.expected

    @property
    def retry_after(self) -> int | None:
        """Seconds until it is worth asking again, when a fault (not just an old schema) is the reason."""
        waits = [check.fault.retry_after for check in (self.read, self.write) if check.fault]
        return min(waits) if waits else None

    def as_json(self) -> dict[str, Any]:
        status = "ok" if self.ok else "error" if not self.read.ok else "degraded"
        return {"status": status, "database": {
            "ok": self.read.ok and self.write.ok, "dialect": self.dialect,
            "read": self.read.as_json(), "write": self.write.as_json(),
            "schema": self.schema, "expected": self.expected,
        }}


def check(database: Database, expected: str | None) -> Health:
    dialect = database.engine.dialect.name
    try:
        with database.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            schema = _schema_revision(connection)
    except SQLAlchemyError as error:
        failed = _failed(error)
        return Health(failed, failed, None, expected, dialect)
    read = Check(True)
    if schema is None:
        return Health(read, Check(False, error="no_schema"), None, expected, dialect)
    try:
        write = _probe_write(database)
    except SQLAlchemyError as error:
        write = _failed(error)
    return Health(read, write, schema, expected, dialect)


def _schema_revision(connection: Connection) -> str | None:
    """The schema's Alembic revision, in one plain select: Alembic's own reading first inspects the
    catalog for its table, which was most of a health check's time. Where the table is missing (a new
    database) Alembic's reading says so."""
    try:
        revision: str | None = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except SQLAlchemyError:
        connection.rollback()
        return MigrationContext.configure(connection).get_current_revision()
    return revision


def _failed(error: SQLAlchemyError) -> Check:
    fault = faults.classify(error)
    return Check(False, fault, None if fault else type(error).__name__)


def _probe_write(database: Database) -> Check:
    engine = database.engine.execution_options(sqlite_begin="IMMEDIATE") if database.is_sqlite else database.engine
    with engine.connect() as connection:
        if database.is_sqlite:
            _sqlite_busy_timeout(connection, min(PROBE_WAIT_MS, database.busy_timeout_ms))
        try:
            with connection.begin() as transaction:
                if not database.is_sqlite:
                    connection.execute(text(f"SET LOCAL lock_timeout = {int(PROBE_WAIT_MS)}"))
                connection.execute(text("UPDATE alembic_version SET version_num = version_num"))
                full = database.is_sqlite and _sqlite_out_of_space(connection)
                transaction.rollback()
        finally:
            if database.is_sqlite and not connection.invalidated:  # (an invalidated one would reconnect)
                _sqlite_busy_timeout(connection, database.busy_timeout_ms)
    return Check(False, faults.FULL) if full else Check(True)


def _sqlite_busy_timeout(connection: Connection, milliseconds: int) -> None:
    # On the driver's connection: through SQLAlchemy the PRAGMA would begin a transaction.
    connection.connection.driver_connection.execute(f"PRAGMA busy_timeout = {int(milliseconds)}")  # type: ignore[union-attr]


def _sqlite_out_of_space(connection: Connection) -> bool:
    pages = connection.exec_driver_sql("PRAGMA page_count").scalar_one()
    limit = connection.exec_driver_sql("PRAGMA max_page_count").scalar_one()
    if pages >= limit:
        return True
    database = connection.engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return False
    return shutil.disk_usage(Path(database).resolve().parent).free < MIN_FREE_BYTES
