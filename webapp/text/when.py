"""Date expressions in a passage ("on Saturday", "last month", "since 2011", "two weeks ago", "in September"),
resolved against the article's publication date into the partial dates of the dataset format.

The rules, so a curator can predict them:

- past by default: a weekday is the most recent such day on or before the publication date (the
  publication day itself when it is that weekday); a month without a year the most recent such
  month; in future tense ("will meet on Monday", "next month") the next one after it;
- the result is never finer than the publication date: an article dated only "2015-09" makes
  "on Saturday" mean some day of 2015-09, so it is given as "2015-09";
- "last week" and "N weeks ago" name no day, so they give the month that day falls in;
- "since …", "from …" make a start bound, "until …", "through …" an end bound.

Each guess carries a reason in words, which is stored as the inferred-date reason when the
curator accepts it.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

from ..dates import PartialDate, Precision

Bound = Literal["date", "start", "end"]

MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
MONTHS["sept"] = 9
WEEKDAYS = {name.lower(): i for i, name in enumerate(calendar.day_name)}
NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
           "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12}
_MONTH = r"(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>1[89]\d\d|2\d\d\d)"
_NUM = r"(?P<n>\d{1,2}|" + "|".join(NUMBERS) + r")"
_BOUND = r"(?:(?P<bound>since|from|until|till|through|by|before|after)\s+)?"
_PREP = r"(?:(?:on|in|during|at|this|last|next|coming|past|early|late|mid-?)\s+)*"

# Most specific first: a match blocks the ones after it at the same place.
_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (name, re.compile(r"\b" + _BOUND + _PREP + body, re.IGNORECASE)) for name, body in [
    ("iso", r"(?P<iso>\d{4}-\d{2}-\d{2})\b"),
    ("day_month_year", _DAY + r"\s+(?:of\s+)?" + _MONTH + r",?\s+" + _YEAR + r"\b"),
    ("month_day_year", _MONTH + r"\s+" + _DAY + r",?\s+" + _YEAR + r"\b"),
    ("month_year", _MONTH + r",?\s+" + _YEAR + r"\b"),
    ("day_month", r"\b" + _DAY + r"\s+(?:of\s+)?" + _MONTH + r"\b"),
    ("month_day", r"\b" + _MONTH + r"\s+" + _DAY + r"\b(?!,?\s*\d{4})"),
    ("ago", r"\b" + _NUM + r"\s+(?P<unit>day|week|month|year)s?\s+(?:ago|earlier|before)\b"),
    ("relative", r"\b(?P<which>last|this|next|coming|past)\s+(?P<unit>week|month|year)\b"),
    ("named_day", r"\b(?P<named>yesterday|today|tomorrow|tonight|this morning|this afternoon|this evening)\b"),
    ("weekday", r"\b(?P<weekday>" + "|".join(WEEKDAYS) + r")\b"),
    # A bare month: full names only, and not "May" or "March" (too often a verb).
    ("month", r"\b(?P<month>" + "|".join(m for m in calendar.month_name if m and m not in ("May", "March"))
     + r")\b"),
    ("year", r"\b" + _YEAR + r"\b"),
    ]
]
_FUTURE = re.compile(r"\b(will|shall|is to|are to|is expected to|are expected to|plans? to|is scheduled to|"
                     r"are scheduled to|is due to|are due to|is set to|are set to|intends? to|going to)\b",
                     re.IGNORECASE)
_BOUNDS: dict[str, Bound] = {"since": "start", "from": "start", "after": "start", "until": "end", "till": "end",
                             "through": "end", "by": "end", "before": "end"}
_ORDER: dict[Precision, int] = {"year": 0, "month": 1, "day": 2}


@dataclass(frozen=True)
class DateGuess:
    """One date expression found in a text, and what it means given the publication date."""

    expression: str
    start: int
    end: int
    value: str
    bound: Bound
    reason: str

    @property
    def label(self) -> str:
        """How the form shows it: 'Saturday → 2015-09-26 (from the publication date)'."""
        return f"{self.expression} → {self.value}"


def _partial(day: dt.date, precision: Precision) -> str:
    return {"year": f"{day.year:04d}", "month": f"{day.year:04d}-{day.month:02d}", "day": day.isoformat()}[precision]


def _coarsen(day: dt.date, precision: Precision, published: PartialDate) -> tuple[str, bool]:
    """The date at ``precision``; when the publication date is coarser than that, the publication period
    itself ("on Saturday" in an article of 2015-09 is some day of 2015-09, nothing finer)."""
    if _ORDER[precision] > _ORDER[published.precision]:
        return str(published), True
    return _partial(day, precision), False


def _shift_month(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _is_future(text: str, start: int, matched: str, groups: dict[str, str | None]) -> bool:
    if (groups.get("which") or "").lower() in ("next", "coming") or re.match(r"(?i)(next|coming)\b", matched):
        return True
    if re.match(r"(?i)(last|past)\b", matched):
        return False
    if (groups.get("named") or "").lower() == "tomorrow":
        return True
    if (groups.get("which") or "").lower() in ("last", "past"):
        return False
    before = text[max(0, start - 80):start]
    sentence_start = max(before.rfind(". "), before.rfind("\n"))
    return bool(_FUTURE.search(before[sentence_start + 1:]))


def _resolve(name: str, g: dict[str, str | None], pub: PartialDate, future: bool
             ) -> tuple[dt.date, Precision, str, bool] | None:
    """(a day in the period, its precision, how it was worked out, relative to the publication date?)."""
    base = pub.first if not future else pub.last
    if name == "iso":
        try:
            return dt.date.fromisoformat(g["iso"] or ""), "day", "the date as written", False
        except ValueError:
            return None
    month = MONTHS.get((g.get("month") or "").lower().rstrip("."))
    if name in ("day_month_year", "month_day_year"):
        assert month is not None and g["year"] and g["day"]
        try:
            return dt.date(int(g["year"]), month, int(g["day"])), "day", "the date as written", False
        except ValueError:
            return None
    if name == "month_year":
        assert month is not None and g["year"]
        return dt.date(int(g["year"]), month, 1), "month", "the month as written", False
    if name == "year":
        assert g["year"]
        return dt.date(int(g["year"]), 1, 1), "year", "the year as written", False
    if name in ("day_month", "month_day"):
        assert month is not None and g["day"]
        day = int(g["day"])
        for year in ([pub.last.year, pub.last.year - 1] if not future else [pub.first.year, pub.first.year + 1]):
            try:
                candidate = dt.date(year, month, day)
            except ValueError:
                return None
            if (not future and candidate <= pub.last) or (future and candidate > pub.first):
                which = "the next" if future else "the most recent"
                return candidate, "day", f"{which} {calendar.month_name[month]} {day}", True
        return None
    if name == "month":
        assert month is not None
        year = pub.last.year if not future else pub.first.year
        if not future and month > pub.last.month:
            year -= 1
        if future and month < pub.first.month:
            year += 1
        which = "the next" if future else "the most recent"
        return dt.date(year, month, 1), "month", f"{which} {calendar.month_name[month]}", True
    if name == "weekday":
        weekday = WEEKDAYS[(g["weekday"] or "").lower()]
        if future:
            days = (weekday - base.weekday()) % 7 or 7
            return base + dt.timedelta(days=days), "day", f"the next {calendar.day_name[weekday]}", True
        days = (base.weekday() - weekday) % 7
        return (base - dt.timedelta(days=days), "day",
                f"the most recent {calendar.day_name[weekday]} on or before the publication date", True)
    if name == "named_day":
        named = (g["named"] or "").lower()
        offset = {"yesterday": -1, "tomorrow": 1}.get(named, 0)
        return base + dt.timedelta(days=offset), "day", f"“{named}” counted from the publication date", True
    if name in ("ago", "relative"):
        unit = (g["unit"] or "").lower()
        if name == "ago":
            raw = (g["n"] or "").lower()
            n = -(int(raw) if raw.isdigit() else NUMBERS[raw])
        else:
            n = {"last": -1, "past": -1, "this": 0, "next": 1, "coming": 1}[(g["which"] or "").lower()]
        if unit == "day":
            side = "before" if n < 0 else "after"
            return base + dt.timedelta(days=n), "day", f"{abs(n)} day(s) {side} the publication date", True
        if unit == "week":
            return (base + dt.timedelta(weeks=n), "month", "a week names no day: the month that week falls in",
                    True)
        if unit == "month":
            return _shift_month(base, n), "month", "counted in months from the publication date", True
        return dt.date(base.year + n, 1, 1), "year", "counted in years from the publication date", True
    return None


def resolve(text: str, published: PartialDate | None, *, future: bool | None = None) -> list[DateGuess]:
    """Every date expression in ``text`` with its meaning; relative ones need ``published``.

    ``future`` forces the tense (None: worked out from the words before each expression).
    """
    taken: list[tuple[int, int]] = []
    guesses: list[DateGuess] = []
    for name, pattern in _PATTERNS:
        for match in pattern.finditer(text):
            start, end = match.span()
            core_start = match.start("bound") if match.group("bound") else start
            if any(s < end and start < e for s, e in taken):
                continue
            groups = match.groupdict()
            tense = _is_future(text, core_start, match.group(0), groups) if future is None else future
            relative = name not in ("iso", "day_month_year", "month_day_year", "month_year", "year")
            if relative and published is None:
                continue
            resolved = _resolve(name, groups, published or PartialDate.parse("2000"), tense)
            if resolved is None:
                continue
            day, precision, how, from_publication = resolved
            assert published is not None or not from_publication
            if from_publication and published is not None:
                value, coarser = _coarsen(day, precision, published)
                reason = f"“{match.group(0)}” → {value}: {how}"
                if tense and name != "ago":
                    reason += " (future tense)"
                reason += f"; publication date {published}"
                if coarser:
                    reason += f", which gives only the {published.precision}"
            else:
                value, reason = _partial(day, precision), f"“{match.group(0)}” → {_partial(day, precision)}: {how}"
            bound = _BOUNDS.get((groups.get("bound") or "").lower(), "date")
            taken.append((start, end))
            guesses.append(DateGuess(match.group(0), start, end, value, bound, reason))
    return sorted(guesses, key=lambda guess: guess.start)
