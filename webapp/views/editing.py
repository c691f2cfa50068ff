"""Editing curated records in the panels (htmx): edit forms in place, conflicts, history, delete and undo.

Each route answers htmx with the fragment that replaces the component, and a
plain form post (no JavaScript) with the panel page. Every rule is in
``services.curation``; a successful write answers with ``HX-Trigger:
records-changed`` so the explorer redraws its network and timeline.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from sqlalchemy.orm import Session

from .. import get_database, get_session
from ..dates import DateError, PartialDate, describe
from ..datasets.vocabulary import BUILTIN_RELATION_TYPES
from ..models import CONFIDENCES
from ..services import curation, filters
from ..services import explorer as explorer_service
from ..services.access import Conflict, ServiceError
from ..services.records import NotFound
from .common import caller

bp = Blueprint("editing", __name__)

# The relation fields the edit form offers, in the file format's names.
RELATION_FIELDS = ("source", "target", "type", "sign", "directed", "start", "end", "inferred", "confidence", "summary")
CHANGED = {"HX-Trigger": "records-changed"}
# A refused or conflicting save replaces only the form, not the panel the form targets.
FORM_ONLY = {"HX-Retarget": "#record-edit", "HX-Reswap": "outerHTML"}


def _panel(kind: str, ident: str, notice: dict[str, Any] | None = None, status: int = 200,
           headers: dict[str, str] | None = None) -> tuple[str, int, dict[str, str]]:
    # A fresh session: the request's own may hold a snapshot from before the write it just committed.
    with get_database().session() as session:
        panel = explorer_service.panel(session, kind, ident, filters.parse(session, request.args), caller())
        panel["notice"] = notice
        template = "_partials/panel.html" if request.headers.get("HX-Request") else "panel_page.html"
        html = render_template(template, panel=panel, partial="_partials/panel.html", state={})
    return html, status, headers or {}


def _choices(session: Session, dataset_id: str) -> dict[str, Any]:
    context = curation.context(session, dataset_id)
    from ..services.graph import actor_rows
    actors = [a for a in actor_rows(session, filters.parse(session, {}), context.actor_ids)]
    types = sorted(context.types.values(), key=lambda t: (t.id not in BUILTIN_RELATION_TYPES, t.label))
    return {"actors": actors, "types": types, "confidences": CONFIDENCES}


def _form_values() -> dict[str, str]:
    return {name: request.form.get(name, "").strip() for name in RELATION_FIELDS}


def _patch_from(values: dict[str, str]) -> dict[str, Any]:
    """The form as a merge patch of the file format: an empty field removes it."""
    patch: dict[str, Any] = {}
    for name, value in values.items():
        if name == "sign":
            patch[name] = int(value) if value in ("1", "-1", "0") else None
        elif name == "directed":
            patch[name] = {"yes": True, "no": False}.get(value)
        else:
            patch[name] = value or None
    return patch


def _values_of(record: dict[str, Any]) -> dict[str, str]:
    values = {name: "" if record.get(name) is None else str(record[name]) for name in RELATION_FIELDS}
    if "directed" in record:
        values["directed"] = "yes" if record["directed"] else "no"
    return values


def _edit_form(ident: str, values: dict[str, str], version: int, errors: dict[str, str] | None = None,
               status: int = 200, message: str | None = None) -> tuple[str, int, dict[str, str]]:
    with get_database().session() as session:
        saved = curation.record(session, "relation", ident)
        html = render_template("_partials/relation_edit.html", ident=ident, values=values, version=version,
                               errors=errors or {}, message=message, hints=_hints(values),
                               **_choices(session, saved.dataset_id))
    return html, status, FORM_ONLY if status != 200 else {}


def _hints(values: dict[str, str]) -> dict[str, str]:
    return {name: explain(values.get(name, "")) for name in ("start", "end")}


def explain(value: str) -> str:
    """How the form reads a partial date, or what is wrong with it."""
    if not value.strip():
        return "not stated (open)"
    try:
        return f"{value.strip()} → {describe(PartialDate.parse(value.strip()))}"
    except DateError as error:
        return str(error)


@bp.get("/dates/explain")
def date_explain():  # type: ignore[no-untyped-def]
    field = request.args.get("field", "start")
    return render_template("_partials/date_hint.html", field=field, hint=explain(request.args.get(field, "")))


@bp.get("/relations/<ident>/edit")
def relation_edit(ident: str):  # type: ignore[no-untyped-def]
    saved = curation.record(get_session(), "relation", ident)
    assert saved.record is not None
    return _edit_form(ident, _values_of(saved.record), saved.version)


def _version() -> int | None:
    raw = request.form.get("version", "")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else None


@bp.post("/relations/<ident>/edit")
def relation_save(ident: str):  # type: ignore[no-untyped-def]
    values = _form_values()
    try:
        with get_database().transaction() as session:
            curation.patch(session, caller(), "relation", ident, _patch_from(values), _version())
    except Conflict:
        with get_database().session() as session:
            saved = curation.record(session, "relation", ident)
            assert saved.record is not None
            theirs = _values_of(saved.record)
            rows = [(name, theirs[name], values[name]) for name in RELATION_FIELDS if theirs[name] != values[name]]
            history = curation.history(session, "relation", ident)
            html = render_template(
                "_partials/relation_conflict.html", ident=ident, values=values, theirs=theirs, rows=rows,
                version=saved.version, saved_by=history[-1]["editor"] if history else None, caller=caller(),
                hints=_hints(values), errors={}, message=None, **_choices(session, saved.dataset_id))
        return html, 409, FORM_ONLY
    except curation.RecordInvalid as invalid:
        errors = {(p.key or "").split(".")[0].split("[")[0]: p.message for p in invalid.problems}
        return _edit_form(ident, values, _version() or 0, errors, 422, invalid.message)
    except ServiceError as error:
        return _edit_form(ident, values, _version() or 0, {error.field or "": error.message}, 422 if error.status
                          == 400 else error.status, error.message)
    return _panel("relation", ident, {"text": "Saved."}, headers=CHANGED)


@bp.get("/<any(relations, events, actors):path>/<ident>/history")
def record_history(path: str, ident: str):  # type: ignore[no-untyped-def]
    kind = path[:-1]
    revisions = list(reversed(curation.history(get_session(), kind, ident)))
    return render_template("_partials/record_history.html", kind=kind, ident=ident, revisions=revisions,
                           caller=caller())


def _refused(error: ServiceError, kind: str, ident: str):  # type: ignore[no-untyped-def]
    return _panel(kind, ident, {"text": error.message, "error": True}, status=409 if error.status == 409 else 422)


@bp.post("/relations/<ident>/delete")
def relation_delete(ident: str):  # type: ignore[no-untyped-def]
    try:
        with get_database().transaction() as session:
            curation.delete(session, caller(), "relation", ident, _version())
    except NotFound:
        raise
    except ServiceError as error:
        return _refused(error, "relation", ident)
    return render_template("_partials/record_deleted.html", kind="relation", ident=ident), 200, CHANGED


@bp.post("/<any(relations, events, actors):path>/<ident>/restore")
def record_restore(path: str, ident: str):  # type: ignore[no-untyped-def]
    kind = path[:-1]
    try:
        with get_database().transaction() as session:
            curation.restore(session, caller(), kind, ident)
    except ServiceError as error:
        return render_template("_partials/record_deleted.html", kind=kind, ident=ident, error=error.message), 422
    return _panel(kind, ident, {"text": "Restored."}, headers=CHANGED)


@bp.post("/<any(relations, events, actors):path>/<ident>/revert")
def record_revert(path: str, ident: str):  # type: ignore[no-untyped-def]
    kind = path[:-1]
    raw = request.form.get("to_version", "")
    if not (raw.isascii() and raw.isdigit() and len(raw) < 10):
        return _panel(kind, ident, {"text": "Choose a revision to revert to.", "error": True}, status=422)
    try:
        with get_database().transaction() as session:
            curation.revert(session, caller(), kind, ident, int(raw))
    except ServiceError as error:
        return _refused(error, kind, ident)
    return _panel(kind, ident, {"text": f"Reverted to revision {raw}."}, headers=CHANGED)


@bp.post("/<any(relations, events):path>/<ident>/evidence/<evidence_id>/remove")
def evidence_remove(path: str, ident: str, evidence_id: str):  # type: ignore[no-untyped-def]
    kind = path[:-1]
    try:
        with get_database().transaction() as session:
            before = curation.record(session, kind, ident)
            assert before.record is not None
            removed = next((e for e in before.record["evidence"]
                            if curation.evidence_id(e, session) == evidence_id), None)
            saved = curation.remove_evidence(session, caller(), kind, ident, evidence_id, _version())
    except ServiceError as error:
        return _refused(error, kind, ident)
    return _panel(kind, ident, {"text": "Removed a passage.", "undo": removed, "version": saved.version},
                  headers=CHANGED)


@bp.post("/<any(relations, events):path>/<ident>/evidence")
def evidence_add(path: str, ident: str):  # type: ignore[no-untyped-def]
    kind = path[:-1]
    item = {key: request.form.get(key) for key in ("source", "quote", "voice", "speaker") if request.form.get(key)}
    if request.form.get("occurrence", "").isdigit():
        item["occurrence"] = int(request.form["occurrence"])  # type: ignore[assignment]
    try:
        with get_database().transaction() as session:
            curation.add_evidence(session, caller(), kind, ident, item, _version())
    except ServiceError as error:
        return _refused(error, kind, ident)
    return _panel(kind, ident, {"text": "Passage added back."}, headers=CHANGED)
