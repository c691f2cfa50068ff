"""Reading and validating a dataset directory (SPEC §3).

``read_dataset`` never stops at the first problem: it reads every file, checks
every item, and returns the dataset together with *all* problems found, each
tied to a file and line. A dataset with any problem must not be loaded.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from ..text import match as textmatch
from ..dates import DateError, PartialDate
from ..models import ACTOR_KINDS, CONFIDENCES, VOICES
from . import fields, yamlio
from .files import FileRefused, read_text
from .vocabulary import BUILTIN_RELATION_TYPES

ID_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9_-]{0,98}[a-z0-9])?$")
TYPE_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,98}$")
COLOR_PATTERN = re.compile(r"^#[0-9a-fA-F]{6}$")
COUNTRY_PATTERN = re.compile(r"^[A-Z]{3}$")
# The longest text a field may hold (names and titles have their own, smaller limits).
MAX_TEXT = 65_536
MAX_NAME = 200
SOURCE_FIELDS = frozenset({"id", "title", "publisher", "author", "url", "published", "inferred", "language"})


@dataclass(frozen=True, order=True)
class Problem:
    file: str
    line: int
    message: str
    # The field at fault, as a path into the record ("evidence[1].quote"), when one is.
    key: str | None = field(default=None, compare=False)

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


@dataclass(slots=True)  # a dataset holds tens of thousands
class EvidenceSpec:
    source_id: str
    start: int
    end: int
    exact: str
    prefix: str
    suffix: str
    voice: str
    speaker_id: str | None
    where: tuple[str, int]


@dataclass
class BlocSpec:
    id: str
    name: str
    color: str
    description: str


@dataclass
class TypeSpec:
    id: str
    label: str
    sign: int
    directed: bool


@dataclass
class SourceSpec:
    id: str
    filename: str
    title: str
    publisher: str | None
    author: str | None
    url: str | None
    published: PartialDate | None
    published_inferred: str | None
    language: str
    text: str


@dataclass(slots=True)
class ActorSpec:
    id: str
    name: str
    kind: str
    bloc_id: str | None
    aliases: list[str]
    description: str
    country: str | None
    affiliation_id: str | None


@dataclass(slots=True)
class RelationSpec:
    id: str
    source_id: str
    target_id: str
    type: str
    sign: int
    directed: bool
    start: PartialDate | None
    end: PartialDate | None
    start_inferred: str | None
    end_inferred: str | None
    confidence: str
    summary: str
    evidence: list[EvidenceSpec]


@dataclass(slots=True)
class EventSpec:
    id: str
    date: PartialDate
    end: PartialDate | None
    start_inferred: str | None
    end_inferred: str | None
    title: str
    actor_ids: list[str]
    summary: str
    evidence: list[EvidenceSpec]


@dataclass
class DatasetSpec:
    id: str
    title: str
    description: str
    blocs: list[BlocSpec] = field(default_factory=list)
    relation_types: list[TypeSpec] = field(default_factory=list)
    # Names in its articles that curators decided are not actors (the candidate list leaves them out).
    ignored_names: list[str] = field(default_factory=list)
    sources: list[SourceSpec] = field(default_factory=list)
    actors: list[ActorSpec] = field(default_factory=list)
    relations: list[RelationSpec] = field(default_factory=list)
    events: list[EventSpec] = field(default_factory=list)
    # Where each id was declared, for problems found later (e.g. id collisions in the database).
    locations: dict[tuple[str, str], tuple[str, int]] = field(default_factory=dict)

    def evidence_items(self) -> list[EvidenceSpec]:
        """Every evidence item of every relation and event."""
        return [e for r in self.relations for e in r.evidence] + [e for ev in self.events for e in ev.evidence]

    def type_defaults(self) -> dict[str, TypeSpec]:
        defaults = {k.id: TypeSpec(k.id, k.label, k.sign, k.directed) for k in BUILTIN_RELATION_TYPES.values()}
        defaults.update({t.id: t for t in self.relation_types})
        return defaults


class _Item:
    """One mapping of a file under validation: typed field access that records problems."""

    def __init__(self, reader: _Reader, file: str, data: yamlio.Mapping, what: str,
                 allowed: set[str] | frozenset[str], path: str = "") -> None:
        self.reader, self.file, self.data, self.what = reader, file, data, what
        self.path = path
        for key in data:
            if key not in allowed:
                self.problem(key, f"unknown field '{key}' in {what} (allowed: {', '.join(sorted(allowed))})")

    @property
    def line(self) -> int:
        return self.data.line

    def field(self, key: str | None) -> str | None:
        """The path of a field of this item, for problems."""
        if key is None:
            return self.path or None
        return f"{self.path}.{key}" if self.path else key

    def problem(self, key: str | None, message: str, *, field: str | None = None) -> None:
        line = self.data.line_of(key) if key else self.data.line
        self.reader.problem(self.file, line, message, field or self.field(key))

    def text(self, key: str, *, required: bool = False, default: str | None = None,
             max_length: int = MAX_TEXT) -> str | None:
        value = self.data.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.problem(None, f"{self.what} is missing the required field '{key}'", field=self.field(key))
            return default
        if isinstance(value, (dict, list)) or isinstance(value, bool):
            self.problem(key, f"'{key}' must be text, not {type(value).__name__}")
            return default
        text = str(value).strip() if not isinstance(value, str) else value.strip()
        if "\x00" in text:
            self.problem(key, f"'{key}' contains a NUL character")
            return default
        if len(text) > max_length:
            self.problem(key, f"'{key}' is {len(text):,} characters long; at most {max_length:,} are allowed")
            return default
        return text

    def ident(self, key: str, *, required: bool = True, pattern: re.Pattern[str] = ID_PATTERN) -> str | None:
        value = self.text(key, required=required)
        if value is not None and not pattern.match(value):
            self.problem(key, f"'{key}' {value!r} is not a valid id (lowercase letters, digits, '-' or '_')")
            return None
        return value

    def date(self, key: str, *, required: bool = False) -> PartialDate | None:
        value = self.data.get(key)
        if value is None:
            if required:
                self.problem(None, f"{self.what} is missing the required field '{key}'", field=self.field(key))
            return None
        try:
            return PartialDate.parse(value)
        except DateError as error:
            self.problem(key, f"bad date in '{key}': {error}")
            return None

    def choice(self, key: str, choices: tuple[str, ...], *, default: str | None = None) -> str | None:
        value = self.text(key, required=default is None)
        if value is None:
            return default
        if value not in choices:
            self.problem(key, f"'{key}' must be one of {', '.join(choices)}, not {value!r}")
            return default
        return choices[choices.index(value)]  # the one string, not the parser's copy

    def boolean(self, key: str) -> bool | None:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, bool):
            self.problem(key, f"'{key}' must be true or false, not {value!r}")
            return None
        return value

    def sign(self, key: str) -> int | None:
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or value not in (-1, 0, 1):
            self.problem(key, f"'{key}' must be 1 (cooperative), -1 (adversarial) or 0 (structural), not {value!r}")
            return None
        return int(value)

    def sequence(self, key: str, *, required: bool = False) -> yamlio.Sequence:
        value = self.data.get(key)
        if value is None:
            if required:
                self.problem(None, f"{self.what} is missing the required field '{key}'", field=self.field(key))
            return _empty_sequence(self.data.line)
        if not isinstance(value, yamlio.Sequence):
            self.problem(key, f"'{key}' must be a list")
            return _empty_sequence(self.data.line)
        return value


def _empty_sequence(line: int) -> yamlio.Sequence:
    empty = yamlio.Sequence()
    empty.line, empty.item_lines = line, []
    return empty


class _Reader:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.root = directory.resolve()  # links may point anywhere inside it, and nowhere else
        self.problems: list[Problem] = []

    def problem(self, file: str, line: int, message: str, key: str | None = None) -> None:
        self.problems.append(Problem(file, line, message, key))

    def path(self, name: str) -> str:
        return str(self.directory / name)

    def load_yaml(self, name: str, *, required: bool = True) -> Any:
        text = self.yaml_text(name, required=required)
        if text is None:
            return None
        data, problems = yamlio.parse(text)
        for yaml_problem in problems:
            self.problem(self.path(name), yaml_problem.line, yaml_problem.message)
        return data

    def yaml_text(self, name: str, *, required: bool) -> str | None:
        """The text of one of the dataset's YAML files, or None (and a problem, if it is required or refused)."""
        file = self.path(name)
        path = self.directory / name
        if not os.path.lexists(path):
            if required:
                self.problem(file, 1, f"missing file: a dataset needs {name}")
            return None
        return self.read(path, file)

    def check_items(self, name: str, what: str, check: Callable[[yamlio.Mapping, str], None], *,
                    required: bool = True) -> bool:
        """Check each mapping of a top-level list file as the parser finishes it (``check(item, file)``),
        so that the values of one entry, not of the whole file, are alive at a time.

        The problems are those of ``load_yaml`` and ``items``: when the YAML cannot be read to its end,
        that is the file's one problem — what ``check`` found in the entries before is withdrawn — and
        False says the caller must drop what it kept of them.
        """
        text = self.yaml_text(name, required=required)
        if text is None:
            return False
        file = self.path(name)
        items = yamlio.Items(text)
        first = len(self.problems)
        for line, item in items:
            if isinstance(item, yamlio.Mapping):
                check(item, file)
            else:
                self.problem(file, line, f"each entry of {name} must be a mapping describing one {what}")
        if items.failed:
            del self.problems[first:]
        for yaml_problem in items.problems:
            self.problem(file, yaml_problem.line, yaml_problem.message)
        if items.root is not None and not isinstance(items.root, yamlio.Sequence):
            self.problem(file, getattr(items.root, "line", 1), f"{name} must be a list of {what}s")
        return not items.failed

    def read(self, path: Path, file: str) -> str | None:
        """The text of one of the dataset's files, or None (and a problem) when it is refused."""
        try:
            return read_text(path, root=self.root)
        except FileRefused as refused:
            self.problem(file, refused.line, refused.message)
            return None

    def items(self, name: str, data: Any, what: str) -> list[tuple[yamlio.Mapping, str]]:
        """The mappings of a top-level list file, each checked to be a mapping."""
        file = self.path(name)
        if data is None:
            return []
        if not isinstance(data, yamlio.Sequence):
            self.problem(file, getattr(data, "line", 1), f"{name} must be a list of {what}s")
            return []
        result = []
        for line, item in zip(data.item_lines, data, strict=True):
            if not isinstance(item, yamlio.Mapping):
                self.problem(file, line, f"each entry of {name} must be a mapping describing one {what}")
            else:
                result.append((item, file))
        return result


def _claim(seen: dict[str, tuple[str, int]], reader: _Reader, kind: str, ident: str, file: str, line: int) -> bool:
    """Record an id; report a duplicate. Returns True when the id is new."""
    if ident in seen:
        first_file, first_line = seen[ident]
        where = f"line {first_line}" if first_file == file else f"{first_file}:{first_line}"
        reader.problem(file, line, f"duplicate {kind} id '{ident}' (first defined at {where})")
        return False
    seen[ident] = (file, line)
    return True


def read_dataset(directory: str | Path) -> tuple[DatasetSpec | None, list[Problem]]:
    """Read and validate a dataset directory; return it with every problem found (sorted)."""
    reader = _Reader(Path(directory))
    if not reader.directory.is_dir():
        reader.problem(str(reader.directory), 0, "not a directory")
        return None, reader.problems

    spec = _read_header(reader)
    type_defaults = spec.type_defaults()
    bloc_ids = {bloc.id for bloc in spec.blocs}
    _read_sources(reader, spec)
    sources = {source.id: source for source in spec.sources}
    actor_ids = _read_actors(reader, spec, bloc_ids)
    context = RecordContext(bloc_ids, actor_ids, type_defaults, sources)
    _read_relations(reader, spec, context)
    _read_events(reader, spec, context)
    _check_passage_consistency(reader, spec)
    reader.problems.sort()
    return spec, reader.problems


def _read_header(reader: _Reader) -> DatasetSpec:
    name = "dataset.yaml"
    file = reader.path(name)
    data = reader.load_yaml(name)
    spec = DatasetSpec(id=reader.directory.name, title=reader.directory.name, description="")
    if data is None:
        return spec
    if not isinstance(data, yamlio.Mapping):
        reader.problem(file, getattr(data, "line", 1), "dataset.yaml must be a mapping with id, title, blocs")
        return spec
    item = _Item(reader, file, data, "the dataset",
                 {"id", "title", "description", "blocs", "relation_types", "ignored_names"})
    spec.id = item.ident("id") or spec.id
    spec.title = item.text("title", required=True, max_length=300) or spec.title
    spec.description = item.text("description", default="") or ""
    spec.locations[("dataset", spec.id)] = (file, item.data.line_of("id"))

    seen: dict[str, tuple[str, int]] = {}
    for line, raw in zip(*_lines_and_items(item.sequence("blocs")), strict=True):
        if not isinstance(raw, yamlio.Mapping):
            reader.problem(file, line, "each bloc must be a mapping with id, name, color")
            continue
        item_ = _Item(reader, file, raw, "a bloc", BLOC_FIELDS)
        bloc_id, bloc = _check_bloc(item_)
        if bloc_id and _claim(seen, reader, "bloc", bloc_id, file, item_.line):
            spec.locations[("bloc", bloc_id)] = (file, item_.line)
            if bloc is not None:
                spec.blocs.append(bloc)

    for line, name in zip(*_lines_and_items(item.sequence("ignored_names")), strict=True):
        if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME or "\x00" in name:
            reader.problem(file, line, f"ignored name {name!r} must be a non-empty text of at most {MAX_NAME} "
                                       "characters")
        elif name.strip() not in spec.ignored_names:
            spec.ignored_names.append(name.strip())

    seen_types: dict[str, tuple[str, int]] = {}
    for line, raw in zip(*_lines_and_items(item.sequence("relation_types")), strict=True):
        if not isinstance(raw, yamlio.Mapping):
            reader.problem(file, line, "each relation type must be a mapping with id, label, sign, directed")
            continue
        kind = _Item(reader, file, raw, "a relation type", {"id", "label", "sign", "directed"})
        type_id = kind.ident("id", pattern=TYPE_PATTERN)
        label = kind.text("label", required=True, max_length=MAX_NAME)
        sign = kind.sign("sign")
        if "sign" not in raw:
            kind.problem(None, "a relation type is missing the required field 'sign'")
        directed = kind.boolean("directed")
        if type_id in BUILTIN_RELATION_TYPES:
            kind.problem("id", f"relation type '{type_id}' is built in; choose another id")
            continue
        if type_id and _claim(seen_types, reader, "relation type", type_id, file, kind.line):
            if label and sign is not None:
                spec.relation_types.append(TypeSpec(type_id, label, sign, bool(directed)))
    return spec


def _lines_and_items(sequence: yamlio.Sequence) -> tuple[list[int], list[Any]]:
    return sequence.item_lines, list(sequence)


def _read_sources(reader: _Reader, spec: DatasetSpec) -> None:
    folder = reader.directory / "sources"
    files = sorted(folder.glob("*.md")) if folder.is_dir() else []
    if not files:
        reader.problem(reader.path("sources"), 0, "a dataset needs at least one source in sources/*.md")
    seen: dict[str, tuple[str, int]] = {}
    for path in files:
        file = reader.path(f"sources/{path.name}")
        raw_text = reader.read(path, file)
        if raw_text is None:
            continue
        front, body, offset = yamlio.split_front_matter(raw_text)
        if front is None:
            reader.problem(file, 1, "missing YAML front matter (the file must start with a '---' line)")
            continue
        data, problems = yamlio.parse(front, line_offset=offset)
        for problem in problems:
            reader.problem(file, problem.line, problem.message)
        if data is None and problems:
            continue
        if not isinstance(data, yamlio.Mapping):
            reader.problem(file, 1, "the front matter must be a mapping with title, publisher, published")
            continue
        source_id, source = _read_source(reader, file, data, body, default_id=path.stem, filename=path.name)
        if source_id is None:
            continue
        if _claim(seen, reader, "source", source_id, file, data.line_of("id")) and source:
            spec.locations[("source", source_id)] = (file, data.line_of("id"))
            spec.sources.append(source)


def _read_source(
    reader: _Reader, file: str, data: yamlio.Mapping, body: str, *, default_id: str, filename: str
) -> tuple[str | None, SourceSpec | None]:
    """One source's front matter and text: its id (None if unusable) and its spec (None if incomplete)."""
    item = _Item(reader, file, data, "a source", SOURCE_FIELDS)
    source_id = item.ident("id", required=False) or default_id
    if not ID_PATTERN.match(source_id):
        reader.problem(file, 1, f"source id {source_id!r} (from the file name) is not a valid id")
        return None, None
    title = item.text("title", required=True, max_length=500)
    published = item.date("published")
    url = item.text("url", max_length=2000)
    if url is not None and not is_web_address(url):
        item.problem("url", f"'url' must be an http(s) address, not {_short(url, 60)!r}")
        url = None
    if not body.strip():
        reader.problem(file, data.line, "the source has no text after its front matter")
    if not title:
        return source_id, None
    return source_id, SourceSpec(
        id=source_id,
        filename=filename,
        title=title,
        publisher=item.text("publisher", max_length=300),
        author=item.text("author", max_length=300),
        url=url,
        published=published,
        published_inferred=item.text("inferred"),
        language=item.text("language", default="en", max_length=20) or "en",
        text=body,
    )


def is_web_address(url: str) -> bool:
    """Whether ``url`` is an absolute http(s) address: the only kind a source may link to."""
    if any(character.isspace() or not character.isprintable() for character in url):
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def read_source(
    file: str, data: yamlio.Mapping, body: str, *, default_id: str, filename: str
) -> tuple[SourceSpec | None, list[Problem]]:
    """Check one source by the rules of a dataset's sources/*.md; the spec is None if there is any problem."""
    reader = _Reader(Path(file).parent)
    _source_id, source = _read_source(reader, file, data, body, default_id=default_id, filename=filename)
    reader.problems.sort()
    return (None if reader.problems else source), reader.problems


@dataclass
class RecordContext:
    """What one record is checked against: the ids, types and source texts of its dataset.

    The file reader builds it from the files; the app's edit services build it
    from the database, so a record is held to the same rules wherever it comes from.
    """

    bloc_ids: set[str]
    actor_ids: set[str]
    types: dict[str, TypeSpec]
    sources: SourceTexts
    # Each source's text folded for matching, once (a dataset cites each article thousands of times).
    folded: dict[str, textmatch.FoldedText] = field(default_factory=dict)
    # One string object per id and choice, however many records name it (50,000 relations name
    # 5,000 actors 100,000 times: the parser makes a string of each).
    strings: dict[str, str] = field(default_factory=dict)

    def shared(self, value: str) -> str:
        return self.strings.setdefault(value, value)


class SourceTexts(Protocol):
    def get(self, source_id: str, /) -> HasText | None: ...


class HasText(Protocol):
    @property
    def text(self) -> str: ...


# The keys each record allows, from the one declaration of the records' fields (``fields``).
ACTOR_FIELDS = frozenset(fields.ACTOR)
BLOC_FIELDS = frozenset(fields.BLOC)
# A date's provenance, per bound: why it is inferred rather than stated by the sources ("inferred" gives
# one reason for both bounds, as older files do).
DATE_REASON_FIELDS = frozenset(fields.DATE_REASONS)
RELATION_FIELDS = frozenset(fields.RELATION)
EVENT_FIELDS = frozenset(fields.EVENT)
EVIDENCE_FIELDS = frozenset(fields.EVIDENCE)


def _check_bloc(item: _Item) -> tuple[str | None, BlocSpec | None]:
    bloc_id = item.ident("id")
    name_ = item.text("name", required=True, max_length=MAX_NAME)
    color = item.text("color", required=True)
    if color is not None and not COLOR_PATTERN.match(color):
        item.problem("color", f"bloc colour {color!r} must be a hex colour like '#c0392b'")
        color = None
    if bloc_id and name_ and color:
        return bloc_id, BlocSpec(bloc_id, name_, color.lower(), item.text("description", default="") or "")
    return bloc_id, None


def _check_actor(item: _Item, context: RecordContext) -> tuple[str | None, ActorSpec | None]:
    reader, file = item.reader, item.file
    actor_id = item.ident("id")
    actor_name = item.text("name", required=True, max_length=MAX_NAME)
    kind = item.choice("kind", ACTOR_KINDS)
    bloc = item.text("bloc")
    if bloc is not None and bloc not in context.bloc_ids:
        declared = ", ".join(sorted(context.bloc_ids)) or "none"
        item.problem("bloc", f"unknown bloc '{bloc}' (dataset.yaml declares: {declared})")
        bloc = None
    aliases: list[str] = []
    for index, (line, alias) in enumerate(zip(*_lines_and_items(item.sequence("aliases")), strict=True)):
        where = item.field(f"aliases[{index}]")
        if not isinstance(alias, str) or not alias.strip() or "\x00" in alias:
            reader.problem(file, line, f"alias {alias!r} must be a non-empty text", where)
        elif len(alias.strip()) > MAX_NAME:
            reader.problem(file, line, f"alias {alias[:40]!r}… is longer than {MAX_NAME} characters", where)
        elif alias.strip() in aliases:
            reader.problem(file, line, f"alias {alias!r} is listed twice", where)
        else:
            aliases.append(alias.strip())
    country = item.text("country")
    if country is not None and not COUNTRY_PATTERN.match(country):
        item.problem("country", f"country {country!r} must be an ISO 3166-1 alpha-3 code like 'IRQ'")
        country = None
    affiliation = item.text("affiliation")
    if affiliation is not None and (affiliation not in context.actor_ids or affiliation == actor_id):
        item.problem("affiliation", f"unknown actor '{affiliation}' in 'affiliation'")
        affiliation = None
    if actor_id and actor_name and kind:
        return actor_id, ActorSpec(
            id=actor_id, name=actor_name, kind=kind, bloc_id=bloc, aliases=aliases,
            description=item.text("description", default="") or "", country=country,
            affiliation_id=affiliation,
        )
    return actor_id, None


def _read_actors(reader: _Reader, spec: DatasetSpec, bloc_ids: set[str]) -> set[str]:
    name = "actors.yaml"
    data = reader.load_yaml(name)
    seen: dict[str, tuple[str, int]] = {}
    items = reader.items(name, data, "actor")
    # Affiliations may point forward: check them against every id the file declares.
    declared = {raw["id"].strip() for raw, _file in items if isinstance(raw.get("id"), str)}
    context = RecordContext(bloc_ids, declared, {}, {})
    for raw, file in items:
        item = _Item(reader, file, raw, "an actor", ACTOR_FIELDS)
        actor_id, actor = _check_actor(item, context)
        if actor_id and _claim(seen, reader, "actor", actor_id, file, item.line) and actor:
            spec.locations[("actor", actor_id)] = (file, item.line)
            spec.actors.append(actor)
    return set(seen)


def _read_evidence(owner: _Item, context: RecordContext) -> list[EvidenceSpec]:
    reader = owner.reader
    evidence: list[EvidenceSpec] = []
    items = owner.sequence("evidence", required=True)
    if "evidence" in owner.data and not items:
        owner.problem("evidence", f"{owner.what} needs at least one evidence item")
    for index, (line, raw) in enumerate(zip(*_lines_and_items(items), strict=True)):
        path = owner.field(f"evidence[{index}]") or ""
        if not isinstance(raw, yamlio.Mapping):
            reader.problem(owner.file, line, "each evidence item must be a mapping with source, quote, voice", path)
            continue
        item = _Item(reader, owner.file, raw, "an evidence item", EVIDENCE_FIELDS, path)
        spec = check_evidence(item, context)
        if spec is not None:
            evidence.append(spec)
    return evidence


def check_evidence(item: _Item, context: RecordContext) -> EvidenceSpec | None:
    """One evidence item: its source, its quote found in that source's text, voice and speaker."""
    raw = item.data
    source_id = item.text("source", required=True)
    quote = item.text("quote", required=True)
    voice = item.choice("voice", VOICES)
    speaker = item.text("speaker")
    if speaker is not None and speaker not in context.actor_ids:
        item.problem("speaker", f"unknown actor '{speaker}' as speaker")
    occurrence = raw.get("occurrence")
    if occurrence is not None and (isinstance(occurrence, bool) or not isinstance(occurrence, int) or occurrence < 1):
        item.problem("occurrence", f"'occurrence' must be a whole number from 1, not {occurrence!r}")
        occurrence = None
    if source_id is None or quote is None:
        return None
    source = context.sources.get(source_id)
    if source is None:
        item.problem("source", f"unknown source '{source_id}'")
        return None
    folded = context.folded.get(source_id)
    if folded is None:
        folded = context.folded[source_id] = textmatch.fold(source.text)
    spans = textmatch.find_all(source.text, quote, folded=folded)
    if not spans:
        item.problem("quote", f"quote not found in source '{source_id}': {_short(quote)!r}")
        return None
    if occurrence is None and len(spans) > 1:
        item.problem("quote", f"quote occurs {len(spans)} times in source '{source_id}': "
                              "add 'occurrence: N' to choose one")
        return None
    if occurrence is not None and occurrence > len(spans):
        item.problem("occurrence", f"occurrence {occurrence} asked, but the quote occurs only {len(spans)} time(s)")
        return None
    start, end = spans[(occurrence or 1) - 1]
    prefix, suffix = textmatch.context(source.text, start, end)
    if voice is None or (speaker is not None and speaker not in context.actor_ids):
        return None
    return EvidenceSpec(
        context.shared(source_id), start, end, source.text[start:end], prefix, suffix, voice,
        None if speaker is None else context.shared(speaker), (item.file, item.data.line),
    )


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _check_interval(item: _Item, start: PartialDate | None, end: PartialDate | None, end_key: str = "end") -> bool:
    if start is not None and end is not None and end.last < start.first:
        item.problem(end_key, f"'{end_key}' {end} is before the start {start}")
        return False
    return True


def _date_reasons(item: _Item, start: PartialDate | None, end: PartialDate | None,
                  start_key: str = "start") -> tuple[str | None, str | None]:
    """Why each bound is inferred (None: stated by the sources, or no bound)."""
    both = item.text("inferred")
    start_reason, end_reason = item.text("start_inferred"), item.text("end_inferred")
    if both is not None and (start_reason is not None or end_reason is not None):
        item.problem("inferred", "give either 'inferred' (one reason for both dates) or "
                                 "'start_inferred' / 'end_inferred', not both")
    if both is not None:
        # The reason of an undated record is kept with its start, so that it is never lost.
        return (both if start is not None or end is None else None), (both if end is not None else None)
    for key, reason, bound in (("start_inferred", start_reason, start), ("end_inferred", end_reason, end)):
        if reason is not None and bound is None:
            label = start_key if key == "start_inferred" else "end"
            item.problem(key, f"'{key}' explains a date, but '{label}' is not given")
    return start_reason, end_reason


def derived_relation_id(source: str, type_: str, target: str) -> str:
    return f"{source}-{type_.replace('_', '-')}-{target}"


def _check_relation(item: _Item, context: RecordContext) -> tuple[str | None, RelationSpec | None]:
    raw, actor_ids = item.data, context.actor_ids
    source_id = item.text("source", required=True)
    target_id = item.text("target", required=True)
    for key, actor in (("source", source_id), ("target", target_id)):
        if actor is not None and actor not in actor_ids:
            item.problem(key, f"unknown actor '{actor}' in '{key}'")
    if source_id is not None and source_id == target_id:
        item.problem("target", f"a relation needs two different actors ('{source_id}' on both ends)")
    type_id = item.text("type", required=True)
    kind = context.types.get(type_id) if type_id else None
    if type_id is not None and kind is None:
        item.problem("type", f"unknown relation type '{type_id}' (declare it under relation_types in dataset.yaml)")
    sign = item.sign("sign")
    directed = item.boolean("directed")
    start, end = item.date("start"), item.date("end")
    interval_ok = _check_interval(item, start, end)
    start_reason, end_reason = _date_reasons(item, start, end)
    confidence = item.choice("confidence", CONFIDENCES, default="medium")
    evidence = _read_evidence(item, context)
    relation_id = item.ident("id", required=False)
    if relation_id is None and "id" not in raw and source_id and target_id and type_id:
        relation_id = derived_relation_id(source_id, type_id, target_id)
    complete = (
        source_id in actor_ids and target_id in actor_ids and source_id != target_id
        and kind is not None and interval_ok and confidence and evidence
    )
    if not complete or relation_id is None:
        return relation_id, None
    assert kind is not None and source_id and target_id and confidence
    return relation_id, RelationSpec(
        id=relation_id, source_id=context.shared(source_id), target_id=context.shared(target_id), type=kind.id,
        sign=kind.sign if sign is None else sign,
        directed=kind.directed if directed is None else directed,
        start=start, end=end, start_inferred=start_reason, end_inferred=end_reason, confidence=confidence,
        summary=item.text("summary", default="") or "", evidence=evidence,
    )


def _read_relations(reader: _Reader, spec: DatasetSpec, context: RecordContext) -> None:
    seen: dict[str, tuple[str, int]] = {}
    relations: list[RelationSpec] = []
    locations: dict[tuple[str, str], tuple[str, int]] = {}

    def check(raw: yamlio.Mapping, file: str) -> None:
        item = _Item(reader, file, raw, "a relation", RELATION_FIELDS)
        relation_id, relation = _check_relation(item, context)
        if relation_id is None or not _claim(seen, reader, "relation", relation_id, file, item.line):
            return
        locations[("relation", relation_id)] = (file, item.line)
        if relation is not None:
            relations.append(relation)

    # Each relation is checked as the parser finishes it: 50,000 parsed relations are never alive at once.
    if reader.check_items("relations.yaml", "relation", check):
        spec.locations.update(locations)
        spec.relations += relations


def _check_event(item: _Item, context: RecordContext) -> tuple[str | None, EventSpec | None]:
    reader, file = item.reader, item.file
    event_id = item.ident("id")
    title = item.text("title", required=True, max_length=500)
    date = item.date("date", required=True)
    end = item.date("end")
    interval_ok = _check_interval(item, date, end)
    start_reason, end_reason = _date_reasons(item, date, end, "date")
    actors: list[str] = []
    for index, (line, actor) in enumerate(zip(*_lines_and_items(item.sequence("actors")), strict=True)):
        where = item.field(f"actors[{index}]")
        if not isinstance(actor, str) or actor not in context.actor_ids:
            reader.problem(file, line, f"unknown actor {actor!r} in the event's actors", where)
        elif actor in actors:
            reader.problem(file, line, f"actor '{actor}' is listed twice", where)
        else:
            actors.append(actor)
    evidence = _read_evidence(item, context)
    if event_id and title and date and interval_ok and evidence:
        return event_id, EventSpec(
            id=event_id, date=date, end=end, start_inferred=start_reason, end_inferred=end_reason, title=title,
            actor_ids=actors, summary=item.text("summary", default="") or "", evidence=evidence,
        )
    return event_id, None


def _read_events(reader: _Reader, spec: DatasetSpec, context: RecordContext) -> None:
    seen: dict[str, tuple[str, int]] = {}
    events: list[EventSpec] = []
    locations: dict[tuple[str, str], tuple[str, int]] = {}

    def check(raw: yamlio.Mapping, file: str) -> None:
        item = _Item(reader, file, raw, "an event", EVENT_FIELDS)
        event_id, event = _check_event(item, context)
        if event_id is None or not _claim(seen, reader, "event", event_id, file, item.line):
            return
        locations[("event", event_id)] = (file, item.line)
        if event is not None:
            events.append(event)

    if reader.check_items("events.yaml", "event", check, required=False):
        spec.locations.update(locations)
        spec.events += events


RecordSpec = BlocSpec | ActorSpec | RelationSpec | EventSpec
_RECORD_CHECKS: dict[str, tuple[str, frozenset[str]]] = {
    "bloc": ("a bloc", BLOC_FIELDS),
    "actor": ("an actor", ACTOR_FIELDS),
    "relation": ("a relation", RELATION_FIELDS),
    "event": ("an event", EVENT_FIELDS),
}


def check_record(kind: str, data: Any, context: RecordContext, where: str = "record"
                 ) -> tuple[RecordSpec | None, list[Problem]]:
    """Check one record given as plain data (JSON, a form) by the rules of the dataset files.

    The same checks as ``read_dataset`` applies to each item of a file; problems
    name the field at fault. The spec is None when there is any problem.
    """
    reader = _Reader(Path("."))
    if not isinstance(data, dict):
        return None, [Problem(where, 0, f"{_RECORD_CHECKS[kind][0]} must be a JSON object")]
    what, allowed = _RECORD_CHECKS[kind]
    item = _Item(reader, where, yamlio.from_plain(data), what, allowed)
    spec: RecordSpec | None
    if kind == "bloc":
        _ident, spec = _check_bloc(item)
    elif kind == "actor":
        _ident, spec = _check_actor(item, context)
    elif kind == "relation":
        _ident, spec = _check_relation(item, context)
    else:
        _ident, spec = _check_event(item, context)
    if isinstance(spec, RelationSpec):
        _check_passage_consistency(reader, DatasetSpec("", "", "", relations=[spec]))
    elif isinstance(spec, EventSpec):
        _check_passage_consistency(reader, DatasetSpec("", "", "", events=[spec]))
    reader.problems.sort()
    return (None if reader.problems else spec), reader.problems

def _check_passage_consistency(reader: _Reader, spec: DatasetSpec) -> None:
    """One span of text is one passage: its voice and speaker must agree wherever it is cited."""
    first: dict[tuple[str, int, int], EvidenceSpec] = {}
    for evidence in spec.evidence_items():
        key = (evidence.source_id, evidence.start, evidence.end)
        other = first.setdefault(key, evidence)
        if other is not evidence and (other.voice, other.speaker_id) != (evidence.voice, evidence.speaker_id):
            file, line = evidence.where
            reader.problem(
                file, line,
                f"this quote is cited elsewhere ({other.where[0]}:{other.where[1]}) with voice "
                f"'{other.voice}' and speaker '{other.speaker_id}'; the same passage must have one voice and speaker",
            )
