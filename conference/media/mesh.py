"""The worker mesh: Unix stream sockets between media workers on one host.

Media frames carry one forwarded packet, already decrypted and reduced to what a `DownTrack`
needs (sequence number, timestamp, marker, audio level, capture time, payload) in a fixed
binary header: the receiving worker does not parse RTP again. A `MeshFeed` is the `Sink` that
sends a local track's packets to the workers that want it. Control frames carry the typed
messages of `messages.py` as JSON (room state, keyframe requests, which tracks a worker wants).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import struct
from collections.abc import Callable
from pathlib import Path

from .messages import MeshMessage, decode_mesh, encode_mesh
from .placement import mesh_path
from .rtp import RtpView

logger = logging.getLogger(__name__)

_LENGTH = struct.Struct("!I")
# Media older than a few tens of milliseconds is useless to a live meeting: when a peer worker
# falls this far behind, further media for it is dropped (and counted) instead of queued.
MAX_BUFFERED_MEDIA = 96 * 1024
_MEDIA = struct.Struct("!cBIHIBBQ")  # kind, sender, feed number, seq, ts, marker|pt, level, capture
MEDIA = b"M"
CONTROL = b"C"


NO_LEVEL = 255


def pack_media(sender: int, number: int, packet: RtpView) -> bytes:
    capture = packet.capture_time
    capture_value = int.from_bytes(capture[:8].ljust(8, b"\0"), "big") if capture else 0
    level = NO_LEVEL if packet.audio_level is None else packet.audio_level
    return _MEDIA.pack(MEDIA, sender, number, packet.sequence_number, packet.timestamp,
                       (packet.marker << 7) | packet.payload_type, level, capture_value) + packet.payload


def unpack_media(data: bytes) -> tuple[int, int, RtpView]:
    """(sending worker, its feed number, the packet)."""
    _, sender, number, seq, ts, marker_pt, level, capture = _MEDIA.unpack_from(data)
    packet = RtpView(marker_pt & 0x7F, marker_pt >> 7, seq, ts, 0, data[_MEDIA.size:], {},
                     None if level == NO_LEVEL else level, capture.to_bytes(8, "big") if capture else None)
    return sender, number, packet


class MeshFeed:
    """A `Sink` carrying one local track to every other worker that wants it: packed once,
    written once per worker. The room adds it to the track while `workers` is not empty."""

    __slots__ = ("sender", "number", "workers", "_send")

    def __init__(self, sender: int, number: int, send: Callable[[int, bytes], None]) -> None:
        self.sender = sender
        self.number = number
        self.workers: set[int] = set()
        self._send = send

    def forward(self, packet: RtpView, now: float, send_time: bytes) -> None:
        frame = pack_media(self.sender, self.number, packet)
        for worker in self.workers:
            self._send(worker, frame)


class _Link(asyncio.Protocol):
    """One stream connection between two workers; frames are a 4-byte length and a body."""

    def __init__(self, mesh: Mesh) -> None:
        self._mesh = mesh
        self._buffer = bytearray()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        sock = transport.get_extra_info("socket")
        if sock is not None:
            # Keep the kernel's share of the queue small too, so the limit above means something.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 64 * 1024)

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer
        buffer += data
        pos = 0
        end = len(buffer)
        while end - pos >= 4:
            size = _LENGTH.unpack_from(buffer, pos)[0]
            if end - pos - 4 < size:
                break
            self._mesh._deliver(bytes(buffer[pos + 4 : pos + 4 + size]))
            pos += 4 + size
        del buffer[:pos]

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None


class Mesh:
    """Stream sockets (not datagrams: a Unix datagram queue holds only a handful of packets, and
    a keyframe burst would overflow it) with userspace buffering, so nothing is dropped between
    workers that are alive."""

    def __init__(self, run_dir: Path, index: int, count: int,
                 on_media: Callable[[bytes], None], on_control: Callable[[MeshMessage], None]) -> None:
        self.index = index
        self.count = count
        self._paths = [str(mesh_path(run_dir, i)) for i in range(count)]
        self._on_media = on_media
        self._on_control = on_control
        self._server: asyncio.AbstractServer | None = None
        self._links: dict[int, _Link] = {}
        self._pending: dict[int, list[bytes]] = {}
        self._outbox: dict[int, list[bytes]] = {}
        self._flush_scheduled = False
        self.sent = 0
        self.received = 0
        self.dropped = 0

    async def open(self) -> None:
        path = self._paths[self.index]
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        loop = asyncio.get_running_loop()
        self._server = await loop.create_unix_server(lambda: _Link(self), path=path)

    def close(self) -> None:
        for link in self._links.values():
            if link.transport is not None:
                link.transport.close()
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self._paths[self.index])

    def send_media(self, worker: int, datagram: bytes) -> None:
        self._send(worker, datagram)

    def send_control(self, worker: int, message: MeshMessage) -> None:
        self._send(worker, CONTROL + encode_mesh(message))

    def _send(self, worker: int, body: bytes) -> None:
        link = self._links.get(worker)
        frame = _LENGTH.pack(len(body)) + body
        if link is not None and link.transport is not None:
            if body[:1] == MEDIA and link.transport.get_write_buffer_size() > MAX_BUFFERED_MEDIA:
                self.dropped += 1
                return
            # One write per loop iteration and peer instead of one system call per packet.
            self._outbox.setdefault(worker, []).append(frame)
            if not self._flush_scheduled:
                self._flush_scheduled = True
                asyncio.get_running_loop().call_soon(self._flush)
            self.sent += 1
            return
        queue = self._pending.get(worker)
        if queue is None:
            queue = self._pending[worker] = []
            asyncio.ensure_future(self._connect(worker))
        if len(queue) < 10000:
            queue.append(frame)
        else:
            self.dropped += 1

    def _flush(self) -> None:
        self._flush_scheduled = False
        outbox, self._outbox = self._outbox, {}
        for worker, frames in outbox.items():
            link = self._links.get(worker)
            if link is not None and link.transport is not None:
                link.transport.write(b"".join(frames))
            else:
                self.dropped += len(frames)

    async def _connect(self, worker: int) -> None:
        loop = asyncio.get_running_loop()
        for _ in range(100):
            try:
                _, link = await loop.create_unix_connection(lambda: _Link(self), self._paths[worker])
                break
            except (FileNotFoundError, ConnectionRefusedError):
                await asyncio.sleep(0.1)
        else:
            logger.warning("media worker %d unreachable on the mesh", worker)
            self.dropped += len(self._pending.pop(worker, []))
            return
        self._links[worker] = link
        for frame in self._pending.pop(worker, []):
            link.transport.write(frame)
            self.sent += 1

    def _deliver(self, data: bytes) -> None:
        self.received += 1
        try:
            if data[:1] == MEDIA:
                self._on_media(data)
            else:
                self._on_control(decode_mesh(data[1:]))
        except Exception:
            logger.exception("mesh message failed")
