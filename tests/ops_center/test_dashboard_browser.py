"""The operator's screen in real Chromium, fed by the real ingest process watching a synthetic camera."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import pytest

from core.db import engine_for, session_factory, session_scope
from ops_center.alerts.rules import AlertKind, RuleConfig
from ops_center.alerts.store import save_rule
from ops_center.config import OpsSettings
from ops_center.mjpeg_server import Feed, SyntheticCameraServer
from ops_center.models import Camera
from ops_center.scene import Scene, Walker
from ops_center.service import IngestService
from ops_center.synthetic import BANNER_MASK
from tests.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.browser


def _log_in(page, target: str) -> None:  # type: ignore[no-untyped-def]
    page.set_default_timeout(60_000)  # the machine is shared; this bounds a hang, it times nothing
    page.goto(target)
    page.fill("input[name=username]", "vanhanh")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    # The login page's own address contains the target (?next=...), so wait until it is gone.
    page.wait_for_url(lambda url: "/login" not in url)


def test_dashboard_shows_cameras_events_and_alerts_live(browser_page, settings, tmp_path):
    scene = Scene(seed=4, walkers=[Walker(start=4.0, end=8.0, y=0.85, height=0.4)])
    cams = SyntheticCameraServer([Feed("gate", scene)], epoch=time.time()).start()
    with session_scope(session_factory(engine_for(settings.database_url), write=True)) as s:
        s.add(Camera(name="Cổng UBND tỉnh", stream_url=cams.url("gate"), substream_url=cams.url("gate", "sub"),
                     zones=[], masks=[BANNER_MASK]))
        # Whether the crossing is "at night" depends on when the test runs; keep the alert count certain.
        save_rule(s, RuleConfig(AlertKind.MOTION_NIGHT, enabled=False), "test")
    service = IngestService(settings, OpsSettings(offline_after_s=3.0))
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    runner = threading.Thread(target=lambda: loop.run_until_complete(service.run(stop)), daemon=True)
    runner.start()
    page = browser_page
    try:
        _log_in(page, "/ops")
        assert page.inner_text("h1") == "Trung tâm điều hành"
        page.wait_for_function("document.getElementById('k-cams').textContent === '1/1'", timeout=15000)
        assert "Hoạt động" in page.inner_text("#cams")
        # The thumbnail is the camera's latest analysed substream picture, as the ingest wrote it.
        page.wait_for_function("document.querySelector('#cams img').naturalWidth === 640", timeout=10000)
        # The schematic map places the province's 21 district-level units.
        assert page.locator("#unitmap circle").count() == 21
        # Documents and dossiers show their real state: no provider yet means "no data", never invented numbers.
        for block in ("#documents", "#dossiers"):
            text = page.inner_text(block)
            assert "Chưa có dữ liệu" in text or any(ch.isdigit() for ch in text)

        # The walker crosses at 4-8 s: an event with a snapshot appears without reloading.
        page.wait_for_selector("#events li img[src*='snapshot.jpg']", timeout=20000)

        # The wall: substream tiles; a click enlarges the tile with the 1280x720 main stream.
        page.goto("/ops/wall")
        page.wait_for_function("document.querySelector('#wall .cam-tile img').naturalWidth === 640", timeout=10000)
        page.click("#wall .cam-tile")
        page.wait_for_function("document.querySelector('#big img').naturalWidth === 1280", timeout=10000)
        page.keyboard.press("Escape")
        assert page.is_hidden("#big")
        page.goto("/ops")
        page.wait_for_function("document.getElementById('k-cams').textContent === '1/1'", timeout=15000)

        cams.set_faults("gate", down=True)
        page.wait_for_selector("#alerts li.critical", timeout=15000)
        assert "Camera mất tín hiệu: Cổng UBND tỉnh" in page.inner_text("#alerts")
        assert page.inner_text("#k-alerts") == "1"
        page.once("dialog", lambda d: d.accept("Đã báo kỹ thuật kiểm tra nguồn"))
        page.click("#alerts li button")
        page.wait_for_selector("#alerts li.acknowledged", timeout=10000)
        assert "Đã báo kỹ thuật kiểm tra nguồn" in page.inner_text("#alerts")
        page.screenshot(path=str(tmp_path / "ops.png"), full_page=True)
    finally:
        loop.call_soon_threadsafe(stop.set)
        runner.join(15)
        cams.stop()


def test_operator_adds_a_camera_in_the_registry_page(browser_page):
    page = browser_page
    _log_in(page, "/ops/cameras")
    page.fill("#camform input[name=name]", "Cầu Bến Thủy")
    page.fill("#camform input[name=stream_url]", "rtsp//10.0.0.5/stream1")
    page.click("#camform button[type=submit]")
    page.wait_for_function("document.getElementById('form-error').textContent.includes('scheme')")
    page.fill("#camform input[name=stream_url]", "rtsp://10.0.0.5/stream1")
    page.fill("#camform textarea[name=masks]", "[[[0.8,0],[1,0],[1,0.3]]]")
    page.click("#camform button[type=submit]")
    page.wait_for_selector("#cameras tbody tr:has-text('Cầu Bến Thủy')")
    assert page.inner_text("#form-error") == ""


def test_registry_groups_cameras_by_commune_and_site(browser_page, settings):
    from sqlalchemy import select

    from core.units import Unit
    from ops_center.models import CameraHealthRow, utcnow

    with session_scope(session_factory(engine_for(settings.database_url), write=True)) as s:
        units = list(s.execute(select(Unit).where(Unit.kind == "district").order_by(Unit.code).limit(2)).scalars())
        assert len(units) == 2
        rows = [("Cổng chính", units[0], "Trụ sở UBND", "online", "ingest-a", None),
                ("Sân sau", units[0], "Trụ sở UBND", "offline", "ingest-b", 7.4),
                ("Chợ trung tâm", units[0], "Chợ", "online", "ingest-b", None),
                ("Ngã tư", units[1], "", "online", "ingest-a", None)]
        for name, unit, site, state, owner, gap in rows:
            cam = Camera(name=name, unit=unit, site=site, stream_url="rtsp://admin:pw@127.0.0.1:9/x",
                         zones=[], masks=[])
            s.add(cam)
            s.flush()
            s.add(CameraHealthRow(camera_id=cam.id, state=state, owner=owner, takeover_gap_s=gap, lease_token=1,
                                  fault="stalled" if state == "offline" else None, reported_at=utcnow()))
    # The ingest processes report every 2 s; a row not reported for 7 s reads "not reporting".
    reporting = threading.Event()

    def report() -> None:
        while not reporting.wait(1.0):
            with session_scope(session_factory(engine_for(settings.database_url), write=True)) as s:
                for row in s.execute(select(CameraHealthRow)).scalars():
                    row.reported_at = utcnow()

    threading.Thread(target=report, daemon=True).start()
    page = browser_page
    try:
        _log_in(page, "/ops/cameras")
        page.wait_for_selector("#cameras tr.group.unit")
        headings = page.locator("#cameras tr.group").all_inner_texts()
    finally:
        reporting.set()
    first, second = units[0].short_name, units[1].short_name
    assert headings == [f"{first} · 2/3 hoạt động", "Chợ · 1/1 hoạt động", "Trụ sở UBND · 1/2 hoạt động",
                        f"{second} · 1/1 hoạt động", "Chưa ghi điểm lắp đặt · 1/1 hoạt động"]
    late = page.locator("#cameras tr:has-text('Sân sau')").inner_text()
    assert "Camera ngừng gửi hình" in late and "ingest-b" in late and "7.4 s" in late
    assert "pw@" not in page.content()
    page.screenshot(path=str(Path("var") / "ops-cameras-grouped.png"), full_page=True)


MENU_TOPS = "() => [...document.querySelectorAll('nav.mainnav a')].map((a) => a.getBoundingClientRect().top)"
EVENTS_EMPTY = "() => getComputedStyle(document.getElementById('events'), '::before').content"


def test_an_empty_dashboard_says_so_and_its_menu_fits_one_row(browser_page):
    page = browser_page
    page.set_viewport_size({"width": 1280, "height": 900})
    _log_in(page, "/ops")
    page.wait_for_selector("body[data-updated]")
    empty = page.evaluate("""() => ['cams', 'alerts', 'events'].map((id) =>
        getComputedStyle(document.getElementById(id), '::before').content)""")
    assert empty == ['"Chưa có camera nào"', '"Không có cảnh báo"', '"Chưa có sự kiện nào"']
    # Every menu entry shows, all on one row beside the brand (at 1280 px the last one used to wrap).
    tops = page.evaluate(MENU_TOPS)
    assert len(tops) == 6 and len(set(tops)) == 1
    assert page.evaluate("() => document.querySelector('.topbar').getBoundingClientRect().height") < 60
    shots = Path(__file__).resolve().parents[2] / "var" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots / "ops-empty.png"), full_page=True)
    page.goto("/ops?lang=en")
    page.wait_for_selector("body[data-updated]")
    assert page.evaluate(EVENTS_EMPTY) == '"No events yet"'
    tops = page.evaluate(MENU_TOPS)
    page.screenshot(path=str(shots / "ops-empty-en.png"))
    assert len(set(tops)) == 1
