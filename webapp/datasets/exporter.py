"""Writing a loaded dataset back out in the SPEC §3 format (load → export → load is lossless)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ..text import match as textmatch
from ..models import (
    Actor, Bloc, Dataset, Event, EventEvidence, Passage, Relation, RelationEvidence, RelationType, Source,
)
from . import yamlio
from .reader import derived_relation_id
from .vocabulary import BUILTIN_RELATION_TYPES


class UnknownDataset(LookupError):
    pass


def _drop_empty(data: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if value not in (None, "", [])}


TextOf = Callable[[str], str]


def evidence_record(passage: Passage, text_of: TextOf) -> dict[str, Any]:
    """An evidence item in the file format; ``text_of`` gives a source's text (to number repeated quotes)."""
    occurrence, count = textmatch.occurrence_of(text_of(passage.source_id), passage.start, passage.end)
    return _drop_empty({
        "source": passage.source_id,
        "quote": passage.exact,
        "occurrence": occurrence if count > 1 else None,
        "voice": passage.voice,
        "speaker": passage.speaker_id,
    })


def source_record(source: Source) -> dict[str, Any]:
    """A source's front matter, with its text under ``text``."""
    return {**_drop_empty({
        "id": source.id, "title": source.title, "publisher": source.publisher, "author": source.author,
        "url": source.url, "published": source.published, "inferred": source.published_inferred,
        "language": source.language,
    }), "text": source.text}


def bloc_record(bloc: Bloc) -> dict[str, Any]:
    return _drop_empty({"id": bloc.id, "name": bloc.name, "color": bloc.color, "description": bloc.description})


def actor_record(actor: Actor) -> dict[str, Any]:
    return _drop_empty({
        "id": actor.id, "name": actor.name, "kind": actor.kind, "bloc": actor.bloc_id, "aliases": actor.alias_names,
        "description": actor.description, "country": actor.country, "affiliation": actor.affiliation_id,
    })


def type_defaults(session: Session, dataset_id: str) -> dict[str, tuple[int, bool]]:
    """Each relation type's default sign and direction, built in and the dataset's own."""
    defaults = {k.id: (k.sign, k.directed) for k in BUILTIN_RELATION_TYPES.values()}
    defaults.update({t.id: (t.sign, t.directed) for t in session.scalars(
        select(RelationType).where(RelationType.dataset_id == dataset_id))})
    return defaults


def relation_record(relation: Relation, text_of: TextOf, defaults: dict[str, tuple[int, bool]]) -> dict[str, Any]:
    """A relation in the file format: what ``export`` writes and what an edit in the app is checked as."""
    r = relation
    sign, directed = defaults.get(r.type, (r.sign, r.directed))
    return _drop_empty({
        "id": r.id if r.id != derived_relation_id(r.source_id, r.type, r.target_id) else None,
        "source": r.source_id, "target": r.target_id, "type": r.type,
        "sign": r.sign if r.sign != sign else None,
        "directed": r.directed if r.directed != directed else None,
        "start": r.start, "end": r.end, "start_inferred": r.start_inferred, "end_inferred": r.end_inferred,
        "confidence": r.confidence,
        "summary": r.summary, "evidence": [evidence_record(e.passage, text_of) for e in r.evidence],
    })


def event_record(event: Event, text_of: TextOf) -> dict[str, Any]:
    e = event
    return _drop_empty({
        "id": e.id, "date": e.date, "end": e.end, "start_inferred": e.start_inferred, "end_inferred": e.end_inferred,
        "title": e.title,
        "actors": [a.actor_id for a in e.actors], "summary": e.summary,
        "evidence": [evidence_record(x.passage, text_of) for x in e.evidence],
    })


def dataset_files(session: Session, dataset_id: str) -> dict[str, str]:
    """The dataset as {relative path: file text}."""
    dataset = session.get(Dataset, dataset_id)
    if dataset is None:
        raise UnknownDataset(dataset_id)
    files: dict[str, str] = {}

    header: dict[str, Any] = {
        "id": dataset.id,
        "title": dataset.title,
        "description": dataset.description,
        "blocs": [bloc_record(b) for b in dataset.blocs],
    }
    if dataset.ignored_names:
        header["ignored_names"] = [n for n in dataset.ignored_names.splitlines() if n]
    if dataset.relation_types:
        header["relation_types"] = [
            {"id": t.id, "label": t.label, "sign": t.sign, "directed": t.directed} for t in dataset.relation_types
        ]
    files["dataset.yaml"] = yamlio.dump(_drop_empty(header))

    sources = session.scalars(select(Source).where(Source.dataset_id == dataset_id).order_by(Source.filename)).all()
    texts = {source.id: source.text for source in sources}
    for source in sources:
        front = source_record(source)
        del front["text"]
        files[f"sources/{source.filename}"] = "---\n" + yamlio.dump(front) + "---\n" + source.text

    actors = session.scalars(
        select(Actor).where(Actor.dataset_id == dataset_id).order_by(Actor.position)
        .options(selectinload(Actor.aliases))
    ).all()
    files["actors.yaml"] = yamlio.dump([actor_record(a) for a in actors])

    defaults = type_defaults(session, dataset_id)
    relations = session.scalars(
        select(Relation).where(Relation.dataset_id == dataset_id).order_by(Relation.position, Relation.id)
        .options(selectinload(Relation.evidence).selectinload(RelationEvidence.passage))
    ).all()
    files["relations.yaml"] = yamlio.dump([relation_record(r, texts.__getitem__, defaults) for r in relations])

    events = session.scalars(
        select(Event).where(Event.dataset_id == dataset_id).order_by(Event.position, Event.id)
        .options(selectinload(Event.actors), selectinload(Event.evidence).selectinload(EventEvidence.passage))
    ).all()
    files["events.yaml"] = yamlio.dump([event_record(e, texts.__getitem__) for e in events])
    return files


def export_dataset(session: Session, dataset_id: str, directory: str | Path) -> list[Path]:
    """Write the dataset's files under ``directory`` (created if needed); return the paths written."""
    root = Path(directory)
    written = []
    for relative, text in dataset_files(session, dataset_id).items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        # newline="" keeps the source text's own line endings byte for byte.
        with path.open("w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        written.append(path)
    return written
