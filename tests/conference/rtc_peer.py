"""A real WebRTC participant for tests, in Python: aiortc with a small camera picture and a tone
for a voice (so RFC 6464 levels are real), speaking protocol v1 over a real WebSocket."""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import json
import math
import time
from typing import Any

import av
import httpx
import numpy as np
import websockets
from aiortc import RTCBundlePolicy, RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack, MediaStreamTrack

from tests.conftest import DEMO_PASSWORD

AUDIO_RATE = 8000
AUDIO_SAMPLES = 160  # 20 ms


class Voice(AudioStreamTrack):
    """Silence, or a 440 Hz tone at about -13 dBov while `talking`."""

    frame_seconds = AUDIO_SAMPLES / AUDIO_RATE

    def __init__(self) -> None:
        super().__init__()
        self.talking = False
        self._n = 0
        t = np.arange(AUDIO_SAMPLES * 50) / AUDIO_RATE
        self._tone = (0.3 * 32767 * np.sin(2 * math.pi * 440 * t)).astype(np.int16)

    async def recv(self) -> av.AudioFrame:
        if not hasattr(self, "_start"):
            self._start = time.time()
        self._n += 1
        await asyncio.sleep(max(0.0, self._start + self._n * AUDIO_SAMPLES / AUDIO_RATE - time.time()))
        offset = (self._n * AUDIO_SAMPLES) % (len(self._tone) - AUDIO_SAMPLES)
        samples = self._tone[offset:offset + AUDIO_SAMPLES] if self.talking else np.zeros(AUDIO_SAMPLES, np.int16)
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = AUDIO_RATE
        frame.pts = self._n * AUDIO_SAMPLES
        frame.time_base = fractions.Fraction(1, AUDIO_RATE)
        self.sent_last = time.time()  # when frames were really handed to the sender
        self.sent_first = getattr(self, "sent_first", None) or self.sent_last
        self.sent_frames = getattr(self, "sent_frames", 0) + 1
        return frame


def media_sent(sessions: list[Any], produced: dict[int, float], ended: float) -> tuple[float, bool]:
    """What a recording of one track should hold: from its publisher's first frame (recording starts
    with a track's first packet), over a reconnect's gap on the wall clock, to the end of the media
    time its last session had produced when the meeting ended (`produced`: id of the track ->
    `sent_frames * frame_seconds` then); and whether that last session kept the meeting's clock.

    Media time, not wall time: these senders' frames are paced by their own event loop and
    encoder, and on a loaded machine they fall behind, sending less media than wall time passes
    (seconds of it in a 30 s meeting under a load of 20) - the relay can record only what came.
    What goes on after the end is not the meeting's."""
    last = sessions[-1]
    media = produced[id(last)]
    return last.sent_first - sessions[0].sent_first + media, media >= 0.98 * (ended - last.sent_first)


class Picture(MediaStreamTrack):
    """A small moving picture at 15 frames/s: cheap to encode on a shared test machine."""

    kind = "video"
    frame_seconds = 6000 / 90000

    def __init__(self, shade: int, size: tuple[int, int] = (160, 120)) -> None:
        super().__init__()
        self._shade, self._size, self._n = shade, size, 0
        self._start = time.time()

    async def recv(self) -> av.VideoFrame:
        if self._n == 0:
            # The clock starts with the first frame asked for, as a running camera's would: started
            # at construction, the frames owed for the time the connection took would come out in
            # a burst with old timestamps.
            self._start = time.time()
        self._n += 1
        await asyncio.sleep(max(0.0, self._start + self._n / 15 - time.time()))
        w, h = self._size
        img = np.full((h, w, 3), self._shade, dtype=np.uint8)
        x = (self._n * 4) % (w - w // 4)
        img[h // 3: 2 * h // 3, x: x + w // 4] = 255 - self._shade
        frame = av.VideoFrame.from_ndarray(img, format="rgb24")
        frame.pts = self._n * 6000
        frame.time_base = fractions.Fraction(1, 90000)
        self.sent_last = time.time()  # when frames were really handed to the sender
        self.sent_first = getattr(self, "sent_first", None) or self.sent_last
        self.sent_frames = getattr(self, "sent_frames", 0) + 1
        return frame


def login_token(base_url: str, username: str) -> str:
    # Generous timeouts: a login's Argon2 took over 5 s (httpx's default) at a load of 29.
    response = httpx.post(f"{base_url}/api/auth/login", json={"username": username, "password": DEMO_PASSWORD},
                          timeout=120)
    response.raise_for_status()
    token = response.json()["access_token"]
    # The session row is committed just after the answer is sent: wait until the token works.
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if httpx.get(f"{base_url}/api/auth/me", headers={"Authorization": f"Bearer {token}"},
                     timeout=120).status_code == 200:
            break
        time.sleep(0.05)
    return token


def started_meeting(base_url: str, invited: list[str]) -> int:
    """A meeting the secretary schedules for today's chair and starts over HTTP; its id."""
    headers = {"Authorization": f"Bearer {login_token(base_url, 'thuky')}"}
    meeting = httpx.post(f"{base_url}/api/meetings", headers=headers, timeout=30, json={
        "title": "Giao ban trực tuyến tháng 12/2026", "scheduled_at": "2026-12-07T08:00:00+07:00",
        "chair": "chutoa", "secretary": "thuky", "invited": invited})
    assert meeting.status_code == 201, meeting.text
    mid = int(meeting.json()["id"])
    started = httpx.post(f"{base_url}/api/meetings/{mid}/start", headers=headers, timeout=30)
    assert started.status_code == 200, started.text
    return mid


class Participant:
    """One person in a meeting: the signaling socket and (after `connect_media`) the WebRTC session."""

    def __init__(self, base_url: str, meeting_id: int, username: str, shade: int = 80, *, version: int = 1,
                 uplink_loss: float = 0.0) -> None:
        """`version`: of the signaling protocol it speaks (1: a client written before v2). `uplink_loss`:
        the share of its outgoing RTP packets its line loses (a real loss the server measures)."""
        self.base_url, self.meeting_id, self.username, self.shade = base_url, meeting_id, username, shade
        self.version, self.uplink_loss = version, uplink_loss
        self.messages: list[dict[str, Any]] = []
        self._arrived = asyncio.Condition()
        self.ws: Any = None
        self.pc: RTCPeerConnection | None = None
        self.voice = Voice()
        self.pictures: dict[str, Picture] = {}  # the published pictures of the current session, by layer
        self.frames: dict[str, int] = {}
        self.closed_code: int | None = None
        self._reader: asyncio.Task[None] | None = None
        self._seq = 0

    async def open(self) -> None:
        token = await asyncio.to_thread(login_token, self.base_url, self.username)
        url = self.base_url.replace("http://", "ws://") + f"/ws/meetings/{self.meeting_id}"
        self.ws = await websockets.connect(url, additional_headers={"Authorization": f"Bearer {token}"})
        self._reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        try:
            async for text in self.ws:
                async with self._arrived:
                    self.messages.append(json.loads(text))
                    self._arrived.notify_all()
        except websockets.ConnectionClosed:
            pass
        self.closed_code = self.ws.close_code
        async with self._arrived:
            self._arrived.notify_all()

    async def send(self, **message: Any) -> str:
        self._seq += 1
        ref = f"{self.username}-{self._seq}"
        await self.ws.send(json.dumps({"v": self.version, "ref": ref, **message}))
        return ref

    async def wait_for(self, predicate, timeout: float = 20.0) -> dict[str, Any]:  # type: ignore[no-untyped-def]
        async def find() -> dict[str, Any]:
            async with self._arrived:
                while True:
                    for message in self.messages:
                        if predicate(message):
                            return message
                    if self.closed_code is not None and self._reader is not None and self._reader.done():
                        raise AssertionError(f"{self.username}: socket closed ({self.closed_code}) while waiting")
                    await self._arrived.wait()

        return await asyncio.wait_for(find(), timeout)

    async def reply_to(self, ref: str, timeout: float = 20.0) -> dict[str, Any]:
        return await self.wait_for(lambda m: m.get("ref") == ref, timeout)

    async def join(self, role: str) -> dict[str, Any]:
        reply = await self.reply_to(await self.send(type="join", role=role, meeting=self.meeting_id))
        assert reply["type"] == "welcome", reply
        return reply

    async def connect_media(self, welcome: dict[str, Any], trickle: bool = False) -> None:
        """Offer and apply the answer; with `trickle` the candidates follow the offer as `ice` messages."""
        if self.pc is not None:  # renegotiation: a new session replaces the old one
            await self.pc.close()
            self.voice = Voice()
        pc = self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE))
        for layer in welcome["publish"]:
            if layer == "audio":
                pc.addTransceiver(self.voice, direction="sendonly")
            else:
                size = (160, 120) if layer == "high" else (96, 72)
                picture = Picture(self.shade, size)
                self.pictures[layer] = picture
                pc.addTransceiver(picture, direction="sendonly")
        for _ in range(welcome["slots"]["video"]):
            pc.addTransceiver("video", direction="recvonly")
        for _ in range(welcome["slots"]["audio"]):
            pc.addTransceiver("audio", direction="recvonly")
        pc.on("track", self._on_track)
        await pc.setLocalDescription(await pc.createOffer())
        if trickle:
            ref = await self.send(type="offer", sdp=_without_candidates(pc.localDescription.sdp), trickle=True)
            for mid, candidate in _candidates(pc.localDescription.sdp):
                await self.send(type="ice", candidate=candidate, sdp_mid=mid)
            await self.send(type="ice", candidate=None)
        else:
            ref = await self.send(type="offer", sdp=pc.localDescription.sdp)
        reply = await self.reply_to(ref, timeout=30)
        assert reply["type"] == "answer", reply
        await pc.setRemoteDescription(RTCSessionDescription(sdp=reply["sdp"], type="answer"))
        if self.uplink_loss:
            self._lose_uplink(pc)

    def _lose_uplink(self, pc: RTCPeerConnection) -> None:
        """Drop that share of the RTP packets this peer sends, retransmissions too, the way a bad line does."""
        transport = pc.getTransceivers()[0].sender.transport  # bundled: one DTLS transport for all
        send, lose, counter = transport._send_rtp, self.uplink_loss, [0]

        async def lossy(data: bytes) -> None:
            counter[0] += 1
            if (counter[0] * lose) % 1 >= lose:  # evenly spread, no randomness
                await send(data)

        transport._send_rtp = lossy

    def _on_track(self, track: MediaStreamTrack) -> None:
        if track.kind != "video" or self.pc is None:
            return
        mid = next(t.mid for t in self.pc.getTransceivers() if t.receiver.track is track)

        async def count() -> None:
            while True:
                try:
                    await track.recv()
                except Exception:
                    return
                self.frames[mid] = self.frames.get(mid, 0) + 1

        asyncio.ensure_future(count())

    def layout(self) -> list[dict[str, Any]]:
        layouts = [m for m in self.messages if m["type"] == "layout"]
        return layouts[-1]["slots"] if layouts else []

    def frames_from(self, source: str) -> int:
        """Frames decoded on the slot that now carries `source`'s video."""
        return sum(self.frames.get(slot["mid"], 0) for slot in self.layout()
                   if slot["kind"] == "video" and slot["source"] == source)

    async def close(self) -> None:
        if self.pc is not None:
            await self.pc.close()
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await self.ws.close()
        if self._reader is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._reader, 5)


def _without_candidates(sdp: str) -> str:
    return "".join(line + "\r\n" for line in sdp.splitlines()
                   if line and not line.startswith(("a=candidate:", "a=end-of-candidates")))


def _candidates(sdp: str) -> list[tuple[str, str]]:
    found, mid = [], ""
    for line in sdp.splitlines():
        if line.startswith("a=mid:"):
            mid = line[6:]
        elif line.startswith("a=candidate:"):
            found.append((mid, line[2:]))
    return found


async def until(predicate, timeout: float = 20.0, what: str = "condition") -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)
