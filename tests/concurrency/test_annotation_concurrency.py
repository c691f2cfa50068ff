"""Many writers, one shared server: no acknowledged edit is ever lost (issue 4, item 7).

gunicorn serves the app with 4 sync worker processes on the test database
(SQLite or PostgreSQL, whichever the run uses). 20 writer threads each make 50
read-modify-write edits spread over 5 shared notes: GET the note, append a
unique line (``w07-e23``) to its text, PUT it back with ``If-Match``; a 409
means someone else got there first, so the writer reads again and retries.

At the end every acknowledged (200) edit must be in its note's final text,
nothing else may be, each note's version must be 1 + its acknowledged edits,
its history must hold exactly one revision per acknowledged edit (each one the
previous text plus one line), and the server must never have answered 5xx.

Locally the test skips when gunicorn is not installed; in CI (CI=true) it fails.
"""

from __future__ import annotations

import sys
import threading
import time
import uuid
from typing import Any

import pytest
from sqlalchemy import delete, select

from webapp.models import Annotation, AnnotationRevision, AnnotationTag, ApiToken, User
from webapp.services import accounts

from .conftest import GUNICORN_WORKERS, Client, Server, Stats

pytestmark = pytest.mark.concurrency


WRITERS = 20
EDITS_PER_WRITER = 50
TARGETS = ["/actors/iraq", "/actors/iran", "/actors/russia", "/actors/syria", "/actors/isis"]
TAGS = ["concurrency", "shared"]
MAX_ATTEMPTS = 500        # per edit: a writer that never gets through is starved, which is a failure too
RUN_TIMEOUT = 240         # seconds for all writers together

PASSWORD = "concurrency test password"


@pytest.fixture
def editor(base_database):  # type: ignore[no-untyped-def]
    """An editor with an API token, committed (the server is another process); removed afterwards
    with every note it wrote, so the rest of the suite sees the database as it was."""
    name = f"concurrency-{uuid.uuid4().hex[:8]}"
    with base_database.transaction() as session:
        user = accounts.create_user(session, name, PASSWORD, "editor")
        token = accounts.issue_token(session, name, label="concurrency test").token
        user_id = user.id
    yield token
    with base_database.transaction() as session:
        note_ids = select(Annotation.id).where(Annotation.creator_id == user_id).scalar_subquery()
        session.execute(delete(AnnotationRevision).where(AnnotationRevision.annotation_id.in_(note_ids)))
        session.execute(delete(AnnotationTag).where(AnnotationTag.annotation_id.in_(note_ids)))
        session.execute(delete(Annotation).where(Annotation.creator_id == user_id))
        session.execute(delete(ApiToken).where(ApiToken.user_id == user_id))
        session.execute(delete(User).where(User.id == user_id))


def note_text(note: dict[str, Any]) -> str:
    return next(b["value"] for b in note["body"] if b.get("purpose") != "tagging")


def note_path(note_id: str) -> str:
    return f"/api/annotations/{note_id}"


def writer(index: int, server: Server, token: str, note_ids: list[str], stats: Stats,
           start: threading.Barrier) -> None:
    client = Client(server, token, stats)
    retries, most_attempts = 0, 0
    start.wait()
    try:
        for edit in range(EDITS_PER_WRITER):
            note_id = note_ids[(index + edit) % len(note_ids)]
            line = f"w{index:02d}-e{edit:02d}"
            for attempt in range(1, MAX_ATTEMPTS + 1):
                status, headers, note = client.call("GET", note_path(note_id))
                if status != 200:
                    stats.problem(f"{line}: GET answered {status}: {note!r:.300}")
                    return
                etag, version = headers["ETag"], note["version"]
                if etag != f'"{version}"':
                    stats.problem(f"{line}: ETag {etag} does not name version {version}")
                payload = {"text": note_text(note) + "\n" + line, "tags": note["tags"],
                           "visibility": note["visibility"]}
                status, _, reply = client.call("PUT", note_path(note_id), payload, {"If-Match": etag})
                if status == 200:
                    if reply["version"] != version + 1:
                        stats.problem(f"{line}: PUT on version {version} acknowledged version {reply['version']}")
                    with stats.lock:
                        stats.acknowledged.setdefault(note_id, []).append(line)
                    most_attempts = max(most_attempts, attempt)
                    break
                if status == 409:
                    retries += 1
                    current = (reply or {}).get("error", {}).get("details", {}).get("current") or {}
                    if not isinstance(current.get("version"), int) or current["version"] <= version:
                        stats.problem(f"{line}: 409 on version {version} without a newer current note: {reply!r:.300}")
                    continue  # read again, then retry
                stats.problem(f"{line}: PUT answered {status}: {reply!r:.300}")
                return
            else:
                stats.problem(f"{line}: still conflicting after {MAX_ATTEMPTS} attempts")
                return
    except Exception as error:  # noqa: BLE001 — reported with the other problems
        stats.problem(f"writer {index}: {type(error).__name__}: {error}")
    finally:
        client.connection.close()
        with stats.lock:
            stats.retries += retries
            stats.most_attempts = max(stats.most_attempts, most_attempts)


# --- The test --------------------------------------------------------------------------------

def test_concurrent_edits_through_gunicorn_lose_nothing(gunicorn_server: Server, editor: str, database_url: str,
                                                        record_property, capsys) -> None:  # type: ignore[no-untyped-def]
    server, stats = gunicorn_server, Stats()
    try:
        client = Client(server, editor, stats)
        note_ids, initial = [], {}
        for number, target in enumerate(TARGETS, 1):
            text = f"Shared note {number} for the concurrency test."
            status, _, created = client.call("POST", "/api/annotations",
                                             {"text": text, "tags": TAGS, "visibility": "shared", "target": target})
            assert status == 201, created
            assert created["version"] == 1
            note_id = created["id"].rsplit("/", 1)[-1]
            note_ids.append(note_id)
            initial[note_id] = text

        start = threading.Barrier(WRITERS + 1)
        threads = [threading.Thread(target=writer, args=(i, server, editor, note_ids, stats, start),
                                    name=f"writer-{i:02d}", daemon=True) for i in range(WRITERS)]
        for thread in threads:
            thread.start()
        start.wait()
        began = time.monotonic()
        deadline = began + RUN_TIMEOUT
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        elapsed = time.monotonic() - began
        stuck = [t.name for t in threads if t.is_alive()]
        assert not stuck, f"writers still running after {RUN_TIMEOUT} s: {stuck}"

        acknowledged = sum(len(lines) for lines in stats.acknowledged.values())
        requests = sum(stats.statuses.values())
        dialect = database_url.split(":", 1)[0].split("+", 1)[0]
        summary = (f"concurrency on {dialect}: {acknowledged} edits acknowledged by {WRITERS} writers on "
                   f"{len(note_ids)} notes through gunicorn ({GUNICORN_WORKERS} workers), {stats.retries} 409 "
                   f"retries (at most {stats.most_attempts} attempts for one edit), {requests} requests, "
                   f"{elapsed:.1f} s ({requests / elapsed:.0f} requests/s); "
                   f"statuses {dict(sorted(stats.statuses.items()))}")
        print(summary)
        with capsys.disabled():
            sys.stdout.write(f"\n{summary}\n")
        for key, value in (("edits", acknowledged), ("retries_409", stats.retries), ("requests", requests),
                           ("elapsed_s", round(elapsed, 2))):
            record_property(key, value)

        assert stats.server_errors == [], f"{len(stats.server_errors)} 5xx responses: {stats.server_errors[:10]}"

        for note_id in note_ids:
            acked = stats.acknowledged.get(note_id, [])
            status, _, note = client.call("GET", note_path(note_id))
            assert status == 200, note
            lines = note_text(note).split("\n")
            assert lines[0] == initial[note_id]
            edits = lines[1:]
            missing = sorted(set(acked) - set(edits))
            assert not missing, f"note {note_id}: {len(missing)} acknowledged edits lost: {missing[:20]}"
            unacknowledged = sorted(set(edits) - set(acked))
            assert not unacknowledged, f"note {note_id}: edits in the text that were refused: {unacknowledged[:20]}"
            assert len(edits) == len(set(edits)) == len(acked), f"note {note_id}: an edit appears twice"
            assert note["version"] == 1 + len(acked)
            assert note["tags"] == TAGS

            status, _, history = client.call("GET", f"{note_path(note_id)}/history")
            assert status == 200, history
            revisions = history["revisions"]
            assert [r["action"] for r in revisions] == ["create"] + ["update"] * len(acked)
            assert [r["version"] for r in revisions] == list(range(1, len(acked) + 2))
            # Each revision is the one before it plus exactly one line: a chain, with nothing overwritten.
            bodies = [r["snapshot"]["body"] for r in revisions]
            assert bodies[0] == initial[note_id]
            for before, after in zip(bodies, bodies[1:], strict=False):
                assert after.startswith(before + "\n") and "\n" not in after[len(before) + 1:], (before, after)
            assert [b.rsplit("\n", 1)[-1] for b in bodies[1:]] == edits
        assert stats.server_errors == [], f"5xx responses while checking: {stats.server_errors[:10]}"
        # Checked after the texts, so a lost edit is reported as such rather than as its symptoms.
        assert stats.problems == [], f"{len(stats.problems)} problems: {stats.problems[:10]}"
        assert acknowledged == WRITERS * EDITS_PER_WRITER
        trouble = [line for line in server.log(lines=100_000).splitlines()
                   if "Traceback" in line or "[ERROR]" in line or "[CRITICAL]" in line or "database is locked" in line]
        assert trouble == [], f"the server logged errors: {trouble[:10]}"
    except BaseException:
        print(f"--- gunicorn log (last 200 lines of {server.log_path}) ---\n{server.log()}")
        raise
