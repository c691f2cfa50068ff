"""The annotations API (SPEC §5): W3C JSON-LD, versions and conflicts, limits, soft delete, export/import,
and notes that outlive a dataset reload."""

from __future__ import annotations

import json
import re
import shutil

import pytest

from webapp.datasets.loader import load_directory
from webapp.services import accounts
from webapp.services import annotations as notes_service

from ..conftest import RIVER_PACT, SEED_DIR

SOURCE = "pjtatler-2015-09-27-iraq-intel"
QUOTE = "This is not yet coordinated."


def post(client, headers, payload, **kwargs):  # type: ignore[no-untyped-def]
    return client.post("/api/annotations", json=payload, headers=headers, **kwargs)


def note_id(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_json()["id"].rsplit("/", 1)[-1]


def test_create_returns_jsonld_with_location_and_etag(client, editor):
    response = post(client, editor, {
        "@context": "http://www.w3.org/ns/anno.jsonld", "type": "Annotation",
        "body": [{"type": "TextualBody", "value": "Iraq **hedges**.", "format": "text/markdown"},
                 {"type": "TextualBody", "value": "hedging", "purpose": "tagging"}],
        "target": "http://localhost/actors/iraq",
    })
    assert response.status_code == 201
    body = response.get_json()
    assert response.headers["Location"].endswith(f"/api/annotations/{note_id(response)}")
    assert response.headers["ETag"] == '"1"'
    assert response.mimetype == "application/ld+json"
    assert body["@context"] == "http://www.w3.org/ns/anno.jsonld" and body["type"] == "Annotation"
    assert body["body"][0] == {"type": "TextualBody", "value": "Iraq **hedges**.", "format": "text/markdown",
                               "purpose": "commenting"}
    assert body["target"] == "http://localhost/actors/iraq"
    assert body["creator"]["name"] == "ed" and body["version"] == 1 and body["tags"] == ["hedging"]
    assert body["created"].endswith("Z") and body["modified"] == body["created"]
    again = client.get(f"/api/annotations/{note_id(response)}")
    assert again.status_code == 200 and again.get_json()["anchor"]["status"] == "anchored"


def test_a_text_note_keeps_quote_and_position_fixed_by_the_server(client, editor):
    response = post(client, editor, {"text": "Kerry's doubt", "target": {
        "source": f"/sources/{SOURCE}", "selector": [{"type": "TextQuoteSelector", "exact": QUOTE}]}})
    assert response.status_code == 201
    quote, position = response.get_json()["target"]["selector"]
    text = client.get(f"/api/sources/{SOURCE}").get_json()["text"]
    assert text[position["start"]:position["end"]] == QUOTE == quote["exact"]
    assert text[:position["start"]].endswith(quote["prefix"]) and text[position["end"]:].startswith(quote["suffix"])


@pytest.mark.parametrize(("payload", "field", "fragment"), [
    ({"text": "x", "target": "/actors/atlantis"}, "target", "no actor 'atlantis'"),
    ({"text": "x", "target": "/planets/mars"}, "target", "must name an actor"),
    ({"text": "x"}, "target", "'target' is required"),
    ({"text": "  ", "target": "/actors/iraq"}, "body", "the note is empty"),
    ({"text": "x", "target": "/actors/iraq", "tags": ["a,b"]}, "tags", "contains a comma"),
    ({"text": "x", "target": "/actors/iraq", "visibility": "public"}, "visibility", "private, shared"),
    ({"text": "x", "target": "/actors/iraq", "tags": ["t"] * 0 + [f"t{i}" for i in range(21)]}, "tags",
     "at most 20 tags"),
    ({"text": "x", "target": "/actors/iraq", "tags": ["x" * 51]}, "tags", "longer than 50"),
    ({"text": "x" * (64 * 1024 + 1), "target": "/actors/iraq"}, "body", "at most 65,536"),
    ({"text": "x", "target": {"source": SOURCE, "selector": [{"type": "TextQuoteSelector", "exact": "never said"}]}},
     "target.selector", "is not in source"),
    ({"text": "x", "target": {"source": SOURCE, "selector": [{"type": "CssSelector"}]}},
     "target.selector[0].type", "TextQuoteSelector"),
])
def test_bad_notes_are_400_naming_the_field_and_write_nothing(client, editor, payload, field, fragment):
    response = post(client, editor, payload)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["details"]["field"] == field and fragment in error["message"]
    assert client.get("/api/annotations").get_json()["total"] == 0


def test_malformed_json_wrong_type_and_oversized_requests(client, editor):
    bad = client.post("/api/annotations", data="{not json", headers={**editor, "Content-Type": "application/json"})
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "malformed_json"
    form = client.post("/api/annotations", data={"text": "x"}, headers=editor)
    assert form.status_code == 415
    huge = client.post("/api/annotations", data="x" * (1024 * 1024 + 10),
                       headers={**editor, "Content-Type": "application/json"})
    assert huge.status_code == 413 and huge.is_json
    assert client.get("/api/annotations").get_json()["total"] == 0


def test_a_stale_edit_gets_409_with_the_current_note_and_overwrites_nothing(client, editor):
    created = post(client, editor, {"text": "first", "target": "/actors/iran"})
    url = f"/api/annotations/{note_id(created)}"
    ok = client.put(url, json={"text": "second"}, headers={**editor, "If-Match": '"1"'})
    assert ok.status_code == 200 and ok.headers["ETag"] == '"2"' and ok.get_json()["version"] == 2
    stale = client.put(url, json={"text": "my stale edit"}, headers={**editor, "If-Match": '"1"'})
    assert stale.status_code == 409
    current = stale.get_json()["error"]["details"]["current"]
    assert current["version"] == 2 and current["body"][0]["value"] == "second"
    assert client.get(url).get_json()["body"][0]["value"] == "second"
    # The version may also travel in the body; without either, the write is refused.
    assert client.put(url, json={"text": "third", "version": 2}, headers=editor).status_code == 200
    missing = client.put(url, json={"text": "blind"}, headers=editor)
    assert missing.status_code == 400 and missing.get_json()["error"]["details"]["field"] == "version"
    revisions = client.get(f"{url}/history").get_json()["revisions"]
    assert [(r["version"], r["action"], r["snapshot"]["body"]) for r in revisions] == [
        (1, "create", "first"), (2, "update", "second"), (3, "update", "third")]


def test_a_replace_that_leaves_out_visibility_and_tags_keeps_them(client, editor):
    created = post(client, editor, {"text": "secret", "tags": ["x", "X", "y"], "visibility": "private",
                                    "target": "/actors/iran"})
    assert created.get_json()["tags"] == ["x", "y"]  # one tag per spelling, whatever its case
    url = f"/api/annotations/{note_id(created)}"
    edited = client.put(url, json={"text": "secret v2"}, headers={**editor, "If-Match": '"1"'}).get_json()
    assert edited["visibility"] == "private" and edited["tags"] == ["x", "y"]
    assert client.get(url).status_code == 404  # still private: anonymous readers do not see it
    shared = client.put(url, json={"text": "v3", "visibility": "shared", "tags": []},
                        headers={**editor, "If-Match": '"2"'}).get_json()
    assert shared["visibility"] == "shared" and shared["tags"] == []


def test_delete_is_soft_and_restorable(client, editor):
    url = f"/api/annotations/{note_id(post(client, editor, {'text': 'keep me', 'target': '/actors/iran'}))}"
    deleted = client.delete(url, headers=editor)
    assert deleted.status_code == 200 and "deleted" in deleted.get_json()
    assert client.get(url).status_code == 404
    assert client.get("/api/annotations?target=/actors/iran").get_json()["total"] == 0
    restored = client.post(f"{url}/restore", headers=editor)
    assert restored.status_code == 200
    assert client.get(url).get_json()["body"][0]["value"] == "keep me"
    actions = [r["action"] for r in client.get(f"{url}/history").get_json()["revisions"]]
    assert actions == ["create", "delete", "restore"]


def test_list_filters_by_target_tag_and_source(client, editor):
    post(client, editor, {"text": "a", "tags": ["doubt"], "target": "/actors/iraq"})
    post(client, editor, {"text": "b", "target": "/relations/united-states-non-cooperation-iran"})
    post(client, editor, {"text": "c", "tags": ["doubt"], "target": {"source": SOURCE, "selector": [
        {"type": "TextQuoteSelector", "exact": QUOTE}]}})
    def bodies(query: str) -> list[str]:  # noqa: E306
        page = client.get(f"/api/annotations{query}").get_json()["first"]
        return sorted(i["body"][0]["value"] for i in page["items"])
    assert bodies("") == ["a", "b", "c"]
    assert bodies("?target=actor:iraq") == ["a"]
    assert bodies("?target=/relations/united-states-non-cooperation-iran") == ["b"]
    assert bodies("?tag=doubt") == ["a", "c"]
    assert bodies(f"?source={SOURCE}") == ["c"]
    assert client.get("/api/annotations?target=nonsense").status_code == 400


def test_session_writes_need_the_csrf_token(client, make_user, auth):
    make_user("ed", "editor")
    auth.login("ed")
    refused = client.post("/api/annotations", json={"text": "x", "target": "/actors/iraq"})
    assert refused.status_code == 400 and refused.get_json()["error"]["code"] == "csrf_failed"
    ok = client.post("/api/annotations", json={"text": "x", "target": "/actors/iraq"}, headers=auth.headers())
    assert ok.status_code == 201


def test_without_cookie_or_token_a_write_is_401(client):
    response = client.post("/api/annotations", json={"text": "x", "target": "/actors/iraq"})
    assert response.status_code == 401


def _export(client) -> dict:  # type: ignore[no-untyped-def]
    response = client.get("/export/annotations.jsonld")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    return response.get_json()


def test_export_then_import_round_trips_losslessly(client, editor, app, make_user):
    first = post(client, editor, {"text": "one", "tags": ["a", "b"], "target": "/actors/iraq"})
    client.put(f"/api/annotations/{note_id(first)}", json={"text": "one, edited", "tags": ["a"]},
               headers={**editor, "If-Match": '"1"'})
    post(client, editor, {"text": "two", "target": {"source": SOURCE, "selector": [
        {"type": "TextQuoteSelector", "exact": QUOTE}]}})
    exported = _export(client)
    assert exported["type"] == "AnnotationCollection" and exported["total"] == 2
    assert [r["action"] for r in exported["first"]["items"][0]["revisions"]] == ["create", "update"]

    # Wipe the notes, import the file as an admin: the export is identical afterwards, but for
    # the import itself, the last revision of each note.
    connection = app.extensions["test_connection"]
    connection.exec_driver_sql("DELETE FROM annotations")
    assert _export(client)["total"] == 0
    make_user("root", "admin")
    with app.extensions["database"].transaction() as session:
        admin = {"Authorization": f"Bearer {accounts.issue_token(session, 'root').token}"}
    report = client.post("/api/annotations/import", json=exported, headers=admin)
    assert report.status_code == 200 and report.get_json() == {"created": 2, "unchanged": 0, "kept": []}
    again = _export(client)
    for before, after in zip(exported["first"]["items"], again["first"]["items"], strict=True):
        *kept, imported = after["revisions"]
        assert {**after, "revisions": kept} == before
        assert (imported["action"], imported["editor"], imported["version"]) == ("import", "root", before["version"])

    # Importing again changes nothing; an editor may not import at all.
    assert client.post("/api/annotations/import", json=exported, headers=admin).get_json()["unchanged"] == 2
    assert client.post("/api/annotations/import", json=exported, headers=editor).status_code == 403


def test_an_imported_note_keeps_its_creator_and_says_who_imported_it(client, editor, app, make_user):
    make_user("root", "admin")
    with app.extensions["database"].transaction() as session:
        admin = {"Authorization": f"Bearer {accounts.issue_token(session, 'root').token}"}
    forged = {"items": [{
        "id": "http://elsewhere.example/api/annotations/0f0f0f0f-0000-4000-8000-0000000000aa",
        "text": "Iraq will side with Iran.", "creator": {"name": "ed"},
        "created": "2015-10-01T12:00:00Z", "modified": "2015-10-01T12:00:00Z", "target": "/actors/iraq",
        "revisions": [{"version": 1, "action": "create", "editor": "ed", "at": "2015-10-01T12:00:00Z",
                       "snapshot": {"body": "Iraq will side with Iran."}}],
    }]}
    assert client.post("/api/annotations/import", json=forged, headers=admin).get_json()["created"] == 1

    path = "/api/annotations/0f0f0f0f-0000-4000-8000-0000000000aa"
    assert client.get(path).get_json()["creator"]["name"] == "ed"  # as the file says
    history = client.get(f"{path}/history").get_json()["revisions"]
    assert [(r["action"], r["editor"]) for r in history] == [("create", "ed"), ("import", "root")]
    page = client.get("/notes/0f0f0f0f-0000-4000-8000-0000000000aa/history", headers={"HX-Request": "true"})
    assert page.status_code == 200 and re.search(r"import</span> v1 by root", page.get_data(as_text=True))
    # The export (a backup) keeps who imported it.
    item = _export(client)["first"]["items"][0]
    assert [(r["action"], r["editor"]) for r in item["revisions"]] == [("create", "ed"), ("import", "root")]


def test_import_never_overwrites_a_note_that_differs(client, editor, app, make_user):
    created = post(client, editor, {"text": "original", "target": "/actors/iraq"})
    exported = _export(client)
    client.put(f"/api/annotations/{note_id(created)}", json={"text": "changed here"},
               headers={**editor, "If-Match": '"1"'})
    make_user("root", "admin")
    with app.extensions["database"].transaction() as session:
        admin = {"Authorization": f"Bearer {accounts.issue_token(session, 'root').token}"}
    report = client.post("/api/annotations/import", json=exported, headers=admin).get_json()
    assert report == {"created": 0, "unchanged": 0, "kept": [note_id(created)]}
    assert client.get(f"/api/annotations/{note_id(created)}").get_json()["body"][0]["value"] == "changed here"
    bad = client.post("/api/annotations/import", json={"items": [{"text": "no id", "target": "/actors/iraq"}]},
                      headers=admin)
    assert bad.status_code == 400 and "items[0]" in bad.get_json()["error"]["message"]


def test_cli_export_includes_annotations_and_import_reads_them(client, editor, runner, tmp_path, app, make_user):
    post(client, editor, {"text": "for the archive", "visibility": "private", "target": "/actors/iraq"})
    result = runner.invoke(args=["export", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "out" / "annotations.jsonld").read_text(encoding="utf-8"))
    assert data["total"] == 1 and data["first"]["items"][0]["visibility"] == "private"  # a backup keeps private notes

    app.extensions["test_connection"].exec_driver_sql("DELETE FROM annotations")
    result = runner.invoke(args=["import-annotations", str(tmp_path / "out" / "annotations.jsonld")])
    assert result.exit_code == 0 and "1 added (recorded as imported by cli:" in result.output
    imported_by = re.search(r"imported by (\S+)\)", result.output).group(1)
    with app.extensions["database"].session() as session:
        [note] = notes_service.export(session, "http://localhost")["first"]["items"]
    assert [(r["action"], r["editor"]) for r in note["revisions"]] == [("create", "ed"), ("import", imported_by)]

    # --by names the admin importing; it must be one.
    app.extensions["test_connection"].exec_driver_sql("DELETE FROM annotations")
    assert runner.invoke(args=["import-annotations", "--by", "ed", str(tmp_path / "out" / "annotations.jsonld")]
                         ).output.strip().endswith("ed is editor: only an admin imports notes")
    make_user("root", "admin")
    result = runner.invoke(args=["import-annotations", "--by", "ROOT", str(tmp_path / "out" / "annotations.jsonld")])
    assert result.exit_code == 0 and "imported by root)" in result.output
    broken = tmp_path / "broken.jsonld"
    broken.write_text('{"items": [{"id": "x"}]}')
    result = runner.invoke(args=["import-annotations", str(broken)])
    assert result.exit_code != 0 and "nothing was imported" in result.output


def test_a_reload_keeps_every_note_and_marks_the_orphans(client, editor, app, river_pact, tmp_path, runner):
    notes = {
        "actor": post(client, editor, {"text": "on upland", "target": "/actors/upland"}),
        "event": post(client, editor, {"text": "on the war", "target": "/events/border-war"}),
        "moved": post(client, editor, {"text": "on resistance", "target": {"source": "lowland-courier-2019",
                      "selector": [{"type": "TextQuoteSelector", "exact": "vowed to resist the pact"}]}}),
        "gone": post(client, editor, {"text": "on the old war", "target": {"source": "lowland-courier-2019",
                     "selector": [{"type": "TextQuoteSelector", "exact": "once fought a border war"}]}}),
    }
    assert all(r.status_code == 201 for r in notes.values())

    # A new version of the dataset: the border war is cut from the text, the events and relations,
    # and a line is added at the top, so every offset moves.
    changed = tmp_path / "river-pact"
    shutil.copytree(RIVER_PACT, changed)
    article = changed / "sources" / "lowland-courier-2019.md"
    text = article.read_text(encoding="utf-8")
    head, _, body = text.partition("---\n")[2].partition("---\n")
    body = body.replace("Upland and Lowland once fought a border war (2001–2003). ", "")
    article.write_text(f"---\n{head}---\nCorrected on 2 April.\n\n{body}", encoding="utf-8")
    events = (changed / "events.yaml").read_text(encoding="utf-8")
    (changed / "events.yaml").write_text(events[:events.index("- id: border-war")], encoding="utf-8")
    relations = (changed / "relations.yaml").read_text(encoding="utf-8")
    war = relations.index("- source: upland\n  target: lowland\n  type: hostility")
    relations = relations[:war] + relations[relations.index("- source: dana-vale"):]
    (changed / "relations.yaml").write_text(relations, encoding="utf-8")
    result = runner.invoke(args=["load", str(changed), "--allow-removals"])
    assert result.exit_code == 0, result.output
    assert "2 note(s) have lost their target and are kept as orphaned" in result.output
    # Reloading the untouched seed does not touch notes either.
    with app.extensions["database"].transaction() as session:
        load_directory(session, SEED_DIR)

    status = {}
    for name, created in notes.items():
        response = client.get(f"/api/annotations/{note_id(created)}")
        assert response.status_code == 200, name
        assert response.get_json()["body"][0]["value"] == created.get_json()["body"][0]["value"]
        status[name] = response.get_json()["anchor"]
    assert status["actor"]["status"] == "anchored"
    assert status["event"]["status"] == "orphaned"
    assert status["gone"]["status"] == "orphaned"
    assert status["moved"]["status"] == "moved"
    new_text = client.get("/api/sources/lowland-courier-2019").get_json()["text"]
    assert new_text[status["moved"]["start"]:status["moved"]["end"]] == "vowed to resist the pact"

    reader = client.get("/sources/lowland-courier-2019").get_data(as_text=True)
    assert "on the old war" in reader and "this quote is no longer in the source" in reader
    assert 'data-testid="noted"' in reader  # the moved note is still highlighted in the text

    # The notes page lists the orphans, including the one whose event has no page any more.
    orphans = client.get("/notes?orphaned=1").get_data(as_text=True)
    assert "on the war" in orphans and "Event “border-war” (no longer in the data)" in orphans
    assert "on the old war" in orphans and "on upland" not in orphans
