"""Which sources of a dataset republish which, stored on the sources whenever they change.

The rule is ``text/overlap.py``'s; the loader and the importer call ``refresh`` after they write a
dataset's sources, so every worker reads the same answer from the database.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Source
from ..text.overlap import Article, republications


def refresh(session: Session, dataset_id: str) -> int:
    """Recompute which sources of the dataset republish which; return how many rows changed."""
    rows = session.execute(
        select(Source.id, Source.publisher, Source.published_first, Source.text, Source.republished_from,
               Source.republished_share).where(Source.dataset_id == dataset_id)).all()
    found = republications(
        Article(row.id, row.publisher, (row.published_first is None, row.published_first or dt.date.min, row.id),
                row.text)
        for row in rows)
    changed = 0
    for row in rows:
        original, share = found.get(row.id, (None, None))
        percent = round(share * 100) if share is not None else None
        if (row.republished_from, row.republished_share) != (original, percent):
            source = session.get(Source, row.id)
            assert source is not None
            source.republished_from, source.republished_share = original, percent
            changed += 1
    if changed:
        session.flush()
    return changed
