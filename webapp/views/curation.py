"""Editing curated records over HTTP: the JSON API of SPEC §8 (the htmx forms are in ``views.editing``).

Views parse and render; every rule is in ``services.curation``. Each write runs
in one transaction and builds its reply inside it, so a refused or conflicting
write changes nothing; a 409 carries the record as it is now.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, url_for
from sqlalchemy.orm import Session

from .. import get_database
from ..errors import APIError
from ..jsonio import json_response
from ..services import curation
from ..services.access import Conflict, ServiceError
from .. import get_session
from .common import api_error, caller, expected_version, json_body, version_of

bp = Blueprint("curation", __name__, url_prefix="/api")

# URL segment → record kind.
PATHS = {"actors": "actor", "relations": "relation", "events": "event", "blocs": "bloc"}


def _kind(path: str) -> str:
    kind = PATHS.get(path)
    if kind is None:
        raise APIError(404, "not_found", f"there is no kind of record called '{path}'")
    return kind


def current_record(kind: str, ident: str) -> dict[str, Any] | None:
    """The record as committed now, read in a fresh session (for a 409's details)."""
    with get_database().session() as fresh:
        try:
            return record_json(fresh, curation.record(fresh, kind, ident))
        except LookupError:
            return None


def write(action: Callable[[Session], dict[str, Any]]) -> dict[str, Any]:
    """Run ``action`` in one transaction; refusals become API errors, a conflict carries the current record."""
    try:
        with get_database().transaction() as session:
            return action(session)
    except curation.NoChange as same:
        # Nothing to write (the transaction, version bump included, was rolled back): the record as it is.
        return record_json(get_session(), same.saved)
    except Conflict as conflict:
        raise api_error(conflict, current_record(conflict.kind, conflict.ident)) from None
    except curation.RecordInvalid as invalid:
        error = api_error(invalid)
        error.details["problems"] = [{"field": p.key, "message": p.message} for p in invalid.problems]
        raise error from None
    except curation.InUse as in_use:
        error = api_error(in_use)
        error.details["used_by"] = in_use.users
        raise error from None
    except ServiceError as error:
        raise api_error(error) from None


def record_json(session: Session, saved: curation.Saved) -> dict[str, Any]:
    return {"kind": saved.kind, "id": saved.id, "dataset": saved.dataset_id, "version": saved.version,
            "record": curation.with_evidence_ids(session, saved.record)}


def _reply(body: dict[str, Any], status: int = 200, **headers: str):  # type: ignore[no-untyped-def]
    response = json_response(body, status)
    response.set_etag(str(body["version"]))
    response.headers.update(headers)
    return response


def _body_version(data: Any) -> int | None:
    return expected_version(version_of(data.get("version")) if isinstance(data, dict) else None)


def _without(data: Any, *keys: str) -> Any:
    return {k: v for k, v in data.items() if k not in keys} if isinstance(data, dict) else data


@bp.post("/<any(actors, relations, events, blocs):path>")
def create(path: str):  # type: ignore[no-untyped-def]
    kind = _kind(path)
    data = json_body()
    dataset = data.get("dataset") if isinstance(data, dict) else None
    if dataset is not None and not isinstance(dataset, str):
        raise APIError(400, "invalid_record", "'dataset' must be a dataset id", {"field": "dataset"})

    def action(session: Session) -> dict[str, Any]:
        return record_json(session, curation.create(session, caller(), kind, _without(data, "dataset", "version"),
                                                    dataset))

    created = write(action)
    location = url_for("curation.get_record", path=path, ident=created["id"], _external=True)
    return _reply(created, 201, Location=location)


@bp.get("/<any(actors, relations, events, blocs):path>/<ident>/record")
def get_record(path: str, ident: str):  # type: ignore[no-untyped-def]
    session = get_session()
    return _reply(record_json(session, curation.record(session, _kind(path), ident)))


@bp.put("/<any(actors, relations, events, blocs):path>/<ident>")
def replace(path: str, ident: str):  # type: ignore[no-untyped-def]
    kind, data = _kind(path), json_body()
    return _reply(write(lambda session: record_json(session, curation.replace(
        session, caller(), kind, ident, _without(data, "version", "dataset"), _body_version(data)))))


@bp.patch("/<any(actors, relations, events, blocs):path>/<ident>")
def patch(path: str, ident: str):  # type: ignore[no-untyped-def]
    kind, data = _kind(path), json_body()
    return _reply(write(lambda session: record_json(session, curation.patch(
        session, caller(), kind, ident, _without(data, "version"), _body_version(data)))))


@bp.delete("/<any(actors, relations, events, blocs):path>/<ident>")
def delete(path: str, ident: str):  # type: ignore[no-untyped-def]
    kind = _kind(path)
    return _reply(write(lambda session: record_json(session, curation.delete(
        session, caller(), kind, ident, expected_version(None)))))


@bp.post("/<any(actors, relations, events, blocs):path>/<ident>/restore")
def restore(path: str, ident: str):  # type: ignore[no-untyped-def]
    kind = _kind(path)
    return _reply(write(lambda session: record_json(session, curation.restore(
        session, caller(), kind, ident, expected_version(None)))))


@bp.post("/<any(actors, relations, events, blocs):path>/<ident>/revert")
def revert(path: str, ident: str):  # type: ignore[no-untyped-def]
    kind, data = _kind(path), json_body()
    target = version_of(data.get("to_version")) if isinstance(data, dict) else None
    if target is None:
        raise APIError(400, "invalid_record", "say which revision to go back to: 'to_version'",
                       {"field": "to_version"})
    return _reply(write(lambda session: record_json(session, curation.revert(
        session, caller(), kind, ident, target, _body_version(data)))))


@bp.post("/<any(relations, events):path>/<ident>/evidence")
def add_evidence(path: str, ident: str):  # type: ignore[no-untyped-def]
    kind, data = _kind(path), json_body()

    def action(session: Session) -> dict[str, Any]:
        saved, item_id = curation.add_evidence(session, caller(), kind, ident, _without(data, "version"),
                                               _body_version(data))
        return {**record_json(session, saved), "evidence_id": item_id}

    added = write(action)
    return _reply(added, 201)


@bp.delete("/<any(relations, events):path>/<ident>/evidence/<evidence_id>")
def remove_evidence(path: str, ident: str, evidence_id: str):  # type: ignore[no-untyped-def]
    kind = _kind(path)
    return _reply(write(lambda session: record_json(session, curation.remove_evidence(
        session, caller(), kind, ident, evidence_id, expected_version(None)))))


@bp.post("/actors/<ident>/merge")
def merge(ident: str):  # type: ignore[no-untyped-def]
    """Merge actor ``ident`` into the actor named by ``into``; the reply is the actor that stays."""
    data = json_body()
    into = data.get("into") if isinstance(data, dict) else None
    if not isinstance(into, str) or not into:
        raise APIError(400, "invalid_record", "say which actor to merge into: 'into'", {"field": "into"})
    return _reply(write(lambda session: record_json(session, curation.merge_actors(session, caller(), ident, into))))


@bp.post("/actors/<ident>/unmerge")
def unmerge(ident: str):  # type: ignore[no-untyped-def]
    """Undo the merge of actor ``ident``: it comes back with everything the merge moved."""
    return _reply(write(lambda session: record_json(session, curation.unmerge(session, caller(), ident))))


@bp.get("/<any(actors, relations, events, blocs):path>/<ident>/history")
def history(path: str, ident: str):  # type: ignore[no-untyped-def]
    return json_response({"revisions": curation.history(get_session(), _kind(path), ident)})


@bp.get("/datasets/<dataset_id>/changes")
def recent_changes(dataset_id: str):  # type: ignore[no-untyped-def]
    changes = curation.recent_changes(get_session(), dataset_id)
    return json_response({"changes": changes, "meta": {"count": len(changes)}})
