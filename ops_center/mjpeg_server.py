"""Loopback HTTP server for synthetic cameras: MJPEG main stream and substream, H.264 substream.

Each feed renders its :class:`~ops_center.scene.Scene` only while someone is
watching a stream, at that stream's own resolution, like a camera's encoder
producing a main stream and a low-resolution substream. Faults (outage, stalled
connection, garbage bytes, a resolution change) can be switched on per feed so
the ingest workers can be tested against them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from dataclasses import dataclass, field

import cv2
import numpy as np

from ops_center.h264_stream import H264TransportEncoder
from ops_center.scene import Scene

log = logging.getLogger(__name__)

BOUNDARY = b"giaobanframe"
MAIN_SIZE = (1280, 720)
SUB_SIZE = (640, 360)


@dataclass
class FeedFaults:
    """Faults a feed can be told to show; all off by default."""

    down: bool = False  # refuse and drop connections, like a camera that lost power
    stall: bool = False  # keep connections open but send nothing
    garbage: bool = False  # send random bytes where JPEGs belong
    sub_size: tuple[int, int] | None = None  # substream switched to another resolution


@dataclass
class Feed:
    name: str
    scene: Scene
    faults: FeedFaults = field(default_factory=FeedFaults)


class _Stream:
    """One encoded stream of a feed, rendered while it has listeners."""

    def __init__(self, server: SyntheticCameraServer, feed: Feed, kind: str) -> None:
        self.server = server
        self.feed = feed
        self.kind = kind
        self.listeners = 0
        self.frame: bytes = b""
        self.seq = 0
        self.cond = asyncio.Condition()
        self.task: asyncio.Task[None] | None = None
        self.encoder: H264TransportEncoder | None = None

    def size(self) -> tuple[int, int]:
        if self.kind == "main":
            return MAIN_SIZE
        return self.feed.faults.sub_size or SUB_SIZE

    async def run(self) -> None:
        fps = self.server.main_fps if self.kind == "main" else self.server.sub_fps
        period = 1.0 / fps
        next_at = time.monotonic()
        rng = np.random.default_rng()
        while self.listeners > 0:
            next_at += period
            now = time.time()
            t = now - self.server.epoch
            faults = self.feed.faults
            if faults.garbage:
                payload = rng.integers(0, 256, 20000, dtype=np.uint8).tobytes()
            elif not (faults.stall or faults.down or self.feed.scene.is_down(t)):
                w, h = self.size()
                stamp = int(now * 1000) if self.kind == "main" else None
                img = self.feed.scene.render(t, w, h, stamp_ms=stamp)
                if self.kind == "h264":
                    payload = self._encode_h264(img, fps)
                else:
                    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, self.server.quality])
                    payload = buf.tobytes() if ok else b""
            else:
                payload = b""
            if payload:
                async with self.cond:
                    self.frame = payload
                    self.seq += 1
                    self.cond.notify_all()
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
        self.task = None
        if self.encoder is not None:
            self.encoder.close()
            self.encoder = None

    def _encode_h264(self, img: np.ndarray, fps: float) -> bytes:
        h, w = img.shape[:2]
        if self.encoder is None or self.encoder.size != (w, h):
            # A new resolution needs a new encoder; the stream simply carries on with it.
            if self.encoder is not None:
                self.encoder.close()
            self.encoder = H264TransportEncoder(w, h, fps)
        return self.encoder.encode(img)


class SyntheticCameraServer:
    """Serves ``/cam/<name>/main.mjpg``, ``/cam/<name>/sub.mjpg`` and ``/cam/<name>/snapshot.jpg``."""

    def __init__(self, feeds: list[Feed], host: str = "127.0.0.1", port: int = 0, *,
                 main_fps: float = 15.0, sub_fps: float = 10.0, quality: int = 80,
                 epoch: float | None = None) -> None:
        self.feeds = {f.name: f for f in feeds}
        self.host = host
        self.port = port
        self.main_fps = main_fps
        self.sub_fps = sub_fps
        self.quality = quality
        self.epoch = time.time() if epoch is None else epoch
        self._streams: dict[tuple[str, str], _Stream] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.base_events.Server | None = None
        self._thread: threading.Thread | None = None
        self._writers: dict[str, set[asyncio.StreamWriter]] = {}
        self._ready = threading.Event()

    # -- URLs ---------------------------------------------------------------
    def url(self, name: str, kind: str = "main") -> str:
        """``kind``: main (1280x720 MJPEG), sub (640x360 MJPEG) or h264 (640x360 H.264 in MPEG-TS)."""
        path = "sub.ts" if kind == "h264" else f"{kind}.mjpg"
        return f"http://{self.host}:{self.port}/cam/{name}/{path}"

    # -- lifecycle ----------------------------------------------------------
    async def start_async(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._server = await asyncio.start_server(self._handle, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()

    async def serve_forever(self) -> None:
        await self.start_async()
        assert self._server is not None
        async with self._server:
            await self._server.serve_forever()

    def start(self) -> SyntheticCameraServer:
        """Run the server on a background thread (for tests and the benchmark)."""
        def serve() -> None:
            with contextlib.suppress(asyncio.CancelledError):
                asyncio.run(self.serve_forever())

        self._thread = threading.Thread(target=serve, name="synthetic-cameras", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("synthetic camera server did not start")
        return self

    def stop(self) -> None:
        if self._loop and self._server and not self._loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop may close while we ask
                asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(5)
        if self._thread:
            self._thread.join(5)

    async def _shutdown(self) -> None:
        for writers in self._writers.values():
            for w in list(writers):
                w.close()
        for stream in self._streams.values():
            if stream.task:
                stream.task.cancel()
        assert self._server is not None
        self._server.close()

    # -- faults -------------------------------------------------------------
    def set_faults(self, name: str, **faults: object) -> None:
        """Switch faults on a feed; dropping connections when it goes down."""
        feed = self.feeds[name]
        for key, value in faults.items():
            if not hasattr(feed.faults, key):
                raise ValueError(f"unknown fault {key!r}")
            setattr(feed.faults, key, value)
        if faults.get("down") and self._loop:
            for w in list(self._writers.get(name, ())):
                self._loop.call_soon_threadsafe(w.close)

    # -- HTTP ---------------------------------------------------------------
    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            writer.close()
            return
        parts = request.split(b"\r\n", 1)[0].split()
        path = parts[1].decode("latin-1") if len(parts) >= 2 else ""
        segs = path.strip("/").split("/")
        if len(segs) != 3 or segs[0] != "cam" or segs[1] not in self.feeds:
            await self._reply(writer, b"404 Not Found", b"text/plain", b"no such camera\n")
            return
        feed = self.feeds[segs[1]]
        if feed.faults.down or feed.scene.is_down(time.time() - self.epoch):
            writer.close()  # a powered-off camera: the connection goes nowhere
            return
        if segs[2] == "snapshot.jpg":
            img = feed.scene.render(time.time() - self.epoch, *MAIN_SIZE)
            ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, self.quality])
            await self._reply(writer, b"200 OK", b"image/jpeg", buf.tobytes())
            return
        kind = {"main.mjpg": "main", "sub.mjpg": "sub", "sub.ts": "h264"}.get(segs[2])
        if kind is None:
            await self._reply(writer, b"404 Not Found", b"text/plain", b"no such stream\n")
            return
        await self._stream(feed, kind, writer)

    async def _reply(self, writer: asyncio.StreamWriter, status: bytes, ctype: bytes, body: bytes) -> None:
        writer.write(b"HTTP/1.0 " + status + b"\r\nContent-Type: " + ctype
                     + b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
        with contextlib.suppress(ConnectionError):
            await writer.drain()
        writer.close()

    async def _stream(self, feed: Feed, kind: str, writer: asyncio.StreamWriter) -> None:
        stream = self._streams.get((feed.name, kind))
        if stream is None:
            stream = self._streams[(feed.name, kind)] = _Stream(self, feed, kind)
        stream.listeners += 1
        if stream.task is None:
            stream.task = asyncio.create_task(stream.run())
        self._writers.setdefault(feed.name, set()).add(writer)
        ctype = b"video/mp2t" if kind == "h264" else b"multipart/x-mixed-replace;boundary=" + BOUNDARY
        writer.write(b"HTTP/1.0 200 OK\r\nContent-Type: " + ctype
                     + b"\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n")
        seen = stream.seq
        try:
            while not writer.is_closing():
                async with stream.cond:
                    # Bounded wait: a feed that went down produces nothing, yet its
                    # dropped connections must still be noticed and released.
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stream.cond.wait_for(lambda s=seen: stream.seq != s), 1.0)
                    fresh = stream.seq != seen
                    seen, payload = stream.seq, stream.frame
                if writer.is_closing():
                    break
                if not fresh:
                    continue
                if kind == "h264":
                    writer.write(payload)
                else:
                    writer.write(b"--" + BOUNDARY + b"\r\nContent-Type: image/jpeg\r\nContent-Length: "
                                 + str(len(payload)).encode() + b"\r\n\r\n" + payload + b"\r\n")
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            stream.listeners -= 1
            self._writers[feed.name].discard(writer)
            writer.close()
