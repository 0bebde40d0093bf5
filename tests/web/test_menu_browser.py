"""In Chromium: a district endpoint's account sees only the meetings in its menu, its home page offers the
meeting in progress with one button that opens the room, and a page it may not open is a Vietnamese
page in the shell. Screenshots go to var/screenshots/ for a person to look at."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conference.helpers import schedule_meeting
from tests.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.browser
SHOTS = Path("var/screenshots")


def _login(page, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("nav.mainnav")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # the page does not depend on the backend
def test_district_home_enters_the_room_and_refused_pages_stay_in_the_shell(browser_page, client,  # type: ignore[no-untyped-def]
                                                                          auth_headers) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    meeting = schedule_meeting(client, title="Giao ban trực tuyến phòng chống bão số 5")
    page = browser_page
    _login(page, "dc-vinh")
    page.goto("/")
    assert "Chưa có cuộc họp nào đang diễn ra" in page.inner_text("#live-meetings")
    # The chair starts the meeting while the district's page is open: the button appears by itself.
    assert client.post(f"/api/meetings/{meeting['id']}/start",
                       headers=auth_headers(client, "chutoa")).status_code == 200
    page.wait_for_selector("a.enter-room", timeout=30_000)
    assert page.inner_text("nav.mainnav").split() == ["Họp", "trực", "tuyến"]
    live = page.inner_text("#live-meetings")
    assert "Cuộc họp đang diễn ra" in live and "Giao ban trực tuyến phòng chống bão số 5" in live
    assert page.locator("a.enter-room").count() == 1
    page.screenshot(path=str(SHOTS / "home-district-live.png"), full_page=True)
    page.click("a.enter-room")
    page.wait_for_url(f"**/meetings/{meeting['id']}/room")

    page.goto("/documents")
    assert page.inner_text("main h1") == "Bạn không có quyền mở trang này"
    text = page.inner_text("main")
    assert "Vai trò của bạn không được phép thao tác này" in text and "your role" not in text
    assert page.inner_text("nav.mainnav").strip() == "Họp trực tuyến"
    page.screenshot(path=str(SHOTS / "refused-documents-district.png"), full_page=True)
    page.click("text=Về trang chủ")
    page.wait_for_selector("#live-meetings")

    page.context.clear_cookies()
    _login(page, "chuyenvien")
    page.goto("/")
    nav = page.inner_text("nav.mainnav")
    assert "Trung tâm điều hành" not in nav and "Điểm cầu" not in nav and "Văn bản" in nav
    page.screenshot(path=str(SHOTS / "home-specialist.png"), full_page=True)
