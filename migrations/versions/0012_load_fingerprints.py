"""load fingerprints: what a dataset's last load read and the state it left, so an unchanged reload is skipped

Derived data (a hash of the files, a digest of the dataset's state): going down loses nothing the next
load would not compute again, and the table is left out of backups and of a downgrade's losses.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-10 09:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'load_fingerprints',
        sa.Column('dataset_id', sa.String(length=100), nullable=False),
        sa.Column('files', sa.String(length=64), nullable=False),
        sa.Column('state', sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(['dataset_id'], ['datasets.id'], name=op.f('fk_load_fingerprints_dataset_id_datasets'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('dataset_id', name=op.f('pk_load_fingerprints')),
    )


def downgrade() -> None:
    op.drop_table('load_fingerprints')
