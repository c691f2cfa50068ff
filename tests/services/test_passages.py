"""Actor mentions and sentence context, as panels and the reader show them."""

from webapp.services.passages import article_segments, excerpt
from webapp.text.mentions import mentions
from webapp.text.sentences import sentence_bounds

NAMES = {"U.S.": "united-states", "U.S.-led coalition": "us-led-coalition", "Iran": "iran", "Tehran": "iran"}


def test_mentions_take_the_longest_name_and_skip_hyphenated_words():
    text = "A U.S.-led coalition and the U.S. met Iran-backed groups in Tehran."
    assert [(text[s:e], a) for s, e, a in mentions(text, NAMES)] == [
        ("U.S.-led coalition", "us-led-coalition"), ("U.S.", "united-states"), ("Tehran", "iran")]


def test_excerpt_is_the_passage_inside_its_sentence():
    text = "First sentence. Then the U.S. refused to work with Iran, officials said. Last one."
    start = text.index("refused")
    end = text.index(", officials")
    left, right = sentence_bounds(text, start, end)
    assert text[left:right] == "Then the U.S. refused to work with Iran, officials said."
    segments = excerpt(text, start, end, NAMES)
    assert "".join(s.text for s in segments) == text[left:right]
    assert "".join(s.text for s in segments if s.passage) == text[start:end]
    assert [s.text for s in segments if s.actor] == ["U.S.", "Iran"]


def test_article_segments_cover_the_text_and_list_overlapping_passages():
    text = "Iran and the U.S. disagree."
    segments = article_segments(text, [(1, 0, 17), (2, 9, 26)], NAMES)
    assert "".join(s.text for s in segments) == text
    both = [s for s in segments if s.passages == [1, 2]]
    assert "".join(s.text for s in both) == "the U.S."
    assert next(s for s in segments if s.text == "U.S.").actor == "united-states"
    assert [s.anchor for s in segments if s.anchor] == [1, 2]


def test_titles_do_not_end_a_sentence_but_blank_lines_do():
    text = "Old news.\n\nThe spokesman, Col. Steve Warren, said so. Next."
    start = text.index("said")
    left, right = sentence_bounds(text, start, start + 4)
    assert text[left:right] == "The spokesman, Col. Steve Warren, said so."
