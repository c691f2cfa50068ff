"""Backup and restore (issue 15): a snapshot of everything, restored exactly into an empty database —
SQLite into PostgreSQL and back — and refused where it would mix with or damage what is there."""

from __future__ import annotations

import gzip
import os
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import MetaData, select

from webapp import create_app, migrate
from webapp.db import Database, is_data_table
from webapp.services import backup

from .conftest import FIXTURES
from .test_migrations import populate, rows

ARTICLE = FIXTURES / "articles" / "harbour-accord.html"


def everything(database: Database) -> dict[str, list[tuple[str, ...]]]:
    """Every row of every table, as text (datetimes in UTC), order-independent: what "exactly" means."""
    metadata = MetaData()
    with database.engine.connect() as connection:
        metadata.reflect(connection)
        tables = [t for t in metadata.sorted_tables if is_data_table(t.name)]
        return {t.name: sorted(tuple(_text(v) for v in row) for row in connection.execute(select(t))) for t in tables}


def _text(value: Any) -> str:
    encoded = backup._encode(value)
    return str(encoded)


def full(database: Database) -> None:
    """populate()'s notes, edits and users, and an article added with its original upload kept."""
    populate(database)
    app = create_app({"DATABASE_URL": database.url, "AUTO_SETUP": False, "TESTING": True})
    added = app.test_cli_runner().invoke(args=["import-source", str(ARTICLE), "--dataset", "iraq-intel-2015"])
    assert added.exit_code == 0, added.output
    app.extensions["database"].dispose()
    counts = rows(database)
    assert counts["uploads"] == 1 and counts["annotations"] == 1 and counts["users"] == 1


def cli(database: Database, *args: str):  # type: ignore[no-untyped-def]
    app = create_app({"DATABASE_URL": database.url, "AUTO_SETUP": False, "TESTING": True})
    try:
        return app.test_cli_runner().invoke(args=list(args))
    finally:
        app.extensions["database"].dispose()


def test_backup_then_restore_into_an_empty_database_reproduces_every_row(scratch_database, tmp_path):
    original = scratch_database("backup_source")
    full(original)
    file = tmp_path / "nightly.backup.gz"
    made = cli(original, "backup", str(file))
    assert made.exit_code == 0, made.output
    assert "backed up" in made.output and f"(schema {migrate.head_revision()})" in made.output
    copy = scratch_database("backup_copy")
    restored = cli(copy, "restore", str(file))
    assert restored.exit_code == 0, restored.output
    assert everything(copy) == everything(original)
    # The copy works as the app: its notes, its users' tokens, the uploaded original.
    app = create_app({"DATABASE_URL": copy.url, "AUTO_SETUP": False, "TESTING": True})
    client = app.test_client()
    assert len(client.get("/api/graph").get_json()["edges"]) == 51
    assert client.get("/api/relations/iraq-alliance-iran").get_json()["summary"] == "Close ties since 2003."
    assert client.get("/api/annotations").get_json()["total"] == 1
    app.extensions["database"].dispose()


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="the PostgreSQL pass runs this (CI runs both)")
def test_a_sqlite_backup_restores_into_postgresql_and_back(scratch_database, tmp_path):
    sqlite = Database(f"sqlite:///{tmp_path / 'from.db'}")
    full(sqlite)
    cli(sqlite, "backup", str(tmp_path / "a.gz"))
    postgres = scratch_database("backup_crossing")
    assert cli(postgres, "restore", str(tmp_path / "a.gz")).exit_code == 0
    assert everything(postgres) == everything(sqlite)
    assert cli(postgres, "backup", str(tmp_path / "b.gz")).exit_code == 0
    back = Database(f"sqlite:///{tmp_path / 'back.db'}")
    assert cli(back, "restore", str(tmp_path / "b.gz")).exit_code == 0
    assert everything(back) == everything(sqlite)
    # New rows in the restored PostgreSQL database get fresh ids (its sequences follow the restored ones).
    app = create_app({"DATABASE_URL": postgres.url, "AUTO_SETUP": False, "TESTING": True})
    assert app.test_cli_runner().invoke(args=["users", "create", "newcomer", "--role", "viewer", "--password-stdin"],
                                        input="another long password\n").exit_code == 0
    app.extensions["database"].dispose()
    sqlite.dispose()
    back.dispose()


def test_restore_refuses_a_database_that_holds_data_unless_told(scratch_database, tmp_path):
    source = scratch_database("backup_refusal_source")
    full(source)
    cli(source, "backup", str(tmp_path / "b.gz"))
    target = scratch_database("backup_refusal_target")
    populate(target)
    with target.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE relations SET summary = 'mine' WHERE id = 'iraq-alliance-iran'")
    before = everything(target)
    refused = cli(target, "restore", str(tmp_path / "b.gz"))
    assert refused.exit_code == 1 and "the database is not empty" in refused.output
    assert "--replace" in refused.output and "nothing was changed" in refused.output
    assert everything(target) == before
    replaced = cli(target, "restore", str(tmp_path / "b.gz"), "--replace")
    assert replaced.exit_code == 0, replaced.output
    assert everything(target) == everything(source)


def test_a_damaged_or_foreign_file_is_refused_and_restores_nothing(scratch_database, tmp_path):
    source = scratch_database("backup_damage_source")
    full(source)
    good = tmp_path / "b.gz"
    cli(source, "backup", str(good))
    lines = gzip.decompress(good.read_bytes()).splitlines(keepends=True)
    cut = tmp_path / "cut.gz"
    cut.write_bytes(gzip.compress(b"".join(lines[: len(lines) // 2])))
    other = tmp_path / "other.gz"
    other.write_bytes(gzip.compress(b'{"hello": "world"}\n'))
    plain = tmp_path / "plain.txt"
    plain.write_text("not a backup")
    for file, message in ((cut, "the backup is cut short"), (other, "not an Alliance Explorer backup"),
                          (plain, "not a readable backup")):
        target = scratch_database(f"backup_damage_{file.stem}")
        result = cli(target, "restore", str(file))
        assert result.exit_code == 1 and message in result.output and "nothing was changed" in result.output, \
            result.output
        held = rows(target) if target.has_schema() else {}
        assert not any(held.values()), held


def test_a_backup_is_whole_or_absent(scratch_database, tmp_path, monkeypatch):
    source = scratch_database("backup_whole")
    full(source)
    file: Path = tmp_path / "b.gz"

    def broken(*_args: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(backup, "_line", broken)
    result = cli(source, "backup", str(file))
    assert result.exit_code != 0
    assert not file.exists() and not list(tmp_path.glob("*.partial"))
