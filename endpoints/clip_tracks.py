"""Tracks that send pre-encoded clip packets in real time, looping, with no encoder running.

aiortc's sender packetises an `av.Packet` as it is (sfu.md). Two things it then cannot do by
itself are added here: answering a keyframe request (PLI/FIR only sets a flag for an encoder that
does not exist, so the track jumps to the clip's next keyframe) and the RFC 6464 audio level of
pre-encoded Opus (computed when the clip was made), which the SFU's speaker detection needs."""

from __future__ import annotations

import asyncio
import time
from fractions import Fraction

import av
from aiortc import RTCRtpSender
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from endpoints.clips import Clip

KEYFRAME_JUMP_INTERVAL = 0.5


class ClipTrack(MediaStreamTrack):
    """One layer of a clip. Timestamps count packets sent, so a jump or a loop never goes back in time."""

    def __init__(self, clip: Clip, start_offset: float = 0.0, epoch: float | None = None) -> None:
        super().__init__()
        self.kind = clip.kind
        self.clip = clip
        self._step = clip.duration // len(clip.packets)
        self._index = int(start_offset / float(clip.time_base * self._step)) % len(clip.packets)
        if clip.kind == "video":
            # Start on a keyframe, or the first second would be undecodable.
            self._index = next((k for k in clip.keyframes if k >= self._index), 0)
        self._sent = 0
        self._epoch = epoch
        self._want_keyframe = False
        self._last_jump = 0.0
        self.last_level: int | None = None
        self.bytes_sent = 0
        self.keyframe_requests = 0

    @property
    def time_base(self) -> Fraction:
        return self.clip.time_base

    def request_keyframe(self) -> None:
        self.keyframe_requests += 1
        self._want_keyframe = True

    def _jump_to_keyframe(self) -> None:
        now = time.monotonic()
        if now - self._last_jump < KEYFRAME_JUMP_INTERVAL:
            return  # keep the request for later rather than skipping the clip ahead on every PLI
        self._want_keyframe = False
        self._last_jump = now
        if self.clip.packets[self._index].flag:
            return
        keys = self.clip.keyframes
        self._index = next((k for k in keys if k > self._index), keys[0])

    async def recv(self) -> av.Packet:
        if self.readyState != "live":
            raise MediaStreamError
        if self._epoch is None:
            self._epoch = time.monotonic()
        if self._want_keyframe and self.kind == "video":
            self._jump_to_keyframe()
        due = self._epoch + float(self._sent * self._step * self.clip.time_base)
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        elif delay < -1.0:
            # The loop was starved (a paused process, a long stall): resume from now instead of bursting.
            self._epoch -= delay
        item = self.clip.packets[self._index]
        packet = av.Packet(item.data)
        packet.pts = self._sent * self._step
        packet.time_base = self.clip.time_base
        if self.kind == "audio":
            self.last_level = item.flag
        self._index = (self._index + 1) % len(self.clip.packets)
        self._sent += 1
        self.bytes_sent += len(item.data)
        return packet


def attach_clip_sender(sender: RTCRtpSender, track: ClipTrack) -> None:
    """Hook the two pass-through gaps of `sender` described in the module docstring."""
    if track.kind == "video":
        original_keyframe = sender._send_keyframe

        def send_keyframe() -> None:
            original_keyframe()
            track.request_keyframe()

        sender._send_keyframe = send_keyframe  # type: ignore[method-assign]
        return
    original_next = sender._next_encoded_frame

    async def next_with_level(codec):  # type: ignore[no-untyped-def]
        frame = await original_next(codec)
        if frame is not None and frame.audio_level is None and track.last_level is not None:
            frame.audio_level = -track.last_level  # aiortc stores the level as negative dBov
        return frame

    sender._next_encoded_frame = next_with_level  # type: ignore[method-assign]
