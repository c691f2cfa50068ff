"""Logging in and out in Chromium: the header follows who is logged in."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from webapp.services import accounts

from ..conftest import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def editor_name(base_database) -> str:
    """An editor committed to the live server's database (unique: it outlives the test)."""
    name = f"editor-{uuid.uuid4().hex[:8]}"
    with base_database.transaction() as session:
        accounts.create_user(session, name, PASSWORD, "editor")
    return name


def test_log_in_and_out_through_the_header(page, editor_name):
    page.goto("/list")
    header = page.locator(".site-header")
    expect(header.get_by_test_id("login-link")).to_be_visible()

    header.get_by_test_id("login-link").click()
    expect(page).to_have_url("/login?next=/list")
    page.get_by_test_id("login-name").fill(editor_name)
    page.get_by_test_id("login-password").fill("not the password")
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("login-error")).to_have_text("Wrong name or password.")

    page.get_by_test_id("login-password").fill(PASSWORD)
    page.get_by_test_id("login-submit").click()
    expect(page).to_have_url("/list")
    expect(header.get_by_test_id("account-name")).to_have_text(f"{editor_name} · editor")
    expect(header.get_by_test_id("login-link")).to_have_count(0)
    me = page.request.get("/api/me")
    assert me.json() == {"name": editor_name, "role": "editor", "authenticated_by": "session"}

    header.get_by_test_id("logout").click()
    expect(page).to_have_url("/list")
    expect(header.get_by_test_id("login-link")).to_be_visible()
    expect(header.get_by_test_id("account-name")).to_have_count(0)
    assert page.request.get("/api/me").status == 401
