"""A camera's RTSP main stream read for the wall: packets demuxed with PyAV and never decoded.

The reader runs in its own thread (PyAV releases the GIL while it waits on the network) and
hands each access unit, made ready by :class:`~ops_center.h264_units.AccessUnits` (SPS/PPS
before every IDR, nothing before the first IDR), to ``on_unit`` with its presentation time on
the 90 kHz RTP clock. Timestamps stay continuous across reconnections (a new RTSP session starts
its clock afresh), so a browser's jitter buffer sees one stream. It reconnects with back-off;
a main stream that is not H.264 stops it for good (state ``not_h264``). The codec found at each
opening is told to ``on_codec`` (the ingest records it on the camera's health and raises an alert; the
wall then shows the camera's latest substream pictures instead).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable

import av

from ops_center.capture import redact
from ops_center.h264_units import AccessUnits, Profile

log = logging.getLogger(__name__)
CLOCK = 90000
OnUnit = Callable[[bytes, int, bool], None]  # (Annex B access unit, RTP-clock time, starts with an IDR)
OnCodec = Callable[[str], None]  # FFmpeg's name of the codec the main stream carries: h264, hevc, mjpeg...


class MainStreamReader:
    def __init__(self, camera_id: str, url: str, on_unit: OnUnit, *, transport: str = "tcp",
                 open_timeout_s: float = 5.0, read_timeout_s: float = 4.0, backoff_max_s: float = 5.0,
                 on_codec: OnCodec | None = None) -> None:
        self.camera_id = camera_id
        self.url = url
        self.on_unit = on_unit
        self.on_codec = on_codec
        self.codec: str | None = None
        self.transport = transport
        self.open_timeout_s = open_timeout_s
        self.read_timeout_s = read_timeout_s
        self.backoff_max_s = backoff_max_s
        self.state = "idle"  # idle, opening, streaming, retrying, not_h264, stopped
        self.error: str | None = None
        self.profile: Profile | None = None
        self.units_sent = 0
        self.parameter_sets_inserted = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._container: av.container.InputContainer | None = None
        self._clock_end = 0  # where the last session's timestamps ended (RTP clock)

    def start(self) -> MainStreamReader:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"wall-{self.camera_id}", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 6.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self.state = "stopped" if self.state != "not_h264" else self.state

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _open(self) -> av.container.InputContainer:
        options = {"rtsp_transport": self.transport, "timeout": str(int(self.read_timeout_s * 1_000_000)),
                   "probesize": "65536", "analyzeduration": "500000", "max_delay": "100000",
                   "allowed_media_types": "video", "fflags": "nobuffer"}
        return av.open(self.url, options=options, timeout=(self.open_timeout_s, self.read_timeout_s))

    def _run(self) -> None:
        backoff = 1.0
        while not self._stop.is_set():
            self.state = "opening"
            try:
                container = self._open()
            except (av.error.FFmpegError, OSError) as exc:
                self._retry(f"{type(exc).__name__}: {exc}", backoff)
                backoff = min(backoff * 2, self.backoff_max_s)
                continue
            try:
                sent = self._stream(container)
            finally:
                with contextlib.suppress(av.error.FFmpegError, OSError):
                    container.close()
            if self.state == "not_h264":
                return
            if sent:
                backoff = 1.0
            if not self._stop.is_set():
                self._retry(self.error or "stream ended", backoff)
                backoff = min(backoff * 2, self.backoff_max_s)

    def _retry(self, error: str, backoff: float) -> None:
        self.error = redact(error)
        self.state = "retrying"
        log.warning("camera %s wall stream: %s (retry in %.0f s)", self.camera_id, self.error, backoff)
        self._stop.wait(backoff)

    def _stream(self, container: av.container.InputContainer) -> int:
        if not container.streams.video:
            self.error = "no video"
            return 0
        stream = container.streams.video[0]
        self.codec = stream.codec_context.name
        if self.on_codec is not None:
            try:
                self.on_codec(self.codec)
            except Exception:  # whoever records it must not stop the stream
                log.exception("camera %s: reporting the main stream's codec failed", self.camera_id)
        if self.codec != "h264":
            self.state = "not_h264"
            self.error = f"main stream is {self.codec}, not H.264"
            log.warning("camera %s: %s; the wall shows its substream pictures", self.camera_id, self.error)
            return 0
        units = AccessUnits(stream.codec_context.extradata)
        self.profile = units.profile
        self.state = "streaming"
        origin: int | None = None
        last = self._clock_end
        sent = 0
        try:
            for packet in container.demux(stream):
                if self._stop.is_set():
                    break
                if packet.size == 0:
                    continue
                ticks = self._ticks(packet)
                if origin is None:
                    # This session's first time lands one frame after where the last one ended.
                    origin = ticks - (self._clock_end + CLOCK // 30 if self._clock_end else 0)
                data = units.prepare(bytes(packet))
                self.profile = units.profile or self.profile
                self.parameter_sets_inserted = units.inserted
                if data is None:
                    continue
                last = max(last, ticks - origin)
                self.on_unit(data, ticks - origin, bool(packet.is_keyframe))
                sent += 1
                self.units_sent += 1
        except (av.error.FFmpegError, OSError) as exc:
            self.error = f"{type(exc).__name__}: {exc}"
        self._clock_end = last
        return sent

    @staticmethod
    def _ticks(packet: av.Packet) -> int:
        when = packet.pts if packet.pts is not None else packet.dts
        if when is None or packet.time_base is None:
            return int(time.monotonic() * CLOCK)
        return int(when * packet.time_base * CLOCK)
