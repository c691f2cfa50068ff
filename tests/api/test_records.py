"""Actors, relations, events, sources and the timeline, as the API returns them on the seed data."""

from __future__ import annotations


def test_actor_with_relations_and_evidence_passages(client):
    data = client.get("/api/actors/iraq").json
    assert data["label"] == "Iraq" and data["bloc"] == "axis" and "Iraqi military" in data["aliases"]
    relations = {r["id"]: r for r in data["relations"]}
    assert len(relations) == 12
    sharing = relations["iraq-intelligence-sharing-russia"]
    assert sharing["to_name"] == "Russia" and sharing["type_label"] == "intelligence sharing"
    voices = {p["voice"] for p in sharing["evidence"]}
    assert "quote" in voices
    quote = next(p for p in sharing["evidence"] if p["voice"] == "quote")
    assert quote["speaker"] == "joint-operations-command"
    assert "help and cooperate in collecting information" in quote["text"]
    assert quote["source_title"].startswith("Iraq Signs Deal to Share Intel")
    assert {"joc-statement-2015-09-27", "isis-caliphate"} <= {e["id"] for e in data["events"]}


def test_actor_detail_honours_the_date_filter(client):
    in_2012 = client.get("/api/actors/iraq?at=2012-06-01").json["relations"]
    assert "iraq-intelligence-sharing-russia" not in {r["id"] for r in in_2012}


def test_actor_list_has_counts(client):
    actors = {a["id"]: a for a in client.get("/api/actors").json["actors"]}
    assert len(actors) == 17
    assert actors["iraq"]["relation_count"] == 12
    assert actors["isis"]["aliases"][:4] == ["Islamic State", "ISIS", "ISIL", "IS"]


def test_relation_detail(client):
    data = client.get("/api/relations/united-states-non-cooperation-iran").json
    assert (data["from"], data["to"], data["sign"], data["directed"]) == ("united-states", "iran", -1, True)
    assert any("not coordinating their efforts with Iran" in p["text"] for p in data["evidence"])


def test_events_in_date_order_with_precision(client):
    events = client.get("/api/events").json["events"]
    dates = [e["date"] for e in events]
    assert dates[0] == "2011" and events[0]["precision"] == "year"
    assert [e["id"] for e in events if e["date"] == "2015-09-27"] == [
        "joc-statement-2015-09-27", "kerry-lavrov-unga-2015-09-27", "kerry-statement-2015-09-27",
        "rouhani-cnn-interview-2015-09-27"]
    # 'at' keeps the events that had begun by then.
    assert {e["id"] for e in client.get("/api/events?at=2012").json["events"]} == {"syrian-uprising-2011"}
    interview = client.get("/api/events/rouhani-cnn-interview-2015-09-27").json
    assert {a["id"] for a in interview["actors"]} >= {"rouhani", "iran"}
    assert all(p["speaker"] == "rouhani" for p in interview["evidence"] if p["voice"] == "quote")


def test_timeline_mixes_events_and_relations_in_date_order(client):
    items = client.get("/api/timeline?blocs=axis").json["items"]
    kinds = {i["kind"] for i in items}
    assert kinds == {"event", "relation"}
    starts = [i.get("date") or i.get("start") for i in items if (i.get("date") or i.get("start"))]
    assert starts == sorted(starts, key=lambda d: (d + "-00-00")[:10])


def test_sources_and_one_source_with_its_passages(client):
    sources = client.get("/api/sources").json["sources"]
    assert [s["id"] for s in sources] == ["pjtatler-2015-09-27-iraq-intel"]
    assert sources[0]["published_inferred"] and "Sunday" in sources[0]["published_inferred"]
    data = client.get("/api/sources/pjtatler-2015-09-27-iraq-intel").json
    text = data["text"]
    assert data["passages"] and all(text[p["start"]:p["end"]] == p["text"] for p in data["passages"])
    supported = [p for p in data["passages"] if "iraq-intelligence-sharing-russia" in p["relations"]]
    assert supported


def test_unknown_ids_are_json_404s(client):
    for path in ("/api/actors/atlantis", "/api/relations/nope", "/api/events/nope", "/api/sources/nope",
                 "/api/no-such-endpoint"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.is_json and response.json["error"]["code"] == "not_found"
