"""Annotations over HTTP: the JSON-LD API (SPEC §5), the export, and the htmx note components.

Views parse and render; every rule (permissions, limits, versions, anchoring)
is in ``services.annotations``. Writes run in one transaction each, and the
reply is built inside it, so a refused or conflicting write changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint, current_app, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import Session

from .. import get_database, get_session
from ..errors import APIError
from ..inputs import whole_number
from ..jsonio import json_response
from ..services import annotations as notes
from ..services import explorer as explorer_service
from ..services.annotations import AnnotationError, Conflict
from ..services.filters import ViewFilter
from .common import api_error as _api_error
from .common import caller
from .common import expected_version as _expected_version
from .common import is_htmx
from .common import json_body as _json_body

bp = Blueprint("annotations", __name__)

JSONLD = 'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"'
T = TypeVar("T")


def base_url() -> str:
    return request.url_root.rstrip("/")


def current_note(note_id: str) -> Any:
    """The note as committed now, read in a fresh session (the request's may hold an older snapshot)."""
    with get_database().session() as fresh:
        note = notes.get(fresh, caller(), note_id)
        return note, notes.view_model(note, caller()), notes.to_jsonld(note, base_url())


def write(action: Callable[[Session], T]) -> T:
    """Run ``action`` in one transaction; a refusal becomes an API error, a conflict carries the current note."""
    try:
        with get_database().transaction() as session:
            return action(session)
    except Conflict as conflict:
        raise _api_error(conflict, current_note(conflict.note_id)[2]) from None
    except AnnotationError as error:
        raise _api_error(error) from None


def _reply(note_json: dict[str, Any], status: int = 200, **headers: str):  # type: ignore[no-untyped-def]
    response = json_response(note_json, status)
    response.headers["Content-Type"] = JSONLD
    response.set_etag(str(note_json["version"]))
    response.headers.update(headers)
    return response


@bp.get("/api/annotations")
def api_list():  # type: ignore[no-untyped-def]
    """A W3C AnnotationCollection: its first page embedded, ``?page=N`` for the others."""
    session = get_session()
    query = {k: request.args[k] for k in ("target", "tag", "source") if request.args.get(k)}
    try:
        found = notes.search(session, caller(), **query)
        page = notes.parse_page(request.args.get("page"))
    except AnnotationError as error:
        raise _api_error(error) from None
    collection_id = url_for("annotations.api_list", _external=True, **query)
    response = json_response(notes.listing(session, collection_id, base_url(), found, page))
    response.headers["Content-Type"] = JSONLD
    return response


@bp.post("/api/annotations")
def api_create():  # type: ignore[no-untyped-def]
    data = _json_body()

    def action(session: Session) -> dict[str, Any]:
        draft = notes.parse_draft(data)
        return notes.to_jsonld(notes.create(session, caller(), draft), base_url())

    created = write(action)
    location = url_for("annotations.api_get", note_id=created["id"].rsplit("/", 1)[-1], _external=True)
    return _reply(created, 201, Location=location)


@bp.get("/api/annotations/<note_id>")
def api_get(note_id: str):  # type: ignore[no-untyped-def]
    session = get_session()
    try:
        note = notes.get(session, caller(), note_id)
    except AnnotationError as error:
        raise _api_error(error) from None
    return _reply(notes.to_jsonld(note, base_url(), notes.anchors(session, [note])[note.id]))


@bp.put("/api/annotations/<note_id>")
def api_update(note_id: str):  # type: ignore[no-untyped-def]
    data = _json_body()

    def action(session: Session) -> dict[str, Any]:
        draft = notes.parse_draft(data, require_target=False)
        note = notes.update(session, caller(), note_id, draft, _expected_version(draft.version))
        return notes.to_jsonld(note, base_url())

    return _reply(write(action))


@bp.delete("/api/annotations/<note_id>")
def api_delete(note_id: str):  # type: ignore[no-untyped-def]
    def action(session: Session) -> dict[str, Any]:
        return notes.to_jsonld(notes.delete(session, caller(), note_id, _expected_version(None)), base_url())

    return _reply(write(action))


@bp.post("/api/annotations/<note_id>/restore")
def api_restore(note_id: str):  # type: ignore[no-untyped-def]
    return _reply(write(lambda session: notes.to_jsonld(notes.restore(session, caller(), note_id), base_url())))


@bp.get("/api/annotations/<note_id>/history")
def api_history(note_id: str):  # type: ignore[no-untyped-def]
    try:
        revisions = notes.history(get_session(), caller(), note_id)
    except AnnotationError as error:
        raise _api_error(error) from None
    return json_response({"revisions": notes.revision_data(revisions)})


@bp.get("/export/annotations.jsonld")
def export():  # type: ignore[no-untyped-def]
    data = notes.export(get_session(), base_url(), caller())
    response = json_response(data)
    response.headers["Content-Type"] = JSONLD
    response.headers["Content-Disposition"] = 'attachment; filename="annotations.jsonld"'
    return response


@bp.post("/api/annotations/import")
def api_import():  # type: ignore[no-untyped-def]
    if not current_user.is_authenticated:
        raise APIError(401, "login_required", "log in as an admin to import notes")
    if current_user.role != "admin":
        raise APIError(403, "forbidden", "only an admin can import notes")
    data = _json_body()
    report = write(lambda session: notes.import_collection(session, data, imported_by=current_user.name))
    return json_response({"created": report.created, "unchanged": report.unchanged, "kept": report.kept})


# --- The htmx components (panels and reader) ---------------------------------------
#
# Each route answers htmx with a fragment that replaces the component, and a
# plain form post (no JavaScript) with a redirect back to where the user was.

def _form_draft(*, with_target: bool) -> notes.Draft:
    form = request.form
    data: dict[str, Any] = {
        "text": form.get("body", ""),
        "tags": notes.split_tags(form.get("tags", "")),
        "visibility": form.get("visibility", "shared"),
    }
    if whole_number(form.get("version")) is not None:
        data["version"] = int(form["version"])
    if with_target:
        kind, ident = form.get("target_kind", ""), form.get("target_id", "")
        if kind == "source":
            selectors: list[dict[str, Any]] = [{"type": "TextQuoteSelector", "exact": form.get("exact", ""),
                                                "prefix": form.get("prefix", ""), "suffix": form.get("suffix", "")}]
            if whole_number(form.get("start")) is not None and whole_number(form.get("end")) is not None:
                selectors.append({"type": "TextPositionSelector", "start": int(form["start"]), "end": int(form["end"])})
            data["target"] = {"source": ident, "selector": selectors}
        else:
            data["target"] = f"{kind}:{ident}"
    return notes.parse_draft(data, require_target=with_target)


def _draft_values(form: Any) -> dict[str, Any]:
    return {"body": form.get("body", ""), "tags": notes.split_tags(form.get("tags", "")),
            "visibility": form.get("visibility", "shared")}


def _place(note: dict[str, Any]) -> str:
    """Where a note is shown: the reader at its words, or its record's page."""
    if note["target_kind"] == "source":
        return url_for("explorer.source", source_id=note["target_id"]) + f"#note-{note['id']}"
    return _record_url(note["target_kind"], note["target_id"])


def _record_url(kind: str, ident: str) -> str:
    params: dict[str, Any] = {f"{kind}_id": ident}
    return url_for(f"explorer.{kind}", **params)


def _notes_section(session: Session, kind: str, ident: str, **extra: Any) -> str:
    panel = explorer_service.panel(session, kind, ident, ViewFilter(), caller())
    return render_template("_partials/notes.html", notes=panel["notes"], caller=caller(), target_kind=kind,
                           target_id=ident, next_url=_record_url(kind, ident), **extra)


def _refusal(error: AnnotationError):  # type: ignore[no-untyped-def]
    if error.status == 401:
        return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
    raise APIError(error.status, error.code, error.message, {"field": error.field} if error.field else {})


def _shown(session: Session, note: notes.Annotation) -> dict[str, Any]:
    """A note as the page shows it, anchor included (so an orphan stays marked after a save)."""
    return notes.view_models(session, caller(), [note])[0]


def _changed(note: dict[str, Any], fragment: str):  # type: ignore[no-untyped-def]
    """The changed component for htmx; for a plain form post, back to where the note is shown."""
    return render_template(fragment, n=note) if is_htmx() else redirect(_place(note), 303)


@bp.post("/notes")
def note_create():  # type: ignore[no-untyped-def]
    kind, ident = request.form.get("target_kind", ""), request.form.get("target_id", "")
    try:
        with get_database().transaction() as session:
            created = _shown(session, notes.create(session, caller(), _form_draft(with_target=True)))
    except notes.Invalid as error:
        values = _draft_values(request.form)
        if is_htmx() and kind == "source":
            # The reader's Annotate form keeps its place and the user's text, with the reason.
            return render_template("_partials/annotate_fields.html", source_id=ident, draft=values,
                                   selection=request.form, error=error.message), 422
        if is_htmx() and kind in ("actor", "relation", "event"):
            return _notes_section(get_session(), kind, ident, draft=values, error=error.message), 422
        raise APIError(400, error.code, error.message) from None
    except AnnotationError as error:
        return _refusal(error)
    if is_htmx() and kind == "source":
        # The article must be re-cut to underline the new note's words: reload the reader there.
        # (``note=`` makes it a new URL: a change of #fragment alone would not reload the page.)
        response = make_response("", 204)
        response.headers["HX-Redirect"] = url_for("explorer.source", source_id=ident, note=created["id"]) + \
            f"#note-{created['id']}"
        return response
    if is_htmx():
        # A fresh session: on SQLite the request's own began its snapshot (loading the user) before the write.
        with get_database().session() as fresh:
            return _notes_section(fresh, kind, ident)
    return redirect(_place(created), 303)


@bp.get("/notes/<note_id>")
def note_show(note_id: str):  # type: ignore[no-untyped-def]
    session = get_session()
    return _changed(_shown(session, notes.get(session, caller(), note_id)), "_partials/note.html")


@bp.get("/notes/<note_id>/edit")
def note_edit(note_id: str):  # type: ignore[no-untyped-def]
    session = get_session()
    n = _shown(session, notes.get(session, caller(), note_id))
    if not n["can_change"]:
        raise APIError(403, "forbidden", "only the note's author or an admin can edit it")
    template = "_partials/note_edit.html" if is_htmx() else "note_edit_page.html"
    return render_template(template, n=n, back_url=_record_url(n["target_kind"], n["target_id"]))


def _last_editor(note_id: str) -> str | None:
    """Who saved the note's current version (its creator is not necessarily the one)."""
    with get_database().session() as fresh:
        revisions = notes.history(fresh, caller(), note_id)
        return revisions[-1].editor_name if revisions else None


def _save(note_id: str):  # type: ignore[no-untyped-def]
    values = _draft_values(request.form)
    try:
        with get_database().transaction() as session:
            draft = _form_draft(with_target=False)
            saved = _shown(session, notes.update(session, caller(), note_id, draft, draft.version))
    except Conflict:
        current = current_note(note_id)[1]
        back = _record_url(current["target_kind"], current["target_id"])
        page = render_template("_partials/note_conflict.html", n=current, draft=values, caller=caller(), back_url=back,
                               saved_by=_last_editor(note_id))
        if not is_htmx():
            page = render_template("note_edit_page.html", conflict=page, n=current, back_url=back)
        return page, 409
    except notes.Invalid as error:
        n = current_note(note_id)[1]
        template = "_partials/note_edit.html" if is_htmx() else "note_edit_page.html"
        return render_template(template, n=n, draft=values, error=error.message,
                               back_url=_record_url(n["target_kind"], n["target_id"])), 422
    except AnnotationError as error:
        return _refusal(error)
    return _changed(saved, "_partials/note.html")


@bp.put("/notes/<note_id>")
def note_update(note_id: str):  # type: ignore[no-untyped-def]
    return _save(note_id)


@bp.post("/notes/<note_id>")
def note_update_form(note_id: str):  # type: ignore[no-untyped-def]
    return _save(note_id)


def _remove(note_id: str):  # type: ignore[no-untyped-def]
    try:
        with get_database().transaction() as session:
            removed = _shown(session, notes.delete(session, caller(), note_id))
    except AnnotationError as error:
        return _refusal(error)
    return _changed(removed, "_partials/note_deleted.html")


@bp.delete("/notes/<note_id>")
def note_delete(note_id: str):  # type: ignore[no-untyped-def]
    return _remove(note_id)


@bp.post("/notes/<note_id>/delete")
def note_delete_form(note_id: str):  # type: ignore[no-untyped-def]
    return _remove(note_id)


@bp.post("/notes/<note_id>/restore")
def note_restore(note_id: str):  # type: ignore[no-untyped-def]
    try:
        with get_database().transaction() as session:
            restored = _shown(session, notes.restore(session, caller(), note_id))
    except AnnotationError as error:
        return _refusal(error)
    return _changed(restored, "_partials/note.html")


@bp.get("/notes/<note_id>/history")
def note_history(note_id: str):  # type: ignore[no-untyped-def]
    try:
        revisions = notes.revision_data(notes.history(get_session(), caller(), note_id))
    except AnnotationError as error:
        return _refusal(error)
    return render_template("_partials/note_history.html", note_id=note_id, revisions=revisions)


@bp.get("/notes")
def notes_index():  # type: ignore[no-untyped-def]
    """Every note you may see — including orphans whose target a reload removed."""
    tag = request.args.get("tag") or None
    orphaned = request.args.get("orphaned") in ("1", "true", "yes")
    rows = notes.index(get_session(), caller(), tag=tag, orphaned=orphaned)
    return render_template("notes_index.html", rows=rows, tag=tag, orphaned=orphaned, caller=caller())
