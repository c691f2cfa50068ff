"""Date expressions resolved against the publication date: a table of expressions × publication dates × tense."""

from __future__ import annotations

import pytest

from webapp.dates import PartialDate
from webapp.text.when import resolve

SUNDAY = "2015-09-27"       # the seed article's publication date, a Sunday
WEDNESDAY = "2015-09-30"
NEW_YEAR = "2015-01-02"     # a Friday


@pytest.mark.parametrize(("text", "published", "value", "bound"), [
    # Weekdays: the most recent on or before publication; the publication day itself when it matches.
    ("Kerry met Lavrov on Saturday.", SUNDAY, "2015-09-26", "date"),
    ("The command announced the deal on Sunday.", SUNDAY, "2015-09-27", "date"),
    ("The command announced the deal on Sunday.", WEDNESDAY, "2015-09-27", "date"),
    ("Talks were held on Monday.", SUNDAY, "2015-09-21", "date"),
    ("Talks were held on Thursday.", NEW_YEAR, "2015-01-01", "date"),
    ("Talks were held last Saturday.", SUNDAY, "2015-09-26", "date"),
    # Future tense: the next one after publication.
    ("The ministers will meet on Monday.", SUNDAY, "2015-09-28", "date"),
    ("The ministers will meet on Sunday.", SUNDAY, "2015-10-04", "date"),
    ("They meet again next Saturday.", SUNDAY, "2015-10-03", "date"),
    ("The ministers are expected to meet on Friday.", NEW_YEAR, "2015-01-09", "date"),
    # Months without a year.
    ("In September the deal was signed.", SUNDAY, "2015-09", "date"),
    ("In December the rebels retreated.", SUNDAY, "2014-12", "date"),
    ("The coalition will strike again in December.", SUNDAY, "2015-12", "date"),
    ("The talks will resume in August.", SUNDAY, "2016-08", "date"),
    ("On September 20 the army moved.", SUNDAY, "2015-09-20", "date"),
    ("On 30 December the army moved.", NEW_YEAR, "2014-12-30", "date"),
    # Relative periods.
    ("Last month, Russia sent jets.", SUNDAY, "2015-08", "date"),
    ("Last month, Russia sent jets.", NEW_YEAR, "2014-12", "date"),
    ("The talks will resume next month.", SUNDAY, "2015-10", "date"),
    ("Two weeks ago the army retreated.", SUNDAY, "2015-09", "date"),
    ("Two weeks ago the army retreated.", NEW_YEAR, "2014-12", "date"),
    ("3 days ago the army retreated.", SUNDAY, "2015-09-24", "date"),
    ("Yesterday the army retreated.", NEW_YEAR, "2015-01-01", "date"),
    ("The deal is to be signed tomorrow.", SUNDAY, "2015-09-28", "date"),
    ("Last year the militias advanced.", SUNDAY, "2014", "date"),
    ("Elections are due next year.", SUNDAY, "2016", "date"),
    ("Two years ago the caliphate was declared.", SUNDAY, "2013", "date"),
    # Bounds and absolute dates.
    ("Iran has backed Assad since 2011.", SUNDAY, "2011", "start"),
    ("Iran has backed Assad since last year.", SUNDAY, "2014", "start"),
    ("The mission runs until 2016.", SUNDAY, "2016", "end"),
    ("On 27 September 2015 the command said so.", NEW_YEAR, "2015-09-27", "date"),
    ("On September 27, 2015 the command said so.", NEW_YEAR, "2015-09-27", "date"),
    ("In June 2014 the caliphate was declared.", SUNDAY, "2014-06", "date"),
    ("The statement of 2015-09-27 says so.", NEW_YEAR, "2015-09-27", "date"),
    # Never finer than the publication date.
    ("Kerry met Lavrov on Saturday.", "2015-09", "2015-09", "date"),
    ("Yesterday the army retreated.", "2015", "2015", "date"),
    ("Last month, Russia sent jets.", "2015-09", "2015-08", "date"),
    ("Last month, Russia sent jets.", "2015", "2015", "date"),
])
def test_resolution(text, published, value, bound):
    guesses = resolve(text, PartialDate.parse(published))
    assert [(g.value, g.bound) for g in guesses] == [(value, bound)], [g.reason for g in guesses]
    assert guesses[0].expression.lower() in text.lower()
    # A date counted from the publication date says so; one written out says it was.
    assert published in guesses[0].reason or "as written" in guesses[0].reason


@pytest.mark.parametrize(("future", "value"), [(False, "2015-09-26"), (True, "2015-10-03")])
def test_the_tense_can_be_given(future, value):
    assert resolve("They meet on Saturday.", PartialDate.parse(SUNDAY), future=future)[0].value == value


def test_the_reason_says_how_in_words():
    guess = resolve("Kerry met Lavrov on Saturday.", PartialDate.parse(SUNDAY))[0]
    assert guess.label == "on Saturday → 2015-09-26"
    assert guess.reason == ("“on Saturday” → 2015-09-26: the most recent Saturday on or before the publication "
                            "date; publication date 2015-09-27")
    coarse = resolve("Kerry met Lavrov on Saturday.", PartialDate.parse("2015-09"))[0]
    assert coarse.reason.endswith("publication date 2015-09, which gives only the month")


def test_without_a_publication_date_only_absolute_dates_are_resolved():
    guesses = resolve("On Saturday, as in June 2014, they met.", None)
    assert [(g.expression, g.value) for g in guesses] == [("in June 2014", "2014-06")]


def test_words_that_only_look_like_dates_are_left_alone():
    assert resolve("Iran may join the coalition, and the march went on.", PartialDate.parse(SUNDAY)) == []
    assert [g.expression for g in resolve("On Saturday and on Sunday.", PartialDate.parse(SUNDAY))] == [
        "On Saturday", "on Sunday"]
