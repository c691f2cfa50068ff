"""annotations: notes with tags and revisions

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 20:47:11.432502
"""

from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('annotations',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('creator_id', sa.Integer(), nullable=True),
    sa.Column('creator_name', sa.String(length=64), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('visibility', sa.String(length=10), nullable=False),
    sa.Column('target_kind', sa.String(length=10), nullable=False),
    sa.Column('target_id', sa.String(length=200), nullable=False),
    sa.Column('exact', sa.Text(), nullable=True),
    sa.Column('prefix', sa.Text(), nullable=True),
    sa.Column('suffix', sa.Text(), nullable=True),
    sa.Column('start', sa.Integer(), nullable=True),
    sa.Column('end', sa.Integer(), nullable=True),
    sa.Column('created', sa.DateTime(timezone=True), nullable=False),
    sa.Column('modified', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("target_kind IN ('actor', 'relation', 'event', 'source')", name=op.f('ck_annotations_target_kind')),
    sa.CheckConstraint("visibility IN ('private', 'shared')", name=op.f('ck_annotations_visibility')),
    sa.ForeignKeyConstraint(['creator_id'], ['users.id'], name=op.f('fk_annotations_creator_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_annotations'))
    )
    with op.batch_alter_table('annotations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_annotations_creator_id'), ['creator_id'], unique=False)
        batch_op.create_index('ix_annotations_target', ['target_kind', 'target_id'], unique=False)

    op.create_table('annotation_revisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('annotation_id', sa.String(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=10), nullable=False),
    sa.Column('editor_name', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('snapshot', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['annotation_id'], ['annotations.id'], name=op.f('fk_annotation_revisions_annotation_id_annotations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_annotation_revisions'))
    )
    with op.batch_alter_table('annotation_revisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_annotation_revisions_annotation_id'), ['annotation_id'], unique=False)

    op.create_table('annotation_tags',
    sa.Column('annotation_id', sa.String(length=36), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('tag', sa.String(length=50), nullable=False),
    sa.ForeignKeyConstraint(['annotation_id'], ['annotations.id'], name=op.f('fk_annotation_tags_annotation_id_annotations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('annotation_id', 'position', name=op.f('pk_annotation_tags'))
    )
    with op.batch_alter_table('annotation_tags', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_annotation_tags_tag'), ['tag'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('annotation_tags', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_annotation_tags_tag'))

    op.drop_table('annotation_tags')
    with op.batch_alter_table('annotation_revisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_annotation_revisions_annotation_id'))

    op.drop_table('annotation_revisions')
    with op.batch_alter_table('annotations', schema=None) as batch_op:
        batch_op.drop_index('ix_annotations_target')
        batch_op.drop_index(batch_op.f('ix_annotations_creator_id'))

    op.drop_table('annotations')
