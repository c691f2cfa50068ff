"""The curated records' fields, declared once (SPEC §3): the file reader allows exactly these keys, and the
API's OpenAPI document describes its bodies with these schemas. The rules that go beyond a field's shape
(unknown actor, end before start, quote not in the source…) live in the one validator, ``reader``."""

from __future__ import annotations

from typing import Any

from ..models import ACTOR_KINDS, CONFIDENCES, VOICES

Schema = dict[str, Any]

_ID: Schema = {"type": "string", "pattern": "^[a-z0-9][a-z0-9_-]*$", "maxLength": 200,
               "description": "a lowercase slug: letters, digits, '-' or '_'"}
_REF: Schema = {**_ID, "description": "the id of another record"}
_TEXT: Schema = {"type": "string", "maxLength": 20_000}
_NAME: Schema = {"type": "string", "minLength": 1, "maxLength": 500}
_DATE: Schema = {"type": "string", "pattern": r"^\d{4}(-\d{2}(-\d{2})?)?$",
                 "description": "a partial date: YYYY, YYYY-MM or YYYY-MM-DD (covering that whole period)"}
_REASON: Schema = {**_TEXT, "description": "why this date is inferred rather than stated by the sources"}

EVIDENCE: dict[str, Schema] = {
    "source": {**_REF, "description": "the source (article) id"},
    "quote": {"type": "string", "minLength": 1, "maxLength": 20_000,
              "description": "words that occur in the source (white space, quotes and dashes are matched loosely)"},
    "occurrence": {"type": "integer", "minimum": 1, "description": "which occurrence, when the quote occurs twice"},
    "voice": {"enum": list(VOICES)},
    "speaker": {**_REF, "description": "the actor who says it (quotes)"},
}
DATE_REASONS: dict[str, Schema] = {
    "inferred": {**_REASON, "description": "one reason for both dates (older files)"},
    "start_inferred": _REASON,
    "end_inferred": _REASON,
}
ACTOR: dict[str, Schema] = {
    "id": _ID, "name": _NAME, "kind": {"enum": list(ACTOR_KINDS)}, "bloc": _REF,
    "aliases": {"type": "array", "items": _NAME}, "description": _TEXT,
    "country": {"type": "string", "pattern": "^[A-Z]{3}$", "description": "ISO 3166-1 alpha-3"},
    "affiliation": _REF,
}
BLOC: dict[str, Schema] = {
    "id": _ID, "name": _NAME, "color": {"type": "string", "pattern": "^#[0-9a-fA-F]{6}$"}, "description": _TEXT,
}
_EVIDENCE_LIST: Schema = {"type": "array", "minItems": 1, "items": {"$ref": "#/components/schemas/Evidence"}}
RELATION: dict[str, Schema] = {
    "id": _ID, "source": _REF, "target": _REF, "type": {**_REF, "description": "a relation type id"},
    "sign": {"enum": [-1, 0, 1]}, "directed": {"type": "boolean"}, "start": _DATE, "end": _DATE,
    **DATE_REASONS, "confidence": {"enum": list(CONFIDENCES)}, "summary": _TEXT, "evidence": _EVIDENCE_LIST,
}
EVENT: dict[str, Schema] = {
    "id": _ID, "date": _DATE, "end": _DATE, **DATE_REASONS, "title": _NAME,
    "actors": {"type": "array", "items": _REF}, "summary": _TEXT, "evidence": _EVIDENCE_LIST,
}
REQUIRED: dict[str, list[str]] = {
    "actor": ["id", "name", "kind"], "bloc": ["id", "name", "color"],
    "relation": ["source", "target", "type", "evidence"], "event": ["id", "date", "title", "evidence"],
    "evidence": ["source", "quote", "voice"],
}
RECORDS: dict[str, dict[str, Schema]] = {"actor": ACTOR, "bloc": BLOC, "relation": RELATION, "event": EVENT,
                                         "evidence": EVIDENCE}
