"""XSS payloads in notes are inert everywhere a note appears.

Each payload is stored through the API as a note's body and tags, on an actor,
on a relation and on a sentence of the article (and, through an admin's
import — the only way such a quote can get in — as the quote itself), then
every page and fragment that shows notes is parsed and checked: no element,
attribute or URL from a note may run script, load a frame, style the page or
drive htmx. The JSON API returns the Markdown as written, as JSON.
"""

from __future__ import annotations

import functools
import re
import uuid
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import pytest
from werkzeug.security import generate_password_hash

from webapp.services import accounts

from .conftest import PASSWORD

SOURCE = "pjtatler-2015-09-27-iraq-intel"
RELATION = "iraq-intelligence-sharing-iran"
# An evidence passage of RELATION, so a note on it shows in the panels of Iraq and of the relation.
SENTENCE = "help and cooperate in collecting information about the terrorist Daesh group"

PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](java&#x09;script:alert(1))",
    "[x](&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1))",
    "[x]( javascript:alert(1))",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<iframe src=javascript:alert(1)>",
    "<iframe srcdoc='<script>alert(1)</script>'>",
    '<a href="#" hx-get="/logout" hx-trigger="load">x</a>',
    '<div hx-post="/api/annotations" hx-trigger="load">',
    '<div data-hx-get="/logout" data-hx-trigger="load">',
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "![x](data:image/png;base64,iVBORw0KGgo=)",
    "![x](javascript:alert(1))",
    "<style>body{display:none}</style>",
    "<javascript:alert(1)>",
    "<JAVASCRIPT:alert(1)>",
    "<data:text/html,<script>alert(1)</script>>",
    '[x](https://example.com "a\\" onmouseover=\\"alert(1)")',
    "<b onmouseover=alert(1)>x</b>",
    "<object data=javascript:alert(1)></object>",
    "<base href=javascript:alert(1)//>",
    "<meta http-equiv=refresh content='0;url=javascript:alert(1)'>",
    "</textarea><script>alert(1)</script>",
    '"><script>alert(1)</script>',
    "'><img src=x onerror=alert(1)>",
    "</li></ul><script>alert(1)</script>",
    "{{ 7*7 }} {% raw %}",
    "`<script>alert(1)</script>`",
    "```\n</pre><script>alert(1)</script>\n```",
]

DANGEROUS_SCHEMES = {"javascript", "data", "vbscript", "file"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "background", "cite",
                  "srcset", "hx-get", "hx-post", "hx-put", "hx-delete", "hx-patch"}
NEVER = {"iframe", "frame", "frameset", "object", "embed", "applet", "style", "base"}
# The htmx attributes the app's own templates use; a note may bring none.
APP_HTMX = {"hx-get", "hx-post", "hx-put", "hx-delete", "hx-target", "hx-swap", "hx-headers", "hx-preserve",
            "hx-disable", "hx-confirm", "hx-trigger"}
# Where a note's own words are shown.
NOTE_CONTENT = {"note-body", "note-quote", "note-tags", "note-draft", "rev-body", "noted", "conflict-theirs",
                "conflict-mine"}
NOT_IN_NOTES = {"script", "svg", "math", "img", "form", "input", "button", "textarea", "select", "video", "audio",
                "source", "link", "meta", "template", "picture", "image", "use", "iframe", "object", "embed",
                "style", "base", "frame"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


def scheme(url: str) -> str | None:
    """The scheme a browser would see in an attribute value (already entity-decoded by the parser)."""
    url = re.sub(r"[\t\n\r]", "", url).strip("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f"
                                               "\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f ")
    match = re.match(r"([A-Za-z][A-Za-z0-9+.\-]*):", url)
    return match.group(1).lower() if match else None


@dataclass
class Findings:
    problems: list[str] = field(default_factory=list)
    note_text: dict[str, str] = field(default_factory=dict)  # class of a note region → its text
    note_bodies: int = 0


class InertChecker(HTMLParser):
    """Walks a page and lists everything that could run, frame, style or drive htmx."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, set[str]]] = []
        self.script_type = ""
        self.found = Findings()

    def regions(self) -> set[str]:
        return {cls for _tag, classes in self.stack for cls in classes if cls in NOTE_CONTENT}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        problems = self.found.problems
        values = {name: value or "" for name, value in attrs}
        classes = set(values.get("class", "").split())
        inside = self.regions()
        where = f"<{tag} {values}>" + (f" inside .{'/.'.join(sorted(inside))}" if inside else "")
        if tag in NEVER:
            problems.append(f"forbidden element {where}")
        if tag == "script" and values.get("type") != "application/json" and (
                not values.get("src", "").startswith(("/static/", "/vendor/")) or inside):
            problems.append(f"script not served by the app: {where}")
        if inside and tag in NOT_IN_NOTES:
            problems.append(f"element a note may not bring: {where}")
        for name, value in values.items():
            if name.startswith("on"):
                problems.append(f"event handler attribute {name}: {where}")
            if name in ("style", "srcdoc"):
                problems.append(f"{name} attribute: {where}")
            if name.startswith(("hx-", "data-hx-")) and name != "hx-disable" and (inside or name not in APP_HTMX):
                problems.append(f"htmx attribute {name} that is not the app's: {where}")
            if name.startswith("hx-") and re.search(r"/logout|/api/", value):
                problems.append(f"htmx attribute pointing at {value}: {where}")
            if name in URL_ATTRIBUTES and scheme(value) in DANGEROUS_SCHEMES:
                if not (tag == "link" and values.get("rel") == "icon" and value == "data:,"):
                    problems.append(f"{scheme(value)}: URL in {name}: {where}")
            if tag == "meta" and name == "http-equiv":
                problems.append(f"meta http-equiv: {where}")
        if "note-body" in classes:
            self.found.note_bodies += 1
            if "hx-disable" not in values:
                problems.append(f"a note body outside an hx-disable container: {where}")
        if tag == "script":
            self.script_type = values.get("type", "")
        if tag not in VOID:
            self.stack.append((tag, classes))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                return

    def handle_data(self, data: str) -> None:
        if self.stack and self.stack[-1][0] == "script" and self.script_type != "application/json" and data.strip():
            self.found.problems.append(f"inline script: {data[:80]!r}")
        regions = self.regions() | ({"textarea"} if any(tag == "textarea" for tag, _ in self.stack) else set())
        for region in regions:
            self.found.note_text[region] = self.found.note_text.get(region, "") + data


def check_inert(response, where: str) -> Findings:  # type: ignore[no-untyped-def]
    """Parse an HTML response and fail on anything a note could have made live."""
    assert response.mimetype == "text/html", (where, response.mimetype)
    assert response.headers.get("X-Content-Type-Options") == "nosniff", where
    checker = InertChecker()
    checker.feed(response.get_data(as_text=True))
    checker.close()
    assert checker.found.problems == [], (where, checker.found.problems)
    return checker.found


# --- Setting the stage ------------------------------------------------------------


@pytest.fixture
def people(app, make_user, monkeypatch):  # type: ignore[no-untyped-def]
    """An editor (the author) and an admin, with API tokens (a cheap hash keeps the many tests quick)."""
    monkeypatch.setattr(accounts, "generate_password_hash",
                        functools.partial(generate_password_hash, method="pbkdf2:sha256:1"))
    tokens = {}
    for name, role in (("ava", "editor"), ("ada", "admin")):
        make_user(name, role, PASSWORD)
        with app.extensions["database"].transaction() as session:
            tokens[name] = {"Authorization": f"Bearer {accounts.issue_token(session, name).token}"}
    return tokens


def tag_of(payload: str) -> str:
    return payload.replace(",", " ")[:50]


def post_note(client, headers, target: Any, body: str, tags: list[str]) -> str:  # type: ignore[no-untyped-def]
    response = client.post("/api/annotations", headers=headers, json={"text": body, "target": target, "tags": tags})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"].rsplit("/", 1)[-1]


@dataclass
class Stage:
    payload: str
    marker: str
    actor_note: str
    relation_note: str
    text_note: str
    quote_note: str


def stage(client, people, payload: str) -> Stage:  # type: ignore[no-untyped-def]
    marker = f"M{uuid.uuid4().hex[:10]}"
    tags = [tag_of(payload), marker]
    body = f"{marker} {payload}\n\nand again: {payload}"
    actor_note = post_note(client, people["ava"], "/actors/iraq", body, tags)
    relation_note = post_note(client, people["ava"], f"/relations/{RELATION}", body, tags)
    text_note = post_note(client, people["ava"], {"source": SOURCE, "selector": [
        {"type": "TextQuoteSelector", "exact": SENTENCE}]}, body, tags)

    # The API refuses a quote that is not in the text ...
    refused = client.post("/api/annotations", headers=people["ava"], json={"text": body, "target": {
        "source": SOURCE, "selector": [{"type": "TextQuoteSelector", "exact": payload}]}})
    assert refused.status_code == 400 and refused.mimetype == "application/json"
    # ... so the only way in is an admin's import, which keeps what it is given (orphaned).
    quote_note = str(uuid.uuid4())
    imported = client.post("/api/annotations/import", headers=people["ada"], json={"items": [{
        "id": f"http://localhost/api/annotations/{quote_note}", "type": "Annotation",
        "body": [{"type": "TextualBody", "value": body, "format": "text/markdown"}],
        "tags": tags, "creator": {"type": "Person", "name": "ava"},
        "created": "2015-09-28T10:00:00Z", "modified": "2015-09-28T10:00:00Z", "version": 1,
        "target": {"source": f"http://localhost/sources/{SOURCE}", "selector": [
            {"type": "TextQuoteSelector", "exact": payload, "prefix": payload, "suffix": payload},
            {"type": "TextPositionSelector", "start": 0, "end": 5}]},
    }]})
    assert imported.status_code == 200 and imported.get_json()["created"] == 1, imported.get_json()
    return Stage(payload, marker, actor_note, relation_note, text_note, quote_note)


def expect_note_shown(found: Findings, s: Stage, where: str, *, tags: bool = True, times: int = 1) -> None:
    """The note really is on the page (so the checks were not vacuous)."""
    assert found.note_text.get("note-body", "").count(s.marker) == times, (where, s.payload, found.note_text)
    if tags:
        assert f"#{tag_of(s.payload)}" in found.note_text.get("note-tags", ""), (where, s.payload)


HX = {"HX-Request": "true"}
# A few payloads per test: each gets its own notes, and every page is checked once with all of them.
GROUPS = [PAYLOADS[i:i + 7] for i in range(0, len(PAYLOADS), 7)]


@pytest.mark.parametrize("payloads", GROUPS,
                         ids=[f"payloads-{i * 7}-{i * 7 + len(g) - 1}" for i, g in enumerate(GROUPS)])
def test_payloads_are_inert_in_panels_reader_and_fragments(client, auth, people, payloads):  # type: ignore[no-untyped-def]
    stages = [stage(client, people, payload) for payload in payloads]

    # Read by anyone: the panels (page and htmx fragment), the reader, one note, its history.
    for url in ("/actors/iraq", f"/relations/{RELATION}"):
        for headers in ({}, HX):
            found = check_inert(client.get(url, headers=headers), f"{url} {headers}")
            for s in stages:  # the record's note and the sentence's note
                expect_note_shown(found, s, url, times=2)
    reader = check_inert(client.get(f"/sources/{SOURCE}"), "reader")
    assert SENTENCE in reader.note_text["noted"], "the annotated sentence is marked in the article"
    for s in stages:  # the sentence's note and the orphaned quote note
        expect_note_shown(reader, s, "reader", times=2)
        assert s.payload in reader.note_text["note-quote"], "the imported quote is shown, as text"
        note = check_inert(client.get(f"/notes/{s.actor_note}", headers=HX), "note")
        expect_note_shown(note, s, "note")
        check_inert(client.get(f"/notes/{s.actor_note}/history", headers=HX), "history")
    every = check_inert(client.get("/notes"), "notes page")
    orphans = check_inert(client.get("/notes", query_string={"orphaned": "1"}), "orphaned notes")
    for s in stages:
        expect_note_shown(every, s, "notes page", times=4)
        expect_note_shown(orphans, s, "orphaned notes")
        tagged = check_inert(client.get("/notes", query_string={"tag": tag_of(s.payload)}), "notes by tag")
        expect_note_shown(tagged, s, "notes by tag", times=4)
    analysis = client.get("/analysis")
    check_inert(analysis, "analysis")
    assert not any(s.marker in analysis.get_data(as_text=True) for s in stages)

    # The author's views: controls, the edit form, a conflict, a refused form, history, delete and undo.
    auth.login("ava")
    for url in ("/actors/iraq", f"/sources/{SOURCE}"):
        found = check_inert(client.get(url), url)
        for s in stages:
            expect_note_shown(found, s, url, times=2)
    for s in stages:
        note_url = f"/notes/{s.actor_note}"
        for headers in (HX, {}):
            edit = client.get(f"{note_url}/edit", headers=headers)
            assert edit.status_code == 200
            assert s.payload in check_inert(edit, f"edit form {headers}").note_text["textarea"]

        mine = {"body": f"mine {s.marker} {s.payload}", "tags": tag_of(s.payload), "visibility": "shared",
                "version": "0"}
        conflict = client.put(note_url, data=mine, headers=auth.headers(**HX))
        assert conflict.status_code == 409
        found = check_inert(conflict, "conflict fragment")
        expect_note_shown(found, s, "conflict", tags=False)
        assert s.payload in found.note_text["conflict-mine"]
        assert s.payload in found.note_text["textarea"], "the merge form starts from both versions"
        conflict_page = client.post(note_url, data={**mine, "csrf_token": auth.csrf_token})
        assert conflict_page.status_code == 409
        check_inert(conflict_page, "conflict page")

        refused = client.post("/notes", headers=auth.headers(**HX), data={
            "target_kind": "actor", "target_id": "iraq", "body": f"{s.marker} {s.payload}",
            "tags": ", ".join(f"t{i}" for i in range(21)), "visibility": "shared"})
        assert refused.status_code == 422
        assert s.payload in check_inert(refused, "refused new note").note_text["textarea"]

        saved = client.put(note_url, headers=auth.headers(**HX),
                           data={"body": f"edited {s.marker} {s.payload}", "tags": tag_of(s.payload), "version": "1"})
        assert saved.status_code == 200
        expect_note_shown(check_inert(saved, "saved note"), s, "saved note")
        history = check_inert(client.get(f"{note_url}/history", headers=HX), "history")
        assert history.note_text["rev-body"].count(s.marker) == 2

        deleted = client.delete(note_url, headers=auth.headers(**HX))
        assert deleted.status_code == 200
        check_inert(deleted, "deleted note")
        restored = client.post(f"{note_url}/restore", headers=auth.headers(**HX))
        assert restored.status_code == 200
        expect_note_shown(check_inert(restored, "restored note"), s, "restored note")


def strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return []


def test_the_api_returns_the_markdown_as_written_and_only_as_json(client, people):  # type: ignore[no-untyped-def]
    stages = [stage(client, people, payload) for payload in PAYLOADS[:6] + PAYLOADS[12:14]]
    for s in stages:
        for url in (f"/api/annotations/{s.actor_note}", f"/api/annotations/{s.quote_note}",
                    "/api/annotations?target=/actors/iraq", f"/api/annotations/{s.actor_note}/history",
                    "/export/annotations.jsonld"):
            response = client.get(url, headers=people["ava"])
            assert response.status_code == 200, url
            assert response.mimetype in ("application/json", "application/ld+json"), (url, response.mimetype)
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            assert "text/html" not in response.headers["Content-Type"]
            assert any(s.payload in text for text in strings(response.get_json())), url
        note = client.get(f"/api/annotations/{s.quote_note}").get_json()
        assert note["target"]["selector"][0]["exact"] == s.payload and note["anchor"]["status"] == "orphaned"
        assert note["body"][0]["value"] == f"{s.marker} {s.payload}\n\nand again: {s.payload}"


def test_the_checker_catches_what_it_should():
    """The inert check is only worth something if it fails on live markup."""
    live = [
        "<script>alert(1)</script>",
        '<div class="note-body" hx-disable><img src=x onerror=alert(1)></div>',
        '<div class="note-body" hx-disable><a href="&#106;avascript:alert(1)">x</a></div>',
        '<div class="note-body" hx-disable><a href="java&#x09;script:alert(1)">x</a></div>',
        '<div class="note-body" hx-disable><a href=" JaVaScRiPt:alert(1)">x</a></div>',
        '<div class="note-body" hx-disable><a href="data:text/html,x">x</a></div>',
        '<div class="note-body" hx-disable><a hx-get="/logout" hx-trigger="load">x</a></div>',
        '<div class="note-body" hx-disable><div data-hx-post="/x">x</div></div>',
        '<div class="note-body" hx-disable><svg></svg></div>',
        '<div class="note-body" hx-disable><style>p{}</style></div>',
        '<div class="note-body" hx-disable><iframe></iframe></div>',
        '<div class="note-body">no hx-disable</div>',
        '<span class="noted"><a href="#" title="t" hx-get="/x">x</a></span>',
    ]
    for html in live:
        checker = InertChecker()
        checker.feed(html)
        assert checker.found.problems, html
    checker = InertChecker()
    checker.feed('<div class="note-body" hx-disable><p><a href="https://example.com" rel="nofollow">x</a> '
                 '&lt;script&gt;alert(1)&lt;/script&gt;</p></div><a href="/notes/1" hx-get="/notes/1">Edit</a>')
    assert checker.found.problems == []
    assert "<script>alert(1)</script>" in checker.found.note_text["note-body"]
