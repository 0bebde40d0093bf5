"""Live capture that survives its device: a camera that disappears mid-meeting is replaced by a
generated "no camera" slate (a microphone by silence) within a second, the loss is reported, and
the device is reopened in the background until it comes back. Frames are re-stamped on one clock,
so switching between device and slate never moves timestamps backwards."""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import logging
import time
from collections.abc import Callable

import av
import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from endpoints.scene import SAMPLE_RATE, render_scene

log = logging.getLogger(__name__)

VIDEO_CLOCK = fractions.Fraction(1, 90000)
AUDIO_CLOCK = fractions.Fraction(1, SAMPLE_RATE)
FRAME_TIMEOUT = 1.5  # a camera silent this long is gone
REOPEN_EVERY = 3.0
SLATE_FPS = 15
AUDIO_FRAME = 960

Opener = Callable[[], MediaStreamTrack]


class GuardedTrack(MediaStreamTrack):
    """Frames from `opener()`'s track while it works, generated stand-ins while it does not."""

    def __init__(self, kind: str, opener: Opener, label: str, on_state: Callable[[str, str], None] | None = None,
                 size: tuple[int, int] = (640, 360)) -> None:
        super().__init__()
        self.kind = kind
        self._opener = opener
        self._label = label
        self._size = size
        self._on_state = on_state
        self._source: MediaStreamTrack | None = None
        self._next_open = 0.0
        self._start = time.monotonic()
        self._samples = 0
        self._stand_in_at = 0.0
        self.state = "starting"
        self.failures = 0

    def _set_state(self, state: str, why: str = "") -> None:
        if state != self.state:
            device = "camera" if self.kind == "video" else "microphone"
            if state == "lost":
                log.warning("%s %s lost (%s): sending %s", device, self._label, why,
                            "the no-camera slate" if self.kind == "video" else "silence")
            else:
                log.info("%s %s: %s", device, self._label, state)
            self.state = state
            if self._on_state is not None:
                self._on_state(self.kind, state)

    def _try_open(self) -> None:
        if time.monotonic() < self._next_open:
            return
        self._next_open = time.monotonic() + REOPEN_EVERY
        try:
            self._source = self._opener()
        except Exception as exc:  # av.FFmpegError, OSError ...: the device is not there (yet)
            self._source = None
            self.failures += 1
            self._set_state("lost", f"cannot open: {exc}")

    async def recv(self) -> av.VideoFrame | av.AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self._source is None:
            self._try_open()
        if self._source is not None:
            try:
                frame = await asyncio.wait_for(self._source.recv(), FRAME_TIMEOUT)
            except (MediaStreamError, TimeoutError, av.FFmpegError, OSError) as exc:
                self._drop_source(exc)
            else:
                self._set_state("ok")
                return self._stamp(frame)
        return await self._stand_in()

    def _drop_source(self, exc: BaseException) -> None:
        self.failures += 1
        source, self._source = self._source, None
        self._next_open = time.monotonic() + REOPEN_EVERY
        if source is not None:
            with contextlib.suppress(Exception):
                source.stop()
        self._set_state("lost", type(exc).__name__ if not str(exc) else str(exc))

    def _stamp(self, frame: av.VideoFrame | av.AudioFrame) -> av.VideoFrame | av.AudioFrame:
        if self.kind == "video":
            frame.pts = int((time.monotonic() - self._start) / VIDEO_CLOCK)
            frame.time_base = VIDEO_CLOCK
        else:
            frame.pts = self._samples
            frame.time_base = fractions.Fraction(1, frame.sample_rate)
            self._samples += frame.samples
        return frame

    async def _stand_in(self) -> av.VideoFrame | av.AudioFrame:
        period = 1 / SLATE_FPS if self.kind == "video" else AUDIO_FRAME / SAMPLE_RATE
        now = time.monotonic()
        self._stand_in_at = max(self._stand_in_at + period, now)
        await asyncio.sleep(self._stand_in_at - now)
        if self.kind == "video":
            width, height = self._size
            image = render_scene(self._label, time.monotonic() - self._start, width, height, slate=True)
            frame = av.VideoFrame.from_ndarray(image, format="bgr24")
        else:
            frame = av.AudioFrame.from_ndarray(np.zeros((1, AUDIO_FRAME), np.int16), format="s16", layout="mono")
            frame.sample_rate = SAMPLE_RATE
        return self._stamp(frame)

    def stop(self) -> None:
        super().stop()
        if self._source is not None:
            with contextlib.suppress(Exception):
                self._source.stop()
            self._source = None


class ScaledTrack(MediaStreamTrack):
    """The low layer: the same frames, scaled down (aiortc then encodes them at the low bitrate)."""

    kind = "video"

    def __init__(self, source: MediaStreamTrack, width: int, height: int) -> None:
        super().__init__()
        self._source = source
        self._width, self._height = width, height

    async def recv(self) -> av.VideoFrame:
        frame = await self._source.recv()
        scaled = frame.reformat(width=self._width, height=self._height, format="yuv420p")
        scaled.pts, scaled.time_base = frame.pts, frame.time_base
        return scaled

    def stop(self) -> None:
        super().stop()
        self._source.stop()
