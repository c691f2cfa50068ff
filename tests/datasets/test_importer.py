"""`import-source`: an article (.md, .txt, .html) joins a dataset, exports and loads back; bad input writes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from tests.conftest import SEED_DIR
from tests.datasets.test_loader import snapshot
from webapp.datasets.importer import extract_html, paragraph_spans, slug
from webapp.datasets.reader import read_dataset
from webapp.models import Dataset, Passage, Source
from webapp.services import accounts

SEED_SOURCE = "pjtatler-2015-09-27-iraq-intel"
SEED_FILE = SEED_DIR / "sources" / f"{SEED_SOURCE}.md"

ARTICLE = """\
Iraq said on Sunday it would share intelligence with Iran and Russia.

Daesh fighters retreated from two towns. Iraq and Iran welcomed the news; Russia said little.

The Iraqi military agreed.
"""


def write(path: Path, text: str) -> Path:
    path.write_bytes(text.encode("utf-8"))
    return path


@pytest.fixture
def article(tmp_path: Path) -> Path:
    return write(tmp_path / "Intel Deal (Oct 2015).md", (
        "---\n"
        'title: "Iraq, Iran and Russia agree"\n'
        "publisher: Example News\n"
        "author: A. Writer\n"
        "url: https://news.example/intel-deal\n"
        "published: 2015-10\n"
        "---\n" + ARTICLE
    ))


def import_source(runner, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(args=["import-source", *args])


def revision(session, dataset_id: str = "iraq-intel-2015") -> int:  # type: ignore[no-untyped-def]
    session.expire_all()
    return session.get(Dataset, dataset_id).revision


def test_markdown_article_is_added_and_its_actors_reported(runner, session, article):
    before = revision(session)
    result = import_source(runner, str(article), "--dataset", "iraq-intel-2015")
    assert result.exit_code == 0, result.output

    assert "added source 'intel-deal-oct-2015' to dataset 'iraq-intel-2015'" in result.output
    assert "31 words in 3 paragraph(s)" in result.output
    lines = result.output.splitlines()
    reported = [line.strip().split(",")[0] for line in lines if "mention(s)" in line]
    # Most mentioned first; "Iraqi military" is an alias of Iraq and "Daesh" of the Islamic State.
    assert reported == [
        "Iraq [iraq]: 3 mention(s)", "Iran [iran]: 2 mention(s)", "Russia [russia]: 2 mention(s)",
        "Islamic State [isis]: 1 mention(s)",
    ]
    isis = next(line for line in lines if "[isis]" in line)
    assert "first in paragraph 2: “Daesh fighters retreated from two towns.”" in isis

    source = session.get(Source, "intel-deal-oct-2015")
    assert source.dataset_id == "iraq-intel-2015"
    assert source.text == ARTICLE  # the body exactly as written
    assert (source.title, source.publisher, source.author) == (
        "Iraq, Iran and Russia agree", "Example News", "A. Writer")
    assert (source.url, source.published, source.language) == ("https://news.example/intel-deal", "2015-10", "en")
    assert source.published_first.isoformat() == "2015-10-01"
    assert source.filename == "intel-deal-oct-2015.md"
    assert revision(session) == before + 1


def test_options_fill_in_and_override_the_front_matter(runner, session, article):
    result = import_source(runner, str(article), "--dataset", "iraq-intel-2015", "--id", "intel-deal",
                           "--title", "A better title", "--published", "2015-10-02", "--language", "en-GB")
    assert result.exit_code == 0, result.output
    source = session.get(Source, "intel-deal")
    assert (source.title, source.published, source.language) == ("A better title", "2015-10-02", "en-GB")
    assert source.publisher == "Example News"


def test_plain_text_takes_its_metadata_from_the_options(runner, session, tmp_path):
    text = "Iran and Russia met.\r\n\r\nIraq was not there.\r\n"
    path = write(tmp_path / "meeting.txt", text)

    missing = import_source(runner, str(path), "--dataset", "iraq-intel-2015")
    assert missing.exit_code != 0
    assert f"{path}: a source is missing the required field 'title' (or give --title)" in missing.output
    assert session.get(Source, "meeting") is None

    result = import_source(runner, str(path), "--dataset", "iraq-intel-2015", "--title", "The meeting",
                           "--publisher", "Wire", "--published", "2015")
    assert result.exit_code == 0, result.output
    assert "Iran [iran]: 1 mention(s)" in result.output and "Iraq [iraq]: 1 mention(s)" in result.output
    source = session.get(Source, "meeting")
    assert source.text == text  # line endings kept, byte for byte
    assert (source.title, source.publisher, source.published) == ("The meeting", "Wire", "2015")


PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <title>Iraq joins the pact &amp; more | World News</title>
  <meta name="author" content="Sam   Reporter">
  <meta property="article:published_time" content="2015-09-28T09:30:00+00:00">
  <link rel="canonical" href="https://world.example/iraq-pact">
  <style>p { color: red } /* Iran */</style>
  <script>var leaked = "Russia secret";</script>
</head>
<body>
  <nav><ul><li>Home</li><li>Syria coverage</li></ul></nav>
  <article>
    <h1>Iraq joins the pact</h1>
    <p>Iraq&nbsp;will   share
       intelligence with <a href="/iran">Iran</a>.</p>
    <p>Officials in Baghdad called it &ldquo;a turning point&rdquo;.
    <ul><li>One item</li><li>Another about Daesh</li></ul>
    <blockquote><p>We will win.</p></blockquote>
    <script>document.write("Russia")</script>
  </article>
  <footer><p>&copy; 2015 World News</p></footer>
</body>
</html>
"""


def test_html_page_becomes_readable_text_with_its_metadata(runner, session, tmp_path):
    path = write(tmp_path / "pact.html", PAGE)
    result = import_source(runner, str(path), "--dataset", "iraq-intel-2015", "--publisher", "World News")
    assert result.exit_code == 0, result.output
    source = session.get(Source, "pact")
    assert source.text == (
        "Iraq joins the pact\n\n"
        "Iraq will share intelligence with Iran.\n\n"
        "Officials in Baghdad called it “a turning point”.\n\n"
        "One item\n\nAnother about Daesh\n\n"
        "We will win.\n"
    )
    assert source.title == "Iraq joins the pact & more | World News"
    assert (source.author, source.published, source.url) == ("Sam Reporter", "2015-09-28", "https://world.example/iraq-pact")
    assert "Russia" not in result.output and "Syria" not in result.output  # script and nav text stay out
    assert "Iraq [iraq]: 2 mention(s)" in result.output and "Islamic State [isis]: 1 mention(s)" in result.output


def test_html_extraction_handles_loose_markup():
    page = extract_html(
        "<body><p>First<p>Second <b>bold</b> end<ul><li>a<li>b<ul><li>inner</ul></li></ul>"
        "<div>outside any paragraph</div><aside><p>Related</p></aside><h2>Tail</h2></body>"
    )
    assert page.text == "First\n\nSecond bold end\n\na\n\nb\n\ninner\n\nTail\n"
    assert extract_html("<h1>Only a heading</h1>").metadata["title"] == ("Only a heading", 0)
    assert extract_html("<script>x</script>").text == ""


def test_html_problem_lines_point_into_the_page(runner, session, tmp_path):
    path = write(tmp_path / "bad.html", '<html>\n<head>\n<meta property="article:published_time" content="28 Sept">'
                 "</head><body><p>Iraq.</p></body></html>")
    result = import_source(runner, str(path), "--dataset", "iraq-intel-2015")
    assert result.exit_code != 0
    assert f"{path}:3: bad date in 'published'" in result.output
    assert f"{path}: a source is missing the required field 'title'" in result.output


def test_bad_front_matter_is_reported_with_lines_and_nothing_is_written(runner, session, tmp_path):
    path = write(tmp_path / "bad.md", (
        "---\n"
        "id: Not An Id\n"
        "published: 2015-13-01\n"
        "publisher: Somebody\n"
        "tags: [a]\n"
        "---\n"
        "Iraq and Iran.\n"
    ))
    before = snapshot(session)
    result = import_source(runner, str(path), "--dataset", "iraq-intel-2015")
    assert result.exit_code != 0
    assert f"{path}:2: 'id' 'Not An Id' is not a valid id" in result.output
    assert f"{path}:3: bad date in 'published': '2015-13-01' has no month 13" in result.output
    assert f"{path}:2: a source is missing the required field 'title'" in result.output
    assert f"{path}:5: unknown field 'tags' in a source" in result.output
    assert "4 problem(s): nothing was imported" in result.output
    session.expire_all()
    assert snapshot(session) == before


@pytest.mark.parametrize(("text", "expected"), [
    ("---\ntitle: [unclosed\n---\nIraq.\n", ":3: YAML syntax error"),
    ("title: no front matter\n\nIraq.\n", ":1: missing YAML front matter"),
    ("---\ntitle: Empty\n---\n\n", ":2: the source has no text after its front matter"),
])
def test_unreadable_markdown_is_refused(runner, session, tmp_path, text, expected):
    path = write(tmp_path / "broken.md", text)
    result = import_source(runner, str(path), "--dataset", "iraq-intel-2015")
    assert result.exit_code != 0
    assert f"{path}{expected}" in result.output
    assert session.get(Source, "broken") is None


def test_bad_options_and_files_are_refused(runner, session, tmp_path, article):
    bad_date = import_source(runner, str(article), "--dataset", "iraq-intel-2015", "--published", "2015-02-30")
    assert bad_date.exit_code == 2 and "Invalid value for '--published'" in bad_date.output
    bad_id = import_source(runner, str(article), "--dataset", "iraq-intel-2015", "--id", "Bad Id")
    assert bad_id.exit_code == 2 and "'Bad Id' is not a valid id" in bad_id.output
    pdf = write(tmp_path / "paper.pdf", "%PDF")
    unsupported = import_source(runner, str(pdf), "--dataset", "iraq-intel-2015")
    assert unsupported.exit_code != 0 and "cannot import a '.pdf' file" in unsupported.output
    latin1 = tmp_path / "latin.txt"
    latin1.write_bytes("Caf\xe9 in Iraq".encode("latin-1"))
    not_utf8 = import_source(runner, str(latin1), "--dataset", "iraq-intel-2015", "--title", "Café")
    assert not_utf8.exit_code != 0 and f"{latin1}: not UTF-8 text" in not_utf8.output


def test_unknown_dataset_is_refused(runner, session, article):
    before = snapshot(session)
    result = import_source(runner, str(article), "--dataset", "nope")
    assert result.exit_code != 0
    assert "no dataset 'nope' (loaded: iraq-intel-2015)" in result.output
    session.expire_all()
    assert snapshot(session) == before


def test_source_ids_are_unique_across_datasets(runner, session, river_pact, article):
    taken = import_source(runner, str(article), "--dataset", "river-pact", "--id", SEED_SOURCE, "--replace")
    assert taken.exit_code != 0
    assert f"source id '{SEED_SOURCE}' is already used by dataset 'iraq-intel-2015'" in taken.output

    assert import_source(runner, str(article), "--dataset", "iraq-intel-2015").exit_code == 0
    again = import_source(runner, str(article), "--dataset", "iraq-intel-2015")
    assert again.exit_code != 0
    assert "dataset 'iraq-intel-2015' already has a source 'intel-deal-oct-2015': give --replace" in again.output

    same = import_source(runner, str(article), "--dataset", "iraq-intel-2015", "--replace")
    assert same.exit_code == 0 and "nothing changed" in same.output


def test_replacing_a_text_reports_notes_that_lose_their_words(runner, client, app, make_user, article):
    assert import_source(runner, str(article), "--dataset", "iraq-intel-2015").exit_code == 0
    make_user("ed", "editor")
    with app.extensions["database"].transaction() as session:
        token = accounts.issue_token(session, "ed").token
    quote = {"type": "TextQuoteSelector", "exact": "Russia said little."}
    note = client.post("/api/annotations", headers={"Authorization": f"Bearer {token}"}, json={
        "text": "Russia is quiet.", "target": {"source": "intel-deal-oct-2015", "selector": [quote]},
    })
    assert note.status_code == 201

    write(article, article.read_text(encoding="utf-8").replace(" Russia said little.", ""))
    result = import_source(runner, str(article), "--dataset", "iraq-intel-2015", "--replace")
    assert result.exit_code == 0, result.output
    assert "1 note(s) have lost their target and are kept as orphaned" in result.output


def seed_article(tmp_path: Path, edit) -> Path:  # type: ignore[no-untyped-def]
    _, front, body = SEED_FILE.read_text(encoding="utf-8").split("---\n", 2)
    return write(tmp_path / f"{SEED_SOURCE}.md", "---\n" + front + "---\n" + edit(body))


def test_replace_refuses_to_break_evidence(runner, session, tmp_path):
    path = seed_article(tmp_path, lambda body: body.replace("Kerry sounds a little peeved", "Kerry sounds peeved"))
    before = snapshot(session)
    result = import_source(runner, str(path), "--dataset", "iraq-intel-2015", "--replace")
    assert result.exit_code != 0
    assert "the passage 'Kerry sounds a little peeved" in result.output
    assert "relation united-states-non-cooperation-iraq" in result.output \
        and "is no longer in the text" in result.output
    assert "would break 1 evidence passage(s)" in result.output
    session.expire_all()
    assert snapshot(session) == before


def test_replace_moves_passages_with_the_text(runner, session, tmp_path):
    path = seed_article(tmp_path, lambda body: "Editor's note: this post was updated.\n\n" + body)
    passages_before = session.scalar(select(Passage.id).where(Passage.source_id == SEED_SOURCE).limit(1))
    before = revision(session)
    result = import_source(runner, str(path), "--dataset", "iraq-intel-2015", "--replace")
    assert result.exit_code == 0, result.output
    assert "replaced source" in result.output and "evidence passage(s) moved with the text" in result.output
    session.expire_all()
    source = session.get(Source, SEED_SOURCE)
    assert source.text.startswith("Editor's note")
    passages = session.scalars(select(Passage).where(Passage.source_id == SEED_SOURCE)).all()
    assert passages and all(source.text[p.start:p.end] == p.exact for p in passages)
    assert session.get(Passage, passages_before) is not None  # moved in place, not re-created
    assert revision(session) == before + 1


def test_imported_source_exports_and_loads_back(runner, session, article, tmp_path):
    assert import_source(runner, str(article), "--dataset", "iraq-intel-2015").exit_code == 0
    out = tmp_path / "out"
    assert runner.invoke(args=["export", str(out), "--dataset", "iraq-intel-2015"]).exit_code == 0
    exported = out / "iraq-intel-2015" / "sources" / "intel-deal-oct-2015.md"
    assert exported.read_text(encoding="utf-8").split("---\n", 2)[2] == ARTICLE

    validate = runner.invoke(args=["validate", str(out / "iraq-intel-2015")])
    assert validate.exit_code == 0, validate.output
    assert "2 source(s)" in validate.output
    spec, problems = read_dataset(out / "iraq-intel-2015")
    assert not problems
    imported = next(s for s in spec.sources if s.id == "intel-deal-oct-2015")
    assert (imported.title, str(imported.published), imported.text) == (
        "Iraq, Iran and Russia agree", "2015-10", ARTICLE)

    before = snapshot(session)
    load = runner.invoke(args=["load", str(out / "iraq-intel-2015")])
    assert load.exit_code == 0 and "nothing changed" in load.output, load.output
    session.expire_all()
    assert snapshot(session) == before


def test_slugs_and_paragraphs():
    assert slug("Iraq & Iran (2015) — Überblick") == "iraq-iran-2015-uberblick"
    assert slug("¿¡!") == ""
    assert paragraph_spans("One.\n\n  \nTwo\nlines.\r\n\r\nThree") == [(0, 4), (9, 19), (23, 28)]


def test_page_clutter_stays_out_of_the_text(runner, session):
    page = Path(__file__).parent.parent / "fixtures" / "articles" / "harbour-accord.html"
    result = import_source(runner, str(page), "--dataset", "iraq-intel-2015")
    assert result.exit_code == 0, result.output
    source = session.get(Source, "harbour-accord")
    for clutter in ("IE 11", "Image copyright", "Share this article", "All rights reserved", "Sign up",
                    "Read more", "Cookie", "By Ines Calder"):
        assert clutter not in source.text, clutter
    assert "Marovia and Tessaly signed an accord on Saturday" in source.text
    assert source.text.count("\n\n") == 7      # the headline and seven paragraphs
    assert (source.author, source.published, source.publisher) == ("Ines Calder", "2019-03-17", "The Coastal Ledger")
    assert source.url == "https://coastal-ledger.example/world/2019/03/17/marovia-tessaly-harbour-accord"


def test_the_command_refuses_a_duplicate_and_keeps_the_original(runner, session, tmp_path):
    page = Path(__file__).parent.parent / "fixtures" / "articles" / "harbour-accord.html"
    assert import_source(runner, str(page), "--dataset", "iraq-intel-2015").exit_code == 0
    from webapp.models import Upload
    kept = session.scalars(select(Upload).where(Upload.source_id == "harbour-accord")).one()
    assert kept.content == page.read_bytes() and kept.uploaded_by == "flask import-source"
    copy = write(tmp_path / "copy.html", page.read_text(encoding="utf-8"))
    again = import_source(runner, str(copy), "--dataset", "iraq-intel-2015")
    assert again.exit_code != 0 and "already source 'harbour-accord'" in again.output
