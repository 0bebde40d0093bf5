"""From RTP packets to the codec's own frames, without decoding: VP8 (RFC 7741: drop the payload
descriptor, a frame ends at the marker bit), H.264 (RFC 6184: single NAL units, STAP-A and FU-A
into an Annex B access unit) and Opus (one packet is one frame).

`FrameAssembler` collects one track's packets in sequence order and gives back whole frames; a
frame with a missing packet is dropped, and after a drop video waits for the next keyframe (a
frame that refers to a lost one would show garbage), which the caller should ask the publisher
for."""

from __future__ import annotations

from dataclasses import dataclass, field

from conference.media.payloads import (
    H264,
    OPUS,
    VP8,
    h264_is_keyframe_start,
    parse_vp8_descriptor,
    vp8_is_keyframe_start,
)

_START_CODE = b"\x00\x00\x00\x01"
_STAP_A = 24
_FU_A = 28
MAX_FRAME_PACKETS = 2000  # a frame spread over more packets than this is not a frame we will ever finish


@dataclass(slots=True)
class Frame:
    timestamp: int  # RTP timestamp (32 bits)
    data: bytes
    keyframe: bool
    arrival: float  # wall time its first packet arrived


def vp8_frame_part(payload: bytes) -> bytes:
    return payload[parse_vp8_descriptor(payload).size:]


def h264_frame_part(payload: bytes) -> bytes:
    """Annex B bytes for one packet. FU-A fragments: the start carries the rebuilt NAL header."""
    if not payload:
        raise ValueError("empty H.264 payload")
    nal_type = payload[0] & 0x1F
    if nal_type == _STAP_A:
        out = []
        pos = 1
        while pos + 2 <= len(payload):
            size = (payload[pos] << 8) | payload[pos + 1]
            pos += 2
            if size == 0 or pos + size > len(payload):
                raise ValueError("STAP-A unit truncated")
            out.append(_START_CODE + payload[pos:pos + size])
            pos += size
        return b"".join(out)
    if nal_type == _FU_A:
        if len(payload) < 2:
            raise ValueError("FU-A truncated")
        header = payload[1]
        if header & 0x80:  # start: the original NAL header is the FU indicator's F/NRI + the FU type
            return _START_CODE + bytes([(payload[0] & 0xE0) | (header & 0x1F)]) + payload[2:]
        return payload[2:]
    if 1 <= nal_type <= 23:
        return _START_CODE + payload
    raise ValueError(f"H.264 packetization type {nal_type} is not supported")


@dataclass
class FrameAssembler:
    codec: str
    packets: dict[int, tuple[bytes, int, float]] = field(default_factory=dict)  # seq -> payload, marker, arrival
    timestamp: int | None = None
    expect_seq: int | None = None  # the first sequence number of the frame being collected
    need_keyframe: bool = True
    dropped_frames: int = 0

    def add(self, seq: int, timestamp: int, marker: int, payload: bytes, arrival: float) -> list[Frame]:
        """Frames completed by this packet (video: its frame when the marker closes it; a frame left
        incomplete when a newer timestamp starts is dropped)."""
        if self.codec == OPUS:
            if not payload:
                return []
            return [Frame(timestamp, payload, True, arrival)]
        out: list[Frame] = []
        if self.timestamp is not None and timestamp != self.timestamp:
            if ((timestamp - self.timestamp) & 0xFFFFFFFF) >= 0x80000000:
                return []  # a late packet of a frame already given up
            self._give_up()
        if self.timestamp is None:
            self.timestamp = timestamp
        self.packets[seq] = (payload, marker, arrival)
        if len(self.packets) > MAX_FRAME_PACKETS:
            self._give_up()
            return out
        if marker:
            frame = self._complete()
            if frame is not None:
                out.append(frame)
        return out

    def _give_up(self) -> None:
        if self.packets:
            self.dropped_frames += 1
            self.need_keyframe = True
        self.packets.clear()
        self.timestamp = None

    def _complete(self) -> Frame | None:
        ref = next(iter(self.packets))
        seqs = sorted(self.packets, key=lambda s: (s - ref + 0x8000) & 0xFFFF)  # wrap-safe order
        first = seqs[0]
        contiguous = all(((seqs[i] - first) & 0xFFFF) == i for i in range(len(seqs)))
        timestamp = self.timestamp
        parts = [self.packets[s] for s in seqs]
        self.packets.clear()
        self.timestamp = None
        if not contiguous or not self._starts_frame(parts[0][0]):
            self.dropped_frames += 1
            self.need_keyframe = True
            return None
        keyframe = self._is_keyframe(parts[0][0])
        if self.need_keyframe and not keyframe:
            return None
        try:
            if self.codec == VP8:
                data = b"".join(vp8_frame_part(p[0]) for p in parts)
            else:
                data = b"".join(h264_frame_part(p[0]) for p in parts)
        except ValueError:
            self.dropped_frames += 1
            self.need_keyframe = True
            return None
        self.need_keyframe = False
        assert timestamp is not None
        return Frame(timestamp, data, keyframe, parts[0][2])

    def _starts_frame(self, payload: bytes) -> bool:
        if self.codec == VP8:
            return bool(payload) and bool(payload[0] & 0x10) and not payload[0] & 0x0F
        if not payload:
            return False
        nal_type = payload[0] & 0x1F
        return nal_type != _FU_A or (len(payload) > 1 and bool(payload[1] & 0x80))

    def _is_keyframe(self, payload: bytes) -> bool:
        if self.codec == VP8:
            return vp8_is_keyframe_start(payload)
        if self.codec == H264:
            return h264_is_keyframe_start(payload)
        return True


def vp8_size(frame: bytes) -> tuple[int, int] | None:
    """Width and height from a VP8 keyframe's header (RFC 6386 9.1)."""
    if len(frame) < 10 or frame[0] & 0x01 or frame[3:6] != b"\x9d\x01\x2a":
        return None
    return (frame[6] | (frame[7] << 8)) & 0x3FFF, (frame[8] | (frame[9] << 8)) & 0x3FFF
