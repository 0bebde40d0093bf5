"""RTP packets as bytes: the few header fields the relay reads and the header it writes per DownTrack.

aiortc's `RtpPacket` parses every field and extension into Python objects; the relay only needs
the fixed header, the header extensions it forwards and the payload, so it works on the bytes.
"""

from __future__ import annotations

import struct
import time
from dataclasses import dataclass, field

_HEADER = struct.Struct("!BBHII")
_SEQ_TS_SSRC = struct.Struct("!HII")
_EXT_HEADER = struct.Struct("!HH")

ONE_BYTE_PROFILE = 0xBEDE
TWO_BYTE_PROFILE = 0x1000

URI_MID = "urn:ietf:params:rtp-hdrext:sdes:mid"
URI_AUDIO_LEVEL = "urn:ietf:params:rtp-hdrext:ssrc-audio-level"
URI_ABS_SEND_TIME = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
# Meant to be carried unchanged through mixers and relays, so a receiver can measure the delay
# from capture (or, for pre-encoded media, from sending) to itself across the whole path.
URI_ABS_CAPTURE_TIME = "http://www.webrtc.org/experiments/rtp-hdrext/abs-capture-time"

NTP_EPOCH_OFFSET = 2208988800


class RtpParseError(ValueError):
    pass


@dataclass(slots=True)
class ExtensionIds:
    """Header extension ids negotiated on one transport direction (0 = not negotiated)."""

    mid: int = 0
    audio_level: int = 0
    abs_send_time: int = 0
    abs_capture_time: int = 0

    @classmethod
    def from_parameters(cls, header_extensions: list) -> ExtensionIds:
        ids = cls()
        for ext in header_extensions:
            if ext.uri == URI_MID:
                ids.mid = ext.id
            elif ext.uri == URI_AUDIO_LEVEL:
                ids.audio_level = ext.id
            elif ext.uri == URI_ABS_SEND_TIME:
                ids.abs_send_time = ext.id
            elif ext.uri == URI_ABS_CAPTURE_TIME:
                ids.abs_capture_time = ext.id
        return ids


@dataclass(slots=True)
class RtpView:
    """One received RTP packet, parsed just enough to forward it.

    The last four fields are what the relay learned about it on the way in (the publisher's
    header extensions are gone once it crossed the worker mesh): its RFC 6464 audio level
    (0..127), its abs-capture-time value, whether it starts a video keyframe, and for VP8 the
    payload descriptor as each DownTrack rewrites it, read by the first DownTrack that forwards
    the packet for all of them: (first byte, X byte, picture id, its bits, TL0PICIDX, TID byte,
    the payload after the descriptor), or False when it has no picture id (None: not read yet).
    Sinks change nothing else in the packet."""

    payload_type: int
    marker: int
    sequence_number: int
    timestamp: int
    ssrc: int
    payload: bytes
    extensions: dict[int, bytes] = field(default_factory=dict)
    audio_level: int | None = None
    capture_time: bytes | None = None
    keyframe: bool = False
    vp8: tuple | bool | None = None


def is_rtcp(data: bytes) -> bool:
    return len(data) >= 2 and 192 <= data[1] <= 208


def parse_rtp(data: bytes) -> RtpView:
    """Parse the fixed header, extensions and payload (padding removed) of a decrypted RTP packet."""
    n = len(data)
    if n < 12:
        raise RtpParseError("RTP packet shorter than its fixed header")
    b0, b1 = data[0], data[1]
    if b0 >> 6 != 2:
        raise RtpParseError("not RTP version 2")
    seq, ts, ssrc = _SEQ_TS_SSRC.unpack_from(data, 2)
    pos = 12 + 4 * (b0 & 0x0F)
    extensions: dict[int, bytes] = {}
    if b0 & 0x10:
        if n < pos + 4:
            raise RtpParseError("RTP header extension truncated")
        profile, words = _EXT_HEADER.unpack_from(data, pos)
        start = pos + 4
        pos = start + 4 * words
        if n < pos:
            raise RtpParseError("RTP header extension truncated")
        _parse_extensions(profile, data, start, pos, extensions)
    end = n
    if b0 & 0x20:
        end -= data[-1]
        if end < pos:
            raise RtpParseError("RTP padding longer than the packet")
    return RtpView(b1 & 0x7F, b1 >> 7, seq, ts, ssrc, data[pos:end], extensions)


def _parse_extensions(profile: int, data: bytes, pos: int, end: int, out: dict[int, bytes]) -> None:
    if profile == ONE_BYTE_PROFILE:
        while pos < end:
            byte = data[pos]
            if byte == 0:
                pos += 1
                continue
            ext_id = byte >> 4
            if ext_id == 15:
                return
            length = (byte & 0x0F) + 1
            out[ext_id] = data[pos + 1 : pos + 1 + length]
            pos += 1 + length
    elif profile & 0xFFF0 == TWO_BYTE_PROFILE:
        while pos + 1 < end:
            ext_id = data[pos]
            if ext_id == 0:
                pos += 1
                continue
            length = data[pos + 1]
            out[ext_id] = data[pos + 2 : pos + 2 + length]
            pos += 2 + length


def pack_extensions(elements: list[tuple[int, bytes]]) -> bytes:
    """A one-byte-header (RFC 8285) extension block for ids 1..14 and values of 1..16 bytes."""
    if not elements:
        return b""
    body = b"".join(bytes([(ext_id << 4) | (len(value) - 1)]) + value for ext_id, value in elements)
    body += b"\x00" * (-len(body) % 4)
    return _EXT_HEADER.pack(ONE_BYTE_PROFILE, len(body) // 4) + body


def extension_block(elements: bytes) -> bytes:
    """Wrap already-encoded one-byte extension elements in their block header, padded."""
    if not elements:
        return b""
    pad = -len(elements) % 4
    return _EXT_HEADER.pack(ONE_BYTE_PROFILE, (len(elements) + pad) // 4) + elements + b"\x00" * pad


def build_rtp(
    payload_type: int,
    marker: int,
    sequence_number: int,
    timestamp: int,
    ssrc: int,
    payload: bytes,
    extension_block: bytes = b"",
) -> bytes:
    b0 = 0x90 if extension_block else 0x80
    return (
        _HEADER.pack(b0, (marker << 7) | payload_type, sequence_number, timestamp, ssrc)
        + extension_block
        + payload
    )


def header_length(data: bytes) -> int:
    """Length of the fixed header, CSRCs and extension block of a packet built by `build_rtp`."""
    pos = 12 + 4 * (data[0] & 0x0F)
    if data[0] & 0x10:
        pos += 4 + 4 * _EXT_HEADER.unpack_from(data, pos)[1]
    return pos


def abs_send_time_now() -> bytes:
    """abs-send-time: 6.18 fixed-point seconds, 24 bits."""
    return (int(time.time() * 262144) & 0xFFFFFF).to_bytes(3, "big")


def ntp_now() -> int:
    now = time.time() + NTP_EPOCH_OFFSET
    return (int(now) << 32) | int((now % 1) * 4294967296)


def ntp_to_unix(ntp: int) -> float:
    return (ntp >> 32) - NTP_EPOCH_OFFSET + (ntp & 0xFFFFFFFF) / 4294967296


def abs_capture_time_now() -> bytes:
    return ntp_now().to_bytes(8, "big")


def seq_newer(a: int, b: int) -> bool:
    """True when 16-bit sequence number `a` comes after `b` (RFC 3550 wrap-around)."""
    return a != b and ((a - b) & 0xFFFF) < 0x8000
