"""Validation reports every problem of every file, each as file:line: message."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from webapp.datasets.reader import read_dataset
from tests.conftest import RIVER_PACT, SEED_DIR


@pytest.fixture
def river(tmp_path: Path) -> Path:
    target = tmp_path / "river-pact"
    shutil.copytree(RIVER_PACT, target)
    return target


def _line_of(path: Path, needle: str, occurrence: int = 1) -> int:
    seen = 0
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            seen += 1
            if seen == occurrence:
                return number
    raise AssertionError(f"{needle!r} not in {path}")


def _replace(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def _messages(directory: Path) -> list[str]:
    _spec, problems = read_dataset(directory)
    return [str(p) for p in problems]


def test_bundled_and_fixture_datasets_are_valid():
    for directory in (SEED_DIR, RIVER_PACT):
        spec, problems = read_dataset(directory)
        assert problems == [], problems
        assert spec is not None and spec.relations and spec.events


def test_fixture_dataset_is_read_with_defaults_from_its_types():
    spec, _ = read_dataset(RIVER_PACT)
    relations = {r.id: r for r in spec.relations}
    pact = relations["upland-water-sharing-lowland"]  # derived id: no id in the file
    assert (pact.sign, pact.directed) == (1, False)  # from the custom type
    assert relations["upland-training-lowland"].directed is True  # built-in default
    assert str(relations["upland-hostility-lowland"].end) == "2003"
    quote = pact.evidence[1]
    source = spec.sources[0]
    assert source.text[quote.start:quote.end] == quote.exact \
        == "\u201cWe will share the river\u2019s water fairly,\u201d"


def test_six_planted_errors_in_three_files_are_all_reported(river: Path):
    actors, relations, events = river / "actors.yaml", river / "relations.yaml", river / "events.yaml"
    _replace(actors, "bloc: highland-front", "bloc: no-such-bloc")
    _replace(actors, "kind: person", "kind: wizard")
    _replace(relations, "target: upland", "target: atlantis")
    _replace(relations, "quote: vowed to resist the pact", "quote: vowed to embrace the pact")
    _replace(events, "date: 2019-03", "date: 2019-13")
    _replace(events, "  end: '2003'", "  end: '1999'")

    messages = _messages(river)
    expected = [
        (actors, _line_of(actors, "no-such-bloc"), "unknown bloc 'no-such-bloc'"),
        (actors, _line_of(actors, "wizard"), "'kind' must be one of"),
        (relations, _line_of(relations, "atlantis"), "unknown actor 'atlantis'"),
        (relations, _line_of(relations, "vowed to embrace"), "quote not found"),
        (events, _line_of(events, "2019-13"), "no month 13"),
        (events, _line_of(events, "'1999'"), "is before the start 2001"),
    ]
    assert len(messages) == 6, messages
    for path, line, text in expected:
        prefix = f"{path}:{line}: "
        assert any(m.startswith(prefix) and text in m for m in messages), (prefix, text, messages)


def test_ambiguous_quote_needs_occurrence_and_occurrence_must_exist(river: Path):
    relations = river / "relations.yaml"
    _replace(relations, "      occurrence: 1\n", "")
    messages = _messages(river)
    assert any("occurs 2 times" in m and "add 'occurrence: N'" in m for m in messages), messages

    _replace(relations, "quote: Upland and Lowland signed a water-sharing pact\n",
             "quote: Upland and Lowland signed a water-sharing pact\n      occurrence: 3\n")
    assert any("occurrence 3 asked, but the quote occurs only 2 time(s)" in m for m in _messages(river))


def test_duplicate_ids_missing_fields_and_unknown_fields(river: Path):
    actors = river / "actors.yaml"
    _replace(actors, "- id: dana-vale", "- id: lowland")
    _replace(actors, "  name: Upland\n", "  nmae: Upland\n")
    messages = _messages(river)
    assert any("duplicate actor id 'lowland' (first defined at line" in m for m in messages), messages
    assert any("unknown field 'nmae'" in m for m in messages), messages
    assert any("missing the required field 'name'" in m for m in messages), messages


def test_yaml_syntax_error_gives_its_line_and_other_files_are_still_checked(river: Path):
    events = river / "events.yaml"
    _replace(events, "  title: Border war", "  title: [Border war")
    _replace(river / "relations.yaml", "type: training", "type: teaching")
    messages = _messages(river)
    assert any(m.startswith(f"{events}:") and "YAML syntax error" in m for m in messages), messages
    assert any("unknown relation type 'teaching'" in m for m in messages), messages


def test_duplicate_yaml_keys_and_bad_colours_and_types(river: Path):
    dataset = river / "dataset.yaml"
    _replace(dataset, "color: '#8e44ad'", "color: purple")
    _replace(dataset, "    sign: 1\n", "    sign: 2\n")
    _replace(river / "actors.yaml", "  kind: state\n", "  kind: state\n  kind: state\n")
    messages = _messages(river)
    assert any("must be a hex colour" in m for m in messages), messages
    assert any("'sign' must be 1 (cooperative), -1 (adversarial) or 0 (structural)" in m for m in messages)
    assert any("duplicate key 'kind'" in m for m in messages), messages


def test_source_without_front_matter_and_unknown_source_and_speaker(river: Path):
    source = river / "sources" / "lowland-courier-2019.md"
    _replace(river / "relations.yaml", "speaker: dana-vale", "speaker: nobody")
    _replace(river / "events.yaml", "source: lowland-courier-2019", "source: the-daily-nothing")
    messages = _messages(river)
    assert any("unknown actor 'nobody' as speaker" in m for m in messages), messages
    assert any("unknown source 'the-daily-nothing'" in m for m in messages), messages
    source.write_text("no front matter here\n", encoding="utf-8")
    assert any(m.startswith(f"{source}:1: missing YAML front matter") for m in _messages(river))


def test_missing_files_and_not_a_directory(tmp_path: Path):
    messages = _messages(tmp_path)
    assert any("dataset.yaml" in m and "missing file" in m for m in messages)
    assert any("actors.yaml" in m for m in messages)
    assert _messages(tmp_path / "nope") == [f"{tmp_path / 'nope'}:0: not a directory"]


def test_same_passage_with_two_voices_is_rejected(river: Path):
    events = river / "events.yaml"
    text = events.read_text(encoding="utf-8")
    events.write_text(text.replace(
        "      quote: Upland and Lowland once fought a border war (2001–2003).\n      voice: report",
        "      quote: Upland and Lowland once fought a border war (2001–2003).\n      voice: opinion",
    ), encoding="utf-8")
    assert any("must have one voice and speaker" in m for m in _messages(river))


def test_each_date_bound_has_its_own_reason_and_a_record_level_reason_means_both(river: Path):
    relations = river / "relations.yaml"
    _replace(relations, "  start: '2012'\n",
             "  start: '2012'\n  end: '2019'\n  inferred: Both from the council's archive.\n")
    _replace(relations, "  start: '2015'\n", "  start: '2015'\n  start_inferred: The programme's first class.\n")
    spec, problems = read_dataset(river)
    assert problems == [] and spec is not None
    by_id = {r.id: r for r in spec.relations}
    militia = by_id["highland-militia-hostility-lowland"]
    assert militia.start_inferred == militia.end_inferred == "Both from the council's archive."
    training = by_id["upland-training-lowland"]
    assert (training.start_inferred, training.end_inferred) == ("The programme's first class.", None)


def test_a_reason_for_a_missing_bound_or_two_kinds_of_reason_are_reported_where_they_are(river: Path):
    relations = river / "relations.yaml"
    _replace(relations, "  start: '2012'\n", "  start: '2012'\n  inferred: One.\n  start_inferred: Two.\n")
    _replace(relations, "  start: '2015'\n", "  start: '2015'\n  end_inferred: There is no end.\n")
    messages = _messages(river)
    both = _line_of(relations, "  inferred: One.")
    orphan = _line_of(relations, "  end_inferred: There is no end.")
    assert messages == [
        f"{relations}:{both}: give either 'inferred' (one reason for both dates) or "
        "'start_inferred' / 'end_inferred', not both",
        f"{relations}:{orphan}: 'end_inferred' explains a date, but 'end' is not given",
    ]


def test_a_yaml_error_at_the_end_of_relations_is_its_one_problem_though_entries_before_were_checked(river: Path):
    # The reader checks each relation as the parser finishes it; the file is still unreadable as a whole.
    relations = river / "relations.yaml"
    _replace(relations, "- source: upland\n", "- source: nobody\n")
    relations.write_text(relations.read_text(encoding="utf-8") + "- source: [upland\n", encoding="utf-8")
    _replace(river / "events.yaml", "  title: Border war", "  title: Border war\n  colour: red")
    spec, problems = read_dataset(river)
    in_relations = [str(p) for p in problems if p.file == str(relations)]
    assert len(in_relations) == 1 and "YAML syntax error" in in_relations[0], in_relations
    assert in_relations[0].startswith(f"{relations}:{_line_of(relations, '- source: [upland') + 1}:")
    assert any("unknown field 'colour'" in str(p) for p in problems), problems  # the other files still checked
    assert spec is not None and spec.relations == [] and not any(kind == "relation" for kind, _ in spec.locations)
