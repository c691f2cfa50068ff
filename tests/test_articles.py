"""Adding an article in the browser (issue 10, item 1): upload or paste, preview, confirm; refusals that
say why and write nothing; duplicates refused, republications accepted; the original kept."""

from __future__ import annotations

import html
import io
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select
from werkzeug.test import EnvironBuilder

from webapp.models import Bloc, Source, Upload

ARTICLES = Path(__file__).parent / "fixtures" / "articles"
HARBOUR = (ARTICLES / "harbour-accord.html").read_bytes()
TOKEN = re.compile(r'action="/sources/new/([A-Za-z0-9_-]+)"')


@pytest.fixture
def editor(auth, make_user):  # type: ignore[no-untyped-def]
    make_user("ed", "editor")
    auth.login("ed")
    return auth


def upload(client, auth, content: bytes, filename: str = "harbour-accord.html", **fields):  # type: ignore[no-untyped-def]
    data = {"csrf_token": auth.refresh_csrf(), "dataset": "iraq-intel-2015", **fields}
    if content is not None:
        data["file"] = (io.BytesIO(content), filename)
    # Built here to be closed: a large body is spooled to a temporary file the test client would leave open.
    builder = EnvironBuilder(path="/sources/new", method="POST", data=data, content_type="multipart/form-data")
    environ = builder.get_environ()
    builder.close()
    try:
        return client.open(environ)
    finally:
        environ["wsgi.input"].close()


def confirm(client, auth, response, **metadata):  # type: ignore[no-untyped-def]
    token = TOKEN.search(html.unescape(response.get_data(as_text=True))).group(1)
    return client.post(f"/sources/new/{token}", data={"csrf_token": auth.refresh_csrf(), **metadata})


def sources(session) -> int:  # type: ignore[no-untyped-def]
    return session.scalar(select(func.count()).select_from(Source))


def test_upload_shows_what_was_read_then_adds_it_and_keeps_the_original(client, editor, session):
    before = sources(session)
    preview = upload(client, editor, HARBOUR)
    assert preview.status_code == 200
    page = preview.get_data(as_text=True)
    assert 'value="Ines Calder"' in page and 'value="2019-03-17"' in page and 'value="The Coastal Ledger"' in page
    assert "https://coastal-ledger.example/world/2019/03/17/marovia-tessaly-harbour-accord" in page
    assert "Marovia and Tessaly signed an accord on Saturday" in page and "IE 11" not in page
    assert sources(session) == before       # nothing added before the confirmation
    added = confirm(client, editor, preview, title="Marovia and Tessaly sign harbour accord",
                    publisher="The Coastal Ledger", author="Ines Calder", published="2019-03-17", language="en",
                    id="harbour-accord",
                    url="https://coastal-ledger.example/world/2019/03/17/marovia-tessaly-harbour-accord")
    assert added.status_code == 303 and added.headers["Location"].startswith("/sources/harbour-accord")
    session.expire_all()
    source = session.get(Source, "harbour-accord")
    assert source.title == "Marovia and Tessaly sign harbour accord" and source.origin == "app"
    assert source.changed_by == "ed"
    kept = session.scalar(select(Upload).where(Upload.source_id == "harbour-accord"))
    assert kept.content == HARBOUR and kept.media_type == "text/html" and kept.uploaded_by == "ed"
    reader = client.get("/sources/harbour-accord")
    assert reader.status_code == 200 and 'data-testid="original-file"' in reader.get_data(as_text=True)
    download = client.get("/sources/harbour-accord/original")
    assert download.data == HARBOUR and download.headers["Content-Disposition"].startswith("attachment")
    assert client.get(f"/sources/{'pjtatler-2015-09-27-iraq-intel'}/original").status_code == 404


@pytest.mark.parametrize(("content", "filename", "message"), [
    (b"", "empty.txt", "choose a file to upload"),
    (b"   \n\n ", "blank.txt", "the file is empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "picture.txt", "binary file"),
    ("Ir\u00e4k".encode("latin-1") + b" und Iran", "latin.txt", "not UTF-8 text"),
    (b"Iraq and Iran.", "notes.pdf", "cannot read a '.pdf' file"),
])
def test_bad_uploads_are_refused_with_the_reason_and_nothing_is_written(client, editor, session, content,
                                                                       filename, message):
    before = sources(session), session.scalar(select(func.count()).select_from(Upload))
    response = upload(client, editor, content if content else None, filename)
    assert response.status_code == 422, html.unescape(response.get_data(as_text=True))[:500]
    assert message in html.unescape(response.get_data(as_text=True))
    assert (sources(session), session.scalar(select(func.count()).select_from(Upload))) == before


def test_uploads_have_their_own_size_limit(app, client, editor, session):
    app.config["MAX_UPLOAD_BYTES"] = 2000
    response = upload(client, editor, HARBOUR)
    assert response.status_code in (413, 422)
    assert "2,000 bytes" in html.unescape(response.get_data(as_text=True))
    app.config["MAX_UPLOAD_BYTES"] = 3 * 1024 * 1024
    big = b"Iraq and Iran share intelligence. " * 60_000   # 2 MB: over the API's 1 MB, under the upload limit
    response = upload(client, editor, big, "long.txt", title="A long report")
    assert response.status_code == 200, html.unescape(response.get_data(as_text=True))[-1500:]


def test_a_duplicate_is_refused_a_republication_is_accepted(client, editor, session):
    first = upload(client, editor, HARBOUR)
    assert confirm(client, editor, first, id="harbour-accord").status_code == 303
    again = upload(client, editor, HARBOUR, "copy.html")
    assert again.status_code == 422 and "already source 'harbour-accord'" in html.unescape(again.get_data(as_text=True))
    # The same text pasted, with other white space and straight quotes: still the same text.
    text = session.get(Source, "harbour-accord").text.replace("“", '"').replace("”", '"').replace("\n\n", "\n\n\n")
    pasted = client.post("/sources/new", data={
        "csrf_token": editor.refresh_csrf(), "dataset": "iraq-intel-2015", "title": "Copy", "format": "text",
        "text": text})
    assert pasted.status_code == 422
    assert "the same text is already source" in html.unescape(pasted.get_data(as_text=True))
    # Another outlet's copy of the wire text, under its own headline and URL, is accepted.
    republished = HARBOUR.replace(b"coastal-ledger.example", b"gulf-herald.example").replace(
        b"<h1>Marovia and Tessaly sign harbour accord as Vell Front protests</h1>",
        b"<h1>Harbour deal ends two-year port dispute</h1>")
    assert upload(client, editor, republished, "herald.html").status_code == 200


def test_viewers_and_visitors_cannot_add_articles(client, auth, make_user):
    assert client.get("/sources/new").status_code == 401
    make_user("vic", "viewer")
    auth.login("vic")
    assert client.get("/sources/new").status_code == 403
    assert upload(client, auth, HARBOUR).status_code == 403


def test_an_article_can_start_a_new_dataset_with_its_blocs(client, editor, session):
    preview = upload(client, editor, HARBOUR, dataset="__new__", new_title="The harbour dispute",
                     new_blocs="Harbour states #2471a3\nArmed groups")
    assert preview.status_code == 200
    assert "It goes into a new dataset" in html.unescape(preview.get_data(as_text=True))
    token = TOKEN.search(preview.get_data(as_text=True)).group(1)
    added = client.post(f"/sources/new/{token}", data={"csrf_token": editor.refresh_csrf(), "id": "harbour-accord",
                                                       "new_title": "The harbour dispute",
                                                       "new_blocs": "Harbour states #2471a3\nArmed groups"})
    assert added.status_code == 303
    session.expire_all()
    assert session.get(Source, "harbour-accord").dataset_id == "the-harbour-dispute"
    blocs = session.execute(select(Bloc.id, Bloc.color).where(Bloc.dataset_id == "the-harbour-dispute")
                            .order_by(Bloc.position)).all()
    # The second bloc had no colour: it takes the palette's second.
    assert [tuple(b) for b in blocs] == [("harbour-states", "#2471a3"), ("armed-groups", "#2471a3")]
    bad = upload(client, editor, HARBOUR.replace(b"2019", b"2020"), "other.html", dataset="__new__", new_title="")
    assert bad.status_code == 422 and "give the new dataset a title" in html.unescape(bad.get_data(as_text=True))


def test_a_canonical_url_that_is_not_http_is_left_out_of_an_upload_and_cannot_be_typed_in(client, editor, session):
    """Issue 14: a page's ``javascript:`` canonical link never becomes the source's *Original article* link."""
    hostile = HARBOUR.replace(b"https://coastal-ledger.example/world/2019/03/17/marovia-tessaly-harbour-accord",
                              b"javascript:alert(document.cookie)")
    preview = upload(client, editor, hostile)
    assert preview.status_code == 200
    page = html.unescape(preview.get_data(as_text=True))
    assert ("the page's canonical URL 'javascript:alert(document.cookie)' is not an http(s) address: "
            "it was left out") in page
    assert "javascript:" not in re.search(r'<input name="url"[^>]*>', page).group(0)
    typed = confirm(client, editor, preview, id="harbour-accord", url="javascript:alert(1)")
    assert typed.status_code == 422
    assert "'url' must be an http(s) address, not 'javascript:alert(1)'" in html.unescape(typed.get_data(as_text=True))
    assert session.get(Source, "harbour-accord") is None
    added = confirm(client, editor, preview, id="harbour-accord")
    assert added.status_code == 303
    session.expire_all()
    assert session.get(Source, "harbour-accord").url is None
