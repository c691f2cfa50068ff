"""What the explorer's pages show: header facts, filter choices, panels with excerpts, reader links."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, func, or_, select, union_all
from sqlalchemy.orm import Session

from ..datasets.vocabulary import SIGN_NAMES
from ..models import Actor, ActorAlias, Bloc, Dataset, Event, Passage, Relation, Source
from . import annotations as notes_service
from . import actor_relations, corroboration, records
from .corroboration import contested_relations
from .filters import ViewFilter
from .graph import filtered_edges, relation_types
from ..datasets.names import actor_names
from .passages import excerpt


def names(session: Session) -> dict[str, str]:
    """Actor id → display name."""
    return dict(session.execute(select(Actor.id, Actor.name)).all())


def page_context(session: Session, view: ViewFilter) -> dict[str, Any]:
    """The header and the filter bar: datasets, source count, and every choice a filter offers."""
    datasets = session.execute(select(Dataset.id, Dataset.title).order_by(Dataset.id)).all()
    current = next((d for d in datasets if d.id == view.dataset), datasets[0] if len(datasets) == 1 else None)
    source_query = select(func.count()).select_from(Source)
    if view.dataset:
        source_query = source_query.where(Source.dataset_id == view.dataset)
    used_types = set(session.scalars(select(Relation.type).distinct()))
    types = [t for t in relation_types(session).values() if t["id"] in used_types]
    actors = actor_choices(session)
    many = len(actors) > INLINE_CHOICES
    return {
        "view": view,
        "datasets": datasets,
        "dataset_title": current.title if current else "All datasets",
        "source_count": session.scalar(source_query),
        "types": sorted(types, key=lambda t: (-t["sign"], t["label"])),
        "blocs": session.execute(select(Bloc.id, Bloc.name, Bloc.color).order_by(Bloc.dataset_id, Bloc.position)).all(),
        "sources": session.execute(select(Source.id, Source.title).order_by(Source.published_first)).all(),
        "actors": actors,
        # Many actors: the focus menu offers the most connected (and the one in focus), and the names
        # "Find an actor" suggests are fetched when that box is first used (5,000 are 0.5 MB of a page).
        "focus_choices": _most_connected(session, FOCUS_CHOICES, view.focus) if many else actors,
        "names_later": many,
        # Who is quoted or reported as saying something: the choices of the speaker filter.
        "speakers": [{"id": row.id, "name": row.name} for row in session.execute(
            select(Actor.id, Actor.name).where(Actor.id.in_(select(Passage.speaker_id).distinct()))
            .order_by(Actor.name))],
    }


INLINE_CHOICES = 300
FOCUS_CHOICES = 50


def actor_choices(session: Session) -> list[dict[str, Any]]:
    """Every actor by name, with its aliases: what "Find an actor" suggests."""
    aliases: dict[str, list[str]] = {}
    for actor_id, alias in session.execute(select(ActorAlias.actor_id, ActorAlias.name).order_by(ActorAlias.position)):
        aliases.setdefault(actor_id, []).append(alias)
    return [{"id": a.id, "name": a.name, "aliases": aliases.get(a.id, [])}
            for a in session.execute(select(Actor.id, Actor.name).order_by(Actor.name))]


def _most_connected(session: Session, count: int, focus: str | None) -> list[dict[str, Any]]:
    """The ``count`` actors with the most relations (and ``focus``, if it is not one of them), by name."""
    ends = union_all(select(Relation.source_id.label("actor")), select(Relation.target_id.label("actor"))).subquery()
    degree = func.count().label("degree")
    top = select(ends.c.actor).group_by(ends.c.actor).order_by(degree.desc(), ends.c.actor).limit(count)
    wanted = set(session.scalars(top)) | ({focus} if focus else set())
    return [{"id": a.id, "name": a.name} for a in session.execute(
        select(Actor.id, Actor.name).where(Actor.id.in_(wanted)).order_by(Actor.name))]


def find_actor(session: Session, query: str) -> str | None:
    """The actor whose id, name or alias is ``query`` (case-insensitive), if any."""
    lowered = query.strip().lower()
    hit = session.scalar(
        select(Actor.id).where(or_(func.lower(Actor.id) == lowered, func.lower(Actor.name) == lowered)))
    if hit:
        return hit
    return session.scalar(select(ActorAlias.actor_id).where(func.lower(ActorAlias.name) == lowered).limit(1))


def _with_excerpts(items: list[dict[str, Any]], texts: dict[str, str], mention_names: dict[str, str]) -> None:
    for passage in items:
        text = texts[passage["source"]]
        passage["segments"] = excerpt(text, passage["start"], passage["end"], mention_names)


def _source_texts(session: Session, ids: set[str]) -> dict[str, str]:
    return dict(session.execute(select(Source.id, Source.text).where(Source.id.in_(ids))).all()) if ids else {}


def panel(session: Session, kind: str, ident: str, view: ViewFilter,
          caller: notes_service.Caller = notes_service.ANONYMOUS, relations_page: int = 1) -> dict[str, Any]:
    """A detail panel's data: the record, its evidence with a sentence of context, mentions marked, and notes.
    An actor with many relations shows their counts and one page of them (``actor_relations``)."""
    if kind == "actor":
        record = actor_relations.actor_record(session, ident, view, relations_page)
        groups: dict[str, list[dict[str, Any]]] = {}
        for relation in record["relations"]:
            groups.setdefault(relation["type_label"], []).append(relation)
        # A page of many keeps its order, the strongest-evidenced first; a short list is grouped by type.
        record["groups"] = [("", record["relations"])] if record["overview"] else sorted(groups.items())
        passages = [p for r in record["relations"] for p in r["evidence"]]
        passages += [p for e in record["events"] for p in e["evidence"]]
        involved = {ident}  # in its own panel, only the actor's own mentions are marked
    elif kind == "relation":
        record = records.relation_detail(session, ident)
        # Opened by a link or a shared URL, a relation may lie outside the chosen date or filters.
        outside = session.scalar(select(Relation.id).where(Relation.id == ident, *view.relation_conditions())) is None
        record["outside_view"] = (
            (f"the date {view.at}" if view.at else "the chosen dates or filters") if outside else None)
        passages = record["evidence"]
        involved = {record["from"], record["to"]}
    else:
        record = records.event_detail(session, ident)
        passages = record["evidence"]
        involved = {a["id"] for a in record["actors"]}
    if kind == "relation":
        record["contest"] = contest(session, record, view)
        if record["contest"]:
            passages = passages + record["contest"]["cooperative"] + record["contest"]["adversarial"]
    add_excerpts(session, passages, involved)
    if kind == "actor":
        corroboration.annotate(session, [*record["relations"], *record["events"]])
        record["key_passages"] = key_passages(record["relations"])
    else:
        sides = [{"evidence": record["contest"][side]} for side in ("cooperative", "adversarial")] \
            if kind == "relation" and record["contest"] else []
        corroboration.annotate(session, [record, *sides])
    found, where = notes_service.on_records(session, caller, kind, ident, passages)
    # filter_args: the filter's own parameters, for links that must keep it (the next page of relations).
    result = {"kind": kind, "record": record, "notes": notes_service.view_models(session, caller, found, where),
              "caller": caller, "filter_args": dict(view.raw)}
    if kind == "actor" and caller.can_write:
        # The actors this one could be merged into: the others of its dataset, by name.
        result["others"] = [{"id": row.id, "label": row.name} for row in session.execute(
            select(Actor.id, Actor.name).where(Actor.dataset_id == record["dataset"], Actor.id != ident)
            .order_by(Actor.name))]
    return result


def contest(session: Session, relation: dict[str, Any], view: ViewFilter) -> dict[str, Any] | None:
    """For a relation's panel: when its pair is contested (under the filter), the passages of each sign
    side by side, each with the relation it backs; else None."""
    if relation["sign"] == 0:
        return None
    a, b = relation["from"], relation["to"]
    ids = session.scalars(select(Relation.id).where(
        or_(and_(Relation.source_id == a, Relation.target_id == b),
            and_(Relation.source_id == b, Relation.target_id == a)),
        Relation.sign != 0, *view.relation_conditions())).all()
    related = records.relations_by_id(session, set(ids) | {relation["id"]})
    taking_part = contested_relations(related.values())
    if relation["id"] not in taking_part:
        return None
    sides: dict[int, list[dict[str, Any]]] = {1: [], -1: []}
    for other in related.values():
        if other["id"] in taking_part:
            sides[other["sign"]].extend({**passage, "relation": other} for passage in other["evidence"])
    for passages in sides.values():
        passages.sort(key=lambda p: (p["source_published"] or "", p["source"], p["start"]))
    return {"cooperative": sides[1], "adversarial": sides[-1]}


KEY_PASSAGES = 6
# A reported fact weighs more than a quotation, and a quotation more than the author's opinion.
_VOICE_WEIGHT = {"report": 1.0, "quote": 0.8, "opinion": 0.6}


def key_passages(relations: list[dict[str, Any]], limit: int = KEY_PASSAGES) -> list[dict[str, Any]]:
    """The sentences that say the most about an actor, for the first look at it: greedily, the one whose
    passages back most of its relations not yet covered (weighted by voice), each with the relations it
    supports; shown in reading order. Passages are grouped by the excerpt they are shown in (given by
    ``add_excerpts``), so that a sentence is never shown twice."""
    supports: dict[tuple[str, str], tuple[dict[str, Any], list[dict[str, Any]]]] = {}
    for relation in relations:
        for passage in relation["evidence"]:
            shown = "".join(segment.text for segment in passage["segments"])
            backed = supports.setdefault((passage["source"], shown), (passage, []))[1]
            if relation not in backed:
                backed.append(relation)
    chosen: list[dict[str, Any]] = []
    covered: set[str] = set()
    candidates = sorted(supports.values(), key=lambda item: (item[0]["source"], item[0]["start"]))
    while candidates and len(chosen) < limit:
        passage, backed = max(candidates, key=lambda item: _VOICE_WEIGHT.get(item[0]["voice"], 0.5) * sum(
            r["id"] not in covered for r in item[1]))
        if all(r["id"] in covered for r in backed):
            break
        candidates.remove((passage, backed))
        covered.update(r["id"] for r in backed)
        chosen.append({"passage": passage, "supports": backed})
    return sorted(chosen, key=lambda item: (item["passage"]["source"], item["passage"]["start"]))


def add_excerpts(session: Session, passages: list[dict[str, Any]], involved: set[str]) -> None:
    """Give each passage its sentence of context, with mentions of the ``involved`` actors marked."""
    mention_names = {name: actor for name, actor in actor_names(session).items() if actor in involved}
    _with_excerpts(passages, _source_texts(session, {p["source"] for p in passages}), mention_names)


def relation_rows(session: Session, view: ViewFilter) -> list[dict[str, Any]]:
    """Relations for the accessible table: the filtered edges with actor names."""
    actor_name = names(session)
    rows = filtered_edges(session, view)
    for row in rows:
        row["from_name"], row["to_name"] = actor_name[row["from"]], actor_name[row["to"]]
    return rows


def passage_supports(session: Session, passages: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """For the reader: what each passage supports, with labels and the sign that colours it."""
    relation_ids = {r for p in passages for r in p["relations"]}
    event_ids = {e for p in passages for e in p["events"]}
    actor_name = names(session)
    types = relation_types(session)
    relations = {
        row.id: {"id": row.id,
                 "label": f"{actor_name[row.source_id]} — {types.get(row.type, {'label': row.type})['label']} — "
                          f"{actor_name[row.target_id]}",
                 "sign": row.sign}
        for row in session.execute(
            select(Relation.id, Relation.source_id, Relation.target_id, Relation.type, Relation.sign)
            .where(Relation.id.in_(relation_ids))
        )
    } if relation_ids else {}
    events = {
        row.id: {"id": row.id, "label": f"{row.date}: {row.title}"}
        for row in session.execute(select(Event.id, Event.date, Event.title).where(Event.id.in_(event_ids)))
    } if event_ids else {}
    result = {}
    for passage in passages:
        supported = [relations[r] for r in passage["relations"] if r in relations]
        signs = {r["sign"] for r in supported}
        tone = "event" if not supported else "mixed" if len(signs) > 1 else SIGN_NAMES[signs.pop()]
        result[passage["id"]] = {
            "passage": passage, "relations": supported,
            "events": [events[e] for e in passage["events"] if e in events], "tone": tone,
        }
    return result
