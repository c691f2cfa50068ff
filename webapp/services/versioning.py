"""The version check of every edit: a record moves to its next version only from the one the writer read.

``claim`` is an UPDATE … WHERE version = ?, which also locks the row until the
transaction ends, so of two concurrent writers of one version exactly one
wins and the other gets ``Conflict`` (409) with nothing written.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..revisions import MODELS
from .access import Conflict
from .records import NotFound


def claim(session: Session, kind: str, ident: str, expected: int, *, by: str, now: dt.datetime) -> int:
    """Move a record from version ``expected`` to the next one, as changed in the app by ``by``."""
    model = MODELS[kind]
    result = session.execute(
        update(model).where(model.id == ident, model.version == expected)
        .values(version=model.version + 1, origin="app", changed_by=by, changed_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        current = session.scalar(select(model.version).where(model.id == ident))
        if current is None:
            raise NotFound(kind, ident)
        raise Conflict(f"the {kind} is at version {current}, not {expected}: someone changed it since you read it",
                       kind, ident)
    return expected + 1


