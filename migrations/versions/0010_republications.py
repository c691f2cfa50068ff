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
    # The sources already here get their originals now, by the rule the app applies at every change.
    from webapp.text.overlap import Article, republications

    sources = sa.table('sources', sa.column('id', sa.String()), sa.column('dataset_id', sa.String()),
                       sa.column('publisher', sa.String()), sa.column('published_first', sa.Date()),
                       sa.column('text', sa.Text()), sa.column('republished_from', sa.String()),
                       sa.column('republished_share', sa.Integer()))
    connection = op.get_bind()
    by_dataset: dict[str, list[Article]] = {}
    for row in connection.execute(sa.select(sources.c.id, sources.c.dataset_id, sources.c.publisher,
                                            sources.c.published_first, sources.c.text)):
        order = (row.published_first is None, str(row.published_first or ''), row.id)
        by_dataset.setdefault(row.dataset_id, []).append(Article(row.id, row.publisher, order, row.text))
    for articles in by_dataset.values():
        for source_id, (original, share) in sorted(republications(articles).items()):
            connection.execute(sources.update().where(sources.c.id == source_id).values(
                republished_from=original, republished_share=round(share * 100)))


def downgrade() -> None:
    with op.batch_alter_table('sources', recreate='never') as batch_op:
        batch_op.drop_column('republished_share')
        batch_op.drop_column('republished_from')
