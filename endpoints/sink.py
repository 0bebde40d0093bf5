"""Playing what the endpoint receives. `decode` (the default without a display) decodes every frame
and drops it, as a screen would consume it; `window` also shows the video through ffplay where a
display exists; `count` (the fleet's mode) does not decode at all: 26 simulated endpoints decoding
two 360p streams each would cost more CPU than the SFU they are testing, so frames are counted as
aiortc's jitter buffer completes them and one keyframe in fifty is decoded to prove the stream is sound."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import subprocess
import threading

import aiortc.rtcrtpreceiver as aiortc_receiver
import av
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

log = logging.getLogger(__name__)

MODES = ("decode", "window", "count")
_lock = threading.Lock()
_counted = {"frames": 0, "keyframes_checked": 0, "keyframes_bad": 0}
_installed = False


class _CountingDecoder:
    """Stands in for aiortc's decoder: counts complete frames, decodes a sample of keyframes."""

    def __init__(self, codec_name: str) -> None:
        self._codec_name = codec_name
        self._keyframes = 0

    def decode(self, encoded_frame) -> list:  # type: ignore[no-untyped-def]
        data = encoded_frame.data
        with _lock:
            _counted["frames"] += 1
        if self._codec_name == "vp8" and data and not data[0] & 1:
            self._keyframes += 1
            if self._keyframes % 50 == 1:
                self._check(data)
        return []

    def _check(self, data: bytes) -> None:
        try:
            decoder = av.CodecContext.create("libvpx", "r")
            ok = bool(decoder.decode(av.Packet(data)))
        except av.FFmpegError:
            ok = False
        with _lock:
            _counted["keyframes_checked"] += 1
            _counted["keyframes_bad"] += 0 if ok else 1


def install_counting_decoder() -> None:
    """Process-wide: every receiver created afterwards counts instead of decoding (fleet processes only)."""
    global _installed
    if _installed:
        return
    _installed = True
    original = aiortc_receiver.get_decoder

    def get_decoder(codec):  # type: ignore[no-untyped-def]
        name = codec.mimeType.split("/")[-1].lower()
        return _CountingDecoder(name) if codec.mimeType.lower().startswith("video/") else original(codec)

    aiortc_receiver.get_decoder = get_decoder


def counted() -> dict[str, int]:
    with _lock:
        return dict(_counted)


def display_available() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")) and shutil.which("ffplay") is not None


class Sink:
    """Consumes the received tracks of one media connection."""

    def __init__(self, mode: str = "decode", title: str = "giaoban") -> None:
        if mode not in MODES:
            raise ValueError(f"sink mode must be one of {', '.join(MODES)}")
        if mode == "window" and not display_available():
            log.info("no display (or no ffplay): playing headless")
            mode = "decode"
        self.mode = mode
        self.title = title
        self.frames = {"audio": 0, "video": 0}
        self._tasks: list[asyncio.Task] = []
        self._window: subprocess.Popen[bytes] | None = None

    def add(self, track: MediaStreamTrack, slot: int) -> None:
        if self.mode == "count" and track.kind == "video":
            return  # nothing to consume: the counting decoder never yields frames
        show = self.mode == "window" and track.kind == "video" and slot == 0
        self._tasks.append(asyncio.ensure_future(self._consume(track, show)))

    async def _consume(self, track: MediaStreamTrack, show: bool) -> None:
        with contextlib.suppress(MediaStreamError, asyncio.CancelledError):
            while True:
                frame = await track.recv()
                self.frames[track.kind] += 1
                if show:
                    self._show(frame)

    def _show(self, frame: av.VideoFrame) -> None:
        image = frame.to_ndarray(format="bgr24")
        if self._window is None or self._window.poll() is not None:
            height, width = image.shape[:2]
            self._window = subprocess.Popen(
                ["ffplay", "-loglevel", "error", "-window_title", self.title, "-f", "rawvideo",
                 "-pixel_format", "bgr24", "-video_size", f"{width}x{height}", "-i", "-"],
                stdin=subprocess.PIPE)
        try:
            self._window.stdin.write(image.tobytes())  # type: ignore[union-attr]
        except (BrokenPipeError, ValueError):
            self._window = None

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        if self._window is not None and self._window.poll() is None:
            self._window.terminate()
