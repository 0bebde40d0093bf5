"""The trunk: links between media nodes on different hosts (the mesh's counterpart across hosts,
like Jitsi's relays or mediasoup's pipe transports).

- Media goes over UDP: one datagram per forwarded packet (the mesh's media frame, `mesh.pack_media`),
  sealed with AES-128-GCM under the room's key, so a packet crosses the government LAN
  authenticated and unreadable. A `RelayFeed` seals a packet once and sends the same datagram to
  each node that wants it: one copy per stream per remote node. Nothing is decoded.
- Room messages (`messages.MeshMessage`: membership, state, wants, keyframe requests, NACKs) go
  over TCP, each frame sealed under the installation's trunk key: they must arrive, in order.
- Heartbeats (sealed UDP datagrams, every `HEARTBEAT_SECONDS`) tell each node which registered
  nodes it can hear: a network cut between two nodes shows as `unreachable`.

Keys are derived (HKDF-SHA256) from the installation secret (`GIAOBAN_SECRET_KEY`, which every
process of an installation shares already): one per room id, one for room messages and heartbeats.
Nothing secret crosses the network. Nonces are the sending node's number and a counter started
at its boot time in nanoseconds, so they never repeat under one key, even across restarts; the
receiver refuses a counter it saw already (a replayed datagram) and anything that fails the tag.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import socket
import struct
import time
from collections.abc import Callable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .mesh import CONTROL, MAX_BUFFERED_MEDIA, MEDIA, MeshFeed, _Link, pack_media
from .messages import MeshMessage, decode_mesh, encode_mesh
from .rtp import RtpView, ntp_to_unix

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 0.5
_LENGTH = struct.Struct("!I")
# kind, sender node, room tag (8 bytes), counter: also the additional data the tag covers.
_HEADER = struct.Struct("!cB8sQ")
_NONCE = struct.Struct("!IQ")
HEARTBEAT = b"H"
# One packet in this many has its age (since its publisher captured it) sampled on each side of
# the trunk: where packets wait, at the cost of one clock read per few dozen packets.
AGE_SAMPLE = 32
# The kernel doubles it for its bookkeeping: ~100-200 datagrams of video, 0.1-0.2 s at the
# rates between two nodes of the provincial meeting.
TRUNK_RECEIVE_BUFFER = 128 * 1024
_REPLAY_WINDOW = 256
_NO_ROOM = bytes(8)


def derive_key(secret: str, purpose: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=16, salt=b"giaoban media trunk",
                info=purpose.encode()).derive(secret.encode())


def room_tag(room_id: str) -> bytes:
    return hashlib.blake2b(room_id.encode(), digest_size=8).digest()


class RoomCipher:
    """The room's key, as every node of the installation derives it."""

    __slots__ = ("room_id", "tag", "aead")

    def __init__(self, secret: str, room_id: str) -> None:
        self.room_id = room_id
        self.tag = room_tag(room_id)
        self.aead = AESGCM(derive_key(secret, "room:" + room_id))


def packet_age(packet: RtpView) -> float | None:
    """Seconds since the packet's publisher captured it (its abs-capture-time), if it says."""
    capture = packet.capture_time
    if not capture or len(capture) < 8:
        return None
    return time.time() - ntp_to_unix(int.from_bytes(capture[:8], "big"))


class RelayFeed(MeshFeed):
    """A `MeshFeed` whose workers are nodes on other hosts: packed and sealed once per packet."""

    __slots__ = ("_trunk", "_cipher")

    def __init__(self, trunk: Trunk, number: int, cipher: RoomCipher) -> None:
        super().__init__(trunk.number, number, trunk.send_sealed)
        self._trunk = trunk
        self._cipher = cipher

    def forward(self, packet: RtpView, now: float, send_time: bytes) -> None:
        if self.workers:
            trunk = self._trunk
            trunk.send_media(self.workers, self._cipher, pack_media(self.sender, self.number, packet))
            if not trunk.sent % AGE_SAMPLE:
                age = packet_age(packet)
                if age is not None:
                    trunk.ages_sent.append(age)


class _Datagrams(asyncio.DatagramProtocol):
    def __init__(self, trunk: Trunk) -> None:
        self._trunk = trunk

    def datagram_received(self, data: bytes, addr: tuple) -> None:
        self._trunk._datagram(data)

    def error_received(self, exc: Exception) -> None:  # e.g. ICMP unreachable from a cut peer
        self._trunk.send_errors += 1


class Trunk:
    """This node's end of the trunk: a UDP socket and a TCP server on the same port number."""

    def __init__(self, number: int, secret: str, on_media: Callable[[bytes], None],
                 on_control: Callable[[MeshMessage], None]) -> None:
        self.number = number
        self._secret = secret
        self._control = AESGCM(derive_key(secret, "control"))
        self._on_media = on_media
        self._on_control = on_control
        self.peers: dict[int, tuple[str, int]] = {}  # node number -> (address, relay port)
        self._rooms: dict[bytes, RoomCipher] = {}  # by room tag: rooms this node has
        self._udp: asyncio.DatagramTransport | None = None
        self._server: asyncio.AbstractServer | None = None
        self._links: dict[int, _Link] = {}
        self._pending: dict[int, list[bytes]] = {}
        self._counter = time.time_ns()
        self._replay: dict[int, tuple[int, int]] = {}  # sender -> (highest counter, bitmap of seen)
        self.heard: dict[int, float] = {}  # node -> when a sealed datagram from it last arrived (monotonic)
        self.sent = 0
        self.received = 0
        self.dropped = 0
        self.refused = 0  # datagrams that failed authentication or were replayed
        self.send_errors = 0
        # Sampled ages of packets (`packet_age`) as this node sealed them and as they arrived.
        self.ages_sent: list[float] = []
        self.ages_received: list[float] = []

    # -- lifecycle ------------------------------------------------------------------------------

    async def open(self, address: str, port: int) -> None:
        loop = asyncio.get_running_loop()
        self._udp, _ = await loop.create_datagram_endpoint(lambda: _Datagrams(self), local_addr=(address, port))
        sock = self._udp.get_extra_info("socket")
        # What waits for this node's loop is bounded like a client's socket (~200 KB): a node
        # that falls behind drops media on the trunk instead of keeping seconds of it. (With 4 MB,
        # a node saturated for a moment kept a standing queue that a few hundred packets a
        # second took seconds to cross: the two-node bench's latency p99 was seconds.)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, TRUNK_RECEIVE_BUFFER)
        # Sending never waits on this side: a full send buffer would make the loop queue
        # datagrams in user space, without bound.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
        self._server = await loop.create_server(lambda: _Link(self), address, port, reuse_address=True)

    def close(self) -> None:
        for link in self._links.values():
            if link.transport is not None:
                link.transport.close()
        if self._server is not None:
            self._server.close()
        if self._udp is not None:
            self._udp.close()

    def set_peers(self, peers: dict[int, tuple[str, int]]) -> None:
        for gone in set(self.peers) - set(peers):
            link = self._links.pop(gone, None)
            if link is not None and link.transport is not None:
                link.transport.close()
            self._pending.pop(gone, None)
            self._replay.pop(gone, None)
            self.heard.pop(gone, None)
        for number, where in peers.items():
            if self.peers.get(number) not in (None, where):  # the same number, another node: start afresh
                link = self._links.pop(number, None)
                if link is not None and link.transport is not None:
                    link.transport.close()
                self._replay.pop(number, None)
        self.peers = dict(peers)

    def add_room(self, room_id: str) -> RoomCipher:
        tag = room_tag(room_id)
        cipher = self._rooms.get(tag)
        if cipher is None:
            cipher = self._rooms[tag] = RoomCipher(self._secret, room_id)
        return cipher

    def drop_room(self, room_id: str) -> None:
        self._rooms.pop(room_tag(room_id), None)

    # -- media --------------------------------------------------------------------------------------

    def _seal(self, aead: AESGCM, kind: bytes, tag: bytes, plain: bytes) -> bytes:
        self._counter += 1
        header = _HEADER.pack(kind, self.number, tag, self._counter)
        return header + aead.encrypt(_NONCE.pack(self.number, self._counter), plain, header)

    def send_media(self, workers: set[int], cipher: RoomCipher, frame: bytes) -> None:
        datagram = self._seal(cipher.aead, MEDIA, cipher.tag, frame)
        udp = self._udp
        for worker in workers:
            peer = self.peers.get(worker)
            if peer is None or udp is None:
                self.dropped += 1
                continue
            udp.sendto(datagram, peer)
            self.sent += 1

    def send_sealed(self, worker: int, frame: bytes) -> None:  # pragma: no cover - RelayFeed overrides forward
        raise NotImplementedError

    def heartbeat(self) -> None:
        if self._udp is None:
            return
        datagram = self._seal(self._control, HEARTBEAT, _NO_ROOM, b"")
        for peer in self.peers.values():
            self._udp.sendto(datagram, peer)

    def _fresh(self, sender: int, counter: int) -> bool:
        highest, seen = self._replay.get(sender, (0, 0))
        if counter > highest:
            shift = counter - highest
            seen = ((seen << shift) | 1) & ((1 << _REPLAY_WINDOW) - 1) if shift < _REPLAY_WINDOW else 1
            self._replay[sender] = (counter, seen)
            return True
        back = highest - counter
        if back >= _REPLAY_WINDOW or (seen >> back) & 1:
            return False
        self._replay[sender] = (highest, seen | (1 << back))
        return True

    def _datagram(self, data: bytes) -> None:
        if len(data) < _HEADER.size + 16:
            self.refused += 1
            return
        kind, sender, tag, counter = _HEADER.unpack_from(data)
        if kind == MEDIA:
            cipher = self._rooms.get(tag)
            aead = cipher.aead if cipher is not None else None
        elif kind == HEARTBEAT:
            aead = self._control
        else:
            aead = None
        if aead is None or sender not in self.peers:
            self.dropped += 1
            return
        try:
            plain = aead.decrypt(_NONCE.pack(sender, counter), data[_HEADER.size:], data[:_HEADER.size])
        except InvalidTag:
            self.refused += 1
            return
        if not self._fresh(sender, counter):
            self.refused += 1
            return
        self.heard[sender] = time.monotonic()
        if kind == MEDIA:
            self.received += 1
            self._on_media(plain)

    # -- room messages ------------------------------------------------------------------------------

    def send_control(self, worker: int, message: MeshMessage) -> None:
        nonce = os.urandom(12)
        body = CONTROL + nonce + self._control.encrypt(nonce, encode_mesh(message), CONTROL)
        frame = _LENGTH.pack(len(body)) + body
        link = self._links.get(worker)
        if link is not None and link.transport is not None and not link.transport.is_closing():
            if link.transport.get_write_buffer_size() > 16 * MAX_BUFFERED_MEDIA:
                self.dropped += 1  # a peer that stopped reading: its state is rebuilt when it comes back
                return
            link.transport.write(frame)
            return
        self._links.pop(worker, None)
        queue = self._pending.get(worker)
        if queue is None:
            queue = self._pending[worker] = []
            asyncio.ensure_future(self._connect(worker))
        if len(queue) < 10000:
            queue.append(frame)
        else:
            self.dropped += 1

    async def _connect(self, worker: int) -> None:
        """Connect to a peer and send what waited for it; keep trying while it is registered (it
        may have registered a moment before it listens), so no room message to it is lost."""
        loop = asyncio.get_running_loop()
        link, attempts = None, 0
        # A node may name a peer (the room's home, from its lease) before its own registry view has it.
        unknown_until = loop.time() + 10.0
        while worker in self._pending:
            if worker not in self.peers:
                if loop.time() > unknown_until:
                    break
                await asyncio.sleep(0.1)
                continue
            address, port = self.peers[worker]
            try:
                _, link = await asyncio.wait_for(loop.create_connection(lambda: _Link(self), address, port), 2.0)
                break
            except (OSError, TimeoutError):
                attempts += 1
                if attempts == 25:
                    logger.warning("media node %d unreachable on the trunk (%s:%d); still trying", worker,
                                   address, port)
                await asyncio.sleep(0.2)
        frames = self._pending.pop(worker, [])
        if link is None:
            self.dropped += len(frames)
            return
        if worker not in self.peers:
            link.transport.close()
            self.dropped += len(frames)
            return
        self._links[worker] = link
        link.transport.write(b"".join(frames))

    def _deliver(self, data: bytes) -> None:
        """A frame from a TCP link (`mesh._Link` calls this)."""
        if data[:1] != CONTROL or len(data) < 29:
            self.refused += 1
            return
        try:
            message = decode_mesh(self._control.decrypt(data[1:13], data[13:], CONTROL))
        except InvalidTag:
            self.refused += 1
            return
        except ValueError:
            logger.exception("unreadable room message on the trunk")
            return
        try:
            self._on_control(message)
        except Exception:
            logger.exception("trunk message failed")
