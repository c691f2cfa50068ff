"""Accounts: the users CLI, logging in and out, sessions, the rate limit, CSRF and API tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import uuid

import pytest
from sqlalchemy import func, inspect, select, text
from werkzeug.security import generate_password_hash

from webapp import create_app, migrate
from webapp.auth import role_required, safe_next
from webapp.config import load_settings
from webapp.db import Database
from webapp.models import ApiToken, LoginAttempt, LoginSession, User
from webapp.services import accounts

from .conftest import PASSWORD, AuthActions

HTMX = {"HX-Request": "true"}


def user_count(app) -> int:
    with app.extensions["database"].session() as session:
        return session.scalar(select(func.count()).select_from(User))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def browser(app, address: str = "127.0.0.1"):  # type: ignore[no-untyped-def]
    """Another browser (its own cookies), at ``address``, and the login helper that drives it."""
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = address
    return other, AuthActions(other)


def session_token(app, client) -> str | None:  # type: ignore[no-untyped-def]
    """The login session's token a browser's (signed) cookie carries, as the server reads it."""
    cookie = client.get_cookie("session")
    if cookie is None:
        return None
    return app.session_interface.get_signing_serializer(app).loads(cookie.value).get("_user_id")


def me(client) -> int:  # type: ignore[no-untyped-def]
    return client.get("/api/me").status_code


# --- the users CLI -------------------------------------------------------------------------------


def test_cli_creates_a_user_with_a_hashed_password(app, runner):
    result = runner.invoke(args=["users", "create", "amira", "--role", "editor", "--password-stdin"],
                           input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert "created user amira (editor)" in result.output
    with app.extensions["database"].session() as session:
        user = accounts.get_user(session, "amira")
        assert user.role == "editor"
        assert PASSWORD not in user.password_hash and user.password_hash.startswith("scrypt:")
        assert accounts.authenticate(session, "amira", PASSWORD).id == user.id


def test_cli_asks_for_the_password_twice_without_echo(app, runner):
    result = runner.invoke(args=["users", "create", "basil"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "Repeat for confirmation" in result.output and PASSWORD not in result.output
    with app.extensions["database"].session() as session:
        assert accounts.get_user(session, "basil").role == "viewer"


@pytest.mark.parametrize(("args", "stdin", "message"), [
    (["users", "create", "carol", "--role", "boss", "--password-stdin"], PASSWORD,
     "'boss' is not one of 'viewer', 'editor', 'admin'"),
    (["users", "create", "carol", "--password-stdin"], "short", "too short: use at least 10 characters"),
    (["users", "create", "carol", "--password-stdin"], "", "no password on standard input"),
    (["users", "create", "carol smith", "--password-stdin"], PASSWORD, "bad user name 'carol smith'"),
    (["users", "create", "x" * 65, "--password-stdin"], PASSWORD, "use 1 to 64 letters"),
    (["users", "create", "EDITOR", "--password-stdin"], PASSWORD, "a user named 'editor' already exists"),
])
def test_cli_refuses_bad_input_and_writes_nothing(app, runner, make_user, args, stdin, message):
    make_user("editor")
    before = user_count(app)
    result = runner.invoke(args=args, input=stdin + "\n")
    assert result.exit_code != 0
    assert message in result.output
    assert user_count(app) == before


def test_the_service_refuses_a_duplicate_name_whatever_its_case(app, make_user):
    make_user("dana")
    with pytest.raises(accounts.AccountError, match="a user named 'dana' already exists"):
        make_user("Dana")


def test_cli_tokens_are_printed_once_stored_hashed_listed_and_revocable(app, runner, client, make_user):
    make_user("erin", "editor")
    result = runner.invoke(args=["users", "token", "erin", "--label", "nightly import"])
    assert result.exit_code == 0, result.output
    token = result.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"ae_[A-Za-z0-9_-]{43}", token)

    with app.extensions["database"].session() as session:
        row = session.scalars(select(ApiToken)).one()
        assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert row.label == "nightly import" and row.last_used is None
        stored = " ".join(str(value) for value in session.execute(text("SELECT * FROM api_tokens")).one())
        assert token not in stored

    response = client.get("/api/me", headers=bearer(token))
    assert response.status_code == 200
    assert response.json == {"name": "erin", "role": "editor", "authenticated_by": "token"}

    listing = runner.invoke(args=["users", "tokens", "erin"])
    assert listing.exit_code == 0
    assert f"{row.id}" in listing.output and "nightly import" in listing.output and "active" in listing.output
    assert "last used never" not in listing.output  # the request above noted its use

    revoked = runner.invoke(args=["users", "revoke-token", str(row.id)])
    assert revoked.exit_code == 0 and f"revoked token {row.id} of erin" in revoked.output
    assert "revoked 20" in runner.invoke(args=["users", "tokens", "erin"]).output
    response = client.get("/api/me", headers=bearer(token))
    assert response.status_code == 401
    assert response.json["error"]["code"] == "invalid_token"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")

    again = runner.invoke(args=["users", "revoke-token", str(row.id)])
    assert again.exit_code == 0 and "already revoked" in again.output
    unknown = runner.invoke(args=["users", "revoke-token", "99999"])
    assert unknown.exit_code != 0 and "no API token with id 99999" in unknown.output
    nobody = runner.invoke(args=["users", "token", "nobody"])
    assert nobody.exit_code != 0 and "no user named 'nobody'" in nobody.output


def test_cli_lists_users_and_changes_roles_and_passwords(app, runner, make_user, auth, client):
    make_user("fatima", "viewer")
    make_user("gus", "admin")
    listing = runner.invoke(args=["users", "list"])
    assert listing.exit_code == 0
    assert re.search(r"^fatima\s+viewer\s+created", listing.output, re.M)
    assert re.search(r"^gus\s+admin\s+created", listing.output, re.M)

    assert runner.invoke(args=["users", "set-role", "fatima", "editor"]).exit_code == 0
    bad = runner.invoke(args=["users", "set-role", "fatima", "boss"])
    assert bad.exit_code != 0 and "'boss' is not one of" in bad.output

    auth.login("fatima")
    assert client.get("/api/me").json["role"] == "editor"
    changed = runner.invoke(args=["users", "set-password", "fatima", "--password-stdin"], input="a new long password\n")
    assert changed.exit_code == 0, changed.output
    assert client.get("/api/me").status_code == 401  # the new password ended the old session
    assert auth.login("fatima", PASSWORD).status_code == 200  # old password: refused, page shown again
    assert auth.login("fatima", "a new long password").status_code == 303


# --- logging in and out --------------------------------------------------------------------------


def test_login_page_renders_with_a_csrf_protected_form(client):
    response = client.get("/login")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'name="csrf_token"' in html and 'autocomplete="current-password"' in html
    assert response.headers["Cache-Control"] == "no-store"
    assert 'data-testid="login-link"' not in html


def test_login_with_the_right_password_shows_the_user_in_the_header(client, auth, make_user):
    make_user("hana", "editor")
    assert 'data-testid="login-link"' in client.get("/list").get_data(as_text=True)
    response = auth.login("hana", next="/list")
    assert response.status_code == 303
    assert response.headers["Location"] == "/list"
    html = client.get("/list").get_data(as_text=True)
    assert re.search(r'data-testid="account-name">hana <span class="account-role">· editor</span>', html)
    assert 'data-testid="logout"' in html and 'data-testid="login-link"' not in html
    assert client.get("/api/me").json == {"name": "hana", "role": "editor", "authenticated_by": "session"}


def test_wrong_password_and_unknown_name_get_the_same_answer(client, auth, make_user):
    make_user("ivan")
    answers = []
    for name, password in (("ivan", "wrong password!"), ("nobody-here", "wrong password!"), ("ivan", "")):
        response = auth.login(name, password)
        html = response.get_data(as_text=True)
        error = re.search(r'data-testid="login-error">([^<]*)<', html)
        answers.append((response.status_code, error.group(1) if error else None))
        assert client.get("/api/me").status_code == 401
    assert answers[0] == answers[1] == (200, "Wrong name or password.")
    assert answers[2] == (200, None)  # an empty password is a form error, not a login attempt


def test_repeated_failures_are_rate_limited_with_retry_after(app, client, auth, make_user):
    make_user("jun")
    for _ in range(accounts.MAX_FAILURES_PER_NAME_AND_ADDRESS):
        assert auth.login("jun", "not the password").status_code == 200
    response = auth.login("jun", PASSWORD)  # even the right password waits
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 15 * 60
    assert "Too many failed logins. Try again in 15 minutes." in response.get_data(as_text=True)
    assert client.get("/api/me").status_code == 401
    assert auth.login("JUN", PASSWORD).status_code == 429  # the name counts whatever its case


def test_too_many_failures_from_one_address_lock_every_name(client, auth, make_user):
    make_user("kim")
    for attempt in range(accounts.MAX_FAILURES_PER_ADDRESS):
        assert auth.login(f"guess-{attempt}", "not the password").status_code == 200
    assert auth.login("kim", PASSWORD).status_code == 429


def test_a_successful_login_clears_the_names_failures(client, auth, make_user):
    make_user("lena")
    for _ in range(accounts.MAX_FAILURES_PER_NAME_AND_ADDRESS - 1):
        auth.login("lena", "not the password")
    assert auth.login("lena", PASSWORD).status_code == 303
    auth.logout()
    for _ in range(accounts.MAX_FAILURES_PER_NAME_AND_ADDRESS - 1):
        assert auth.login("lena", "not the password").status_code == 200
    assert auth.login("lena", PASSWORD).status_code == 303


def test_the_rate_limit_window_slides(app):
    start = dt.datetime(2030, 1, 1, 12, 0, tzinfo=dt.UTC)
    with app.extensions["database"].transaction() as session:
        for minute in range(accounts.MAX_FAILURES_PER_NAME_AND_ADDRESS):
            accounts.record_login_attempt(session, "mo", "10.0.0.1", now=start + dt.timedelta(minutes=minute))
        with pytest.raises(accounts.LoginThrottled) as throttled:
            accounts.record_login_attempt(session, "mo", "10.0.0.1", now=start + dt.timedelta(minutes=10))
        assert throttled.value.retry_after == 5 * 60  # when the first attempt leaves the window
        # Just after that, one slot is free again; older attempts have been cleaned away.
        accounts.record_login_attempt(session, "mo", "10.0.0.1", now=start + dt.timedelta(minutes=15, seconds=1))
        assert session.scalar(select(func.count()).select_from(LoginAttempt).where(LoginAttempt.name == "mo")) == 5


def test_failures_from_another_address_do_not_lock_the_owner_out(app, make_user):
    make_user("rhea")
    stranger, stranger_auth = browser(app, "203.0.113.9")
    owner, owner_auth = browser(app, "198.51.100.7")
    for _ in range(accounts.MAX_FAILURES_PER_NAME_AND_ADDRESS):
        assert stranger_auth.login("rhea", "not the password").status_code == 200
    assert stranger_auth.login("rhea", PASSWORD).status_code == 429  # that address must wait, even with it right

    assert owner_auth.login("rhea", "a typo in it").status_code == 200  # the owner's own tries are all there
    assert owner_auth.login("rhea").status_code == 303
    assert owner.get("/api/me").json["name"] == "rhea"
    # The owner's login cleared the owner's failures only: the stranger still waits.
    assert stranger_auth.login("rhea", PASSWORD).status_code == 429


def test_a_name_guessed_at_from_many_addresses_slows_down_but_never_locks(app, make_user):
    make_user("sid")
    start = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    with app.extensions["database"].transaction() as session:
        for n in range(accounts.NAME_UNDER_ATTACK):
            accounts.record_login_attempt(session, "sid", f"10.1.{n // 200}.{n % 200}", now=start)
    # Any address now gets fewer tries on the name, but every address still gets some.
    guesser, guesser_auth = browser(app, "192.0.2.50")
    for _ in range(accounts.MAX_FAILURES_PER_NAME_AND_ADDRESS_UNDER_ATTACK):
        assert guesser_auth.login("sid", "not the password").status_code == 200
    assert guesser_auth.login("sid", "not the password").status_code == 429
    owner, owner_auth = browser(app, "192.0.2.99")
    assert owner_auth.login("sid").status_code == 303
    assert owner.get("/api/me").json["name"] == "sid"


def test_an_ipv6_client_counts_as_its_slash_64(app):
    now = dt.datetime(2030, 1, 1, 12, 0, tzinfo=dt.UTC)
    with app.extensions["database"].transaction() as session:
        for n in range(accounts.MAX_FAILURES_PER_NAME_AND_ADDRESS):
            accounts.record_login_attempt(session, "tao", f"2001:db8::{n + 1:x}", now=now)
        with pytest.raises(accounts.LoginThrottled):
            accounts.record_login_attempt(session, "tao", "2001:db8::ffff:1234", now=now)
        accounts.record_login_attempt(session, "tao", "2001:db8:0:1::1", now=now)  # the next /64: someone else
    assert accounts.address_key("::ffff:192.0.2.1") == "192.0.2.1"
    assert accounts.address_key("unknown") == "unknown"


def test_cookies_are_httponly_and_samesite_lax(client, auth, make_user):
    make_user("nadia")
    response = auth.login("nadia")
    [cookie] = response.headers.getlist("Set-Cookie")
    assert cookie.startswith("session=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_secure_cookies_setting_marks_cookies_secure(base_database, database_url, tmp_path):
    assert load_settings(tmp_path, {"WEBAPP_SECURE_COOKIES": "1"})["SECURE_COOKIES"] is True
    assert load_settings(tmp_path, {})["SECURE_COOKIES"] is False
    app = create_app({"TESTING": True, "DATABASE_URL": database_url, "AUTO_SETUP": False, "SECURE_COOKIES": True})
    assert app.config["SESSION_COOKIE_SECURE"] is True and app.config["REMEMBER_COOKIE_SECURE"] is True
    cookies = app.test_client().get("/login").headers.getlist("Set-Cookie")  # the CSRF token starts a session
    assert len(cookies) == 1 and cookies[0].startswith("session=")
    assert "Secure" in cookies[0] and "HttpOnly" in cookies[0] and "SameSite=Lax" in cookies[0]
    app.extensions["database"].dispose()


def test_login_starts_a_new_session(client, auth, make_user):
    make_user("omar")
    before_token = auth.refresh_csrf()
    before_cookie = client.get_cookie("session").value
    auth.login("omar")
    assert client.get_cookie("session").value != before_cookie
    assert auth.csrf_token != before_token
    # The session from before the login did not become logged in.
    client.set_cookie("session", before_cookie)
    assert client.get("/api/me").status_code == 401


def test_after_logout_the_old_cookie_no_longer_works(client, auth, make_user):
    make_user("pia")
    auth.login("pia")
    stolen = client.get_cookie("session").value
    assert client.get("/api/me").status_code == 200
    response = auth.logout()
    assert response.status_code == 303
    assert client.get("/api/me").status_code == 401
    client.set_cookie("session", stolen)  # replayed: still signed, but its session token is gone
    assert client.get("/api/me").status_code == 401
    assert 'data-testid="login-link"' in client.get("/timeline").get_data(as_text=True)


def test_a_session_moved_to_another_browser_is_dropped(client, auth, make_user):
    make_user("paz")
    auth.login("paz")
    assert client.get("/api/me").status_code == 200
    assert client.get("/api/me", headers={"User-Agent": "curl/8.0"}).status_code == 401  # strong protection
    assert client.get("/api/me").status_code == 401


def test_logging_out_ends_that_browsers_session_only(app, client, auth, make_user):
    make_user("pablo")
    laptop, laptop_auth = browser(app)
    auth.login("pablo")
    laptop_auth.login("pablo")
    copied = client.get_cookie("session").value
    assert me(client) == me(laptop) == 200

    auth.logout()
    assert me(client) == 401
    client.set_cookie("session", copied)  # a copy of the logged-out cookie: its session has ended
    assert me(client) == 401
    assert laptop.get("/api/me").json == {"name": "pablo", "role": "editor", "authenticated_by": "session"}


def test_every_login_gets_a_new_session_that_nothing_from_before_carries_into(app, client, auth, make_user):
    make_user("petra")
    make_user("pere")
    auth.refresh_csrf()
    before = client.get_cookie("session").value
    assert session_token(app, client) is None  # an anonymous visitor's cookie names no session

    auth.login("petra")
    first_cookie, first = client.get_cookie("session").value, session_token(app, client)
    auth.login("petra")  # again, in the same browser: a new session replaces the old one
    second = session_token(app, client)
    assert first and second and first != second and before != first_cookie
    assert me(client) == 200
    for stale in (before, first_cookie):
        client.set_cookie("session", stale)
        assert me(client) == 401, stale

    # Logging in as someone else in the same browser does not keep the first login going either.
    auth.login("petra")
    petra_cookie = client.get_cookie("session").value
    auth.login("pere")
    assert client.get("/api/me").json["name"] == "pere"
    client.set_cookie("session", petra_cookie)
    assert me(client) == 401

    # The database keeps only a digest of each session's token.
    with app.extensions["database"].session() as session:
        stored = " ".join(str(value) for row in session.execute(text("SELECT * FROM login_sessions")) for value in row)
        assert second not in stored and hashlib.sha256(second.encode()).hexdigest() in stored


def test_a_new_password_ends_the_users_other_sessions(app, client, auth, runner, make_user):
    make_user("paula")
    phone, phone_auth = browser(app)
    laptop, laptop_auth = browser(app)
    for login in (auth, phone_auth, laptop_auth):
        assert login.login("paula").status_code == 303

    # Changed in the app: the session it was changed in goes on, the others end.
    with app.extensions["database"].transaction() as session:
        here = accounts.find_session(session, session_token(app, client))
        accounts.set_password(session, "paula", "a brand new password", keep_session=here.id)
    assert me(client) == 200 and me(phone) == 401 and me(laptop) == 401

    # Changed on the command line: every session ends.
    assert phone_auth.login("paula", "a brand new password").status_code == 303
    changed = runner.invoke(args=["users", "set-password", "paula", "--password-stdin"],
                            input="yet another new password\n")
    assert changed.exit_code == 0, changed.output
    assert me(client) == 401 and me(phone) == 401


def test_a_role_change_applies_at_once_and_keeps_the_session(client, auth, runner, make_user):
    make_user("pilar", "viewer")
    auth.login("pilar")
    assert runner.invoke(args=["users", "set-role", "pilar", "admin"]).exit_code == 0
    assert client.get("/api/me").json == {"name": "pilar", "role": "admin", "authenticated_by": "session"}
    assert runner.invoke(args=["users", "set-role", "pilar", "viewer"]).exit_code == 0
    assert client.get("/api/me").json["role"] == "viewer"


def test_a_session_left_unused_too_long_has_ended_and_use_is_noted(app, client, auth, make_user):
    make_user("pino")
    auth.login("pino")
    connection = app.extensions["test_connection"]
    an_hour_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    # Only pino's session: others (from tests that commit, such as the browser's) may be in the table.
    mine = LoginSession.user_id == select(User.id).where(User.name == "pino").scalar_subquery()
    connection.execute(LoginSession.__table__.update().where(mine).values(last_seen=an_hour_ago))
    assert me(client) == 200
    with app.extensions["database"].session() as session:
        row = session.scalars(select(LoginSession).where(mine)).one()
        assert accounts.as_utc(row.last_seen) > an_hour_ago + dt.timedelta(minutes=59)  # noted on use
        assert row.user_agent and row.address == "127.0.0.1"
    too_long = dt.datetime.now(dt.UTC) - accounts.SESSION_IDLE_LIMIT - dt.timedelta(minutes=1)
    connection.execute(LoginSession.__table__.update().where(mine).values(last_seen=too_long))
    assert me(client) == 401


def test_logout_returns_to_the_page_and_needs_post(client, auth, make_user):
    make_user("quinn")
    auth.login("quinn")
    assert client.get("/logout").status_code == 405
    response = client.post("/logout", data={"csrf_token": auth.csrf_token, "next": "/timeline?group=actor"})
    assert response.status_code == 303 and response.headers["Location"] == "/timeline?group=actor"


@pytest.mark.parametrize("target", [
    "//evil.example/", "///evil.example", "https://evil.example/", "/\\evil.example", "javascript:alert(1)",
    "http:/evil.example", "/\r\nSet-Cookie: x=1", "\t//evil.example", "evil.example",
])
def test_next_must_be_a_local_path(client, auth, make_user, target):
    make_user("rosa")
    response = auth.login("rosa", next=target)
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


def test_safe_next_accepts_local_paths_only():
    assert safe_next("/list?select=actor:iraq") == "/list?select=actor:iraq"
    for bad in (None, "", "//x.org", "https://x.org", "/\\x.org", "x.org/path", "/a\nb", "/a\x7fb"):
        assert safe_next(bad) is None, bad


# --- CSRF and API tokens --------------------------------------------------------------------------


def add_write_endpoint(app) -> None:
    """A stand-in for the API's future write endpoints (annotations)."""

    @app.post("/api/echo")
    def echo():  # pragma: no cover - exercised through the client
        return {"ok": True}


def test_posts_without_a_csrf_token_are_refused(app, client, auth, make_user):
    add_write_endpoint(app)
    make_user("sam")
    auth.login("sam")
    page = client.post("/logout")
    assert page.status_code == 400
    assert b"CSRF token" in page.data and b"Reload the page" in page.data
    api = client.post("/api/echo")
    assert api.status_code == 400
    assert api.json["error"]["code"] == "csrf_failed" and "CSRF token is missing" in api.json["error"]["message"]
    assert client.post("/api/echo", headers={"X-CSRFToken": "forged"}).json["error"]["code"] == "csrf_failed"
    # Still logged in: the refused logout changed nothing.
    assert client.get("/api/me").status_code == 200
    assert client.post("/api/echo", headers=auth.headers()).json == {"ok": True}
    assert client.post("/logout", headers=auth.headers()).status_code == 303


def test_login_itself_needs_the_csrf_token(client, make_user):
    make_user("tara")
    response = client.post("/login", data={"name": "tara", "password": PASSWORD})
    assert response.status_code == 400 and b"CSRF token" in response.data
    assert client.get("/api/me").status_code == 401


def test_bearer_requests_need_no_csrf_token_and_ignore_cookies(app, client, auth, make_user):
    add_write_endpoint(app)
    make_user("uma", "viewer")
    make_user("vic", "admin")
    with app.extensions["database"].transaction() as session:
        token = accounts.issue_token(session, "vic").token
    # A token request is not cookie-borne: no CSRF token needed.
    assert client.post("/api/echo", headers=bearer(token)).json == {"ok": True}
    assert client.post("/api/echo", headers=bearer("ae_revoked-or-made-up")).status_code == 401
    auth.login("uma")
    assert client.get("/api/me", headers=bearer(token)).json["name"] == "vic"
    # A bad token is refused even when a valid session cookie comes along.
    response = client.get("/api/me", headers=bearer("ae_not-a-token"))
    assert response.status_code == 401 and response.json["error"]["code"] == "invalid_token"
    assert client.get("/list", headers=bearer("")).status_code == 401
    assert client.get("/api/me").json["name"] == "uma"


def test_me_without_credentials_is_401(client):
    response = client.get("/api/me")
    assert response.status_code == 401
    assert response.json["error"]["code"] == "not_authenticated"
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="alliance-explorer"'


def test_token_use_is_noted_at_most_once_a_minute(app, make_user):
    make_user("wes")
    now = dt.datetime(2030, 1, 1, 12, 0, tzinfo=dt.UTC)
    with app.extensions["database"].transaction() as session:
        token = accounts.issue_token(session, "wes").token
        assert accounts.user_for_token(session, token, now=now).name == "wes"
        row = session.scalars(select(ApiToken)).one()
        assert accounts.as_utc(row.last_used) == now
        accounts.user_for_token(session, token, now=now + dt.timedelta(seconds=30))
        assert accounts.as_utc(row.last_used) == now
        accounts.user_for_token(session, token, now=now + dt.timedelta(minutes=2))
        assert accounts.as_utc(row.last_used) == now + dt.timedelta(minutes=2)
        assert accounts.user_for_token(session, token[:-1] + "x") is None
        assert accounts.user_for_token(session, "no-prefix") is None


def test_role_required_answers_401_403_or_lets_through(app, client, auth, make_user):
    @app.get("/api/editors-only")
    @role_required("editor")
    def editors_only():  # pragma: no cover - exercised through the client
        return {"ok": True}

    @app.get("/editors-page")
    @role_required("editor")
    def editors_page():  # pragma: no cover - exercised through the client
        return "ok"

    make_user("xena", "viewer")
    make_user("yuri", "editor")
    assert client.get("/api/editors-only").status_code == 401
    redirect = client.get("/editors-page?x=1")
    assert redirect.status_code == 302 and redirect.headers["Location"] == "/login?next=/editors-page?x%3D1"
    htmx = client.get("/editors-page", headers={**HTMX, "HX-Current-URL": "http://localhost/list?q=ir"})
    assert htmx.status_code == 401 and htmx.headers["HX-Redirect"] == "/login?next=/list?q%3Dir"
    auth.login("xena")
    forbidden = client.get("/api/editors-only")
    assert forbidden.status_code == 403 and "needs the editor role" in forbidden.json["error"]["message"]
    auth.logout()
    auth.login("yuri")
    assert client.get("/api/editors-only").json == {"ok": True}
    assert accounts.has_role("admin", "editor") and not accounts.has_role(None, "viewer")


# --- pages and headers ---------------------------------------------------------------------------


def test_security_headers_on_login_errors_fragments_and_api_errors(app, client):
    add_write_endpoint(app)
    responses = {
        "login": client.get("/login"),
        "404 page": client.get("/no-such-page"),
        "htmx fragment": client.get("/actors/iraq", headers=HTMX),
        "api 401": client.get("/api/me"),
        "api csrf 400": client.post("/api/echo"),
        "page csrf 400": client.post("/logout"),
    }
    for name, response in responses.items():
        csp = response.headers.get("Content-Security-Policy", "")
        assert "default-src 'self'" in csp and "script-src 'self'" in csp, name
        assert "frame-ancestors 'none'" in csp, name
        assert response.headers["X-Content-Type-Options"] == "nosniff", name
        assert response.headers["Referrer-Policy"] == "same-origin", name


def test_pages_carry_the_csrf_token_for_htmx_and_scripts_without_inline_code(client, auth, make_user):
    html = client.get("/list").get_data(as_text=True)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)">', html).group(1)
    assert re.search(r"<body[^>]* hx-headers='\{\"X-CSRFToken\": \"" + re.escape(token) + r"\"\}'>", html)
    make_user("zoe")
    auth.login("zoe")
    for path in ("/login", "/list", "/no-such-page"):
        page = client.get(path).get_data(as_text=True)
        assert " style=" not in page and not re.search(r"\son[a-z]+=", page), path
        assert all('src="' in attrs for attrs in re.findall(r"<script([^>]*)>", page)), path


def test_anonymous_pages_render_as_before(client):
    for path in ("/", "/list", "/timeline", "/sources/pjtatler-2015-09-27-iraq-intel"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert b'data-testid="login-link"' in response.data
    # The session holding the CSRF token is set once, not re-sent with every page.
    assert client.get("/list").headers.getlist("Set-Cookie") == []
    assert "Set-Cookie" not in client.get("/api/graph").headers


# --- the migration -------------------------------------------------------------------------------


def test_accounts_migration_upgrades_and_downgrades(database_url, tmp_path):
    """On a scratch SQLite file, or a scratch schema of the PostgreSQL test database."""
    if database_url.startswith("sqlite"):
        url, cleanup = f"sqlite:///{tmp_path / 'accounts.db'}", None
    else:
        schema = f"accounts_check_{uuid.uuid4().hex[:8]}"
        owner = Database(database_url)
        with owner.engine.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        separator = "&" if "?" in database_url else "?"
        url, cleanup = f"{database_url}{separator}options=-csearch_path%3D{schema}", (owner, schema)
    database = Database(url)
    try:
        migrate.upgrade(database, "0001")
        migrate.upgrade(database)
        with database.transaction() as session:
            accounts.create_user(session, "migrated", PASSWORD, "admin")
        migrate.downgrade(database, "0001")
        tables = set(inspect(database.engine).get_table_names())
        assert not tables & {"users", "api_tokens", "login_attempts", "login_sessions"} and "actors" in tables
        migrate.upgrade(database)
        assert {"users", "api_tokens", "login_attempts", "login_sessions"} <= set(
            inspect(database.engine).get_table_names())
        migrate.downgrade(database, "base")
    finally:
        database.dispose()
        if cleanup:
            owner, schema = cleanup
            with owner.engine.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            owner.dispose()


def test_the_sessions_migration_keeps_every_account_and_logs_everyone_out(scratch_database):
    database = scratch_database("sessions_migration")
    migrate.upgrade(database, "0008")
    with database.engine.begin() as connection:
        connection.execute(text("INSERT INTO users (name, password_hash, role, session_token, created) "
                                "VALUES ('uri', :hash, 'editor', 'old-token', CURRENT_TIMESTAMP)"),
                           {"hash": generate_password_hash(PASSWORD)})
    migrate.upgrade(database)
    app = create_app({"DATABASE_URL": database.url, "AUTO_SETUP": False, "TESTING": True})
    client = app.test_client()
    # A cookie from before ("<id>:<token>") names no session now: its holder logs in again.
    with client.session_transaction() as cookie:
        cookie["_user_id"] = "1:old-token"
    assert me(client) == 401
    assert AuthActions(client).login("uri").status_code == 303 and me(client) == 200

    # Going down loses the sessions, and says so; every user gets a new session token.
    assert [str(loss) for loss in migrate.downgrade_losses(database, "0008")] == ["login_sessions: 1 row"]
    refused = app.test_cli_runner().invoke(args=["db", "downgrade", "0008"])
    assert refused.exit_code == 1 and "login_sessions: 1 row" in refused.output
    app.extensions["database"].dispose()
    migrate.downgrade(database, "0008")
    with database.engine.connect() as connection:
        [(name, token)] = connection.execute(text("SELECT name, session_token FROM users")).all()
    assert name == "uri" and token and token != "old-token"
