"""Finding a quote in a source's text while ignoring typographic differences.

White space of any kind (non-breaking spaces included), straight versus curly
quotes and apostrophes, and the many Unicode dashes all compare equal. The match
is reported as offsets into the *original* text, so a passage keeps the
source's own characters.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

_DOUBLE_QUOTES = "\"“”„‟″‶«»"
_SINGLE_QUOTES = "'‘’‚‛′‵`´"
_EXTRA_DASHES = "\u2212\u2043\ufe63\uff0d"  # minus sign, hyphen bullet, small/fullwidth hyphen-minus

CONTEXT_CHARS = 32


def _fold_char(char: str) -> str:
    if char in _DOUBLE_QUOTES:
        return '"'
    if char in _SINGLE_QUOTES:
        return "'"
    if char in _EXTRA_DASHES or unicodedata.category(char) == "Pd":
        return "-"
    return char


@dataclass(frozen=True)
class FoldedText:
    """A text folded for matching, with the original offset of each folded character."""

    folded: str
    origin: tuple[int, ...]  # origin[i] = offset in the original text of folded[i]


def fold(text: str) -> FoldedText:
    """Collapse white space runs to one space and unify quotes and dashes."""
    chars: list[str] = []
    origin: list[int] = []
    in_space = False
    for index, char in enumerate(text):
        if char.isspace():
            if not in_space:
                chars.append(" ")
                origin.append(index)
            in_space = True
            continue
        in_space = False
        chars.append(_fold_char(char))
        origin.append(index)
    return FoldedText("".join(chars), tuple(origin))


@lru_cache(maxsize=64)
def _folded_source(text: str) -> FoldedText:
    return fold(text)


def normalize_quote(quote: str) -> str:
    return fold(quote.strip()).folded


def find_all(text: str, quote: str) -> list[tuple[int, int]]:
    """Every (start, end) in ``text`` where ``quote`` occurs, overlapping ones included."""
    needle = normalize_quote(quote)
    if not needle:
        return []
    source = _folded_source(text)
    spans: list[tuple[int, int]] = []
    position = source.folded.find(needle)
    while position != -1:
        last = position + len(needle) - 1
        spans.append((source.origin[position], source.origin[last] + 1))
        position = source.folded.find(needle, position + 1)
    return spans


def occurrence_of(text: str, start: int, end: int) -> tuple[int, int]:
    """(1-based occurrence of text[start:end] among its matches, number of matches)."""
    spans = find_all(text, text[start:end])
    return spans.index((start, end)) + 1, len(spans)


def context(text: str, start: int, end: int, width: int = CONTEXT_CHARS) -> tuple[str, str]:
    """The prefix and suffix around a span, as a TextQuoteSelector keeps them."""
    return text[max(0, start - width):start], text[end:end + width]


def words_span(text: str, start: int, end: int) -> tuple[int, int]:
    """A selection text[start:end] as the passage it means: trimmed of the white space around its words,
    and one that its words find again. Raises ValueError saying what is wrong with it."""
    if not 0 <= start < end <= len(text):
        raise ValueError(f"offsets {start}-{end} are outside the source's text (0-{len(text)})")
    asked = f"{start}-{end}"
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start == end:
        raise ValueError(f"the text at {asked} is only white space")
    if (start, end) not in find_all(text, text[start:end]):
        raise ValueError(f"the text at {start}-{end} cannot be found again by its words: select whole words")
    return start, end
