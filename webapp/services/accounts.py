"""Accounts: users with roles, password logins with a rate limit, and API tokens for scripts.

Passwords are kept as scrypt hashes and API tokens as SHA-256 digests: neither
can be read back. Every function takes a Session and leaves committing to the
caller; bad input raises AccountError with a message for people.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import math
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session, selectinload
from werkzeug.security import check_password_hash, generate_password_hash

from ..models import ROLES, ApiToken, LoginAttempt, User, utcnow

NAME_PATTERN = re.compile(r"[A-Za-z0-9._-]{1,64}")
PASSWORD_MIN_LENGTH = 10
# scrypt would take any length; a cap keeps one request from costing much more than another.
PASSWORD_MAX_LENGTH = 1024
TOKEN_PREFIX = "ae_"
LABEL_MAX_LENGTH = 200

LOGIN_WINDOW = dt.timedelta(minutes=15)
MAX_FAILURES_PER_NAME = 5
MAX_FAILURES_PER_ADDRESS = 20
# last_used is a hint for people, not an audit log: one write a minute per token is enough.
TOKEN_TOUCH_INTERVAL = dt.timedelta(minutes=1)

WRONG_LOGIN = "Wrong name or password."


class AccountError(ValueError):
    """Bad input for an account operation; the message says what was wrong."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class LoginThrottled(AccountError):
    """Too many failed logins for this name or address; try again after ``retry_after`` seconds."""

    def __init__(self, retry_after: int) -> None:
        minutes = math.ceil(retry_after / 60)
        wait = f"{retry_after} seconds" if retry_after < 60 else f"{minutes} minute{'s' if minutes > 1 else ''}"
        super().__init__(f"Too many failed logins. Try again in {wait}.")
        self.retry_after = retry_after


@dataclass(frozen=True)
class IssuedToken:
    """A new API token: ``token`` is the only copy of the secret, shown once."""

    id: int
    token: str
    label: str
    user_name: str


def as_utc(value: dt.datetime) -> dt.datetime:
    """A stored time as an aware UTC datetime (SQLite hands them back naive)."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def has_role(role: str | None, minimum: str) -> bool:
    """Whether ``role`` is ``minimum`` or a more trusted one (None, anonymous, has none)."""
    return role in ROLES and ROLES.index(role) >= ROLES.index(minimum)


def validate_name(name: str) -> str:
    if not NAME_PATTERN.fullmatch(name):
        raise AccountError(
            f"bad user name {name!r}: use 1 to 64 letters, digits, dots, underscores or hyphens"
        )
    return name


def validate_role(role: str) -> str:
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
    return role


def validate_password(password: str) -> str:
    if len(password) < PASSWORD_MIN_LENGTH:
        raise AccountError(f"the password is too short: use at least {PASSWORD_MIN_LENGTH} characters")
    if len(password) > PASSWORD_MAX_LENGTH:
        raise AccountError(f"the password is too long: use at most {PASSWORD_MAX_LENGTH} characters")
    return password


def _new_session_token() -> str:
    return secrets.token_urlsafe(24)


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def find_user(session: Session, name: str) -> User | None:
    """The user called ``name``, ignoring case (names differing only in case are refused)."""
    return session.scalar(select(User).where(func.lower(User.name) == name.lower()))


def get_user(session: Session, name: str) -> User:
    """The user called ``name``; AccountError if there is none."""
    user = find_user(session, name)
    if user is None:
        raise AccountError(f"no user named {name!r}")
    return user


def list_users(session: Session) -> list[User]:
    """Every user, by name, with their tokens."""
    return list(session.scalars(select(User).options(selectinload(User.tokens)).order_by(func.lower(User.name))))


def create_user(session: Session, name: str, password: str, role: str = "viewer") -> User:
    """A new user with a hashed password; AccountError for a bad or taken name, role or password."""
    validate_name(name)
    validate_role(role)
    validate_password(password)
    existing = find_user(session, name)
    if existing is not None:
        raise AccountError(f"a user named {existing.name!r} already exists")
    user = User(
        name=name,
        password_hash=generate_password_hash(password),
        role=role,
        session_token=_new_session_token(),
    )
    session.add(user)
    session.flush()
    return user


def set_password(session: Session, name: str, password: str) -> User:
    """Replace a user's password and end every session they have (API tokens stay valid)."""
    user = get_user(session, name)
    user.password_hash = generate_password_hash(validate_password(password))
    user.session_token = _new_session_token()
    session.flush()
    return user


def set_role(session: Session, name: str, role: str) -> User:
    """Change a user's role; it applies from their next request."""
    user = get_user(session, name)
    user.role = validate_role(role)
    session.flush()
    return user


def end_sessions(session: Session, user_id: int) -> None:
    """Make every session cookie of this user worthless (logout, server side)."""
    user = session.get(User, user_id)
    if user is not None:
        user.session_token = _new_session_token()
        session.flush()


@functools.cache
def _decoy_hash() -> str:
    # Unknown names are checked against this, so they cost as much time as a wrong password.
    return generate_password_hash(secrets.token_urlsafe(16))


def authenticate(session: Session, name: str, password: str) -> User:
    """The user with this name and password; the same AccountError whichever of the two is wrong."""
    user = find_user(session, name) if len(password) <= PASSWORD_MAX_LENGTH else None
    password_ok = check_password_hash(user.password_hash if user else _decoy_hash(), password)
    if user is None or not password_ok:
        raise AccountError(WRONG_LOGIN)
    return user


def user_for_session(session: Session, user_id: int, session_token: str) -> User | None:
    """The user a session cookie names, if its session token is still the current one."""
    user = session.get(User, user_id)
    if user is None or not hmac.compare_digest(user.session_token.encode(), session_token.encode()):
        return None
    return user


def _attempt_key(name: str) -> str:
    return name.strip().lower()[:64]


def _retry_after(
    session: Session, column: InstrumentedAttribute[str], value: str, limit: int, now: dt.datetime
) -> int | None:
    """Seconds until fewer than ``limit`` attempts on ``value`` fall in the window; None if already so."""
    cutoff = now - LOGIN_WINDOW
    # The limit-th most recent attempt: once it leaves the window there is room again.
    oldest_counted = session.scalar(
        select(LoginAttempt.at)
        .where(column == value, LoginAttempt.at > cutoff)
        .order_by(LoginAttempt.at.desc())
        .offset(limit - 1)
        .limit(1)
    )
    if oldest_counted is None:
        return None
    return max(1, math.ceil((as_utc(oldest_counted) + LOGIN_WINDOW - now).total_seconds()))


def record_login_attempt(session: Session, name: str, address: str, now: dt.datetime | None = None) -> None:
    """Count a login attempt before its password is checked; LoginThrottled if over the limit.

    Counting first means parallel guesses are all counted. A successful login
    then clears the name's count (clear_login_failures); a refused one is not
    recorded, so waiting out the window always works.
    """
    now = now or utcnow()
    key, address = _attempt_key(name), address[:100]
    waits = [
        _retry_after(session, LoginAttempt.name, key, MAX_FAILURES_PER_NAME, now),
        _retry_after(session, LoginAttempt.address, address, MAX_FAILURES_PER_ADDRESS, now),
    ]
    if any(waits):
        raise LoginThrottled(max(wait for wait in waits if wait))
    session.execute(delete(LoginAttempt).where(LoginAttempt.at <= now - LOGIN_WINDOW))
    session.add(LoginAttempt(name=key, address=address, at=now))
    session.flush()


def clear_login_failures(session: Session, name: str) -> None:
    """Forget the failed attempts on a name after its owner logged in."""
    session.execute(delete(LoginAttempt).where(LoginAttempt.name == _attempt_key(name)))


def issue_token(session: Session, name: str, label: str = "") -> IssuedToken:
    """A new API token for the user; only its hash is stored, so this is the one chance to see it."""
    user = get_user(session, name)
    label = label.strip()
    if len(label) > LABEL_MAX_LENGTH:
        raise AccountError(f"the label is too long: use at most {LABEL_MAX_LENGTH} characters")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user=user, token_hash=_token_digest(token), label=label)
    session.add(row)
    session.flush()
    return IssuedToken(id=row.id, token=token, label=label, user_name=user.name)


def list_tokens(session: Session, name: str) -> list[ApiToken]:
    """A user's API tokens, revoked ones included, oldest first."""
    user = get_user(session, name)
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)))


def revoke_token(session: Session, token_id: int) -> tuple[ApiToken, bool]:
    """Revoke a token by id; returns it and whether it was still active."""
    row = session.get(ApiToken, token_id)
    if row is None:
        raise AccountError(f"no API token with id {token_id}")
    was_active = row.revoked_at is None
    if was_active:
        row.revoked_at = utcnow()
        session.flush()
    return row, was_active


def find_token(session: Session, token: str) -> ApiToken | None:
    """A live (known, not revoked) API token; reading only."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _token_digest(token)))
    if row is None or row.revoked_at is not None:
        return None
    return row


def token_due_for_touch(row: ApiToken, now: dt.datetime | None = None) -> bool:
    """Whether ``last_used`` is stale enough to be written again (at most once a minute)."""
    return row.last_used is None or (now or utcnow()) - as_utc(row.last_used) >= TOKEN_TOUCH_INTERVAL


def user_for_token(session: Session, token: str, now: dt.datetime | None = None) -> User | None:
    """The user an API token belongs to, or None if it is unknown or revoked; notes when it was used."""
    row = find_token(session, token)
    if row is None:
        return None
    now = now or utcnow()
    if token_due_for_touch(row, now):
        row.last_used = now
        session.flush()
    return row.user
