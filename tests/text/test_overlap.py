"""The republication rule: copies and near-copies from another outlet count once; other reports of the
same event, and updates from the same outlet, do not."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from webapp.datasets.importer import read_article
from webapp.text.overlap import REPUBLICATION_SHARE, Article, fingerprint, republications, share

ARTICLES = Path(__file__).parent.parent / "fixtures" / "articles"


def text_of(name: str) -> str:
    return read_article(ARTICLES / name).source.text


def article(ident: str, outlet: str | None, day: int, text: str) -> Article:
    return Article(ident, outlet, (False, dt.date(2024, 5, day), ident), text)


A, B, C = (text_of(f"vell-patrols-{x}.html") for x in "abc")


def test_a_republication_under_a_new_headline_and_byline_is_found():
    # All but the new headline (7 of its 138 words) is A's.
    assert 0.9 <= share(fingerprint(B), fingerprint(A)) < 1.0
    assert republications([article("a", "The Meridian Post", 10, A), article("b", "The Harbour Courier", 11, B)]) \
        == {"b": ("a", share(fingerprint(B), fingerprint(A)))}


def test_the_earlier_one_is_the_original_whatever_the_order_given():
    found = republications([article("b", "The Harbour Courier", 11, B), article("a", "The Meridian Post", 10, A)])
    assert list(found) == ["b"] and found["b"][0] == "a"


def test_a_near_copy_with_words_changed_and_a_sentence_cut_is_still_a_republication():
    edited = (A.replace("agreed on Thursday", "agreed on Thursday evening")
               .replace("closest ally", "oldest ally")
               .replace("Fishermen in the border town of Hask said they hoped the patrols would end the nightly "
                        "chases on the water.", "")
               .replace("two days of talks", "two long days of talks"))
    assert edited != A
    assert fingerprint(edited).normalised - fingerprint(A).normalised, "some sentences differ"
    assert share(fingerprint(edited), fingerprint(A)) >= REPUBLICATION_SHARE
    assert republications([article("a", "Post", 10, A), article("e", "Gazette", 12, edited)])["e"][0] == "a"


def test_an_independent_report_of_the_same_event_is_not_a_republication():
    # C names the same actors, the same place and deal, and quotes some of the same people.
    assert share(fingerprint(C), fingerprint(A)) < 0.2
    assert republications([article("a", "The Meridian Post", 10, A), article("c", "Eastern Wire", 12, C)]) == {}


def test_a_short_piece_that_quotes_one_sentence_of_a_long_report_is_not_its_copy():
    digest = "Ostmark and Dravenia made news this week. " + A.split("\n")[0] + "\nMore on this story later today."
    assert republications([article("a", "Post", 10, A), article("d", "Digest", 11, digest)]) == {}


def test_the_same_outlet_publishing_again_is_not_a_republication():
    assert republications([article("a", "The Meridian Post", 10, A), article("a2", "the meridian post", 11, B)]) == {}


def test_a_copy_of_a_copy_counts_with_the_first_original():
    found = republications([article("a", "Post", 10, A), article("b", "Courier", 11, B),
                            article("b2", "Wire", 12, B + "\nShared by the Wire.")])
    assert found["b"][0] == "a" and found["b2"][0] == "a"


def test_datelines_and_bylines_do_not_count_as_sentences():
    assert fingerprint("By Mara Linde.\n\nLORN, May 10.").sentences == ()
