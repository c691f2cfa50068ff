"""Migrations keep data: every step goes down and up on a database holding notes, edits and users, losing
only what the downgrade announced; `db downgrade` refuses to destroy data unless told (issue 15)."""

from __future__ import annotations

from typing import Any

from alembic.script import ScriptDirectory

from webapp import create_app, migrate
from webapp.datasets.loader import load_directory
from webapp.db import Database
from webapp.services import accounts

from .conftest import PASSWORD, SEED_DIR

NOTE = {"text": "Iraq sits between the two camps.", "target": "http://localhost/actors/iraq"}


def populate(database: Database) -> None:
    """The seed, an editor with a token, a note with a second version, and an edit of a relation."""
    migrate.upgrade(database)
    with database.transaction() as session:
        load_directory(session, SEED_DIR)
        accounts.create_user(session, "ed", PASSWORD, "editor")
        token = accounts.issue_token(session, "ed").token
    app = create_app({"DATABASE_URL": database.url, "AUTO_SETUP": False, "TESTING": True})
    client, bearer = app.test_client(), {"Authorization": f"Bearer {token}"}
    note = client.post("/api/annotations", json=NOTE, headers=bearer)
    assert note.status_code == 201, note.get_json()
    edited = client.put(note.get_json()["id"].replace("http://localhost", ""), headers={**bearer, "If-Match": '"1"'},
                        json={**NOTE, "text": "Iraq sits between the camps, says the author."})
    assert edited.status_code == 200, edited.get_json()
    patch = client.patch("/api/relations/iraq-alliance-iran", json={"summary": "Close ties since 2003."},
                         headers={**bearer, "If-Match": '"1"'})
    assert patch.status_code == 200, patch.get_json()
    app.extensions["database"].dispose()


def rows(database: Database) -> dict[str, int]:
    with database.engine.connect() as connection:
        return {table: count for table, (count, _) in migrate._census(connection).items()}


def test_every_step_down_and_up_loses_only_what_it_announced(scratch_database):
    database = scratch_database("migration_steps")
    populate(database)
    full = rows(database)
    assert full["annotations"] == 1 and full["annotation_revisions"] >= 2 and full["record_revisions"] >= 2
    script = ScriptDirectory.from_config(migrate.alembic_config())
    for step in script.walk_revisions():  # head first
        down = str(step.down_revision or "base")
        losses = migrate.downgrade_losses(database, down)
        announced = {loss.table for loss in losses}
        assert rows(database) == full, f"the trial downgrade to {down} changed the database"
        migrate.downgrade(database, down)
        # Rows are lost only with a table the step drops: never to a rebuilt table's cascades.
        below = rows(database)
        assert not [loss for loss in losses if loss.column is None and loss.table in below], (step.revision, losses)
        migrate.upgrade(database)
        after = rows(database)
        for table, count in full.items():
            if table not in announced:
                assert after.get(table) == count, (step.revision, table, count, after.get(table))
        if announced:  # put the data back for the next step, as a restore would
            migrate.downgrade(database, "base")
            populate(database)
            full = rows(database)


def test_downgrade_refuses_to_drop_notes_and_says_to_back_up(scratch_database):
    database = scratch_database("migration_refusal")
    populate(database)
    before = rows(database)
    app = create_app({"DATABASE_URL": database.url, "AUTO_SETUP": False, "TESTING": True})
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["db", "downgrade", "0002"])
    assert refused.exit_code == 1
    assert "would drop annotations: 1 row" in refused.output
    assert "would drop annotation_revisions: 2 rows" in refused.output
    assert "nothing was changed. Back up first" in refused.output and "--drop-data" in refused.output
    assert migrate.current_revision(database) == migrate.head_revision() and rows(database) == before
    # Down to base would take the users and their tokens too.
    base = runner.invoke(args=["db", "downgrade", "base"])
    assert base.exit_code == 1 and "would drop users: 1 row" in base.output and "api_tokens: 1 row" in base.output
    forced = runner.invoke(args=["db", "downgrade", "0002", "--drop-data"])
    assert forced.exit_code == 0, forced.output
    assert migrate.current_revision(database) == "0002" and "annotations" not in rows(database)
    assert rows(database)["users"] == 1 and rows(database)["relations"] == 51
    app.extensions["database"].dispose()


def test_a_downgrade_that_loses_nothing_goes_ahead(scratch_database):
    database = scratch_database("migration_lossless")
    populate(database)
    before: dict[str, Any] = rows(database)
    app = create_app({"DATABASE_URL": database.url, "AUTO_SETUP": False, "TESTING": True})
    result = app.test_cli_runner().invoke(args=["db", "downgrade", "0007"])  # date reasons joined, not dropped
    assert result.exit_code == 0, result.output
    # Every row is still there; only 0009's login sessions table, empty here (nobody logged in), went.
    assert before.pop("login_sessions") == 0
    # And 0011's stored network positions, none here either (nothing has drawn the network yet).
    assert before.pop("actor_positions") == before.pop("network_layout") == 0
    assert rows(database) == before
    app.extensions["database"].dispose()
