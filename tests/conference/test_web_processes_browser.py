"""A district's room in Chromium, on two web processes sharing one port (SO_REUSEPORT): the process
holding its socket is killed with SIGKILL; the page reconnects by itself, lands on the other one
and resumes: same seat, its raised hand kept, one attendance interval."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import redis as sync_redis

from conference.journal import Attendance
from core.settings import Settings
from tests.conference.conftest import REDIS, redis_up
from tests.conference.test_meeting_browser import logged_in
from tests.conference.test_web_processes import _rows, _schedule
from tests.conference.web_processes import WebProcess, token, web_env
from tests.conftest import free_port

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(300),
              pytest.mark.skipif(not redis_up(), reason="needs Redis at 127.0.0.1:6379")]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def test_the_room_page_moves_to_the_surviving_web_process(chromium, settings: Settings, namespace: str,  # type: ignore[no-untyped-def]
                                                          tmp_path: Path) -> None:
    port = free_port()
    env = web_env(settings, REDIS, namespace)
    web = [WebProcess(env, port, tmp_path / f"web-{n}.log", reuse_port=True) for n in (1, 2)]
    store = sync_redis.Redis.from_url(REDIS)
    key = f"{namespace}live:"
    try:
        for process in web:
            process.wait_ready()
        base = web[0].base
        meeting_id = _schedule(base, token(base, "thuky"), ["dc-vinh", "dc-cualo"])
        context, page = logged_in(chromium, base, "dc-vinh")
        page.goto(f"/meetings/{meeting_id}/room")
        page.wait_for_function("() => window.meetingClient && window.meetingClient.welcome")
        page.click("#hand-btn")
        deadline = time.monotonic() + 30
        while not store.hexists(f"{key}{meeting_id}", "hand:dc-vinh") and time.monotonic() < deadline:
            time.sleep(0.2)
        before = json.loads(store.hget(f"{key}{meeting_id}", "seat:dc-vinh"))
        holder = next(p for p in web if f"-{p.proc.pid}-" in before["owner"])
        survivor = next(p for p in web if p is not holder)

        holder.kill()
        seen_reconnecting = False
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if not seen_reconnecting and "kết nối lại" in page.inner_text("#conn-state"):
                seen_reconnecting = True
                SCREENSHOTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(SCREENSHOTS / "room-reconnecting.png"))
            seat = json.loads(store.hget(f"{key}{meeting_id}", "seat:dc-vinh") or "{}")
            if f"-{survivor.proc.pid}-" in seat.get("owner", ""):
                break
            time.sleep(0.1)
        else:
            raise AssertionError(f"the page did not come back on the other web process: {seat}")
        assert seen_reconnecting  # the page said what happened while it reconnected
        page.wait_for_function("() => window.meetingClient.welcome && window.meetingClient.attempt === 0")
        welcome = page.evaluate("() => window.meetingClient.welcome")
        # The survivor claims the seat first (no attendance interval yet), then records the interval
        # and writes it into the seat before it sends the welcome: read the seat the welcome follows.
        seat = json.loads(store.hget(f"{key}{meeting_id}", "seat:dc-vinh") or "{}")
        assert f"-{survivor.proc.pid}-" in seat.get("owner", ""), seat
        assert welcome["raised_hands"] == ["dc-vinh"] and welcome["you"]["hand_raised"] is True
        assert seat["token"] != before["token"] and seat["attendance_id"] == before["attendance_id"]
        rows = [row for row in _rows(settings, Attendance, meeting_id) if row.participant == "dc-vinh"]
        assert len(rows) == 1 and rows[0].left_at is None  # resumed: no gap in the record
        page.wait_for_timeout(1000)
        page.screenshot(path=str(SCREENSHOTS / "room-after-web-process-killed.png"))
        context.close()
    finally:
        for process in web:
            process.stop()
