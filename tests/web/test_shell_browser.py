"""A person logs in through real Chromium and sees the Vietnamese shell, and can switch to English."""

from __future__ import annotations

import pytest

from tests.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.browser


def test_login_shows_vietnamese_shell(browser_page) -> None:  # type: ignore[no-untyped-def]
    page = browser_page
    page.goto("/documents")
    assert "/login" in page.url  # sent to log in first, and back afterwards
    page.fill("input[name=username]", "chutoa")
    page.fill("input[name=password]", "wrong password")
    page.click("button[type=submit]")
    assert "Sai tên đăng nhập hoặc mật khẩu" in page.inner_text("[role=alert]")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/documents")
    page.goto("/")
    nav = page.inner_text("nav.mainnav")
    for label in ("Họp trực tuyến", "Trung tâm điều hành", "Văn bản", "Hồ sơ", "Biên bản"):
        assert label in nav
    assert "Nguyễn Văn An" in page.inner_text("header")
    assert "Chủ tọa" in page.inner_text("main")
    page.click("a.lang")
    assert "Online meetings" in page.inner_text("nav.mainnav")
    page.goto("/")
    assert "Operations center" in page.inner_text("nav.mainnav")  # the choice is remembered
    page.click("text=Log out")
    page.wait_for_url("**/login")
