"""Keyframe starts found in real encoder output, VP8 and H.264, without decoding."""

from __future__ import annotations

import fractions

import av
import numpy as np
import pytest

from conference.media.bench.packetize import vp8_chunks, vp8_payload
from conference.media.payloads import h264_is_keyframe_start, is_keyframe_start, vp8_is_keyframe_start


def _encode(codec_name: str, count: int = 12) -> list[tuple[bytes, bool]]:
    """Encoded frames and whether the encoder marked each a keyframe; frame 6 is forced to one."""
    codec = av.CodecContext.create(codec_name, "w")
    codec.width, codec.height, codec.pix_fmt = 160, 96, "yuv420p"
    codec.time_base = fractions.Fraction(1, 30)
    codec.gop_size = 8
    if codec_name == "libx264":
        codec.options = {"tune": "zerolatency", "preset": "ultrafast", "bframes": "0", "keyint": "8"}
    out = []
    for i in range(count):
        img = np.full((96, 160, 3), (i * 20) % 255, dtype=np.uint8)
        img[10:40, i * 5 : i * 5 + 30] = 250
        frame = av.VideoFrame.from_ndarray(img, format="rgb24").reformat(format="yuv420p")
        frame.pts = i
        if i == 6:
            frame.pict_type = av.video.frame.PictureType.I
        out.extend((bytes(p), p.is_keyframe) for p in codec.encode(frame))
    out.extend((bytes(p), p.is_keyframe) for p in codec.encode(None))
    return out


def test_vp8_keyframes_found_in_first_packet_only() -> None:
    frames = _encode("libvpx")
    keys = []
    for n, (frame, is_key) in enumerate(frames):
        packets = [vp8_payload(chunk, i == 0, n) for i, chunk in enumerate(vp8_chunks(frame))]
        keys.append(vp8_is_keyframe_start(packets[0]))
        assert keys[-1] == is_key
        assert not any(vp8_is_keyframe_start(p) for p in packets[1:])
    assert keys[0] and keys[6]
    assert 2 <= sum(keys) < len(keys)


def _annexb_nals(data: bytes) -> list[bytes]:
    parts = data.replace(b"\x00\x00\x00\x01", b"\x00\x00\x01").split(b"\x00\x00\x01")
    return [p for p in parts if p]


def _h264_packets(nals: list[bytes], mtu: int = 300) -> list[bytes]:
    """RFC 6184: parameter sets aggregated in a STAP-A, large NALs split into FU-A."""
    packets = []
    small = [n for n in nals if n[0] & 0x1F in (7, 8)]
    if small:
        packets.append(bytes([24]) + b"".join(len(n).to_bytes(2, "big") + n for n in small))
    for nal in (n for n in nals if n[0] & 0x1F not in (7, 8)):
        if len(nal) <= mtu:
            packets.append(nal)
            continue
        header, body = nal[0], nal[1:]
        chunks = [body[i : i + mtu] for i in range(0, len(body), mtu)]
        for i, chunk in enumerate(chunks):
            fu_header = (0x80 if i == 0 else 0) | (0x40 if i == len(chunks) - 1 else 0) | (header & 0x1F)
            packets.append(bytes([(header & 0xE0) | 28, fu_header]) + chunk)
    return packets


@pytest.mark.parametrize("mtu", [300, 100000])
def test_h264_keyframes_found_in_stap_a_fu_a_and_single_nal_packets(mtu: int) -> None:
    frames = _encode("libx264")
    keys = []
    for frame, is_key in frames:
        packets = _h264_packets(_annexb_nals(frame), mtu)
        keys.append(h264_is_keyframe_start(packets[0]))
        assert keys[-1] == is_key
        assert not any(h264_is_keyframe_start(p) for p in packets[1:] if p[0] & 0x1F == 28)
    assert keys[0] and keys[6] and sum(keys) < len(keys)


def test_h264_fu_a_continuation_is_not_a_keyframe_start() -> None:
    assert h264_is_keyframe_start(bytes([0x7C, 0x85]) + b"x")  # FU-A start of an IDR slice
    assert not h264_is_keyframe_start(bytes([0x7C, 0x05]) + b"x")  # FU-A middle of it
    assert not h264_is_keyframe_start(bytes([0x41]) + b"x")  # non-IDR slice
    assert is_keyframe_start("opus", b"\x01")  # audio needs no gating
