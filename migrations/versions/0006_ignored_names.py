"""ignored names: names in a dataset's articles that curators decided are not actors

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 02:45:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('datasets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ignored_names', sa.Text(), server_default='', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('datasets', schema=None) as batch_op:
        batch_op.drop_column('ignored_names')
