"""Chromium's own WebRTC stack through the media workers: a browser host and a browser district
decode each other's video, forwarded without decoding (VP8 and H.264 negotiated the way Chrome
offers them: RTX, transport-cc, abs-capture-time and the rest)."""

from __future__ import annotations

import asyncio
import http.server
import os
import socketserver
import threading
from pathlib import Path

import pytest

from conference.media.client import MediaClient
from conference.media.service import WorkerPool

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

CHROMIUM = os.environ.get("GIAOBAN_CHROMIUM", "/usr/bin/chromium")

OFFER = """async ([videoSlots, publishLow]) => {
  const pc = new RTCPeerConnection({bundlePolicy: 'max-bundle'});
  (window.pcs = window.pcs || []).push(pc);
  const stream = await navigator.mediaDevices.getUserMedia({audio: true, video: {width: 640, height: 360}});
  pc.addTransceiver(stream.getAudioTracks()[0], {direction: 'sendonly'});
  pc.addTransceiver(stream.getVideoTracks()[0], {direction: 'sendonly'});
  if (publishLow) pc.addTransceiver(stream.getVideoTracks()[0].clone(), {direction: 'sendonly'});
  for (let i = 0; i < videoSlots; i++) pc.addTransceiver('video', {direction: 'recvonly'});
  pc.addTransceiver('audio', {direction: 'recvonly'});
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise(done => {
    if (pc.iceGatheringState === 'complete') return done();
    pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && done();
  });
  return [window.pcs.length - 1, pc.localDescription.sdp];
}"""
ANSWER = "async ([i, sdp]) => { await window.pcs[i].setRemoteDescription({type: 'answer', sdp}); }"
DETAILS = """async (i) => {
  const out = [];
  (await window.pcs[i].getStats()).forEach(s => {
    if (s.kind === 'video' && (s.type === 'inbound-rtp' || s.type === 'outbound-rtp'))
      out.push([s.type, s.mid, s.packetsReceived ?? s.packetsSent, s.framesDecoded ?? s.framesEncoded,
                s.keyFramesDecoded ?? s.keyFramesEncoded, s.pliCount, s.nackCount, s.framesDropped]);
  });
  return out;
}"""
DECODED = """async (i) => {
  const decoded = {};
  (await window.pcs[i].getStats()).forEach(s => {
    if (s.type === 'inbound-rtp' && s.kind === 'video') decoded[s.mid] = s.framesDecoded;
  });
  return decoded;
}"""


@pytest.fixture
def page_origin(tmp_path: Path):
    """getUserMedia needs a secure context: an empty page served from localhost."""
    (tmp_path / "index.html").write_text("<!doctype html><title>media</title>")
    handler = lambda *a: http.server.SimpleHTTPRequestHandler(*a, directory=str(tmp_path))  # noqa: E731
    with socketserver.TCPServer(("127.0.0.1", 0), handler) as httpd:
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        yield f"http://localhost:{httpd.server_address[1]}/"
        httpd.shutdown()


@pytest.mark.parametrize("codec", ["vp8", "h264"])
async def test_chromium_host_and_district_decode_each_other(tmp_path: Path, page_origin: str, codec: str) -> None:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}")
    from playwright.async_api import async_playwright

    pool = WorkerPool(tmp_path / "media", 2)
    pool.start()
    pool.wait_ready(timeout=180)  # listening: a loaded machine takes long to start them
    media = MediaClient(tmp_path / "media", 2)
    try:
        await media.connect()
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
                "--no-sandbox", "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"])
            page = await browser.new_page()
            await page.goto(page_origin)
            host, offer = await page.evaluate(OFFER, [2, False])
            await page.evaluate(ANSWER, [host, await media.add_participant("rb", "chair", "host", offer,
                                                                              video_codec=codec)])
            district, offer = await page.evaluate(OFFER, [2, True])
            await page.evaluate(ANSWER, [district, await media.add_participant("rb", "dc-a", "district", offer,
                                                                                  video_codec=codec)])
            await media.set_spotlight("rb", "dc-a")
            for _ in range(150):
                host_frames = await page.evaluate(DECODED, host)
                district_frames = await page.evaluate(DECODED, district)
                # Host: speaker slot (district high) and a tile (district low); district: the host.
                if (len([n for n in host_frames.values() if n >= 30]) == 2
                        and max(district_frames.values(), default=0) >= 30):
                    break
                await asyncio.sleep(0.1)
            else:
                details = {"host": await page.evaluate(DETAILS, host),
                           "district": await page.evaluate(DETAILS, district),
                           "workers": await media.worker_stats()}
                pytest.fail(f"frames decoded: host {host_frames}, district {district_frames}; {details}")
            await browser.close()
        stats = await media.worker_stats()
        assert sum(s.decoded_frames + s.encoded_frames for s in stats) == 0
        assert sum(s.forwarded_packets for s in stats) > 90
    finally:
        await media.close()
        pool.stop()
