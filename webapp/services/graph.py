"""The filtered network: nodes and edges built with column selects, for the API, the page and exports."""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from ..dates import precision_of
from ..datasets.vocabulary import BUILTIN_RELATION_TYPES, SIGN_NAMES
from ..models import Actor, ActorAlias, Bloc, Dataset, Passage, Relation, RelationEvidence, RelationType, Source
from .corroboration import contested_relations
from .filters import ORIGINAL, ViewFilter


def relation_types(session: Session) -> dict[str, dict[str, Any]]:
    """Every relation type (built-in and declared by datasets) with label, sign and direction."""
    types = {
        kind.id: {"id": kind.id, "label": kind.label, "sign": kind.sign, "directed": kind.directed}
        for kind in BUILTIN_RELATION_TYPES.values()
    }
    for row in session.execute(select(RelationType.id, RelationType.label, RelationType.sign, RelationType.directed)):
        types[row.id] = {"id": row.id, "label": row.label, "sign": row.sign, "directed": row.directed}
    return types


def data_revision(session: Session) -> str:
    """A key that changes whenever any dataset's content changes."""
    rows = session.execute(select(Dataset.id, Dataset.revision).order_by(Dataset.id)).all()
    return ";".join(f"{row.id}:{row.revision}" for row in rows)


# Few distinct dates among many relations: each one's precision is worked out once (a pure function of the text).
_precision = functools.lru_cache(maxsize=1 << 14)(precision_of)


def filtered_edges(session: Session, view: ViewFilter) -> list[dict[str, Any]]:
    """The relations the filter keeps (focus included), as plain dicts, in curated order."""
    # The evidence that counts under the filter, its passages and its independent sources.
    evidence_count = (
        select(RelationEvidence.relation_id, func.count().label("n"), func.count(distinct(ORIGINAL)).label("k"))
        .join(Passage, Passage.id == RelationEvidence.passage_id)
        .join(Source, Source.id == Passage.source_id)
        .where(*view.passage_conditions())
        .group_by(RelationEvidence.relation_id)
        .subquery()
    )
    query = (
        select(
            Relation.id, Relation.source_id, Relation.target_id, Relation.type, Relation.sign,
            Relation.directed, Relation.start, Relation.end, Relation.confidence, Relation.summary,
            Relation.start_inferred, Relation.end_inferred, Relation.dataset_id,
            func.coalesce(evidence_count.c.n, 0).label("evidence_count"),
            func.coalesce(evidence_count.c.k, 0).label("independent_sources"),
        )
        .outerjoin(evidence_count, evidence_count.c.relation_id == Relation.id)
        .where(*view.relation_conditions())
        .order_by(Relation.dataset_id, Relation.position)
    )
    labels = {kind: entry["label"] for kind, entry in relation_types(session).items()}
    edges = [
        {
            "id": ident, "from": source, "to": target, "type": kind, "type_label": labels.get(kind, kind),
            "sign": sign, "sign_label": SIGN_NAMES[sign], "directed": directed,
            "start": start, "end": end, "start_precision": _precision(start), "end_precision": _precision(end),
            "start_inferred": start_inferred, "end_inferred": end_inferred, "confidence": confidence,
            "evidence_count": evidence, "independent_sources": independent,
            "contested": False, "summary": summary, "dataset": dataset,
        }
        for (ident, source, target, kind, sign, directed, start, end, confidence, summary, start_inferred,
             end_inferred, dataset, evidence, independent) in session.execute(query)
    ]
    ego = view.ego((e["from"], e["to"]) for e in edges)
    if ego is not None:
        edges = [e for e in edges if e["from"] in ego and e["to"] in ego]
    by_id = {e["id"]: e for e in edges}
    for edge_id in contested_relations(edges):
        by_id[edge_id]["contested"] = True
    return edges


def actor_rows(session: Session, view: ViewFilter, ids: set[str] | None = None) -> list[dict[str, Any]]:
    """Actors with their bloc and aliases: those named in ``ids``, or all the filter allows."""
    query = (
        select(
            Actor.id, Actor.name, Actor.kind, Actor.bloc_id, Actor.description, Actor.country,
            Actor.affiliation_id, Actor.dataset_id, Actor.version, Bloc.name.label("bloc_name"), Bloc.color,
        )
        .outerjoin(Bloc, Bloc.id == Actor.bloc_id)
        .order_by(Actor.dataset_id, Actor.position)
    )
    if ids is not None:
        query = query.where(Actor.id.in_(ids))
    else:
        query = query.where(*view.actor_conditions())
    rows = session.execute(query).all()
    aliases: dict[str, list[str]] = {}
    alias_query = select(ActorAlias.actor_id, ActorAlias.name).order_by(ActorAlias.actor_id, ActorAlias.position)
    if ids is not None:
        alias_query = alias_query.where(ActorAlias.actor_id.in_(ids))
    for actor_id, name in session.execute(alias_query):
        aliases.setdefault(actor_id, []).append(name)
    return [
        {
            "id": row.id, "label": row.name, "kind": row.kind, "bloc": row.bloc_id, "bloc_name": row.bloc_name,
            "color": row.color or "#7f8c8d", "description": row.description, "country": row.country,
            "affiliation": row.affiliation_id, "aliases": aliases.get(row.id, []), "dataset": row.dataset_id,
            "version": row.version,
        }
        for row in rows
    ]


def graph(session: Session, view: ViewFilter) -> dict[str, Any]:
    """Nodes and edges of the filtered network, with meta for legends (SPEC §5 ``/api/graph``)."""
    edges = filtered_edges(session, view)
    degree: dict[str, int] = {}
    evidence: dict[str, int] = {}
    for edge in edges:
        for end in (edge["from"], edge["to"]):
            degree[end] = degree.get(end, 0) + 1
            evidence[end] = evidence.get(end, 0) + edge["evidence_count"]
    if view.include_isolated:
        nodes = actor_rows(session, view)
        ego = view.ego((e["from"], e["to"]) for e in edges)
        if ego is not None:
            nodes = [n for n in nodes if n["id"] in ego]
    else:
        wanted = set(degree) | ({view.focus} if view.focus else set())
        nodes = actor_rows(session, view, wanted) if wanted else []
    for node in nodes:
        node["degree"] = degree.get(node["id"], 0)
        node["evidence_count"] = evidence.get(node["id"], 0)
    bloc_ids = {n["bloc"] for n in nodes if n["bloc"]}
    blocs = [
        {"id": row.id, "name": row.name, "color": row.color, "dataset": row.dataset_id}
        for row in session.execute(
            select(Bloc.id, Bloc.name, Bloc.color, Bloc.dataset_id).where(Bloc.id.in_(bloc_ids))
            .order_by(Bloc.dataset_id, Bloc.position)
        )
    ] if bloc_ids else []
    return {
        "nodes": nodes,
        "edges": edges,
        "meta": {
            "node_count": len(nodes),
            "edge_count": len(edges),
            # Relations with neither start nor end hold at every date: say so when a date is chosen.
            "undated_count": sum(1 for e in edges if not e["start"] and not e["end"]),
            "contested_count": sum(1 for e in edges if e["contested"]),
            "filter": view.query(),
            "blocs": blocs,
            "revision": data_revision(session),
        },
    }
