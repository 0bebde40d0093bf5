"""What the relay needs to know about VP8, H.264 and Opus payloads without decoding them:
where a keyframe starts (to hold back video after a switch) and how to renumber VP8 picture ids."""

from __future__ import annotations

import struct
from dataclasses import dataclass

VP8 = "vp8"
H264 = "h264"
OPUS = "opus"

_H264_IDR = 5
_H264_SPS = 7
_H264_STAP_A = 24
_H264_FU_A = 28

# A rewritten VP8 descriptor: first byte, X byte, 15-bit picture id (M bit set), then TL0PICIDX
# and/or the TID/KEYIDX byte when present.
_VP8_DESCRIPTOR = struct.Struct("!BBH")
_VP8_DESCRIPTOR_1 = struct.Struct("!BBHB")
_VP8_DESCRIPTOR_2 = struct.Struct("!BBHBB")


def codec_key(mime_type: str) -> str:
    name = mime_type.split("/")[-1].lower()
    if name not in (VP8, H264, OPUS):
        raise ValueError(f"codec {mime_type} is not relayed (VP8, H.264 or Opus)")
    return name


@dataclass(slots=True)
class Vp8Descriptor:
    """RFC 7741 payload descriptor; `size` is its length in bytes."""

    start_of_partition: bool
    partition_id: int
    picture_id: int | None
    picture_id_bits: int
    tl0picidx: int | None
    tid_byte: int | None
    non_reference: bool
    size: int


def parse_vp8_descriptor(payload: bytes) -> Vp8Descriptor:
    if not payload:
        raise ValueError("empty VP8 payload")
    b0 = payload[0]
    pos = 1
    picture_id = None
    bits = 0
    tl0 = None
    tid = None
    if b0 & 0x80:
        if len(payload) < 2:
            raise ValueError("VP8 descriptor truncated")
        x = payload[1]
        pos = 2
        if x & 0x80:
            if len(payload) < pos + 1:
                raise ValueError("VP8 picture id truncated")
            if payload[pos] & 0x80:
                if len(payload) < pos + 2:
                    raise ValueError("VP8 picture id truncated")
                picture_id = ((payload[pos] & 0x7F) << 8) | payload[pos + 1]
                bits = 15
                pos += 2
            else:
                picture_id = payload[pos]
                bits = 7
                pos += 1
        if x & 0x40:
            tl0 = payload[pos]
            pos += 1
        if x & 0x30:
            tid = payload[pos]
            pos += 1
        if pos > len(payload):
            raise ValueError("VP8 descriptor truncated")
    return Vp8Descriptor(bool(b0 & 0x10), b0 & 0x0F, picture_id, bits, tl0, tid, bool(b0 & 0x20), pos)


def vp8_fields(payload: bytes) -> tuple[int | None, int, int | None, int | None, int] | None:
    """The descriptor fields the relay rewrites, as `parse_vp8_descriptor` finds them but
    without building a `Vp8Descriptor` (once per received video packet):
    (picture id, its bits, TL0PICIDX, the TID/KEYIDX byte, descriptor size); None if malformed."""
    n = len(payload)
    if not n:
        return None
    pos = 1
    picture_id = tl0 = tid = None
    bits = 0
    if payload[0] & 0x80:
        if n < 2:
            return None
        x = payload[1]
        pos = 2
        if x & 0x80:
            if n < 3:
                return None
            if payload[2] & 0x80:
                if n < 4:
                    return None
                picture_id = ((payload[2] & 0x7F) << 8) | payload[3]
                bits = 15
                pos = 4
            else:
                picture_id = payload[2]
                bits = 7
                pos = 3
        if x & 0x40:
            if n <= pos:
                return None
            tl0 = payload[pos]
            pos += 1
        if x & 0x30:
            if n <= pos:
                return None
            tid = payload[pos]
            pos += 1
    return picture_id, bits, tl0, tid, pos


def vp8_is_keyframe_start(payload: bytes) -> bool:
    """First packet of a VP8 keyframe: start of partition 0 and the frame tag's P bit clear."""
    if not payload:
        return False
    b0 = payload[0]
    if not b0 & 0x10 or b0 & 0x0F:
        return False
    fields = vp8_fields(payload)
    if fields is None:
        return False
    size = fields[4]
    return len(payload) > size and not payload[size] & 0x01


def vp8_descriptor(payload: bytes) -> tuple[int, int, int, int, int | None, int | None, bytes] | bool:
    """What each DownTrack needs to rewrite this packet's picture id, read once per packet:
    (first byte, X byte, picture id, its bits, TL0PICIDX, TID byte, the payload after the
    descriptor); False when the descriptor carries no picture id or is malformed (the packet is
    then forwarded as it is)."""
    fields = vp8_fields(payload)
    if fields is None or fields[0] is None:
        return False
    picture_id, bits, tl0, tid, size = fields
    return payload[0], payload[1], picture_id, bits, tl0, tid, payload[size:]


def vp8_is_frame_start(payload: bytes) -> bool:
    return bool(payload) and bool(payload[0] & 0x10) and not payload[0] & 0x0F


def h264_is_keyframe_start(payload: bytes) -> bool:
    """First packet of an H.264 access unit that can be decoded on its own (SPS or IDR start)."""
    if not payload:
        return False
    nal_type = payload[0] & 0x1F
    if nal_type in (_H264_IDR, _H264_SPS):
        return True
    if nal_type == _H264_STAP_A:
        pos = 1
        while pos + 2 < len(payload):
            size = (payload[pos] << 8) | payload[pos + 1]
            if size == 0:
                return False
            if payload[pos + 2] & 0x1F in (_H264_IDR, _H264_SPS):
                return True
            pos += 2 + size
        return False
    if nal_type == _H264_FU_A and len(payload) > 1:
        fu_header = payload[1]
        return bool(fu_header & 0x80) and fu_header & 0x1F in (_H264_IDR, _H264_SPS)
    return False


def is_keyframe_start(codec: str, payload: bytes) -> bool:
    if codec == VP8:
        return vp8_is_keyframe_start(payload)
    if codec == H264:
        return h264_is_keyframe_start(payload)
    return True


class Vp8PictureIdRewriter:
    """Keeps a DownTrack's VP8 picture ids and TL0PICIDX continuous when its source changes.

    A receiver reads a jump in picture id as lost frames, so each switch rebases the new source
    to follow the last id sent; ids move on by the source's own steps (which keeps its gaps, and
    reordered packets stay in place). Output always uses 15-bit ids.
    """

    __slots__ = ("_last_in", "_last_out", "_last_tl0_in", "_last_tl0_out", "_rebase")

    def __init__(self) -> None:
        self._last_in: int | None = None
        self._last_out: int | None = None
        self._last_tl0_in: int | None = None
        self._last_tl0_out: int | None = None
        self._rebase = True

    def switch(self) -> None:
        self._rebase = True

    def rewrite(self, payload: bytes) -> bytes:
        fields = vp8_fields(payload)
        if fields is None or fields[0] is None:
            return payload
        picture_id, bits, tl0, tid, size = fields
        return self.descriptor(payload[0], payload[1], picture_id, bits, tl0, tid) + payload[size:]

    def descriptor(self, b0: int, x: int, picture_id: int, bits: int, tl0: int | None, tid: int | None) -> bytes:
        """The rewritten payload descriptor of a packet whose descriptor starts with `b0`, `x`
        and carries these fields (from `vp8_fields`); the payload after it is unchanged."""
        rebase = self._rebase or self._last_in is None
        self._rebase = False
        if bits == 15 and not rebase:
            # The common case, written out: a 15-bit source needs no widening.
            delta = (picture_id - self._last_in) & 0x7FFF
            if delta >= 0x4000:
                out_id = (self._last_out + delta - 0x8000) & 0x7FFF
            else:
                out_id = (self._last_out + delta) & 0x7FFF
                self._last_in, self._last_out = picture_id, out_id
        else:
            out_id = self._map(picture_id, 1 << bits, rebase, tl0=False)
        if tl0 is None:
            if tid is None:
                return _VP8_DESCRIPTOR.pack(b0, x | 0x80, 0x8000 | out_id)
            return _VP8_DESCRIPTOR_1.pack(b0, x | 0x80, 0x8000 | out_id, tid)
        out_tl0 = self._map(tl0, 256, rebase or self._last_tl0_in is None, tl0=True)
        if tid is None:
            return _VP8_DESCRIPTOR_1.pack(b0, x | 0x80, 0x8000 | out_id, out_tl0)
        return _VP8_DESCRIPTOR_2.pack(b0, x | 0x80, 0x8000 | out_id, out_tl0, tid)

    def _map(self, value: int, modulus: int, rebase: bool, *, tl0: bool) -> int:
        out_mod = 256 if tl0 else 0x8000
        last_in, last_out = (self._last_tl0_in, self._last_tl0_out) if tl0 else (self._last_in, self._last_out)
        if rebase or last_in is None:
            out = 0 if last_out is None else (last_out + 1) % out_mod
            delta = 1
        else:
            delta = (value - last_in) % modulus
            if delta >= modulus // 2:
                delta -= modulus
            out = (last_out + delta) % out_mod
        if delta >= 0:
            if tl0:
                self._last_tl0_in, self._last_tl0_out = value, out
            else:
                self._last_in, self._last_out = value, out
        return out
