"""actor positions: the network layout stored per actor, shared by every worker and every restart

``actor_positions`` holds where the network draws each actor, ``network_layout`` (one row) what those
positions were computed for (a hash of the graph, the data revision) and a stamp that changes with
every write of them, which the per-process caches key on. Both are derived from the data: `load`
computes them, an edit places a new actor beside its neighbours, and a database without them gets
them computed once on its first request. Going down loses nothing that would not be computed again
(the picture of an edited network may then differ: actors placed by edits are laid out afresh).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-09 10:45:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'actor_positions',
        sa.Column('actor_id', sa.String(length=100), nullable=False),
        sa.Column('x', sa.Float(), nullable=False),
        sa.Column('y', sa.Float(), nullable=False),
        sa.Column('provisional', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.ForeignKeyConstraint(['actor_id'], ['actors.id'], name=op.f('fk_actor_positions_actor_id_actors'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('actor_id', name=op.f('pk_actor_positions')),
    )
    op.create_table(
        'network_layout',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('fingerprint', sa.String(length=64), nullable=False),
        sa.Column('revision', sa.Text(), nullable=False),
        sa.Column('stamp', sa.String(length=32), nullable=False),
        sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('id = 1', name=op.f('ck_network_layout_single')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_network_layout')),
    )


def downgrade() -> None:
    op.drop_table('network_layout')
    op.drop_table('actor_positions')
