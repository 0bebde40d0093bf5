"""Headless Chromium with a fake camera and microphone: the chair's console and a district's room
join the same meeting through the real signaling and media workers, and each decodes the other."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from tests.conference.rtc_peer import login_token
from tests.conftest import DEMO_PASSWORD

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(240)]


def logged_in(chromium, base_url: str, username: str):  # type: ignore[no-untyped-def]
    context = chromium.new_context(base_url=base_url, locale="vi-VN", bypass_csp=True)  # see tests/conftest.py
    page = context.new_page()
    page.set_default_timeout(60_000)  # the shared test machine can be slow
    page.on("console", lambda m: print(username, "console:", m.text))
    page.on("pageerror", lambda e: print(username, "pageerror:", e))
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    # The login's session row is committed after its redirect is sent (FastAPI runs `Depends(db)`'s
    # commit after the response), so the redirected page can arrive first; ask again.
    page.goto("/meetings")
    page.wait_for_selector("nav.mainnav")
    return context, page


def frames(page) -> int:  # type: ignore[no-untyped-def]
    return page.evaluate("() => window.meetingClient.framesDecoded()")


def wait_rising(page, what: str, seconds: float = 90) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    first = None
    while time.monotonic() < deadline:
        count = frames(page)
        if first is None and count > 0:
            first = count
        if first is not None and count > first + 10:
            return
        page.wait_for_timeout(250)
    raise AssertionError(f"{what}: framesDecoded did not rise (first {first}, now {frames(page)})")


def test_console_and_district_room_see_each_other(chromium, live_server: str, media_workers: int) -> None:  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {login_token(live_server, 'thuky')}"}
    meeting = httpx.post(f"{live_server}/api/meetings", headers=headers, json={
        "title": "Giao ban trực tuyến tháng 11/2026", "scheduled_at": "2026-11-25T08:00:00+07:00",
        "chair": "chutoa", "secretary": "thuky", "invited": ["dc-vinh", "dc-cualo"]}).json()
    mid = meeting["id"]
    host_ctx, host = logged_in(chromium, live_server, "chutoa")
    room_ctx, room = logged_in(chromium, live_server, "dc-vinh")
    try:
        host.goto(f"/meetings/{mid}/console")
        room.goto(f"/meetings/{mid}/room")
        assert host.inner_text("h1") == meeting["title"]
        tile = host.locator('.dtile[data-participant="dc-vinh"]')
        assert "TP Vinh" in tile.inner_text() and host.locator(".dtile").count() == 2
        wait_rising(room, "district decoding the chair")
        wait_rising(host, "console decoding the district's tile")
        # The console shows the district as present; its tile's video element is playing.
        host.wait_for_function("() => !document.querySelector('.dtile[data-participant=\"dc-vinh\"]')"
                               ".classList.contains('offline')")
        host.wait_for_function("() => document.querySelector('.dtile[data-participant=\"dc-vinh\"] video')"
                               ".videoWidth > 0", timeout=20000)
        room.wait_for_function("() => document.getElementById('chair-video').videoWidth > 0", timeout=20000)

        # Raise a hand in the district room; the chair sees it and gives the floor.
        room.click("#hand-btn")
        host.wait_for_selector("#hands li")
        assert "TP Vinh" in host.inner_text("#hands")
        tile.locator('[data-do="grant_floor"]').click()
        room.wait_for_selector("#notice:not([hidden])")
        assert "phát biểu" in room.inner_text("#notice")
        # Holding the floor, the district cannot ask for it again: the button says it is speaking.
        room.wait_for_selector("#hand-btn:disabled")
        assert room.inner_text("#hand-btn") == "Bạn đang phát biểu"
        SHOTS.mkdir(parents=True, exist_ok=True)
        room.screenshot(path=str(SHOTS / "room-floor-holder.png"))
        host.wait_for_function("() => document.getElementById('hands').children.length === 0")
        assert "spotlit" in (tile.get_attribute("class") or "")
        # On the console, the holder's tile offers to end its turn instead of giving it the floor again.
        floor_button = tile.locator('[data-do="grant_floor"]')
        host.wait_for_function("() => document.querySelector('.dtile[data-participant=\"dc-vinh\"] "
                               "[data-do=\"grant_floor\"]').textContent === 'Dừng phát biểu'")
        assert "Cho phát biểu" not in tile.inner_text()
        other = host.locator('.dtile[data-participant="dc-cualo"] [data-do="grant_floor"]')
        assert other.inner_text() == "Cho phát biểu"
        host.screenshot(path=str(SHOTS / "console-floor-holder.png"))
        floor_button.click()  # the turn ends: the district may ask again, the tile may give it again
        room.wait_for_selector("#hand-btn:not(:disabled)")
        host.wait_for_function("() => document.querySelector('.dtile[data-participant=\"dc-vinh\"] "
                               "[data-do=\"grant_floor\"]').textContent === 'Cho phát biểu'")
        assert "spotlit" not in (tile.get_attribute("class") or "")
    finally:
        room_ctx.close()
        host_ctx.close()


def test_secretary_schedules_from_the_form(chromium, live_server: str) -> None:  # type: ignore[no-untyped-def]
    context, page = logged_in(chromium, live_server, "thuky")
    page.goto("/meetings")
    page.fill("input[name=title]", "Họp trực tuyến về phòng chống bão số 6")
    page.fill("input[name=scheduled_at]", "2026-11-26T14:00")
    page.fill("input[name=place]", "Phòng họp số 1")
    page.fill("textarea[name=agenda]", "Tình hình mưa bão | Sở NN&PTNT | 15\nPhương án sơ tán dân")
    page.uncheck("#invite-all")
    page.check('input[name=invited][value="dc-kyson"]')
    page.check('input[name=invited][value="dc-quephong"]')
    page.click("#schedule-form button[type=submit]")
    page.wait_for_url(lambda url: "/meetings/" in url and "/login" not in url)
    assert page.inner_text("h1") == "Họp trực tuyến về phòng chống bão số 6"
    agenda = page.inner_text("ol")
    assert "Tình hình mưa bão" in agenda and "Sở NN&PTNT, 15′" in agenda and "Phương án sơ tán dân" in agenda
    assert "14:00" in page.inner_text("p.muted")  # shown in local (Vietnam) time
    page.goto("/meetings")
    page.fill("input[name=title]", "x")
    page.click("#schedule-form button[type=submit]")
    assert page.locator("#schedule-form [role=alert]").is_hidden()  # the browser's own check stops it first
    context.close()
