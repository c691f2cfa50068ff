"""Alembic driven from the app: the schema is only ever created or changed by migrations."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from sqlalchemy import Connection, String, column, func, inspect, select
from sqlalchemy import table as sql_table

from .config import PROJECT_ROOT
from .db import Database, is_data_table

MIGRATIONS = PROJECT_ROOT / "migrations"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


@contextmanager
def _connection(database: Database) -> Iterator[Connection]:
    """A connection to migrate on. On SQLite, foreign keys are off while it migrates: batch mode
    rebuilds a table by dropping the old one, and with them on, that drop would cascade into every
    row that refers to the table (a downgrade of 0006 would empty the whole database). The pragma
    only takes effect outside a transaction; the keys are checked before the migration commits."""
    with database.engine.connect() as connection:
        driver = connection.connection.driver_connection if database.is_sqlite else None
        if driver is not None:
            driver.execute("PRAGMA foreign_keys = OFF")
        try:
            yield connection
        finally:
            if driver is not None:
                driver.execute("PRAGMA foreign_keys = ON")


def _check_foreign_keys(database: Database, connection: Connection) -> None:
    if database.is_sqlite:
        broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
        if broken:
            raise RuntimeError(f"the migration would leave {len(broken)} row(s) pointing at nothing "
                               f"(first: {tuple(broken[0])}); nothing was changed")


def _run(database: Database, action, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
    config = alembic_config()
    with _connection(database) as connection, connection.begin():
        config.attributes["connection"] = connection
        action(config, *args, **kwargs)
        _check_foreign_keys(database, connection)


def upgrade(database: Database, revision: str = "head") -> None:
    _run(database, command.upgrade, revision)


def downgrade(database: Database, revision: str) -> None:
    _run(database, command.downgrade, revision)


@dataclass(frozen=True)
class Loss:
    """Rows (or a column's values) that a downgrade would destroy."""

    table: str
    column: str | None
    rows: int

    def __str__(self) -> str:
        what = f"{self.table}.{self.column}" if self.column else self.table
        return f"{what}: {self.rows:,} {'value' if self.column else 'row'}{'s' if self.rows != 1 else ''}"




def downgrade_losses(database: Database, revision: str) -> list[Loss]:
    """What downgrading to ``revision`` would destroy, found by doing it and rolling it back.

    Both databases change their schema inside a transaction, so the trial is exact: a dropped table,
    a dropped column that held values, and rows lost to a rebuilt table all show. It goes one migration
    at a time, so that a column renamed in one step hides no column dropped in another.
    """
    config = alembic_config()
    losses: list[Loss] = []
    with _connection(database) as connection:
        transaction = connection.begin()
        try:
            config.attributes["connection"] = connection
            current = MigrationContext.configure(connection).get_current_revision()
            steps = [] if current is None else [
                str(step.down_revision or "base")
                for step in ScriptDirectory.from_config(config).iterate_revisions(current, revision)
                if step.revision != revision]
            census = _census(connection)
            for target in steps:
                command.downgrade(config, target)
                after = _census(connection)
                losses += _compare(census, after)
                census = after
        finally:
            transaction.rollback()
    # A table that is gone in the end is reported as its rows, not also column by column.
    worst: dict[tuple[str, str], int] = {}
    for loss in losses:
        if loss.column is None or loss.table in census:
            key = (loss.table, loss.column or "")
            worst[key] = max(worst.get(key, 0), loss.rows)
    return [Loss(table, name or None, rows) for (table, name), rows in sorted(worst.items())]


Census = dict[str, tuple[int, dict[str, int]]]


def _compare(before: Census, after: Census) -> list[Loss]:
    losses = []
    for table, (rows, columns) in sorted(before.items()):
        if table not in after:
            if rows:
                losses.append(Loss(table, None, rows))
            continue
        rows_after, columns_after = after[table]
        if rows_after < rows:
            losses.append(Loss(table, None, rows - rows_after))
        if set(columns_after) - set(columns):
            continue  # a column renamed, or merged into a new one (0008's date reasons): carried, not lost
        for name, values in sorted(columns.items()):
            if name not in columns_after and values:
                losses.append(Loss(table, name, values))
    return losses


def _census(connection: Connection) -> Census:
    """Every table's row count and each column's count of values (not NULL, and for text not empty)."""
    census = {}
    inspector = inspect(connection)
    for table in inspector.get_table_names():
        if not is_data_table(table):
            continue
        columns = inspector.get_columns(table)
        names = [c["name"] for c in columns]
        values = [func.count(func.nullif(column(c["name"]), "") if isinstance(c["type"], String)
                             else column(c["name"])) for c in columns]
        counts = connection.execute(select(func.count(), *values).select_from(sql_table(table))).one()
        census[table] = (counts[0], dict(zip(names, counts[1:], strict=True)))
    return census


def revision(database: Database, message: str, autogenerate: bool = True) -> None:
    _run(database, command.revision, message=message, autogenerate=autogenerate)


def current_revision(database: Database) -> str | None:
    with database.engine.connect() as connection:
        return revision_of(connection)


def revision_of(connection: Connection) -> str | None:
    """The schema revision as seen by this connection (inside its transaction, if one is open)."""
    return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()
