"""Adding an article in the browser: upload or paste, preview what was read, confirm — nothing lost.

1. ``receive`` checks the bytes (not empty, not binary, decodable, under the upload limit), reads the
   article with the importer's own rules (HTML through trafilatura), refuses a duplicate (the same
   canonical URL, or the same text once white space and quote marks are normalised), and keeps the
   upload, byte for byte, as pending;
2. the user sees the metadata read from the page (title, author, publisher, URL, date, language)
   and corrects it (a canonical URL that is not an http(s) address is left out, and the preview says so);
3. ``confirm`` reads the kept bytes again with those corrections and adds the source through
   ``importer.import_article`` — the same path as ``flask import-source`` — and the upload stays
   as the source's original, so its text can be extracted again later.

A *republication* (another outlet's copy of the same wire text, under another URL) is a different
text once its own headline and furniture are in, and is accepted; the corroboration issue labels it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

import re

from ..datasets import importer, loader
from ..datasets.reader import BlocSpec, RecordContext, check_record
from ..models import Bloc, Dataset, Source, Upload, utcnow
from ..text.match import fold
from .access import Caller, Invalid, require_writer

MEDIA_TYPES = {".html": "text/html", ".htm": "text/html", ".md": "text/markdown", ".txt": "text/plain"}
# Pending uploads older than this are removed when the next one arrives.
PENDING_FOR = dt.timedelta(days=1)


class ArticleRefused(Invalid):
    """The upload cannot become a source; ``problems`` says each reason."""

    code = "article_refused"

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems) or "the article was refused", "file")
        self.problems = problems


@dataclass
class Preview:
    upload_id: str
    dataset_id: str | None
    article: importer.Article
    mentions: list[importer.ActorMentions]

    @property
    def notices(self) -> list[str]:
        """What was read from the page but left out (a canonical URL that is not http(s))."""
        return self.article.notices

    @property
    def metadata(self) -> dict[str, Any]:
        source = self.article.source
        return {"id": source.id, "title": source.title, "author": source.author or "",
                "publisher": source.publisher or "", "url": source.url or "",
                "published": str(source.published) if source.published else "", "language": source.language}


def canonical_url(url: str | None) -> str | None:
    """A URL compared as the same page: scheme and host lowercased, no fragment, no trailing slash."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/"), parts.query, ""))


def text_key(text: str) -> str:
    """A fingerprint of a text that ignores white space and the kind of quote marks and dashes."""
    return hashlib.sha256(fold(text.strip()).folded.casefold().encode()).hexdigest()


def duplicate_of(session: Session, article: importer.Article, *, ignore: str | None = None) -> str | None:
    """Why an article is already here (naming the source), or None."""
    source = article.source
    url = canonical_url(source.url)
    key = text_key(source.text)
    for other in session.execute(select(Source.id, Source.url, Source.text, Source.dataset_id)):
        if other.id == ignore:
            continue
        if url and canonical_url(other.url) == url:
            return f"the same article (canonical URL {source.url}) is already source '{other.id}' of dataset " \
                   f"'{other.dataset_id}'"
        if text_key(other.text) == key:
            return f"the same text is already source '{other.id}' of dataset '{other.dataset_id}'"
    return None


def _check_size(raw: bytes, limit: int) -> None:
    if len(raw) > limit:
        raise ArticleRefused([f"the file is {len(raw):,} bytes; uploads are limited to {limit:,} bytes "
                              "(WEBAPP_MAX_UPLOAD_BYTES)"])


def receive(session: Session, caller: Caller, raw: bytes, filename: str, dataset_id: str | None, *, limit: int,
            overrides: dict[str, str] | None = None) -> Preview:
    """Check and read an upload, refuse a duplicate, keep it as pending, and say what was read.

    ``dataset_id`` None: the article goes into a new dataset, created when it is confirmed."""
    require_writer(caller, "add articles")
    if dataset_id is not None and session.get(Dataset, dataset_id) is None:
        raise ArticleRefused([f"there is no dataset '{dataset_id}'"])
    _check_size(raw, limit)
    suffix = "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if suffix not in MEDIA_TYPES:
        raise ArticleRefused([f"cannot read a {suffix or 'suffix-less'!r} file: give .html, .md or .txt"])
    article = _read(raw, filename, overrides)
    duplicate = duplicate_of(session, article)
    if duplicate:
        raise ArticleRefused([duplicate])
    now = utcnow()
    session.execute(delete(Upload).where(Upload.source_id.is_(None), Upload.uploaded_at < now - PENDING_FOR))
    upload = Upload(id=secrets.token_urlsafe(18), dataset_id=dataset_id, filename=filename[:300],
                    media_type=MEDIA_TYPES[suffix], size=len(raw), content=raw, uploaded_by=caller.name or "?",
                    uploaded_at=now)
    session.add(upload)
    session.flush()
    mentions = importer.actor_mentions(session, article.source.text, dataset_id) if dataset_id else []
    return Preview(upload.id, dataset_id, article, mentions)


def _read(raw: bytes, filename: str, overrides: dict[str, str] | None) -> importer.Article:
    try:
        return importer.read_article_bytes(raw, filename, {k: v for k, v in (overrides or {}).items() if v},
                                           drop_bad_page_url=True)
    except importer.ImportRefused as refused:
        raise ArticleRefused(list(refused.problems)) from None


def pending(session: Session, caller: Caller, upload_id: str) -> Upload:
    require_writer(caller, "add articles")
    upload = session.get(Upload, upload_id)
    if upload is None or upload.source_id is not None:
        raise Invalid("this upload is gone or was already added: upload the article again", "upload")
    return upload


def preview_again(session: Session, caller: Caller, upload_id: str, overrides: dict[str, str]) -> Preview:
    """The pending upload read again with the user's corrections (for a refused confirmation)."""
    upload = pending(session, caller, upload_id)
    article = _read(upload.content, upload.filename, overrides)
    mentions = importer.actor_mentions(session, article.source.text, upload.dataset_id) if upload.dataset_id else []
    return Preview(upload.id, upload.dataset_id, article, mentions)


def confirm(session: Session, caller: Caller, upload_id: str, overrides: dict[str, str],
            new_dataset: NewDataset | None = None) -> importer.ImportReport:
    """Add the pending upload as a source, with the metadata the user confirmed (into a new dataset,
    created now, when the upload was for one)."""
    upload = pending(session, caller, upload_id)
    if upload.dataset_id is None:
        if new_dataset is None:
            raise Invalid("give the new dataset a title", "new_title")
        upload.dataset_id = create_dataset(session, caller, new_dataset)
    article = _read(upload.content, upload.filename, overrides)
    duplicate = duplicate_of(session, article)
    if duplicate:
        raise ArticleRefused([duplicate])
    try:
        report = importer.import_article(session, article, upload.dataset_id, editor=caller.name or "?")
    except importer.ImportRefused as refused:
        raise ArticleRefused(list(refused.problems)) from None
    upload.source_id = report.source_id
    return report


@dataclass
class NewDataset:
    title: str
    blocs: str      # one per line: "Name #rrggbb" (the colour may be left out)


PALETTE = ("#c0392b", "#2471a3", "#27ae60", "#8e44ad", "#d35400", "#16a085", "#7f8c8d", "#b7950b")


def create_dataset(session: Session, caller: Caller, new: NewDataset) -> str:
    """A new, empty dataset with its blocs, each checked by the rules of dataset.yaml."""
    require_writer(caller, "create datasets")
    title = new.title.strip()
    if not title or len(title) > 300 or "\x00" in title:
        raise Invalid("a new dataset needs a title (at most 300 characters)", "new_title")
    base = importer.slug(title)[:90] or "dataset"
    dataset_id, n = base, 1
    while session.get(Dataset, dataset_id) is not None:
        n += 1
        dataset_id = f"{base}-{n}"
    dataset = Dataset(id=dataset_id, title=title, description="", revision=1, ignored_names="")
    session.add(dataset)
    session.flush()
    context = RecordContext(set(), set(), {}, {})
    for position, line in enumerate(text for text in new.blocs.splitlines() if text.strip()):
        match = re.match(r"^\s*(?P<name>.*?)\s*(?P<color>#[0-9a-fA-F]{6})?\s*$", line)
        assert match is not None
        name = match["name"]
        data = {"id": importer.slug(name)[:90], "name": name, "color": match["color"] or PALETTE[position % 8]}
        spec, problems = check_record("bloc", data, context, where=f"blocs, line {position + 1}")
        if problems or not isinstance(spec, BlocSpec):
            reason = problems[0].message if problems else "not a bloc"
            raise Invalid(f"bloc on line {position + 1} ({line.strip()!r}): {reason}", "new_blocs")
        if session.get(Bloc, spec.id) is not None:
            raise Invalid(f"bloc id '{spec.id}' is already used: name the bloc otherwise", "new_blocs")
        session.add(Bloc(**loader.bloc_values(spec, dataset_id), position=position, origin="app",
                         changed_by=caller.name))
    return dataset_id


def import_file(session: Session, path: Path, dataset_id: str, *, overrides: dict[str, str] | None = None,
                replace: bool = False, editor: str = "flask import-source") -> importer.ImportReport:
    """``flask import-source``: the importer's rules, the same duplicate refusal as the browser,
    and the file kept as the source's original."""
    if not replace:
        try:
            article = importer.read_article(path, overrides)
        except importer.ImportRefused:
            article = None      # import_source reports the file's problems with the dataset's
        # The same id is the importer's to report ("give --replace"); another source with the same text is ours.
        if article is not None and (duplicate := duplicate_of(session, article, ignore=article.source.id)):
            raise importer.ImportRefused([f"{path}: {duplicate}"], "a duplicate")
    report = importer.import_source(session, path, dataset_id, overrides=overrides, replace=replace)
    raw = path.read_bytes()
    session.add(Upload(id=secrets.token_urlsafe(18), dataset_id=dataset_id, filename=path.name[:300],
                       media_type=MEDIA_TYPES.get(path.suffix.lower(), "text/plain"), size=len(raw), content=raw,
                       uploaded_by=editor, uploaded_at=utcnow(), source_id=report.source_id))
    return report


def has_original(session: Session, source_id: str) -> bool:
    """Whether the file a source was read from is kept (without loading it)."""
    return session.scalar(select(Upload.id).where(Upload.source_id == source_id).limit(1)) is not None


def original(session: Session, source_id: str) -> Upload | None:
    """The file a source was read from, when it was uploaded in the browser."""
    return session.scalar(select(Upload).where(Upload.source_id == source_id)
                          .order_by(Upload.uploaded_at.desc()).limit(1))


def paste_filename(text_format: str, title: str) -> str:
    """A file name for pasted text, so it is read by the rules of its format."""
    suffix = {"html": ".html", "markdown": ".md"}.get(text_format, ".txt")
    return (importer.slug(title) or "pasted-article") + suffix
