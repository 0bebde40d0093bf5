"""The dashboard's camera thumbnails in Chromium: an RTSP camera (GStreamer's RTSP server, read by the
real ingest service) shows its latest analysed picture; a camera that delivers nothing shows its state,
never a broken image."""

from __future__ import annotations

import asyncio
import socket
import threading
from pathlib import Path

import pytest

from core.db import engine_for, session_factory, session_scope
from ops_center.config import OpsSettings
from ops_center.models import Camera
from ops_center.service import IngestService
from tests.ops_center.test_dashboard_browser import _log_in
from tests.ops_center.test_rtsp_ingest import GstRtspServer

pytestmark = [pytest.mark.browser, pytest.mark.timeout(150)]
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
# A visible <img> that finished loading without a picture is what a user sees as a broken image.
BROKEN = ("[...document.querySelectorAll('#cams img')].filter((i) => i.offsetParent !== null "
          "&& !(i.complete && i.naturalWidth > 0)).length")


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_rtsp_camera_thumbnail_is_its_latest_picture_and_a_dead_one_shows_its_state(browser_page, settings):
    rtsp = GstRtspServer({"gate": "live:640x360@10"})
    with session_scope(session_factory(engine_for(settings.database_url), write=True)) as s:
        gate = Camera(name="Cổng UBND tỉnh (RTSP)", stream_url=rtsp.url("gate"), zones=[], masks=[],
                      people_fps=0.0)
        dead = Camera(name="Bến xe phía Bắc", stream_url=f"rtsp://127.0.0.1:{_closed_port()}/main",
                      zones=[], masks=[])
        s.add_all([gate, dead])
        s.flush()
        gate_id, dead_id = gate.id, dead.id
    service = IngestService(settings, OpsSettings(offline_after_s=3.0))
    service.wall = None  # the wall is not what this test is about
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    runner = threading.Thread(target=lambda: loop.run_until_complete(service.run(stop)), daemon=True)
    runner.start()
    page = browser_page
    try:
        _log_in(page, "/ops")
        live, gone = f"#cam-{gate_id}", f"#cam-{dead_id}"
        page.wait_for_function(f"document.querySelector('{live} img')?.naturalWidth === 640", timeout=40000)
        assert "no-pic" not in page.get_attribute(live, "class")
        # The dead camera: its state where the picture would be, in words.
        page.wait_for_function(f"document.querySelector('{gone} .state')?.textContent === 'Mất tín hiệu'",
                               timeout=30000)
        assert "no-pic" in page.get_attribute(gone, "class")
        assert page.inner_text(f"{gone} .no-picture") == "Mất tín hiệu\nChưa có hình từ camera"
        assert page.evaluate(BROKEN) == 0
        # The picture follows the camera: the next one replaces it (a new image element, fetched anew).
        first = page.evaluate(f"document.querySelector('{live} img').src")
        page.wait_for_function(f"document.querySelector('{live} img').src !== {first!r}", timeout=10000)
        assert page.evaluate(BROKEN) == 0
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.locator(".card.cams").screenshot(path=str(SHOTS / "ops_dashboard_pictures.png"))
        page.screenshot(path=str(SHOTS / "ops_dashboard_pictures_page.png"), full_page=True)
    finally:
        loop.call_soon_threadsafe(stop.set)
        runner.join(20)
        rtsp.stop()
