"""Who may do what with a note: role × action × visibility, as users get it over HTTP.

The rules live in ``services.annotations`` (``can_see``, ``can_change``); this
table checks what they add up to at the API, once with API tokens and once
with a logged-in session sending its CSRF token. Private notes exist only for
their author — an admin gets 404 too; viewers and anonymous users cannot write;
editors change their own notes; admins any shared note.
"""

from __future__ import annotations

import functools
from typing import Any

import pytest
from werkzeug.security import generate_password_hash

from webapp.services import accounts


ALLOWED = "allowed"
TARGET = "/actors/iraq"

# Each row: role, action, what the role gets on a shared note, on a private note.
# For "list", 404 means the note is left out of the listing (which itself answers 200).
# "restore" is tried on a note its author has deleted; "create" makes a new note of that visibility.
TABLE = [
    # role            action      shared   private
    ("anonymous",     "read",     ALLOWED, 404),
    ("anonymous",     "list",     ALLOWED, 404),
    ("anonymous",     "create",   401,     401),
    ("anonymous",     "update",   401,     401),
    ("anonymous",     "delete",   401,     401),
    ("anonymous",     "restore",  401,     401),
    ("anonymous",     "history",  ALLOWED, 404),

    ("viewer",        "read",     ALLOWED, 404),
    ("viewer",        "list",     ALLOWED, 404),
    ("viewer",        "create",   403,     403),
    ("viewer",        "update",   403,     403),
    ("viewer",        "delete",   403,     403),
    ("viewer",        "restore",  403,     403),
    ("viewer",        "history",  ALLOWED, 404),

    ("author",        "read",     ALLOWED, ALLOWED),
    ("author",        "list",     ALLOWED, ALLOWED),
    ("author",        "create",   ALLOWED, ALLOWED),
    ("author",        "update",   ALLOWED, ALLOWED),
    ("author",        "delete",   ALLOWED, ALLOWED),
    ("author",        "restore",  ALLOWED, ALLOWED),
    ("author",        "history",  ALLOWED, ALLOWED),

    ("other_editor",  "read",     ALLOWED, 404),
    ("other_editor",  "list",     ALLOWED, 404),
    ("other_editor",  "create",   ALLOWED, ALLOWED),
    ("other_editor",  "update",   403,     404),
    ("other_editor",  "delete",   403,     404),
    ("other_editor",  "restore",  403,     404),
    ("other_editor",  "history",  ALLOWED, 404),

    ("admin",         "read",     ALLOWED, 404),
    ("admin",         "list",     ALLOWED, 404),
    ("admin",         "create",   ALLOWED, ALLOWED),
    ("admin",         "update",   ALLOWED, 404),
    ("admin",         "delete",   ALLOWED, 404),
    ("admin",         "restore",  ALLOWED, 404),
    ("admin",         "history",  ALLOWED, 404),
]

CASES = [
    pytest.param(role, action, visibility, expected, id=f"{role}-{action}-{visibility}")
    for role, action, shared, private in TABLE
    for visibility, expected in (("shared", shared), ("private", private))
]

USERS = {"author": ("ava", "editor"), "other_editor": ("otto", "editor"), "viewer": ("vic", "viewer"),
         "admin": ("ada", "admin")}


def test_the_table_covers_every_role_action_and_visibility():
    assert {(role, action) for role, action, *_ in TABLE} == {
        (role, action) for role in ("anonymous", "viewer", "author", "other_editor", "admin")
        for action in ("read", "list", "create", "update", "delete", "restore", "history")
    }


class Client:
    """Requests as one role: with its API token, or through its logged-in session and CSRF token."""

    def __init__(self, client, auth, headers: dict[str, str], via: str) -> None:  # type: ignore[no-untyped-def]
        self.client, self.auth, self.base, self.via = client, auth, headers, via

    def headers(self, **extra: str) -> dict[str, str]:
        if self.via == "session":
            return self.auth.headers(**extra)
        return {**self.base, **extra}

    def get(self, url: str, **kw: Any):  # type: ignore[no-untyped-def]
        return self.client.get(url, headers=self.headers(), **kw)

    def send(self, method: str, url: str, extra_headers: dict[str, str] | None = None, **kw: Any):  # type: ignore[no-untyped-def]
        return self.client.open(url, method=method, headers=self.headers(**(extra_headers or {})), **kw)


@pytest.fixture
def people(app, make_user, monkeypatch):  # type: ignore[no-untyped-def]
    """The four accounts and their API tokens (a cheap hash: scrypt ×4 per test would dominate the run)."""
    monkeypatch.setattr(accounts, "generate_password_hash",
                        functools.partial(generate_password_hash, method="pbkdf2:sha256:1"))
    tokens = {}
    for role, (name, account_role) in USERS.items():
        make_user(name, account_role)
        with app.extensions["database"].transaction() as session:
            tokens[role] = {"Authorization": f"Bearer {accounts.issue_token(session, name).token}"}
    tokens["anonymous"] = {}
    return tokens


def create_note(client, headers, visibility: str, text: str = "Iraq hedges its bets.") -> dict[str, Any]:  # type: ignore[no-untyped-def]
    response = client.post("/api/annotations", headers=headers,
                           json={"text": text, "target": TARGET, "visibility": visibility, "tags": ["t"]})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def short_id(note: dict[str, Any]) -> str:
    return note["id"].rsplit("/", 1)[-1]


def as_author(client, people, method: str, url: str, **headers: str):  # type: ignore[no-untyped-def]
    return client.open(url, method=method, headers={**people["author"], **headers})


@pytest.mark.parametrize("via", ["token", "session"])
@pytest.mark.parametrize(("role", "action", "visibility", "expected"), CASES)
def test_permissions(client, auth, people, via, role, action, visibility, expected):  # type: ignore[no-untyped-def]
    note = create_note(client, people["author"], visibility)
    ident = short_id(note)
    url = f"/api/annotations/{ident}"
    if action == "restore":
        assert as_author(client, people, "DELETE", url, **{"If-Match": '"1"'}).status_code == 200

    if via == "session" and role != "anonymous":
        assert auth.login(USERS[role][0]).status_code == 303
    me = Client(client, auth, people[role], via)
    version = note["version"] + (1 if action == "restore" else 0)

    if action == "read":
        response = me.get(url)
    elif action == "list":
        response = me.get("/api/annotations", query_string={"target": TARGET})
    elif action == "history":
        response = me.get(f"{url}/history")
    elif action == "create":
        response = me.send("POST", "/api/annotations",
                           json={"text": "Mine.", "target": TARGET, "visibility": visibility})
    elif action == "update":
        response = me.send("PUT", url, json={"text": "Changed.", "visibility": visibility, "version": version})
    elif action == "delete":
        response = me.send("DELETE", url, {"If-Match": f'"{version}"'})
    else:
        response = me.send("POST", f"{url}/restore")

    assert response.mimetype in ("application/json", "application/ld+json"), response.get_data(as_text=True)[:200]
    if action == "list":
        assert response.status_code == 200
        listed = [item["id"] for item in response.get_json()["first"]["items"]]
        assert (note["id"] in listed) == (expected == ALLOWED), listed
        return
    if expected != ALLOWED:
        assert response.status_code == expected, response.get_json()
        assert response.get_json()["error"]["code"] in {401: ("login_required",), 403: ("forbidden",),
                                                        404: ("not_found",)}[expected]
        if expected == 404:
            # Nothing in the answer hints that a private note is there.
            assert "Iraq hedges" not in response.get_data(as_text=True)
        unchanged = as_author(client, people, "GET", url)
        assert unchanged.status_code == (404 if action == "restore" else 200)
        if action != "restore":
            assert unchanged.get_json()["version"] == note["version"]
            assert unchanged.get_json()["body"][0]["value"] == "Iraq hedges its bets."
        return

    assert response.status_code == (201 if action == "create" else 200), response.get_json()
    after = as_author(client, people, "GET", url)
    if action == "update":
        assert response.get_json()["body"][0]["value"] == "Changed."
        assert after.get_json()["body"][0]["value"] == "Changed." and after.get_json()["version"] == 2
    elif action == "delete":
        assert after.status_code == 404
    elif action == "restore":
        assert after.status_code == 200 and after.get_json()["version"] == 3
    elif action == "create":
        created = response.get_json()
        assert created["visibility"] == visibility and created["creator"]["name"] == USERS[role][0]
    elif action == "read":
        assert response.get_json()["body"][0]["value"] == "Iraq hedges its bets."
    elif action == "history":
        assert [r["action"] for r in response.get_json()["revisions"]] == ["create"]


def test_a_private_note_never_shows_in_anyone_elses_pages(client, auth, people):  # type: ignore[no-untyped-def]
    create_note(client, people["author"], "private", "Only for Ava.")
    for role in ("anonymous", "viewer", "other_editor", "admin"):
        if role != "anonymous":
            auth.login(USERS[role][0])
        for url in ("/actors/iraq", "/api/annotations", "/export/annotations.jsonld"):
            assert "Only for Ava." not in client.get(url).get_data(as_text=True), (role, url)
        if role != "anonymous":
            auth.logout()
    auth.login("ava")
    assert "Only for Ava." in client.get("/actors/iraq").get_data(as_text=True)


def test_an_admin_restores_and_reads_the_history_of_a_deleted_shared_note(client, people):  # type: ignore[no-untyped-def]
    ident = short_id(create_note(client, people["author"], "shared"))
    url = f"/api/annotations/{ident}"
    assert client.delete(url, headers={**people["author"], "If-Match": '"1"'}).status_code == 200
    assert client.get(f"{url}/history", headers=people["other_editor"]).status_code == 404
    assert client.get(f"{url}/history", headers=people["admin"]).status_code == 200
    assert client.post(f"{url}/restore", headers=people["admin"]).status_code == 200
    assert client.get(url).get_json()["version"] == 3
