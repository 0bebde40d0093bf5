"""Screen sharing in headless Chromium: the chair gives TP Vinh the floor (the presenter of an agenda item);
TP Vinh shares its screen (getDisplayMedia: Chromium's fake capture), a third published video; the chair's
console and the other district's room show it as the main view; the media workers relay it like any track
(no decoding: the workers' decoded/encoded frame counters stay 0); stopping takes it away everywhere. A
district without the floor is refused."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from conference.media.client import MediaClient
from conference.media.service import media_run_dir
from tests.conference.rtc_peer import login_token
from tests.conference.test_meeting_browser import logged_in, wait_rising

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(300)]
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def forwarded_screens(base: str, mid: int, headers: dict[str, str]) -> dict[str, str | None]:
    answer = httpx.get(f"{base}/api/meetings/{mid}/forwarding", headers=headers, timeout=30).json()
    return {p["participant"]: next((d["source"] for d in p["downtracks"] if d["layer"] == "screen"), None)
            for p in answer["participants"]}


def test_presenter_shares_a_screen_shown_to_everyone(chromium, live_server: str, media_workers: int,  # type: ignore[no-untyped-def]
                                                      settings) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    headers = {"Authorization": f"Bearer {login_token(live_server, 'thuky')}"}
    meeting = httpx.post(f"{live_server}/api/meetings", headers=headers, timeout=30, json={
        "title": "Giao ban trực tuyến tháng 12/2026", "scheduled_at": "2026-12-07T08:00:00+07:00",
        "chair": "chutoa", "secretary": "thuky", "invited": ["dc-vinh", "dc-cualo"],
        "agenda": [{"title": "Báo cáo kinh tế - xã hội", "presenter": "TP Vinh", "minutes": 15}]}).json()
    mid = meeting["id"]
    assert httpx.post(f"{live_server}/api/meetings/{mid}/start", headers=headers, timeout=30).status_code == 200
    host_ctx, host = logged_in(chromium, live_server, "chutoa")
    vinh_ctx, vinh = logged_in(chromium, live_server, "dc-vinh")
    cualo_ctx, cualo = logged_in(chromium, live_server, "dc-cualo")
    try:
        for page in (host, vinh, cualo):
            page.set_viewport_size({"width": 1400, "height": 900})
        host.goto(f"/meetings/{mid}/console")
        vinh.goto(f"/meetings/{mid}/room")
        cualo.goto(f"/meetings/{mid}/room")
        wait_rising(vinh, "TP Vinh decoding the chair")
        wait_rising(cualo, "Cửa Lò decoding the chair")
        assert vinh.is_disabled("#share-btn")  # not holding the floor
        refused = vinh.evaluate("() => window.meetingClient.request({ type: 'share', on: true })"
                                ".then(() => 'accepted', (e) => e.message)")
        assert "phát biểu" in refused

        host.click('.dtile[data-participant="dc-vinh"] [data-do="grant_floor"]')
        vinh.wait_for_function("() => !document.getElementById('share-btn').disabled")
        vinh.click("#share-btn")
        # Everyone else sees the screen as the main view, named; the sharer sees what it shares.
        for page in (host, cualo):
            page.wait_for_selector("#screen-view:not([hidden])")
            page.wait_for_function("() => document.getElementById('screen-video').videoWidth > 0", timeout=60_000)
            assert page.inner_text("#screen-name") == "TP Vinh"
        vinh.wait_for_selector("#screen-view:not([hidden])")
        assert vinh.inner_text("#share-btn") == "Dừng trình chiếu"
        screens = forwarded_screens(live_server, mid, headers)
        assert screens["chutoa"] == "dc-vinh" and screens["dc-cualo"] == "dc-vinh" and screens["dc-vinh"] is None
        host.screenshot(path=str(SHOTS / "console-screen-share.png"))
        cualo.screenshot(path=str(SHOTS / "room-screen-share.png"))

        async def codec_work() -> list[tuple[int, int]]:
            async with MediaClient(media_run_dir(settings.var_dir), settings.media_workers) as media:
                return [(s.decoded_frames, s.encoded_frames) for s in await media.worker_stats()]

        with ThreadPoolExecutor(1) as pool:  # Playwright's loop holds this thread
            assert all(work == (0, 0) for work in pool.submit(asyncio.run, codec_work()).result(60))

        vinh.click("#share-btn")
        for page in (host, cualo):
            page.wait_for_selector("#screen-view", state="hidden")
        assert forwarded_screens(live_server, mid, headers)["chutoa"] is None
    finally:
        cualo_ctx.close()
        vinh_ctx.close()
        host_ctx.close()
