"""Finding a quote in a source's text while ignoring typographic differences.

White space of any kind (non-breaking spaces included), straight versus curly
quotes and apostrophes, and the many Unicode dashes all compare equal. The match
is reported as offsets into the *original* text, so a passage keeps the
source's own characters.
"""

from __future__ import annotations

import bisect
import re
import sys
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache

_DOUBLE_QUOTES = "\"“”„‟″‶«»"
_SINGLE_QUOTES = "'‘’‚‛′‵`´"
_EXTRA_DASHES = "\u2212\u2043\ufe63\uff0d"  # minus sign, hyphen bullet, small/fullwidth hyphen-minus

CONTEXT_CHARS = 32


@cache
def _marks() -> tuple[re.Pattern[str], dict[str, str]]:
    """Every quote mark and dash (the dashes: every Unicode "Pd" character), and its plain form."""
    table = dict.fromkeys(_DOUBLE_QUOTES, '"') | dict.fromkeys(_SINGLE_QUOTES, "'")
    dashes = [chr(code) for code in range(sys.maxunicode + 1) if unicodedata.category(chr(code)) == "Pd"]
    table |= dict.fromkeys((*_EXTRA_DASHES, *dashes), "-")
    del table['"'], table["'"], table["-"]
    return re.compile("[" + re.escape("".join(table)) + "]"), table


# A run of two or more white space characters, or one that is not a plain space.
_SPACES = re.compile(r"\s{2,}|[^\S ]")


@dataclass(frozen=True)
class FoldedText:
    """A text folded for matching, and where its characters were in the original text.

    Folding changes no character's offset but where a run of white space became one space; the
    runs are kept (``runs[k]``: the folded offset of the k-th collapsed run, ``shifts[k]``: how many
    characters the folded text has lost once past it), so mapping back costs a bisection.
    """

    folded: str
    runs: tuple[int, ...]
    shifts: tuple[int, ...]

    def original(self, index: int) -> int:
        """The offset in the original text of folded[index]."""
        past = bisect.bisect_left(self.runs, index)
        return index + (self.shifts[past - 1] if past else 0)


def fold(text: str) -> FoldedText:
    """Collapse white space runs to one space and unify quotes and dashes."""
    marks, table = _marks()
    unified = marks.sub(lambda mark: table[mark.group()], text)
    runs: list[int] = []
    shifts: list[int] = []
    lost = 0

    def collapse(space: re.Match[str]) -> str:
        nonlocal lost
        start, end = space.span()
        if end - start > 1:
            runs.append(start - lost)
            lost += end - start - 1
            shifts.append(lost)
        return " "

    return FoldedText(_SPACES.sub(collapse, unified), tuple(runs), tuple(shifts))


@lru_cache(maxsize=256)
def _folded_source(text: str) -> FoldedText:
    return fold(text)


def normalize_quote(quote: str) -> str:
    return fold(quote.strip()).folded


def find_all(text: str, quote: str, *, folded: FoldedText | None = None) -> list[tuple[int, int]]:
    """Every (start, end) in ``text`` where ``quote`` occurs, overlapping ones included.

    ``folded``: ``fold(text)``, when the caller keeps it (a dataset's reader folds each article once).
    """
    needle = normalize_quote(quote)
    if not needle:
        return []
    source = folded or _folded_source(text)
    spans: list[tuple[int, int]] = []
    position = source.folded.find(needle)
    while position != -1:
        spans.append((source.original(position), source.original(position + len(needle) - 1) + 1))
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
