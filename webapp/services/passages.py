"""Passages in their text: a sentence of context with mentions marked, and the article cut into
highlightable segments."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Actor, ActorAlias

# A sentence ends at . ! ? before a capital, but not after an initial or abbreviation
# ("U.S. officials", "Col. Steve Warren"); a blank line always ends one.
_SENTENCE_END = re.compile(
    r"(?<![\s.][A-Z])(?<!\bCol)(?<!\bGen)(?<!\bSen)(?<!\bMr)(?<!\bMrs)(?<!\bMs)(?<!\bDr)(?<!\bSt)"
    r"[.!?][\"'”’)]*\s+(?=[\"'“‘(]?[A-Z0-9])|\n\s*\n"
)


@dataclass
class Segment:
    """A run of text and what it is: plain, the passage itself, an actor's mention…"""

    text: str
    passage: bool = False
    actor: str | None = None
    passages: list[int] = field(default_factory=list)
    anchor: int | None = None  # a passage that starts here
    notes: list[str] = field(default_factory=list)  # users' notes on text that covers this run


def actor_names(session: Session, dataset_id: str | None = None) -> dict[str, str]:
    """Every name and alias of every actor (or of one dataset's) → the actor's id (longest names win on overlap)."""
    actors = select(Actor.id, Actor.name)
    aliases = select(ActorAlias.actor_id, ActorAlias.name)
    if dataset_id is not None:
        actors = actors.where(Actor.dataset_id == dataset_id)
        aliases = aliases.join(Actor).where(Actor.dataset_id == dataset_id)
    names: dict[str, str] = {}
    for actor_id, name in session.execute(actors):
        names.setdefault(name, actor_id)
    for actor_id, alias in session.execute(aliases):
        names.setdefault(alias, actor_id)
    return names


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


def _mark_mentions(text: str, names: dict[str, str], **flags) -> list[Segment]:  # type: ignore[no-untyped-def]
    segments: list[Segment] = []
    position = 0
    for start, end, actor in mentions(text, names):
        if start > position:
            segments.append(Segment(text[position:start], **flags))
        segments.append(Segment(text[start:end], actor=actor, **flags))
        position = end
    if position < len(text):
        segments.append(Segment(text[position:], **flags))
    return segments


def sentence_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """The span of the sentence(s) around text[start:end]."""
    left = 0
    for match in _SENTENCE_END.finditer(text, 0, start):
        left = match.end()
    right_match = _SENTENCE_END.search(text, max(end - 1, start))
    right = right_match.start() + 1 if right_match else len(text)
    if right < end:
        right = end
    return left, min(right, len(text))


def excerpt(text: str, start: int, end: int, names: dict[str, str]) -> list[Segment]:
    """The passage inside its sentence, with actor mentions marked."""
    left, right = sentence_bounds(text, start, end)
    return (
        _mark_mentions(text[left:start], names)
        + _mark_mentions(text[start:end], names, passage=True)
        + _mark_mentions(text[end:right], names)
    )


def article_segments(text: str, passages: list[tuple[int, int, int]], names: dict[str, str],
                     notes: list[tuple[str, int, int]] = ()) -> list[Segment]:  # type: ignore[assignment]
    """The whole text cut wherever a passage, a note's span or a mention starts or ends.

    ``passages`` are (id, start, end) and ``notes`` (note id, start, end);
    overlaps are fine: each segment lists every passage and note that covers it.
    """
    cuts = {0, len(text)}
    for _pid, start, end in [*passages, *notes]:
        cuts.update((start, end))
    found = mentions(text, names)
    for start, end, _actor in found:
        cuts.update((start, end))
    ordered = sorted(cuts)
    starts: dict[int, int] = {}
    for pid, start, _end in sorted(passages, key=lambda p: (p[1], p[0])):
        starts.setdefault(start, pid)
    mention_at = {start: (end, actor) for start, end, actor in found}
    segments: list[Segment] = []
    active_mention: tuple[int, str] | None = None
    for left, right in zip(ordered, ordered[1:], strict=False):
        if left in mention_at:
            active_mention = mention_at[left]
        covering = [pid for pid, start, end in passages if start <= left and right <= end]
        actor = active_mention[1] if active_mention and right <= active_mention[0] else None
        noted = [nid for nid, start, end in notes if start <= left and right <= end]
        segments.append(Segment(text[left:right], passage=bool(covering), actor=actor, passages=covering,
                                anchor=starts.get(left), notes=noted))
        if active_mention and right >= active_mention[0]:
            active_mention = None
    return segments
