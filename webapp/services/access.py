"""Who is asking, and the refusals every write service raises (notes and curated records alike).

The permission table: anonymous callers and viewers read; editors and admins
write curated records and their own notes; only admins revert a record to an
earlier revision or change another user's note.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..models import User


@dataclass(frozen=True)
class Caller:
    """Who is asking: a user (id, name, role) or nobody (all None)."""

    id: int | None = None
    name: str | None = None
    role: str | None = None

    @property
    def authenticated(self) -> bool:
        return self.id is not None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def can_write(self) -> bool:
        return self.role in ("editor", "admin")

    @classmethod
    def of(cls, user: User | None) -> Caller:
        return cls(user.id, user.name, user.role) if user is not None else cls()


ANONYMOUS = Caller()


class ServiceError(Exception):
    """A refused request: ``status`` and ``code`` for HTTP, ``message`` for people, ``field`` when one is at fault."""

    status = 400
    code = "invalid"

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class Invalid(ServiceError):
    status, code = 400, "invalid"


class Unauthorized(ServiceError):
    status, code = 401, "login_required"


class Forbidden(ServiceError):
    status, code = 403, "forbidden"


class Conflict(ServiceError):
    """The thing changed since the caller read it. The transaction must be rolled back; read the
    current state afresh (``kind``, ``ident``) to show it beside the caller's version."""

    status, code = 409, "version_conflict"

    def __init__(self, message: str, kind: str, ident: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.ident = ident


def require_writer(caller: Caller, what: str) -> None:
    """Editors and admins write; say what to do to everyone else."""
    if not caller.authenticated:
        raise Unauthorized(f"log in as an editor to {what}")
    if not caller.can_write:
        raise Forbidden(f"a {caller.role} can read but not {what}; ask an admin for the editor role")


def require_admin(caller: Caller, what: str) -> None:
    require_writer(caller, what)
    if not caller.is_admin:
        raise Forbidden(f"only an admin can {what}")
