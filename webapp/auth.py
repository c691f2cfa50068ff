"""Who is asking: session logins (Flask-Login), API tokens, and CSRF on every state change.

A request is authenticated either by its session cookie or, when it sends
``Authorization: Bearer <token>``, by that token alone. The cookie carries the
token of a server-side login session (accounts.start_session), made at login and
ended at logout, so a copied cookie is only as good as that one session. Cookie-borne requests
that change state need a CSRF token (form field ``csrf_token`` or header
``X-CSRFToken``); token requests do not, since a browser never adds that header
on its own.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Flask, current_app, g, make_response, redirect, request, session, url_for
from flask_login import AnonymousUserMixin, LoginManager, UserMixin, current_user
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response

from . import faults, get_database, get_session
from .errors import APIError
from .models import User
from .services import accounts

__all__ = ["current_user", "role_required", "safe_next"]



class _LoginManager(LoginManager):
    def _session_protection_failed(self) -> bool:
        # Only a logged-in session has anything to protect. Flask-Login would also "fail" an
        # anonymous session holding just a CSRF token, and then send a cookie-clearing header
        # with every page an anonymous visitor opens.
        if "_user_id" not in session:
            return False
        return bool(super()._session_protection_failed())


login_manager = _LoginManager()
csrf = CSRFProtect()

BEARER_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="alliance-explorer"'}

View = TypeVar("View", bound=Callable[..., Any])


class SignedInUser(UserMixin):
    """The user behind the current request, as views and templates see it (``current_user``)."""

    def __init__(self, user: User, *, by_token: bool = False, session_id: int | None = None,
                 session_token: str | None = None) -> None:
        self.id: int = user.id
        self.name: str = user.name
        self.role: str = user.role
        self.by_token = by_token
        self.session_id = session_id  # the login session behind a cookie request; None for a token
        self._session_token = session_token

    def get_id(self) -> str:
        # Flask-Login's "alternative id", the one thing the cookie holds: the login session's token.
        return self._session_token or ""

    def has_role(self, minimum: str) -> bool:
        return accounts.has_role(self.role, minimum)


class AnonymousUser(AnonymousUserMixin):
    id = None
    name = None
    role = None
    by_token = False

    def has_role(self, minimum: str) -> bool:
        return False


def bearer_token() -> str | None:
    """The token of an ``Authorization: Bearer`` header ("" if empty), None without one."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else None


@login_manager.user_loader
def _load_from_session(session_token: str) -> SignedInUser | None:
    if bearer_token() is not None:
        return None  # a token request is the token's user or no one, whatever cookies it carries
    # Read first, as for tokens: last_seen is written at most once a minute, in a transaction of its own.
    try:
        row = accounts.find_session(get_session(), session_token)
        if row is None:
            return None
        user = SignedInUser(row.user, session_id=row.id, session_token=session_token)
    except SQLAlchemyError as error:
        _lookup_failed(error, "the session's user")
        return None
    if accounts.session_due_for_touch(row):
        _note_use("login session", lambda db: accounts.touch_session(db, row.id))
    return user


@login_manager.request_loader
def _load_from_token(_request: Any) -> SignedInUser | None:
    token = bearer_token()
    if not token:
        return None
    # Read first: most requests only look the token up, and on SQLite a write
    # transaction would queue every one of them behind the writers.
    try:
        row = accounts.find_token(get_session(), token)
        if row is None:
            return None
        user = SignedInUser(row.user, by_token=True)
    except SQLAlchemyError as error:
        _lookup_failed(error, "the API token's user")
        return None
    if accounts.token_due_for_touch(row):
        _note_use("API token", lambda db: accounts.user_for_token(db, token))
    return user


def _lookup_failed(error: SQLAlchemyError, what: str) -> None:
    """The database failed while finding out who is asking: go on as anonymous, remember why.

    Error pages ask who is logged in too, so the loaders must not raise; whatever then needs the
    user (a token request, ``role_required``) raises this error instead, which a database fault
    turns into a 503 that says what is wrong (``errors._database``).
    """
    g.auth_lookup_error = error
    if faults.classify(error) is None:
        current_app.logger.exception("could not load %s", what)
    else:
        current_app.logger.warning("could not load %s: %s", what, error)
    try:
        get_session().rollback()  # a broken connection must not poison the rest of the request
    except SQLAlchemyError:
        pass


def _raise_lookup_failure() -> None:
    error = g.get("auth_lookup_error")
    if error is not None:
        raise error


def _note_use(what: str, note: Callable[[Session], object]) -> None:
    """Note when a token or a login session was used; a database that can be read but not written (or is
    busy) still serves the request, which does not depend on the note."""
    try:
        with get_database().transaction() as db:
            note(db)
    except SQLAlchemyError as error:
        if faults.classify(error) is None:
            raise
        current_app.logger.warning("could not note the %s's use: %s", what, error)


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site, else None (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if any(ord(char) < 32 or ord(char) == 127 for char in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def _login_url_for_here() -> str:
    here = request.full_path.rstrip("?")
    if request.headers.get("HX-Request"):
        # An htmx request's own URL is a fragment; send the user back to the page they were on.
        current = urlsplit(request.headers.get("HX-Current-URL", ""))
        here = (current.path or "/") + (f"?{current.query}" if current.query else "")
    return url_for("auth.login", next=safe_next(here))


@login_manager.unauthorized_handler
def _unauthorized() -> Response:
    _raise_lookup_failure()  # not "log in": the database could not say who this is
    if request.path.startswith("/api/"):
        raise APIError(401, "login_required", "Log in, or send an 'Authorization: Bearer <token>' header.",
                       headers=BEARER_CHALLENGE)
    if request.headers.get("HX-Request"):
        response = make_response("", 401)
        response.headers["HX-Redirect"] = _login_url_for_here()
        return response
    return redirect(_login_url_for_here())


def role_required(minimum: str) -> Callable[[View], View]:
    """Views only users with ``minimum`` or a more trusted role may use: 401 anonymous, 403 too weak."""
    accounts.validate_role(minimum)

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.has_role(minimum):
                raise APIError(403, "forbidden", f"This needs the {minimum} role; you are {current_user.role}.")
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def _authenticate_request() -> None:
    if bearer_token() is not None:
        if not current_user.is_authenticated:
            _raise_lookup_failure()
            raise APIError(401, "invalid_token", "The API token is unknown or has been revoked.",
                           headers=BEARER_CHALLENGE)
        return  # not cookie-borne, so there is nothing to forge: no CSRF check
    if request.path.startswith("/api/") and current_app.config["SESSION_COOKIE_NAME"] not in request.cookies:
        return  # no cookie, no session to ride on: the view answers 401 to a write
    if current_app.config["WTF_CSRF_ENABLED"]:
        csrf.protect(apply_exemptions=True)


def register(app: Flask) -> None:
    secure = app.config["SECURE_COOKIES"]
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=secure,
        # Checked by our own before_request, so Bearer requests can skip it.
        WTF_CSRF_CHECK_DEFAULT=False,
        # The token lives as long as the session, which login and logout replace;
        # a time limit would only break pages left open for an hour.
        WTF_CSRF_TIME_LIMIT=None,
    )
    if app.config["TRUSTED_PROXIES"]:
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]

    login_manager.session_protection = "strong"
    login_manager.anonymous_user = AnonymousUser
    login_manager.init_app(app)
    csrf.init_app(app)
    app.before_request(_authenticate_request)
