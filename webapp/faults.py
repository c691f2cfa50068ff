"""Database faults that are not the request's fault: what went wrong, in words a user can act on.

One place decides whether a SQLAlchemy/DBAPI error means the database is unreachable, busy
(locked past the busy timeout), read-only or out of space. The error handlers answer those with
``503`` and ``Retry-After``; ``/healthz`` reports them; anything not recognised stays a ``500``.
Drivers are recognised by what their errors carry, not by importing them: sqlite3's
``sqlite_errorname`` (``SQLITE_READONLY_DIRECTORY`` …), psycopg's ``sqlstate`` (``53100`` …).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import exc


@dataclass(frozen=True)
class Fault:
    kind: str          # unavailable | busy | read_only | full
    code: str          # the JSON error code
    message: str       # what is wrong and what still works
    retry_after: int   # seconds, for the Retry-After header


UNAVAILABLE = Fault(
    "unavailable", "database_unavailable",
    "The database cannot be reached: nothing can be read or saved right now. Try again in a minute.", 30)
BUSY = Fault(
    "busy", "database_busy",
    "The database is busy (locked by another change): this request was not carried out. "
    "Try again in a few seconds.", 5)
READ_ONLY = Fault(
    "read_only", "database_read_only",
    "The database is read-only: changes cannot be saved. Reading still works.", 60)
FULL = Fault(
    "full", "database_full",
    "The database is out of space: changes cannot be saved until space is freed. Reading still works.", 60)

FAULTS = {fault.kind: fault for fault in (UNAVAILABLE, BUSY, READ_ONLY, FULL)}

# sqlite3 (Python 3.11+) names the primary result code first: SQLITE_READONLY_DIRECTORY starts with SQLITE_READONLY.
_SQLITE = (
    ("SQLITE_BUSY", BUSY), ("SQLITE_LOCKED", BUSY), ("SQLITE_PROTOCOL", BUSY),
    ("SQLITE_READONLY", READ_ONLY), ("SQLITE_FULL", FULL),
    ("SQLITE_CANTOPEN", UNAVAILABLE), ("SQLITE_IOERR", UNAVAILABLE),
)
# Older drivers, or errors re-raised without the code: SQLite's own messages.
_SQLITE_MESSAGES = (
    ("database is locked", BUSY), ("database table is locked", BUSY),
    ("readonly database", READ_ONLY), ("database or disk is full", FULL),
    ("unable to open database file", UNAVAILABLE), ("disk i/o error", UNAVAILABLE),
)
# PostgreSQL SQLSTATEs (Appendix A of its manual); a class ("08") covers every code in it.
_SQLSTATES = {
    "53100": FULL,                                   # disk_full
    "25006": READ_ONLY,                              # read_only_sql_transaction (also a hot standby)
    "55P03": BUSY, "57014": BUSY,                    # lock_not_available (lock_timeout), query_canceled
    "40P01": BUSY, "40001": BUSY,                    # deadlock, serialization failure: try again
    "53": BUSY,                                      # other insufficient resources: connections, memory
    "08": UNAVAILABLE,                               # connection exceptions
    "57P01": UNAVAILABLE, "57P02": UNAVAILABLE, "57P03": UNAVAILABLE,  # shutting down, starting up
    "58030": UNAVAILABLE,                            # io_error
}


def classify(error: BaseException) -> Fault | None:
    """The fault ``error`` stands for, or None when it is a bug or a bad query (then: a 500)."""
    if isinstance(error, exc.TimeoutError):
        return BUSY  # every pooled connection in use for longer than the pool's timeout
    if isinstance(error, exc.DisconnectionError):
        return UNAVAILABLE
    if not isinstance(error, exc.DBAPIError):
        return None
    driver_error = error.orig
    name = getattr(driver_error, "sqlite_errorname", None)
    if isinstance(name, str):
        for prefix, fault in _SQLITE:
            if name.startswith(prefix):
                return fault
    sqlstate = getattr(driver_error, "sqlstate", None)
    if isinstance(sqlstate, str) and sqlstate:
        by_state = _SQLSTATES.get(sqlstate) or _SQLSTATES.get(sqlstate[:2])
        if by_state:
            return by_state
    message = str(driver_error).lower()
    for words, fault in _SQLITE_MESSAGES:
        if words in message:
            return fault
    if error.connection_invalidated:
        return UNAVAILABLE  # the dialect saw a dropped connection
    if isinstance(error, exc.OperationalError | exc.InterfaceError) and name is None and sqlstate is None:
        # psycopg's failures to connect, or a connection closed under it, carry no SQLSTATE.
        return UNAVAILABLE if type(driver_error).__module__.startswith("psycopg") else None
    return None
