"""Editing curated records over the JSON API (SPEC §8): one validator, versions and 409s, history,
delete and restore, evidence by stable id, permissions, and the load rule that never overwrites an edit."""

from __future__ import annotations

import json
import shutil

import pytest
from sqlalchemy import func, select

from webapp.models import Passage, Relation, RelationEvidence
from webapp.services import accounts

from ..conftest import SEED_DIR

SOURCE = "pjtatler-2015-09-27-iraq-intel"
RELATION = "iraq-intelligence-sharing-iran"
QUOTE = "training and advising Iraqi forces"


@pytest.fixture
def tokens(app, make_user):  # type: ignore[no-untyped-def]
    """Bearer headers for an editor, a second editor, an admin and a viewer."""
    headers = {}
    for name, role in (("ed", "editor"), ("eve", "editor"), ("ada", "admin"), ("vic", "viewer")):
        make_user(name, role)
        with app.extensions["database"].transaction() as session:
            headers[name] = {"Authorization": f"Bearer {accounts.issue_token(session, name).token}"}
    return headers


def record(client, path):  # type: ignore[no-untyped-def]
    response = client.get(f"/api/{path}/record")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def edge(client, relation_id):  # type: ignore[no-untyped-def]
    return next((e for e in client.get("/api/graph").get_json()["edges"] if e["id"] == relation_id), None)


NEW_RELATION = {
    "source": "iraq", "target": "us-led-coalition", "type": "cooperation", "start": "2014",
    "inferred": "Iraq joined the coalition when it formed in 2014.", "confidence": "medium",
    "summary": "Iraq is a member of the coalition.",
    "evidence": [{"source": SOURCE, "quote": QUOTE, "voice": "opinion"}],
}


def test_create_a_relation_it_appears_in_the_graph_with_its_passage(client, tokens):
    assert edge(client, "iraq-cooperation-us-led-coalition") is None
    response = client.post("/api/relations", json=NEW_RELATION, headers=tokens["ed"])
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["id"] == "iraq-cooperation-us-led-coalition" and body["version"] == 1
    assert response.headers["ETag"] == '"1"'
    assert response.headers["Location"].endswith("/api/relations/iraq-cooperation-us-led-coalition/record")
    item = body["record"]["evidence"][0]
    text = client.get(f"/api/sources/{SOURCE}").get_json()["text"]
    source, span = item["id"].split(":")
    start, end = map(int, span.split("-"))
    assert source == SOURCE and text[start:end] == QUOTE
    shown = edge(client, "iraq-cooperation-us-led-coalition")
    assert shown["from"] == "iraq" and shown["to"] == "us-led-coalition" and shown["evidence_count"] == 1
    detail = client.get("/api/relations/iraq-cooperation-us-led-coalition").get_json()
    assert detail["evidence"][0]["text"] == QUOTE
    history = client.get("/api/relations/iraq-cooperation-us-led-coalition/history").get_json()["revisions"]
    assert [(r["version"], r["action"], r["editor"]) for r in history] == [(1, "create", "ed")]


@pytest.mark.parametrize(("change", "field", "fragment"), [
    ({"target": "atlantis"}, "target", "unknown actor 'atlantis'"),
    ({"type": "friendship"}, "type", "unknown relation type 'friendship'"),
    ({"start": "2015-13"}, "start", "has no month 13"),
    ({"end": "2013"}, "end", "is before the start"),
    ({"confidence": "certain"}, "confidence", "must be one of low, medium, high"),
    ({"evidence": [{"source": SOURCE, "quote": "Iraq declared war on Russia.", "voice": "report"}]},
     "evidence[0].quote", "quote not found"),
    ({"evidence": [{"source": "nowhere", "quote": QUOTE, "voice": "report"}]}, "evidence[0].source",
     "unknown source 'nowhere'"),
    ({"evidence": []}, "evidence", "needs at least one evidence item"),
    ({"source": None}, "source", "missing the required field 'source'"),
    ({"colour": "red"}, "colour", "unknown field 'colour'"),
])
def test_an_invalid_relation_is_refused_naming_the_field_and_nothing_is_written(client, tokens, session, change,
                                                                                   field, fragment):
    before = session.scalar(select(func.count()).select_from(Relation))
    payload = {key: value for key, value in {**NEW_RELATION, **change}.items() if value is not None}
    response = client.post("/api/relations", json=payload, headers=tokens["ed"])
    assert response.status_code == 400, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "invalid_record" and fragment in error["message"]
    assert any(p["field"] == field and fragment in p["message"] for p in error["details"]["problems"])
    assert session.scalar(select(func.count()).select_from(Relation)) == before


def test_the_same_rules_as_validate_a_duplicate_id_is_refused(client, tokens):
    response = client.post("/api/relations", json={**NEW_RELATION, "id": RELATION}, headers=tokens["ed"])
    assert response.status_code == 400
    assert response.get_json()["error"]["details"]["field"] == "id"


def test_patch_is_a_merge_patch_and_a_stale_version_gets_409_with_the_current_record(client, tokens):
    current = record(client, f"relations/{RELATION}")
    assert current["version"] == 1
    first = client.patch(f"/api/relations/{RELATION}", json={"start": "2015-09-27", "inferred": None},
                         headers={**tokens["ed"], "If-Match": '"1"'})
    assert first.status_code == 200, first.get_json()
    changed = first.get_json()
    assert changed["version"] == 2 and changed["record"]["start"] == "2015-09-27"
    assert "start_inferred" not in changed["record"] and changed["record"]["summary"] == current["record"]["summary"]
    assert len(changed["record"]["evidence"]) == len(current["record"]["evidence"])

    stale = client.patch(f"/api/relations/{RELATION}", json={"summary": "Mine", "version": 1}, headers=tokens["eve"])
    assert stale.status_code == 409
    error = stale.get_json()["error"]
    assert error["code"] == "version_conflict"
    assert error["details"]["current"]["version"] == 2
    assert error["details"]["current"]["record"]["start"] == "2015-09-27"
    assert record(client, f"relations/{RELATION}")["record"]["summary"] == current["record"]["summary"]

    timeline = client.get("/api/timeline").get_json()
    assert json.dumps(timeline).count("2015-09-27") >= 1
    assert edge(client, RELATION)["start"] == "2015-09-27"


def test_a_write_without_a_version_is_refused(client, tokens):
    response = client.patch(f"/api/relations/{RELATION}", json={"summary": "x"}, headers=tokens["ed"])
    assert response.status_code == 400 and response.get_json()["error"]["details"]["field"] == "version"
    weird = client.patch(f"/api/relations/{RELATION}", json={"summary": "x"},
                         headers={**tokens["ed"], "If-Match": '"²"'})
    assert weird.status_code == 400 and weird.get_json()["error"]["code"] == "bad_if_match"


def test_ids_never_change_on_edit(client, tokens):
    response = client.put(f"/api/relations/{RELATION}", json={**NEW_RELATION, "id": "renamed", "version": 1},
                          headers=tokens["ed"])
    assert response.status_code == 400 and "ids never change" in response.get_json()["error"]["message"]


@pytest.mark.parametrize(("who", "status"), [(None, 401), ("vic", 403)])
def test_anonymous_and_viewers_cannot_write(client, tokens, who, status):
    headers = tokens[who] if who else {}
    calls = [
        client.post("/api/relations", json=NEW_RELATION, headers=headers),
        client.patch(f"/api/relations/{RELATION}", json={"summary": "x", "version": 1}, headers=headers),
        client.delete(f"/api/relations/{RELATION}", headers={**headers, "If-Match": '"1"'}),
        client.post("/api/actors", json={"id": "x", "name": "X", "kind": "state"}, headers=headers),
        client.post(f"/api/relations/{RELATION}/evidence", json={"source": SOURCE, "quote": QUOTE,
                                                                 "voice": "opinion", "version": 1}, headers=headers),
    ]
    assert [c.status_code for c in calls] == [status] * len(calls)
    assert record(client, f"relations/{RELATION}")["version"] == 1


def test_delete_then_restore_brings_the_relation_back_with_its_history(client, tokens, session):
    before = record(client, f"relations/{RELATION}")
    deleted = client.delete(f"/api/relations/{RELATION}", headers={**tokens["ed"], "If-Match": '"1"'})
    assert deleted.status_code == 200 and deleted.get_json()["record"] is None
    assert edge(client, RELATION) is None
    assert client.get(f"/api/relations/{RELATION}").status_code == 404
    restored = client.post(f"/api/relations/{RELATION}/restore", headers=tokens["ed"])
    assert restored.status_code == 200, restored.get_json()
    assert restored.get_json()["version"] == 3 and restored.get_json()["record"] == before["record"]
    assert edge(client, RELATION) is not None
    actions = [r["action"] for r in client.get(f"/api/relations/{RELATION}/history").get_json()["revisions"]]
    assert actions == ["load", "delete", "restore"]


def test_deleting_an_actor_still_in_relations_is_refused_and_names_them(client, tokens):
    response = client.delete("/api/actors/rouhani", headers={**tokens["ed"], "If-Match": '"1"'})
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "in_use" and "rouhani-leads-iran" in error["message"]
    assert {"kind": "relation", "id": "rouhani-leads-iran"} in error["details"]["used_by"]
    assert client.get("/api/actors/rouhani").status_code == 200


def test_evidence_is_added_and_removed_by_its_stable_id(client, tokens, session):
    text = client.get(f"/api/sources/{SOURCE}").get_json()["text"]
    start = text.index(QUOTE)
    added = client.post(f"/api/relations/{RELATION}/evidence", headers={**tokens["ed"], "If-Match": '"1"'},
                        json={"source": SOURCE, "start": start, "end": start + len(QUOTE), "voice": "opinion"})
    assert added.status_code == 201, added.get_json()
    body = added.get_json()
    assert body["evidence_id"] == f"{SOURCE}:{start}-{start + len(QUOTE)}"
    assert [e["id"] for e in body["record"]["evidence"]][-1] == body["evidence_id"]
    twice = client.post(f"/api/relations/{RELATION}/evidence", headers={**tokens["ed"], "If-Match": '"2"'},
                        json={"source": SOURCE, "quote": QUOTE, "voice": "opinion"})
    assert twice.status_code == 400 and "already evidence" in twice.get_json()["error"]["message"]

    first_id = body["record"]["evidence"][0]["id"]
    removed = client.delete(f"/api/relations/{RELATION}/evidence/{first_id}",
                            headers={**tokens["ed"], "If-Match": '"2"'})
    assert removed.status_code == 200, removed.get_json()
    ids = [e["id"] for e in removed.get_json()["record"]["evidence"]]
    assert first_id not in ids and body["evidence_id"] in ids and len(ids) == len(body["record"]["evidence"]) - 1
    # The headline passage is still cited by the other intelligence-sharing relations, so it stays; no duplicates.
    rows = session.execute(select(Passage.source_id, Passage.start, Passage.end)).all()
    assert len(rows) == len(set(rows))
    assert session.scalar(select(func.count()).select_from(RelationEvidence)
                          .where(RelationEvidence.relation_id == RELATION)) == len(ids)
    gone = client.delete(f"/api/relations/{RELATION}/evidence/{first_id}", headers={**tokens["ed"], "If-Match": '"3"'})
    assert gone.status_code == 404


def test_admins_revert_to_any_revision_editors_cannot(client, tokens):
    original = record(client, f"relations/{RELATION}")["record"]
    client.patch(f"/api/relations/{RELATION}", json={"summary": "First edit", "version": 1}, headers=tokens["ed"])
    client.patch(f"/api/relations/{RELATION}", json={"summary": "Second edit", "version": 2}, headers=tokens["eve"])
    refused = client.post(f"/api/relations/{RELATION}/revert", json={"to_version": 1}, headers=tokens["ed"])
    assert refused.status_code == 403
    reverted = client.post(f"/api/relations/{RELATION}/revert", json={"to_version": 1}, headers=tokens["ada"])
    assert reverted.status_code == 200, reverted.get_json()
    assert reverted.get_json()["version"] == 4 and reverted.get_json()["record"] == original
    history = client.get(f"/api/relations/{RELATION}/history").get_json()["revisions"]
    assert [(r["version"], r["action"], r["editor"]) for r in history] == [
        (1, "load", "flask load"), (2, "update", "ed"), (3, "update", "eve"), (4, "revert", "ada")]
    assert history[1]["changes"]["summary"][1] == "First edit"
    # The state from the files is dated when it was loaded, not when it was first edited.
    assert history[0]["at"] < history[1]["at"]
    changes = client.get("/api/datasets/iraq-intel-2015/changes").get_json()["changes"]
    assert [c["version"] for c in changes[:3]] == [4, 3, 2]


def test_actors_blocs_and_events_are_edited_the_same_way(client, tokens):
    bloc = client.post("/api/blocs", json={"id": "neutral", "name": "Neutral", "color": "#777777"},
                       headers=tokens["ed"])
    assert bloc.status_code == 201, bloc.get_json()
    actor = client.post("/api/actors", json={"id": "jordan", "name": "Jordan", "kind": "state", "bloc": "neutral",
                                             "aliases": ["Hashemite Kingdom"]}, headers=tokens["ed"])
    assert actor.status_code == 201, actor.get_json()
    bad = client.post("/api/actors", json={"id": "oman", "name": "Oman", "kind": "kingdom"}, headers=tokens["ed"])
    assert bad.status_code == 400 and bad.get_json()["error"]["details"]["field"] == "kind"
    event = client.patch("/api/events/" + client.get("/api/events").get_json()["events"][0]["id"],
                         json={"title": "Renamed event", "version": 1}, headers=tokens["ed"])
    assert event.status_code == 200 and event.get_json()["record"]["title"] == "Renamed event"
    in_use = client.delete("/api/blocs/neutral", headers={**tokens["ed"], "If-Match": '"1"'})
    assert in_use.status_code == 409 and in_use.get_json()["error"]["details"]["used_by"] == [
        {"kind": "actor", "id": "jordan"}]
    assert client.get("/api/actors/jordan").get_json()["label"] == "Jordan"


def test_export_then_load_into_a_fresh_database_reproduces_the_edits(client, tokens, runner, tmp_path,
                                                                     fresh_runner):
    client.post("/api/relations", json=NEW_RELATION, headers=tokens["ed"])
    client.patch(f"/api/relations/{RELATION}", json={"start": "2015-09-27", "version": 1}, headers=tokens["ed"])
    assert runner.invoke(args=["export", str(tmp_path / "out")]).exit_code == 0
    fresh, fresh_client = fresh_runner
    result = fresh.invoke(args=["load", str(tmp_path / "out" / "iraq-intel-2015")])
    assert result.exit_code == 0, result.output
    for relation_id in (RELATION, "iraq-cooperation-us-led-coalition"):
        mine, theirs = record(client, f"relations/{relation_id}"), record(fresh_client, f"relations/{relation_id}")
        assert mine["record"] == theirs["record"]
        passages = [
            [{k: v for k, v in p.items() if k != "id"}
             for p in c.get(f"/api/relations/{relation_id}").get_json()["evidence"]]
            for c in (client, fresh_client)
        ]
        assert passages[0] == passages[1] and passages[0]


def test_load_over_app_edits_refuses_and_names_them_unless_told(client, tokens, runner, tmp_path):
    client.patch(f"/api/relations/{RELATION}", json={"start": "2015-09-27", "version": 1}, headers=tokens["ed"])
    refused = runner.invoke(args=["load", str(SEED_DIR)])
    assert refused.exit_code == 1
    assert (f"conflict: relation '{RELATION}' (edited in the app by ed): start: app '2015-09-27' / file '2015-09'"
            in refused.output)
    assert "nothing was loaded" in refused.output
    assert record(client, f"relations/{RELATION}")["record"]["start"] == "2015-09-27"

    # Removed from the files too: a conflict, not a silent removal.
    copy = tmp_path / "seed"
    shutil.copytree(SEED_DIR, copy)
    client.post("/api/relations", json=NEW_RELATION, headers=tokens["ed"])
    result = runner.invoke(args=["load", str(copy), "--overwrite-app-edits"])
    assert result.exit_code == 1
    assert "removal: relation 'iraq-cooperation-us-led-coalition' is no longer in the files" in result.output
    assert "conflict:" not in result.output

    overwritten = runner.invoke(args=["load", str(copy), "--overwrite-app-edits", "--allow-removals"])
    assert overwritten.exit_code == 0, overwritten.output
    assert record(client, f"relations/{RELATION}")["record"]["start"] == "2015-09"
    history = client.get(f"/api/relations/{RELATION}/history").get_json()["revisions"]
    assert [(r["action"], r["snapshot"]["start"]) for r in history] == [
        ("load", "2015-09"), ("update", "2015-09-27"), ("load", "2015-09")]
    assert client.get("/api/relations/iraq-cooperation-us-led-coalition").status_code == 404
    restored = client.post("/api/relations/iraq-cooperation-us-led-coalition/restore", headers=tokens["ed"])
    assert restored.status_code == 200


def test_offsets_around_a_selection_are_trimmed_to_its_words(client, tokens):
    text = client.get(f"/api/sources/{SOURCE}").get_json()["text"]
    start = text.index(QUOTE)
    added = client.post(f"/api/relations/{RELATION}/evidence", headers={**tokens["ed"], "If-Match": '"1"'},
                        json={"source": SOURCE, "start": start - 1, "end": start + len(QUOTE), "voice": "report"})
    assert added.status_code == 201, added.get_json()
    assert added.get_json()["evidence_id"] == f"{SOURCE}:{start}-{start + len(QUOTE)}"
    outside = client.post(f"/api/relations/{RELATION}/evidence", headers={**tokens["ed"], "If-Match": '"2"'},
                          json={"source": SOURCE, "start": 0, "end": 10**6, "voice": "report"})
    assert outside.status_code == 400 and "outside the source's text" in outside.get_json()["error"]["message"]


def test_merge_moves_relations_events_quotes_notes_and_names_and_undo_puts_them_back(client, tokens):
    client.post("/api/actors", json={"id": "tehran", "name": "Tehran government", "kind": "state",
                                     "aliases": ["Islamic Republic"]}, headers=tokens["ed"])
    client.post("/api/relations", json={**NEW_RELATION, "source": "tehran", "target": "russia",
                                        "type": "alliance"}, headers=tokens["ed"])
    note = client.post("/api/annotations", json={"text": "Same as Iran?", "target": "/actors/tehran"},
                       headers=tokens["ed"])
    assert note.status_code == 201
    refused = client.post("/api/actors/tehran/merge", json={"into": "tehran"}, headers=tokens["ed"])
    assert refused.status_code == 400
    viewer = client.post("/api/actors/tehran/merge", json={"into": "iran"}, headers=tokens["vic"])
    assert viewer.status_code == 403

    merged = client.post("/api/actors/tehran/merge", json={"into": "iran"}, headers=tokens["ed"])
    assert merged.status_code == 200, merged.get_json()
    assert merged.get_json()["record"]["aliases"][-2:] == ["Tehran government", "Islamic Republic"]
    assert client.get("/api/actors/tehran").status_code == 404
    assert client.get("/api/relations/tehran-alliance-russia").get_json()["from"] == "iran"
    assert client.get("/api/annotations?target=/actors/iran").get_json()["total"] == 1
    assert client.post("/api/actors/tehran/restore", headers=tokens["ed"]).status_code == 400

    undone = client.post("/api/actors/tehran/unmerge", headers=tokens["ed"])
    assert undone.status_code == 200, undone.get_json()
    assert client.get("/api/actors/tehran").get_json()["label"] == "Tehran government"
    assert client.get("/api/relations/tehran-alliance-russia").get_json()["from"] == "tehran"
    assert "Tehran government" not in client.get("/api/actors/iran").get_json()["aliases"]
    assert client.get("/api/annotations?target=/actors/tehran").get_json()["total"] == 1
    actions = [r["action"] for r in client.get("/api/relations/tehran-alliance-russia/history").get_json()["revisions"]]
    assert actions == ["create", "merge", "revert"]


def test_undo_of_a_merge_refuses_when_a_moved_record_changed_since(client, tokens):
    client.post("/api/actors", json={"id": "tehran", "name": "Tehran government", "kind": "state"},
                headers=tokens["ed"])
    client.post("/api/relations", json={**NEW_RELATION, "source": "tehran", "target": "russia",
                                        "type": "alliance"}, headers=tokens["ed"])
    client.post("/api/actors/tehran/merge", json={"into": "iran"}, headers=tokens["ed"])
    client.patch("/api/relations/tehran-alliance-russia", json={"summary": "Edited after the merge", "version": 2},
                 headers=tokens["eve"])
    undone = client.post("/api/actors/tehran/unmerge", headers=tokens["ed"])
    assert undone.status_code == 409 and "relation:tehran-alliance-russia" in undone.get_json()["error"]["message"]
    assert client.get("/api/actors/tehran").status_code == 404


def test_the_recent_changes_page_lists_who_changed_what_with_links(client, tokens):
    assert "No changes yet" in client.get("/changes").get_data(as_text=True)
    client.patch(f"/api/relations/{RELATION}", json={"summary": "Edited", "version": 1}, headers=tokens["ed"])
    client.delete("/api/actors/jordan", headers={**tokens["ed"], "If-Match": '"1"'})  # no such actor: nothing
    page = client.get("/datasets/iraq-intel-2015/changes").get_data(as_text=True)
    assert "edited (v2)" in page and ">ed<" in page and f"select=relation:{RELATION}" in page
    assert "summary" in page
    assert client.get("/datasets/atlantis/changes").status_code == 404


@pytest.mark.parametrize(("path", "payload", "field"), [
    ("/api/actors", {"id": "x-long", "name": "N" * 201, "kind": "state"}, "name"),
    ("/api/actors", {"id": "x-alias", "name": "X", "kind": "state", "aliases": ["A" * 201]}, "aliases[0]"),
    ("/api/actors", {"id": "x-nul", "name": "Nul\x00byte", "kind": "state"}, "name"),
    ("/api/relations", {**NEW_RELATION, "summary": "a\x00b"}, "summary"),
    ("/api/relations", {**NEW_RELATION, "summary": "s" * 70_000}, "summary"),
    ("/api/events", {"id": "e-long", "title": "T" * 501, "date": "2015",
                     "evidence": NEW_RELATION["evidence"]}, "title"),
])
def test_text_too_long_or_with_nul_is_refused_on_every_database(client, tokens, path, payload, field):
    response = client.post(path, json=payload, headers=tokens["ed"])
    assert response.status_code == 400, response.get_json()
    assert response.get_json()["error"]["details"]["problems"][0]["field"] == field


# Who may do what to curated records (the notes' permission table, grown to records).
ACTIONS = {
    "create": lambda c, h: c.post("/api/actors", json={"id": "perm-test", "name": "P", "kind": "state"}, headers=h),
    "patch": lambda c, h: c.patch(f"/api/relations/{RELATION}", json={"summary": "x", "version": 1}, headers=h),
    "delete": lambda c, h: c.delete("/api/events/kerry-lavrov-unga-2015-09-27", headers={**h, "If-Match": '"1"'}),
    "add evidence": lambda c, h: c.post(f"/api/relations/{RELATION}/evidence", headers=h, json={
        "source": SOURCE, "quote": QUOTE, "voice": "report", "version": 1}),
    "merge": lambda c, h: c.post("/api/actors/lavrov/merge", json={"into": "warren"}, headers=h),
    "revert": lambda c, h: c.post(f"/api/relations/{RELATION}/revert", json={"to_version": 1}, headers=h),
}
EXPECTED = {
    None: dict.fromkeys(ACTIONS, 401),
    "vic": dict.fromkeys(ACTIONS, 403),
    "ed": {"create": 201, "patch": 200, "delete": 200, "add evidence": 201, "merge": 200, "revert": 403},
    "ada": {"create": 201, "patch": 200, "delete": 200, "add evidence": 201, "merge": 200, "revert": 400},
}


@pytest.mark.parametrize("who", list(EXPECTED))
@pytest.mark.parametrize("action", list(ACTIONS))
def test_the_permission_table_for_records(client, tokens, who, action):
    headers = tokens[who] if who else {}
    response = ACTIONS[action](client, headers)
    assert response.status_code == EXPECTED[who][action], response.get_json()


def test_a_source_imported_into_the_app_is_not_dropped_by_a_load_of_the_files(client, runner, tmp_path):
    article = tmp_path / "second-report.txt"
    article.write_text("Iraq and Iran met again.\n\nThe meeting was in Baghdad.\n", encoding="utf-8")
    added = runner.invoke(args=["import-source", str(article), "--dataset", "iraq-intel-2015",
                                "--title", "A second report", "--publisher", "Test Wire"])
    assert added.exit_code == 0, added.output
    refused = runner.invoke(args=["load", str(SEED_DIR)])
    assert refused.exit_code == 1
    assert "source 'second-report' (edited in the app by flask import-source): the files no longer list it" in \
        refused.output
    assert client.get("/api/sources/second-report").status_code == 200


@pytest.mark.parametrize("if_match", ['""', 'W/"1"', '"1", "2"', '"²"', '"99999999999"'])
def test_an_unusable_if_match_is_a_400(client, tokens, if_match):
    response = client.patch(f"/api/relations/{RELATION}", json={"summary": "x"},
                            headers={**tokens["ed"], "If-Match": if_match})
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "bad_if_match"


@pytest.mark.parametrize("body", ["[" * 100_000, '{"title": "x", "date": "2015", "actors": 1000000}'])
def test_odd_bodies_are_refused_not_crashed_on(client, tokens, body):
    response = client.post("/api/events", data=body, headers=tokens["ed"], content_type="application/json")
    assert response.status_code == 400
