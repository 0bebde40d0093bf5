"""Choosing devices in headless Chromium (fake camera and microphone): the district opens its room from the
meeting page, sees the picker with its cameras and microphones, a live preview and the microphone's level,
joins with its microphone off (the chair's console shows it so), and changes devices during the meeting
without leaving it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conference.rtc_peer import started_meeting
from tests.conference.test_meeting_browser import logged_in, wait_rising

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(300)]
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def test_district_picks_devices_with_a_preview_before_joining(chromium, live_server: str,  # type: ignore[no-untyped-def]
                                                              media_workers: int) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    mid = started_meeting(live_server, ["dc-vinh"])
    host_ctx, host = logged_in(chromium, live_server, "chutoa")
    room_ctx, room = logged_in(chromium, live_server, "dc-vinh")
    try:
        room.set_viewport_size({"width": 1400, "height": 900})
        host.goto(f"/meetings/{mid}/console")
        room.goto(f"/meetings/{mid}")
        room.click(f'a[href="/meetings/{mid}/room?check=1"]')
        room.wait_for_selector("#devices:not([hidden])")
        # A preview before joining, the devices by name, the microphone's level moving (the fake one beeps).
        room.wait_for_function("() => document.getElementById('devices-preview').videoWidth > 0")
        assert room.locator("#pick-video option").count() >= 1 and room.locator("#pick-audio option").count() >= 1
        room.wait_for_function("() => document.getElementById('pick-level').value > 0.01", timeout=20_000)
        assert room.inner_text("#conn-state") == "Đang kết nối…"  # not in the meeting yet
        assert host.inner_text("#present-count") == "0/1"
        room.screenshot(path=str(SHOTS / "room-device-picker.png"))

        room.uncheck("#pick-mic-on")
        room.click("#devices-go")
        wait_rising(host, "console decoding the district")
        host.wait_for_selector('.dtile[data-participant="dc-vinh"] .selfmic:not([hidden])')
        assert room.inner_text("#mic-btn") == "Bật micro"
        assert room.evaluate("() => window.meetingClient.local.getAudioTracks().every((t) => !t.enabled)")

        # During the meeting: other devices (here the same fake ones) replace the tracks on the same senders.
        before = room.evaluate("() => window.meetingClient.pc.getTransceivers().length")
        room.click("#devices-btn")
        room.wait_for_selector("#devices:not([hidden])")
        assert room.inner_text("#devices-go") == "Áp dụng"
        room.check("#pick-mic-on")
        room.click("#devices-go")
        host.wait_for_selector('.dtile[data-participant="dc-vinh"] .selfmic', state="hidden")
        assert room.evaluate("() => window.meetingClient.pc.getTransceivers().length") == before
        assert room.evaluate("() => window.meetingClient.senders.audio.track.id") == room.evaluate(
            "() => window.meetingClient.local.getAudioTracks()[0].id")
        wait_rising(host, "console still decoding the district")
    finally:
        room_ctx.close()
        host_ctx.close()
