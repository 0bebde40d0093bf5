"""Opening camera streams with OpenCV and reading frames from them.

MJPEG streams are read in OpenCV's raw mode: the worker receives each JPEG as it
came from the camera and decodes only the frames it analyses (and keeps the
bytes as snapshots), which is most of why a feed stays cheap. Other codecs
(RTSP H.264, files, V4L2) are decoded by OpenCV's FFmpeg backend.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import av
import cv2
import numpy as np

NETWORK_SCHEMES = {"rtsp", "rtsps", "http", "https", "rtmp"}
# Live analysis wants the newest frame, not a smooth one: no read-ahead buffering, short probing.
# An operator's own OPENCV_FFMPEG_CAPTURE_OPTIONS (e.g. rtsp_transport;tcp) wins.
os.environ.setdefault("OPENCV_FFMPEG_CAPTURE_OPTIONS",
                      "fflags;nobuffer|flags;low_delay|probesize;65536|analyzeduration;1000000")
_V4L2 = re.compile(r"^(?:v4l2://|/dev/video)(\d+)$")


_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)([^/\s:@'\"]*):([^@\s/'\"]*)@")


def redact(text: str) -> str:
    """``text`` with the password of every URL in it masked: ``rtsp://admin:***@10.0.0.5/...``.

    Camera URLs carry credentials; pages, logs, alerts and health reports get them masked.
    """
    return _CREDENTIALS.sub(lambda m: f"{m.group(1)}{m.group(2)}:***@", text or "")


def keep_credentials(new: str, old: str | None) -> str:
    """``new``, with the stored password put back if ``new`` carries it masked (as pages show it)."""
    if not old or ":***@" not in new:
        return new
    was = urlsplit(old)
    now = urlsplit(new)
    if was.password is None or (now.username, now.hostname, now.port) != (was.username, was.hostname, was.port):
        return new
    return new.replace(f"{now.username}:***@", f"{was.username}:{was.password}@", 1)


class BadStreamURL(ValueError):
    """The URL can never work as written: the camera's configuration must change."""


def check_stream_url(url: str) -> str:
    """Return ``url`` trimmed if it names a stream OpenCV can open, else raise :class:`BadStreamURL`."""
    url = (url or "").strip()
    if not url:
        raise BadStreamURL("địa chỉ luồng trống / stream URL is empty")
    if any(ch.isspace() for ch in url):
        raise BadStreamURL(f"địa chỉ luồng có khoảng trắng / stream URL contains spaces: {redact(url)!r}")
    if _V4L2.match(url):
        return url
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "file":
        if not parts.path:
            raise BadStreamURL(f"đường dẫn tệp trống / file URL has no path: {url!r}")
        return url
    if scheme not in NETWORK_SCHEMES:
        raise BadStreamURL(
            f"giao thức không hỗ trợ / unsupported scheme {scheme or '(none)'!r} in {redact(url)!r}; "
            "use rtsp://, http(s):// (MJPEG), file:// or v4l2://N"
        )
    try:
        port = parts.port
    except ValueError as exc:
        raise BadStreamURL(f"cổng không hợp lệ / invalid port in {redact(url)!r}") from exc
    if not parts.hostname:
        raise BadStreamURL(f"thiếu máy chủ / no host in {redact(url)!r}")
    if port == 0:
        raise BadStreamURL(f"cổng không hợp lệ / invalid port 0 in {redact(url)!r}")
    return url


@dataclass
class Frame:
    """One frame as received: JPEG bytes (raw MJPEG), planar YUV 4:2:0 (decoded H.264) or a BGR image."""

    at: float  # time.time() on arrival
    jpeg: bytes | None = None
    image: np.ndarray | None = None
    i420: np.ndarray | None = None  # (h * 3 / 2, w): the Y plane, then U and V; Y is the grey picture
    _gray: np.ndarray | None = field(default=None, repr=False)

    @classmethod
    def from_video(cls, at: float, video: av.VideoFrame) -> Frame:
        """Copy a decoded picture out of the decoder's buffers (which it reuses) without converting it."""
        if video.format.name in ("yuv420p", "yuvj420p") and not (video.width % 2 or video.height % 2):
            return cls(at=at, i420=video.to_ndarray())
        return cls(at=at, image=video.to_ndarray(format="bgr24"))

    def gray(self) -> np.ndarray | None:
        if self._gray is None:
            if self.i420 is not None:
                self._gray = self.i420[: self.i420.shape[0] * 2 // 3]
            elif self.jpeg is not None:
                self._gray = cv2.imdecode(np.frombuffer(self.jpeg, np.uint8), cv2.IMREAD_GRAYSCALE)
            elif self.image is not None:
                self._gray = cv2.cvtColor(self.image, cv2.COLOR_BGR2GRAY)
        return self._gray

    def color(self) -> np.ndarray | None:
        if self.image is None and self.i420 is not None:
            self.image = cv2.cvtColor(self.i420, cv2.COLOR_YUV2BGR_I420)
        elif self.image is None and self.jpeg is not None:
            self.image = cv2.imdecode(np.frombuffer(self.jpeg, np.uint8), cv2.IMREAD_COLOR)
        return self.image

    @property
    def size(self) -> tuple[int, int] | None:
        if self.i420 is not None:
            return self.i420.shape[1], self.i420.shape[0] * 2 // 3
        if self.image is not None:
            return self.image.shape[1], self.image.shape[0]
        return jpeg_size(self.jpeg) if self.jpeg else None

    def to_jpeg(self, quality: int = 85) -> bytes | None:
        if self.jpeg is not None:
            return self.jpeg
        if self.color() is None:
            return None
        ok, buf = cv2.imencode(".jpg", self.image, [cv2.IMWRITE_JPEG_QUALITY, quality])
        return buf.tobytes() if ok else None


class StreamReader:
    """An open stream; ``grab`` advances one frame cheaply, ``retrieve`` returns it."""

    def __init__(self, url: str, *, open_timeout_s: float = 5.0, read_timeout_s: float = 4.0) -> None:
        self.url = check_stream_url(url)
        m = _V4L2.match(self.url)
        params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, int(open_timeout_s * 1000),
                  cv2.CAP_PROP_READ_TIMEOUT_MSEC, int(read_timeout_s * 1000)]
        if m:
            self.cap = cv2.VideoCapture(int(m.group(1)), cv2.CAP_V4L2)
        else:
            target = self.url[len("file://"):] if self.url.startswith("file://") else self.url
            if self.url.startswith("file://") and not Path(target).exists():
                raise ConnectionError(f"không tìm thấy tệp / file not found: {target}")
            self.cap = cv2.VideoCapture(target, cv2.CAP_FFMPEG, params)
        if not self.cap.isOpened():
            raise ConnectionError(f"không mở được luồng / cannot open stream {redact(self.url)}")
        fourcc = int(self.cap.get(cv2.CAP_PROP_FOURCC)).to_bytes(4, "little")
        self.raw = fourcc in (b"MJPG", b"mjpg") and not m
        if self.raw:
            self.raw = bool(self.cap.set(cv2.CAP_PROP_FORMAT, -1))
        self.is_file = self.url.startswith("file://")
        self.fps_hint = self.cap.get(cv2.CAP_PROP_FPS) or 0.0

    def grab(self) -> bool:
        return bool(self.cap.grab())

    def retrieve(self) -> Frame | None:
        ok, data = self.cap.retrieve()
        if not ok or data is None or data.size == 0:
            return None
        now = time.time()
        if self.raw:
            return Frame(at=now, jpeg=data.tobytes())
        return Frame(at=now, image=data)

    def close(self) -> None:
        self.cap.release()


def jpeg_size(jpeg: bytes) -> tuple[int, int] | None:
    """(width, height) from a JPEG's SOF header without decoding it; None if there is none."""
    i = 2
    n = len(jpeg)
    if n < 4 or jpeg[0] != 0xFF or jpeg[1] != 0xD8:
        return None
    while i + 9 < n:
        if jpeg[i] != 0xFF:
            return None
        marker = jpeg[i + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            i += 2
            continue
        length = (jpeg[i + 2] << 8) | jpeg[i + 3]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            h = (jpeg[i + 5] << 8) | jpeg[i + 6]
            w = (jpeg[i + 7] << 8) | jpeg[i + 8]
            return w, h
        i += 2 + length
    return None
