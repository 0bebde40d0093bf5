"""Choosing what an endpoint sends: `--video` and `--audio` name a source, and `MediaSet` hands out
a fresh audio + high + low track triple for every media connection (a closed connection stops its
tracks; the devices behind them stay open across reconnects).

Video: `test` (pre-encoded test scene, no encoding CPU), `scene` (the test scene rendered and
encoded live, real clock), `/dev/videoN` or `v4l2:/dev/videoN` (USB camera), `rtsp://`, `http(s)://`
(IP camera), `file:PATH` or an existing file path (looped), `none`.
Audio: `test` (pre-encoded tone), `tone` (live), `alsa:DEVICE` (e.g. `alsa:default`, `alsa:hw:1`),
`url` (the video URL's audio), `file:PATH`, `none`."""

from __future__ import annotations

import asyncio
import fractions
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import av
from aiortc import RTCPeerConnection, RTCRtpSender
from aiortc.contrib.media import MediaPlayer, MediaRelay
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from endpoints.clip_tracks import ClipTrack, attach_clip_sender
from endpoints.clips import LAYERS, Clip, load_clip
from endpoints.guarded import GuardedTrack, ScaledTrack
from endpoints.scene import SAMPLE_RATE, render_scene, render_tone

URL_SCHEMES = ("rtsp://", "rtsps://", "http://", "https://", "rtmp://", "udp://", "srt://")


class SourceError(ValueError):
    """An unusable --video/--audio value: a usage error, reported before anything starts."""


@dataclass(frozen=True)
class SourceSpec:
    kind: str  # test, scene, tone, v4l2, alsa, url, file, none
    target: str = ""

    @property
    def label(self) -> str:
        return f"{self.kind}:{self.target}" if self.target else self.kind


def parse_video(value: str) -> SourceSpec:
    value = value.strip()
    if value in ("test", "scene", "none"):
        return SourceSpec(value)
    if value.startswith("v4l2:"):
        return SourceSpec("v4l2", value[5:])
    if value.startswith("/dev/video"):
        return SourceSpec("v4l2", value)
    if value.startswith(URL_SCHEMES):
        return SourceSpec("url", value)
    path = value[5:] if value.startswith("file:") else value
    if Path(path).is_file():
        return SourceSpec("file", str(Path(path).resolve()))
    raise SourceError(f"--video {value!r}: expected test, scene, none, /dev/videoN, an rtsp/http URL or a file")


def parse_audio(value: str, video: SourceSpec) -> SourceSpec:
    value = value.strip()
    if value in ("test", "tone", "none"):
        return SourceSpec(value)
    if value.startswith("alsa:"):
        return SourceSpec("alsa", value[5:] or "default")
    if value == "url":
        if video.kind not in ("url", "file"):
            raise SourceError("--audio url takes the sound of a --video URL or file")
        return SourceSpec(video.kind, video.target)
    path = value[5:] if value.startswith("file:") else value
    if Path(path).is_file():
        return SourceSpec("file", str(Path(path).resolve()))
    raise SourceError(f"--audio {value!r}: expected test, tone, none, alsa:DEVICE, url or a file")


class SceneTrack(MediaStreamTrack):
    """The test scene rendered live with the wall clock (costs encoding CPU, unlike `test`)."""

    kind = "video"

    def __init__(self, name: str, fps: int = 30) -> None:
        super().__init__()
        self._name, self._fps = name, fps
        self._start = time.monotonic()
        self._count = 0

    async def recv(self) -> av.VideoFrame:
        if self.readyState != "live":
            raise MediaStreamError
        due = self._start + self._count / self._fps
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        width, height = LAYERS["high"][:2]
        frame = av.VideoFrame.from_ndarray(render_scene(self._name, due - self._start, width, height),
                                           format="bgr24")
        frame.pts, frame.time_base = int(self._count * 90000 / self._fps), fractions.Fraction(1, 90000)
        self._count += 1
        return frame


class ToneTrack(MediaStreamTrack):
    """A live tone, one second on, three off."""

    kind = "audio"

    def __init__(self, name: str) -> None:
        super().__init__()
        self._name = name
        self._start = time.monotonic()
        self._samples = 0

    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        due = self._start + self._samples / SAMPLE_RATE
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        speaking = math.floor(self._samples / SAMPLE_RATE) % 4 == 0
        samples = render_tone(self._name, self._samples, 960, speaking=speaking)
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = SAMPLE_RATE
        frame.pts, frame.time_base = self._samples, fractions.Fraction(1, SAMPLE_RATE)
        self._samples += 960
        return frame


def _player_opener(target: str, kind: str, fmt: str | None = None, loop: bool = False,
                   options: dict[str, str] | None = None) -> Callable[[], MediaStreamTrack]:
    def open_track() -> MediaStreamTrack:
        player = MediaPlayer(target, format=fmt, options=options or {}, loop=loop, timeout=5)
        track = player.video if kind == "video" else player.audio
        if track is None:
            raise av.FFmpegError(0, f"{target} has no {kind} stream")
        return track
    return open_track


@dataclass
class MediaSet:
    """What one endpoint publishes. `tracks()` and `attach()` are called once per media connection."""

    name: str
    endpoint_id: str
    video: SourceSpec
    audio: SourceSpec
    var_dir: Path
    codec: str = "vp8"
    slot: int = 0
    camera_state: str = "off"
    microphone_state: str = "off"
    _relay: MediaRelay = field(default_factory=MediaRelay)
    _guards: dict[str, MediaStreamTrack] = field(default_factory=dict)
    _clips: dict[tuple[str, str], Clip] = field(default_factory=dict)
    on_state: Callable[[str, str], None] | None = None

    def prepare(self) -> None:
        """Load (encoding once if needed) the clips for the default codec; open nothing else yet."""
        if self.video.kind == "test":
            self.camera_state = "test"
            for layer in ("high", "low"):
                self._clip(layer, self.codec)
        if self.audio.kind == "test":
            self.microphone_state = "test"
            self._clip("audio", "opus")

    def _clip(self, key: str, codec: str) -> Clip:
        if (key, codec) not in self._clips:
            if key == "audio":
                clip = load_clip(self.var_dir, self.name, "audio", slot=self.slot, key=self.endpoint_id)
            else:
                clip = load_clip(self.var_dir, self.name, "video", codec, key, key=self.endpoint_id)
            self._clips[(key, codec)] = clip
        return self._clips[(key, codec)]

    def _state(self, kind: str, state: str) -> None:
        if kind == "video":
            self.camera_state = state
        else:
            self.microphone_state = state
        if self.on_state is not None:
            self.on_state(kind, state)

    def _guard(self, kind: str, spec: SourceSpec) -> MediaStreamTrack:
        if kind in self._guards:
            return self._guards[kind]
        if spec.kind == "v4l2":
            # The camera's own mode: asking for a size or rate it lacks would fail to open; frames are scaled anyway.
            opener = _player_opener(spec.target, kind, "v4l2")
        elif spec.kind == "alsa":
            opener = _player_opener(spec.target, kind, "alsa")
        elif spec.kind == "url":
            options = {"rtsp_transport": "tcp"} if spec.target.startswith("rtsp") else {}
            opener = _player_opener(spec.target, kind, options=options)
        elif spec.kind == "file":
            opener = _player_opener(spec.target, kind, loop=True)
        else:
            raise SourceError(f"not a device source: {spec.label}")
        guard = GuardedTrack(kind, opener, self.name, on_state=self._state)
        self._guards[kind] = guard
        return guard

    def _clip_track(self, key: str, codec: str) -> ClipTrack:
        if key == "audio":
            clip = self._clip("audio", "opus")
            # Audio clips follow the wall clock, so the fleet's speaking turns take place in order.
            return ClipTrack(clip, start_offset=time.time() % float(clip.duration * clip.time_base))
        return ClipTrack(self._clip(key, codec))

    def tracks(self, codec: str | None = None) -> list[tuple[str, MediaStreamTrack]]:
        """[(layer, track)] in the order the protocol wants them offered: audio, high, low. `codec` is
        the meeting's video codec (pre-encoded clips must match it)."""
        codec = codec or self.codec
        out: list[tuple[str, MediaStreamTrack]] = []
        if self.audio.kind == "test":
            out.append(("audio", self._clip_track("audio", codec)))
        elif self.audio.kind == "tone":
            self.microphone_state = "test"
            out.append(("audio", ToneTrack(self.name)))
        elif self.audio.kind != "none":
            out.append(("audio", self._relay.subscribe(self._guard("audio", self.audio), buffered=False)))
        if self.video.kind == "test":
            out += [("high", self._clip_track("high", codec)), ("low", self._clip_track("low", codec))]
        elif self.video.kind == "scene":
            self.camera_state = "test"
            if "scene" not in self._guards:
                self._guards["scene"] = SceneTrack(self.name)
            source = self._guards["scene"]
            out += [("high", self._relay.subscribe(source, buffered=False)),
                    ("low", ScaledTrack(self._relay.subscribe(source, buffered=False), *LAYERS["low"][:2]))]
        elif self.video.kind != "none":
            source = self._guard("video", self.video)
            out += [("high", ScaledTrack(self._relay.subscribe(source, buffered=False), *LAYERS["high"][:2])),
                    ("low", ScaledTrack(self._relay.subscribe(source, buffered=False), *LAYERS["low"][:2]))]
        return out

    def attach(self, pc: RTCPeerConnection, tracks: list[tuple[str, MediaStreamTrack]]) -> dict[str, RTCRtpSender]:
        """Add `tracks` to `pc` as sendonly transceivers, in order, with the clip hooks where needed;
        returns each layer's sender."""
        senders = {}
        for layer, track in tracks:
            transceiver = pc.addTransceiver(track, direction="sendonly")
            senders[layer] = transceiver.sender
            if isinstance(track, ClipTrack):
                attach_clip_sender(transceiver.sender, track)
            elif layer == "low":
                _limit_bitrate(transceiver.sender, LAYERS["low"][2])
        return senders

    def close(self) -> None:
        for track in self._guards.values():
            track.stop()
        self._guards.clear()


def _limit_bitrate(sender: object, bitrate: int) -> None:
    """aiortc's VP8 encoder starts at 500 kbit/s and clamps at 250 kbit/s: ask for the low layer's rate as
    soon as the encoder exists (the SFU's REMB may lower it further)."""
    original = sender._next_encoded_frame  # type: ignore[attr-defined]

    async def next_frame(codec):  # type: ignore[no-untyped-def]
        frame = await original(codec)
        encoder = getattr(sender, "_RTCRtpSender__encoder", None)
        if encoder is not None and hasattr(encoder, "target_bitrate") and encoder.target_bitrate > bitrate:
            encoder.target_bitrate = bitrate
        return frame

    sender._next_encoded_frame = next_frame  # type: ignore[attr-defined]
