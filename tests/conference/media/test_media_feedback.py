"""Keyframe requests toward publishers are rate limited; NACKs are answered from the leg."""

from __future__ import annotations

import asyncio
import struct

from conference.media.downtrack import DownTrack, DownTrackParameters
from conference.media.keyframes import KeyframeRequestLimiter
from conference.media.rtp import ExtensionIds, RtpView, parse_rtp
from conference.media.uptrack import RemoteUpTrack


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_keyframe_requests_merge_to_one_per_interval_and_none_is_forgotten() -> None:
    clock = Clock()
    sent: list[float] = []
    limiter = KeyframeRequestLimiter(lambda: sent.append(clock.now), interval=0.5, clock=clock)
    for step in range(20):  # 20 subscribers ask within 190 ms
        clock.now = 100.0 + step * 0.01
        limiter.request()
    assert sent == [100.0]
    limiter.poll()
    assert len(sent) == 1  # still inside the interval
    clock.now = 100.6
    limiter.poll()
    assert sent == [100.0, 100.6]  # the merged requests got one keyframe request
    limiter.poll()
    assert len(sent) == 2
    clock.now = 101.2
    assert limiter.request() is True
    assert limiter.suppressed == 19


def test_a_keyframe_answers_the_requests_before_it_and_a_later_switch_waits_only_the_short_gap() -> None:
    clock = Clock()
    sent: list[float] = []
    limiter = KeyframeRequestLimiter(lambda: sent.append(clock.now), interval=0.5, min_gap=0.3, clock=clock)
    assert limiter.request() is True
    clock.now = 100.01
    assert limiter.request() is False  # the keyframe already asked for will serve this one too
    clock.now = 100.04
    limiter.keyframe_received()
    clock.now = 100.7
    limiter.poll()
    assert sent == [100.0]  # one keyframe for both
    # A subscriber switches to this source right after a keyframe went by: it gets a new one
    # after the short gap, not after the whole interval.
    clock.now = 100.75
    assert limiter.request() is True
    clock.now = 100.79
    limiter.keyframe_received()
    clock.now = 100.85
    assert limiter.request() is False
    clock.now = 101.0
    limiter.poll()
    assert sent == [100.0, 100.75]
    clock.now = 101.06
    limiter.poll()
    assert sent == [100.0, 100.75, 101.06]


def test_the_recorders_requests_never_delay_a_live_switch() -> None:
    clock = Clock()
    sent: list[float] = []
    limiter = KeyframeRequestLimiter(lambda: sent.append(clock.now), interval=0.5, min_gap=0.3, clock=clock,
                                     background_gap=1.0)
    # The program recording switches in the same tick as the chair's view: its request waits for
    # the tick, the live one goes at once, and the one keyframe serves both.
    assert limiter.request(background=True) is False
    clock.now = 100.001
    assert limiter.request() is True
    clock.now = 100.03
    limiter.keyframe_received()
    clock.now = 100.1
    limiter.poll()
    assert sent == [100.001]
    # The recorder lost a frame and asks alone: sent from the next tick.
    clock.now = 102.0
    limiter.request(background=True)
    assert sent == [100.001]
    limiter.poll()
    assert sent == [100.001, 102.0]
    clock.now = 102.03
    limiter.keyframe_received()
    # A speaker switch right after the recorder's keyframe went by is not held back by it.
    clock.now = 102.05
    assert limiter.request() is True
    assert sent == [100.001, 102.0, 102.05]
    # The recorder asking over and over gets at most one request per background gap, and none
    # while a live request waits for its keyframe.
    for step in range(30):
        clock.now = 102.1 + step * 0.1
        limiter.request(background=True)
        limiter.poll()
        if step % 3 == 2:
            limiter.keyframe_received()
    assert sent == [100.001, 102.0, 102.05, 103.1, 104.1]
    assert limiter.background_sent == 3


class Upstream:
    """What remote tracks ask of their owner worker."""

    def __init__(self) -> None:
        self.keyframes: list[str] = []
        self.background: list[bool] = []
        self.nacks: list[tuple[str, list[int]]] = []

    def keyframe_request(self, track: RemoteUpTrack, background: bool = False) -> None:
        self.keyframes.append(track.track_id)
        self.background.append(background)

    def nack_request(self, track: RemoteUpTrack, sequence_numbers: list[int]) -> None:
        self.nacks.append((track.track_id, sequence_numbers))


def _downtrack(out: list[bytes], rtx: bool) -> DownTrack:
    params = DownTrackParameters(mid="1", kind="video", codec="vp8", clock_rate=90000, payload_type=96,
                                 rtx_payload_type=97 if rtx else None, ssrc=1111, rtx_ssrc=2222,
                                 extensions=ExtensionIds(mid=1))
    return DownTrack(params, out.append)


def _remote(upstream: Upstream) -> RemoteUpTrack:
    return RemoteUpTrack(track_id="p/high", participant_id="p", kind="video", layer="high", codec="vp8",
                         clock_rate=90000, owner=0, number=1, upstream=upstream)


def _keyframe(seq: int) -> RtpView:
    return RtpView(100, 1, seq, seq * 3000, 5, bytes([0x10, 0x00]) + b"frame-%d" % seq)


async def test_nack_is_answered_with_rtx_from_the_downtracks_history() -> None:
    out: list[bytes] = []
    upstream = Upstream()
    downtrack = _downtrack(out, rtx=True)
    source = _remote(upstream)
    downtrack.bind(source)
    for seq in range(10, 15):
        source.dispatch(_keyframe(seq))
    originals = [parse_rtp(p) for p in out]
    out.clear()
    lost = originals[2].sequence_number
    downtrack.on_nack([lost, (lost + 1000) & 0xFFFF])
    assert len(out) == 1
    rtx = parse_rtp(out[0])
    assert rtx.ssrc == 2222 and rtx.payload_type == 97
    assert struct.unpack("!H", rtx.payload[:2])[0] == lost
    assert rtx.payload[2:] == originals[2].payload
    assert rtx.timestamp == originals[2].timestamp
    # What the DownTrack never sent is asked of the publisher, in the publisher's numbering.
    assert upstream.nacks == [("p/high", [(10 + 2 + 1000) & 0xFFFF])]
    assert downtrack.retransmitted == 1


async def test_a_remote_track_asks_its_owner_once_per_loop_live_if_anyone_live_asked() -> None:
    upstream = Upstream()
    source = _remote(upstream)
    source.request_keyframe(background=True)
    source.request_keyframe()
    source.request_keyframe(background=True)
    await asyncio.sleep(0)
    source.request_keyframe(background=True)
    await asyncio.sleep(0)
    assert upstream.keyframes == ["p/high", "p/high"]
    assert upstream.background == [False, True]


async def test_nack_without_rtx_resends_the_same_packet() -> None:
    out: list[bytes] = []
    downtrack = _downtrack(out, rtx=False)
    source = _remote(Upstream())
    downtrack.bind(source)
    source.dispatch(_keyframe(7))
    original = out[0]
    downtrack.on_nack([parse_rtp(original).sequence_number])
    assert out[1] == original


def _uptrack(layer: str, ssrc: int, sent: list[bytes], bitrate: int):
    from conference.media.uptrack import UpTrack

    return UpTrack(track_id=f"p/{layer}", participant_id="p", kind="video", layer=layer, codec="vp8",
                   clock_rate=90000, ssrc=ssrc, rtx_ssrc=None, rtcp_ssrc=42, send_rtcp=sent.append,
                   audio_level_id=0, capture_time_id=0, max_bitrate=bitrate)


def test_one_remb_per_publisher_covers_all_its_video_tracks() -> None:
    from aiortc.rtp import RtcpPacket, unpack_remb_fci

    from conference.media.transport import remb

    high, low = _uptrack("high", 1001, [], 800_000), _uptrack("low", 1002, [], 200_000)
    (packet,) = RtcpPacket.parse(remb(42, [high, low]))
    bitrate, ssrcs = unpack_remb_fci(packet.fci)
    # REMB is an estimate for the whole transport: two messages with per-track values would
    # make the publisher's encoder budget jump between them.
    assert ssrcs == [1001, 1002] and abs(bitrate - 1_000_000) < 10_000


def test_upstream_loss_is_nacked_once_and_counted() -> None:
    from aiortc.rtp import RtcpPacket

    sent: list[bytes] = []
    track = _uptrack("high", 1001, sent, 800_000)
    for seq in (10, 11, 14, 15, 12):  # 12 and 13 missing; 12 arrives late (a retransmission)
        track.receive(RtpView(100, 1, seq, seq * 3000, 1001, b"\x10\x00x"))
    nacks = [p for data in sent for p in RtcpPacket.parse(data)]
    assert len(nacks) == 1 and nacks[0].lost == [12, 13] and nacks[0].media_ssrc == 1001
    assert track.stats.expected == 6 and track.stats.lost == 1
    # A subscriber's NACK for a packet the relay never got is passed on only if it is missing.
    sent.clear()
    track.nack([13, 11])
    assert [p.lost for data in sent for p in RtcpPacket.parse(data)] == [[13]]
