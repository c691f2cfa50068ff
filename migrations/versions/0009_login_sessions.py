"""login sessions: one server-side session per login, in place of one session token per user

Each login gets a row of its own (only the SHA-256 of its cookie's token is kept), so logging out ends
that session alone and a new login never reuses an old one. The users' single ``session_token`` goes:
whoever was logged in logs in again, nothing else changes. Going down, every user gets a new random
session token (so again everyone logs in again) and the sessions table is dropped: a downgrade names
its rows as a loss, since when and from where each session was used goes with it.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 09:10:00
"""

import secrets

from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('login_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen', sa.DateTime(timezone=True), nullable=False),
    sa.Column('user_agent', sa.String(length=300), nullable=True),
    sa.Column('address', sa.String(length=100), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_login_sessions_user_id_users'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_sessions')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_login_sessions_token_hash'))
    )
    with op.batch_alter_table('login_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_sessions_user_id'), ['user_id'], unique=False)
    # ALTER TABLE … DROP COLUMN in place (SQLite 3.35+): the users table is not rebuilt.
    with op.batch_alter_table('users', recreate='never') as batch_op:
        batch_op.drop_column('session_token')


def downgrade() -> None:
    op.add_column('users', sa.Column('session_token', sa.String(length=64), nullable=True))
    users = sa.table('users', sa.column('id', sa.Integer()), sa.column('session_token', sa.String()))
    connection = op.get_bind()
    for (user_id,) in connection.execute(sa.select(users.c.id)).all():
        connection.execute(users.update().where(users.c.id == user_id)
                           .values(session_token=secrets.token_urlsafe(24)))
    # SQLite rebuilds the table for NOT NULL; migrate.py runs migrations with foreign keys off, so the
    # rebuild cascades into nothing.
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('session_token', existing_type=sa.String(length=64), nullable=False)
    with op.batch_alter_table('login_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_sessions_user_id'))
    op.drop_table('login_sessions')
