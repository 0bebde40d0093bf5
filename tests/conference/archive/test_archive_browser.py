"""Headless Chromium plays a recorded meeting's archive: the program video plays (Chromium fetching it
with range requests), a click on a speaking turn jumps there, a participant's own track opens
beside it; someone outside the meeting's circle is refused."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from tests.conference.archive.meeting_peers import run_recorded_meeting
from tests.conftest import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(300)]
SHOTS = Path(__file__).resolve().parents[3] / "var" / "screenshots"


def _in_thread(coroutine):  # type: ignore[no-untyped-def]
    """Playwright's sync API owns this thread's event loop: the meeting runs on its own."""
    result: list = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            result.append(asyncio.run(coroutine))
        except BaseException as exc:  # raised again here, where pytest sees it
            failure.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
    return result[0]


def logged_in(chromium, base_url: str, username: str):  # type: ignore[no-untyped-def]
    context = chromium.new_context(base_url=base_url, locale="vi-VN", bypass_csp=True,
                                   viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    page.goto("/meetings")
    page.wait_for_selector("nav.mainnav")
    return context, page


def test_archive_plays_and_jumps_to_a_speaking_turn(chromium, live_server: str, media_workers: int) -> None:  # type: ignore[no-untyped-def]
    mid = _in_thread(run_recorded_meeting(live_server))
    SHOTS.mkdir(parents=True, exist_ok=True)
    context, page = logged_in(chromium, live_server, "chutoa")
    ranges: list[int] = []
    page.on("response", lambda r: ranges.append(r.status) if "/archive/files/" in r.url else None)
    try:
        # the scheduling form offers the recording, on by default, and the meeting's kind
        assert page.is_checked("#schedule-form input[name=record]")
        page.locator("#schedule-form").screenshot(path=str(SHOTS / "schedule-form-record.png"))
        page.goto(f"/meetings/{mid}")
        page.wait_for_selector("#open-archive")
        page.screenshot(path=str(SHOTS / "meeting-page-archive-link.png"))
        page.click("#open-archive")
        page.wait_for_selector("#program")
        assert len(page.inner_text("#manifest-sha").strip()) == 64
        # the program plays
        page.evaluate("() => { const v = document.getElementById('program'); v.muted = true; return v.play(); }")
        page.wait_for_function("() => document.getElementById('program').currentTime > 1.0")
        assert page.evaluate("() => document.getElementById('program').videoWidth") > 0
        # a click on Cửa Lò's speaking turn jumps the player there
        turn = page.locator("button.seek[data-kind=turn][data-participant=dc-cualo]").first
        at = float(turn.get_attribute("data-at") or 0)
        assert at > 3
        turn.click()
        page.wait_for_function(f"() => Math.abs(document.getElementById('program').currentTime - {at}) < 1.5")
        page.wait_for_function(f"() => document.getElementById('program').currentTime > {at} + 0.5")
        assert page.locator("li.tl.current").count() == 1
        # a participant's own recording opens on the same clock
        page.locator("button.open-track[data-kind=video]").first.click()
        page.wait_for_function("() => { const v = document.querySelector('#track-player video');"
                               " return v && v.readyState >= 1; }")
        page.screenshot(path=str(SHOTS / "archive-playback.png"), full_page=True)
        assert 206 in ranges  # Chromium seeks with range requests, answered partially
    finally:
        context.close()
    # the meeting page shows the way in; someone outside the circle is refused
    context, page = logged_in(chromium, live_server, "dc-vinh")
    try:
        answer = page.goto(f"/meetings/{mid}/archive")
        assert answer is not None and answer.status in (403, 404)
    finally:
        context.close()
