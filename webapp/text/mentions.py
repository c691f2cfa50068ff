"""Mentions: where the known names of actors occur in a text (whole words; longest name wins)."""

from __future__ import annotations

import re
from functools import lru_cache


@lru_cache(maxsize=32)
def _name_pattern(names: tuple[str, ...]) -> re.Pattern[str] | None:
    if not names:
        return None
    return re.compile(rf"(?<![\w-])(?:{_trie(names)})(?![\w-])")


_Node = dict[str, "_Node"]  # a character → the names that go on with it; "" marks where one ends


def _trie(names: tuple[str, ...]) -> str:
    """The names as one alternation factored by shared prefixes: ``Iran(?:ian)?`` for Iran and Iranian.

    It matches what ``longest|…|shortest`` would (at each place the longest name whose end is a word
    boundary: the optional tails are greedy and give way when the boundary fails), but the regex engine
    follows one branch per character instead of trying every name at every position — with thousands
    of aliases, the difference between milliseconds and a third of a second per article.
    """
    root: _Node = {}
    for name in names:
        node = root
        for char in name:
            node = node.setdefault(char, {})
        node[""] = {}

    def pattern(node: _Node) -> str:
        branches = [re.escape(char) + pattern(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if "" not in node:
            return body
        return f"(?:{body})?" if len(branches) > 1 or len(body) > 1 else f"{body}?"

    return pattern(root)


def mentions(text: str, names: dict[str, str]) -> list[tuple[int, int, str]]:
    """(start, end, actor id) of each mention of a known name in ``text``."""
    pattern = _name_pattern(tuple(sorted(names)))
    if pattern is None:
        return []
    return [(m.start(), m.end(), names[m.group(0)]) for m in pattern.finditer(text)]
