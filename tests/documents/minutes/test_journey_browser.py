"""The whole journey in Chromium, as its people live it, on one app with its media workers and signing
service: the secretary schedules from the form and starts; the chair's console and three district
rooms join; TP Vinh raises its hand and gets the floor, and every screen (the console, Vinh's room,
Cửa Lò's room, /ops) names TP Vinh; /ops counts the districts only; the chair ends the meeting and every
page shows the ended state; the secretary reaches the minutes draft from the meeting page; secretary,
chair and clerk sign through the PIN dialogs; pdfsig finds three valid signatures. No page shows an ISO
time, a login name or an English state word. Screenshots of each step: var/screenshots/journey/."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from tests.conference.test_truth_browser import raw_values
from tests.conftest import DEMO_PASSWORD, serve_in_thread
from tests.documents.minutes.conftest import PIN, MinutesEnv
from tests.documents.minutes.test_minutes_flow import pdfsig

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(600)]
SHOTS = Path("var/screenshots/journey")
DISTRICTS = ["dc-vinh", "dc-cualo", "dc-thaihoa"]


def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def person(chromium, base_url: str, username: str):  # type: ignore[no-untyped-def]
    context = chromium.new_context(base_url=base_url, locale="vi-VN", bypass_csp=True)  # see tests/conftest.py
    page = context.new_page()
    page.set_default_timeout(60_000)  # the shared machine is slow; this bounds a hang, it times nothing
    page.on("dialog", lambda d: d.accept())
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    return context, page


def frames(page) -> int:  # type: ignore[no-untyped-def]
    return page.evaluate("() => window.meetingClient.framesDecoded()")


def decoding(page, what: str, seconds: float = 90) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if frames(page) > 10:
            return
        page.wait_for_timeout(300)
    raise AssertionError(f"{what}: no video decoded")


def sign(page, mid: int, done: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"/minutes/{mid}")
    page.click("#sign")
    page.wait_for_selector("#signing-facts")
    page.fill("#pin-dialog input[name=pin]", PIN)
    page.click("#pin-ok")
    page.wait_for_selector(done, timeout=90_000)


@pytest.mark.parametrize("minutes_service", ["sqlite"], indirect=True)
def test_the_whole_journey(minutes_env: MinutesEnv, chromium, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from conference.media.service import WorkerPool, media_run_dir

    settings = minutes_env.settings
    pool = WorkerPool(media_run_dir(settings.var_dir), settings.media_workers)
    pool.start()
    contexts = []
    try:
        with serve_in_thread(minutes_env.app, timeout=20, ws="websockets-sansio") as base_url:
            people = {}
            for username in ("thuky", "chutoa", *DISTRICTS, "vanhanh", "vanthu"):
                context, page = person(chromium, base_url, username)
                contexts.append(context)
                people[username] = page
            secretary, chair, ops, clerk = people["thuky"], people["chutoa"], people["vanhanh"], people["vanthu"]
            vinh, cualo, thaihoa = (people[d] for d in DISTRICTS)

            # The secretary schedules from the form and starts the meeting from its page.
            title = "Giao ban trực tuyến tháng 12/2026 — hành trình"
            secretary.goto("/meetings")
            secretary.fill("input[name=title]", title)
            secretary.fill("input[name=scheduled_at]", "2026-12-07T08:00")
            secretary.fill("input[name=place]", "Hội trường UBND tỉnh")
            secretary.uncheck("#invite-all")
            for d in DISTRICTS:
                secretary.check(f'input[name=invited][value="{d}"]')
            shot(secretary, "01-schedule-form")
            secretary.click("#schedule-form button[type=submit]")
            secretary.wait_for_url(lambda url: "/meetings/" in url)
            mid = int(secretary.url.rstrip("/").rsplit("/", 1)[1])
            assert "08:00 ngày 07/12/2026" in secretary.inner_text("main")
            secretary.click('button[data-action="start"]')
            secretary.wait_for_selector("#status:has-text('Đang họp')")
            shot(secretary, "02-meeting-started")
            assert raw_values(secretary) == []

            # The chair's console and three district rooms join; /ops watches.
            chair.goto(f"/meetings/{mid}/console")
            for d in DISTRICTS:
                people[d].goto(f"/meetings/{mid}/room")
            ops.goto("/ops")
            decoding(chair, "the console decoding the districts")
            decoding(cualo, "Cửa Lò decoding the chair")
            ops.wait_for_function("() => document.getElementById('k-endpoints').textContent === '3/3'")

            # TP Vinh asks for the floor and gets it: every screen names TP Vinh, and keeps doing so.
            vinh.click("#hand-btn")
            chair.wait_for_selector("#hands li")
            chair.locator('.dtile[data-participant="dc-vinh"] [data-do="grant_floor"]').click()
            vinh.wait_for_selector("#notice:not([hidden])")
            ops.wait_for_function("() => document.getElementById('meeting').innerText"
                                  ".includes('Đang phát biểu: TP Vinh')")
            for _ in range(8):
                assert chair.inner_text("#speaker-name") == "TP Vinh"
                assert "TP Vinh" in vinh.inner_text("#speaker-name")
                assert cualo.inner_text("#speaker-name") == "TP Vinh"
                assert thaihoa.inner_text("#speaker-name") == "TP Vinh"
                chair.wait_for_timeout(500)
            assert "Đang phát biểu: TP Vinh" in ops.inner_text("#meeting")
            assert ops.inner_text("#k-endpoints") == "3/3"  # the chair's hall is not an endpoint
            for name, page in (("03-console-floor", chair), ("04-room-floor-holder", vinh),
                               ("05-room-other", cualo), ("06-ops-floor", ops)):
                shot(page, name)
                assert raw_values(page) == [], name

            # The chair ends the meeting: every page shows the ended state.
            chair.click("#end-btn")
            for page in (chair, vinh, cualo, thaihoa):
                page.wait_for_selector("#ended:not([hidden])")
                page.wait_for_function("() => window.meetingClient.pc === null && window.meetingClient.local === null")
                assert page.locator(".notice:visible").count() == 0
            assert chair.locator("#end-btn").is_hidden() and chair.locator("[data-q]:visible").count() == 0
            assert vinh.locator("#hand-btn").is_hidden() and "RTT" not in vinh.inner_text("body")
            ops.wait_for_function("() => document.getElementById('meeting').innerText.includes('Đã kết thúc')")
            assert "3/3 điểm cầu đã dự" in ops.inner_text("#meeting")
            chair.wait_for_selector('#ended a[data-minutes][href^="/minutes/"]', timeout=60_000)
            for name, page in (("07-console-ended", chair), ("08-room-ended", vinh), ("09-ops-ended", ops)):
                shot(page, name)
                assert raw_values(page) == [], name

            # The secretary reaches the draft from the meeting's page.
            secretary.goto(f"/meetings/{mid}")
            secretary.wait_for_selector("#minutes-link a")
            assert "Nguyễn Văn An (Chủ tọa) cho phát biểu TP Vinh" in secretary.inner_text("#actions-list")
            assert raw_values(secretary) == []
            shot(secretary, "10-meeting-page-ended")
            secretary.click("#minutes-link a")
            secretary.wait_for_url("**/minutes/*")
            minutes_id = int(secretary.url.rstrip("/").rsplit("/", 1)[1])
            shot(secretary, "11-minutes-draft")

            # Secretary, chair and clerk sign through the PIN dialogs.
            sign(secretary, minutes_id, "text=Thư ký đã ký")
            shot(secretary, "12-secretary-signed")
            sign(chair, minutes_id, "text=Chủ tọa đã ký")
            shot(chair, "13-chair-signed")
            sign(clerk, minutes_id, "#code")
            shot(clerk, "14-issued")
            assert clerk.inner_text("#code").endswith("/BB-UBND")
            assert raw_values(clerk) == []

            pdf = httpx.get(f"{base_url}/api/minutes/{minutes_id}/pdf",
                            cookies={c["name"]: c["value"] for c in contexts[0].cookies()}).content
            report = pdfsig(pdf, tmp_path)
            assert report.count("Signature Validation: Signature is Valid.") == 3, report
    finally:
        for context in contexts:
            context.close()
        pool.stop()
