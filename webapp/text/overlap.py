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
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import chain

from .sentences import sentence_spans

REPUBLICATION_SHARE = 0.8
NEAR_SHARE = 0.8
MIN_WORDS = 4
# An original is compared in full only when it shares at least this part of the copy's trigrams.
CANDIDATE_SHARE = 0.5

_NOT_WORD = re.compile(r"[^\w]+")


def _words(sentence: str) -> list[str]:
    folded = unicodedata.normalize("NFKD", sentence.casefold())
    # (Plain ASCII has no combining marks to drop: most sentences skip the loop over their characters.)
    plain = folded if folded.isascii() else "".join(char for char in folded if not unicodedata.combining(char))
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


def _sentence_words(text: str) -> Iterator[list[str]]:
    """The words of each of a text's sentences that count (of at least ``MIN_WORDS`` words)."""
    for start, end in sentence_spans(text):
        words = _words(text[start:end])
        if len(words) >= MIN_WORDS:
            yield words


def fingerprint(text: str) -> Fingerprint:
    sentences = []
    everything: set[tuple[str, ...]] = set()
    for words in _sentence_words(text):
        grams = _trigrams(words)
        sentences.append((" ".join(words), len(words), frozenset(grams)))
        everything |= grams
    return Fingerprint(tuple(sentences), frozenset(everything))


def _trigram_codes(text: str, vocabulary: dict[str, int]) -> set[int]:
    """A text's trigrams (those of ``fingerprint(text).trigrams``), each as one number: its words'
    numbers in ``vocabulary`` (which grows) packed behind a leading 1, so that equal numbers are equal
    trigrams. A number takes a fraction of the memory of a tuple of three strings, which is what lets
    ``republications`` remember every trigram of a thousand articles at once."""
    codes: set[int] = set()
    for words in _sentence_words(text):
        numbers = []
        for word in words:
            number = vocabulary.get(word)
            if number is None:
                number = vocabulary[word] = len(vocabulary)
            numbers.append(number)
        if len(numbers) < 3:  # as ``_trigrams``: a sentence this short is one gram
            code = 1
            for number in numbers:
                code = code << 32 | number
            codes.add(code)
            continue
        triples = zip(numbers, numbers[1:], numbers[2:], strict=False)
        codes.update(1 << 96 | a << 64 | b << 32 | c for a, b, c in triples)
    return codes


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
    # Which earlier articles hold each trigram, as numbers (``_trigram_codes``); an article's full
    # fingerprint is built only when it is compared in full (a copy and its candidate originals).
    vocabulary: dict[str, int] = {}
    holders: dict[int, list[int]] = {}
    prints: dict[int, Fingerprint] = {}

    def print_of(index: int) -> Fingerprint:
        if index not in prints:
            prints[index] = fingerprint(ordered[index].text)
        return prints[index]

    found: dict[str, tuple[str, float]] = {}
    for index, article in enumerate(ordered):
        mine = _trigram_codes(article.text, vocabulary)
        shared = Counter(chain.from_iterable(holders.get(gram, ()) for gram in mine))
        outlet = _outlet(article.outlet)
        for earlier in sorted(i for i, n in shared.items() if n >= CANDIDATE_SHARE * len(mine)):
            other = ordered[earlier]
            if outlet and _outlet(other.outlet) == outlet:
                continue
            value = share(print_of(index), print_of(earlier))
            if value >= REPUBLICATION_SHARE:
                root = found.get(other.id, (other.id, value))[0]
                found[article.id] = (root, value)
                break
        for gram in mine:
            holders.setdefault(gram, []).append(index)
    return found
