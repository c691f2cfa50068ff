"""The JSON API's OpenAPI 3.1 document, generated from the app itself.

Paths and methods come from the URL map (every ``/api/`` rule, so no route can be left out or described
twice; ``<any(a, b):path>`` rules become one path per value); query parameters from the filter's one
declaration (``services.filters.PARAMETER_SCHEMAS``); request bodies from the records' one declaration
(``datasets.fields``). What the URL map cannot know — which query an operation reads, what it answers —
is in ``OPERATIONS`` below, one line per endpoint; a test fails for an ``/api/`` endpoint missing there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from werkzeug.routing import Rule
from werkzeug.routing.converters import AnyConverter

from .datasets import fields
from .services.filters import PARAMETER_SCHEMAS

Schema = dict[str, Any]
FILTER = tuple(PARAMETER_SCHEMAS)
COMPARISON = ("before", "after")
NOTES_QUERY = ("target", "tag", "source", "page")
JSONLD = "application/ld+json"


@dataclass(frozen=True)
class Operation:
    summary: str
    query: tuple[str, ...] = ()
    body: str | None = None  # "record" (of the path's kind), "patch", "evidence", "merge", "annotation", "json"
    status: int = 200
    errors: tuple[int, ...] = (400,)
    media: str = "application/json"
    extra_query: dict[str, Schema] = field(default_factory=dict)


_READ = (400, 404)
_WRITE = (400, 401, 403, 404, 409, 413, 415)
OPERATIONS: dict[str, Operation] = {
    "api.graph_json": Operation("The filtered network: nodes, edges, meta (ETag; 304 while unchanged)", FILTER),
    "api.actors": Operation("Actors under the filter", FILTER),
    "api.actor": Operation("One actor with its relations (under the filter) and events", FILTER, errors=_READ),
    "api.relation": Operation("One relation with its evidence", errors=(404,)),
    "api.events": Operation("Events under the filter", FILTER),
    "api.event": Operation("One event with its evidence", errors=(404,)),
    "api.sources": Operation("The sources (articles)", FILTER),
    "api.source": Operation("One source with its text", errors=(404,)),
    "api.timeline_json": Operation("Events and relation intervals in date order", FILTER),
    "api.balance": Operation("Structural balance: triads (a page at a time), frustration", FILTER + ("triads_page",)),
    "api.brokers": Operation("Brokers between camps", FILTER),
    "api.over_time": Operation("Balance over time", FILTER),
    "api.diff": Operation("What changed between two dates", FILTER + COMPARISON),
    "api.openapi": Operation("This document"),
    "api.reference": Operation("The API reference (an HTML page)", media="text/html"),
    "auth.me": Operation("Who the request is authenticated as", errors=(401,)),
    "annotations.api_list": Operation("Notes (W3C Web Annotation), a page at a time", NOTES_QUERY, errors=_READ,
                                      media=JSONLD),
    "annotations.api_create": Operation("Add a note", body="annotation", status=201, errors=_WRITE, media=JSONLD),
    "annotations.api_get": Operation("One note", errors=(404,), media=JSONLD),
    "annotations.api_update": Operation("Replace a note (If-Match or version)", body="annotation", errors=_WRITE,
                                        media=JSONLD),
    "annotations.api_delete": Operation("Delete a note (restorable)", errors=_WRITE),
    "annotations.api_history": Operation("A note's versions", errors=(404,)),
    "annotations.api_restore": Operation("Restore a deleted note", errors=_WRITE),
    "annotations.api_import": Operation("Import notes (admins)", body="json", errors=_WRITE),
    "curation.create": Operation("Create a record", body="record", status=201, errors=_WRITE),
    "curation.get_record": Operation("A record in the file format, with its version", errors=(404,)),
    "curation.replace": Operation("Replace a record (If-Match or version)", body="record", errors=_WRITE),
    "curation.patch": Operation("Change a record (JSON Merge Patch)", body="patch", errors=_WRITE),
    "curation.delete": Operation("Delete a record (restorable; refused while others use it)", errors=_WRITE),
    "curation.restore": Operation("Restore a deleted record", errors=_WRITE),
    "curation.revert": Operation("Revert a record to a revision (admins)", body="json", errors=_WRITE),
    "curation.add_evidence": Operation("Add an evidence passage", body="evidence", status=201, errors=_WRITE),
    "curation.remove_evidence": Operation("Remove an evidence passage", errors=_WRITE),
    "curation.merge": Operation("Merge this actor into another", body="merge", errors=_WRITE),
    "curation.unmerge": Operation("Undo a merge", errors=_WRITE),
    "curation.history": Operation("A record's revisions", errors=(404,)),
    "curation.recent_changes": Operation("A dataset's recent changes", errors=(404,)),
}
_EXTRA_QUERY: dict[str, Schema] = {
    "before": {"type": "string", "pattern": r"^\d{4}(-\d{2}(-\d{2})?)?$"},
    "after": {"type": "string", "pattern": r"^\d{4}(-\d{2}(-\d{2})?)?$"},
    "target": {"type": "string", "description": "a record URL or id the notes are on"},
    "tag": {"type": "string"},
    "page": {"type": "integer", "minimum": 0, "description": "a page of the collection (from 0)"},
    "triads_page": {"type": "integer", "minimum": 1, "description": "a page of the triads, tensions first (from 1)"},
}
_KINDS = {"actors": "actor", "relations": "relation", "events": "event", "blocs": "bloc"}
# Ids of the bundled seed, as examples of each path parameter (the reference shows them; the fuzzer starts there).
_EXAMPLE_IDS = {"actor": "iraq", "relation": "iraq-alliance-iran", "event": "isis-caliphate", "bloc": "axis",
                "actor_id": "iraq", "relation_id": "iraq-alliance-iran", "event_id": "isis-caliphate",
                "source_id": "pjtatler-2015-09-27-iraq-intel", "dataset_id": "iraq-intel-2015",
                "evidence_id": "pjtatler-2015-09-27-iraq-intel:0-10"}
_PLACEHOLDER = re.compile(r"<(?:([a-z_]+)(?:\(([^)]*)\))?:)?([a-z_]+)>")

ERROR: Schema = {
    "type": "object", "required": ["error"],
    "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {
        "code": {"type": "string"}, "message": {"type": "string"}, "details": {"type": "object"}}}},
}
_STATUS_TEXT = {400: "Bad request: the message names what was wrong", 401: "Not logged in (or no valid token)",
                403: "Not allowed for this role", 404: "No such record", 409: "Stale version: the current record "
                "is in details", 413: "Body too large", 415: "Not JSON", 503: "Database unavailable (Retry-After)"}


def _schema_of(record: str, *, patch: bool = False) -> Schema:
    properties = fields.RECORDS[record]
    if patch:  # every field optional; null removes one (RFC 7396)
        return {"type": "object", "additionalProperties": False,
                "properties": {k: {"anyOf": [v, {"type": "null"}]} for k, v in properties.items()}}
    return {"type": "object", "additionalProperties": False, "properties": properties,
            "required": fields.REQUIRED[record]}


def _expand(rule: Rule) -> list[tuple[str, dict[str, str], str | None]]:
    """(OpenAPI path, path parameters → description, record kind) for each concrete path of a rule."""
    choices: list[tuple[str, list[str]]] = []
    for _converter, _args, name in _PLACEHOLDER.findall(rule.rule):
        converter = rule._converters.get(name)  # noqa: SLF001 (werkzeug keeps them there)
        if isinstance(converter, AnyConverter):
            choices.append((name, sorted(re.findall(r"[a-z]+", _args))))
    paths: list[tuple[str, dict[str, str], str | None]] = []
    combos: list[dict[str, str]] = [{}]
    for name, values in choices:
        combos = [{**c, name: v} for c in combos for v in values]
    for combo in combos:
        params: dict[str, str] = {}

        def replace(match: re.Match[str], combo: dict[str, str] = combo, params: dict[str, str] = params) -> str:
            name = match.group(3)
            if name in combo:
                return combo[name]
            noun = name.removesuffix("_id").replace("_", " ")
            params[name] = "the record's id" if name == "ident" else f"the {noun}'s id"
            return "{" + name + "}"

        path = _PLACEHOLDER.sub(replace, rule.rule)
        kind = _KINDS.get(combo.get("path", "")) or next(
            (k for p, k in _KINDS.items() if path.startswith(f"/api/{p}/")), None)
        paths.append((path, params, kind))
    return paths


def _examples(name: str, kind: str | None) -> Schema:
    example = _EXAMPLE_IDS.get(kind or "") if name == "ident" else _EXAMPLE_IDS.get(name)
    return {"examples": [example]} if example else {}


def _body(operation: Operation, kind: str | None) -> Schema | None:
    if operation.body is None:
        return None
    schema: Schema
    if operation.body == "record" and kind:
        schema = {"$ref": f"#/components/schemas/{kind.capitalize()}"}
    elif operation.body == "patch" and kind:
        schema = {"$ref": f"#/components/schemas/{kind.capitalize()}Patch"}
    elif operation.body == "evidence":
        schema = {"$ref": "#/components/schemas/Evidence"}
    elif operation.body == "merge":
        schema = {"type": "object", "required": ["into"], "properties": {"into": {"type": "string"},
                                                                         "version": {"type": "integer"}}}
    elif operation.body == "annotation":
        schema = {"type": "object", "properties": {"text": {"type": "string"}, "target": {},
                                                   "tags": {"type": "array", "items": {"type": "string"}}}}
    else:
        schema = {"type": "object"}
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def document(app: Flask) -> Schema:
    """The whole document: one operation per method of every concrete ``/api/`` path."""
    paths: dict[str, dict[str, Any]] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.rule.startswith("/api/"):
            continue
        operation = OPERATIONS.get(rule.endpoint)
        if operation is None:
            continue  # the test of this module fails for it
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            for path, path_params, kind in _expand(rule):
                parameters = [{"name": name, "in": "path", "required": True,
                               "schema": {"type": "string", "minLength": 1, **_examples(name, kind)},
                               "description": text}
                              for name, text in path_params.items()]
                parameters += [{"name": name, "in": "query", "required": False,
                                "schema": PARAMETER_SCHEMAS.get(name) or _EXTRA_QUERY.get(name, {"type": "string"})}
                               for name in operation.query]
                if method in ("PUT", "PATCH", "DELETE") or rule.endpoint.endswith(("restore", "revert")):
                    parameters.append({"name": "If-Match", "in": "header", "required": False,
                                       "schema": {"type": "string"}, "description": "the version read, as an ETag"})
                responses: dict[str, Any] = {str(operation.status): {
                    "description": "OK", "content": {operation.media: {"schema": {"type": "object"}}}}}
                for status in (*operation.errors, 503):
                    responses[str(status)] = {"description": _STATUS_TEXT[status],
                                              "content": {"application/json": {"schema": ERROR}}}
                entry: dict[str, Any] = {
                    "operationId": f"{rule.endpoint.replace('.', '_')}_{method.lower()}"
                                   + (f"_{kind}" if kind and "<any" in rule.rule else ""),
                    "summary": operation.summary + (f" ({kind})" if kind and "<any" in rule.rule else ""),
                    "tags": [rule.endpoint.split(".")[0]],
                    "parameters": parameters,
                    "responses": responses,
                }
                body = _body(operation, kind)
                if body:
                    entry["requestBody"] = body
                if method != "GET":
                    entry["security"] = [{"bearer": []}, {"session": []}]
                paths.setdefault(path, {})[method.lower()] = entry
    schemas: dict[str, Schema] = {"Error": ERROR}
    for record in ("actor", "bloc", "relation", "event"):
        schemas[record.capitalize()] = _schema_of(record)
        schemas[f"{record.capitalize()}Patch"] = _schema_of(record, patch=True)
    schemas["Evidence"] = _schema_of("evidence")
    return {
        "openapi": "3.1.0",
        "info": {"title": "Alliance Explorer API", "version": "2",
                 "description": "Who sides with whom, from the articles that say so. Reads are public; writes "
                                "take a session (with its CSRF token) or 'Authorization: Bearer <token>'. Errors "
                                "are {error: {code, message, details}} with a 4xx that names what was wrong."},
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": schemas, "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer", "description": "`flask users token NAME` prints one"},
            "session": {"type": "apiKey", "in": "cookie", "name": "session"}}},
    }
