"""From a passage to a claim: what a selected span of an article suggests for a new relation or event.

The curator selects words in the reader; this works out, for the form to prefill and the curator to
confirm: the actors the passage and its sentence name (in order), the dates its words give
(resolved against the publication date), its voice and speaker, and the existing relations and
events it could be evidence for (those between the actors it names first). Nothing is written here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ..dates import DateError, PartialDate
from ..datasets.names import actor_names
from ..models import Actor, Event, EventActor, Relation, Source
from ..text.attribution import Attribution, attribute
from ..text.match import find_all, occurrence_of
from ..text.mentions import mentions
from ..text.sentences import sentence_bounds
from ..text.when import DateGuess, resolve
from .access import Invalid
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
        reasons = []
        for guess in self.dates:
            key = "end" if guess.bound == "end" else "start"
            if key not in values:
                values[key] = guess.value
                reasons.append(guess.reason)
        if reasons:
            values["inferred"] = "; ".join(reasons)
        return values

    def event_values(self) -> dict[str, Any]:
        values: dict[str, Any] = {"actors": self.actors}
        dated = [g for g in self.dates if g.bound != "end"]
        if dated:
            values["date"] = dated[0].value
            values["inferred"] = dated[0].reason
        return values


def suggest(session: Session, source_id: str, start: int, end: int) -> Suggestion:
    """What the passage text[start:end] of a source suggests (the span trimmed to its words)."""
    row = session.execute(select(Source.text, Source.dataset_id, Source.published)
                          .where(Source.id == source_id)).first()
    if row is None:
        raise NotFound("source", source_id)
    text = row.text
    if not (0 <= start < end <= len(text)):
        raise Invalid(f"offsets {start}-{end} are outside the source's text (0-{len(text)})", "start")
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start == end:
        raise Invalid("the selection is only white space", "start")
    quote = text[start:end]
    if (start, end) not in find_all(text, quote):
        raise Invalid("this selection cannot be found again by its words; select whole words", "start")
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
    for relation in session.scalars(relations):
        both = {relation.source_id, relation.target_id}
        score = len(both & named)
        ends = [names.get(relation.source_id, relation.source_id), names.get(relation.target_id, relation.target_id)]
        found.append({"kind": "relation", "id": relation.id, "version": relation.version, "score": score,
                      "label": f"{ends[0]} — {relation.type.replace('_', ' ')} — {ends[1]}",
                      "summary": relation.summary})
    event_actors: dict[str, set[str]] = {}
    for event_id, actor_id in session.execute(select(EventActor.event_id, EventActor.actor_id)):
        event_actors.setdefault(event_id, set()).add(actor_id)
    for event in session.scalars(events):
        score = len(event_actors.get(event.id, set()) & named)
        found.append({"kind": "event", "id": event.id, "version": event.version, "score": score,
                      "label": f"{event.date} · {event.title}", "summary": event.summary})
    found.sort(key=lambda c: (-c["score"], c["kind"], c["label"]))
    return found[:limit]
