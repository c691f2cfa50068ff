"""Annotations: users' notes on records and on spans of text — validated, sanitised, versioned, never lost.

Every rule lives here, so the API, the htmx pages and the CLI agree:

- who may do what (``Caller``; editors write and change their own notes,
  admins any shared note, private notes exist only for their author);
- what a valid note is (body ≤ 64 KB of Markdown, ≤ 20 tags of ≤ 50
  characters, a target that exists, a quote that is really in the text);
- optimistic locking: a change names the version it was based on, and a stale
  one raises ``Conflict`` carrying the current note, so nothing is overwritten;
- every change is kept as a revision; delete is soft and can be undone;
- anchoring: a text note keeps its quote and position; when the source text
  changes it is found again by its quote, or shown as orphaned — never dropped.

Notes are serialised as W3C Web Annotation JSON-LD (SPEC §5).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup
from sqlalchemy import ColumnElement, select
from sqlalchemy import update as sql_update
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from ..models import (
    TARGET_KINDS, VISIBILITIES, Actor, Annotation, AnnotationRevision, AnnotationTag, Event, Relation,
    Source, User, utcnow,
)
from ..text.match import context, find_all
from . import access
from .access import ANONYMOUS as ANONYMOUS  # re-exported: services.explorer uses notes_service.ANONYMOUS
from .access import Caller, Forbidden, ServiceError
from .records import NotFound

MAX_BODY_BYTES = 64 * 1024
MAX_TAGS = 20
MAX_TAG_CHARS = 50
MAX_QUOTE_CHARS = 5000
CONTEXT = "http://www.w3.org/ns/anno.jsonld"
PAGE_SIZE = 100  # annotations on one AnnotationPage of /api/annotations
RECORD_PATHS = {"actor": "actors", "relation": "relations", "event": "events", "source": "sources"}
_PATH_KINDS = {path: kind for kind, path in RECORD_PATHS.items()}
_RECORD_MODELS: dict[str, type[Actor] | type[Relation] | type[Event] | type[Source]] = {
    "actor": Actor, "relation": Relation, "event": Event, "source": Source,
}

# Markdown without raw HTML, then an allowlist: what survives can only format text and link out.
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("strikethrough")
ALLOWED_TAGS = {"p", "br", "strong", "em", "del", "code", "pre", "blockquote", "ul", "ol", "li", "a", "hr",
                "h1", "h2", "h3", "h4", "h5", "h6"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
ALLOWED_SCHEMES = {"http", "https", "mailto"}


# --- Callers and errors (shared with every write service) ------------------------

AnnotationError = ServiceError


class Invalid(access.Invalid):
    code = "invalid_annotation"


class Conflict(access.Conflict):
    """The note changed since the caller read it (see ``access.Conflict``)."""

    def __init__(self, message: str, note_id: str) -> None:
        super().__init__(message, "annotation", note_id)

    @property
    def note_id(self) -> str:
        return self.ident


# --- Input --------------------------------------------------------------------

@dataclass
class Target:
    kind: str
    id: str
    exact: str | None = None
    prefix: str | None = None
    suffix: str | None = None
    start: int | None = None
    end: int | None = None

    @property
    def is_text(self) -> bool:
        return self.kind == "source"


@dataclass
class Draft:
    """A note as a client asks for it, already checked for shape (not yet for its target)."""

    body: str
    # None: not given. A new note then has no tags and is shared; a replaced one keeps its own,
    # so an edit that leaves them out can never make a private note public.
    tags: list[str] | None = None
    visibility: str | None = None
    target: Target | None = None
    version: int | None = None


def _record_from_url(value: str, where: str) -> tuple[str, str]:
    """``actor:iraq``, ``/actors/iraq`` or ``http://host/actors/iraq`` → ("actor", "iraq")."""
    kind, sep, ident = value.partition(":")
    if sep and kind in TARGET_KINDS and ident and "/" not in ident:
        return kind, ident
    try:
        parts = [p for p in urlsplit(value).path.split("/") if p]
    except ValueError:  # urlsplit refuses some URLs, e.g. an unclosed IPv6 host ("http://[::1/actors/iraq")
        parts = []
    if len(parts) == 2 and parts[0] in _PATH_KINDS:
        return _PATH_KINDS[parts[0]], unquote(parts[1])
    raise Invalid(f"'{where}' must name an actor, relation, event or source (e.g. /actors/iraq), not {value!r}", where)


def _int(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise Invalid(f"'{where}' must be a whole number ≥ 0", where)
    return value


def _text(value: Any, where: str, limit: int = MAX_QUOTE_CHARS) -> str:
    if not isinstance(value, str):
        raise Invalid(f"'{where}' must be a string", where)
    if len(value) > limit:
        raise Invalid(f"'{where}' is longer than {limit} characters", where)
    _no_nul(value, where)
    return value


def _no_nul(value: str, where: str) -> None:
    # PostgreSQL cannot store a NUL, so a note from SQLite holding one would not restore there.
    if "\x00" in value:
        raise Invalid(f"'{where}' contains a NUL character", where)


def parse_target(value: Any) -> Target:
    """A W3C target: a record URL, or ``{source, selector: [TextQuoteSelector, TextPositionSelector]}``."""
    if isinstance(value, str):
        kind, ident = _record_from_url(value, "target")
        return Target(kind, ident)
    if not isinstance(value, Mapping):
        raise Invalid("'target' must be a URL or an object with 'source' and 'selector'", "target")
    source = value.get("source")
    if not isinstance(source, str):
        raise Invalid("'target.source' must be the source's URL or id", "target.source")
    kind, ident = _record_from_url(source if "/" in source or ":" in source else f"source:{source}", "target.source")
    selectors = value.get("selector", [])
    if isinstance(selectors, Mapping):
        selectors = [selectors]
    if not isinstance(selectors, list):
        raise Invalid("'target.selector' must be a selector or a list of them", "target.selector")
    target = Target(kind, ident)
    for index, selector in enumerate(selectors):
        where = f"target.selector[{index}]"
        if not isinstance(selector, Mapping):
            raise Invalid(f"'{where}' must be an object", where)
        if selector.get("type") == "TextQuoteSelector":
            target.exact = _text(selector.get("exact"), f"{where}.exact")
            target.prefix = _text(selector.get("prefix", ""), f"{where}.prefix")
            target.suffix = _text(selector.get("suffix", ""), f"{where}.suffix")
        elif selector.get("type") == "TextPositionSelector":
            target.start = _int(selector.get("start"), f"{where}.start")
            target.end = _int(selector.get("end"), f"{where}.end")
        else:
            raise Invalid(f"'{where}.type' must be TextQuoteSelector or TextPositionSelector", f"{where}.type")
    if kind != "source" and selectors:
        raise Invalid("only a source can have text selectors", "target.selector")
    if kind == "source":
        if not target.exact or not target.exact.strip():
            raise Invalid("a note on a text needs a TextQuoteSelector with the selected words ('exact')",
                          "target.selector")
        if (target.start is None) != (target.end is None) or (
            target.start is not None and target.end is not None and target.end <= target.start
        ):
            raise Invalid("a TextPositionSelector needs 'start' < 'end'", "target.selector")
    return target


def _tags(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        raise Invalid("'tags' must be a list of strings", "tags")
    # One tag per spelling, whatever its case (the first spelling wins).
    tags = list({t.strip().casefold(): t.strip() for t in reversed(value) if t.strip()}.values())[::-1]
    if len(tags) > MAX_TAGS:
        raise Invalid(f"at most {MAX_TAGS} tags, not {len(tags)}", "tags")
    for tag in tags:
        _no_nul(tag, "tags")
        if "," in tag:
            raise Invalid(f"tag {tag[:20]!r} contains a comma; give each tag on its own", "tags")
        if len(tag) > MAX_TAG_CHARS:
            raise Invalid(f"tag {tag[:20]!r}… is longer than {MAX_TAG_CHARS} characters", "tags")
    return tags


def split_tags(text: str) -> list[str]:
    """Tags as typed in a form: separated by commas."""
    return [t for t in (part.strip() for part in text.split(",")) if t]


def parse_draft(data: Any, *, require_target: bool = True) -> Draft:
    """Check the shape of a JSON-LD note (or the simple ``{text, tags, visibility, target}``)."""
    if not isinstance(data, Mapping):
        raise Invalid("the request body must be a JSON object")
    text: Any = data.get("text")
    tags = _tags(data.get("tags")) if "tags" in data else None
    bodies = data.get("body")
    if isinstance(bodies, Mapping):
        bodies = [bodies]
    if bodies is not None:
        if not isinstance(bodies, list):
            raise Invalid("'body' must be a TextualBody or a list of them", "body")
        for index, item in enumerate(bodies):
            if not isinstance(item, Mapping) or item.get("type", "TextualBody") != "TextualBody":
                raise Invalid(f"'body[{index}]' must be a TextualBody", f"body[{index}]")
            if not isinstance(item.get("value"), str):
                raise Invalid(f"'body[{index}].value' must be a string", f"body[{index}].value")
            if item.get("purpose") == "tagging":
                tags = _tags((tags or []) + [item["value"]])
            elif text is None:
                if item.get("format", "text/markdown") not in ("text/markdown", "text/plain"):
                    raise Invalid(f"'body[{index}].format' must be text/markdown", f"body[{index}].format")
                text = item["value"]
    if not isinstance(text, str) or not text.strip():
        raise Invalid("the note is empty: write some text", "body")
    if len(text.encode()) > MAX_BODY_BYTES:
        raise Invalid(f"the note is {len(text.encode()):,} bytes; at most {MAX_BODY_BYTES:,} are allowed", "body")
    _no_nul(text, "body")
    visibility = data.get("visibility")
    if visibility is not None and visibility not in VISIBILITIES:
        raise Invalid(f"'visibility' must be one of {', '.join(VISIBILITIES)}", "visibility")
    target = parse_target(data["target"]) if data.get("target") is not None else None
    if target is None and require_target:
        raise Invalid("'target' is required: the URL of an actor, relation or event, or a source with selectors",
                      "target")
    version = data.get("version")
    if version is not None:
        version = _int(version, "version")
    return Draft(body=text, tags=tags, visibility=visibility, target=target, version=version)


# --- Rendering ----------------------------------------------------------------

def render_markdown(text: str) -> Markup:
    """Markdown → HTML that can only format text and link to http(s)/mailto."""
    html = _markdown.render(text)
    clean = nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes=ALLOWED_SCHEMES,
                      link_rel="nofollow noopener noreferrer ugc")
    return Markup(clean)  # noqa: S704 — sanitised by nh3 just above


# --- Permissions ----------------------------------------------------------------

def _require_writer(caller: Caller) -> None:
    access.require_writer(caller, "write notes")


def can_see(caller: Caller, note: Annotation) -> bool:
    return note.visibility == "shared" or (caller.authenticated and note.creator_id == caller.id)


def can_change(caller: Caller, note: Annotation) -> bool:
    """Editors change their own notes; admins any note they can see."""
    if caller.role not in ("editor", "admin") or not can_see(caller, note):
        return False
    return caller.is_admin or note.creator_id == caller.id


def _load(session: Session, caller: Caller, note_id: str, *, deleted: bool = False) -> Annotation:
    note = session.get(Annotation, note_id)
    if note is None or not can_see(caller, note) or (note.deleted_at is not None and not deleted):
        raise NotFound("annotation", note_id)
    return note


def _load_for_change(session: Session, caller: Caller, note_id: str, *, deleted: bool = False) -> Annotation:
    _require_writer(caller)
    note = _load(session, caller, note_id, deleted=deleted)
    if not can_change(caller, note):
        raise Forbidden(f"this note is {note.creator_name}'s; only its author or an admin can change it")
    return note


# --- Anchoring ------------------------------------------------------------------

@dataclass(frozen=True)
class Anchor:
    """Where a note's target is now: ``anchored``, ``moved`` (found again by its quote) or ``orphaned``."""

    status: str
    start: int | None = None
    end: int | None = None


def locate(text: str, exact: str, prefix: str = "", suffix: str = "", start: int | None = None,
           end: int | None = None) -> tuple[int, int] | None:
    """Where a quote is in a text: at its recorded position if it is still there, else among its
    occurrences the one whose context (then position) fits best; None when it is gone."""
    if start is not None and end is not None and text[start:end] == exact:
        return start, end
    spans = find_all(text, exact)
    if not spans:
        return None

    def score(span: tuple[int, int]) -> tuple[int, int]:
        before, after = context(text, *span, width=max(len(prefix), len(suffix), 1))
        fits = (bool(prefix) and before.endswith(prefix)) + (bool(suffix) and after.startswith(suffix))
        return (-fits, abs(span[0] - start) if start is not None else 0)

    return min(spans, key=score)


def anchor_of(note: Annotation, texts: Mapping[str, str], existing: Mapping[str, set[str]]) -> Anchor:
    if note.target_kind != "source":
        return Anchor("anchored" if note.target_id in existing.get(note.target_kind, set()) else "orphaned")
    text = texts.get(note.target_id)
    if text is None or not note.exact:
        return Anchor("orphaned")
    found = locate(text, note.exact, note.prefix or "", note.suffix or "", note.start, note.end)
    if found is None:
        return Anchor("orphaned")
    return Anchor("anchored" if found == (note.start, note.end) else "moved", *found)


def anchors(session: Session, notes: Iterable[Annotation]) -> dict[str, Anchor]:
    """The anchor of each note, with one query per kind of target."""
    notes = list(notes)
    wanted: dict[str, set[str]] = {}
    for note in notes:
        wanted.setdefault(note.target_kind, set()).add(note.target_id)
    existing = {
        kind: set(session.scalars(select(_RECORD_MODELS[kind].id).where(_RECORD_MODELS[kind].id.in_(ids))))
        for kind, ids in wanted.items()
    }
    source_ids = wanted.get("source", set())
    texts = (dict(session.execute(select(Source.id, Source.text).where(Source.id.in_(source_ids))).all())
             if source_ids else {})
    return {note.id: anchor_of(note, texts, existing) for note in notes}


def _check_target(session: Session, target: Target) -> Target:
    """The target must exist now; a quote must be in the text (the server fixes position and context)."""
    model = _RECORD_MODELS[target.kind]
    if target.kind != "source":
        if session.get(model, target.id) is None:
            raise Invalid(f"there is no {target.kind} {target.id!r}", "target")
        return target
    text = session.scalar(select(Source.text).where(Source.id == target.id))
    if text is None:
        raise Invalid(f"there is no source {target.id!r}", "target.source")
    assert target.exact is not None
    span = locate(text, target.exact, target.prefix or "", target.suffix or "", target.start, target.end)
    if span is None:
        raise Invalid(f"the quote {target.exact[:60]!r} is not in source {target.id!r}", "target.selector")
    prefix, suffix = context(text, *span)
    return Target("source", target.id, text[span[0]:span[1]], prefix, suffix, span[0], span[1])


# --- Reading --------------------------------------------------------------------

def get(session: Session, caller: Caller, note_id: str) -> Annotation:
    """One note the caller may see (deleted ones are gone, as far as reading goes)."""
    return _load(session, caller, note_id)


def visible_query(caller: Caller):  # type: ignore[no-untyped-def]
    conditions: list[ColumnElement[bool]] = [Annotation.deleted_at.is_(None)]
    if caller.authenticated:
        conditions.append((Annotation.visibility == "shared") | (Annotation.creator_id == caller.id))
    else:
        conditions.append(Annotation.visibility == "shared")
    return select(Annotation).where(*conditions).order_by(Annotation.created, Annotation.id)


def search(session: Session, caller: Caller, *, target: str | None = None, tag: str | None = None,
           source: str | None = None) -> list[Annotation]:
    """Notes the caller may see, optionally on one target, with one tag, or on one source's text."""
    query = visible_query(caller)
    if target:
        kind, ident = _record_from_url(target, "target")
        query = query.where(Annotation.target_kind == kind, Annotation.target_id == ident)
    if source:
        query = query.where(Annotation.target_kind == "source", Annotation.target_id == source)
    if tag:
        query = query.where(Annotation.id.in_(select(AnnotationTag.annotation_id).where(AnnotationTag.tag == tag)))
    return list(session.scalars(query))


def on_records(session: Session, caller: Caller, kind: str, ident: str,
               passages: Iterable[Mapping[str, Any]] = ()) -> tuple[list[Annotation], dict[str, Anchor]]:
    """Notes on a record, and notes on text spans that overlap the passages supporting it,
    with their anchors (needed to tell which spans overlap, and again to show them)."""
    notes = list(session.scalars(visible_query(caller).where(Annotation.target_kind == kind,
                                                             Annotation.target_id == ident)))
    spans: dict[str, list[tuple[int, int]]] = {}
    for passage in passages:
        spans.setdefault(passage["source"], []).append((passage["start"], passage["end"]))
    on_text = list(session.scalars(visible_query(caller).where(Annotation.target_kind == "source",
                                                               Annotation.target_id.in_(spans)))) if spans else []
    where = anchors(session, notes + on_text)
    for note in on_text:
        anchor = where[note.id]
        if anchor.start is not None and anchor.end is not None and any(
            anchor.start < end and start < anchor.end for start, end in spans[note.target_id]
        ):
            notes.append(note)
    return notes, where


def history(session: Session, caller: Caller, note_id: str) -> list[AnnotationRevision]:
    """Every change to a note, oldest first (its author and admins also see a deleted note's history)."""
    note = _load(session, caller, note_id, deleted=True)
    if note.deleted_at is not None and not can_change(caller, note):
        raise NotFound("annotation", note_id)
    return list(note.revisions)


# --- Writing --------------------------------------------------------------------

def revision_data(revisions: Iterable[AnnotationRevision]) -> list[dict[str, Any]]:
    """Revisions as the API, the export and the history view show them."""
    return [{"version": r.version, "action": r.action, "editor": r.editor_name, "at": _iso(r.at),
             "snapshot": json.loads(r.snapshot)} for r in revisions]


def _snapshot(note: Annotation) -> str:
    return json.dumps({
        "body": note.body, "tags": [t.tag for t in note.tags], "visibility": note.visibility,
        "target": {"kind": note.target_kind, "id": note.target_id, "exact": note.exact, "prefix": note.prefix,
                   "suffix": note.suffix, "start": note.start, "end": note.end},
        "deleted": note.deleted_at.isoformat() if note.deleted_at else None,
    }, ensure_ascii=False, sort_keys=True)


def _record(session: Session, note: Annotation, caller: Caller, action: str, now: dt.datetime) -> None:
    session.flush()  # the UPDATE runs here, guarded by the version it read
    # Added to the session, not to ``note.revisions``: that would load the whole history on every edit.
    session.add(AnnotationRevision(
        annotation_id=note.id, version=note.version, action=action, editor_name=caller.name or "?", at=now,
        snapshot=_snapshot(note),
    ))


def _apply(note: Annotation, draft: Draft, target: Target | None) -> None:
    note.body = draft.body
    if draft.visibility is not None:
        note.visibility = draft.visibility
    if draft.tags is not None:
        note.tags = [AnnotationTag(position=i, tag=tag) for i, tag in enumerate(draft.tags)]
    if target is not None:
        note.target_kind, note.target_id = target.kind, target.id
        note.exact, note.prefix, note.suffix = target.exact, target.prefix, target.suffix
        note.start, note.end = target.start, target.end


def create(session: Session, caller: Caller, draft: Draft) -> Annotation:
    """A new note by the caller (an editor or admin)."""
    _require_writer(caller)
    assert draft.target is not None
    target = _check_target(session, draft.target)
    now = utcnow()
    note = Annotation(id=str(uuid.uuid4()), creator_id=caller.id, creator_name=caller.name or "?",
                      created=now, modified=now, visibility="shared", tags=[])
    _apply(note, draft, target)
    session.add(note)
    _record(session, note, caller, "create", now)
    return note


def _guard(session: Session, note: Annotation, expected: int | None) -> None:
    if expected is None:
        raise Invalid("say which version you are changing: an If-Match header with the ETag, or 'version'", "version")
    if expected != note.version:
        raise Conflict(f"the note is at version {note.version}, not {expected}: someone changed it since you read it",
                       note.id)


def update(session: Session, caller: Caller, note_id: str, draft: Draft, expected: int | None) -> Annotation:
    """Replace a note's text, tags, visibility (and target), if ``expected`` is still its version."""
    note = _load_for_change(session, caller, note_id)
    _guard(session, note, expected)
    target = _check_target(session, draft.target) if draft.target is not None else None
    _apply(note, draft, target)
    note.modified = utcnow()
    try:
        _record(session, note, caller, "update", note.modified)
    except StaleDataError:
        raise _raced(note_id) from None
    return note


def delete(session: Session, caller: Caller, note_id: str, expected: int | None = None) -> Annotation:
    """Soft delete: the note disappears but keeps its history and can be restored."""
    note = _load_for_change(session, caller, note_id)
    if expected is not None:
        _guard(session, note, expected)
    note.deleted_at = note.modified = utcnow()
    try:
        _record(session, note, caller, "delete", note.modified)
    except StaleDataError:
        raise _raced(note_id) from None
    return note


def restore(session: Session, caller: Caller, note_id: str) -> Annotation:
    """Undo a delete (its author or an admin)."""
    note = _load_for_change(session, caller, note_id, deleted=True)
    if note.deleted_at is None:
        return note
    note.deleted_at = None
    note.modified = utcnow()
    _record(session, note, caller, "restore", note.modified)
    return note


def _raced(note_id: str) -> Conflict:
    """Another writer committed between our read and our write (PostgreSQL's row lock let it through)."""
    return Conflict("the note changed while you were saving; reload it and try again", note_id)


# --- JSON-LD --------------------------------------------------------------------

def _iso(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:  # SQLite hands back naive datetimes; we only ever store UTC
        value = value.replace(tzinfo=dt.UTC)
    return value.isoformat().replace("+00:00", "Z")


def _parse_time(value: Any, where: str) -> dt.datetime:
    if not isinstance(value, str):
        raise Invalid(f"'{where}' must be an ISO 8601 date-time", where)
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Invalid(f"'{where}' is not an ISO 8601 date-time: {value!r}", where) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def target_url(base: str, kind: str, ident: str) -> str:
    return f"{base}/{RECORD_PATHS[kind]}/{ident}"


def to_jsonld(note: Annotation, base: str, anchor: Anchor | None = None, *, context_: bool = True) -> dict[str, Any]:
    """A note as a W3C Web Annotation (plus ``version``, ``visibility`` and ``anchor``)."""
    bodies: list[dict[str, Any]] = [{"type": "TextualBody", "value": note.body, "format": "text/markdown",
                                     "purpose": "commenting"}]
    bodies += [{"type": "TextualBody", "value": t.tag, "purpose": "tagging"} for t in note.tags]
    if note.target_kind == "source":
        target: Any = {
            "source": target_url(base, "source", note.target_id),
            "selector": [
                {"type": "TextQuoteSelector", "exact": note.exact,
                 "prefix": note.prefix or "", "suffix": note.suffix or ""},
            ],
        }
        # An imported note may have its quote only: a position selector needs both numbers.
        if note.start is not None and note.end is not None:
            target["selector"].append({"type": "TextPositionSelector", "start": note.start, "end": note.end})
    else:
        target = target_url(base, note.target_kind, note.target_id)
    data: dict[str, Any] = {
        "@context": CONTEXT,
        "id": f"{base}/api/annotations/{note.id}",
        "type": "Annotation",
        "body": bodies,
        "target": target,
        "creator": {"type": "Person", "name": note.creator_name},
        "created": _iso(note.created),
        "modified": _iso(note.modified),
        "version": note.version,
        "visibility": note.visibility,
        "tags": [t.tag for t in note.tags],
    }
    if not context_:
        del data["@context"]
    if anchor is not None:
        data["anchor"] = {"status": anchor.status, "start": anchor.start, "end": anchor.end}
    if note.deleted_at is not None:
        data["deleted"] = _iso(note.deleted_at)
    return data


# --- Export and import ----------------------------------------------------------

def page_url(collection_id: str, number: int) -> str:
    """The URL of page ``number`` (from 0) of a paged collection: its URL with ``page=N``."""
    return f"{collection_id}{'&' if '?' in collection_id else '?'}page={number}"


def collection(collection_id: str, label: str, total: int, items: list[dict[str, Any]], *, page: int = 0,
               page_size: int | None = None) -> dict[str, Any]:
    """Annotations as a W3C AnnotationCollection (Web Annotation model §5), one page at a time.

    Page 0 comes embedded as the collection's ``first`` (what the collection's URL answers); any other
    page comes on its own, ``partOf`` the collection (what ``page_url`` answers). Each page links its
    ``next`` and ``prev``. ``items`` are the page's annotations, without their own ``@context``.
    Without ``page_size`` every item is on the one page, whose id is a fragment of the document
    (a file such as the export, which holds the whole collection).
    """
    if page_size is None:
        last, page_id = 0, f"{collection_id}#page-0"
        last_id = page_id
    else:
        last, page_id = max(0, (total - 1) // page_size), page_url(collection_id, page)
        last_id = page_url(collection_id, last)
    body: dict[str, Any] = {"id": page_id, "type": "AnnotationPage", "partOf": collection_id,
                            "startIndex": page * (page_size or 0), "items": items}
    if page > 0:
        body["prev"] = page_url(collection_id, page - 1)
    if page < last:
        body["next"] = page_url(collection_id, page + 1)
    head = {"id": collection_id, "type": "AnnotationCollection", "label": label, "total": total}
    if page == 0:
        return {"@context": CONTEXT, **head, "first": body, "last": last_id}
    return {"@context": CONTEXT, **body, "partOf": head}


def collection_items(data: Any) -> tuple[str, list[Any]]:
    """Where a collection's annotations are, and the list: its embedded ``first`` page's ``items``
    (as ``export`` writes them), or ``items`` (files written before the collection had pages)."""
    if isinstance(data, Mapping) and isinstance(data.get("first"), Mapping):
        first = data["first"]
        if first.get("next"):
            raise Invalid("the collection has more pages than its first: import a whole export "
                          "(/export/annotations.jsonld), which holds every note on one page", "first.next")
        if isinstance(first.get("items"), list):
            return "first.items", first["items"]
    if isinstance(data, Mapping) and isinstance(data.get("items"), list):
        return "items", data["items"]
    raise Invalid("expected an AnnotationCollection with its notes in 'first.items' "
                  "(as /export/annotations.jsonld writes)")


def parse_page(value: str | None) -> int:
    if value is None or value == "":
        return 0
    if not value.isdigit():
        raise Invalid(f"'page' must be a whole number ≥ 0, not {value!r}", "page")
    return int(value)


def listing(session: Session, collection_id: str, base: str, found: list[Annotation], page: int = 0) -> dict[str, Any]:
    """Found notes, with their anchors, as page ``page`` of the collection ``collection_id`` (``PAGE_SIZE`` a page)."""
    if page > max(0, (len(found) - 1) // PAGE_SIZE):
        raise NotFound("annotation page", str(page))
    shown = found[page * PAGE_SIZE:(page + 1) * PAGE_SIZE]
    where = anchors(session, shown)
    items = [to_jsonld(note, base, where[note.id], context_=False) for note in shown]
    return collection(collection_id, "Alliance Explorer annotations", len(found), items, page=page, page_size=PAGE_SIZE)


def export(session: Session, base: str, caller: Caller | None = None) -> dict[str, Any]:
    """Every note (for ``caller``: those it may see) with its history, as an AnnotationCollection
    whose one page holds them all.

    Without a caller (the CLI) private and deleted notes are included, so a backup loses nothing.
    """
    query = select(Annotation).order_by(Annotation.created, Annotation.id)
    if caller is not None:
        query = visible_query(caller)
    items = []
    for note in session.scalars(query):
        item = to_jsonld(note, base, context_=False)
        item["revisions"] = revision_data(note.revisions)
        items.append(item)
    return collection(f"{base}/export/annotations.jsonld", "Alliance Explorer annotations, with their history",
                      len(items), items)


@dataclass
class ImportReport:
    created: int = 0
    unchanged: int = 0
    kept: list[str] = field(default_factory=list)  # ids already here with other content: not overwritten


# Who imported, when a caller does not say (only service-level callers: the API and the CLI always do).
UNKNOWN_IMPORTER = "unknown importer"


def import_collection(session: Session, data: Any, *, imported_by: str = UNKNOWN_IMPORTER) -> ImportReport:
    """Add the notes of an exported collection; a note already here is never overwritten (reported instead).

    A note keeps the creator and history the file gives it, and gains an ``import`` revision by
    ``imported_by``: its history always says who brought it in, and when.
    """
    if not imported_by or len(imported_by) > 64:
        raise Invalid("the importer's name must be 1 to 64 characters", "imported_by")
    key, found = collection_items(data)
    now = utcnow()
    users = {u.name: u.id for u in session.scalars(select(User))}
    report = ImportReport()
    for index, item in enumerate(found):
        where = f"{key}[{index}]"
        try:
            draft = parse_draft(item)
        except AnnotationError as error:
            raise Invalid(f"{where}: {error.message}", f"{where}.{error.field}" if error.field else where) from None
        raw_id = item.get("id")
        if not isinstance(raw_id, str) or not raw_id:
            raise Invalid(f"{where}: 'id' is missing", f"{where}.id")
        note_id = raw_id.rsplit("/", 1)[-1]
        if not re.fullmatch(r"[0-9a-fA-F-]{1,36}", note_id):
            raise Invalid(f"{where}: 'id' must end with the note's uuid, not {raw_id!r}", f"{where}.id")
        creator = item.get("creator") or {}
        name = creator.get("name") if isinstance(creator, Mapping) else None
        if not isinstance(name, str) or not name:
            raise Invalid(f"{where}: 'creator.name' is missing", f"{where}.creator")
        version = draft.version or 1
        existing = session.get(Annotation, note_id)
        if existing is not None:
            same = (existing.body == draft.body and [t.tag for t in existing.tags] == (draft.tags or [])
                    and existing.version == version and existing.visibility == (draft.visibility or "shared"))
            if same:
                report.unchanged += 1
            else:
                report.kept.append(note_id)
            continue
        assert draft.target is not None
        note = Annotation(
            id=note_id, creator_id=users.get(name), creator_name=name,
            created=_parse_time(item.get("created"), f"{where}.created"),
            modified=_parse_time(item.get("modified"), f"{where}.modified"),
            deleted_at=_parse_time(item["deleted"], f"{where}.deleted") if item.get("deleted") else None,
            version=version, visibility="shared", tags=[],
        )
        # Imported as written, even if the target is gone here: it will show as orphaned, not vanish.
        _apply(note, draft, draft.target)
        for r_index, revision in enumerate(item.get("revisions") or []):
            r_where = f"{where}.revisions[{r_index}]"
            if not isinstance(revision, Mapping):
                raise Invalid(f"{r_where} must be an object", r_where)
            note.revisions.append(AnnotationRevision(
                version=_int(revision.get("version"), f"{r_where}.version"),
                action=_text(revision.get("action"), f"{r_where}.action", 10),
                editor_name=_text(revision.get("editor"), f"{r_where}.editor", 64),
                at=_parse_time(revision.get("at"), f"{r_where}.at"),
                snapshot=json.dumps(revision.get("snapshot"), ensure_ascii=False, sort_keys=True),
            ))
        note.revisions.append(AnnotationRevision(version=version, action="import", editor_name=imported_by, at=now,
                                                 snapshot=_snapshot(note)))
        session.add(note)
        session.flush()
        # The ORM numbers versions from 1 on INSERT; keep the file's version (a Core UPDATE is not versioned).
        session.execute(sql_update(Annotation).where(Annotation.id == note_id).values(version=version))
        session.expire(note, ["version"])
        report.created += 1
    return report



# --- What the pages show ----------------------------------------------------------

def view_model(note: Annotation, caller: Caller, anchor: Anchor | None = None) -> dict[str, Any]:
    """A note as templates show it: sanitised HTML, who and when, and what the caller may do."""
    return {
        "id": note.id, "html": render_markdown(note.body), "body": note.body, "tags": [t.tag for t in note.tags],
        "creator": note.creator_name, "created": note.created, "modified": note.modified,
        "version": note.version, "visibility": note.visibility, "deleted": note.deleted_at is not None,
        "target_kind": note.target_kind, "target_id": note.target_id, "exact": note.exact,
        "anchor": anchor.status if anchor else None,
        "start": anchor.start if anchor else note.start, "end": anchor.end if anchor else note.end,
        "can_change": can_change(caller, note),
    }


def view_models(session: Session, caller: Caller, found: Iterable[Annotation],
                where: Mapping[str, Anchor] | None = None) -> list[dict[str, Any]]:
    """Notes as templates show them, with their anchors (computed unless given) and who last
    changed the text."""
    found = list(found)
    where = anchors(session, found) if where is None else where
    edits: dict[str, tuple[int, str]] = {}  # note → (text edits, who made the last one)
    if found:
        rows = session.execute(
            select(AnnotationRevision.annotation_id, AnnotationRevision.editor_name)
            .where(AnnotationRevision.annotation_id.in_([n.id for n in found]), AnnotationRevision.action == "update")
            .order_by(AnnotationRevision.annotation_id, AnnotationRevision.version)
        )
        for note_id, editor in rows:
            edits[note_id] = (edits.get(note_id, (0, ""))[0] + 1, editor)
    views = []
    for note in found:
        view = view_model(note, caller, where[note.id])
        view["edits"], view["last_editor"] = edits.get(note.id, (0, None))
        views.append(view)
    return views


def _target_labels(session: Session, found: list[Annotation]) -> dict[tuple[str, str], str]:
    wanted: dict[str, set[str]] = {}
    for note in found:
        wanted.setdefault(note.target_kind, set()).add(note.target_id)
    labels: dict[tuple[str, str], str] = {}
    if wanted.get("actor"):
        for ident, name in session.execute(select(Actor.id, Actor.name).where(Actor.id.in_(wanted["actor"]))):
            labels[("actor", ident)] = name
    if wanted.get("event"):
        for ident, title in session.execute(select(Event.id, Event.title).where(Event.id.in_(wanted["event"]))):
            labels[("event", ident)] = title
    if wanted.get("source"):
        for ident, title in session.execute(select(Source.id, Source.title).where(Source.id.in_(wanted["source"]))):
            labels[("source", ident)] = title
    if wanted.get("relation"):
        names = dict(session.execute(select(Actor.id, Actor.name)).all())
        rows = session.execute(select(Relation.id, Relation.source_id, Relation.type, Relation.target_id)
                               .where(Relation.id.in_(wanted["relation"])))
        for ident, a, kind, b in rows:
            labels[("relation", ident)] = f"{names.get(a, a)} — {kind.replace('_', ' ')} — {names.get(b, b)}"
    return labels


def index(session: Session, caller: Caller, *, tag: str | None = None, orphaned: bool = False) -> list[dict[str, Any]]:
    """Every note the caller may see, newest first, each with what it is about (orphans included)."""
    query = visible_query(caller).order_by(None).order_by(Annotation.modified.desc(), Annotation.id)
    if tag:
        query = query.where(Annotation.id.in_(select(AnnotationTag.annotation_id).where(AnnotationTag.tag == tag)))
    found = list(session.scalars(query))
    labels = _target_labels(session, found)
    rows = []
    for view in view_models(session, caller, found):
        if orphaned and view["anchor"] != "orphaned":
            continue
        view["target_label"] = labels.get((view["target_kind"], view["target_id"]))
        rows.append(view)
    return rows


def orphaned_count(session: Session) -> int:
    """How many live notes (any author) have lost their target: for reports after a dataset load."""
    found = list(session.scalars(select(Annotation).where(Annotation.deleted_at.is_(None))))
    return sum(1 for anchor in anchors(session, found).values() if anchor.status == "orphaned")
