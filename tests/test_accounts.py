"""Accounts: the users CLI, logging in and out, sessions, the rate limit, CSRF and API tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import uuid

import pytest
from sqlalchemy import func, inspect, select, text

from webapp import create_app, migrate
from webapp.auth import role_required, safe_next
from webapp.config import load_settings
from webapp.db import Database
from webapp.models import ApiToken, LoginAttempt, User
from webapp.services import accounts

from .conftest import PASSWORD

HTMX = {"HX-Request": "true"}


def user_count(app) -> int:
    with app.extensions["database"].session() as session:
        return session.scalar(select(func.count()).select_from(User))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


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
    for _ in range(accounts.MAX_FAILURES_PER_NAME):
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
    for _ in range(accounts.MAX_FAILURES_PER_NAME - 1):
        auth.login("lena", "not the password")
    assert auth.login("lena", PASSWORD).status_code == 303
    auth.logout()
    for _ in range(accounts.MAX_FAILURES_PER_NAME - 1):
        assert auth.login("lena", "not the password").status_code == 200
    assert auth.login("lena", PASSWORD).status_code == 303


def test_the_rate_limit_window_slides(app):
    start = dt.datetime(2030, 1, 1, 12, 0, tzinfo=dt.UTC)
    with app.extensions["database"].transaction() as session:
        for minute in range(accounts.MAX_FAILURES_PER_NAME):
            accounts.record_login_attempt(session, "mo", "10.0.0.1", now=start + dt.timedelta(minutes=minute))
        with pytest.raises(accounts.LoginThrottled) as throttled:
            accounts.record_login_attempt(session, "mo", "10.0.0.2", now=start + dt.timedelta(minutes=10))
        assert throttled.value.retry_after == 5 * 60  # when the first attempt leaves the window
        # Just after that, one slot is free again; older attempts have been cleaned away.
        accounts.record_login_attempt(session, "mo", "10.0.0.2", now=start + dt.timedelta(minutes=15, seconds=1))
        assert session.scalar(select(func.count()).select_from(LoginAttempt).where(LoginAttempt.name == "mo")) == 5


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
        assert not tables & {"users", "api_tokens", "login_attempts"} and "actors" in tables
        migrate.upgrade(database)
        assert {"users", "api_tokens", "login_attempts"} <= set(inspect(database.engine).get_table_names())
        migrate.downgrade(database, "base")
    finally:
        database.dispose()
        if cleanup:
            owner, schema = cleanup
            with owner.engine.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            owner.dispose()
