"""Issue 14's reproductions: inputs that answered 500 now get a 4xx that says what was wrong."""

from __future__ import annotations

import pytest

from webapp.inputs import whole_number


@pytest.mark.parametrize("url, parameter", [
    ("/api/graph?focus=iraq&depth=%C2%B2", "depth"),   # '²' passes str.isdigit(), then int() fails
    ("/api/graph?at=%C2%B2", "at"),
    ("/timeline?t_from=%C2%B2", "t_from"),
    ("/api/timeline?focus=iraq&depth=%D9%A3", "depth"),  # an Arabic-Indic three
])
def test_numbers_that_are_not_ascii_digits_are_named_400s(client, url, parameter):
    response = client.get(url)
    assert response.status_code == 400
    if url.startswith("/api/"):
        assert response.get_json()["error"]["details"]["parameter"] == parameter
    else:
        assert f"&#39;{parameter}&#39; must be" in response.get_data(as_text=True)  # the page names it


@pytest.mark.parametrize("path", ["/api/graph", "/", "/timeline", "/list", "/sources/pjtatler-2015-09-27-iraq-intel"])
def test_a_query_string_that_is_not_utf8_is_a_400_not_a_crashed_error_page(client, path):
    response = client.get(path, environ_overrides={"QUERY_STRING": "at=\xff"})
    assert response.status_code == 400
    assert "not valid UTF-8" in response.get_data(as_text=True)
    assert client.get(path).status_code == 200  # and the app is fine


def test_a_path_that_is_not_utf8_is_a_400(client):
    response = client.get("/", environ_overrides={"PATH_INFO": "/actors/\xff"})
    assert response.status_code == 400 and "path is not valid UTF-8" in response.get_data(as_text=True)


@pytest.mark.parametrize("raw, expected", [("7", 7), ("007", 7), ("²", None), ("٣", None), ("-1", None),
                                           (" 1", None), ("1" * 10, None), ("", None), (None, None)])
def test_whole_numbers_are_ascii_digits_only(raw, expected):
    assert whole_number(raw) == expected


@pytest.mark.parametrize("url", ["/api/actors/%00", "/api/graph?source=a%00b", "/actors/a%00b", "/?q=%00",
                                 "/api/annotations?tag=%00", "/api/relations/%00/history"])
def test_a_nul_in_a_url_is_a_400_on_either_database(client, url):
    response = client.get(url)
    assert response.status_code == 400 and "NUL character" in response.get_data(as_text=True)


def test_a_target_that_is_not_a_url_is_a_400(client):
    response = client.get("/api/annotations?target=http://[::1/actors/iraq")
    assert response.status_code == 400 and response.get_json()["error"]["details"]["field"] == "target"


@pytest.mark.parametrize("field", ["text", "tags"])
def test_a_nul_in_a_note_is_refused_with_a_400(client, editor, field):
    note = {"text": "Iraq\x00 between", "target": "/actors/iraq"} if field == "text" else {
        "text": "Iraq between", "tags": ["a\x00b"], "target": "/actors/iraq"}
    response = client.post("/api/annotations", json=note, headers=editor)
    assert response.status_code == 400, response.get_json()
    assert "NUL" in response.get_json()["error"]["message"]
