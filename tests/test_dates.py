"""Partial dates cover their whole period; bad ones are rejected with a reason."""

import datetime as dt

import pytest

from webapp.dates import DateError, PartialDate


@pytest.mark.parametrize(
    ("text", "first", "last", "precision"),
    [
        ("2011", dt.date(2011, 1, 1), dt.date(2011, 12, 31), "year"),
        ("2015-09", dt.date(2015, 9, 1), dt.date(2015, 9, 30), "month"),
        ("2016-02", dt.date(2016, 2, 1), dt.date(2016, 2, 29), "month"),
        ("2015-09-27", dt.date(2015, 9, 27), dt.date(2015, 9, 27), "day"),
        (2028, dt.date(2028, 1, 1), dt.date(2028, 12, 31), "year"),
    ],
)
def test_partial_date_covers_its_period(text, first, last, precision):
    date = PartialDate.parse(text)
    assert (date.first, date.last, date.precision) == (first, last, precision)
    assert str(date) == str(text)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("2015-13-45", "no month 13"),
        ("2015-02-30", "no day 30"),
        ("2015-9", "is not a date"),
        ("27/09/2015", "is not a date"),
        ("", "is not a date"),
        ("0000", "no year 0"),
    ],
)
def test_bad_dates_say_what_is_wrong(text, reason):
    with pytest.raises(DateError, match=reason):
        PartialDate.parse(text)


def test_a_datetime_is_not_a_partial_date():
    with pytest.raises(DateError, match="time of day"):
        PartialDate.parse(dt.datetime(2015, 9, 27, 12, 0))
