"""aiortc peers that publish a tone and a small picture straight to the media workers (no web
process), for the recording tests."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

from aiortc import RTCBundlePolicy, RTCConfiguration, RTCPeerConnection, RTCSessionDescription

from conference.media.client import MediaClient
from tests.conference.rtc_peer import Picture, Voice


class Sent:
    """When a track's first and last frames were handed to the sender: the span its publisher really
    sent (on a loaded machine the test's own senders can fall behind the meeting's clock)."""

    first: float | None = None
    last: float | None = None

    def mark(self) -> None:
        now = time.time()
        if self.first is None:
            self.first = now
        self.last = now


class SentVoice(Voice, Sent):
    async def recv(self):  # type: ignore[no-untyped-def]
        frame = await super().recv()
        self.mark()
        return frame


class SentPicture(Picture, Sent):
    async def recv(self):  # type: ignore[no-untyped-def]
        frame = await super().recv()
        self.mark()
        return frame


class Peer:
    def __init__(self, shade: int, video_slots: int = 2, low: bool = False) -> None:
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE))
        self.voice = SentVoice()
        self.pc.addTransceiver(self.voice, direction="sendonly")
        self.picture = SentPicture(shade)
        self.pc.addTransceiver(self.picture, direction="sendonly")
        if low:
            self.pc.addTransceiver(Picture(shade), direction="sendonly")
        for _ in range(video_slots):
            self.pc.addTransceiver("video", direction="recvonly")
        self.pc.addTransceiver("audio", direction="recvonly")
        self.connected_at: float | None = None
        self.frames = 0  # video frames this peer decoded from the relay

        @self.pc.on("track")
        def _track(track) -> None:  # type: ignore[no-untyped-def]
            if track.kind != "video":
                return

            async def count() -> None:
                while True:
                    try:
                        await track.recv()
                    except Exception:
                        return
                    self.frames += 1

            asyncio.ensure_future(count())

        @self.pc.on("connectionstatechange")
        def _state() -> None:
            if self.pc.connectionState == "connected" and self.connected_at is None:
                self.connected_at = time.time()

    async def join(self, media: MediaClient, room: str, pid: str, role: str, codec: str = "vp8") -> None:
        await self.pc.setLocalDescription(await self.pc.createOffer())
        answer = await media.add_participant(room, pid, role, self.pc.localDescription.sdp, video_codec=codec)
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))

    async def close(self) -> None:
        await self.pc.close()


async def wait_until(predicate, timeout: float = 20.0, what: str = "condition") -> None:  # type: ignore[no-untyped-def]
    deadline = time.time() + timeout
    while not predicate():
        assert time.time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.1)


def index_entries(directory: Path) -> list[dict]:
    path = directory / "index.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def closed_files(directory: Path) -> dict[str, dict]:
    return {e["file"]: e for e in index_entries(directory) if e["event"] == "closed"}
