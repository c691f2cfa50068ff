"""republications: a source that copies an earlier one from another outlet names its original

``republished_from`` is the id of the earliest source from another outlet whose sentences make up at
least 80 % of this one's (``republished_share``, in per cent); both are derived from the sources'
texts and recomputed whenever a dataset's sources change, so going down loses nothing that the next
load or import would not compute again.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 10:30:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # ALTER TABLE … ADD COLUMN in place: the sources table is not rebuilt.
    with op.batch_alter_table('sources', recreate='never') as batch_op:
        batch_op.add_column(sa.Column('republished_from', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('republished_share', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('sources', recreate='never') as batch_op:
        batch_op.drop_column('republished_share')
        batch_op.drop_column('republished_from')
