"""Mentions: where the known names of actors occur in a text (whole words; longest name wins)."""

from __future__ import annotations

import re
from functools import lru_cache


@lru_cache(maxsize=32)
def _name_pattern(names: tuple[str, ...]) -> re.Pattern[str] | None:
    if not names:
        return None
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    return re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])")


def mentions(text: str, names: dict[str, str]) -> list[tuple[int, int, str]]:
    """(start, end, actor id) of each mention of a known name in ``text``."""
    pattern = _name_pattern(tuple(sorted(names)))
    if pattern is None:
        return []
    return [(m.start(), m.end(), names[m.group(0)]) for m in pattern.finditer(text)]
