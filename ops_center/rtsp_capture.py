"""Reading an RTSP camera with PyAV: packets demuxed as they come, pictures decoded only as needed.

The analysis substream is the only stream ever decoded here (a wall tile forwards the main
stream's packets without decoding them). On it:
- pictures are copied out of the decoder (:meth:`Frame.from_video`, YUV as received, no colour
  conversion) only for the frames the analysis rate picks;
- when the camera's keyframe interval is no longer than the analysis period, only keyframes are
  decoded (``skip_frame=NONKEY``): one picture per analysis tick, nothing in between. Otherwise
  every reference frame must be decoded (an H.264 P-frame needs its predecessors) and the
  frames nothing refers to are skipped by the decoder (``NONREF``);
- a picture of another size than the first ends the reading: the caller re-opens the stream
  rather than letting anything rescale it.

Faults come out as :class:`StreamFault` with a ``kind`` the health page shows: ``unreachable``,
``not_rtsp`` (the address answers, but not as an RTSP camera), ``auth`` (credentials refused),
``no_video``, ``codec_mismatch`` (packets flow but do not decode as the announced codec),
``stalled`` (the connection stays open and nothing comes), ``ended``, ``resolution_changed``.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import av

from ops_center.capture import redact

TRANSPORTS = ("tcp", "udp")
UNDECODABLE_AFTER = 30  # packets in a row that yield no picture before the stream is called undecodable


class StreamFault(ConnectionError):
    def __init__(self, kind: str, message: str) -> None:
        super().__init__(redact(message))
        self.kind = kind


@dataclass
class Picture:
    """One decoded picture and when it arrived; ``video`` is only valid until the next one is read."""

    at: float  # arrival, time.time()
    video: av.VideoFrame

    @property
    def clock(self) -> float | None:
        """The camera's own time for this picture (seconds): what analysis is paced by, since the
        pictures buffered while the stream was probed arrive all at once."""
        return self.video.time


def _classify(exc: Exception, waited_s: float = 0.0, timeout_s: float = 1e9) -> StreamFault:
    text = str(exc)
    low = text.lower()
    if "immediate exit requested" in low or (waited_s >= timeout_s * 0.8 and "invalid data" in low):
        # PyAV's read timeout, or a camera that let us in and then sent nothing to probe.
        return StreamFault("stalled", f"camera không gửi gì / the camera stopped sending: {text}")
    if "401" in low or "unauthorized" in low or "403" in low:
        return StreamFault("auth", f"camera từ chối tài khoản / the camera refused the credentials: {text}")
    if "connection refused" in low or "no route" in low or "network is unreachable" in low:
        return StreamFault("unreachable", f"không kết nối được / cannot connect: {text}")
    if "timed out" in low or "timeout" in low or isinstance(exc, TimeoutError):
        return StreamFault("stalled", f"camera không trả lời / the camera did not answer in time: {text}")
    return StreamFault("not_rtsp", f"không phải luồng RTSP đọc được / not a readable RTSP stream: {text}")


class RtspReader:
    def __init__(self, url: str, *, transport: str = "tcp", open_timeout_s: float = 5.0,
                 read_timeout_s: float = 4.0) -> None:
        if transport not in TRANSPORTS:
            raise ValueError(f"transport must be one of {TRANSPORTS}")
        self.url = url
        self.transport = transport
        options = {"rtsp_transport": transport, "timeout": str(int(read_timeout_s * 1_000_000)),
                   "probesize": "131072", "analyzeduration": "1000000", "max_delay": "200000",
                   "allowed_media_types": "video"}
        started = time.monotonic()
        try:
            self.container = av.open(url, options=options, timeout=(open_timeout_s, read_timeout_s))
        except (av.error.FFmpegError, OSError) as exc:
            raise _classify(exc, time.monotonic() - started, read_timeout_s) from exc
        if not self.container.streams.video:
            self.container.close()
            raise StreamFault("no_video", "luồng không có hình / the stream has no video")
        self.stream = self.container.streams.video[0]
        self.stream.thread_type = "SLICE"  # frame threads would hold pictures back by one frame each
        self.stream.codec_context.skip_frame = "NONREF"
        self.codec = self.stream.codec_context.name  # what the SDP announced: h264, hevc, mjpeg...
        self.size: tuple[int, int] | None = None
        self.keyframe_interval_s: float | None = None
        self.packets = 0
        self._last_key: float | None = None

    def keyframes_only(self, on: bool) -> None:
        self.stream.codec_context.skip_frame = "NONKEY" if on else "NONREF"

    def pictures(self, stopped: Callable[[], bool]) -> Iterator[Picture]:
        """Decoded pictures until the stream ends or faults (raised as :class:`StreamFault`)."""
        barren = 0
        demux = self.container.demux(self.stream)
        while not stopped():
            try:
                packet = next(demux)
            except StopIteration:
                raise StreamFault("ended", "luồng kết thúc / the stream ended") from None
            except (av.error.FFmpegError, OSError) as exc:
                raise _classify(exc) from exc
            if packet.size == 0:
                continue
            now = time.time()
            self.packets += 1
            if packet.is_keyframe and packet.pts is not None and packet.time_base is not None:
                key_at = float(packet.pts * packet.time_base)
                if self._last_key is not None and key_at > self._last_key:
                    self.keyframe_interval_s = key_at - self._last_key
                self._last_key = key_at
            try:
                decoded = packet.decode()
            except av.error.FFmpegError:
                decoded = []
            if not decoded:
                barren += 1
                skipping = self.stream.codec_context.skip_frame == "NONKEY" and not packet.is_keyframe
                if barren >= UNDECODABLE_AFTER and not skipping:
                    raise StreamFault("codec_mismatch", f"luồng báo {self.codec.upper()} nhưng dữ liệu không giải mã "
                                      f"được / the stream announces {self.codec.upper()} but its data does not "
                                      "decode as that codec")
                continue
            barren = 0
            for video in decoded:
                size = (video.width, video.height)
                if self.size is None:
                    self.size = size
                elif size != self.size:
                    raise StreamFault("resolution_changed",
                                      f"độ phân giải đổi / resolution changed {self.size[0]}x{self.size[1]} -> "
                                      f"{size[0]}x{size[1]}")
                yield Picture(now, video)

    def close(self) -> None:
        with contextlib.suppress(av.error.FFmpegError, OSError):
            self.container.close()
