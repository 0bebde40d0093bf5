"""Own microphone and camera, and the participant list, in headless Chromium: a district room and the chair's
console turn theirs off and on; the browser stops sending (its sender's encodings are inactive, its audio
track disabled) and the others see it on the tile, in the unit list, in the participant list and on the room's
captions; the participant list finds people by name without accents."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conference.rtc_peer import started_meeting
from tests.conference.test_meeting_browser import logged_in, wait_rising

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(300)]
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"

SENDING = """() => {
  const c = window.meetingClient;
  // The layers someone receives (the others are paused by the server's publish_hint whatever the camera does).
  const watched = ['high', 'low'].filter((l) => c.senders[l] && !c.paused.has(l));
  const active = (l) => c.senders[l].getParameters().encodings.every((e) => e.active);
  const video = watched.length > 0 && watched.every(active);
  const audio = c.local.getAudioTracks().every((t) => t.enabled);
  return { video, audio };
}"""


def test_own_microphone_and_camera_off_and_on(chromium, live_server: str, media_workers: int) -> None:  # type: ignore[no-untyped-def]
    SHOTS.mkdir(parents=True, exist_ok=True)
    mid = started_meeting(live_server, ["dc-vinh", "dc-cualo"])
    host_ctx, host = logged_in(chromium, live_server, "chutoa")
    room_ctx, room = logged_in(chromium, live_server, "dc-vinh")
    try:
        host.set_viewport_size({"width": 1600, "height": 1000})
        room.set_viewport_size({"width": 1400, "height": 900})
        host.goto(f"/meetings/{mid}/console")
        room.goto(f"/meetings/{mid}/room")
        wait_rising(room, "district decoding the chair")
        wait_rising(host, "console decoding the district")
        assert room.evaluate(SENDING) == {"video": True, "audio": True}
        tile = '.dtile[data-participant="dc-vinh"]'

        # The district turns its microphone off, then its camera: its browser stops sending each.
        room.click("#mic-btn")
        room.wait_for_function("() => document.getElementById('mic-btn').getAttribute('aria-pressed') === 'true'")
        assert room.inner_text("#mic-btn") == "Bật micro"
        host.wait_for_selector(f"{tile} .selfmic:not([hidden])")
        assert room.evaluate(SENDING) == {"video": True, "audio": False}
        room.click("#cam-btn")
        host.wait_for_selector(f"{tile} .selfcam:not([hidden])")
        assert room.evaluate(SENDING) == {"video": False, "audio": False}
        assert "Micro tắt" in host.inner_text(tile) and "Camera tắt" in host.inner_text(tile)
        host.screenshot(path=str(SHOTS / "console-self-media-off.png"))
        room.screenshot(path=str(SHOTS / "room-self-media-off.png"))
        row = '#people-list li[data-participant="dc-vinh"]'
        assert "Micro tắt" in host.inner_text(row) and "Camera tắt" in host.inner_text(row)

        # The participant list: everyone present, searched without accents.
        assert room.locator("#people-list li").count() == 2 and room.inner_text("#people-count") == "2"
        assert "TP Vinh (bạn)" in room.inner_text('#people-list li[data-participant="dc-vinh"]')
        room.fill("#people-search", "nguyen van an")
        assert room.eval_on_selector_all("#people-list li", "ls => ls.map(l => l.dataset.participant)") == ["chutoa"]
        assert "Chủ trì" in room.inner_text("#people-list")
        room.fill("#people-search", "xa khong co")
        assert room.is_visible("#people-none")
        room.fill("#people-search", "")
        host.fill("#people-search", "VINH")
        assert host.eval_on_selector_all("#people-list li", "ls => ls.map(l => l.dataset.participant)") == ["dc-vinh"]
        host.click("#view-list")
        assert "Micro tắt · Camera tắt" in host.inner_text('#unit-rows tr[data-participant="dc-vinh"]')
        host.click("#view-grid")

        # The chair turns its camera off: the room's caption of the chair says so.
        host.click("#cam-btn")
        room.wait_for_selector("#chair-devices:not([hidden])")
        assert room.inner_text("#chair-devices") == "Camera tắt"
        assert host.evaluate(SENDING)["video"] is False
        room.screenshot(path=str(SHOTS / "room-chair-camera-off.png"))

        # Back on: sending again, and the badges go.
        room.click("#mic-btn")
        room.click("#cam-btn")
        host.click("#cam-btn")
        host.wait_for_selector(f"{tile} .selfcam", state="hidden")
        host.wait_for_selector(f"{tile} .selfmic", state="hidden")
        room.wait_for_selector("#chair-devices", state="hidden")
        assert room.evaluate(SENDING) == {"video": True, "audio": True}
    finally:
        room_ctx.close()
        host_ctx.close()
