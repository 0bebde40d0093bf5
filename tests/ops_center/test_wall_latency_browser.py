"""Glass-to-glass latency of the WebRTC wall, measured in Chromium: a timecode camera (each picture
carries the time it was made, as bars) is encoded with libx264 and published in the wall room,
the media workers forward it without decoding, and the page reads the time back from each
picture Chromium shows. The figures go to var/bench/wall_latency.json; the test fails only if
no picture arrives (timings on a shared machine are reported, not asserted)."""

from __future__ import annotations

import asyncio
import http.server
import json
import os
import shutil
import socketserver
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conference.media.client import MediaClient
from conference.media.service import WorkerPool
from ops_center.h264_units import AccessUnits
from ops_center.timecode import TimecodeCamera
from ops_center.wall_media import WALL_ROOM, camera_participant
from ops_center.wall_publisher import CameraPublisher

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]

CHROMIUM = os.environ.get("GIAOBAN_CHROMIUM", "/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
SECONDS = 12.0

OFFER = """async (tiles) => {
  const pc = window.pc = new RTCPeerConnection({bundlePolicy: 'max-bundle'});
  window.samples = []; window.videos = [];
  for (let i = 0; i < tiles; i++) pc.addTransceiver('video', {direction: 'recvonly'});
  pc.ontrack = (e) => {
    const video = document.createElement('video');
    video.muted = true; video.autoplay = true; video.playsInline = true;
    video.srcObject = new MediaStream([e.track]);
    document.body.appendChild(video);
    window.videos.push(video);
    giaobanTimecode.measure(video, (ms) => window.samples.push(ms));
  };
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise(done => {
    if (pc.iceGatheringState === 'complete') return done();
    pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && done();
  });
  return pc.localDescription.sdp;
}"""
DECODED = """async () => {
  let n = 0;
  (await window.pc.getStats()).forEach(s => { if (s.type === 'inbound-rtp') n += s.framesDecoded || 0; });
  return n;
}"""


@pytest.fixture
def page_origin(tmp_path: Path) -> Iterator[str]:
    site = tmp_path / "site"
    site.mkdir()
    shutil.copy(ROOT / "ops_center" / "static" / "ops" / "timecode.js", site / "timecode.js")
    (site / "index.html").write_text("<!doctype html><title>wall</title><script src='timecode.js'></script>")
    handler = lambda *a: http.server.SimpleHTTPRequestHandler(*a, directory=str(site))  # noqa: E731
    with socketserver.TCPServer(("127.0.0.1", 0), handler) as httpd:
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        yield f"http://localhost:{httpd.server_address[1]}/"
        httpd.shutdown()


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@pytest.mark.parametrize("profile", ["Baseline", "High"])
async def test_chromium_shows_the_camera_and_the_latency_is_measured(tmp_path: Path, page_origin: str,
                                                                    profile: str) -> None:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}")
    from playwright.async_api import async_playwright

    pool = WorkerPool(tmp_path / "media", 2)
    pool.start()
    pool.wait_ready(timeout=180)  # listening: a loaded machine takes long to start them
    media = MediaClient(tmp_path / "media", 2)
    publisher = CameraPublisher("1", media)
    stop = threading.Event()
    camera = TimecodeCamera(640, 360, fps=30, gop=30, profile=profile)

    def run_camera() -> None:
        start = time.monotonic()
        n = 0
        while not stop.is_set():
            for data, pts, key in camera.frame():
                publisher.push(data, pts, key)
            n += 1
            time.sleep(max(0.0, start + n / 30 - time.monotonic()))

    feeder = threading.Thread(target=run_camera, daemon=True)
    try:
        await media.connect()
        await publisher.connect()
        units = AccessUnits()  # what the camera's SPS says, as the RTSP reader would report it
        units.prepare(camera.frame()[0][0])
        feeder.start()
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
            page = await browser.new_page()
            await page.goto(page_origin)
            offer = await page.evaluate(OFFER, 1)
            answer = await media.add_participant(WALL_ROOM, "wall-latency", "wall", offer, video_codec="h264",
                                                 shows=[camera_participant("1")])
            await page.evaluate("async (sdp) => { await window.pc.setRemoteDescription({type: 'answer', sdp}); }",
                                answer)
            started = time.monotonic()
            first_picture = None
            while time.monotonic() - started < SECONDS + 20:
                count = await page.evaluate("window.samples.length")
                if count and first_picture is None:
                    first_picture = time.monotonic() - started
                if first_picture is not None and time.monotonic() - started >= first_picture + SECONDS:
                    break
                await asyncio.sleep(0.25)
            samples = await page.evaluate("window.samples")
            decoded = await page.evaluate(DECODED)
            await browser.close()
        stats = await media.worker_stats()
    finally:
        stop.set()
        await publisher.close()
        await media.close()
        pool.stop()
    # A High-profile camera in a session negotiated as 42e01f: Chromium's software decoder shows it
    # too (the SFU never looks inside); the README says what that does not promise.
    assert decoded > 0 and samples, f"no picture reached Chromium ({decoded} decoded, {len(samples)} stamps read)"
    figures = {
        "profile": f"{profile.lower()} ({units.profile.profile_level_id if units.profile else '?'}), "
                   "negotiated 42e01f",
        "source": "timecode camera 640x360 at 30 fps, libx264 ultrafast/zerolatency, IDR every 1 s, "
                  "fed to the wall publisher directly (no RTSP hop)",
        "path": "aiortc publisher -> media worker (2 workers, forwarded without decoding) -> Chromium",
        "seconds_to_first_picture": round(first_picture or 0.0, 2),
        "frames_decoded": decoded,
        "stamps_read": len(samples),
        "latency_ms_p50": round(_percentile(samples, 0.5), 1),
        "latency_ms_p95": round(_percentile(samples, 0.95), 1),
        "latency_ms_max": round(max(samples), 1),
        "target_p95_ms": 500,
        "load_average_1min": round(os.getloadavg()[0], 2),
        "cpu_count": os.cpu_count(),
        "relay_decoded_or_encoded_frames": sum(s.decoded_frames + s.encoded_frames for s in stats),
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    name = "wall_latency.json" if profile == "Baseline" else f"wall_latency_{profile.lower()}.json"
    out = ROOT / "var" / "bench" / name
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures, indent=2))
    assert figures["relay_decoded_or_encoded_frames"] == 0
