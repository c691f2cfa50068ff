"""source search: full-text indexes over the articles' text (SQLite FTS5, PostgreSQL GIN)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 03:00:00
"""

from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # An external-content FTS5 index over sources.text, kept in step by triggers.
        op.execute("CREATE VIRTUAL TABLE source_fts USING fts5(text, content='sources', content_rowid='rowid', "
                   "tokenize='porter unicode61 remove_diacritics 2')")
        op.execute("CREATE TRIGGER source_fts_insert AFTER INSERT ON sources BEGIN "
                   "INSERT INTO source_fts(rowid, text) VALUES (new.rowid, new.text); END")
        op.execute("CREATE TRIGGER source_fts_delete AFTER DELETE ON sources BEGIN "
                   "INSERT INTO source_fts(source_fts, rowid, text) VALUES ('delete', old.rowid, old.text); END")
        op.execute("CREATE TRIGGER source_fts_update AFTER UPDATE OF text ON sources BEGIN "
                   "INSERT INTO source_fts(source_fts, rowid, text) VALUES ('delete', old.rowid, old.text); "
                   "INSERT INTO source_fts(rowid, text) VALUES (new.rowid, new.text); END")
        op.execute("INSERT INTO source_fts(source_fts) VALUES ('rebuild')")
    else:
        op.execute("CREATE INDEX ix_sources_text_search ON sources USING gin (to_tsvector('english', text))")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("source_fts_insert", "source_fts_delete", "source_fts_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS source_fts")
    else:
        op.execute("DROP INDEX IF EXISTS ix_sources_text_search")
