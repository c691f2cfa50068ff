"""date reasons per bound: relations and events say why their start and their end are inferred, apiece

A record-level reason (``date_inferred``) meant both bounds; it becomes the start's reason and, where
the record has an end, the end's too. Nothing is lost going down: differing reasons are joined.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 07:40:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

# ALTER TABLE … RENAME COLUMN works in place on SQLite (3.25+) and PostgreSQL alike: no table is
# rebuilt, so no foreign key cascades and the search triggers stay as they are.
START = {'relations': 'start', 'events': 'date'}


def upgrade() -> None:
    for table, start in START.items():
        op.execute(f'ALTER TABLE {table} RENAME COLUMN date_inferred TO start_inferred')
        op.add_column(table, sa.Column('end_inferred', sa.Text(), nullable=True))
        op.execute(f'UPDATE {table} SET end_inferred = start_inferred WHERE "end" IS NOT NULL')
        op.execute(f'UPDATE {table} SET start_inferred = NULL WHERE {start} IS NULL AND "end" IS NOT NULL')


def downgrade() -> None:
    for table in START:
        op.execute(
            f"UPDATE {table} SET start_inferred = CASE "
            "WHEN end_inferred IS NULL OR end_inferred = start_inferred THEN start_inferred "
            "WHEN start_inferred IS NULL THEN end_inferred "
            "ELSE 'start: ' || start_inferred || '; end: ' || end_inferred END"
        )
        with op.batch_alter_table(table, recreate='never') as batch_op:
            batch_op.drop_column('end_inferred')
        op.execute(f'ALTER TABLE {table} RENAME COLUMN start_inferred TO date_inferred')
