"""RTSP cameras whose main stream is not H.264 (H.265, MJPEG over RTSP; GStreamer's RTSP server with
Debian's x265enc and jpegenc) on /ops/wall in Chromium: the ingest finds the codec when a wall asks for
the camera, records it on the camera's health with an alert, keeps analysing the substream, and the tile
says why it is not live and shows the substream's pictures instead of waiting for ever."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import pytest

from conference.media.service import WorkerPool, media_run_dir
from core.db import engine_for, session_factory, session_scope
from ops_center.config import OpsSettings
from ops_center.models import Camera
from ops_center.service import IngestService
from tests.ops_center.test_dashboard_browser import _log_in
from tests.ops_center.test_rtsp_ingest import GstRtspServer

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def _wait(predicate, timeout: float) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def test_wall_tiles_of_h265_and_mjpeg_cameras_say_why_and_show_substream_pictures(browser_page, settings) -> None:
    rtsp = GstRtspServer({"main265": "h265:640x360@10", "sub": "live:640x360@10", "mjpg": "mjpeg:640x360@10"})
    pool = WorkerPool(media_run_dir(settings.var_dir), settings.media_workers)
    pool.start()
    pool.wait_ready(timeout=180)  # listening: a loaded machine takes long to start them
    with session_scope(session_factory(engine_for(settings.database_url), write=True)) as s:
        hevc = Camera(name="Quảng trường (H.265)", stream_url=rtsp.url("main265"), substream_url=rtsp.url("sub"),
                      zones=[], masks=[], people_fps=0.0)
        mjpg = Camera(name="Kho lưu trữ (MJPEG qua RTSP)", stream_url=rtsp.url("mjpg"), zones=[], masks=[],
                      people_fps=0.0)
        s.add_all([hevc, mjpg])
        s.flush()
        ids = {"hevc": str(hevc.id), "mjpeg": str(mjpg.id)}
    service = IngestService(settings, OpsSettings(offline_after_s=3.0))
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    runner = threading.Thread(target=lambda: loop.run_until_complete(service.run(stop)), daemon=True)
    runner.start()
    page = browser_page
    try:
        assert service.wall is not None
        assert _wait(lambda: all(i in service.wall.feeds for i in ids.values()), 40), "cameras not published"
        _log_in(page, "/ops/wall")
        tiles = {k: f'#wall .cam-tile[data-id="{i}"]' for k, i in ids.items()}
        for codec, name in (("hevc", "H.265"), ("mjpeg", "MJPEG")):
            tile = tiles[codec]
            page.wait_for_function(f"document.querySelector('{tile}').classList.contains('fallback')", timeout=60000)
            page.wait_for_function(f"document.querySelector('{tile} img.fallback')?.naturalWidth === 640",
                                   timeout=20000)
            assert page.inner_text(f"{tile} .note").startswith(f"Camera gửi {name}, không xem trực tiếp qua WebRTC")
            assert page.inner_text(f"{tile} .via") == f"{name} · ảnh luồng phụ"
            assert page.is_hidden(f"{tile} .state") and page.is_hidden(f"{tile} video")
        status = service.wall.status()
        assert {status[i]["codec"] for i in ids.values()} == {"hevc", "mjpeg"}
        assert {status[i]["stream"] for i in ids.values()} == {"not_h264"}
        # The health row and the alert the operator sees; the cameras stay online, still analysed.
        cams = {str(c["id"]): c for c in page.evaluate("fetch('/api/ops/cameras').then((r) => r.json())")}
        assert cams[ids["hevc"]]["health"]["main_codec"] == "hevc"
        assert cams[ids["mjpeg"]]["health"]["main_codec"] == "mjpeg"
        assert all(cams[i]["health"]["state"] == "online" for i in ids.values())
        assert all(service.supervisor.workers[i].alive for i in ids.values())
        alerts = page.evaluate("fetch('/api/ops/alerts').then((r) => r.json())")
        codec_alerts = sorted(a["title"] for a in alerts if a["kind"] == "camera_codec" and a["status"] == "open")
        assert codec_alerts == ["Camera không xem trực tiếp được (luồng chính không phải H.264): Kho lưu trữ (MJPEG "
                                "qua RTSP) gửi MJPEG", "Camera không xem trực tiếp được (luồng chính không phải "
                                "H.264): Quảng trường (H.265) gửi H.265"]
        page.wait_for_timeout(1200)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "ops_wall_codec_fallback.png"), full_page=True)

        # Opened again, the page knows at once: no tile waits for a picture that cannot come.
        page.reload()
        for tile in tiles.values():
            assert "fallback" in page.get_attribute(tile, "class")
        page.click(tiles["hevc"])
        page.wait_for_function("document.querySelector('#big img').naturalWidth === 640", timeout=10000)
        page.screenshot(path=str(SHOTS / "ops_wall_codec_fallback_big.png"))
    finally:
        loop.call_soon_threadsafe(stop.set)
        runner.join(20)
        pool.stop()
        rtsp.stop()
