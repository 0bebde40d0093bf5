"""The recorder process's writer fed RTP payloads exactly as publishers packetize them (aiortc's own
VP8, H.264 and Opus encoders and packetizers, in the test - the recorder never encodes): a stream
that starts without a keyframe, a codec change after renegotiation, the 32-bit RTP timestamp
wrapping, H.264 in FU-A/STAP-A, and audio/video aligned from sender reports."""

from __future__ import annotations

import fractions
import json
import socket
from pathlib import Path

import av
import numpy as np
import pytest
from aiortc.codecs import get_encoder
from aiortc.rtcrtpparameters import RTCRtpCodecParameters

from conference.archive.probe import decode_check, probe
from conference.archive.writer import Recorder
from conference.media.record_wire import KEYFRAME, encode_message, encode_packet

VP8 = RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000)
H264 = RTCRtpCodecParameters(mimeType="video/H264", clockRate=90000,
                             parameters={"packetization-mode": "1", "level-asymmetry-allowed": "1",
                                         "profile-level-id": "42e01f"})
OPUS = RTCRtpCodecParameters(mimeType="audio/opus", clockRate=48000, channels=2)
START = 1_765_000_000.0  # a wall time for the first frame


def video_frames(codec: RTCRtpCodecParameters, count: int, fps: int = 15, keyframe_every: int = 0,
                 noisy: bool = False):
    """(payloads, rtp timestamp offset) per frame, from aiortc's encoder; `noisy` pictures make
    frames bigger than one packet (fragmented)."""
    encoder = get_encoder(codec)
    rng = np.random.default_rng(7)
    out = []
    for n in range(count):
        img = np.full((120, 160, 3), 90, dtype=np.uint8)
        img[40:80, (n * 4) % 120:(n * 4) % 120 + 40] = 220
        if noisy:
            img = rng.integers(0, 255, (360, 640, 3), dtype=np.uint8)
        frame = av.VideoFrame.from_ndarray(img, format="rgb24")
        frame.pts = n * (90000 // fps)
        frame.time_base = fractions.Fraction(1, 90000)
        force = bool(keyframe_every) and n > 0 and n % keyframe_every == 0
        payloads, _ = encoder.encode(frame, force_keyframe=force)
        out.append((payloads, n * (90000 // fps)))
    return out


def audio_frames(count: int):
    encoder = get_encoder(OPUS)
    out = []
    for n in range(count):
        samples = (np.sin(np.arange(960) / 8 + n) * 4000).astype(np.int16)
        frame = av.AudioFrame.from_ndarray(np.repeat(samples, 2).reshape(1, -1), format="s16", layout="stereo")
        frame.sample_rate = 48000
        frame.pts = n * 960
        frame.time_base = fractions.Fraction(1, 48000)
        payloads, _ = encoder.encode(frame)
        out.append((payloads, n * 960))
    return out


class Feed:
    """One segment of a track, as a worker's RecordSink would send it."""

    def __init__(self, recorder: Recorder, key: int, name: str, codec: str, kind: str, clock: int,
                 base_ts: int = 1000, seq: int = 100, sync: bool = False) -> None:
        self.recorder, self.key, self.clock, self.base_ts, self.seq = recorder, key, clock, base_ts, seq
        recorder.handle(encode_message({"op": "open", "key": key, "room": "r", "dir": str(recorder_dir(recorder)),
                                        "name": name, "participant": "dc-vinh", "track": "high" if kind == "video"
                                        else "audio", "kind": kind, "codec": codec, "clock_rate": clock,
                                        "sync": sync}))

    def frame(self, payloads: list[bytes], ts_offset: int, arrival: float) -> None:
        ts = (self.base_ts + ts_offset) & 0xFFFFFFFF
        batch = b"B"
        for i, payload in enumerate(payloads):
            batch += encode_packet(self.key, self.seq & 0xFFFF, ts, int(i == len(payloads) - 1), False, arrival,
                                   payload)
            self.seq += 1
        self.recorder.handle(batch)

    def sender_report(self, wall: float, ts_offset: int) -> None:
        self.recorder.handle(encode_message({"op": "sr", "key": self.key, "ntp_unix": wall,
                                             "rtp": (self.base_ts + ts_offset) & 0xFFFFFFFF}))

    def end(self) -> None:
        self.recorder.handle(encode_message({"op": "end", "key": self.key, "dropped": 0}))


_dirs: dict[int, Path] = {}


def recorder_dir(recorder: Recorder) -> Path:
    return _dirs[id(recorder)]


@pytest.fixture
def recorder(tmp_path):  # type: ignore[no-untyped-def]
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    ours.setblocking(False)
    rec = Recorder(theirs)
    _dirs[id(rec)] = tmp_path
    rec.worker_side = ours  # type: ignore[attr-defined]
    yield rec
    ours.close()
    theirs.close()


def closed(directory: Path) -> dict[str, dict]:
    lines = [json.loads(line) for line in (directory / "index.jsonl").read_text().splitlines()]
    return {e["file"]: e for e in lines if e["event"] == "closed"}


def test_a_stream_without_a_keyframe_at_start_waits_for_one_and_asks(recorder: Recorder, tmp_path: Path) -> None:
    frames = video_frames(VP8, 60, keyframe_every=30)
    feed = Feed(recorder, 1, "dc-vinh-high", "vp8", "video", 90000)
    for n, (payloads, offset) in enumerate(frames[1:], start=1):  # the first keyframe never arrived
        feed.frame(payloads, offset, START + n / 15)
    asked = recorder.worker_side.recv(64)  # type: ignore[attr-defined]
    assert asked == KEYFRAME + (1).to_bytes(4, "big")  # the publisher is asked for a keyframe
    feed.end()
    recorder.close_room("r", "meeting ended")
    entry = closed(tmp_path)["dc-vinh-high.webm"]
    assert entry["frames"] == 30  # from the keyframe at frame 30 on: nothing undecodable before it
    assert entry["start"] == pytest.approx(START + 30 / 15, abs=0.01)
    check = decode_check(tmp_path / "dc-vinh-high.webm")
    assert check.frames == 30 and not check.errors


def test_a_codec_change_starts_the_next_numbered_file(recorder: Recorder, tmp_path: Path) -> None:
    first = Feed(recorder, 1, "dc-vinh-high", "vp8", "video", 90000)
    for n, (payloads, offset) in enumerate(video_frames(VP8, 30)):
        first.frame(payloads, offset, START + n / 15)
    first.end()
    # renegotiated as H.264 (FU-A and STAP-A packets): a new file, numbered, in Matroska
    second = Feed(recorder, 2, "dc-vinh-high", "h264", "video", 90000, base_ts=555_000, seq=9000)
    h264 = video_frames(H264, 30, noisy=True)
    types = {p[0] & 0x1F for payloads, _ in h264 for p in payloads}
    assert {24, 28} <= types  # STAP-A (parameter sets) and FU-A (fragments) both exercised
    for n, (payloads, offset) in enumerate(h264):
        second.frame(payloads, offset, START + 3 + n / 15)
    second.end()
    recorder.close_room("r", "meeting ended")
    files = closed(tmp_path)
    assert files["dc-vinh-high.webm"]["reason"] == "codec changed"
    assert files["dc-vinh-high.2.mkv"]["frames"] == 30
    assert probe(tmp_path / "dc-vinh-high.webm").codec == "vp8"
    assert probe(tmp_path / "dc-vinh-high.2.mkv").codec == "h264"
    for name in ("dc-vinh-high.webm", "dc-vinh-high.2.mkv"):
        check = decode_check(tmp_path / name)
        assert check.frames == 30 and not check.errors, (name, check)


def test_the_rtp_timestamp_wrapping_keeps_time_running(recorder: Recorder, tmp_path: Path) -> None:
    frames = video_frames(VP8, 45)
    feed = Feed(recorder, 1, "dc-vinh-high", "vp8", "video", 90000, base_ts=0xFFFFFFFF - 90000, seq=65500)
    for n, (payloads, offset) in enumerate(frames):  # wraps one second in (and the sequence numbers too)
        feed.frame(payloads, offset, START + n / 15)
    feed.end()
    recorder.close_room("r", "meeting ended")
    assert probe(tmp_path / "dc-vinh-high.webm").duration == pytest.approx(45 / 15, abs=0.1)
    assert decode_check(tmp_path / "dc-vinh-high.webm").frames == 45


def test_audio_and_video_are_aligned_from_sender_reports(recorder: Recorder, tmp_path: Path) -> None:
    """The publisher's video reaches the relay 300 ms late (arrival would misplace it); its sender
    reports put both tracks on the publisher's own clock."""
    video = Feed(recorder, 1, "dc-vinh-high", "vp8", "video", 90000, base_ts=7_000, sync=True)
    audio = Feed(recorder, 2, "dc-vinh-audio", "opus", "audio", 48000, base_ts=123_456, sync=True)
    video.sender_report(START, 0)
    audio.sender_report(START, 0)
    for n, (payloads, offset) in enumerate(video_frames(VP8, 30)):
        video.frame(payloads, offset, START + 0.3 + n / 15)
    for n, (payloads, offset) in enumerate(audio_frames(100)):
        audio.frame(payloads, offset, START + n * 0.02)
    video.end()
    audio.end()
    recorder.close_room("r", "meeting ended")
    files = closed(tmp_path)
    assert files["dc-vinh-high.webm"]["start"] == pytest.approx(START, abs=0.001)
    assert files["dc-vinh-audio.webm"]["start"] == pytest.approx(START, abs=0.001)
    assert decode_check(tmp_path / "dc-vinh-audio.webm").frames == 100
