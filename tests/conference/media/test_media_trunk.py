"""The trunk between media nodes: a packet crosses sealed under its room's key and arrives once;
a datagram sealed under another installation's secret, altered, or replayed is refused."""

from __future__ import annotations

import asyncio
import socket

from conference.media.mesh import pack_media
from conference.media.rtp import RtpView
from conference.media.trunk import RoomCipher, Trunk


def _port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_sealed_packets_cross_once_and_forgeries_are_refused() -> None:
    got: list[bytes] = []
    sender = Trunk(1, "installation secret", lambda data: None, lambda message: None)
    receiver = Trunk(2, "installation secret", got.append, lambda message: None)
    stranger = Trunk(1, "another installation", lambda data: None, lambda message: None)
    ports = {1: _port(), 2: _port()}
    await stranger.open("127.0.0.1", _port())
    await sender.open("127.0.0.1", ports[1])
    await receiver.open("127.0.0.1", ports[2])
    capture = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    capture.bind(("127.0.0.1", 0))
    capture.settimeout(5)
    try:
        for trunk in (sender, receiver):
            trunk.set_peers({1: ("127.0.0.1", ports[1]), 2: ("127.0.0.1", ports[2])})
        receiver.add_room("meeting-7")
        frame = pack_media(1, 3, RtpView(96, 1, 1000, 90000, 0, b"\x10payload", {}, None, None))
        sender.send_media({2}, RoomCipher("installation secret", "meeting-7"), frame)
        for _ in range(50):
            if got:
                break
            await asyncio.sleep(0.02)
        assert got == [frame]
        assert b"payload" not in _sealed(sender, frame, capture)  # what crosses the wire is unreadable

        datagram = _sealed(sender, frame, capture)
        receiver._datagram(datagram)
        receiver._datagram(datagram)  # the same datagram again: a replay
        altered = bytearray(datagram)
        altered[-1] ^= 1
        receiver._datagram(bytes(altered))
        stranger.add_room("meeting-7")
        forged = _sealed(stranger, frame, capture)
        receiver._datagram(forged)
        assert got == [frame, frame]  # only the first copy of the second datagram
        assert receiver.refused == 3
    finally:
        capture.close()
        for trunk in (sender, receiver, stranger):
            trunk.close()


def _sealed(trunk: Trunk, frame: bytes, capture: socket.socket) -> bytes:
    """What `trunk` sends for this frame, caught on a socket of our own."""
    trunk.peers[9] = capture.getsockname()
    trunk.send_media({9}, RoomCipher(trunk._secret, "meeting-7"), frame)
    del trunk.peers[9]
    return capture.recv(65536)
