"""Sentences: where one begins and ends, without cutting at initials and abbreviations."""

from __future__ import annotations

import re
from bisect import bisect_left
from functools import lru_cache

# A sentence ends at . ! ? before a capital, but not after an initial or abbreviation
# ("U.S. officials", "Col. Steve Warren"); a blank line always ends one.
_SENTENCE_END = re.compile(
    r"(?<![\s.][A-Z])(?<!\bCol)(?<!\bGen)(?<!\bSen)(?<!\bMr)(?<!\bMrs)(?<!\bMs)(?<!\bDr)(?<!\bSt)"
    r"[.!?][\"'”’)]*\s+(?=[\"'“‘(]?[A-Z0-9])|\n\s*\n"
)


@lru_cache(maxsize=256)
def _sentence_ends(text: str) -> tuple[int, ...]:
    """Where each sentence break of the whole text ends, found once per text (not once per passage)."""
    return tuple(match.end() for match in _SENTENCE_END.finditer(text))


def sentence_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """The span of the sentence(s) around text[start:end]."""
    # The breaks that end (with both look-ahead characters) before ``start`` are the same whether the
    # text is scanned to ``start`` or whole; only the last stretch is scanned again, as far as ``start``.
    ends = _sentence_ends(text)
    safe = bisect_left(ends, start - 1) - 1
    left = ends[safe] if safe >= 0 else 0
    for match in _SENTENCE_END.finditer(text, left, start):
        left = match.end()
    right_match = _SENTENCE_END.search(text, max(end - 1, start))
    right = right_match.start() + 1 if right_match else len(text)
    if right < end:
        right = end
    return left, min(right, len(text))


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Every sentence of a text as (start, end), white space around it left out."""
    spans = []
    position = 0
    for match in _SENTENCE_END.finditer(text):
        end = match.start() + (0 if match.group(0).startswith("\n") else 1)
        # Closing quotes and brackets after the full stop belong to the sentence.
        closing = re.match(r"[\"'”’)]*", text[end:])
        end += closing.end() if closing else 0
        spans.append((position, end))
        position = match.end()
    spans.append((position, len(text)))
    result = []
    for start, end in spans:
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if start < end:
            result.append((start, end))
    return result
