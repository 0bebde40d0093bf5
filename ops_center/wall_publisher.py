"""A camera as a publisher in the wall room: its main stream's H.264 access units, as received,
sent over WebRTC to the media workers (the SFU), which forward them to the browsers showing it.

aiortc does ICE, DTLS-SRTP and the RTP packetization (RFC 6184 mode 1: NAL units that fit go
out alone or aggregated in STAP-A packets - the SPS and PPS before an IDR travel together - and
larger ones are cut into FU-A fragments); a track that returns `av.Packet`s instead of pictures
makes its sender packetize them without encoding anything. The offer carries one sendonly video
m-line with H.264 constrained baseline 42e01f, packetization-mode 1, which the media worker pins
for camera and wall legs.

Keyframe requests (PLI/FIR) from the SFU reach this sender and go no further: an RTSP camera
cannot be asked for an IDR. A browser that starts showing a camera waits for the camera's next
IDR (the SFU holds a new subscriber's video until a keyframe), so the wait is at most one GOP:
configure cameras with a keyframe every 1-2 s. Why not start new viewers from a cached IDR: the
P-frames sent since refer to pictures that viewer never got, so it would show a smeared picture
until the next IDR anyway, and resending an old IDR into the shared track would break the picture
of everyone already watching.

The queue between the RTSP reader and the sender is short: when the sender falls behind (the
loop was busy), the backlog is dropped and sending resumes at the next IDR rather than
delivering late pictures (live view: latency over completeness).
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import logging

import av
from aiortc import RTCBundlePolicy, RTCConfiguration, RTCPeerConnection, RTCRtpSender, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from ops_center.wall_media import WALL_ROOM, WallMedia, camera_participant

log = logging.getLogger(__name__)

WALL_PROFILE = "42e01f"
QUEUE_UNITS = 15  # about half a second at 30 fps
TIME_BASE = fractions.Fraction(1, 90000)


class PacketTrack(MediaStreamTrack):
    """A video track whose "frames" are encoded access units: aiortc packetizes them as they are."""

    kind = "video"

    def __init__(self) -> None:
        super().__init__()
        self._queue: asyncio.Queue[av.Packet | None] = asyncio.Queue()
        self._waiting_for_idr = False
        self.dropped = 0

    def put(self, data: bytes, pts: int, keyframe: bool) -> None:
        """On the loop's thread."""
        if self._queue.qsize() >= QUEUE_UNITS:
            while not self._queue.empty():
                self._queue.get_nowait()
                self.dropped += 1
            self._waiting_for_idr = True
        if self._waiting_for_idr and not keyframe:
            self.dropped += 1
            return
        self._waiting_for_idr = False
        packet = av.Packet(data)
        packet.pts = packet.dts = pts
        packet.time_base = TIME_BASE
        self._queue.put_nowait(packet)

    async def recv(self) -> av.Packet:  # type: ignore[override]
        packet = await self._queue.get()
        if packet is None:
            raise MediaStreamError
        return packet

    def stop(self) -> None:
        self._queue.put_nowait(None)
        super().stop()


class CameraPublisher:
    def __init__(self, camera_id: str, media: WallMedia, room: str = WALL_ROOM) -> None:
        self.camera_id = camera_id
        self.participant = camera_participant(camera_id)
        self.media = media
        self.room = room
        self.track = PacketTrack()
        self.pc: RTCPeerConnection | None = None
        self.units = 0
        self._loop: asyncio.AbstractEventLoop | None = None

    async def connect(self) -> None:
        """Publish in the wall room (raises the media client's errors, e.g. MediaError)."""
        self._loop = asyncio.get_running_loop()
        pc = self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE))
        transceiver = pc.addTransceiver(self.track, direction="sendonly")
        codecs = RTCRtpSender.getCapabilities("video").codecs
        h264 = [c for c in codecs if c.mimeType.lower() == "video/h264"
                and c.parameters.get("profile-level-id") == WALL_PROFILE]
        transceiver.setCodecPreferences(h264)
        await pc.setLocalDescription(await pc.createOffer())
        offer = pc.localDescription.sdp
        try:
            answer = await self.media.add_participant(self.room, self.participant, "camera", offer, video_codec="h264")
        except Exception as exc:
            if str(getattr(exc, "code", "")) != "already_connected":
                raise
            # A session left by the camera's previous owner, an ingest process that died without
            # closing it. This process holds the camera's lease now, so that session is stale.
            log.info("camera %s: replacing the wall session its previous owner left", self.camera_id)
            await self.media.remove_participant(self.room, self.participant)
            answer = await self.media.add_participant(self.room, self.participant, "camera", offer, video_codec="h264")
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))

    @property
    def connection_state(self) -> str:
        return self.pc.connectionState if self.pc is not None else "new"

    def push(self, data: bytes, pts: int, keyframe: bool) -> None:
        """From any thread (the RTSP reader's): one access unit, Annex B, time on the 90 kHz clock."""
        if self._loop is None or self._loop.is_closed():
            return
        self.units += 1
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
            self._loop.call_soon_threadsafe(self.track.put, data, pts, keyframe)

    async def close(self) -> None:
        self.track.stop()
        if self.pc is not None:
            await self.pc.close()
        with contextlib.suppress(Exception):  # the worker may be gone, or the session already closed
            await self.media.remove_participant(self.room, self.participant)
