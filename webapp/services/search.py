"""Searching the text of every source: the full-text index finds the articles (SQLite FTS5, PostgreSQL
``to_tsvector``), then each hit is shown as the sentences that hold the words, linking into the reader.

The query is words (all must occur, stemmed: "shares" finds "sharing") or a "quoted phrase".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from ..models import Source
from ..text.sentences import sentence_spans
from .access import Invalid

MAX_QUERY = 200
MAX_HITS = 100


@dataclass
class Hit:
    source_id: str
    source_title: str
    start: int
    end: int
    sentence: str
    marks: list[tuple[int, int]]     # where the words are, within the sentence


def _terms(query: str) -> tuple[list[str], list[str]]:
    """The quoted phrases and the single words of a query."""
    phrases = [p.strip() for p in re.findall(r'"([^"]+)"', query) if p.strip()]
    rest = re.sub(r'"[^"]*"', " ", query)
    words = re.findall(r"\w[\w'’-]*", rest)
    return phrases, words


def _matching_sources(session: Session, phrases: list[str], words: list[str], dataset_id: str | None) -> list[str]:
    if session.get_bind().dialect.name == "sqlite":
        # FTS5 syntax: every word (as a prefix) and every phrase must occur.
        fts = " AND ".join([f'"{p.replace(chr(34), " ")}"' for p in phrases] +
                           [f'"{w.replace(chr(34), " ")}"*' for w in words])
        rows = session.execute(text("SELECT s.id FROM source_fts JOIN sources s ON s.rowid = source_fts.rowid "
                                    "WHERE source_fts MATCH :q ORDER BY rank"), {"q": fts}).scalars()
        found = list(rows)
    else:
        query = " ".join([f'"{p}"' for p in phrases] + words)
        found = list(session.scalars(select(Source.id).where(
            func.to_tsvector("english", Source.text).op("@@")(func.websearch_to_tsquery("english", query)))))
    if dataset_id is not None:
        allowed = set(session.scalars(select(Source.id).where(Source.dataset_id == dataset_id)))
        found = [s for s in found if s in allowed]
    return found


def _stem(word: str) -> str:
    """A crude stem, to find in a sentence the words the index matched ("sharing" for "shares")."""
    word = word.casefold()
    for suffix in ("ing", "ed", "es", "s", "'s", "’s"):
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def search(session: Session, query: str, dataset_id: str | None = None) -> list[Hit]:
    """The sentences of every source that hold all the words (and phrases) of ``query``."""
    query = query.strip()
    if not query:
        return []
    if len(query) > MAX_QUERY or "\x00" in query:
        raise Invalid(f"a search is at most {MAX_QUERY} characters of text", "q")
    phrases, words = _terms(query)
    if not phrases and not words:
        raise Invalid("search for words or a \"quoted phrase\"", "q")
    hits: list[Hit] = []
    for source_id in _matching_sources(session, phrases, words, dataset_id):
        row = session.execute(select(Source.text, Source.title).where(Source.id == source_id)).first()
        if row is None:
            continue
        patterns = [re.compile(r"\s+".join(map(re.escape, p.split())), re.IGNORECASE) for p in phrases]
        patterns += [re.compile(rf"\b{re.escape(_stem(w))}\w*", re.IGNORECASE) for w in words]
        for start, end in sentence_spans(row.text):
            sentence = row.text[start:end]
            found = [p.search(sentence) for p in patterns]
            if all(found):
                marks = sorted((m.start(), m.end()) for m in found if m is not None)
                hits.append(Hit(source_id, row.title, start, end, sentence, marks))
                if len(hits) >= MAX_HITS:
                    return hits
    return hits
