"""The fast sentence and mention finders give exactly what the plain definitions give (issue 13):
sentence bounds from an index made once per text, mentions from one prefix-factored pattern."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from webapp.text.mentions import mentions
from webapp.text.sentences import _SENTENCE_END, sentence_bounds


def plain_sentence_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """The definition: scan from the text's start up to ``start`` (what every passage paid before)."""
    left = 0
    for match in _SENTENCE_END.finditer(text, 0, start):
        left = match.end()
    right_match = _SENTENCE_END.search(text, max(end - 1, start))
    right = right_match.start() + 1 if right_match else len(text)
    return left, min(max(right, end), len(text))


def plain_mentions(text: str, names: dict[str, str]) -> list[tuple[int, int, str]]:
    """The definition: every name as an alternative, longest first."""
    if not names:
        return []
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    pattern = re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])")
    return [(m.start(), m.end(), names[m.group(0)]) for m in pattern.finditer(text)]


PROSE = st.text(alphabet="Aab Z1.!?\"'“”’()\n-", max_size=80)


@settings(max_examples=400, deadline=None)
@given(PROSE, st.data())
def test_sentence_bounds_match_the_scan_from_the_start(text, data):
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    assert sentence_bounds(text, start, end) == plain_sentence_bounds(text, start, end)


def test_sentence_bounds_on_prose():
    text = 'Iraq said so. "Then Col. Warren spoke." U.S. officials agreed!\n\nA new paragraph. (Another one.) End'
    for start in range(len(text)):
        for end in range(start, min(len(text), start + 30) + 1):
            assert sentence_bounds(text, start, end) == plain_sentence_bounds(text, start, end), (start, end)


NAME = st.text(alphabet="Iranq S.-U ", min_size=1, max_size=8).filter(lambda n: n.strip() == n)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(NAME, st.sampled_from(["iran", "iraq", "us"]), max_size=8),
       st.text(alphabet="Iranq S.-Uxy ", max_size=60))
def test_mentions_match_the_longest_first_alternation(names, text):
    assert mentions(text, names) == plain_mentions(text, names)


def test_mentions_with_many_aliases_and_shared_prefixes():
    names = {"Iran": "iran", "Iranian": "iran", "Iraq": "iraq", "IS": "isis", "ISIS": "isis", "ISIL": "isis",
             "U.S.": "us", "U.S.-led coalition": "coalition", "Islamic State": "isis"}
    names.update({f"Actor {i}": f"a{i}" for i in range(2000)})
    text = ("Iranian advisers and the U.S.-led coalition fought ISIS (ISIL, IS) while Iran-backed Iraq and "
            "Actor 12 met Actor 1999, Actor 7x and Actor 3-4; U.S. officials and the Islamic State's men.")
    found = mentions(text, names)
    assert found == plain_mentions(text, names)
    assert [text[a:b] for a, b, _ in found] == [
        "Iranian", "U.S.-led coalition", "ISIS", "ISIL", "IS", "Iraq", "Actor 12", "Actor 1999", "U.S.",
        "Islamic State"]
