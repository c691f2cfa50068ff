"""record versions: version and origin of curated records, and their revisions

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 01:40:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

VERSIONED = ('blocs', 'actors', 'sources', 'relations', 'events')


def upgrade() -> None:
    # Every record already in the database came from a dataset file: origin 'file', version 1.
    for table in VERSIONED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))
            batch_op.add_column(sa.Column('origin', sa.String(length=10), server_default='file', nullable=False))
            batch_op.add_column(sa.Column('changed_by', sa.String(length=64), nullable=True))
            batch_op.add_column(sa.Column('changed_at', sa.DateTime(timezone=True), nullable=True))
    op.create_table('record_revisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dataset_id', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('record_id', sa.String(length=200), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=10), nullable=False),
    sa.Column('editor_name', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('changes', sa.Text(), nullable=False),
    sa.Column('snapshot', sa.Text(), nullable=True),
    sa.CheckConstraint("kind IN ('bloc', 'actor', 'relation', 'event', 'source')", name=op.f('ck_record_revisions_kind')),
    sa.CheckConstraint("action IN ('load', 'create', 'update', 'delete', 'restore', 'revert', 'merge')", name=op.f('ck_record_revisions_action')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_record_revisions'))
    )
    with op.batch_alter_table('record_revisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_record_revisions_dataset_id'), ['dataset_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_record_revisions_at'), ['at'], unique=False)
        batch_op.create_index('ix_record_revisions_record', ['kind', 'record_id', 'version'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('record_revisions', schema=None) as batch_op:
        batch_op.drop_index('ix_record_revisions_record')
        batch_op.drop_index(batch_op.f('ix_record_revisions_at'))
        batch_op.drop_index(batch_op.f('ix_record_revisions_dataset_id'))
    op.drop_table('record_revisions')
    for table in reversed(VERSIONED):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('changed_at')
            batch_op.drop_column('changed_by')
            batch_op.drop_column('origin')
            batch_op.drop_column('version')
