"""Writing a loaded dataset back out in the SPEC §3 format (load → export → load is lossless)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from .. import textmatch
from ..models import Actor, Dataset, Event, EventEvidence, Passage, Relation, RelationEvidence, Source
from . import yamlio
from .reader import derived_relation_id
from .vocabulary import BUILTIN_RELATION_TYPES


class UnknownDataset(LookupError):
    pass


def _drop_empty(data: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if value not in (None, "", [])}


def _evidence(passage: Passage, texts: dict[str, str]) -> dict[str, Any]:
    occurrence, count = textmatch.occurrence_of(texts[passage.source_id], passage.start, passage.end)
    return _drop_empty({
        "source": passage.source_id,
        "quote": passage.exact,
        "occurrence": occurrence if count > 1 else None,
        "voice": passage.voice,
        "speaker": passage.speaker_id,
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
        "blocs": [
            _drop_empty({"id": b.id, "name": b.name, "color": b.color, "description": b.description})
            for b in dataset.blocs
        ],
    }
    if dataset.relation_types:
        header["relation_types"] = [
            {"id": t.id, "label": t.label, "sign": t.sign, "directed": t.directed} for t in dataset.relation_types
        ]
    files["dataset.yaml"] = yamlio.dump(_drop_empty(header))

    sources = session.scalars(select(Source).where(Source.dataset_id == dataset_id).order_by(Source.filename)).all()
    texts = {source.id: source.text for source in sources}
    for source in sources:
        front = _drop_empty({
            "id": source.id, "title": source.title, "publisher": source.publisher, "author": source.author,
            "url": source.url, "published": source.published, "inferred": source.published_inferred,
            "language": source.language,
        })
        files[f"sources/{source.filename}"] = "---\n" + yamlio.dump(front) + "---\n" + source.text

    actors = session.scalars(
        select(Actor).where(Actor.dataset_id == dataset_id).order_by(Actor.position).options(selectinload(Actor.aliases))
    ).all()
    files["actors.yaml"] = yamlio.dump([
        _drop_empty({
            "id": a.id, "name": a.name, "kind": a.kind, "bloc": a.bloc_id, "aliases": a.alias_names,
            "description": a.description, "country": a.country, "affiliation": a.affiliation_id,
        })
        for a in actors
    ])

    defaults = {k.id: (k.sign, k.directed) for k in BUILTIN_RELATION_TYPES.values()}
    defaults.update({t.id: (t.sign, t.directed) for t in dataset.relation_types})
    relations = session.scalars(
        select(Relation).where(Relation.dataset_id == dataset_id).order_by(Relation.position)
        .options(selectinload(Relation.evidence).selectinload(RelationEvidence.passage))
    ).all()
    relation_items = []
    for r in relations:
        sign, directed = defaults[r.type]
        relation_items.append(_drop_empty({
            "id": r.id if r.id != derived_relation_id(r.source_id, r.type, r.target_id) else None,
            "source": r.source_id, "target": r.target_id, "type": r.type,
            "sign": r.sign if r.sign != sign else None,
            "directed": r.directed if r.directed != directed else None,
            "start": r.start, "end": r.end, "inferred": r.date_inferred, "confidence": r.confidence,
            "summary": r.summary, "evidence": [_evidence(e.passage, texts) for e in r.evidence],
        }))
    files["relations.yaml"] = yamlio.dump(relation_items)

    events = session.scalars(
        select(Event).where(Event.dataset_id == dataset_id).order_by(Event.position)
        .options(selectinload(Event.actors), selectinload(Event.evidence).selectinload(EventEvidence.passage))
    ).all()
    files["events.yaml"] = yamlio.dump([
        _drop_empty({
            "id": e.id, "date": e.date, "end": e.end, "inferred": e.date_inferred, "title": e.title,
            "actors": [a.actor_id for a in e.actors], "summary": e.summary,
            "evidence": [_evidence(x.passage, texts) for x in e.evidence],
        })
        for e in events
    ])
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
