"""Backup and restore: a consistent snapshot of every table, portable between SQLite and PostgreSQL.

A backup is gzip-compressed JSON lines: a header (format, schema revision, when, from which database,
and each table's columns and row count), then each table's rows as arrays, then an end line. It is
written from one read transaction (a snapshot: the app may keep running) and restored in one write
transaction (all or nothing) into an empty database, or, when told, in place of what a database holds.
Column types come from the databases themselves, so a backup taken at an older schema restores at that
schema and is then migrated forward.
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, MetaData, Table, func, insert, select, text
from sqlalchemy import types as sqltypes

from .. import migrate
from ..db import Database, is_data_table

FORMAT = "alliance-explorer-backup"
VERSION = 1


class BackupError(Exception):
    """A backup that cannot be written or restored, and why; nothing was changed."""


@dataclass(frozen=True)
class Summary:
    schema: str
    tables: dict[str, int]

    @property
    def rows(self) -> int:
        return sum(self.tables.values())

    def __str__(self) -> str:
        return f"{self.rows:,} rows in {len(self.tables)} tables (schema {self.schema})"


def _tables(connection: Connection) -> list[Table]:
    metadata = MetaData()
    metadata.reflect(connection)
    # The schema revision is in the header; the search index is rebuilt by its triggers on restore.
    return [t for t in metadata.sorted_tables if is_data_table(t.name)]


def _encode(value: Any) -> Any:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, dt.datetime):
        # SQLite hands back the UTC the app stored, without its zone; say it.
        return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _decoder(column_type: sqltypes.TypeEngine[Any]) -> Any:
    if isinstance(column_type, sqltypes.LargeBinary):
        return lambda v: None if v is None else base64.b64decode(v)
    if isinstance(column_type, sqltypes.DateTime):
        return lambda v: None if v is None else dt.datetime.fromisoformat(v)
    if isinstance(column_type, sqltypes.Date):
        return lambda v: None if v is None else dt.date.fromisoformat(v)
    if isinstance(column_type, sqltypes.Boolean):
        return lambda v: None if v is None else bool(v)
    return lambda v: v


def backup(database: Database, path: Path) -> Summary:
    """Write every table to ``path`` from one snapshot of the database."""
    if not database.has_schema():
        raise BackupError("the database has no schema: there is nothing to back up")
    options = {} if database.is_sqlite else {"isolation_level": "REPEATABLE READ"}
    partial = path.with_name(path.name + ".partial")
    with database.engine.connect().execution_options(**options) as connection, connection.begin():
        schema = migrate.revision_of(connection)
        tables = _tables(connection)
        counts = {t.name: connection.scalar(select(func.count()).select_from(t)) or 0 for t in tables}
        header = {"format": FORMAT, "version": VERSION, "schema": schema,
                  "created": dt.datetime.now(dt.UTC).isoformat(), "from": database.engine.dialect.name,
                  "tables": [{"name": t.name, "columns": [c.name for c in t.columns], "rows": counts[t.name]}
                             for t in tables]}
        try:
            with gzip.open(partial, "wb") as out:
                _line(out, header)
                for table in tables:
                    _line(out, {"table": table.name})
                    for row in connection.execute(select(table)).yield_per(1000):
                        _line(out, [_encode(v) for v in row])
                _line(out, {"end": sum(counts.values())})
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    partial.replace(path)  # a backup file is whole or absent
    return Summary(schema or "base", counts)


def _line(out: gzip.GzipFile, value: Any) -> None:
    out.write(orjson.dumps(value) + b"\n")


def _read(path: Path) -> Iterator[Any]:
    try:
        with gzip.open(path, "rb") as stream:
            for number, line in enumerate(stream, start=1):
                try:
                    yield orjson.loads(line)
                except orjson.JSONDecodeError as error:
                    raise BackupError(f"{path}: line {number} is not JSON ({error}): not a whole backup") from None
    except (OSError, EOFError) as error:
        raise BackupError(f"{path}: not a readable backup ({error})") from None


def restore(database: Database, path: Path, *, replace: bool = False) -> Summary:
    """Load a backup into an empty database (or, with ``replace``, instead of what it holds)."""
    lines = _read(path)
    header = next(lines, None)
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise BackupError(f"{path}: not an Alliance Explorer backup")
    if header.get("version") != VERSION:
        raise BackupError(f"{path}: backup format {header.get('version')} is not supported (this app reads {VERSION})")
    schema = header["schema"]
    expected = {t["name"]: t for t in header["tables"]}
    current = migrate.current_revision(database) if database.has_schema() else None
    if current is not None:
        held = _held(database)
        if held and not replace:
            raise BackupError(f"the database is not empty ({held:,} rows): restore refuses to mix a backup into "
                              "it. Restore into an empty database, or pass --replace to put the backup in its place")
        if current != schema:
            raise BackupError(f"the database is at schema {current} and the backup at {schema}: restore into an "
                              "empty database (it is migrated forward after the restore)")
    else:
        migrate.upgrade(database, schema)
    with database.engine.connect() as connection, connection.begin():
        tables = {t.name: t for t in _tables(connection)}
        missing = sorted(set(expected) - set(tables))
        if missing:
            raise BackupError(f"{path}: tables {', '.join(missing)} are not in the schema {schema}")
        for table in reversed(list(tables.values())):
            connection.execute(table.delete())
        counts = _insert_all(connection, tables, expected, lines, path)
        if not database.is_sqlite:
            _reset_sequences(connection, tables.values())
    migrate.upgrade(database)
    return Summary(schema, counts)


def _insert_all(connection: Connection, tables: dict[str, Table], expected: dict[str, Any],
                lines: Iterator[Any], path: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    table: Table | None = None
    columns: list[str] = []
    decoders: list[Any] = []
    batch: list[dict[str, Any]] = []

    def flush() -> None:
        if batch and table is not None:
            connection.execute(insert(table), batch)
            batch.clear()

    for line in lines:
        if isinstance(line, dict) and "table" in line:
            flush()
            table = tables[line["table"]]
            columns = expected[line["table"]]["columns"]
            unknown = [c for c in columns if c not in table.columns]
            if unknown:
                raise BackupError(f"{path}: columns {', '.join(unknown)} of {table.name} are not in the schema")
            decoders = [_decoder(table.columns[c].type) for c in columns]
            counts[table.name] = 0
        elif isinstance(line, dict) and "end" in line:
            flush()
            short = {name: (counts.get(name, 0), t["rows"]) for name, t in expected.items()
                     if counts.get(name, 0) != t["rows"]}
            if short:
                raise BackupError(f"{path}: row counts differ from the header ({short}): the backup is damaged")
            return counts
        elif isinstance(line, list) and table is not None:
            batch.append({c: decode(v) for c, decode, v in zip(columns, decoders, line, strict=True)})
            counts[table.name] += 1
            if len(batch) >= 1000:
                flush()
        else:
            raise BackupError(f"{path}: unexpected line {str(line)[:80]!r}")
    raise BackupError(f"{path}: the backup is cut short (no end line): nothing was restored")


def _held(database: Database) -> int:
    with database.engine.connect() as connection:
        return sum(connection.scalar(select(func.count()).select_from(t)) or 0 for t in _tables(connection))


def _reset_sequences(connection: Connection, tables: Any) -> None:
    """PostgreSQL: serial columns continue after the restored ids."""
    for table in tables:
        keys = list(table.primary_key.columns)
        if len(keys) == 1 and isinstance(keys[0].type, sqltypes.Integer):
            connection.execute(text(
                f"SELECT setval(pg_get_serial_sequence(:table, :column), COALESCE(MAX({keys[0].name}), 1), "
                f"MAX({keys[0].name}) IS NOT NULL) FROM {table.name}"), {"table": table.name, "column": keys[0].name})
