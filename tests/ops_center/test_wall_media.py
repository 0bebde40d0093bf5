"""The WebRTC wall's media path without a browser: a camera's H.264 access units made ready to
forward (SPS/PPS before every IDR), packetized as RFC 6184 says, and an RTSP camera served by
GStreamer reaching a wall viewer through the media workers with nothing decoded on the way."""

from __future__ import annotations

import asyncio
import fractions
import time
from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np
import pytest
from aiortc import RTCBundlePolicy, RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.codecs.h264 import H264Encoder, h264_depayload
from aiortc.mediastreams import MediaStreamTrack

from conference.media.client import MediaClient
from conference.media.errors import MediaError, MediaErrorCode
from conference.media.service import WorkerPool
from ops_center import timecode, wall_media
from ops_center.h264_units import NAL_IDR, NAL_PPS, NAL_SPS, AccessUnits, nal_units
from ops_center.main_stream import MainStreamReader
from ops_center.wall_feeds import WallFeeds
from ops_center.wall_media import WALL_ROOM, camera_participant
from ops_center.wall_publisher import CameraPublisher
from ops_center.worker import CameraConfig
from tests.ops_center.test_rtsp_ingest import GstRtspServer

pytestmark = pytest.mark.timeout(120)


def _kinds(data: bytes) -> list[int]:
    return [u[0] & 0x1F for u in nal_units(data)]


def test_every_idr_leaves_with_sps_and_pps_and_nothing_before_the_first_idr() -> None:
    camera = timecode.TimecodeCamera(320, 180, fps=10, gop=5)
    encoded = [unit for _ in range(12) for unit in camera.frame()]
    assert NAL_SPS in _kinds(encoded[0][0])
    # Like a camera that sends its parameter sets once (or only in the SDP): later IDRs without them.
    encoded = encoded[:1] + [(b"".join(b"\x00\x00\x00\x01" + u for u in nal_units(d)
                                       if u[0] & 0x1F not in (NAL_SPS, NAL_PPS)), t, k) for d, t, k in encoded[1:]]
    later_idrs = [data for data, _, key in encoded[1:] if key]
    assert later_idrs and all(NAL_SPS not in _kinds(d) for d in later_idrs)

    units = AccessUnits()
    assert units.prepare(encoded[1][0]) is None  # a P-frame before any IDR: nobody could decode it
    prepared = [units.prepare(data) for data, _, _ in encoded]
    assert all(p is not None for p in prepared)
    for (_, _, key), data in zip(encoded, prepared, strict=True):
        if key:
            assert _kinds(data)[:2] == [NAL_SPS, NAL_PPS] and NAL_IDR in _kinds(data)
    assert units.inserted == len(later_idrs)
    assert units.profile is not None and units.profile.profile_level_id == "42c00b"  # level 1.1 for 320x180 at 10 fps
    assert units.profile.name == "constrained baseline" and units.profile.browser_safe

    # A decoder that joins at the second IDR, knowing nothing else, decodes from there on.
    second = next(i for i, (_, _, key) in enumerate(encoded) if key and i > 0)
    decoder = av.CodecContext.create("h264", "r")
    pictures = [f for data in prepared[second:] for f in decoder.decode(av.Packet(data))]
    assert len(pictures) >= len(prepared[second:]) - 1


def test_parameter_sets_known_only_from_the_rtsp_extradata_are_put_before_the_idr() -> None:
    camera = timecode.TimecodeCamera(320, 180, fps=10, gop=5)
    first = camera.frame()[0][0]
    sps, pps = (u for u in nal_units(first) if u[0] & 0x1F in (NAL_SPS, NAL_PPS))
    idr_only = b"".join(b"\x00\x00\x00\x01" + u for u in nal_units(first) if u[0] & 0x1F == NAL_IDR)
    units = AccessUnits(b"\x00\x00\x00\x01" + sps + b"\x00\x00\x00\x01" + pps)
    assert _kinds(units.prepare(idr_only) or b"") == [NAL_SPS, NAL_PPS, NAL_IDR]
    assert AccessUnits().prepare(idr_only) is None  # no parameter sets anywhere: not forwarded


def test_access_units_are_packetized_as_stap_a_and_fu_a_and_depacketize_to_a_picture() -> None:
    camera = timecode.TimecodeCamera(640, 360, fps=10, gop=10)
    data, pts, key = camera.frame(millis=1_765_000_000_123)[0]
    prepared = AccessUnits().prepare(data)
    assert key and prepared is not None
    packet = av.Packet(prepared)
    packet.pts, packet.time_base = pts, fractions.Fraction(1, 90000)
    payloads, _ = H264Encoder().pack(packet)
    types = [p[0] & 0x1F for p in payloads]
    assert types[0] == 24  # STAP-A: SPS and PPS (small units) aggregated in one packet
    assert 28 in types  # FU-A: the IDR slice is larger than one packet
    assert all(len(p) <= 1300 for p in payloads)
    frames = av.CodecContext.create("h264", "r").decode(av.Packet(b"".join(h264_depayload(p) for p in payloads)))
    assert frames and timecode.read(frames[0].to_ndarray(format="gray")) == 1_765_000_000_123


class WallViewer:
    """An aiortc browser stand-in: receives the wall's tiles and decodes them."""

    def __init__(self, tiles: int) -> None:
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE))
        for _ in range(tiles):
            self.pc.addTransceiver("video", direction="recvonly")
        self.frames: dict[str, int] = {}
        self.pc.on("track", self._on_track)

    def _on_track(self, track: MediaStreamTrack) -> None:
        mid = next(t.mid for t in self.pc.getTransceivers() if t.receiver.track is track)

        async def pump() -> None:
            while True:
                try:
                    await track.recv()
                except Exception:
                    return
                self.frames[mid] = self.frames.get(mid, 0) + 1

        asyncio.ensure_future(pump())

    async def join(self, media: MediaClient, pid: str, shows: list[str]) -> None:
        await self.pc.setLocalDescription(await self.pc.createOffer())
        answer = await media.add_participant(WALL_ROOM, pid, "wall", self.pc.localDescription.sdp,
                                             video_codec="h264", shows=shows)
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))


@pytest.fixture(scope="module")
def rtsp() -> Iterator[GstRtspServer]:
    server = GstRtspServer({"main": "live:640x360@15"})
    yield server
    server.stop()


async def _until(predicate, timeout: float) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.1)
    return True


async def test_an_rtsp_camera_reaches_the_tile_that_shows_it_and_nothing_is_decoded(
        tmp_path: Path, rtsp: GstRtspServer) -> None:
    pool = WorkerPool(tmp_path / "media", 2)
    pool.start()
    media = MediaClient(tmp_path / "media", 2)
    publisher = reader = viewer = None
    try:
        await media.connect()
        publisher = CameraPublisher("7", media)
        await publisher.connect()
        reader = MainStreamReader("7", rtsp.url("main"), publisher.push, read_timeout_s=3.0).start()
        viewer = WallViewer(tiles=2)
        await viewer.join(media, "wall-a", [camera_participant("7"), camera_participant("8")])
        assert await _until(lambda: max(viewer.frames.values(), default=0) >= 20, 30), \
            f"frames decoded by the wall viewer: {viewer.frames}; reader {reader.state} {reader.error}"
        assert len(viewer.frames) == 1  # the second tile's camera (8) does not publish: nothing there
        assert reader.profile is not None and reader.profile.profile_idc in (66, 77, 100)
        stats = await media.worker_stats()
        assert sum(s.decoded_frames + s.encoded_frames for s in stats) == 0
        assert sum(s.forwarded_packets for s in stats) > 20

        # A camera's offer with audio, or a wall that publishes, is refused with a reason.
        bad = RTCPeerConnection()
        bad.addTransceiver("audio", direction="sendonly")
        bad.addTransceiver("video", direction="sendonly")
        await bad.setLocalDescription(await bad.createOffer())
        with pytest.raises(MediaError) as refused:
            await media.add_participant(WALL_ROOM, "camera-x", "camera", bad.localDescription.sdp,
                                        video_codec="h264")
        assert refused.value.code is MediaErrorCode.BAD_SDP
        await bad.close()
    finally:
        if reader is not None:
            reader.stop()
        if viewer is not None:
            await viewer.pc.close()
        if publisher is not None:
            await publisher.close()
        await media.close()
        pool.stop()


def test_timecode_survives_encoding() -> None:
    picture = np.zeros((360, 640, 3), dtype=np.uint8)
    timecode.draw(picture, 1_765_012_345_678)
    assert timecode.read(picture) == 1_765_012_345_678
    picture[:, 300:330] = 128 - picture[:, 300:330] // 2  # a smudge across one bar of each row
    assert timecode.read(picture) in (None, 1_765_012_345_678)


async def test_a_camera_taken_over_is_published_again_by_its_new_owner(tmp_path: Path, rtsp: GstRtspServer) -> None:
    """Ingest node A publishes a camera and reads its main stream only once a wall shows it; A dies
    without closing its session; node B, now holding the camera's lease, replaces the stale session
    and the same tile plays again."""
    pool = WorkerPool(tmp_path / "media", 2)
    pool.start()
    wall_media.provide(lambda: MediaClient(tmp_path / "media", 2))
    node_a, node_b = WallFeeds(), WallFeeds()
    media = MediaClient(tmp_path / "media", 2)
    viewer = None
    config = CameraConfig(id="5", name="Cổng", url=rtsp.url("main"))
    try:
        await media.connect()
        await node_a.apply([config])
        assert "5" in node_a.feeds and node_a.status()["5"]["stream"] == "idle"  # nobody watches yet
        viewer = WallViewer(tiles=1)
        await viewer.join(media, "wall-t", [camera_participant("5")])
        assert await _until(lambda: sum(viewer.frames.values()) >= 10, 30), node_a.status()
        assert node_a.status()["5"]["stream"] == "streaming"

        # A dies: it hears nothing more, its reader stops, its WebRTC session is dropped without a
        # goodbye to the workers.
        assert node_a._events is not None
        node_a._events.cancel()
        feed = node_a.feeds["5"]
        assert feed.reader is not None and feed.publisher is not None and feed.publisher.pc is not None
        await asyncio.to_thread(feed.reader.stop)
        feed.reader = None
        await feed.publisher.pc.close()
        before = sum(viewer.frames.values())

        await node_b.apply([config])
        assert "5" in node_b.feeds, "the new owner could not publish the camera"
        assert await _until(lambda: sum(viewer.frames.values()) >= before + 10, 30), node_b.status()
        assert node_b.status()["5"]["stream"] == "streaming"
    finally:
        if viewer is not None:
            await viewer.pc.close()
        node_a.feeds.clear()  # dead: nothing of it to close
        await node_a.close()
        await node_b.close()
        await media.close()
        wall_media.provide(None)
        pool.stop()
