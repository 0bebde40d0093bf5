"""/ops as the operator reads it: a meeting that has ended stays on the screen as ended (with how many
endpoints attended), the activity chart speaks Vietnamese with 24-hour labels, no map label covers
another (TP Vinh, TX Cửa Lò and Nghi Lộc sit close together), and an event without a snapshot shows a
placeholder instead of a black box."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from core.db import engine_for, session_factory, session_scope
from ops_center.models import Camera, CameraEvent
from tests.conference.helpers import join, schedule_meeting, socket
from tests.ops_center.test_dashboard_browser import _log_in

pytestmark = pytest.mark.browser
SHOTS = Path("var/screenshots/truth")


def test_ops_keeps_the_ended_meeting_and_speaks_vietnamese(  # type: ignore[no-untyped-def]
        browser_page, client, auth_headers, settings) -> None:
    meeting = schedule_meeting(client)
    client.post(f"/api/meetings/{meeting['id']}/start", headers=auth_headers(client, "chutoa"))
    with socket(client, meeting["id"], "dc-vinh") as vinh:
        join(vinh, meeting["id"], "district")
    client.post(f"/api/meetings/{meeting['id']}/end", headers=auth_headers(client, "chutoa"))
    with session_scope(session_factory(engine_for(settings.database_url), write=True)) as s:
        camera = Camera(name="Cổng UBND tỉnh", stream_url="rtsp://127.0.0.1:9/x", zones=[], masks=[])
        s.add(camera)
        s.flush()
        s.add(CameraEvent(id=uuid.uuid4().hex, camera_id=camera.id, peak_people=2, snapshot_path=None,
                          started_at=datetime.now(UTC) - timedelta(minutes=3)))
    page = browser_page
    _log_in(page, "/ops")
    page.wait_for_selector("#meeting p b")
    text = page.inner_text("#meeting")
    assert meeting["title"] in text and "Đã kết thúc" in text and "1/3 điểm cầu đã dự" in text
    assert re.search(r"lúc \d\d:\d\d ngày \d\d/\d\d/\d{4}", text)

    page.wait_for_selector("#activity .u-legend")
    legend = page.inner_text("#activity .u-legend")
    assert "Thời gian" in legend and "Time" not in legend
    # The x axis is drawn on a canvas: its labels as the chart makes them, for 13:05 and 00:30 Vietnam time.
    axis = page.evaluate("""() => { const c = document.getElementById('activity').chart;
        return c.axes[0].values(c, [Date.UTC(2026, 11, 6, 6, 5) / 1000, Date.UTC(2026, 11, 5, 17, 30) / 1000], 0); }""")
    assert axis == ["13:05", "00:30"]

    # No two labels of the map overlap, nor does a label cover a dot.
    overlaps = page.evaluate("""() => {
        const boxes = [...document.querySelectorAll('#unitmap text')].map((t) => t.getBoundingClientRect());
        const dots = [...document.querySelectorAll('#unitmap circle')].map((c) => c.getBoundingClientRect());
        const hit = (a, b) => a.left < b.right - 1 && b.left < a.right - 1
          && a.top < b.bottom - 1 && b.top < a.bottom - 1;
        const found = [];
        boxes.forEach((a, i) => boxes.forEach((b, j) => { if (i < j && hit(a, b)) found.push([i, j]); }));
        boxes.forEach((a, i) => dots.forEach((d, j) => { if (hit(a, d)) found.push([i, 'dot', j]); }));
        return found; }""")
    assert overlaps == []

    placeholder = page.locator("#events li .no-snapshot")
    assert placeholder.inner_text() == "Không có ảnh" and page.locator("#events li img").count() == 0
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "ops-after-end.png"), full_page=True)
