"""Pages that join before the media workers answer (`giaoban up` still starting them on a busy machine, or
all of them restarting): the offer is refused with media_unavailable, the page says so, offers again by
itself, and the chair's console and the district's room see each other once the workers are up."""

from __future__ import annotations

import pytest

from conference.media.service import WorkerPool, media_run_dir
from tests.conference.rtc_peer import started_meeting
from tests.conference.test_meeting_browser import logged_in, wait_rising

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(300)]


def test_pages_offer_again_until_the_media_workers_answer(chromium, live_server: str, settings) -> None:  # type: ignore[no-untyped-def]
    mid = started_meeting(live_server, ["dc-vinh"])
    host_ctx, host = logged_in(chromium, live_server, "chutoa")
    room_ctx, room = logged_in(chromium, live_server, "dc-vinh")
    pool = WorkerPool(media_run_dir(settings.var_dir), settings.media_workers)
    try:
        host.goto(f"/meetings/{mid}/console")
        room.goto(f"/meetings/{mid}/room")
        # No media workers yet: each page is told so (its first offer refused), and stays in the meeting.
        room.wait_for_function("() => document.getElementById('room-error').textContent.includes('media_unavailable')",
                               timeout=120_000)
        host.wait_for_function("() => window.meetingClient.offerRetries > 0", timeout=120_000)
        pool.start()
        pool.wait_ready(timeout=180)
        wait_rising(room, "district decoding the chair", seconds=180)
        wait_rising(host, "console decoding the district", seconds=180)
        room.wait_for_selector("#room-error", state="hidden")  # the refusal is no longer shown
    finally:
        room_ctx.close()
        host_ctx.close()
        pool.stop()
