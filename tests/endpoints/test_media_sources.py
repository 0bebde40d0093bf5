"""The endpoint's own media: pre-encoded clips (decodable, at the layer bitrates, keyframes where a
new subscriber needs them), their real-time sending (timestamps never go back, a keyframe request
is answered), the audio levels the SFU's speaker detection reads, and where passwords come from."""

from __future__ import annotations

import os
import random
from fractions import Fraction

import pytest

from endpoints.backoff import Backoff
from endpoints.clip_tracks import ClipTrack
from endpoints.clips import FPS, Clip, ClipPacket, decode_first_frame, encode_video, load_clip
from endpoints.credentials import CredentialsError, load_credentials
from endpoints.sources import SourceError, parse_audio, parse_video
from tests.endpoints.conftest import NAMES


@pytest.mark.parametrize("layer, size, target", [("high", (360, 640, 3), 500), ("low", (180, 320, 3), 150)])
def test_clip_layers_decode_at_their_bitrate(clip_dir, layer: str, size: tuple, target: int) -> None:  # type: ignore[no-untyped-def]
    clip = load_clip(clip_dir, NAMES["dc-vinh"], "video", "vp8", layer, key="dc-vinh")
    assert decode_first_frame(clip).shape == size
    assert 0.7 * target < clip.bitrate / 1000 < 1.3 * target
    keys = clip.keyframes
    assert keys[0] == 0 and all(b - a == FPS for a, b in zip(keys, keys[1:], strict=False))


def test_audio_clip_speaks_in_its_turn_only(clip_dir) -> None:  # type: ignore[no-untyped-def]
    clip = load_clip(clip_dir, NAMES["dc-vinh"], "audio", slot=0, key="dc-vinh")
    levels = [p.flag for p in clip.packets]
    assert max(levels[:100]) <= 30  # slot 0 speaks first: a -20 dBov tone
    assert min(levels[400:]) >= 55  # then near-silence for the others' turns
    assert clip.codec == "opus" and float(clip.duration * clip.time_base) == 78.0


def tiny_clip() -> Clip:
    """A real VP8 clip small enough to loop in a test: 2 keyframes in 8 frames."""
    import endpoints.clips as clips

    saved = clips.LAYERS["low"], clips.VIDEO_SECONDS, clips.FPS
    clips.LAYERS["low"], clips.VIDEO_SECONDS = (64, 36, 50_000), 1
    try:
        packets = encode_video("x", "vp8", "low")[:8]
    finally:
        clips.LAYERS["low"], clips.VIDEO_SECONDS, clips.FPS = saved
    packets = [ClipPacket(p.data, i * 3000, 1 if i in (0, 4) else 0) for i, p in enumerate(packets)]
    return Clip("video", "vp8", Fraction(1, 90000), 8 * 3000, tuple(packets))


async def test_clip_track_loops_forward_and_answers_keyframe_requests() -> None:
    clip = tiny_clip()
    track = ClipTrack(clip)
    sent = [await track.recv() for _ in range(10)]  # more than one loop
    stamps = [p.pts for p in sent]
    assert stamps == sorted(set(stamps)) and stamps[-1] == 9 * 3000
    assert bytes(sent[8]) == clip.packets[0].data  # looped back to the start
    track.request_keyframe()  # now at index 2 (not a keyframe): jump to the next one
    packet = await track.recv()
    assert bytes(packet) == clip.packets[4].data and packet.pts == 10 * 3000
    assert track.bytes_sent > 0


def test_sources_parse_and_refuse_with_a_usable_message(tmp_path) -> None:  # type: ignore[no-untyped-def]
    video = tmp_path / "hall.mp4"
    video.write_bytes(b"\0")
    assert parse_video("/dev/video0").kind == "v4l2"
    assert parse_video("rtsp://10.0.0.5/stream1").kind == "url"
    assert parse_video(str(video)).kind == "file"
    assert parse_audio("alsa:hw:1", parse_video("test")).target == "hw:1"
    with pytest.raises(SourceError, match="--video 'webcam'"):
        parse_video("webcam")
    with pytest.raises(SourceError, match="takes the sound of a --video URL"):
        parse_audio("url", parse_video("test"))


def test_credentials_come_from_env_or_a_private_file(tmp_path, monkeypatch, caplog) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("GIAOBAN_ENDPOINT_PASSWORD", raising=False)
    path = tmp_path / "dc-vinh.env"
    path.write_text("# endpoint TP Vinh\nGIAOBAN_ENDPOINT_PASSWORD='s3cret-pass'\n")
    os.chmod(path, 0o644)
    creds = load_credentials("dc-vinh", path, tmp_path)
    assert creds.password == "s3cret-pass" and "s3cret" not in repr(creds)
    assert "chmod 600" in caplog.text
    monkeypatch.setenv("GIAOBAN_ENDPOINT_PASSWORD", "from-env")
    assert load_credentials("dc-vinh", path, tmp_path).password == "from-env"
    monkeypatch.delenv("GIAOBAN_ENDPOINT_PASSWORD")
    path.write_text("USER=dc-vinh\n")
    with pytest.raises(CredentialsError, match="no GIAOBAN_ENDPOINT_PASSWORD"):
        load_credentials("dc-vinh", path, tmp_path)
    with pytest.raises(CredentialsError, match="dc-cualo.env"):
        load_credentials("dc-cualo", None, tmp_path)


def test_backoff_grows_with_jitter_and_stays_under_its_cap() -> None:
    backoff = Backoff(base=0.4, cap=3.0, rng=random.Random(7))
    delays = [backoff.next_delay() for _ in range(12)]
    assert all(0.2 <= d <= 3.0 for d in delays)
    assert max(delays[:2]) <= 0.8 and max(delays[6:]) > 1.5
    assert len({round(d, 3) for d in delays[6:]}) > 3  # jitter: endpoints do not retry in step
    backoff.reset()
    assert backoff.next_delay() <= 0.4


def test_counting_sink_counts_frames_and_proves_keyframes_decode(clip_dir) -> None:  # type: ignore[no-untyped-def]
    from types import SimpleNamespace

    from endpoints.sink import _CountingDecoder, counted

    clip = load_clip(clip_dir, NAMES["dc-vinh"], "video", "vp8", "low", key="dc-vinh")
    before = counted()
    decoder = _CountingDecoder("vp8")
    for packet in clip.packets[:31]:  # two keyframes: the first is checked, the second is not sampled
        assert decoder.decode(SimpleNamespace(data=packet.data)) == []  # nothing decoded for display
    garbage = _CountingDecoder("vp8")
    garbage.decode(SimpleNamespace(data=b"\x00" + bytes(40)))  # looks like a keyframe, is not one
    after = counted()
    assert after["frames"] - before["frames"] == 32
    assert after["keyframes_checked"] - before["keyframes_checked"] == 2
    assert after["keyframes_bad"] - before["keyframes_bad"] == 1
