"""Revisions of curated records, written by the app's edits and by loads alike (a low layer both import).

Every change is a ``RecordRevision`` holding the fields that changed (old →
new) and the whole record afterwards, in the dataset file format, so any
revision can be restored through the one validator. The version check that
guards app edits is ``services.versioning.claim``.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from .models import Actor, Bloc, Dataset, Event, RecordRevision, Relation, Source, utcnow

MODELS: dict[str, Any] = {"bloc": Bloc, "actor": Actor, "relation": Relation, "event": Event, "source": Source}
# Who a load's revisions name as their editor.
LOAD_EDITOR = "flask load"


def bump_dataset(session: Session, dataset_id: str) -> None:
    """A dataset's content changed: its revision moves, and every cache keyed on it follows."""
    session.execute(update(Dataset).where(Dataset.id == dataset_id).values(revision=Dataset.revision + 1)
                    .execution_options(synchronize_session=False))


def changes(before: dict[str, Any] | None, after: dict[str, Any] | None) -> dict[str, list[Any]]:
    """The fields that differ, each as [old, new] (None for a field absent on one side)."""
    before, after = before or {}, after or {}
    # "id" is left out: it never changes, and a relation's file form only spells it out when it
    # differs from source-type-target (as after a merge), which is no change of the record.
    return {key: [before.get(key), after.get(key)]
            for key in sorted(set(before) | set(after)) if key != "id" and before.get(key) != after.get(key)}


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def add_revision(session: Session, *, dataset_id: str, kind: str, ident: str, version: int, action: str,
                 editor: str, before: dict[str, Any] | None, after: dict[str, Any] | None,
                 now: dt.datetime | None = None, extra: dict[str, Any] | None = None) -> None:
    """Record one change. The snapshot is the state after it (for a delete, the state removed)."""
    diff: dict[str, Any] = changes(before, after) if before is not None or after is not None else {}
    if extra:
        diff = {**diff, **extra}
    session.add(RecordRevision(
        dataset_id=dataset_id, kind=kind, record_id=ident, version=version, action=action, editor_name=editor,
        at=now or utcnow(), changes=_dumps(diff), snapshot=_dumps(after if after is not None else before),
    ))


def ensure_baseline(session: Session, *, dataset_id: str, kind: str, ident: str, version: int,
                    state: dict[str, Any], now: dt.datetime | None = None) -> None:
    """Before the first change of a record that has no history (it came from the files), keep that state.

    It is dated when the dataset was first loaded: a record with no revision has not changed since."""
    if session.scalar(select(func.count()).select_from(RecordRevision)
                      .where(RecordRevision.kind == kind, RecordRevision.record_id == ident)):
        return
    loaded = session.scalar(select(Dataset.loaded_at).where(Dataset.id == dataset_id))
    session.add(RecordRevision(
        dataset_id=dataset_id, kind=kind, record_id=ident, version=version, action="load",
        editor_name=LOAD_EDITOR, at=loaded or now or utcnow(), changes="{}", snapshot=_dumps(state),
    ))


def history(session: Session, kind: str, ident: str) -> list[RecordRevision]:
    """Every revision of a record, oldest first (a deleted record keeps its history)."""
    return list(session.scalars(
        select(RecordRevision).where(RecordRevision.kind == kind, RecordRevision.record_id == ident)
        .order_by(RecordRevision.version, RecordRevision.id)
    ))


# Keys of ``changes`` that say why, not which field: kept beside the fields, shown apart from them.
META_KEYS = ("merge", "unmerge", "reverted_to")


def revision_data(revision: RecordRevision) -> dict[str, Any]:
    """A revision as the API and the history views show it: ``changes`` holds fields only, ``meta`` the why."""
    changes = json.loads(revision.changes)
    return {
        "kind": revision.kind, "id": revision.record_id, "dataset": revision.dataset_id,
        "version": revision.version, "action": revision.action, "editor": revision.editor_name,
        # SQLite hands back naive datetimes; every revision time is UTC.
        "at": (revision.at if revision.at.tzinfo else revision.at.replace(tzinfo=dt.UTC)).isoformat(),
        "changes": {k: v for k, v in changes.items() if k not in META_KEYS},
        "meta": {k: v for k, v in changes.items() if k in META_KEYS},
        "snapshot": json.loads(revision.snapshot) if revision.snapshot else None,
    }


def recent(session: Session, dataset_id: str | None, limit: int = 200) -> list[RecordRevision]:
    """The latest revisions, newest first, of one dataset or all (baseline snapshots of loaded files left out)."""
    query = select(RecordRevision).where(RecordRevision.changes != "{}")
    if dataset_id is not None:
        query = query.where(RecordRevision.dataset_id == dataset_id)
    return list(session.scalars(query.order_by(RecordRevision.at.desc(), RecordRevision.id.desc()).limit(limit)))
