"""Many editors, one shared server, three relations: no acknowledged edit is lost (issue 9, item 7).

gunicorn (4 sync workers) serves the test database. 10 editor threads each make
30 read-modify-write edits spread over 3 relations, each edit one of: append a
unique token to the summary (PATCH with If-Match), add a passage of the seed
article as evidence (POST …/evidence), or remove a passage the writer added
earlier (DELETE …/evidence/<id>). A 409 means someone else got there first:
the writer reads again and retries.

At the end: every acknowledged summary token is in its relation's summary;
its evidence is exactly the original passages plus those acknowledged as added
and not acknowledged as removed; its version is 1 + its acknowledged edits and
its history holds one revision per acknowledged edit (after the baseline);
no passage row is duplicated or dangling; and the server never answered 5xx.
"""

from __future__ import annotations

import random
import re
import threading
import time
import uuid
from dataclasses import dataclass, field

import pytest
from sqlalchemy import delete, func, select

from webapp.models import ApiToken, EventEvidence, Passage, RelationEvidence, User
from webapp.services import accounts

from ..conftest import reset_seed
from .conftest import GUNICORN_WORKERS, Client, Server, Stats

pytestmark = pytest.mark.concurrency

EDITORS = 10
EDITS_PER_EDITOR = 30
RELATIONS = ["iraq-intelligence-sharing-iran", "united-states-non-cooperation-iran", "iran-political-support-assad"]
SOURCE = "pjtatler-2015-09-27-iraq-intel"
MAX_ATTEMPTS = 300
RUN_TIMEOUT = 300
PASSWORD = "record concurrency password"


@pytest.fixture
def editors(base_database):  # type: ignore[no-untyped-def]
    """Ten editors with API tokens, committed; afterwards removed, and the seed put back as loaded."""
    names = [f"rec-{i:02d}-{uuid.uuid4().hex[:6]}" for i in range(EDITORS)]
    tokens = []
    with base_database.transaction() as session:
        for name in names:
            accounts.create_user(session, name, PASSWORD, "editor")
            tokens.append(accounts.issue_token(session, name, label="record concurrency").token)
    yield tokens
    reset_seed(base_database)
    with base_database.transaction() as session:
        ids = select(User.id).where(User.name.in_(names)).scalar_subquery()
        session.execute(delete(ApiToken).where(ApiToken.user_id.in_(ids)))
        session.execute(delete(User).where(User.name.in_(names)))


@dataclass
class Ledger:
    """What the server acknowledged, per relation."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    tokens: dict[str, list[str]] = field(default_factory=dict)
    added: dict[str, set[str]] = field(default_factory=dict)
    removed: dict[str, set[str]] = field(default_factory=dict)
    edits: dict[str, int] = field(default_factory=dict)

    def ack(self, relation: str, *, token: str | None = None, added: str | None = None,
            removed: str | None = None) -> None:
        with self.lock:
            self.edits[relation] = self.edits.get(relation, 0) + 1
            if token:
                self.tokens.setdefault(relation, []).append(token)
            if added:
                self.added.setdefault(relation, set()).add(added)
            if removed:
                self.removed.setdefault(relation, set()).add(removed)


def free_sentences(client: Client) -> list[tuple[int, int]]:
    """Spans of the article's clauses that are not passages yet and occur once (so voices cannot clash)."""
    status, _headers, source = client.call("GET", f"/api/sources/{SOURCE}")
    assert status == 200
    text = source["text"]
    taken = {(p["start"], p["end"]) for p in source["passages"]}
    spans = []
    for match in re.finditer(r"[A-Za-z][^.,;:!?\n“”\"]{24,160}", text):
        if (match.start(), match.end()) not in taken and text.count(match.group()) == 1:
            spans.append((match.start(), match.end()))
    return spans


def editor(index: int, server: Server, token: str, spans: list[tuple[int, int]], ledger: Ledger,
           stats: Stats, deadline: float) -> None:
    client = Client(server, token, stats)
    rng = random.Random(index)
    mine: dict[str, list[str]] = {r: [] for r in RELATIONS}   # evidence ids this editor added and still has
    own_spans = iter(spans)
    for edit in range(EDITS_PER_EDITOR):
        relation = rng.choice(RELATIONS)
        action = rng.choice(["summary", "add", "remove"] if mine[relation] else ["summary", "add"])
        span = next(own_spans, None) if action == "add" else None
        if action == "add" and span is None:
            action = "summary"
        mark = f"e{index:02d}-{edit:02d}"
        for attempt in range(1, MAX_ATTEMPTS + 1):
            if time.monotonic() > deadline:
                stats.problem(f"editor {index} ran out of time at edit {edit}")
                return
            status, _h, current = client.call("GET", f"/api/relations/{relation}/record")
            if status != 200:
                stats.problem(f"GET {relation} → {status}")
                return
            headers = {"If-Match": f'"{current["version"]}"'}
            if action == "summary":
                summary = (current["record"].get("summary", "") + f" [{mark}]").strip()
                status, _h, body = client.call("PATCH", f"/api/relations/{relation}", {"summary": summary}, headers)
            elif action == "add":
                assert span is not None
                status, _h, body = client.call("POST", f"/api/relations/{relation}/evidence",
                                               {"source": SOURCE, "start": span[0], "end": span[1],
                                                "voice": "report"}, headers)
            else:
                status, _h, body = client.call("DELETE", f"/api/relations/{relation}/evidence/{mine[relation][-1]}",
                                               headers=headers)
            if status == 409:
                with stats.lock:
                    stats.retries += 1
                continue
            if status not in (200, 201):
                stats.problem(f"{action} on {relation} → {status}: {body}")
                return
            if action == "summary":
                ledger.ack(relation, token=mark)
            elif action == "add":
                mine[relation].append(body["evidence_id"])
                ledger.ack(relation, added=body["evidence_id"])
            else:
                ledger.ack(relation, removed=mine[relation].pop())
            with stats.lock:
                stats.most_attempts = max(stats.most_attempts, attempt)
            break
        else:
            stats.problem(f"editor {index} starved on edit {edit} after {MAX_ATTEMPTS} attempts")
            return


def test_concurrent_record_edits_through_gunicorn_lose_nothing(gunicorn_server: Server, editors: list[str],
                                                               base_database) -> None:
    stats, ledger = Stats(), Ledger()
    probe = Client(gunicorn_server, editors[0], stats)
    before = {r: probe.call("GET", f"/api/relations/{r}/record")[2] for r in RELATIONS}
    spans = free_sentences(probe)
    per_editor = len(spans) // EDITORS
    assert per_editor >= 3, f"only {len(spans)} free sentences in the article"
    deadline = time.monotonic() + RUN_TIMEOUT
    threads = [threading.Thread(target=editor, args=(i, gunicorn_server, token,
                                                     spans[i * per_editor:(i + 1) * per_editor], ledger, stats,
                                                     deadline))
               for i, token in enumerate(editors)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(RUN_TIMEOUT + 30)
    elapsed = time.monotonic() - started

    assert stats.server_errors == [], stats.server_errors[:5]
    assert stats.problems == [], stats.problems[:5]
    assert sum(ledger.edits.values()) == EDITORS * EDITS_PER_EDITOR
    for relation in RELATIONS:
        _s, _h, after = probe.call("GET", f"/api/relations/{relation}/record")
        summary = after["record"].get("summary", "")
        for token in ledger.tokens.get(relation, []):
            assert f"[{token}]" in summary, f"{relation}: acknowledged {token} is missing"
        assert len(re.findall(r"\[e\d\d-\d\d\]", summary)) == len(ledger.tokens.get(relation, []))
        original = [e["id"] for e in before[relation]["record"]["evidence"]]
        expected = set(original) | (ledger.added.get(relation, set()) - ledger.removed.get(relation, set()))
        final = [e["id"] for e in after["record"]["evidence"]]
        assert len(final) == len(set(final)) and set(final) == expected, relation
        assert after["version"] == 1 + ledger.edits.get(relation, 0)
        _s, _h, history = probe.call("GET", f"/api/relations/{relation}/history")
        versions = [r["version"] for r in history["revisions"]]
        assert versions == list(range(1, after["version"] + 1)), relation

    with base_database.session() as session:
        rows = session.execute(select(Passage.source_id, Passage.start, Passage.end)).all()
        assert len(rows) == len(set(rows))
        cited = select(RelationEvidence.passage_id).union(select(EventEvidence.passage_id)).subquery()
        dangling = session.scalar(select(func.count()).select_from(Passage)
                                  .where(Passage.id.not_in(select(cited.c.passage_id))))
        assert dangling == 0
        missing = session.scalar(select(func.count()).select_from(RelationEvidence)
                                 .where(RelationEvidence.passage_id.not_in(select(Passage.id))))
        assert missing == 0
    print(f"\n{EDITORS} editors x {EDITS_PER_EDITOR} edits on {len(RELATIONS)} relations through gunicorn "
          f"({GUNICORN_WORKERS} workers): {stats.retries} 409 retries, at most {stats.most_attempts} attempts, "
          f"{elapsed:.1f} s, statuses {dict(stats.statuses)}")

