"""Searching the text of every source (issue 10, item 4): full-text (SQLite FTS5 / PostgreSQL), results as
sentences that open the reader on them; new sources are found at once; bad queries are 400s."""

from __future__ import annotations

import html

import pytest

SOURCE = "pjtatler-2015-09-27-iraq-intel"


def hits(client, query: str) -> list[str]:  # type: ignore[no-untyped-def]
    page = client.get("/search", query_string={"q": query})
    assert page.status_code == 200
    body = html.unescape(page.get_data(as_text=True))
    return [part.split("</a>")[0] for part in body.split('data-testid="search-hit-link">')[1:]]


def test_words_find_their_sentences_stemmed_and_marked(client):
    found = hits(client, "coordinated Tehran")
    assert len(found) == 1 and "<mark>coordinated</mark>" in found[0] and "<mark>Tehran</mark>" in found[0]
    assert any("<mark>Share</mark>" in h for h in hits(client, "sharing"))       # stemmed
    page = client.get("/search?q=coordinated+Tehran").get_data(as_text=True)
    assert f'href="/sources/{SOURCE}#t-' in page


def test_a_quoted_phrase_must_occur_as_written(client):
    assert len(hits(client, '"not yet coordinated"')) == 1
    assert hits(client, '"coordinated not yet"') == []


def test_a_source_added_later_is_found_at_once(client, runner, tmp_path):
    article = tmp_path / "harbour.txt"
    article.write_text("Marovia and Tessaly signed a harbour accord.\n", encoding="utf-8")
    assert runner.invoke(args=["import-source", str(article), "--dataset", "iraq-intel-2015",
                               "--title", "Harbour"]).exit_code == 0
    assert len(hits(client, "harbour accord")) == 1


@pytest.mark.parametrize("query", ["x" * 201, "a\x00b", "!!! ???"])
def test_bad_queries_are_refused_with_a_reason(client, query):
    response = client.get("/search", query_string={"q": query})
    text = response.get_data(as_text=True)
    # A NUL is refused before the search sees it, for every URL alike.
    assert response.status_code == 400 and ("search" in text.lower() or "NUL character" in text)
