"""Partial dates (``2011``, ``2015-09``, ``2015-09-27``): parsing, precision and the period covered."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

Precision = Literal["year", "month", "day"]

_PATTERN = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


class DateError(ValueError):
    """A string that is not a valid partial date."""


@dataclass(frozen=True, order=True)
class PartialDate:
    """A date known to a year, a month or a day; it covers that whole period."""

    first: dt.date
    last: dt.date
    precision: Precision

    @classmethod
    def parse(cls, value: object) -> PartialDate:
        """Parse ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` (YAML may hand us an int or a date)."""
        if isinstance(value, dt.datetime):
            raise DateError(f"{value!s} has a time of day; give a date (YYYY, YYYY-MM or YYYY-MM-DD)")
        if isinstance(value, dt.date):
            return cls(value, value, "day")
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise DateError(f"{value!r} is not a date (use YYYY, YYYY-MM or YYYY-MM-DD)")
        text = str(value).strip()
        match = _PATTERN.match(text)
        if not match:
            raise DateError(f"{text!r} is not a date (use YYYY, YYYY-MM or YYYY-MM-DD)")
        year, month, day = (int(g) if g else None for g in match.groups())
        assert year is not None
        if year < 1:
            raise DateError(f"{text!r} has no year 0")
        if month is None:
            return cls(dt.date(year, 1, 1), dt.date(year, 12, 31), "year")
        if not 1 <= month <= 12:
            raise DateError(f"{text!r} has no month {month}")
        last_day = calendar.monthrange(year, month)[1]
        if day is None:
            return cls(dt.date(year, month, 1), dt.date(year, month, last_day), "month")
        if not 1 <= day <= last_day:
            raise DateError(f"{text!r}: month {month} of {year} has no day {day}")
        return cls(dt.date(year, month, day), dt.date(year, month, day), "day")

    def __str__(self) -> str:
        if self.precision == "year":
            return f"{self.first.year:04d}"
        if self.precision == "month":
            return f"{self.first.year:04d}-{self.first.month:02d}"
        return self.first.isoformat()


def parse_optional(value: object) -> PartialDate | None:
    return None if value is None else PartialDate.parse(value)


def precision_of(text: str | None) -> Precision | None:
    """The precision of a stored partial date string."""
    return None if text is None else PartialDate.parse(text).precision


def describe(date: PartialDate) -> str:
    """How a partial date reads, in words: '2015-09' → 'all of September 2015'."""
    if date.precision == "year":
        return f"all of {date.first.year}"
    if date.precision == "month":
        return f"all of {date.first:%B} {date.first.year}"
    return f"{date.first:%A} {date.first.day} {date.first:%B} {date.first.year}"


def interval_text(start: str | None, end: str | None,
                  start_reason: str | None = None, end_reason: str | None = None) -> str:
    """An interval in plain words, each bound marked when inferred: tooltips, CSV, the image's legend."""
    def bound(value: str, reason: str | None) -> str:
        return f"{value} (inferred)" if reason else value

    if start and end:
        return f"{bound(start, start_reason)} to {bound(end, end_reason)}"
    if start:
        return f"since {bound(start, start_reason)}"
    if end:
        return f"until {bound(end, end_reason)}"
    return "dates not stated"
