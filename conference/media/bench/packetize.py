"""RFC 7741 packetisation of pre-encoded VP8 frames for the load clients (no encoder involved)."""

from __future__ import annotations

MAX_CHUNK = 1200


def vp8_chunks(frame: bytes) -> list[bytes]:
    return [frame[i : i + MAX_CHUNK] for i in range(0, len(frame), MAX_CHUNK)] or [b""]


def vp8_descriptors(picture_id: int) -> tuple[bytes, bytes]:
    """The payload descriptor of a frame's first packet and of its other packets."""
    # X=1 and S on the first packet; I=1 with a 15-bit picture id.
    tail = bytes([0x80, 0x80 | (picture_id >> 8) & 0x7F, picture_id & 0xFF])
    return b"\x90" + tail, b"\x80" + tail


def vp8_payload(chunk: bytes, first: bool, picture_id: int) -> bytes:
    return vp8_descriptors(picture_id)[0 if first else 1] + chunk


def vp8_depayload(payload: bytes) -> bytes:
    from ..payloads import parse_vp8_descriptor

    return payload[parse_vp8_descriptor(payload).size :]
