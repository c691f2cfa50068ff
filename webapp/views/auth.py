"""Logging in and out, and who am I (``/api/me``) for scripts checking their token."""

from __future__ import annotations

from flask import Blueprint, make_response, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired, Length

from .. import get_database, get_session
from ..auth import BEARER_CHALLENGE, SignedInUser, safe_next
from ..errors import APIError
from ..jsonio import json_response
from ..services import accounts

bp = Blueprint("auth", __name__)

NO_STORE = {"Cache-Control": "no-store"}


class LoginForm(FlaskForm):
    name = StringField("Name", validators=[InputRequired(), Length(max=64)])
    password = PasswordField("Password", validators=[InputRequired(), Length(max=accounts.PASSWORD_MAX_LENGTH)])


def _login_page(form: LoginForm, next_url: str | None, status: int = 200, error: str | None = None):  # type: ignore[no-untyped-def]
    response = make_response(render_template("login.html", form=form, next_url=next_url, error=error), status)
    response.headers.update(NO_STORE)
    return response


@bp.route("/login", methods=["GET", "POST"])
def login():  # type: ignore[no-untyped-def]
    form = LoginForm()
    next_url = safe_next(request.args.get("next"))
    if not form.validate_on_submit():
        return _login_page(form, next_url)

    name, password = form.name.data.strip(), form.password.data
    address = request.remote_addr or "unknown"  # the client's, behind WEBAPP_TRUSTED_PROXIES proxies
    try:
        with get_database().transaction() as db:
            accounts.record_login_attempt(db, name, address)
    except accounts.LoginThrottled as throttled:
        response = _login_page(form, next_url, 429, throttled.message)
        response.headers["Retry-After"] = str(throttled.retry_after)
        return response
    try:
        user = accounts.authenticate(get_session(), name, password)
    except accounts.AccountError as error:
        return _login_page(form, next_url, error=error.message)
    with get_database().transaction() as db:
        accounts.clear_login_failures(db, name, address)
        if current_user.is_authenticated and current_user.session_id is not None:
            accounts.end_session(db, current_user.session_id)  # the login this browser had is replaced
        started = accounts.start_session(db, user.id, user_agent=request.user_agent.string, address=address)

    # A fresh session: nothing from before the login (CSRF token included) carries over.
    session.clear()
    login_user(SignedInUser(user, session_id=started.id, session_token=started.token))
    return redirect(next_url or url_for("explorer.index"), 303)


@bp.post("/logout")
def logout():  # type: ignore[no-untyped-def]
    if current_user.is_authenticated and current_user.session_id is not None:
        with get_database().transaction() as db:
            accounts.end_session(db, current_user.session_id)  # this browser's only: the others go on
    logout_user()
    session.clear()
    return redirect(safe_next(request.form.get("next")) or url_for("explorer.index"), 303)


@bp.get("/api/me")
def me():  # type: ignore[no-untyped-def]
    if not current_user.is_authenticated:
        raise APIError(401, "not_authenticated",
                       "Not logged in: send a session cookie or an 'Authorization: Bearer <token>' header.",
                       headers=BEARER_CHALLENGE)
    return json_response({
        "name": current_user.name,
        "role": current_user.role,
        "authenticated_by": "token" if current_user.by_token else "session",
    }, headers=NO_STORE)
