"""Loading is all or nothing, idempotent, in place by id; export writes back what was loaded."""

from __future__ import annotations

import filecmp
import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from webapp.db import Base, is_data_table
from webapp.models import Actor, Dataset, Passage, RecordRevision, Relation, RelationEvidence
from tests.conftest import RIVER_PACT, SEED_DIR


def snapshot(session) -> dict[str, list[tuple]]:
    """Every row of every data table, to prove that nothing changed (derived tables aside: a load keeps
    in ``load_fingerprints`` what it read)."""
    tables = {}
    for table in Base.metadata.sorted_tables:
        if not is_data_table(table.name) or table.name in ("actor_positions", "network_layout"):
            continue        # the drawn layout is derived: a load computes it when it has none
        rows = session.execute(select(table)).all()
        tables[table.name] = sorted(tuple(str(v) for v in row) for row in rows)
    return tables


@pytest.fixture
def river(tmp_path: Path) -> Path:
    target = tmp_path / "river-pact"
    shutil.copytree(RIVER_PACT, target)
    return target


def test_validate_command_accepts_the_seed_dataset(runner):
    result = runner.invoke(args=["validate", str(SEED_DIR)])
    assert result.exit_code == 0, result.output
    assert "valid" in result.output and "17 actors" in result.output


def test_invalid_dataset_is_reported_and_load_changes_nothing(runner, session, river):
    (river / "actors.yaml").write_text(
        (river / "actors.yaml").read_text().replace("bloc: highland-front", "bloc: nowhere"))
    (river / "relations.yaml").write_text(
        (river / "relations.yaml").read_text().replace("target: upland", "target: atlantis"))
    (river / "events.yaml").write_text((river / "events.yaml").read_text().replace("date: 2019-03", "date: 2019-3"))
    before = snapshot(session)

    validate = runner.invoke(args=["validate", str(river)])
    assert validate.exit_code != 0
    assert f"{river / 'actors.yaml'}:" in validate.output and "unknown bloc 'nowhere'" in validate.output
    assert "3 problem(s)" in validate.output

    load = runner.invoke(args=["load", str(river)])
    assert load.exit_code != 0
    assert "nothing was loaded" in load.output
    session.expire_all()
    assert snapshot(session) == before


def test_failure_midway_rolls_back_the_whole_load(app, session, river, monkeypatch):
    from webapp.datasets import loader

    before = snapshot(session)

    def explode(*_args, **_kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(loader, "_sync_passages", explode)
    with pytest.raises(RuntimeError):
        with app.extensions["database"].transaction() as write:
            loader.load_directory(write, river)
    session.expire_all()
    assert snapshot(session) == before


def test_loading_twice_changes_nothing(runner, session):
    first = runner.invoke(args=["load", str(RIVER_PACT)])
    assert first.exit_code == 0 and "created" in first.output
    after_first = snapshot(session)
    second = runner.invoke(args=["load", str(RIVER_PACT)])
    assert second.exit_code == 0
    assert "nothing changed" in second.output
    session.expire_all()
    assert snapshot(session) == after_first


def test_reload_updates_in_place_keeps_ids_and_removes_what_is_gone(runner, session, river):
    assert runner.invoke(args=["load", str(river)]).exit_code == 0
    passage_ids = dict(session.execute(select(Passage.exact, Passage.id).join(RelationEvidence)).all())

    relations = river / "relations.yaml"
    text = relations.read_text()
    text = text.replace("summary: Upland trains Lowland's border guards.", "summary: Upland trains the guards.")
    # Drop the represents relation (the last one) entirely.
    text = text[: text.index("- source: dana-vale")]
    relations.write_text(text)
    refused = runner.invoke(args=["load", str(river)])
    assert refused.exit_code == 1
    assert "removal: relation 'dana-vale-represents-lowland' is no longer in the files" in refused.output
    assert "nothing was loaded" in refused.output
    session.expire_all()
    assert session.get(Relation, "dana-vale-represents-lowland") is not None
    assert session.get(Relation, "upland-training-lowland").summary == "Upland trains Lowland's border guards."

    result = runner.invoke(args=["load", str(river), "--allow-removals"])
    assert result.exit_code == 0, result.output
    assert "updated 1 relation" in result.output and "deleted 1 passage, 1 relation" in result.output

    session.expire_all()
    assert session.get(Relation, "upland-training-lowland").summary == "Upland trains the guards."
    assert session.get(Relation, "dana-vale-represents-lowland") is None
    assert session.get(Dataset, "river-pact").revision == 2
    kept = dict(session.execute(select(Passage.exact, Passage.id).join(RelationEvidence)).all())
    assert all(passage_ids[exact] == pid for exact, pid in kept.items())
    # Both replaced states stay as revisions: the removed relation can be restored from its history.
    history = session.scalars(select(RecordRevision).where(RecordRevision.record_id == "dana-vale-represents-lowland")
                              .order_by(RecordRevision.version)).all()
    assert [(r.version, r.action) for r in history] == [(1, "load"), (2, "delete")]
    assert json.loads(history[-1].snapshot)["source"] == "dana-vale"
    updated = session.get(Relation, "upland-training-lowland")
    assert updated.version == 2 and updated.origin == "file"


def test_second_dataset_loads_beside_the_seed_and_dataset_narrows(client, river_pact):
    everything = client.get("/api/graph").json
    river = client.get("/api/graph?dataset=river-pact").json
    seed = client.get("/api/graph?dataset=iraq-intel-2015").json
    assert {n["id"] for n in river["nodes"]} == {"upland", "lowland", "highland-militia", "dana-vale"}
    assert len(river["edges"]) == 6
    assert len(everything["edges"]) == len(river["edges"]) + len(seed["edges"])
    assert all(e["dataset"] == "river-pact" for e in river["edges"])


def test_ids_colliding_with_another_dataset_are_rejected(runner, session, river):
    actors = river / "actors.yaml"
    actors.write_text(actors.read_text().replace("id: upland", "id: iraq"))
    for name in ("relations.yaml", "events.yaml"):
        path = river / name
        path.write_text(path.read_text().replace("upland", "iraq"))
    before = snapshot(session)
    result = runner.invoke(args=["load", str(river)])
    assert result.exit_code != 0
    assert "actor id 'iraq' is already used by dataset 'iraq-intel-2015'" in result.output
    session.expire_all()
    assert snapshot(session) == before


def test_export_round_trip_is_lossless(runner, session, tmp_path):
    assert runner.invoke(args=["load", str(RIVER_PACT)]).exit_code == 0
    first, second = tmp_path / "first", tmp_path / "second"
    assert runner.invoke(args=["export", str(first)]).exit_code == 0
    before = snapshot(session)
    for dataset in ("iraq-intel-2015", "river-pact"):
        reload = runner.invoke(args=["load", str(first / dataset)])
        assert "nothing changed" in reload.output, reload.output
    session.expire_all()
    assert snapshot(session) == before
    assert runner.invoke(args=["export", str(second)]).exit_code == 0
    comparison = filecmp.dircmp(first, second)
    files = [p.relative_to(first) for p in first.rglob("*") if p.is_file()]
    assert len(files) == 11  # two datasets' files, and annotations.jsonld
    for relative in files:
        assert (first / relative).read_bytes() == (second / relative).read_bytes(), relative
    assert not comparison.left_only and not comparison.right_only


def test_exported_source_text_is_the_article_unchanged(runner, tmp_path):
    assert runner.invoke(args=["export", str(tmp_path), "--dataset", "iraq-intel-2015"]).exit_code == 0
    exported = (tmp_path / "iraq-intel-2015" / "sources" / "pjtatler-2015-09-27-iraq-intel.md").read_text()
    article = (SEED_DIR.parent.parent.parent / "shared" / "seeds" / "000_3908e0773ca9a53e.txt")
    original = (SEED_DIR / "sources" / "pjtatler-2015-09-27-iraq-intel.md").read_text()
    assert exported.split("---\n", 2)[2] == original.split("---\n", 2)[2]
    if article.exists():
        assert exported.split("---\n", 2)[2] == article.read_text()


def test_load_without_schema_or_unknown_export_dataset_gives_clear_errors(runner, tmp_path):
    result = runner.invoke(args=["export", str(tmp_path), "--dataset", "nope"])
    assert result.exit_code != 0 and "no dataset 'nope'" in result.output


def test_seed_counts(session):
    assert session.scalar(select(func.count()).select_from(Actor)) == 17
    assert session.scalar(select(func.count()).select_from(Relation)) >= 30


@pytest.mark.parametrize("cut", ["empty", "at an item boundary"])
def test_an_emptied_or_cut_relations_file_is_refused_and_changes_nothing(runner, session, river, cut):
    assert runner.invoke(args=["load", str(river)]).exit_code == 0
    before = snapshot(session)
    relations = river / "relations.yaml"
    text = relations.read_text(encoding="utf-8")
    relations.write_text("" if cut == "empty" else text[: text.index("- id: highland-militia-hostility-lowland")],
                         encoding="utf-8")
    refused = runner.invoke(args=["load", str(river)])
    assert refused.exit_code == 1 and "nothing was loaded" in refused.output
    if cut == "empty":
        assert "relations.yaml is empty: 6 relations would be removed" in refused.output
    else:
        assert "is empty" not in refused.output
        assert "removal: relation 'highland-militia-hostility-lowland' is no longer in the files" in refused.output
        assert "5 record(s) would be removed (--allow-removals removes them)" in refused.output
    session.expire_all()
    assert snapshot(session) == before


def test_rows_inserted_in_chunks_of_any_size_are_the_same(scratch_database, monkeypatch):
    # A large dataset's new rows go in INSERT_CHUNK at a time; the rows are the same however they are cut.
    from webapp import migrate
    from webapp.datasets import loader

    loaded = []
    for chunk in (loader.INSERT_CHUNK, 1, 2):
        monkeypatch.setattr(loader, "INSERT_CHUNK", chunk)
        database = scratch_database(f"chunks_{chunk}")
        migrate.upgrade(database)
        with database.transaction() as write:
            report = loader.load_directory(write, SEED_DIR)
        with database.session() as read:
            tables = snapshot(read)
        del tables["datasets"]  # its one row is not inserted in chunks, and says when it was loaded
        loaded.append((report.created, tables))
    assert loaded[0][0]["relation"] > 2 and loaded[0][0]["passage"] > 2
    assert loaded[1] == loaded[0] and loaded[2] == loaded[0]
