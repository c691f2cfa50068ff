"""Quotes are found despite typographic differences, and reported in the source's own characters."""

from webapp.text import match as textmatch

SOURCE = ("Iran\u00a0and Russia agreed to fight \u201cterrorists\u201d \u2014 Russia\u2019s commitment,\n"
          "  said   officials. Russia\u2019s commitment grows.")


def _texts(quote):
    return [SOURCE[s:e] for s, e in textmatch.find_all(SOURCE, quote)]


def test_non_breaking_and_repeated_spaces_match_a_plain_space():
    assert _texts("Iran and Russia") == ["Iran\u00a0and Russia"]
    assert _texts("commitment, said officials.") == ["commitment,\n  said   officials."]


def test_straight_quotes_match_curly_ones_and_the_source_characters_are_kept():
    assert _texts('fight "terrorists"') == ["fight \u201cterrorists\u201d"]


def test_dashes_and_apostrophes_are_interchangeable():
    assert _texts("\"terrorists\" - Russia's") == ["\u201cterrorists\u201d \u2014 Russia\u2019s"]
    assert _texts("terrorists\u201d \u2013 Russia") == ["terrorists\u201d \u2014 Russia"]


def test_repeated_quotes_are_all_found_in_order():
    spans = textmatch.find_all(SOURCE, "Russia's commitment")
    assert len(spans) == 2
    assert spans[0][0] < spans[1][0]
    assert textmatch.occurrence_of(SOURCE, *spans[1]) == (2, 2)


def test_case_and_words_still_matter():
    assert textmatch.find_all(SOURCE, "iran and russia") == []
    assert textmatch.find_all(SOURCE, "Iran and China") == []
    assert textmatch.find_all(SOURCE, "   ") == []


def test_context_gives_prefix_and_suffix():
    start, end = textmatch.find_all(SOURCE, "Russia agreed")[0]
    prefix, suffix = textmatch.context(SOURCE, start, end, width=9)
    assert prefix == "Iran\u00a0and "
    assert suffix == " to fight"
