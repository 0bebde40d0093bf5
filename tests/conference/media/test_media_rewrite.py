"""A subscriber's DownTrack stays one continuous RTP stream while its source changes."""

from __future__ import annotations

import asyncio

from conference.media.downtrack import DownTrack, DownTrackParameters
from conference.media.payloads import parse_vp8_descriptor
from conference.media.rtp import ExtensionIds, RtpView, parse_rtp
from conference.media.uptrack import RemoteUpTrack


def _vp8(first: bool, keyframe: bool, picture_id: int, body: bytes = b"\x00" * 30) -> bytes:
    tag = 0x00 if keyframe else 0x01
    b0 = 0x90 if first else 0x80
    return bytes([b0, 0x80, 0x80 | (picture_id >> 8), picture_id & 0xFF, tag]) + body


def _packet(seq: int, ts: int, payload: bytes, marker: int = 1, level: int | None = None) -> RtpView:
    return RtpView(96, marker, seq, ts, 1234, payload, {}, level)


class Upstream:
    def __init__(self, requests: list[str]) -> None:
        self.requests = requests

    def keyframe_request(self, track: RemoteUpTrack, background: bool = False) -> None:
        self.requests.append(track.track_id)

    def nack_request(self, track: RemoteUpTrack, sequence_numbers: list[int]) -> None:
        pass


def _downtrack(sent: list[bytes], codec: str = "vp8", kind: str = "video") -> DownTrack:
    params = DownTrackParameters(mid="3", kind=kind, codec=codec, clock_rate=90000 if kind == "video" else 48000,
                                 payload_type=100, rtx_payload_type=101, ssrc=0xAABBCCDD, rtx_ssrc=0x11223344,
                                 extensions=ExtensionIds(mid=1, abs_send_time=3, abs_capture_time=5))
    return DownTrack(params, sent.append)


def _source(name: str, requests: list[str], layer: str = "high") -> RemoteUpTrack:
    kind = "audio" if layer == "audio" else "video"
    return RemoteUpTrack(track_id=f"{name}/{layer}", participant_id=name, kind=kind, layer=layer,
                         codec="opus" if kind == "audio" else "vp8", clock_rate=48000 if kind == "audio" else 90000,
                         owner=1, number=1, upstream=Upstream(requests))


def _feed(source: RemoteUpTrack, seq: int, ts: int, payload: bytes) -> None:
    source.dispatch(_packet(seq, ts, payload))


async def test_switch_keeps_sequence_and_timestamp_continuous_and_waits_for_a_keyframe() -> None:
    sent: list[bytes] = []
    requests: list[str] = []
    downtrack = _downtrack(sent)
    a, b = _source("dc-a", requests), _source("dc-b", requests)

    downtrack.bind(a)
    _feed(a, 100, 9000, _vp8(True, False, 7))  # not a keyframe: held back
    assert sent == []
    _feed(a, 101, 12000, _vp8(True, True, 8))
    _feed(a, 102, 15000, _vp8(True, False, 9))
    _feed(a, 104, 18000, _vp8(True, False, 10))  # 103 lost upstream: the gap must survive
    first = [parse_rtp(p) for p in sent]
    assert [p.sequence_number - first[0].sequence_number for p in first] == [0, 1, 3]
    assert [p.timestamp - first[0].timestamp for p in first] == [0, 3000, 6000]
    assert all(p.ssrc == 0xAABBCCDD and p.payload_type == 100 for p in first)
    assert first[0].extensions[1] == b"3"  # this leg's mid

    await asyncio.sleep(0.05)
    sent.clear()
    downtrack.bind(b)
    await asyncio.sleep(0)  # the keyframe request is sent on the next loop turn
    assert requests[-1] == "dc-b/high"
    _feed(a, 105, 21000, _vp8(True, False, 11))  # old source: no longer forwarded
    _feed(b, 50000, 700000, _vp8(True, False, 300))  # new source, but not a keyframe yet
    assert sent == []
    _feed(b, 50001, 703000, _vp8(True, True, 301))
    _feed(b, 50002, 706000, _vp8(True, False, 302))
    _feed(b, 49999, 697000, _vp8(True, False, 299))  # late packet from before the keyframe
    after = [parse_rtp(p) for p in sent]
    assert len(after) == 2
    assert after[0].sequence_number == (first[-1].sequence_number + 1) & 0xFFFF
    # The timestamp moves on by the wall time between the two sources (about 50 ms), not by
    # the new source's own clock.
    step = (after[0].timestamp - first[-1].timestamp) & 0xFFFFFFFF
    assert 90000 * 0.03 < step < 90000 * 0.5
    assert after[1].timestamp - after[0].timestamp == 3000
    # VP8 picture ids continue from the last one sent on this DownTrack.
    ids = [parse_vp8_descriptor(p.payload).picture_id for p in first + after]
    assert ids[3:] == [ids[2] + 1, ids[2] + 2]
    assert ids[:3] == [ids[0], ids[0] + 1, ids[0] + 2]


def test_seven_bit_picture_ids_are_widened_and_wrap_cleanly() -> None:
    from conference.media.payloads import Vp8PictureIdRewriter

    rewriter = Vp8PictureIdRewriter()
    out = []
    for pid in [125, 126, 127, 0, 1]:
        payload = bytes([0x90, 0x80, pid, 0x00]) + b"body"
        rewritten = rewriter.rewrite(payload)
        desc = parse_vp8_descriptor(rewritten)
        assert desc.picture_id_bits == 15 and rewritten[desc.size:] == b"\x00body"
        out.append(desc.picture_id)
    assert [x - out[0] for x in out] == [0, 1, 2, 3, 4]


def test_audio_switch_is_continuous_without_keyframe_gating() -> None:
    sent: list[bytes] = []
    downtrack = _downtrack(sent, codec="opus", kind="audio")
    a, b = _source("a", [], "audio"), _source("b", [], "audio")
    downtrack.bind(a)
    a.dispatch(_packet(10, 960, b"opus-a", marker=0, level=30))
    downtrack.bind(b)
    b.dispatch(_packet(9000, 5, b"opus-b", marker=0, level=40))
    first, second = (parse_rtp(p) for p in sent)
    assert second.sequence_number == first.sequence_number + 1
    assert second.payload == b"opus-b"
    assert second.timestamp != first.timestamp


async def test_a_long_running_source_keeps_flowing_past_the_sequence_wrap() -> None:
    sent: list[bytes] = []
    downtrack = _downtrack(sent, codec="opus", kind="audio")
    source = _source("a", [], "audio")
    downtrack.bind(source)
    for n in range(70_000):  # more than the whole 16-bit space: about 23 minutes of Opus
        source.dispatch(_packet((60_000 + n) & 0xFFFF, n * 960, b"o", marker=0))
    assert len(sent) == 70_000
    last, previous = parse_rtp(sent[-1]), parse_rtp(sent[-2])
    assert last.sequence_number == (previous.sequence_number + 1) & 0xFFFF
