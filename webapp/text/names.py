"""Candidate new actors: the names an article uses that match no known actor (rule-based, no model).

A name is a run of capitalised words ("Northern Maritime Council", "Adela Vance", "Port Anselm"),
with the small words names carry inside them ("of", "al-", "bin"). Titles before a person's name are
cut off ("Prime Minister Adela Vance" is Adela Vance, a person), demonyms and words that only start
a sentence are left out, and a later mention by surname ("Vance said") counts for the full name.
Each candidate has its count, its first sentence and a guess at its kind, for the curator to judge.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .sentences import sentence_bounds

_WORD = r"(?:[A-Z][a-z]+(?:[-'’][A-Z]?[a-z]+)*|[A-Z]{2,}(?![a-z])|[A-Z]\.(?:[A-Z]\.)+)"
# Within a line only: a headline's line break is no part of a name.
_JOINER = r"(?:[ \t]+(?:of|the|for|de|del|da|bin|ibn|van|von)[ \t]+|[ \t]+(?:al|el|ad|as|ash)-|[ \t]+|-)"
# A possessive ends a name ("Syria’s Bashar al-Assad" is two names).
_NAME = re.compile(rf"(?<![\w’'-]){_WORD}(?:(?![’']s\b){_JOINER}{_WORD})*")
_POSSESSIVE = re.compile(r"[’']s$")

# Words that begin sentences, or name no one, however capitalised.
_COMMON = set("""
a an the this that these those it its he she they we i you his her their our my your there here
and but or so if as at by for from in into of on to with without after before during since until while
when where which who whom whose what why how all some many most few several no not also yet still
last next this first second third new old other another each every both either neither such
monday tuesday wednesday thursday friday saturday sunday january february march april may june july
august september october november december today yesterday tomorrow
mr mrs ms dr sir read image share sign subscribe copyright photo video
shiite sunni
""".split())
TITLES = set("""
president prime minister secretary general secretary-general
king queen prince sheikh general gen col colonel major captain commander spokesman spokeswoman
spokesperson chief head leader chairman chairwoman director ambassador senator sen governor mayor
deputy vice acting former foreign-minister lieutenant admiral ayatollah imam pope
""".split())
_ORGANIZATION = re.compile(r"\b(?:Council|Ministry|Command|Agency|Committee|Office|Commission|Organi[sz]ation|"
                           r"Union|Assembly|Parliament|Government|Department|Bureau|Service|Bank|Company|"
                           r"Corporation|Institute|University|Court|Congress|Senate|League|Ledger|Times|News|"
                           r"Post|Herald|Agency|Association|Authority)\b")
_ARMED = re.compile(r"\b(?:Front|Brigade|Brigades|Militia|Militias|Army|Forces|Guard|Guards|Movement|Battalion|"
                    r"Legion|Mujahideen|Taliban)\b")
_PLACE = re.compile(r"^(?:Port|Mount|Lake|Cape|Fort|San|Santa|Saint|St\.)\s|\s(?:Bay|City|Valley|River|Island|"
                    r"Islands|Province|Region|Strait|Gulf|Sea|Coast|Heights)$")


@dataclass
class Candidate:
    name: str
    count: int
    start: int
    end: int
    sentence: str
    kind: str | None        # an actor kind, or None (a place, or no guess)
    hint: str               # why: "a person (after the title 'Prime Minister')", "a place"…


def _strip_title(words: list[str]) -> tuple[list[str], str | None]:
    """('Marovian Prime Minister Adela Vance' → 'Adela Vance', 'Marovian Prime Minister'); a title
    that is part of an organisation's name stays ('Office of the President')."""
    cut = 0
    for index, word in enumerate(words):
        lowered = word.lower().rstrip(".")
        # "Secretary of State John Kerry": "of State" belongs to the title before it.
        if lowered in TITLES or (cut == index and cut > 0 and lowered in ("of", "state")):
            cut = index + 1
    rest = words[cut:]
    if 0 < cut < len(words) and len(rest) <= 3 and not _ORGANIZATION.search(" ".join(rest)):
        return rest, " ".join(words[:cut])
    return words, None


def _guess_kind(name: str, title: str | None, sentence: str) -> tuple[str | None, str]:
    if title is not None:
        return "person", f"a person (after “{title}”)"
    if _ARMED.search(name):
        return "armed_group", "an armed group (by its name)"
    if _ORGANIZATION.search(name):
        return "organization", "an organisation (by its name)"
    if _PLACE.search(name):
        return None, "a place"
    words = name.split()
    if len(words) in (2, 3) and re.search(rf"{re.escape(name)}(?:,|\s)+(?:said|says|told|added|called|warned)\b",
                                          sentence):
        return "person", "a person (it speaks)"
    if len(words) == 1:
        return "state", "a country or group (one word)"
    return "person" if len(words) == 2 else "group", "a name"


def candidates(text: str, known: dict[str, str], ignored: set[str] | frozenset[str] = frozenset()
               ) -> list[Candidate]:
    """Names in ``text`` that match none of the ``known`` names and aliases, nor the ``ignored`` ones."""
    known_folded = {name.casefold() for name in known}
    ignored_folded = {name.casefold() for name in ignored}
    found: dict[str, Candidate] = {}
    surnames: dict[str, str] = {}
    headlines = _headline_spans(text)
    for match in _NAME.finditer(text):
        if any(lo <= match.start() < hi for lo, hi in headlines):
            continue
        words = re.split(r"\s+", match.group(0))
        start = match.start()
        # A capitalised first word of a sentence that is a common word is no part of a name.
        while words and words[0].lower().rstrip(".") in _COMMON:
            start += len(words[0]) + 1
            words = words[1:]
        while words and (words[-1].lower() in ("of", "the", "and", "for") or words[-1].lower() in _COMMON):
            words = words[:-1]
        if not words:
            continue
        words, title = _strip_title(words)
        name = " ".join(words).strip(" -")
        if title is not None:
            start = match.start() + match.group(0).rfind(words[0])
        if len(name) < 3 or name.endswith("-based") or name.casefold() in known_folded \
                or name.casefold() in ignored_folded:
            continue
        if any(name.casefold().startswith(k + "’") or name.casefold().startswith(k + "'") for k in known_folded):
            continue
        if len(words) == 1 and words[0].lower() in TITLES:
            continue
        if len(words) == 1 and name in surnames:
            found[surnames[name]].count += 1
            continue
        if len(words) == 1 and _is_demonym(name, text):
            continue
        s_lo, s_hi = sentence_bounds(text, start, start + len(name))
        if name in found:
            found[name].count += 1
            continue
        kind, hint = _guess_kind(name, title, text[s_lo:s_hi])
        found[name] = Candidate(name, 1, start, start + len(name), text[s_lo:s_hi].strip(), kind, hint)
        if kind == "person" and len(words) >= 2:
            surnames.setdefault(words[-1], name)
    result = []
    # A single word that only ever starts a sentence, once, may be an ordinary word ("Officials", "Talks").
    for candidate in found.values():
        single = " " not in candidate.name
        at_sentence_start = _only_at_sentence_start(text, candidate.name)
        if single and at_sentence_start and candidate.count == 1:
            continue
        result.append(candidate)
    return sorted(result, key=lambda c: (-c.count, c.start))


def _is_demonym(word: str, text: str) -> bool:
    """'Marovian' beside 'Marovia', 'Tessalian' beside 'Tessaly': an adjective of a name, not a name."""
    if not re.search(r"(?:ian|ean|ese|ish|ic|an|i)$", word):
        return False
    stem = re.sub(r"(?:ian|ean|ese|ish|ic|an|i)$", "", word)
    return len(stem) >= 3 and re.search(rf"\b{re.escape(stem)}\w{{0,2}}\b", text) is not None


def _only_at_sentence_start(text: str, name: str) -> bool:
    for match in re.finditer(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text):
        before = text[:match.start()].rstrip(" “\"'(")
        if before and before[-1] not in ".!?\n":
            return False
    return True


def _headline_spans(text: str) -> list[tuple[int, int]]:
    """Lines in title case ("Iraq Signs Deal to Share Intel"): their capitals say nothing about names."""
    spans = []
    position = 0
    for line in text.splitlines(keepends=True):
        words = re.findall(r"[A-Za-z][\w’'-]*", line)
        long_words = [w for w in words if len(w) > 3]
        if len(words) >= 4 and long_words and sum(w[0].isupper() for w in long_words) / len(long_words) > 0.7 \
                and not line.rstrip().endswith((".", "”", '"')):
            spans.append((position, position + len(line)))
        position += len(line)
    return spans
