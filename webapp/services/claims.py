"""From a passage to a claim: what a selected span of an article suggests for a new relation or event.

The curator selects words in the reader; this works out, for the form to prefill and the curator to
confirm: the actors the passage and its sentence name (in order), the dates its words give
(resolved against the publication date), its voice and speaker, and the existing relations and
events it could be evidence for (those between the actors it names first). Nothing is written here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ..dates import DateError, PartialDate
from ..datasets.names import actor_names
from ..models import (
    Actor, ActorAlias, Dataset, Event, EventActor, EventEvidence, Passage, Relation, RelationEvidence, Source,
)
from ..text.attribution import Attribution, attribute
from ..text.match import occurrence_of, words_span
from ..text.mentions import mentions
from ..text.names import candidates
from ..text.sentences import sentence_bounds
from ..text.when import DateGuess, resolve
from .access import Caller, Invalid, require_writer
from .records import NotFound


@dataclass
class Suggestion:
    source_id: str
    dataset_id: str
    start: int
    end: int
    quote: str
    occurrence: int | None
    actors: list[str]
    dates: list[DateGuess]
    attribution: Attribution
    names: dict[str, str] = field(default_factory=dict)

    @property
    def evidence(self) -> dict[str, Any]:
        """The passage as an evidence item of the file format."""
        item: dict[str, Any] = {"source": self.source_id, "quote": self.quote, "voice": self.attribution.voice}
        if self.attribution.speaker:
            item["speaker"] = self.attribution.speaker
        if self.occurrence:
            item["occurrence"] = self.occurrence
        return item

    def relation_values(self) -> dict[str, Any]:
        """A new relation's fields as the passage suggests them (the form shows them for confirmation)."""
        parties = [a for a in self.actors if a != self.attribution.speaker] or self.actors
        values: dict[str, Any] = {}
        if parties:
            values["source"] = parties[0]
        if len(parties) > 1:
            values["target"] = parties[1]
        for guess in self.dates:
            key = "end" if guess.bound == "end" else "start"
            if key not in values:
                values[key] = guess.value
                values[f"{key}_inferred"] = guess.reason
        return values

    def event_values(self) -> dict[str, Any]:
        values: dict[str, Any] = {"actors": self.actors}
        dated = [g for g in self.dates if g.bound != "end"]
        if dated:
            values["date"] = dated[0].value
            values["start_inferred"] = dated[0].reason
        return values


def suggest(session: Session, source_id: str, start: int, end: int) -> Suggestion:
    """What the passage text[start:end] of a source suggests (the span trimmed to its words)."""
    row = session.execute(select(Source.text, Source.dataset_id, Source.published)
                          .where(Source.id == source_id)).first()
    if row is None:
        raise NotFound("source", source_id)
    text = row.text
    try:
        start, end = words_span(text, start, end)
    except ValueError as error:
        raise Invalid(str(error), "start") from None
    quote = text[start:end]
    occurrence, count = occurrence_of(text, start, end)
    names = actor_names(session, row.dataset_id)
    s_lo, s_hi = sentence_bounds(text, start, end)
    inside = [actor for m_start, m_end, actor in mentions(text[start:end], names)]
    around = [actor for m_start, m_end, actor in mentions(text[s_lo:s_hi], names)]
    actors: list[str] = []
    for actor in inside + around:
        if actor not in actors:
            actors.append(actor)
    try:
        published = PartialDate.parse(row.published) if row.published else None
    except DateError:
        published = None
    # Dates in the passage come first; those elsewhere in its sentence after.
    in_passage = resolve(quote, published)
    in_sentence = [g for g in resolve(text[s_lo:s_hi], published)
                   if not (start - s_lo <= g.start < end - s_lo)]
    return Suggestion(source_id, row.dataset_id, start, end, quote, occurrence if count > 1 else None, actors,
                      in_passage + in_sentence, attribute(text, start, end, names), names)


def attach_candidates(session: Session, suggestion: Suggestion, query: str = "", limit: int = 30
                      ) -> list[dict[str, Any]]:
    """Relations and events the passage could be evidence for: between the actors it names first, then the rest."""
    named = set(suggestion.actors)
    names = dict(session.execute(select(Actor.id, Actor.name).where(Actor.dataset_id == suggestion.dataset_id)).all())
    found: list[dict[str, Any]] = []
    relations = select(Relation).where(Relation.dataset_id == suggestion.dataset_id)
    events = select(Event).where(Event.dataset_id == suggestion.dataset_id)
    if query.strip():
        like = f"%{query.strip().lower()}%"
        hits = select(Actor.id).where(Actor.name.ilike(like))
        relations = relations.where(or_(Relation.type.ilike(like), Relation.summary.ilike(like),
                                        Relation.source_id.in_(hits), Relation.target_id.in_(hits)))
        events = events.where(or_(Event.title.ilike(like), Event.summary.ilike(like)))
    # Records that already cite this article are likely what its next sentence is about too.
    citing = set(session.scalars(select(RelationEvidence.relation_id).join(Passage)
                                 .where(Passage.source_id == suggestion.source_id)))
    citing |= set(session.scalars(select(EventEvidence.event_id).join(Passage)
                                  .where(Passage.source_id == suggestion.source_id)))
    for relation in session.scalars(relations):
        both = {relation.source_id, relation.target_id}
        score = len(both & named) + (0.5 if relation.id in citing else 0)
        ends = [names.get(relation.source_id, relation.source_id), names.get(relation.target_id, relation.target_id)]
        found.append({"kind": "relation", "id": relation.id, "version": relation.version, "score": score,
                      "label": f"{ends[0]} — {relation.type.replace('_', ' ')} — {ends[1]}",
                      "summary": relation.summary})
    event_actors: dict[str, set[str]] = {}
    for event_id, actor_id in session.execute(select(EventActor.event_id, EventActor.actor_id)):
        event_actors.setdefault(event_id, set()).add(actor_id)
    for event in session.scalars(events):
        score = len(event_actors.get(event.id, set()) & named) + (0.5 if event.id in citing else 0)
        found.append({"kind": "event", "id": event.id, "version": event.version, "score": score,
                      "label": f"{event.date} · {event.title}", "summary": event.summary})
    found.sort(key=lambda c: (-c["score"], c["kind"], c["label"]))
    return found[:limit]


# --- Candidate new actors ------------------------------------------------------------

def _comparable(name: str) -> str:
    """A name as the fuzzy matcher compares it: 'the U.S.' ~ 'US', 'al-Assad' ~ 'Assad'."""
    name = re.sub(r"\b(?:the|al|el)[- ]", " ", name.casefold().replace(".", ""))
    return " ".join(name.replace("-", " ").split())


def near_matches(name: str, actors: list[tuple[str, str, list[str]]], limit: int = 4) -> list[dict[str, Any]]:
    """The actors whose name or an alias looks most like ``name`` (rapidfuzz), best first."""
    wanted = _comparable(name)
    scored: list[tuple[float, str, str]] = []
    for actor_id, label, aliases in actors:
        best = max(fuzz.WRatio(wanted, _comparable(n)) for n in [label, *aliases])
        if best >= 60:
            scored.append((best, actor_id, label))
    scored.sort(key=lambda m: -m[0])
    return [{"id": actor_id, "label": label, "score": round(best)} for best, actor_id, label in scored[:limit]]


def candidate_actors(session: Session, source_id: str) -> list[dict[str, Any]]:
    """Names in a source that match no actor of its dataset and were not ignored, with near matches."""
    row = session.execute(select(Source.text, Source.dataset_id).where(Source.id == source_id)).first()
    if row is None:
        raise NotFound("source", source_id)
    dataset = session.get(Dataset, row.dataset_id)
    ignored = {n for n in ((dataset.ignored_names if dataset else "") or "").splitlines() if n}
    names = actor_names(session, row.dataset_id)
    aliases: dict[str, list[str]] = {}
    for actor_id, alias in session.execute(select(ActorAlias.actor_id, ActorAlias.name).join(Actor)
                                           .where(Actor.dataset_id == row.dataset_id)):
        aliases.setdefault(actor_id, []).append(alias)
    actors = [(a.id, a.name, aliases.get(a.id, [])) for a in session.execute(
        select(Actor.id, Actor.name).where(Actor.dataset_id == row.dataset_id).order_by(Actor.name))]
    return [{"name": c.name, "count": c.count, "sentence": c.sentence, "kind": c.kind, "hint": c.hint,
             "start": c.start, "end": c.end, "near": near_matches(c.name, actors)}
            for c in candidates(row.text, names, ignored)]


def ignore_name(session: Session, caller: Caller, dataset_id: str, name: str) -> None:
    """Leave a name out of a dataset's candidates from now on (kept in dataset.yaml's ignored_names)."""
    require_writer(caller, "curate datasets")
    name = name.strip()
    if not name or len(name) > 200 or "\x00" in name:
        raise Invalid("give the name to ignore (at most 200 characters)", "name")
    dataset = session.get(Dataset, dataset_id)
    if dataset is None:
        raise NotFound("dataset", dataset_id)
    names = [n for n in (dataset.ignored_names or "").splitlines() if n]
    if name not in names:
        dataset.ignored_names = "\n".join([*names, name])
