"""What a DownTrack does with each packet, decided without I/O: drop, renumber, ask for a keyframe."""

from __future__ import annotations

from conference.media.forwarder import KEYFRAME_RETRY, Forwarder


def _video() -> Forwarder:
    return Forwarder("video", 90000, first_sequence_number=1000, first_timestamp=50_000)


def test_video_is_held_back_until_the_first_keyframe_and_then_numbered_from_the_start() -> None:
    f = _video()
    assert f.bind(now=10.0) is True  # ask the new source for a keyframe now
    assert f.translate(7, 9000, keyframe=False, now=10.01) is None
    assert f.translate(8, 12000, keyframe=True, now=10.02) == (1000, 50_000)
    assert f.translate(9, 15000, keyframe=False, now=10.05) == (1001, 53_000)
    assert f.translate(11, 18000, keyframe=False, now=10.08) == (1003, 56_000)  # a loss stays a gap
    assert len(f.switch_delays) == 1 and abs(f.switch_delays[0] - 0.02) < 1e-9  # switch to first picture


def test_a_switch_continues_the_numbering_and_the_clock_of_what_was_sent() -> None:
    f = _video()
    f.bind(now=0.0)
    f.translate(100, 3000, keyframe=True, now=0.0)
    last = f.translate(101, 6000, keyframe=False, now=0.033)
    assert last == (1001, 53_000)
    f.bind(now=0.05)
    assert f.translate(40_000, 777_000, keyframe=False, now=0.06) is None  # not a keyframe yet
    assert f.translate(102, 9000, keyframe=False, now=0.07) is None  # the old source: not bound any more
    first = f.translate(40_001, 780_000, keyframe=True, now=0.133)
    assert first is not None
    seq, ts = first
    assert seq == 1002
    assert ts == 53_000 + int(0.1 * 90000)  # the wall time since the last packet sent, in 90 kHz ticks
    assert f.translate(40_002, 783_000, keyframe=False, now=0.15) == (1003, ts + 3000)
    assert f.translate(40_000, 777_000, keyframe=False, now=0.16) is None  # from before the switch point
    assert f.switches == 2


def test_audio_switches_at_once_without_waiting_for_anything() -> None:
    f = Forwarder("audio", 48000, first_sequence_number=5, first_timestamp=960)
    assert f.bind(now=1.0) is False
    assert f.translate(300, 123_456, keyframe=False, now=1.0) == (5, 960)
    assert f.bind(now=1.02) is False
    assert f.translate(9, 1, keyframe=False, now=1.04) == (6, 960 + int(0.04 * 48000))


def test_the_keyframe_request_is_repeated_while_none_comes_and_stops_when_one_does() -> None:
    f = _video()
    f.bind(now=5.0)
    assert f.keyframe_due(5.0 + KEYFRAME_RETRY - 0.01) is False
    assert f.keyframe_due(5.0 + KEYFRAME_RETRY + 0.01) is True
    assert f.keyframe_due(5.0 + KEYFRAME_RETRY + 0.1) is False  # just asked again
    assert f.keyframe_due(5.0 + 2 * KEYFRAME_RETRY + 0.02) is True
    f.translate(1, 1, keyframe=True, now=6.5)
    assert f.waiting_keyframe is False
    assert f.keyframe_due(10.0) is False
    f.unbind()
    assert f.keyframe_due(20.0) is False


def test_nacked_packets_map_back_to_the_sources_numbers_once_the_mapping_is_known() -> None:
    f = _video()
    f.bind(now=0.0)
    assert f.upstream([1000]) == []  # nothing sent from this source yet
    f.translate(65_530, 0, keyframe=True, now=0.0)
    assert f.upstream([1000, 1007]) == [65_530, 1]  # across the source's wrap


def test_a_long_stream_keeps_flowing_past_the_sequence_wrap() -> None:
    f = Forwarder("audio", 48000, first_sequence_number=0, first_timestamp=0)
    f.bind(now=0.0)
    out = [f.translate((60_000 + n) & 0xFFFF, n * 960, keyframe=False, now=n * 0.02) for n in range(70_000)]
    assert all(o is not None for o in out)
    assert [o[0] for o in out[-3:]] == [(70_000 - 3) & 0xFFFF, (70_000 - 2) & 0xFFFF, (70_000 - 1) & 0xFFFF]


def test_sender_reports_extrapolate_the_rtp_clock_from_the_last_packet_sent() -> None:
    f = _video()
    assert f.rtp_timestamp_at(1.0) is None
    f.bind(now=1.0)
    f.translate(1, 100, keyframe=True, now=1.0)
    assert f.rtp_timestamp_at(1.5) == 50_000 + 45_000
