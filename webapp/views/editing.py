"""Editing curated records in the panels (htmx): edit forms in place, conflicts, history, delete and undo.

Each route answers htmx with the fragment that replaces the component, and a
plain form post (no JavaScript) with the panel page. Every rule is in
``services.curation``; a successful write answers with ``HX-Trigger:
records-changed`` so the explorer redraws its network and timeline.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, render_template, request
from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import get_database, get_session
from ..dates import DateError, PartialDate, describe
from ..datasets.vocabulary import BUILTIN_RELATION_TYPES
from ..models import ACTOR_KINDS, CONFIDENCES, VOICE_TITLES, VOICES, Actor, Bloc, Dataset, Source
from ..services import access, claims, curation, filters, review
from ..services import explorer as explorer_service
from ..services.access import Conflict, Invalid, ServiceError
from ..services.records import NotFound
from ..services.graph import actor_rows
from ..inputs import whole_number
from .common import caller, is_htmx
from .curation import PATHS

bp = Blueprint("editing", __name__)

# The fields each edit form offers, in the file format's names; list fields hold one item per line.
FIELDS: dict[str, tuple[str, ...]] = {
    "relation": ("source", "target", "type", "sign", "directed", "start", "start_inferred", "end", "end_inferred",
                 "confidence", "summary"),
    "actor": ("name", "kind", "bloc", "aliases", "description", "country", "affiliation"),
    "event": ("title", "date", "start_inferred", "end", "end_inferred", "actors", "summary"),
}
LIST_FIELDS = {"aliases", "actors"}
DATE_FIELDS = {"relation": ("start", "end"), "event": ("date", "end"), "actor": ()}
CHANGED = {"HX-Trigger": "records-changed"}


def changed(select: str) -> dict[str, str]:
    """The records changed and the explorer should now select ``select`` (``kind:id``, or "" for nothing)."""
    return {"HX-Trigger": json.dumps({"records-changed": {"select": select}})}
# A refused or conflicting save replaces only the form, not the panel the form targets.
FORM_ONLY = {"HX-Retarget": "#record-edit", "HX-Reswap": "outerHTML"}
Values = dict[str, Any]


def _panel(kind: str, ident: str, notice: dict[str, Any] | None = None, status: int = 200,
           headers: dict[str, str] | None = None) -> tuple[str, int, dict[str, str]]:
    # A fresh session: the request's own may hold a snapshot from before the write it just committed.
    with get_database().session() as session:
        panel = explorer_service.panel(session, kind, ident, filters.parse(session, request.args), caller())
        panel["notice"] = notice
        template = "_partials/panel.html" if is_htmx() else "panel_page.html"
        html = render_template(template, panel=panel, partial="_partials/panel.html", state={})
    return html, status, headers or {}


def _choices(session: Session, dataset_id: str) -> dict[str, Any]:
    """What the forms' lists offer: the dataset's actors, blocs, sources and relation types."""
    context = curation.context(session, dataset_id)
    actors = actor_rows(session, filters.parse(session, {}), context.actor_ids)
    types = sorted(context.types.values(), key=lambda t: (t.id not in BUILTIN_RELATION_TYPES, t.label))
    blocs = session.execute(select(Bloc.id, Bloc.name).where(Bloc.dataset_id == dataset_id)
                            .order_by(Bloc.position)).all()
    sources = session.execute(select(Source.id, Source.title).where(Source.dataset_id == dataset_id)
                              .order_by(Source.title)).all()
    return {"actors": sorted(actors, key=lambda a: a["label"].lower()), "types": types, "confidences": CONFIDENCES,
            "kinds": ACTOR_KINDS, "voices": VOICES, "voice_labels": VOICE_TITLES, "blocs": blocs,
            "sources": sources, "dataset_id": dataset_id}


def _kind(path: str) -> str:
    return PATHS[path]


def values_of(kind: str, record: dict[str, Any]) -> Values:
    """A record of the file format as form values (strings, lists for list fields)."""
    values: Values = {}
    for name in FIELDS[kind]:
        value = record.get(name)
        if name in LIST_FIELDS:
            values[name] = [str(v) for v in value or []]
        elif name == "directed":
            values[name] = "" if value is None else ("yes" if value else "no")
        else:
            values[name] = "" if value is None else str(value)
    return values


def _form_values(kind: str, prefix: str = "") -> Values:
    form = request.form
    values: Values = {}
    for name in FIELDS[kind]:
        if name == "aliases":
            values[name] = [line.strip() for line in form.get(prefix + name, "").splitlines() if line.strip()]
        elif name == "actors":
            values[name] = [a for a in form.getlist(prefix + name) if a]
        else:
            values[name] = form.get(prefix + name, "").strip()
    return values


def _base_values(kind: str) -> Values | None:
    """The values the form was opened with (to send only what the user changed), None on a new record."""
    if "base.present" not in request.form:
        return None
    return _form_values(kind, "base.")


def patch_from(values: Values) -> dict[str, Any]:
    """Form values as a merge patch of the file format: an empty field removes it."""
    patch: dict[str, Any] = {}
    for name, value in values.items():
        if name == "sign":
            patch[name] = int(value) if value in ("1", "-1", "0") else None
        elif name == "directed":
            patch[name] = {"yes": True, "no": False}.get(value)
        else:
            patch[name] = value or None
    return patch


def explain(value: str) -> str:
    """How the form reads a partial date, or what is wrong with it."""
    if not value.strip():
        return "not stated (open)"
    try:
        return f"{value.strip()} → {describe(PartialDate.parse(value.strip()))}"
    except DateError as error:
        return str(error)


def _form(kind: str, ident: str | None, values: Values, *, version: int | None, base: Values | None,
          dataset_id: str, errors: dict[str, str] | None = None, status: int = 200, message: str | None = None,
          template: str = "_partials/record_edit.html", **extra: Any) -> tuple[str, int, dict[str, str]]:
    if not is_htmx():  # a plain request (no JavaScript, or a bookmarked URL): the form on a page of its own
        template, extra["partial"] = "form_page.html", template
    with get_database().session() as session:
        html = render_template(
            template, kind=kind, ident=ident, values=values, version=version, base=base,
            errors=errors or {}, message=message,
            hints={name: explain(values.get(name, "")) for name in DATE_FIELDS[kind]},
            evidence=extra.pop("evidence", None) or {}, **_choices(session, dataset_id), **extra)
    return html, status, FORM_ONLY if status != 200 else {}


def _errors(invalid: ServiceError) -> dict[str, str]:
    if isinstance(invalid, curation.RecordInvalid):
        return {(p.key or "").split(".")[0].split("[")[0]: p.message for p in invalid.problems}
    return {invalid.field or "": invalid.message}


@bp.get("/dates/explain")
def date_explain():  # type: ignore[no-untyped-def]
    field = request.args.get("field", "start")
    return render_template("_partials/date_hint.html", field=field, hint=explain(request.args.get(field, "")))


@bp.get("/<any(relations, events, actors):path>/<ident>/edit")
def record_edit(path: str, ident: str):  # type: ignore[no-untyped-def]
    kind = _kind(path)
    access.require_writer(caller(), f"edit {kind}s")
    saved = curation.record(get_session(), kind, ident)
    assert saved.record is not None
    values = values_of(kind, saved.record)
    return _form(kind, ident, values, version=saved.version, base=values, dataset_id=saved.dataset_id)


def _version() -> int | None:
    return whole_number(request.form.get("version"))


def _changed_fields(values: Values, base: Values | None) -> Values:
    """What the user changed since the form was opened (everything for a form without its base).

    An event's actors are a set to the user (the form lists them alphabetically): unchanged if the
    same actors are chosen; else the old order is kept, with the new ones after it."""
    if base is None:
        return dict(values)
    mine: Values = {}
    for name, value in values.items():
        old = base.get(name)
        if name == "actors" and isinstance(value, list) and isinstance(old, list):
            if set(value) != set(old):
                mine[name] = [a for a in old if a in value] + [a for a in value if a not in old]
        elif old != value:
            mine[name] = value
    return mine


@bp.post("/<any(relations, events, actors):path>/<ident>/edit")
def record_save(path: str, ident: str):  # type: ignore[no-untyped-def]
    kind = _kind(path)
    values, base = _form_values(kind), _base_values(kind)
    # Only what the user changed is sent, so a field someone else changed meanwhile is not overwritten.
    mine = _changed_fields(values, base)
    if not mine:
        return _panel(kind, ident, {"text": "Nothing changed."})
    merged_with: str | None = None
    try:
        try:
            with get_database().transaction() as session:
                curation.patch(session, caller(), kind, ident, patch_from(mine), _version())
        except Conflict:
            # Someone saved first. If they changed none of the fields this user changed, both edits
            # fit together: apply these changes on top of theirs. Otherwise show the conflict.
            with get_database().session() as session:
                saved = curation.record(session, kind, ident)
                assert saved.record is not None
                theirs = values_of(kind, saved.record)
                history = curation.history(session, kind, ident)
            editor = history[-1]["editor"] if history else None
            overlap = [name for name in mine if base is None or theirs.get(name) != base.get(name)]
            if overlap:
                merged = {**theirs, **mine}
                rows = [(name, theirs[name], mine[name]) for name in overlap]
                return _form(kind, ident, merged, version=saved.version, base=theirs, dataset_id=saved.dataset_id,
                             status=409, template="_partials/record_conflict.html", rows=rows, mine=mine,
                             saved_by=editor, caller=caller())
            with get_database().transaction() as session:
                curation.patch(session, caller(), kind, ident, patch_from(mine), saved.version)
            merged_with = editor or "someone"
    except curation.NoChange:
        return _panel(kind, ident, {"text": "Nothing changed."})
    except Conflict:
        return _panel(kind, ident, {"text": "It changed again while saving: your edit was not saved. Edit again.",
                                    "error": True}, status=409)
    except ServiceError as error:
        dataset_id = get_session().scalar(select(curation.MODELS[kind].dataset_id)
                                          .where(curation.MODELS[kind].id == ident))
        if dataset_id is None:
            raise NotFound(kind, ident) from None
        return _form(kind, ident, values, version=_version(), base=base or values, dataset_id=dataset_id,
                     errors=_errors(error), status=403 if error.status in (401, 403) else 422, message=error.message)
    text = "Saved." if merged_with is None else f"Saved, together with {merged_with}'s changes made meanwhile."
    return _panel(kind, ident, {"text": text}, headers=CHANGED)


def _evidence_form() -> dict[str, Any]:
    item: dict[str, Any] = {key: request.form.get(f"evidence.{key}", "").strip()
                            for key in ("source", "quote", "voice", "speaker")}
    occurrence = whole_number(request.form.get("evidence.occurrence"))
    if occurrence is not None:
        item["occurrence"] = occurrence
    return item


def _new_dataset() -> str:
    """The dataset a new record goes into: the one named, that of the actor it starts from, or the only one."""
    dataset = request.values.get("dataset", "")
    with get_database().session() as session:
        if dataset and session.get(Dataset, dataset) is not None:
            return dataset
        actor = request.values.get("source") or request.values.get("actor")
        if actor and (found := session.scalar(select(Actor.dataset_id).where(Actor.id == actor))):
            return found
        ids = list(session.scalars(select(Dataset.id).order_by(Dataset.id).limit(2)))
    if len(ids) != 1:
        raise NotFound("dataset", dataset)
    return ids[0]


# Static paths (not a converter), so they win over the explorer's /relations/<relation_id> and the like.
@bp.get("/relations/new", defaults={"path": "relations"})
@bp.get("/actors/new", defaults={"path": "actors"})
@bp.get("/events/new", defaults={"path": "events"})
def record_new(path: str):  # type: ignore[no-untyped-def]
    kind = _kind(path)
    given: dict[str, Any] = {k: request.args.get(k) for k in FIELDS[kind] if request.args.get(k)}
    evidence: dict[str, Any] = {"voice": "report"}
    suggestion = _suggestion()
    # A passage's dataset is its source's (with several datasets, the only way to know it).
    dataset_id = suggestion.dataset_id if suggestion is not None else _new_dataset()
    if suggestion is not None:
        # From a passage selected in the reader: its actors, dates, voice and speaker, for the user to confirm.
        given = {**(suggestion.relation_values() if kind == "relation" else
                    suggestion.event_values() if kind == "event" else {}), **given}
        evidence = suggestion.evidence
    values = values_of(kind, given)
    if kind == "event" and request.args.get("actor"):
        values["actors"] = [request.args["actor"]]
    if kind == "relation":
        values["confidence"] = values.get("confidence") or "medium"
    return _form(kind, None, values, version=None, base=None, dataset_id=dataset_id,
                 template="_partials/record_new.html", evidence=evidence, suggestion=suggestion)


def _offset(name: str) -> int:
    value = whole_number(request.values.get(name))
    if value is None:
        raise Invalid(f"'{name}' must be a character offset (a whole number), not {request.values.get(name)!r}",
                      name)
    return value


def _suggestion() -> claims.Suggestion | None:
    """What the passage named by ``passage=SOURCE:START-END`` (an evidence id) suggests, if one is named."""
    passage = request.args.get("passage")
    if not passage:
        return None
    match = curation.EVIDENCE_ID.match(passage)
    if match is None:
        raise Invalid(f"'passage' must look like SOURCE:START-END, not {passage!r}", "passage")
    with get_database().session() as session:
        return claims.suggest(session, match["source"], int(match["start"]), int(match["end"]))


@bp.get("/sources/<source_id>/attach")
def attach_form(source_id: str):  # type: ignore[no-untyped-def]
    """*Add as evidence to…*: the relations and events a selected passage could support, likeliest first."""
    with get_database().session() as session:
        suggestion = claims.suggest(session, source_id, _offset("start"), _offset("end"))
        candidates = claims.attach_candidates(session, suggestion, request.args.get("q", ""))
        names = dict(session.execute(select(Actor.id, Actor.name)
                                     .where(Actor.id.in_(suggestion.actors))).all())
    template = "_partials/attach_evidence.html" if is_htmx() else "attach_page.html"
    return render_template(template, suggestion=suggestion, candidates=candidates, names=names,
                           q=request.args.get("q", ""), partial="_partials/attach_evidence.html")


@bp.post("/relations/new", defaults={"path": "relations"})
@bp.post("/actors/new", defaults={"path": "actors"})
@bp.post("/events/new", defaults={"path": "events"})
def record_create(path: str):  # type: ignore[no-untyped-def]
    kind = _kind(path)
    dataset_id = _new_dataset()
    values, evidence = _form_values(kind), _evidence_form()
    data = {k: v for k, v in patch_from(values).items() if v is not None}
    if request.form.get("id", "").strip():
        data["id"] = request.form["id"].strip()
    if kind != "actor":
        data["evidence"] = [{k: v for k, v in evidence.items() if v}]
    try:
        with get_database().transaction() as session:
            saved = curation.create(session, caller(), kind, data, dataset_id)
    except ServiceError as error:
        return _form(kind, None, values, version=None, base=None, dataset_id=dataset_id, errors=_errors(error),
                     status=403 if error.status in (401, 403) else 422, message=error.message,
                     template="_partials/record_new.html", evidence=evidence, new_id=request.form.get("id", ""))
    noun = {"relation": "Relation", "actor": "Actor", "event": "Event"}[kind]
    return _panel(kind, saved.id, {"text": f"{noun} created."}, headers=changed(f"{kind}:{saved.id}"))


@bp.get("/<any(relations, events, actors):path>/<ident>/history")
def record_history(path: str, ident: str):  # type: ignore[no-untyped-def]
    kind = _kind(path)
    revisions = list(reversed(curation.history(get_session(), kind, ident)))
    # A deleted or merged record's history is where its Undo lives once the notice is gone.
    gone = revisions[0]["action"] if revisions and revisions[0]["action"] in ("delete", "merge") and (
        revisions[0]["snapshot"] is not None and not curation.exists(get_session(), kind, ident)) else None
    context = {"kind": kind, "ident": ident, "revisions": revisions, "caller": caller(), "gone": gone}
    if is_htmx():
        return render_template("_partials/record_history.html", **context)
    return render_template("history_page.html", partial="_partials/record_history.html", **context)





def _refused(error: ServiceError, kind: str, ident: str):  # type: ignore[no-untyped-def]
    return _panel(kind, ident, {"text": error.message, "error": True}, status=409 if error.status == 409 else 422)


@bp.post("/<any(relations, events, actors):path>/<ident>/delete")
def record_delete(path: str, ident: str):  # type: ignore[no-untyped-def]
    kind = _kind(path)
    try:
        with get_database().transaction() as session:
            curation.delete(session, caller(), kind, ident, _version())
    except ServiceError as error:
        return _refused(error, kind, ident)
    return render_template("_partials/record_deleted.html", kind=kind, ident=ident), 200, changed("")


@bp.post("/actors/<ident>/merge")
def actor_merge(ident: str):  # type: ignore[no-untyped-def]
    into = request.form.get("into", "")
    name = get_session().scalar(select(Actor.name).where(Actor.id == ident)) or ident
    try:
        with get_database().transaction() as session:
            curation.merge_actors(session, caller(), ident, into)
    except ServiceError as error:
        return _refused(error, "actor", ident)
    return _panel("actor", into, {"text": f"Merged {name} into this actor.", "unmerge": ident},
                  headers=changed(f"actor:{into}"))


@bp.post("/actors/<ident>/unmerge")
def actor_unmerge(ident: str):  # type: ignore[no-untyped-def]
    try:
        with get_database().transaction() as session:
            curation.unmerge(session, caller(), ident)
    except ServiceError as error:
        return render_template("_partials/record_deleted.html", kind="actor", ident=ident, error=error.message), 422
    return _panel("actor", ident, {"text": "Merge undone."}, headers=changed(f"actor:{ident}"))


@bp.post("/<any(relations, events, actors):path>/<ident>/restore")
def record_restore(path: str, ident: str):  # type: ignore[no-untyped-def]
    kind = _kind(path)
    try:
        with get_database().transaction() as session:
            curation.restore(session, caller(), kind, ident)
    except ServiceError as error:
        return render_template("_partials/record_deleted.html", kind=kind, ident=ident, error=error.message), 422
    return _panel(kind, ident, {"text": "Restored."}, headers=changed(f"{kind}:{ident}"))


@bp.post("/<any(relations, events, actors):path>/<ident>/revert")
def record_revert(path: str, ident: str):  # type: ignore[no-untyped-def]
    kind = _kind(path)
    raw = request.form.get("to_version", "")
    to_version = whole_number(raw)
    if to_version is None:
        return _panel(kind, ident, {"text": "Choose a revision to revert to.", "error": True}, status=422)
    try:
        with get_database().transaction() as session:
            curation.revert(session, caller(), kind, ident, to_version)
    except ServiceError as error:
        return _refused(error, kind, ident)
    return _panel(kind, ident, {"text": f"Reverted to revision {raw}."}, headers=CHANGED)


@bp.post("/<any(relations, events):path>/<ident>/evidence/<evidence_id>/remove")
def evidence_remove(path: str, ident: str, evidence_id: str):  # type: ignore[no-untyped-def]
    kind = _kind(path)
    try:
        with get_database().transaction() as session:
            before = curation.record(session, kind, ident)
            assert before.record is not None
            ids = [curation.evidence_id(e, session) for e in before.record["evidence"]]
            position = ids.index(evidence_id) if evidence_id in ids else None
            removed = before.record["evidence"][position] if position is not None else None
            saved = curation.remove_evidence(session, caller(), kind, ident, evidence_id, _version())
    except ServiceError as error:
        return _refused(error, kind, ident)
    return _panel(kind, ident, {"text": "Removed a passage.", "undo": removed, "version": saved.version,
                                "position": position}, headers=CHANGED)


@bp.post("/<any(relations, events):path>/<ident>/evidence")
def evidence_add(path: str, ident: str):  # type: ignore[no-untyped-def]
    kind = _kind(path)
    item: dict[str, Any] = {key: request.form.get(key) for key in ("source", "quote", "voice", "speaker")
                            if request.form.get(key)}
    if (occurrence := whole_number(request.form.get("occurrence"))) is not None:
        item["occurrence"] = occurrence
    try:
        with get_database().transaction() as session:
            curation.add_evidence(session, caller(), kind, ident, item, _version(),
                                  whole_number(request.form.get("position")))
    except ServiceError as error:
        return _refused(error, kind, ident)
    return _panel(kind, ident, {"text": request.form.get("done", "Passage added.")}, headers=CHANGED)


@bp.get("/changes")
@bp.get("/datasets/<dataset_id>/changes")
def recent_changes(dataset_id: str | None = None):  # type: ignore[no-untyped-def]
    """Every change to the curated records, newest first: who, what, when, with links."""
    session = get_session()
    changes = curation.recent_changes(session, dataset_id)
    datasets = session.execute(select(Dataset.id, Dataset.title).order_by(Dataset.title)).all()
    return render_template("changes.html", changes=changes, dataset_id=dataset_id, datasets=datasets)


@bp.get("/curate")
@bp.get("/curate/<dataset_id>")
def review_queue(dataset_id: str | None = None):  # type: ignore[no-untyped-def]
    """What is left to curate in a dataset (the only one, or the one named), each item a link into the reader."""
    session = get_session()
    datasets = review.datasets(session)
    if dataset_id is None and len(datasets) == 1:
        dataset_id = datasets[0]["id"]
    queue = review.queue(session, dataset_id) if dataset_id is not None else None
    return render_template("curate.html", queue=queue, datasets=datasets, dataset_id=dataset_id)


# --- Candidate new actors, in the reader --------------------------------------------------

def _candidates(source_id: str, notice: str | None = None, status: int = 200,
                headers: dict[str, str] | None = None) -> tuple[str, int, dict[str, str]]:
    with get_database().session() as session:
        found = claims.candidate_actors(session, source_id)
        dataset_id = session.scalar(select(Source.dataset_id).where(Source.id == source_id))
        assert dataset_id is not None   # candidate_actors raised NotFound otherwise
        html = render_template("_partials/candidates.html", source_id=source_id, dataset_id=dataset_id,
                               candidates=found, notice=notice, actors=_choices(session, dataset_id)["actors"])
    return html, status, headers or {}


@bp.get("/sources/<source_id>/candidates")
def candidates(source_id: str):  # type: ignore[no-untyped-def]
    """Names the article uses that match no actor: add one as an actor, as an alias, or ignore it."""
    access.require_writer(caller(), "curate articles")
    return _candidates(source_id)


@bp.post("/sources/<source_id>/candidates/ignore")
def candidate_ignore(source_id: str):  # type: ignore[no-untyped-def]
    name = request.form.get("name", "")
    with get_database().transaction() as session:
        dataset_id = session.scalar(select(Source.dataset_id).where(Source.id == source_id))
        if dataset_id is None:
            raise NotFound("source", source_id)
        claims.ignore_name(session, caller(), dataset_id, name)
    return _candidates(source_id, f"“{name.strip()}” will not be suggested again in this dataset.")


@bp.post("/sources/<source_id>/candidates/alias")
def candidate_alias(source_id: str):  # type: ignore[no-untyped-def]
    """Add a candidate name as an alias of an actor (so its mentions are marked from now on)."""
    name, actor_id = request.form.get("name", "").strip(), request.form.get("actor", "")
    try:
        with get_database().transaction() as session:
            current = curation.record(session, "actor", actor_id)
            assert current.record is not None
            aliases = [*current.record.get("aliases", []), name]
            curation.patch(session, caller(), "actor", actor_id, {"aliases": aliases}, current.version)
            label = current.record["name"]
    except curation.RecordInvalid as invalid:
        return _candidates(source_id, invalid.message, status=422)
    # Not records-changed: the candidates slot reloads on that, and its reload could land after this reply and
    # take its notice away. The reader marks the new mentions on this one (app.js).
    return _candidates(source_id, f"“{name}” is now an alias of {label}.", headers={"HX-Trigger": "mentions-changed"})
