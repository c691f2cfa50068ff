"""Passages in their text: a sentence of context with mentions marked, and the article cut into
highlightable segments."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..text.mentions import mentions
from ..text.sentences import sentence_bounds

@dataclass
class Segment:
    """A run of text and what it is: plain, the passage itself, an actor's mention…"""

    text: str
    passage: bool = False
    actor: str | None = None
    passages: list[int] = field(default_factory=list)
    anchor: int | None = None  # a passage that starts here
    notes: list[str] = field(default_factory=list)  # users' notes on text that covers this run


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
