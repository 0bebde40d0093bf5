"""Per-DownTrack history of sent packets, so a subscriber's NACK is answered from the relay itself."""

from __future__ import annotations

import struct

from .rtp import header_length

_RTX_HEADER = struct.Struct("!BBHII")


class PacketHistory:
    """The last `size` packets sent by one DownTrack, by outgoing sequence number (unencrypted bytes)."""

    __slots__ = ("_size", "_slots")

    def __init__(self, size: int = 1024) -> None:
        self._size = size
        self._slots: list[tuple[int, bytes] | None] = [None] * size

    def put(self, sequence_number: int, packet: bytes) -> None:
        self._slots[sequence_number % self._size] = (sequence_number, packet)

    def get(self, sequence_number: int) -> bytes | None:
        entry = self._slots[sequence_number % self._size]
        if entry is None or entry[0] != sequence_number:
            return None
        return entry[1]


def wrap_rtx(packet: bytes, payload_type: int, sequence_number: int, ssrc: int) -> bytes:
    """RFC 4588 retransmission: RTX header, the original sequence number, the original payload.

    Header extensions are kept, so the receiver still sees mid and capture time on repairs.
    """
    hlen = header_length(packet)
    b0 = packet[0] & 0xF0  # drop CSRC count: the relay never sends CSRCs
    original_seq = packet[2:4]
    ext = packet[12:hlen]
    header = _RTX_HEADER.pack(b0, (packet[1] & 0x80) | payload_type, sequence_number,
                              struct.unpack_from("!I", packet, 4)[0], ssrc)
    return header + ext + original_seq + packet[hlen:]


def unwrap_rtx(payload: bytes) -> tuple[int, bytes]:
    """Original sequence number and payload carried in an RTX payload."""
    if len(payload) < 2:
        raise ValueError("RTX payload shorter than its original sequence number")
    return (payload[0] << 8) | payload[1], payload[2:]
