"""The wall's session API: who may open one, what it refuses and why, and a session that works."""

from __future__ import annotations

import asyncio

from aiortc import RTCBundlePolicy, RTCConfiguration, RTCPeerConnection

from conference.media.service import WorkerPool, media_run_dir
from core.db import engine_for, session_factory, session_scope
from ops_center.models import Camera


def _offer(tiles: int) -> str:
    async def make() -> str:
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE))
        for _ in range(tiles):
            pc.addTransceiver("video", direction="recvonly")
        await pc.setLocalDescription(await pc.createOffer())
        sdp = pc.localDescription.sdp
        await pc.close()
        return sdp

    return asyncio.run(make())


def _cameras(settings) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    with session_scope(session_factory(engine_for(settings.database_url), write=True)) as s:
        rtsp = Camera(name="Cổng", stream_url="rtsp://admin:secret@127.0.0.1:1/main", zones=[], masks=[])
        mjpeg = Camera(name="Sảnh", stream_url="http://127.0.0.1:1/cam.mjpg", zones=[], masks=[])
        off = Camera(name="Tắt", stream_url="rtsp://127.0.0.1:1/off", zones=[], masks=[], enabled=False)
        s.add_all([rtsp, mjpeg, off])
        s.flush()
        return rtsp.id, mjpeg.id, off.id


def test_wall_sessions_refuse_what_cannot_be_shown_and_say_why(client, auth_headers, settings) -> None:
    rtsp, mjpeg, off = _cameras(settings)
    op = auth_headers(client, "vanhanh")
    offer = _offer(1)
    body = {"cameras": [rtsp], "sdp": offer}
    assert client.post("/api/ops/wall/sessions", json=body).status_code == 401
    assert client.post("/api/ops/wall/sessions", json=body, headers=auth_headers(client, "chuyenvien")).status_code \
        == 403
    for cameras, status, words in (([], 422, "cameras"), ([rtsp, rtsp], 400, "one tile"),
                                   ([999999], 404, "999999"), ([off], 404, str(off)), ([mjpeg], 409, "MJPEG")):
        answer = client.post("/api/ops/wall/sessions", json={"cameras": cameras, "sdp": offer}, headers=op)
        assert answer.status_code == status and words in answer.text, (cameras, answer.status_code, answer.text)
    # No media workers running: a clear "try again" rather than a hang or a 500.
    answer = client.post("/api/ops/wall/sessions", json=body, headers=op)
    assert answer.status_code == 503 and "media" in answer.text

    pool = WorkerPool(media_run_dir(settings.var_dir), settings.media_workers)
    pool.start()
    pool.wait_ready(timeout=180)  # listening: a loaded machine takes long to start them
    try:
        answer = client.post("/api/ops/wall/sessions", json={"cameras": [rtsp], "sdp": "v=0\r\nnot sdp"}, headers=op)
        assert answer.status_code == 400 and "refused" in answer.text, answer.text
        answer = client.post("/api/ops/wall/sessions", json=body, headers=op)
        assert answer.status_code == 200, answer.text
        opened = answer.json()
        assert opened["cameras"] == [rtsp] and opened["sdp"].startswith("v=0") and "H264" in opened["sdp"]
        assert "secret" not in answer.text
        chair = auth_headers(client, "chutoa")  # may watch, but not end someone else's session
        assert client.delete(f"/api/ops/wall/sessions/{opened['session']}", headers=chair).status_code == 404
        assert client.delete(f"/api/ops/wall/sessions/{opened['session']}", headers=op).status_code == 204
        assert client.delete(f"/api/ops/wall/sessions/{opened['session']}", headers=op).status_code == 404
    finally:
        pool.stop()
