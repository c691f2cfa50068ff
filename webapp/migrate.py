"""Alembic driven from the app: the schema is only ever created or changed by migrations."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from .config import PROJECT_ROOT
from .db import Database

MIGRATIONS = PROJECT_ROOT / "migrations"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def _run(database: Database, action, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
    config = alembic_config()
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        action(config, *args, **kwargs)


def upgrade(database: Database, revision: str = "head") -> None:
    _run(database, command.upgrade, revision)


def downgrade(database: Database, revision: str) -> None:
    _run(database, command.downgrade, revision)


def revision(database: Database, message: str, autogenerate: bool = True) -> None:
    _run(database, command.revision, message=message, autogenerate=autogenerate)


def current_revision(database: Database) -> str | None:
    with database.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()
