"""How much of one text another already says: the republication rule, on normalised sentences.

A text's sentences (``sentences.sentence_spans``) are normalised — case and accents folded, punctuation (quote
marks and dashes included) dropped, white space collapsed — and sentences of fewer than
``MIN_WORDS`` words (datelines, "Read more", bylines) are left out. A sentence of a copy is *found*
in an original when the original has the same normalised sentence, or when at least
``NEAR_SHARE`` of its word trigrams occur in the original (a sentence with a word changed, cut or
added). ``share`` is the part of the copy's sentences found, each weighted by its words, so a
republication under a new headline, with a new byline or a sentence trimmed, stays well above
``REPUBLICATION_SHARE``, while two reports of the same event, which share names and perhaps a
quotation, stay far below it.

Pure functions over plain text: ``services/corroboration.py`` applies them to a dataset's sources.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from .sentences import sentence_spans

REPUBLICATION_SHARE = 0.8
NEAR_SHARE = 0.8
MIN_WORDS = 4
# An original is compared in full only when it shares at least this part of the copy's trigrams.
CANDIDATE_SHARE = 0.5

_NOT_WORD = re.compile(r"[^\w]+")


def _words(sentence: str) -> list[str]:
    folded = unicodedata.normalize("NFKD", sentence.casefold())
    plain = "".join(char for char in folded if not unicodedata.combining(char))
    return [word for word in _NOT_WORD.split(plain) if word]


def _trigrams(words: Sequence[str]) -> set[tuple[str, ...]]:
    if len(words) < 3:
        return {tuple(words)}
    return {tuple(words[i:i + 3]) for i in range(len(words) - 2)}


@dataclass(frozen=True)
class Fingerprint:
    """A text's normalised sentences (each with its word count and trigrams) and all its trigrams."""

    sentences: tuple[tuple[str, int, frozenset[tuple[str, ...]]], ...]
    trigrams: frozenset[tuple[str, ...]] = field(default=frozenset())

    @property
    def normalised(self) -> frozenset[str]:
        return frozenset(sentence for sentence, _, _ in self.sentences)

    @property
    def words(self) -> int:
        return sum(count for _, count, _ in self.sentences)


def fingerprint(text: str) -> Fingerprint:
    sentences = []
    everything: set[tuple[str, ...]] = set()
    for start, end in sentence_spans(text):
        words = _words(text[start:end])
        if len(words) < MIN_WORDS:
            continue
        grams = _trigrams(words)
        sentences.append((" ".join(words), len(words), frozenset(grams)))
        everything |= grams
    return Fingerprint(tuple(sentences), frozenset(everything))


def share(copy: Fingerprint, original: Fingerprint) -> float:
    """The part of ``copy``'s sentences (weighted by words) that ``original`` already has."""
    if not copy.words:
        return 0.0
    exact = original.normalised
    found = 0
    for sentence, words, grams in copy.sentences:
        if sentence in exact or len(grams & original.trigrams) >= NEAR_SHARE * len(grams):
            found += words
    return found / copy.words


@dataclass(frozen=True)
class Article:
    """What the rule needs of a source: its id, outlet, order of publication and text."""

    id: str
    outlet: str | None
    order: tuple[object, ...]      # earlier sorts first (the publication date, then the id)
    text: str


def _outlet(name: str | None) -> str:
    return " ".join(_words(name or ""))


def republications(articles: Iterable[Article]) -> dict[str, tuple[str, float]]:
    """Each article that republishes an earlier one of another outlet: id → (its original, share).

    The original named is the earliest of the articles it republishes; if that one is itself a
    republication, its own original (so a chain of copies counts once). Articles without an outlet
    are each treated as their own outlet.
    """
    ordered = sorted(articles, key=lambda a: a.order)
    prints = {a.id: fingerprint(a.text) for a in ordered}
    holders: dict[tuple[str, ...], list[int]] = {}
    found: dict[str, tuple[str, float]] = {}
    for index, article in enumerate(ordered):
        mine = prints[article.id]
        shared: dict[int, int] = {}
        for gram in mine.trigrams:
            for earlier in holders.get(gram, ()):
                shared[earlier] = shared.get(earlier, 0) + 1
        outlet = _outlet(article.outlet)
        for earlier in sorted(i for i, n in shared.items() if n >= CANDIDATE_SHARE * len(mine.trigrams)):
            other = ordered[earlier]
            if outlet and _outlet(other.outlet) == outlet:
                continue
            value = share(mine, prints[other.id])
            if value >= REPUBLICATION_SHARE:
                root = found.get(other.id, (other.id, value))[0]
                found[article.id] = (root, value)
                break
        for gram in mine.trigrams:
            holders.setdefault(gram, []).append(index)
    return found
