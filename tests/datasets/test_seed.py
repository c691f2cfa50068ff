"""The bundled dataset covers the article as SPEC §6 requires."""

from __future__ import annotations

import re

import pytest

from webapp.datasets.reader import read_dataset
from tests.conftest import SEED_DIR


@pytest.fixture(scope="module")
def seed():
    spec, problems = read_dataset(SEED_DIR)
    assert not problems
    return spec


def test_required_actors_and_blocs(seed):
    actors = {a.id for a in seed.actors}
    assert {"iraq", "iran", "russia", "syria", "isis", "united-states", "us-led-coalition", "syrian-opposition",
            "shiite-militias", "assad", "rouhani", "kerry", "lavrov", "warren"} <= actors
    assert 15 <= len(actors) <= 25
    assert {b.id for b in seed.blocs} == {"axis", "coalition", "jihadist", "opposition"}


def test_aliases_cover_the_names_the_article_uses(seed):
    aliases = {a.id: set(a.aliases) for a in seed.actors}
    assert {"ISIS", "ISIL", "IS", "Daesh", "Islamic State", "the IS group"} <= aliases["isis"]
    assert {"Assad", "Bashar al-Assad", "al-Assad"} <= aliases["assad"]
    assert {"U.S.", "Washington", "America"} <= aliases["united-states"]
    assert "Tehran" in aliases["iran"]


def test_required_relations_exist_with_evidence(seed):
    pairs = {(r.source_id, r.type, r.target_id) for r in seed.relations}
    for partner in ("iran", "russia", "syria"):
        assert ("iraq", "intelligence_sharing", partner) in pairs
    for enemy in ("shiite-militias", "us-led-coalition", "russia", "iran", "iraq"):
        assert any(s == enemy and t == "isis" and r.sign < 0
                   for r in seed.relations for s, t in [(r.source_id, r.target_id)]), enemy
    assert any(r.source_id in ("syria", "assad") and r.target_id == "isis" and r.sign < 0 for r in seed.relations)
    for kind in ("political_support", "financial_support", "military_support"):
        relation = next(r for r in seed.relations if (r.source_id, r.type, r.target_id) == ("iran", kind, "assad"))
        assert str(relation.start) == "2011"
    assert any(r.source_id == "russia" and r.target_id == "assad" and r.sign > 0 for r in seed.relations)
    assert ("iran", "cooperation", "russia") in pairs
    assert ("united-states", "non_cooperation", "iran") in pairs
    assert ("united-states", "non_cooperation", "assad") in pairs
    assert ("us-led-coalition", "military_action", "isis") in pairs
    assert ("us-led-coalition", "training", "iraq") in pairs
    assert ("assad", "leads", "syria") in pairs and ("rouhani", "leads", "iran") in pairs
    assert all(r.evidence for r in seed.relations)


def test_required_events(seed):
    events = {e.id: e for e in seed.events}
    assert len(events) >= 8
    same_sunday = ["joc-statement-2015-09-27", "kerry-lavrov-unga-2015-09-27", "rouhani-cnn-interview-2015-09-27"]
    for event_id in same_sunday:
        assert str(events[event_id].date) == "2015-09-27"
    assert str(events["syrian-uprising-2011"].date) == "2011"
    assert str(events["russia-increases-support-2015"].date) == "2015-09"
    assert {"isis-caliphate", "coalition-air-campaign"} <= set(events)
    assert events["isis-caliphate"].start_inferred  # not in the article: marked as inferred


def test_every_evidence_quote_is_the_source_text_at_its_offsets(seed):
    texts = {s.id: s.text for s in seed.sources}
    for evidence in seed.evidence_items():
        assert texts[evidence.source_id][evidence.start:evidence.end] == evidence.exact


def test_voices_and_speakers(seed):
    items = seed.evidence_items()
    assert {e.voice for e in items} == {"report", "quote", "opinion"}
    speakers = {e.speaker_id for e in items if e.voice == "quote"}
    assert {"warren", "kerry", "rouhani", "joint-operations-command"} <= speakers


def test_every_paragraph_with_a_claim_is_used_as_evidence(seed):
    source = seed.sources[0]
    text = source.text
    cited = [(e.start, e.end) for e in seed.evidence_items()]
    not_claims = {"The PJ Tatler", "ABC News:"}
    position = 0
    unused = []
    for paragraph in re.split(r"\n\s*\n", text):
        start = text.index(paragraph, position)
        end = start + len(paragraph)
        position = end
        if paragraph.strip() in not_claims:
            continue
        if not any(s < end and e > start for s, e in cited):
            unused.append(paragraph[:60])
    assert unused == []
    assert source.published_inferred and str(source.published) == "2015-09-27"


def test_every_relation_is_dated_or_says_why_not(seed):
    undated = [r for r in seed.relations if r.start is None and r.end is None]
    assert [r.id for r in undated] == ["joint-operations-command-represents-iraq"]
    assert all("No date is given" in r.summary for r in undated)


def test_a_date_the_article_does_not_state_carries_its_reason(seed):
    """A bound without a reason must be the article's own: its year is written in the passages' source."""
    texts = {s.id: s.text for s in seed.sources}
    for record, bounds in [(r, (("start", r.start, r.start_inferred), ("end", r.end, r.end_inferred)))
                           for r in seed.relations] + [
                          (e, (("date", e.date, e.start_inferred), ("end", e.end, e.end_inferred)))
                           for e in seed.events]:
        for name, bound, reason in bounds:
            if bound is None or reason:
                continue
            said = any(str(bound.first.year) in texts[p.source_id] for p in record.evidence)
            assert said, f"{record.id}: its {name} {bound} is neither in the article nor explained"


def test_public_record_ends_are_kept_even_after_the_article(seed):
    relations = {r.id: r for r in seed.relations}
    kerry = relations["kerry-represents-united-states"]
    assert (str(kerry.start), str(kerry.end)) == ("2013-02-01", "2017-01-20")
    assert str(relations["rouhani-leads-iran"].start) == "2013-08"
    assert str(relations["united-states-training-syrian-opposition"].end) == "2015-10-09"
    assert all(relations[r].end_inferred for r in ("kerry-represents-united-states", "rouhani-leads-iran"))
    # The coalition's own relations begin with the coalition (September 2014), not with U.S. strikes (August).
    coalition = [r for r in seed.relations if "us-led-coalition" in (r.source_id, r.target_id)]
    assert coalition and all(r.start and r.start.first.isoformat() >= "2014-09-01" for r in coalition), \
        [(r.id, str(r.start)) for r in coalition]
