"""Who says so: the voice of a passage and its speaker, guessed from quotation marks and attribution.

A passage inside quotation marks is a *quote*; its speaker is the actor named by the attribution
nearest to it in its sentence, or else in its paragraph: "…,” Warren said", "Kerry said that “…”",
"according to the command", "Rouhani told CNN". Relative clauses are skipped ("Kerry, who met
Lavrov on Sunday, said" is Kerry speaking). Anything else is a *report* with no speaker. These are
guesses for the curator to confirm, never stored without them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .mentions import mentions
from .sentences import sentence_bounds

_SPEECH = re.compile(
    r"\b(?:said|says|told|tells|stated|states|declared|declares|added|adds|warned|warns|insisted|insists|"
    r"argued|argues|claimed|claims|announced|announces|noted|notes|explained|wrote|writes|"
    r"according to)\b", re.IGNORECASE)
_QUOTED = re.compile(r"“[^”]*”|\"[^\"\n]*\"")
_RELATIVE_CLAUSE = re.compile(r",\s*(?:who|which|whose)\b[^,]*,")
_PARAGRAPH_END = re.compile(r"\n\s*\n")
# Between a name and its verb: no end of sentence or clause ("Iran. Officials said" is not Iran speaking).
_CLAUSE_BREAK = re.compile(r"[.;!?]\s+[A-Z“\"]|;")


@dataclass(frozen=True)
class Attribution:
    voice: str
    speaker: str | None
    reason: str


def _paragraph(text: str, start: int, end: int) -> tuple[int, int]:
    left = 0
    for match in _PARAGRAPH_END.finditer(text, 0, start):
        left = match.end()
    right_match = _PARAGRAPH_END.search(text, end)
    return left, right_match.start() if right_match else len(text)


def _quoted(text: str, lo: int, hi: int, start: int, end: int) -> tuple[int, int] | None:
    """The quotation (within text[lo:hi]) that holds the passage, if any."""
    for match in _QUOTED.finditer(text, lo, hi):
        inner_start, inner_end = match.start() + 1, match.end() - 1
        if match.start() <= start and end <= match.end() and (start < inner_end and inner_start < end):
            return match.start(), match.end()
    return None


def _masked(text: str, lo: int, hi: int) -> str:
    """text[lo:hi] with quotations and relative clauses blanked out (same length, so offsets hold)."""
    part = text[lo:hi]
    for pattern in (_QUOTED, _RELATIVE_CLAUSE):
        part = pattern.sub(lambda m: " " * len(m.group(0)), part)
    return part


def _speaker_near(text: str, lo: int, hi: int, quote: tuple[int, int], names: dict[str, str]) -> str | None:
    masked = _masked(text, lo, hi)
    found = [(s + lo, e + lo, actor) for s, e, actor in mentions(masked, names)]
    verbs = [(m.start() + lo, m.end() + lo, m.group(0).lower()) for m in _SPEECH.finditer(masked)]
    # The verb nearest the quotation speaks for it.
    for v_start, v_end, verb in sorted(verbs, key=lambda v: min(abs(v[0] - quote[1]), abs(v[1] - quote[0]))):
        if verb == "according to":
            after = [m for m in found if m[0] >= v_end]
            if after:
                return after[0][2]
            continue
        before = [m for m in found if m[1] <= v_start and not _CLAUSE_BREAK.search(masked[m[1] - lo:v_start - lo])]
        if before:
            return before[-1][2]
        after = [m for m in found if m[0] >= v_end and m[0] - v_end < 40]
        if after:
            return after[0][2]
    return None


def attribute(text: str, start: int, end: int, names: dict[str, str]) -> Attribution:
    """The voice of text[start:end] and, for a quotation, who speaks it (an actor id from ``names``)."""
    s_lo, s_hi = sentence_bounds(text, start, end)
    p_lo, p_hi = _paragraph(text, start, end)
    quote = _quoted(text, p_lo, p_hi, start, end)
    if quote is None:
        return Attribution("report", None, "not in quotation marks: reported")
    for lo, hi, where in ((s_lo, s_hi, "sentence"), (p_lo, p_hi, "paragraph")):
        speaker = _speaker_near(text, lo, hi, quote, names)
        if speaker is not None:
            return Attribution("quote", speaker, f"in quotation marks, attributed in its {where}")
    return Attribution("quote", None, "in quotation marks; no speaker named near it")
