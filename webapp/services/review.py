"""The review queue (``/curate``): what is left to curate in a dataset, each item a place in the reader.

- sentences that name two or more of the dataset's actors but are no passage's sentence yet (not the
  headline, nor a republication's copy of its original's sentence: that would add no independent source);
- candidate actors: names in the sources that match no actor and were not ignored;
- relations backed by a single independent source;
- relations with neither start nor end;
- republications (a copy's passages count once with the original's).
Each list is capped at ``LIMIT`` items; the counts at the top are of everything.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..datasets.names import actor_names
from ..models import Actor, Dataset, Passage, RelationEvidence, Source
from ..text.mentions import mentions
from ..text.names import candidates
from ..text.overlap import REPUBLICATION_SHARE, fingerprint, share
from ..text.sentences import sentence_spans
from .filters import ViewFilter
from .graph import filtered_edges
from .records import NotFound

LIMIT = 100
SENTENCE_CHARS = 240


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SENTENCE_CHARS else text[:SENTENCE_CHARS - 1].rstrip() + "…"


def _is_headline(text: str, start: int, end: int) -> bool:
    """The text's first line, when it is no sentence (no closing full stop, question or quotation mark)."""
    return start == 0 and text[end:end + 1] in ("\n", "") and not text[start:end].rstrip().endswith(
        (".", "!", "?", "”", '"'))


def datasets(session: Session) -> list[dict[str, str]]:
    return [{"id": row.id, "title": row.title}
            for row in session.execute(select(Dataset.id, Dataset.title).order_by(Dataset.title))]


def queue(session: Session, dataset_id: str) -> dict[str, Any]:
    """Everything left to curate in one dataset, by kind, with counts."""
    dataset = session.get(Dataset, dataset_id)
    if dataset is None:
        raise NotFound("dataset", dataset_id)
    names = actor_names(session, dataset_id)
    actor_name = dict(session.execute(select(Actor.id, Actor.name).where(Actor.dataset_id == dataset_id)).all())
    ignored = {n for n in (dataset.ignored_names or "").splitlines() if n}
    sources = session.execute(
        select(Source.id, Source.title, Source.text, Source.publisher, Source.republished_from,
               Source.republished_share)
        .where(Source.dataset_id == dataset_id).order_by(Source.published_first, Source.id)).all()
    cited: dict[str, list[tuple[int, int]]] = {}
    for source_id, start, end in session.execute(
            select(Passage.source_id, Passage.start, Passage.end).join(Source).where(Source.dataset_id == dataset_id)):
        cited.setdefault(source_id, []).append((start, end))

    originals = {s.id: fingerprint(s.text) for s in sources if s.id in {c.republished_from for c in sources}}
    sentences: list[dict[str, Any]] = []
    pending: dict[str, dict[str, Any]] = {}
    for source in sources:
        spans = cited.get(source.id, [])
        copied = originals.get(source.republished_from) if source.republished_from else None
        for start, end in sentence_spans(source.text):
            cited_here = any(p_start < end and start < p_end for p_start, p_end in spans)
            if cited_here or _is_headline(source.text, start, end):
                continue
            if copied is not None and share(fingerprint(source.text[start:end]), copied) >= REPUBLICATION_SHARE:
                continue        # the original's sentence, again: it would add no independent source
            named = list(dict.fromkeys(actor for _, _, actor in mentions(source.text[start:end], names)))
            if len(named) >= 2:
                sentences.append({"source": source.id, "source_title": source.title, "start": start, "end": end,
                                  "text": _clip(source.text[start:end]),
                                  "actors": [actor_name.get(a, a) for a in named]})
        for found in candidates(source.text, names, ignored):
            entry = pending.setdefault(found.name.casefold(), {
                "name": found.name, "kind": found.kind, "count": 0, "sources": 0, "source": source.id,
                "source_title": source.title, "start": found.start, "end": found.end,
                "sentence": _clip(found.sentence)})
            entry["count"] += found.count
            entry["sources"] += 1

    edges = filtered_edges(session, ViewFilter(dataset=dataset_id))
    first_passage = _first_passages(session, [e["id"] for e in edges])
    titles = {s.id: s.title for s in sources}

    def relation_item(edge: dict[str, Any]) -> dict[str, Any]:
        passage = first_passage.get(edge["id"])
        return {"id": edge["id"], "from": actor_name.get(edge["from"], edge["from"]), "type": edge["type_label"],
                "to": actor_name.get(edge["to"], edge["to"]), "sign": edge["sign_label"],
                "passages": edge["evidence_count"], "passage": passage,
                "source_title": titles.get(passage["source"]) if passage else None}

    single = [relation_item(e) for e in edges if e["independent_sources"] <= 1]
    undated = [relation_item(e) for e in edges if not e["start"] and not e["end"]]
    copies = [{"id": s.id, "title": s.title, "publisher": s.publisher, "share": s.republished_share,
               "original": s.republished_from, "original_title": titles.get(s.republished_from, s.republished_from)}
              for s in sources if s.republished_from]
    candidates_list = sorted(pending.values(), key=lambda c: (-c["count"], c["name"]))
    sections = {
        "sentences": sentences, "candidates": candidates_list, "single_source": single, "undated": undated,
        "republications": copies,
    }
    return {
        "dataset": {"id": dataset.id, "title": dataset.title},
        "counts": {key: len(items) for key, items in sections.items()},
        "relations": len(edges),
        "sources": len(sources),
        **{key: items[:LIMIT] for key, items in sections.items()},
        "limit": LIMIT,
    }


def _first_passages(session: Session, relation_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Each relation's first evidence passage (where the reader link goes)."""
    found: dict[str, dict[str, Any]] = {}
    if not relation_ids:
        return found
    rows = session.execute(
        select(RelationEvidence.relation_id, Passage.id, Passage.source_id, Passage.start, Passage.end)
        .join(Passage, Passage.id == RelationEvidence.passage_id)
        .where(RelationEvidence.relation_id.in_(relation_ids))
        .order_by(RelationEvidence.relation_id, RelationEvidence.position))
    for relation_id, passage_id, source_id, start, end in rows:
        found.setdefault(relation_id, {"id": passage_id, "source": source_id, "start": start, "end": end})
    return found
