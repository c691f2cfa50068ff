"""Accounts: users with roles, password logins with a rate limit, login sessions, and API tokens.

Passwords are kept as scrypt hashes, session and API tokens as SHA-256 digests:
none can be read back. Every function takes a Session and leaves committing to
the caller; bad input raises AccountError with a message for people.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import ipaddress
import math
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, delete, func, or_, select, update
from sqlalchemy.orm import Session, selectinload
from werkzeug.security import check_password_hash, generate_password_hash

from ..models import ROLES, ApiToken, LoginAttempt, LoginSession, User, utcnow

NAME_PATTERN = re.compile(r"[A-Za-z0-9._-]{1,64}")
PASSWORD_MIN_LENGTH = 10
# scrypt would take any length; a cap keeps one request from costing much more than another.
PASSWORD_MAX_LENGTH = 1024
TOKEN_PREFIX = "ae_"
LABEL_MAX_LENGTH = 200

LOGIN_WINDOW = dt.timedelta(minutes=15)
# Failures are counted per (name, address): a stranger elsewhere cannot use up the owner's tries.
MAX_FAILURES_PER_NAME_AND_ADDRESS = 5
# Every name from one address: one address guessing at many accounts.
MAX_FAILURES_PER_ADDRESS = 20
# A name failing this often from every address together is under a spread-out attack. It is never
# locked (that would let strangers lock its owner out); each address gets fewer tries on it instead.
NAME_UNDER_ATTACK = 100
MAX_FAILURES_PER_NAME_AND_ADDRESS_UNDER_ATTACK = 2
# last_used / last_seen are hints for people, not an audit log: one write a minute is enough.
TOKEN_TOUCH_INTERVAL = dt.timedelta(minutes=1)
SESSION_TOUCH_INTERVAL = dt.timedelta(minutes=1)
# A login session not used for this long has ended; ended sessions are pruned this long after.
SESSION_IDLE_LIMIT = dt.timedelta(days=30)
SESSION_KEPT_AFTER_END = dt.timedelta(days=30)
USER_AGENT_MAX_LENGTH = 300

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
class StartedSession:
    """A new login session: ``token`` goes into the cookie and is stored nowhere else."""

    id: int
    token: str


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
    user = User(name=name, password_hash=generate_password_hash(password), role=role)
    session.add(user)
    session.flush()
    return user


def set_password(session: Session, name: str, password: str, *, keep_session: int | None = None) -> User:
    """Replace a user's password and end their login sessions (API tokens stay valid).

    ``keep_session`` is the session the change was made in, when the user changes it in the app:
    that one goes on, every other one ends.
    """
    user = get_user(session, name)
    user.password_hash = generate_password_hash(validate_password(password))
    end_sessions(session, user.id, keep=keep_session)
    session.flush()
    return user


def set_role(session: Session, name: str, role: str) -> User:
    """Change a user's role; their sessions and tokens go on, with the new role from the next request."""
    user = get_user(session, name)
    user.role = validate_role(role)
    session.flush()
    return user


# --- login sessions ------------------------------------------------------------------------------

def start_session(session: Session, user_id: int, *, user_agent: str | None = None, address: str | None = None,
                  now: dt.datetime | None = None) -> StartedSession:
    """A new login session for the user, with a new random token: nothing from before the login carries over.

    Also prunes the user's sessions that ended long ago, so the table does not grow with every login.
    """
    now = now or utcnow()
    cutoff = now - SESSION_KEPT_AFTER_END
    session.execute(delete(LoginSession).where(
        LoginSession.user_id == user_id,
        or_(LoginSession.revoked_at < cutoff, LoginSession.last_seen < cutoff - SESSION_IDLE_LIMIT),
    ))
    token = secrets.token_urlsafe(32)
    row = LoginSession(
        user_id=user_id, token_hash=_token_digest(token), created=now, last_seen=now,
        user_agent=(user_agent or "")[:USER_AGENT_MAX_LENGTH] or None, address=(address or "")[:100] or None,
    )
    session.add(row)
    session.flush()
    return StartedSession(id=row.id, token=token)


def _live_session(now: dt.datetime) -> ColumnElement[bool]:
    return and_(LoginSession.revoked_at.is_(None), LoginSession.last_seen > now - SESSION_IDLE_LIMIT)


def find_session(session: Session, token: str, now: dt.datetime | None = None) -> LoginSession | None:
    """The live (not revoked, not idle too long) login session a cookie's token names, with its user; reading only."""
    if not token or len(token) > 200:
        return None
    return session.scalar(select(LoginSession).where(
        LoginSession.token_hash == _token_digest(token), _live_session(now or utcnow())))


def session_due_for_touch(row: LoginSession, now: dt.datetime | None = None) -> bool:
    """Whether ``last_seen`` is stale enough to be written again (at most once a minute)."""
    return (now or utcnow()) - as_utc(row.last_seen) >= SESSION_TOUCH_INTERVAL


def touch_session(session: Session, session_id: int, now: dt.datetime | None = None) -> None:
    """Note that a login session was used just now (unless it has ended meanwhile)."""
    now = now or utcnow()
    session.execute(update(LoginSession).where(LoginSession.id == session_id, _live_session(now))
                    .values(last_seen=now))


def end_session(session: Session, session_id: int, now: dt.datetime | None = None) -> None:
    """End one login session (logging out): its cookie stops working, the user's other sessions go on."""
    session.execute(update(LoginSession).where(LoginSession.id == session_id, LoginSession.revoked_at.is_(None))
                    .values(revoked_at=now or utcnow()))


def end_sessions(session: Session, user_id: int, *, keep: int | None = None, now: dt.datetime | None = None) -> None:
    """End every login session of the user but ``keep``."""
    query = update(LoginSession).where(LoginSession.user_id == user_id, LoginSession.revoked_at.is_(None))
    if keep is not None:
        query = query.where(LoginSession.id != keep)
    session.execute(query.values(revoked_at=now or utcnow()))


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


# --- the login rate limit ------------------------------------------------------------------------

def _attempt_key(name: str) -> str:
    return name.strip().lower()[:64]


def address_key(address: str) -> str:
    """The client an address stands for: itself, or for IPv6 its /64 (one household's or server's
    share, where a client can pick a new address for every request)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return address[:100]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def _retry_after(session: Session, which: ColumnElement[bool], limit: int, now: dt.datetime) -> int | None:
    """Seconds until fewer than ``limit`` of the ``which`` attempts fall in the window; None if already so."""
    # The limit-th most recent attempt: once it leaves the window there is room again.
    oldest_counted = session.scalar(
        select(LoginAttempt.at)
        .where(which, LoginAttempt.at > now - LOGIN_WINDOW)
        .order_by(LoginAttempt.at.desc())
        .offset(limit - 1)
        .limit(1)
    )
    if oldest_counted is None:
        return None
    return max(1, math.ceil((as_utc(oldest_counted) + LOGIN_WINDOW - now).total_seconds()))


def record_login_attempt(session: Session, name: str, address: str, now: dt.datetime | None = None) -> None:
    """Count a login attempt before its password is checked; LoginThrottled if over a limit.

    The limits are per (name, address) and per address, never per name alone: failures from
    elsewhere cannot lock a name's owner out. A name failing from many addresses at once only
    lowers every address's allowance for it (NAME_UNDER_ATTACK). Counting first means parallel
    guesses are all counted; a successful login then clears its own (name, address) count
    (clear_login_failures); a refused attempt is not recorded, so waiting out the window always works.
    """
    now = now or utcnow()
    key, client = _attempt_key(name), address_key(address)
    on_name = session.scalar(select(func.count()).select_from(LoginAttempt).where(
        LoginAttempt.name == key, LoginAttempt.at > now - LOGIN_WINDOW)) or 0
    per_pair = (MAX_FAILURES_PER_NAME_AND_ADDRESS if on_name < NAME_UNDER_ATTACK
                else MAX_FAILURES_PER_NAME_AND_ADDRESS_UNDER_ATTACK)
    waits = [
        _retry_after(session, and_(LoginAttempt.name == key, LoginAttempt.address == client), per_pair, now),
        _retry_after(session, LoginAttempt.address == client, MAX_FAILURES_PER_ADDRESS, now),
    ]
    if any(waits):
        raise LoginThrottled(max(wait for wait in waits if wait))
    session.execute(delete(LoginAttempt).where(LoginAttempt.at <= now - LOGIN_WINDOW))
    session.add(LoginAttempt(name=key, address=client, at=now))
    session.flush()


def clear_login_failures(session: Session, name: str, address: str) -> None:
    """Forget the failed attempts on a name from the address its owner just logged in from.

    Only those: clearing the name's count everywhere would hand a guesser elsewhere fresh tries.
    """
    session.execute(delete(LoginAttempt).where(
        LoginAttempt.name == _attempt_key(name), LoginAttempt.address == address_key(address)))


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
