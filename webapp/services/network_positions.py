"""The network's stored positions: one row per actor, shared by every worker, process and restart.

``network`` computes them (at load, or once for a database that has none) and places the actors an
edit adds; this module reads and writes them. Every write gives ``network_layout.stamp`` a new
value, so a process keeps what it read under that stamp and asks the database only for the stamp
while it is the same (a new stamp is never an old one: a restored backup brings its own).
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, delete, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..models import ActorPosition, NetworkLayout, utcnow

Point = tuple[float, float]
# Positions kept per process, by stamp (a few: requests still reading an older one may come in late).
CACHED_STAMPS = 4


@dataclass(frozen=True)
class Stored:
    """What the database holds: the positions, which of them are provisional, and what they were computed for."""

    stamp: str
    fingerprint: str
    points: Mapping[str, Point]
    provisional: frozenset[str]


_lock = threading.Lock()
_cache: OrderedDict[str, Stored] = OrderedDict()


def stamp(session: Session) -> str | None:
    """The stamp of the stored positions, or None when none were ever computed."""
    return session.scalar(select(NetworkLayout.stamp).where(NetworkLayout.id == 1))


def stored(session: Session) -> Stored | None:
    """The stored positions (read once per process per stamp), or None when none were ever computed."""
    current = stamp(session)
    if not current:
        return None
    with _lock:
        cached = _cache.get(current)
    if cached is not None:
        return cached
    return _remember(_read(session))


def _read(session: Session) -> Stored | None:
    layout = session.execute(select(NetworkLayout.stamp, NetworkLayout.fingerprint)
                             .where(NetworkLayout.id == 1)).one_or_none()
    if layout is None or not layout.stamp:
        return None
    points, provisional = {}, set()
    for actor_id, x, y, is_provisional in session.execute(
            select(ActorPosition.actor_id, ActorPosition.x, ActorPosition.y, ActorPosition.provisional)):
        points[actor_id] = (x, y)
        if is_provisional:
            provisional.add(actor_id)
    return Stored(layout.stamp, layout.fingerprint, points, frozenset(provisional))


def _remember(found: Stored | None) -> Stored | None:
    if found is not None:
        with _lock:
            _cache[found.stamp] = found
            while len(_cache) > CACHED_STAMPS:
                _cache.popitem(last=False)
    return found


def lock(session: Session) -> Stored | None:
    """Take the positions for writing (the one ``network_layout`` row, created if absent) and return
    what is stored now, read inside the lock: None when nothing was ever computed.

    On PostgreSQL a second writer waits here until the first commits, then sees what it wrote; on
    SQLite write transactions already run one at a time (``BEGIN IMMEDIATE``)."""
    dialect = session.get_bind().dialect.name
    values: dict[str, Any] = {"id": 1, "fingerprint": "", "revision": "", "stamp": "", "computed_at": utcnow()}
    if dialect == "postgresql":
        session.execute(postgresql.insert(NetworkLayout).values(**values).on_conflict_do_nothing())
        session.execute(select(NetworkLayout.id).where(NetworkLayout.id == 1).with_for_update())
    elif dialect == "sqlite":
        session.execute(sqlite.insert(NetworkLayout).values(**values).on_conflict_do_nothing())
    elif session.get(NetworkLayout, 1) is None:
        session.execute(insert(NetworkLayout).values(**values))
    return _read(session)


def replace_all(session: Session, points: Mapping[str, Point], *, fingerprint: str, revision: str) -> Stored:
    """Store a full layout in place of whatever was stored (call ``lock`` first)."""
    session.execute(delete(ActorPosition))
    _insert(session, points, provisional=frozenset())
    return _stamped(session, fingerprint=fingerprint, revision=revision)


def add(session: Session, points: Mapping[str, Point], provisional: frozenset[str]) -> Stored:
    """Store positions for actors that had none, or move provisional ones (call ``lock`` first)."""
    session.execute(delete(ActorPosition).where(ActorPosition.actor_id.in_(list(points))))
    _insert(session, points, provisional)
    return _stamped(session)


def _insert(session: Session, points: Mapping[str, Point], provisional: frozenset[str]) -> None:
    rows = [{"actor_id": actor_id, "x": x, "y": y, "provisional": actor_id in provisional}
            for actor_id, (x, y) in points.items()]
    if rows:
        session.execute(insert(ActorPosition), rows)


def _stamped(session: Session, *, fingerprint: str | None = None, revision: str | None = None) -> Stored:
    layout = session.get(NetworkLayout, 1)
    assert layout is not None  # lock() made it
    layout.stamp = uuid.uuid4().hex
    if fingerprint is not None and revision is not None:
        layout.fingerprint, layout.revision, layout.computed_at = fingerprint, revision, utcnow()
    session.flush()
    # Kept at once: should the transaction roll back, no database will ever hold this stamp.
    found = _remember(_read(session))
    assert found is not None
    return found


@contextmanager
def writer(session: Session) -> Iterator[Session]:
    """A write transaction of its own beside a request's read session (committed on success), for the
    one write a read may need: positions that were never computed, or an actor that has none."""
    bind: Any = session.get_bind()
    if isinstance(bind, Engine) and bind.dialect.name == "sqlite":
        bind = bind.execution_options(sqlite_begin="IMMEDIATE")
    with Session(bind, join_transaction_mode="create_savepoint", expire_on_commit=False) as db, db.begin():
        yield db
