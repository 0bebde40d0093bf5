"""The menu shows each role exactly the pages it may open: every entry a role sees opens with 200, and
every page it does not see is refused; a refused page is a Vietnamese page inside the shell while the API
keeps JSON; a district endpoint's home page offers the meeting in progress it is invited to."""

from __future__ import annotations

import re

from core.menu import ENTRIES
from core.people import Role
from tests.conference.helpers import schedule_meeting

# One demo account per role (README's table); the district endpoint stands for all 26.
ACCOUNTS = {"admin": Role.admin, "chutoa": Role.chair, "thuky": Role.secretary, "vanthu": Role.clerk,
            "chuyenvien": Role.specialist, "motcua": Role.officer, "vanhanh": Role.operator,
            "cv-gtvt": Role.specialist, "gd-gtvt": Role.chair, "dc-vinh": Role.endpoint}
PAGE = {"Accept": "text/html,application/xhtml+xml"}
NAV = re.compile(r'<nav class="mainnav".*?</nav>', re.S)
LINK = re.compile(r'href="([^"]+)"')


def _menu(html: str) -> list[str]:
    found = NAV.search(html)
    assert found, "the page has no main menu"
    return LINK.findall(found.group(0))


def test_every_role_opens_every_menu_entry_it_sees_and_sees_no_other(client, auth_headers) -> None:  # type: ignore[no-untyped-def]
    assert set(ACCOUNTS.values()) == set(Role)  # every role is tried
    seen = {}
    for username in ACCOUNTS:
        headers = {**auth_headers(client, username), **PAGE}
        home = client.get("/", headers=headers)
        assert home.status_code == 200, (username, home.text[:300])
        menu = _menu(home.text)
        assert menu, username
        for href in menu:
            page = client.get(href, headers=headers)
            assert page.status_code == 200, (username, href, page.status_code)
            assert _menu(page.text) == menu, (username, href)  # the same menu on every page
        for entry in ENTRIES:
            if entry.href not in menu:
                assert client.get(entry.href, headers=headers).status_code in (403, 404), (username, entry.href)
        seen[username] = menu
    assert seen["dc-vinh"] == ["/meetings"]
    assert seen["admin"] == [e.href for e in ENTRIES]
    assert "/ops" not in seen["chuyenvien"] and "/endpoints" not in seen["chutoa"]


def test_a_refused_page_is_a_vietnamese_page_in_the_shell_and_the_api_keeps_json(client, auth_headers) -> None:  # type: ignore[no-untyped-def]
    headers = auth_headers(client, "dc-vinh")
    page = client.get("/documents", headers={**headers, **PAGE})
    assert page.status_code == 403 and page.headers["content-type"].startswith("text/html")
    assert "Bạn không có quyền mở trang này" in page.text
    assert "Vai trò của bạn không được phép thao tác này" in page.text
    assert "your role may not do this" not in page.text and '{"detail"' not in page.text
    assert _menu(page.text) == ["/meetings"] and "Về trang chủ" in page.text
    english = client.get("/documents?lang=en", headers={**headers, **PAGE})
    assert "You may not open this page" in english.text and "Vai trò" not in english.text
    missing = client.get("/minutes/999999?lang=vi", headers={**auth_headers(client, "thuky"), **PAGE})
    assert missing.status_code == 404 and "Không tìm thấy trang này" in missing.text
    api = client.get("/api/documents", headers=headers)
    assert api.status_code == 403 and api.json()["detail"].startswith("Vai trò của bạn")
    fetched = client.get("/documents", headers={**headers, "Accept": "application/json"})
    assert fetched.status_code == 403 and "detail" in fetched.json()


def test_a_district_home_page_offers_the_meeting_in_progress(client, auth_headers) -> None:  # type: ignore[no-untyped-def]
    district = {**auth_headers(client, "dc-vinh"), **PAGE}
    assert "Chưa có cuộc họp nào đang diễn ra" in client.get("/", headers=district).text
    meeting = schedule_meeting(client, title="Giao ban phòng chống bão số 5")
    other = schedule_meeting(client, invited=["dc-cualo"], title="Họp riêng của Cửa Lò")
    waiting = client.get("/", headers=district).text
    assert "Cuộc họp sắp tới" in waiting and "Giao ban phòng chống bão số 5" in waiting
    assert "08:00 ngày 25/11/2026" in waiting and f"/meetings/{meeting['id']}/room" not in waiting
    chair = auth_headers(client, "chutoa")
    for m in (meeting, other):
        assert client.post(f"/api/meetings/{m['id']}/start", headers=chair).status_code == 200
    home = client.get("/", headers=district).text
    assert "Cuộc họp đang diễn ra" in home
    assert home.count('class="button enter-room"') == 1  # one button, for the meeting it is invited to
    assert f'href="/meetings/{meeting["id"]}/room"' in home and "Họp riêng của Cửa Lò" not in home
    assert client.get(f"/meetings/{meeting['id']}/room", headers=district).status_code == 200
