"""The one filter of the whole app: graph, timeline, lists and analysis all narrow data here.

``ViewFilter.from_args`` parses query parameters (a bad one raises
``FilterError`` naming it); ``check_exists`` verifies the ids it names;
``relation_conditions`` / ``event_conditions`` turn it into SQL; ``ego``
narrows an edge list to a focus actor's neighbourhood.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, and_, distinct, exists, func, or_, select
from sqlalchemy.orm import Session

from ..dates import DateError, PartialDate
from ..inputs import whole_number
from ..models import (
    CONFIDENCES, VOICES, Actor, Bloc, Dataset, Event, EventActor, EventEvidence, Passage, Relation, RelationEvidence,
    Source,
)
from ..datasets.vocabulary import BUILTIN_RELATION_TYPES
from ..models import RelationType

MAX_DEPTH = 3
MAX_SOURCES = 1000
_DATE = {"type": "string", "pattern": r"^\d{4}(-\d{2}(-\d{2})?)?$"}
_IDS = {"type": "string", "description": "ids, comma-separated (or the parameter repeated)"}
# The one filter's query parameters, declared once: the parser below reads exactly these, and the API's
# OpenAPI document describes them from here.
PARAMETER_SCHEMAS: dict[str, dict[str, Any]] = {
    "at": {**_DATE, "examples": ["2015-09-27"],
           "description": "what holds on that date (a partial date covers its period)"},
    "from": {**_DATE, "description": "the start of a time window (with 'to'; not with 'at')"},
    "to": {**_DATE, "description": "the end of a time window"},
    "types": {**_IDS, "examples": ["intelligence_sharing,alliance"], "description": "relation types, comma-separated"},
    "blocs": {**_IDS, "examples": ["axis"], "description": "blocs, comma-separated: relations between their actors"},
    "source": {"type": "string", "examples": ["pjtatler-2015-09-27-iraq-intel"],
               "description": "only what this source's passages support"},
    "focus": {"type": "string", "examples": ["iraq"], "description": "an actor id: its neighbourhood only"},
    "depth": {"type": "integer", "minimum": 1, "maximum": MAX_DEPTH, "description": "steps from 'focus'"},
    "min_confidence": {"enum": list(CONFIDENCES)},
    "min_sources": {"type": "integer", "minimum": 1, "maximum": MAX_SOURCES,
                    "description": "only claims backed by at least this many independent sources "
                                   "(a republication counts with its original)"},
    "voice": {"type": "string", "examples": ["report", "quote,opinion"],
              "description": f"only evidence in these voices ({', '.join(VOICES)}), comma-separated"},
    "speaker": {"type": "string", "examples": ["kerry"],
                "description": "an actor id: only evidence this actor is quoted or reported as saying"},
    "dataset": {"type": "string", "examples": ["iraq-intel-2015"], "description": "a dataset id"},
    "include_isolated": {"enum": ["0", "1", "true", "false", "yes", "no"]},
}
PARAMETERS = tuple(PARAMETER_SCHEMAS)
# A source as it counts towards independent sources: a republication as its original.
ORIGINAL = func.coalesce(Source.republished_from, Source.id)


class FilterError(ValueError):
    """A query parameter that cannot be used; ``parameter`` names it."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(message)
        self.parameter = parameter
        self.message = message


def parse_date(args: Mapping[str, str], name: str) -> PartialDate | None:
    """The date parameter ``name`` (None when absent); a bad one raises FilterError naming it."""
    raw = args.get(name)
    if raw is None or raw.strip() == "":
        return None
    try:
        return PartialDate.parse(raw.strip())
    except DateError as error:
        raise FilterError(name, f"'{name}': {error}") from None


def _list(args: Mapping[str, str], name: str) -> tuple[str, ...]:
    """``a,b`` or repeated parameters (``types=a&types=b``, as a form's checkboxes send them)."""
    getlist = getattr(args, "getlist", None)
    values = getlist(name) if getlist else [args.get(name) or ""]
    items = (item.strip() for value in values for item in value.split(","))
    return tuple(dict.fromkeys(item for item in items if item))


_LISTS = ("types", "blocs", "voice")


def _text(args: Mapping[str, str], name: str) -> str | None:
    raw = (args.get(name) or "").strip()
    return raw or None


@dataclass(frozen=True)
class ViewFilter:
    at: PartialDate | None = None
    date_from: PartialDate | None = None
    date_to: PartialDate | None = None
    types: tuple[str, ...] = ()
    blocs: tuple[str, ...] = ()
    source: str | None = None
    focus: str | None = None
    depth: int = 1
    min_confidence: str | None = None
    min_sources: int | None = None
    voices: tuple[str, ...] = ()
    speaker: str | None = None
    dataset: str | None = None
    include_isolated: bool = False
    # Kept for messages and cache keys: the parameters as given.
    raw: tuple[tuple[str, str], ...] = field(default=(), compare=False)

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> ViewFilter:
        """Parse query parameters; raise FilterError naming the first bad one."""
        at = parse_date(args, "at")
        date_from, date_to = parse_date(args, "from"), parse_date(args, "to")
        if at is not None and (date_from is not None or date_to is not None):
            raise FilterError("at", "give either 'at' or 'from'/'to', not both")
        if date_from is not None and date_to is not None and date_to.last < date_from.first:
            raise FilterError("to", f"'to' ({date_to}) is before 'from' ({date_from})")

        depth_raw = _text(args, "depth")
        depth = 1
        if depth_raw is not None:
            number = whole_number(depth_raw, 1, MAX_DEPTH)
            if number is None:
                raise FilterError("depth", f"'depth' must be a whole number from 1 to {MAX_DEPTH}, not {depth_raw!r}")
            depth = number
        focus = _text(args, "focus")
        if depth_raw is not None and focus is None:
            raise FilterError("depth", "'depth' needs 'focus' (the actor at the centre)")

        confidence = _text(args, "min_confidence")
        if confidence is not None and confidence not in CONFIDENCES:
            raise FilterError("min_confidence",
                              f"'min_confidence' must be one of {', '.join(CONFIDENCES)}, not {confidence!r}")

        sources_raw = _text(args, "min_sources")
        min_sources = None
        if sources_raw is not None:
            min_sources = whole_number(sources_raw, 1, MAX_SOURCES)
            if min_sources is None:
                raise FilterError("min_sources",
                                  f"'min_sources' must be a whole number from 1 to {MAX_SOURCES}, not {sources_raw!r}")
        voices = _list(args, "voice")
        unknown = [v for v in voices if v not in VOICES]
        if unknown:
            raise FilterError("voice",
                              f"'voice' must be among {', '.join(VOICES)}, not {', '.join(map(repr, unknown))}")

        isolated_raw = (_text(args, "include_isolated") or "0").lower()
        if isolated_raw not in ("0", "1", "true", "false", "yes", "no"):
            raise FilterError("include_isolated", f"'include_isolated' must be 1 or 0, not {isolated_raw!r}")

        return cls(
            at=at, date_from=date_from, date_to=date_to,
            types=_list(args, "types"), blocs=_list(args, "blocs"), source=_text(args, "source"),
            focus=focus, depth=depth, min_confidence=confidence, dataset=_text(args, "dataset"),
            min_sources=min_sources, voices=voices, speaker=_text(args, "speaker"),
            include_isolated=isolated_raw in ("1", "true", "yes"),
            raw=tuple(sorted((k, ",".join(_list(args, k)) if k in _LISTS else args[k])
                             for k in PARAMETERS if args.get(k))),
        )

    @property
    def is_timed(self) -> bool:
        return self.at is not None or self.date_from is not None or self.date_to is not None

    def window(self) -> tuple[Any, Any]:
        """The (first, last) days the time filter covers; either may be None (open)."""
        if self.at is not None:
            return self.at.first, self.at.last
        return (
            self.date_from.first if self.date_from else None,
            self.date_to.last if self.date_to else None,
        )

    def query(self) -> dict[str, str]:
        """The filter as query parameters (for links and cache keys)."""
        return dict(self.raw)

    def cache_key(self) -> str:
        return "&".join(f"{k}={v}" for k, v in self.raw)

    # --- SQL -----------------------------------------------------------------

    @property
    def sifts_evidence(self) -> bool:
        """Whether only some of a claim's evidence counts (one source, voice or speaker)."""
        return bool(self.source or self.voices or self.speaker)

    def passage_conditions(self) -> list[ColumnElement[bool]]:
        """The evidence that counts: of the chosen source, in the chosen voices, by the chosen speaker."""
        conditions: list[ColumnElement[bool]] = []
        if self.source:
            conditions.append(Passage.source_id == self.source)
        if self.voices:
            conditions.append(Passage.voice.in_(self.voices))
        if self.speaker:
            conditions.append(Passage.speaker_id == self.speaker)
        return conditions

    def _backed(self, owner: Any, passage: Any, record_id: Any) -> ColumnElement[bool] | None:
        """A claim is kept when some of its evidence counts and, with ``min_sources``, when the evidence that
        counts comes from that many independent sources."""
        if self.min_sources is None:
            if not self.sifts_evidence:
                return None
            return exists(select(owner).join(Passage, Passage.id == passage)
                          .where(owner == record_id, *self.passage_conditions()))
        independent = (
            select(func.count(distinct(ORIGINAL))).select_from(owner.table)
            .join(Passage, Passage.id == passage)
            .join(Source, Source.id == Passage.source_id)
            .where(owner == record_id, *self.passage_conditions())
            .scalar_subquery()
        )
        return independent >= self.min_sources

    def relation_conditions(self) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = []
        if self.dataset:
            conditions.append(Relation.dataset_id == self.dataset)
        if self.is_timed:
            first, last = self.window()
            if last is not None:
                conditions.append(or_(Relation.start_first.is_(None), Relation.start_first <= last))
            if first is not None:
                conditions.append(or_(Relation.end_last.is_(None), Relation.end_last >= first))
        if self.types:
            conditions.append(Relation.type.in_(self.types))
        if self.blocs:
            in_blocs = select(Actor.id).where(Actor.bloc_id.in_(self.blocs))
            conditions.append(and_(Relation.source_id.in_(in_blocs), Relation.target_id.in_(in_blocs)))
        backed = self._backed(RelationEvidence.relation_id, RelationEvidence.passage_id, Relation.id)
        if backed is not None:
            conditions.append(backed)
        if self.min_confidence:
            allowed = CONFIDENCES[CONFIDENCES.index(self.min_confidence):]
            conditions.append(Relation.confidence.in_(allowed))
        return conditions

    def event_conditions(self) -> list[ColumnElement[bool]]:
        """Events: ``at`` keeps what had begun by then; a window keeps what overlaps it."""
        conditions: list[ColumnElement[bool]] = []
        if self.dataset:
            conditions.append(Event.dataset_id == self.dataset)
        if self.at is not None:
            conditions.append(Event.date_first <= self.at.last)
        elif self.is_timed:
            first, last = self.window()
            if last is not None:
                conditions.append(Event.date_first <= last)
            if first is not None:
                conditions.append(func.coalesce(Event.end_last, Event.date_last) >= first)
        if self.blocs:
            conditions.append(exists(
                select(EventActor.event_id).join(Actor, Actor.id == EventActor.actor_id)
                .where(EventActor.event_id == Event.id, Actor.bloc_id.in_(self.blocs))
            ))
        backed = self._backed(EventEvidence.event_id, EventEvidence.passage_id, Event.id)
        if backed is not None:
            conditions.append(backed)
        return conditions

    def actor_conditions(self) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = []
        if self.dataset:
            conditions.append(Actor.dataset_id == self.dataset)
        if self.blocs:
            conditions.append(Actor.bloc_id.in_(self.blocs))
        return conditions

    # --- Ego network ---------------------------------------------------------

    def ego(self, edges: Iterable[tuple[str, str]]) -> set[str] | None:
        """The actors within ``depth`` steps of ``focus`` over the given edges (None without focus)."""
        if self.focus is None:
            return None
        neighbours: dict[str, set[str]] = {}
        for a, b in edges:
            neighbours.setdefault(a, set()).add(b)
            neighbours.setdefault(b, set()).add(a)
        reached = {self.focus: 0}
        queue = deque([self.focus])
        while queue:
            actor = queue.popleft()
            if reached[actor] == self.depth:
                continue
            for other in neighbours.get(actor, ()):
                if other not in reached:
                    reached[other] = reached[actor] + 1
                    queue.append(other)
        return set(reached)


def check_exists(session: Session, view: ViewFilter) -> None:
    """Raise FilterError for an id the filter names that the database does not have."""
    checks: list[tuple[str, Any, Iterable[str]]] = [
        ("dataset", Dataset, [view.dataset] if view.dataset else []),
        ("blocs", Bloc, view.blocs),
        ("source", Source, [view.source] if view.source else []),
        ("focus", Actor, [view.focus] if view.focus else []),
        ("speaker", Actor, [view.speaker] if view.speaker else []),
    ]
    for parameter, model, ids in checks:
        ids = list(ids)
        if not ids:
            continue
        found = set(session.scalars(select(model.id).where(model.id.in_(ids))))
        missing = [i for i in ids if i not in found]
        if missing:
            raise FilterError(parameter,
                              f"'{parameter}': unknown {model.__tablename__[:-1]} {', '.join(map(repr, missing))}")
    if view.types:
        known = set(BUILTIN_RELATION_TYPES) | set(session.scalars(select(RelationType.id)))
        missing = [t for t in view.types if t not in known]
        if missing:
            raise FilterError("types", f"'types': unknown relation type {', '.join(map(repr, missing))}")


def parse(session: Session, args: Mapping[str, str]) -> ViewFilter:
    """Parse and check a filter from query parameters."""
    view = ViewFilter.from_args(args)
    check_exists(session, view)
    return view
