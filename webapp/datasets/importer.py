"""Adding one article to a loaded dataset (SPEC §4 ``import-source``): a .md, .txt or .html file.

The article is checked by the rules of a dataset's ``sources/*.md`` (``reader.read_source``),
so whatever is imported exports and loads back as it is. Writing happens in the caller's
transaction and only once every check has passed: nothing is written on any problem.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import revisions
from ..text import match as textmatch
from ..dates import PartialDate
from ..models import Actor, Dataset, EventEvidence, Passage, RelationEvidence, Source, utcnow
from ..text.mentions import mentions
from ..text.sentences import sentence_bounds
from .names import actor_names
from . import exporter, loader, republications, yamlio
from .files import FileRefused, read_bytes
from .reader import ID_PATTERN, Problem, SourceSpec, is_web_address, read_source

FORMATS = {".md": "markdown", ".markdown": "markdown", ".txt": "text", ".html": "html", ".htm": "html"}
# The metadata a source has; the command line may give or override each of them.
FIELDS = ("id", "title", "publisher", "author", "url", "published", "language")
# Column widths of ``Source`` (PostgreSQL refuses longer values; SQLite would silently keep them).
_WIDTHS = {"title": 500, "publisher": 300, "author": 300, "url": 2000, "language": 20}


class ImportRefused(Exception):
    """The article cannot be imported; nothing was written. ``problems`` are printable lines."""

    def __init__(self, problems: list[str], reason: str | None = None) -> None:
        self.reason = reason or f"{len(problems)} problem(s)"
        super().__init__(self.reason)
        self.problems = problems


def check_id(value: str) -> str:
    """A source id given on the command line (raises ValueError when it is not a valid id)."""
    if not ID_PATTERN.match(value):
        raise ValueError(f"{value!r} is not a valid id (lowercase letters, digits, '-' or '_')")
    return value


def check_date(value: str) -> str:
    """A publication date given on the command line: YYYY, YYYY-MM or YYYY-MM-DD."""
    return str(PartialDate.parse(value))


def slug(text: str) -> str:
    """A lowercase id made from a file name: 'Iraq & Iran (2015)' → 'iraq-iran-2015'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:100].rstrip("-")


# --- Reading the file ----------------------------------------------------------------


@dataclass
class Article:
    """A checked article, ready to be added."""

    file: str
    source: SourceSpec
    id_line: int  # where the id was written, 0 when it came from the file name or an option
    notices: list[str] = field(default_factory=list)  # what was left out of the page, and why


def _describe(problem: Problem) -> str:
    # Line 0 means "no line in the file": metadata from an option or the file name.
    return str(problem) if problem.line > 0 else f"{problem.file}: {problem.message}"


def _empty_mapping() -> yamlio.Mapping:
    data = yamlio.Mapping()
    data.line, data.key_lines = 0, {}
    return data


def _decode(raw: bytes, file: str, *, html: bool = False) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        charset = _declared_charset(raw) if html else None
        if charset is None:
            raise ImportRefused([f"{file}: not UTF-8 text: {error.reason} at byte {error.start}"]) from None
        try:
            text = raw.decode(charset)
        except (LookupError, UnicodeDecodeError) as second:
            message = f"{file}: cannot read it as {charset!r}, the charset it declares ({second})"
            raise ImportRefused([message]) from None
    return text.removeprefix("\ufeff")


def _declared_charset(raw: bytes) -> str | None:
    head = raw[:4096].decode("ascii", "replace")
    match = re.search(r"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", head, re.IGNORECASE)
    return match.group(1) if match else None


def read_article(path: Path, overrides: Mapping[str, str] | None = None) -> Article:
    """Read and check an article file; ``overrides`` (id, title, …) fill in or replace its own metadata.

    Raises ImportRefused with every problem, each as ``FILE:line: message`` where the line is known.
    """
    file = str(path)
    if path.suffix.lower() not in FORMATS:
        raise ImportRefused([f"{file}: cannot import a {path.suffix or 'suffix-less'!r} file: "
                             "give a .md (with front matter), .txt or .html file"])
    try:
        raw = read_bytes(path)  # a regular file only: a FIFO would hang the command
    except FileRefused as refused:
        raise ImportRefused([f"{file}: {refused.message}"]) from None
    return read_article_bytes(raw, file, overrides)


def read_article_bytes(raw: bytes, file: str, overrides: Mapping[str, str] | None = None, *,
                       drop_bad_page_url: bool = False) -> Article:
    """Read and check an article given as bytes; ``file`` names it (its suffix says the format).

    A page's canonical URL that is not an http(s) address is a problem, or, with ``drop_bad_page_url``,
    left out with a notice (the browser's upload: the user can give another before confirming).
    """
    path = Path(file)
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        raise ImportRefused([f"{file}: cannot import a {path.suffix or 'suffix-less'!r} file: "
                             "give a .md (with front matter), .txt or .html file"])
    if not raw.strip():
        raise ImportRefused([f"{file}: the file is empty"])
    if b"\x00" in raw:
        raise ImportRefused([f"{file}: this is a binary file, not text (it contains NUL bytes)"])
    text = _decode(raw, file, html=kind == "html")

    notices: list[str] = []
    if kind == "markdown":
        data, body = _markdown(text, file)
    elif kind == "html":
        page = extract_main_text(text)
        data, body = _empty_mapping(), page.text
        for key, (value, line) in page.metadata.items():
            if key == "url" and drop_bad_page_url and not is_web_address(value):
                notices.append(f"the page's canonical URL {_short(value, 60)!r} is not an http(s) address: "
                               "it was left out")
                continue
            data[key], data.key_lines[key] = value, line
    else:
        data, body = _empty_mapping(), text

    for key, value in (overrides or {}).items():
        if key not in FIELDS:
            raise ValueError(f"unknown source field {key!r}")
        data[key], data.key_lines[key] = value, 0

    default_id = slug(path.stem)
    if not default_id and not data.get("id"):
        raise ImportRefused([f"{file}: no id can be made from the file name: give --id"])
    source, problems = read_source(file, data, body, default_id=default_id, filename="")
    messages = [_hint(_describe(p), kind) for p in problems]
    if source is not None:
        for key, width in _WIDTHS.items():
            value = getattr(source, key)
            if value is not None and len(value) > width:
                too_long = Problem(file, data.line_of(key), f"'{key}' is longer than {width} characters")
                messages.append(_describe(too_long))
    if messages or source is None:
        raise ImportRefused(messages)
    source.filename = f"{source.id}.md"
    return Article(file, source, data.key_lines.get("id", 0), notices)


def _hint(message: str, kind: str) -> str:
    """The reader's message, told in terms of this command (its options, a file without front matter)."""
    if kind != "markdown" and message.endswith("the source has no text after its front matter"):
        what = "readable text (<p>, <h1>–<h6>, <li> or <blockquote>)" if kind == "html" else "text"
        return message.replace("the source has no text after its front matter", f"the file has no {what}")
    if "'url' must be an http(s) address" in message:
        return f"{message} (or give --url)"
    match = re.search(r"missing the required field '(\w+)'$", message)
    return f"{message} (or give --{match.group(1)})" if match else message


def _markdown(text: str, file: str) -> tuple[yamlio.Mapping, str]:
    front, body, offset = yamlio.split_front_matter(text)
    if front is None:
        raise ImportRefused([f"{file}:1: missing YAML front matter (the file must start with a '---' line)"])
    data, problems = yamlio.parse(front, line_offset=offset)
    if problems:
        raise ImportRefused([f"{file}:{p.line}: {p.message}" for p in problems])
    if data is None:  # empty front matter: the command line gives the metadata
        return _empty_mapping(), body
    if not isinstance(data, yamlio.Mapping):
        where = f"{file}:{getattr(data, 'line', offset + 1)}"
        raise ImportRefused([f"{where}: the front matter must be a mapping with title, publisher, published"])
    return data, body


# --- HTML ----------------------------------------------------------------------------

_BLOCKS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote"}
# Not the article: code, styling, navigation and the page's furniture around the text.
# (Not <form>: some sites wrap the whole page in one.)
_SKIPPED = {"script", "style", "noscript", "template", "nav", "aside", "footer", "svg", "iframe", "select"}
# Tags whose start ends an open <p> (HTML's parsing rules), and the tags that shield it from them.
_CLOSES_P = _BLOCKS | {
    "address", "article", "aside", "details", "div", "dl", "dd", "dt", "fieldset", "figcaption", "figure",
    "footer", "form", "header", "hgroup", "hr", "main", "menu", "nav", "ol", "pre", "section", "table", "ul",
}
_P_SCOPE = {"td", "th", "table", "caption", "button", "object", "template", "html"}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"}
_DATE_TIME = re.compile(r"^\s*(\d{4}(?:-\d{2}(?:-\d{2})?)?)(?:[T ].*)?$")


@dataclass
class HtmlPage:
    """The readable text of a page and the metadata it declares: {field: (value, line)}."""

    text: str
    metadata: dict[str, tuple[str, int]] = field(default_factory=dict)


class _Extractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.paragraphs: list[str] = []
        self.metadata: dict[str, tuple[str, int]] = {}
        self.title: list[str] | None = None
        self.h1: str | None = None
        self._open: list[str] = []
        self._buffer: list[str] = []

    def _inside(self, tags: set[str]) -> bool:
        return any(tag in tags for tag in self._open)

    def _flush(self) -> None:
        paragraph = " ".join("".join(self._buffer).split())
        self._buffer = []
        if paragraph:
            self.paragraphs.append(paragraph)
            innermost = next((t for t in reversed(self._open) if t in _BLOCKS), None)
            if innermost == "h1" and self.h1 is None:
                self.h1 = paragraph

    def _meta(self, key: str, value: str | None) -> None:
        value = " ".join((value or "").split())
        if value and key not in self.metadata:
            self.metadata[key] = (value, self.getpos()[0])

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value for name, value in attrs}
        if tag == "html":
            self._meta("language", attributes.get("lang"))
        elif tag == "meta":
            name = (attributes.get("name") or attributes.get("property") or "").lower()
            content = attributes.get("content")
            if name == "author":
                self._meta("author", content)
            elif name == "article:published_time":
                match = _DATE_TIME.match(content or "")
                self._meta("published", match.group(1) if match else content)
            elif name == "og:site_name":
                self._meta("publisher", content)
        elif tag == "link" and "canonical" in (attributes.get("rel") or "").lower().split():
            self._meta("url", attributes.get("href"))
        elif tag == "br":
            self._buffer.append(" ")
        if tag in _CLOSES_P:
            self._close_paragraph()
        if tag in _VOID:
            return
        if tag in _BLOCKS:
            self._flush()
            # The next item closes an open <li> of the same list.
            if tag == "li" and self._last("li") > max(self._last("ul"), self._last("ol")):
                del self._open[self._last("li"):]
        elif tag == "title" and self.title is None and not self._inside(_SKIPPED):
            self.title = []
        self._open.append(tag)

    def _close_paragraph(self) -> None:
        index = self._last("p")
        if index >= 0 and not any(tag in _P_SCOPE for tag in self._open[index + 1:]):
            self._flush()
            del self._open[index:]

    def _last(self, tag: str) -> int:
        """Index of the innermost open ``tag``, -1 if none is open."""
        for index in range(len(self._open) - 1, -1, -1):
            if self._open[index] == tag:
                return index
        return -1

    def handle_endtag(self, tag: str) -> None:
        index = self._last(tag)
        if index < 0:
            return
        # Closing a tag closes whatever is still open inside it; a block among them ends a paragraph.
        if any(open_tag in _BLOCKS for open_tag in self._open[index:]):
            self._flush()
        del self._open[index:]

    def handle_data(self, data: str) -> None:
        if self._inside(_SKIPPED):
            return
        if self._open and self._open[-1] == "title" and self.title is not None:
            self.title.append(data)
        elif self._inside(_BLOCKS):
            self._buffer.append(data)

    def close(self) -> None:
        super().close()
        self._flush()


def extract_html(html: str) -> HtmlPage:
    """The readable text of an HTML page: its paragraphs, headings, list items and block quotes,
    each on one line (white space normalised) and separated by blank lines; scripts, styles,
    navigation and page furniture are left out. Metadata: title (<title>, else the first <h1>),
    author, published (article:published_time), url (canonical link), publisher (og:site_name),
    language (<html lang>)."""
    parser = _Extractor()
    parser.feed(html)
    parser.close()
    metadata = dict(parser.metadata)
    title = " ".join("".join(parser.title or []).split()) or parser.h1
    if title:
        metadata.setdefault("title", (title, 0))
    text = "\n\n".join(parser.paragraphs)
    return HtmlPage(text + "\n" if text else "", metadata)


def extract_main_text(html: str) -> HtmlPage:
    """The article of an HTML page without its clutter (navigation, captions, share links, footers,
    browser warnings): trafilatura's main-text extraction and metadata (dates by htmldate), with
    ``extract_html`` filling in what they miss — and taking over when they find no text at all."""
    import trafilatura  # imported here: it takes half a second, and only HTML imports need it

    fallback = extract_html(html)
    text = trafilatura.extract(html, output_format="txt", include_comments=False, include_tables=False,
                               include_images=False, favor_precision=True) or ""
    # One paragraph a line; list items come as "- item", and the words are what the article says.
    paragraphs = [" ".join(re.sub(r"^[-*•]\s+", "", line.strip()).split()) for line in text.splitlines()
                  if line.strip()]
    if not paragraphs:
        return fallback
    # What the page declares (with its line, for problems) wins; trafilatura and htmldate fill the gaps.
    metadata = dict(fallback.metadata)
    found = trafilatura.extract_metadata(html)
    if found is not None:
        for key, value in (("title", found.title), ("author", found.author), ("url", found.url),
                           ("publisher", found.sitename), ("published", found.date)):
            if value and key not in metadata and (key != "url" or value.startswith(("http://", "https://"))):
                metadata[key] = (str(value)[:10] if key == "published" else str(value), 0)
    return HtmlPage("\n\n".join(paragraphs) + "\n", metadata)


# --- Adding it to the dataset --------------------------------------------------------


@dataclass
class ActorMentions:
    actor_id: str
    name: str
    count: int
    paragraph: int  # 1-based, of the first mention
    sentence: str  # the sentence of the first mention


@dataclass
class ImportReport:
    source_id: str
    dataset_id: str
    replaced: bool
    changed: bool
    revision: int
    words: int
    paragraphs: int
    moved_passages: int = 0
    mentions: list[ActorMentions] = field(default_factory=list)

    def summary(self) -> str:
        if not self.changed:
            return (f"source '{self.source_id}' of dataset '{self.dataset_id}' is already as in the file; "
                    f"nothing changed (revision {self.revision})")
        done = f"replaced source '{self.source_id}' of" if self.replaced else f"added source '{self.source_id}' to"
        moved = f"; {self.moved_passages} evidence passage(s) moved with the text" if self.moved_passages else ""
        return (f"{done} dataset '{self.dataset_id}' (revision {self.revision}): "
                f"{self.words} words in {self.paragraphs} paragraph(s){moved}")


def import_source(
    session: Session, path: Path, dataset_id: str, *,
    overrides: Mapping[str, str] | None = None, replace: bool = False,
) -> ImportReport:
    """Read an article and add it to a dataset (or replace that source, with ``replace``).

    Raises ImportRefused, having written nothing, if the file has problems, the dataset does not
    exist, the id is taken, or a replacement would lose a passage cited as evidence.
    """
    try:
        article: Article | None = read_article(path, overrides)
    except ImportRefused as error:
        if session.get(Dataset, dataset_id) is not None:
            raise
        article, problems = None, list(error.problems)
        return import_article(session, article, dataset_id, replace=replace, problems=problems)
    return import_article(session, article, dataset_id, replace=replace)


def import_article(session: Session, article: Article | None, dataset_id: str, *, replace: bool = False,
                   problems: list[str] | None = None, editor: str = "flask import-source") -> ImportReport:
    """Add a read article to a dataset (``import_source`` and the browser's upload share this)."""
    problems = list(problems or [])
    dataset = session.get(Dataset, dataset_id)
    if dataset is None:
        loaded = ", ".join(session.scalars(select(Dataset.id).order_by(Dataset.id))) or "none"
        problems.append(f"no dataset '{dataset_id}' (loaded: {loaded})")
    if article is None or dataset is None:
        raise ImportRefused(problems)

    source = article.source
    where = f"{article.file}:{article.id_line}" if article.id_line else article.file
    existing = session.get(Source, source.id)
    if existing is not None and existing.dataset_id != dataset_id:
        raise ImportRefused([f"{where}: source id '{source.id}' is already used by dataset '{existing.dataset_id}'"
                             " (ids are unique across datasets): give another --id"])
    if existing is not None and not replace:
        raise ImportRefused([f"{where}: dataset '{dataset_id}' already has a source '{source.id}': "
                             "give --replace to replace its text and details, or another --id"])
    if existing is not None:
        source.filename = existing.filename
    else:
        clash = session.scalar(select(Source.id).where(Source.dataset_id == dataset_id,
                                                       Source.filename == source.filename))
        if clash is not None:
            raise ImportRefused([f"{where}: dataset '{dataset_id}' already writes source '{clash}' to "
                                 f"sources/{source.filename}: give another --id"])

    values = loader.source_values(source, dataset_id)
    moved = 0
    before = exporter.source_record(existing) if existing is not None else None
    if existing is None:
        row = Source(**values)
        session.add(row)
        changed = True
    else:
        row = existing
        moves = _reanchor(session, existing, source.text, article.file)
        beyond = len(existing.text) + len(source.text) + 1
        changed = any(getattr(existing, key) != value for key, value in values.items())
        for key, value in values.items():
            setattr(existing, key, value)
        moved = _move_passages(session, moves, beyond)
    if changed:
        dataset.revision = (dataset.revision or 0) + 1
        _record_import(session, row, before, editor)
    session.flush()
    if changed:
        republications.refresh(session, dataset_id)

    return ImportReport(
        source_id=source.id, dataset_id=dataset_id, replaced=existing is not None, changed=changed,
        revision=dataset.revision, words=len(source.text.split()), paragraphs=len(paragraph_spans(source.text)),
        moved_passages=moved, mentions=actor_mentions(session, source.text, dataset_id),
    )


@dataclass
class _Move:
    passage: Passage
    start: int
    end: int
    exact: str
    prefix: str
    suffix: str


def _reanchor(session: Session, source: Source, new_text: str, file: str) -> list[_Move]:
    """Where each passage of ``source`` is in the new text; refuse if any would be lost or ambiguous.

    A quote found as often as before keeps its rank among its repeats (what ``occurrence: N`` in
    the dataset files means); otherwise only a single match whose context is unchanged will do.
    """
    passages = session.scalars(select(Passage).where(Passage.source_id == source.id).order_by(Passage.start)).all()
    moves: list[_Move] = []
    broken: list[tuple[Passage, str]] = []
    for passage in passages:
        occurrence, count = textmatch.occurrence_of(source.text, passage.start, passage.end)
        spans = textmatch.find_all(new_text, passage.exact)
        if not spans:
            broken.append((passage, "is no longer in the text"))
            continue
        if len(spans) == count:
            start, end = spans[occurrence - 1]
        else:
            fitting = [s for s in spans if textmatch.context(new_text, *s) == (passage.prefix, passage.suffix)]
            if len(fitting) != 1:
                broken.append((passage, f"now occurs {len(spans)} times (was {count}): cannot tell which is meant"))
                continue
            start, end = fitting[0]
        prefix, suffix = textmatch.context(new_text, start, end)
        moves.append(_Move(passage, start, end, new_text[start:end], prefix, suffix))
    targets = [(m.start, m.end) for m in moves]
    for move in moves:
        if targets.count((move.start, move.end)) > 1:
            broken.append((move.passage, "would fall on the same words as another passage"))
    if broken:
        citations = _citations(session, [p.id for p, _ in broken])
        raise ImportRefused(
            [f"{file}: the passage {_short(p.exact)!r} ({citations.get(p.id, 'cited as evidence')}) {why}"
             for p, why in broken],
            f"replacing '{source.id}' would break {len(broken)} evidence passage(s): keep their quotes in the new text",
        )
    return moves


def _move_passages(session: Session, moves: list[_Move], beyond: int) -> int:
    """Apply the new spans. Passages that move first go past the end of both texts, so no two
    rows ever hold the same (source, start, end) on the way."""
    moving = [m for m in moves if (m.passage.start, m.passage.end) != (m.start, m.end)]
    for move in moving:
        move.passage.start, move.passage.end = move.passage.start + beyond, move.passage.end + beyond
    session.flush()
    for move in moves:
        passage = move.passage
        passage.start, passage.end = move.start, move.end
        passage.exact, passage.prefix, passage.suffix = move.exact, move.prefix, move.suffix
    session.flush()
    return len(moving)


def _citations(session: Session, passage_ids: list[int]) -> dict[int, str]:
    cited: dict[int, list[str]] = {}
    for passage_id, relation_id in session.execute(
        select(RelationEvidence.passage_id, RelationEvidence.relation_id)
        .where(RelationEvidence.passage_id.in_(passage_ids)).order_by(RelationEvidence.relation_id)
    ):
        cited.setdefault(passage_id, []).append(f"relation {relation_id}")
    for passage_id, event_id in session.execute(
        select(EventEvidence.passage_id, EventEvidence.event_id)
        .where(EventEvidence.passage_id.in_(passage_ids)).order_by(EventEvidence.event_id)
    ):
        cited.setdefault(passage_id, []).append(f"event {event_id}")
    return {pid: "evidence of " + ", ".join(names) for pid, names in cited.items()}


def _short(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- What the article mentions -------------------------------------------------------

_BLANK_LINE = re.compile(r"\n[^\S\n]*\n\s*")


def paragraph_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each paragraph: runs of text separated by blank lines."""
    spans: list[tuple[int, int]] = []
    position = 0
    for end in [*(m.start() for m in _BLANK_LINE.finditer(text)), len(text)]:
        run = text[position:end]
        if run.strip():
            spans.append((position + len(run) - len(run.lstrip()), position + len(run.rstrip())))
        position = end
    return spans


def actor_mentions(session: Session, text: str, dataset_id: str) -> list[ActorMentions]:
    """The dataset's actors named in ``text`` (by name or alias), most mentioned first."""
    found = mentions(text, actor_names(session, dataset_id))
    if not found:
        return []
    display = dict(session.execute(select(Actor.id, Actor.name).where(Actor.dataset_id == dataset_id)).all())
    starts = [start for start, _end in paragraph_spans(text)]
    first: dict[str, tuple[int, int]] = {}
    counts: dict[str, int] = {}
    for start, end, actor_id in found:
        counts[actor_id] = counts.get(actor_id, 0) + 1
        first.setdefault(actor_id, (start, end))
    result = []
    for actor_id, count in counts.items():
        start, end = first[actor_id]
        left, right = sentence_bounds(text, start, end)
        result.append(ActorMentions(
            actor_id=actor_id, name=display.get(actor_id, actor_id), count=count,
            paragraph=max(bisect.bisect_right(starts, start), 1), sentence=_short(text[left:right], 160),
        ))
    return sorted(result, key=lambda m: (-m.count, m.name.lower()))


def _record_import(session: Session, row: Source, before: dict[str, Any] | None, editor: str) -> None:
    """A source added here is an app record (the load rule will not drop it silently); keep the change."""
    now = utcnow()
    session.flush()
    if before is not None:
        revisions.ensure_baseline(session, dataset_id=row.dataset_id, kind="source", ident=row.id,
                                  version=row.version, state=before, now=now)
        row.version += 1
    row.origin, row.changed_by, row.changed_at = "app", editor, now
    revisions.add_revision(session, dataset_id=row.dataset_id, kind="source", ident=row.id, version=row.version,
                           action="update" if before is not None else "create", editor=editor,
                           before=before, after=exporter.source_record(row), now=now)
