"""Pre-encoded clips of the test scene, made once per endpoint and codec and cached under
`var/endpoints/clips/`, so that sending them costs no encoding CPU.

A clip file is a sequence of records `<q pts><B flag><I size><size bytes>`; `flag` is 1 for a video
keyframe, or the RFC 6464 audio level of an Opus packet. A JSON file beside it describes the clip.
The format is ours on purpose: the packets come straight from the encoder (H.264 in Annex B form,
as aiortc's packetiser expects), with no container to convert them."""

from __future__ import annotations

import json
import logging
import os
import struct
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from endpoints.scene import SAMPLE_RATE, level_dbov, render_scene, render_tone

log = logging.getLogger(__name__)

CLIP_VERSION = 4
FPS = 30
VIDEO_SECONDS = 2
VIDEO_TIME_BASE = Fraction(1, 90000)
AUDIO_TIME_BASE = Fraction(1, SAMPLE_RATE)
OPUS_FRAME = 960  # 20 ms
# Each endpoint speaks (a tone) for SPEAK_SECONDS in a cycle of the whole fleet, so that the
# dominant speaker rotates through the districts instead of everyone talking at once.
SPEAK_SECONDS = 3
FLEET_SIZE = 26
LAYERS = {"high": (640, 360, 500_000), "low": (320, 180, 150_000)}
RECORD = struct.Struct("<qBI")


@dataclass(frozen=True)
class ClipPacket:
    data: bytes
    pts: int
    flag: int


@dataclass(frozen=True)
class Clip:
    kind: str  # "video" or "audio"
    codec: str  # "vp8", "h264" or "opus"
    time_base: Fraction
    duration: int  # in time_base units; the loop length
    packets: tuple[ClipPacket, ...]

    @property
    def keyframes(self) -> list[int]:
        return [i for i, p in enumerate(self.packets) if p.flag] if self.kind == "video" else []

    @property
    def bitrate(self) -> float:
        seconds = float(self.duration * self.time_base)
        return sum(len(p.data) for p in self.packets) * 8 / seconds if seconds else 0.0


def clip_dir(var_dir: Path) -> Path:
    return Path(var_dir) / "endpoints" / "clips"


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name)[:64]


def _write(path: Path, meta: dict, packets: list[ClipPacket]) -> None:
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    with tmp.open("wb") as out:
        for p in packets:
            out.write(RECORD.pack(p.pts, p.flag, len(p.data)))
            out.write(p.data)
    tmp.replace(path)  # atomic: fleet processes may encode the same clip at once
    meta_tmp = path.with_suffix(f".json.tmp{os.getpid()}")
    meta_tmp.write_text(json.dumps(meta))
    meta_tmp.replace(path.with_suffix(".json"))


def _read(path: Path) -> Clip:
    meta = json.loads(path.with_suffix(".json").read_text())
    raw = path.read_bytes()
    packets, offset = [], 0
    while offset < len(raw):
        pts, flag, size = RECORD.unpack_from(raw, offset)
        offset += RECORD.size
        packets.append(ClipPacket(raw[offset:offset + size], pts, flag))
        offset += size
    if not packets:
        raise ValueError(f"clip {path} is empty")
    return Clip(meta["kind"], meta["codec"], Fraction(meta["time_base"]), meta["duration"], tuple(packets))


def _video_encoder(codec: str, width: int, height: int, bitrate: int) -> av.CodecContext:
    if codec == "vp8":
        ctx = av.CodecContext.create("libvpx", "w")
        ctx.options = {"deadline": "realtime", "cpu-used": "16", "lag-in-frames": "0", "auto-alt-ref": "0",
                       "error-resilient": "1", "static-thresh": "0"}
    elif codec == "h264":
        ctx = av.CodecContext.create("libx264", "w")
        # Constrained baseline, no B-frames: what aiortc and browsers negotiate (packetization-mode 1).
        ctx.options = {"preset": "veryfast", "tune": "zerolatency", "profile": "baseline",
                       "x264-params": f"keyint={FPS}:min-keyint={FPS}:scenecut=0:bframes=0:repeat-headers=1"}
    else:
        raise ValueError(f"video codec must be vp8 or h264, not {codec!r}")
    ctx.width, ctx.height, ctx.pix_fmt = width, height, "yuv420p"
    ctx.time_base = Fraction(1, FPS)
    ctx.framerate = Fraction(FPS, 1)
    ctx.bit_rate = bitrate
    ctx.gop_size = FPS  # a keyframe every second bounds how long a new subscriber waits
    return ctx


def encode_video(name: str, codec: str, layer: str) -> list[ClipPacket]:
    width, height, bitrate = LAYERS[layer]
    ctx = _video_encoder(codec, width, height, bitrate)
    packets: list[ClipPacket] = []
    frames = FPS * VIDEO_SECONDS
    step = int(1 / (FPS * VIDEO_TIME_BASE))

    def collect(encoded: list[av.Packet]) -> None:
        for p in encoded:
            packets.append(ClipPacket(bytes(p), len(packets) * step, 1 if p.is_keyframe else 0))

    for i in range(frames):
        t = i / FPS
        image = render_scene(name, t, width, height, clock=f"{int(t) // 60:02d}:{t % 60:05.2f}")
        frame = av.VideoFrame.from_ndarray(image, format="bgr24").reformat(format="yuv420p")
        frame.pts = i
        if i == 0:
            frame.pict_type = av.video.frame.PictureType.I
        collect(ctx.encode(frame))
    collect(ctx.encode(None))
    if not packets or not packets[0].flag:
        raise RuntimeError(f"{codec} clip for {name} does not start with a keyframe")
    return packets


def encode_audio(name: str, slot: int) -> list[ClipPacket]:
    """A tone during this endpoint's turn in the fleet's speaking cycle, near-silence otherwise."""
    ctx = av.CodecContext.create("libopus", "w")
    ctx.sample_rate = SAMPLE_RATE
    ctx.layout = "mono"
    ctx.format = "s16"
    ctx.bit_rate = 32000
    cycle = SPEAK_SECONDS * FLEET_SIZE * SAMPLE_RATE
    speak_from, speak_to = (slot % FLEET_SIZE) * SPEAK_SECONDS * SAMPLE_RATE, 0
    speak_to = speak_from + SPEAK_SECONDS * SAMPLE_RATE
    packets: list[ClipPacket] = []
    levels: list[int] = []
    for start in range(0, cycle, OPUS_FRAME):
        samples = render_tone(name, start, OPUS_FRAME, speaking=speak_from <= start < speak_to)
        levels.append(level_dbov(samples))
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = SAMPLE_RATE
        frame.pts = start
        for p in ctx.encode(frame):
            packets.append(ClipPacket(bytes(p), len(packets) * OPUS_FRAME, levels[len(packets)]))
    for p in ctx.encode(None):
        if len(packets) < len(levels):
            packets.append(ClipPacket(bytes(p), len(packets) * OPUS_FRAME, levels[len(packets)]))
    return packets


def load_clip(var_dir: Path, name: str, kind: str, codec: str = "vp8", layer: str = "high", slot: int = 0,
              key: str | None = None) -> Clip:
    """The cached clip, encoding it first if needed. `key` names the cache entry (the endpoint id)."""
    folder = clip_dir(var_dir)
    folder.mkdir(parents=True, exist_ok=True)
    stem = _slug(key or name)
    if kind == "video":
        path = folder / f"v{CLIP_VERSION}-{stem}-{codec}-{layer}.bin"
    else:
        path = folder / f"v{CLIP_VERSION}-{stem}-opus-s{slot % FLEET_SIZE}.bin"
    if path.exists() and path.with_suffix(".json").exists():
        try:
            return _read(path)
        except (ValueError, struct.error, json.JSONDecodeError, KeyError) as exc:
            log.warning("cached clip %s unreadable (%s); encoding it again", path.name, exc)
    log.info("encoding %s clip %s (once; cached in %s)", kind, path.name, folder)
    if kind == "video":
        packets = encode_video(name, codec, layer)
        duration = FPS * VIDEO_SECONDS * int(1 / (FPS * VIDEO_TIME_BASE))
        meta = {"kind": "video", "codec": codec, "time_base": str(VIDEO_TIME_BASE), "duration": duration,
                "layer": layer, "size": LAYERS[layer][:2]}
    else:
        packets = encode_audio(name, slot)
        duration = len(packets) * OPUS_FRAME
        meta = {"kind": "audio", "codec": "opus", "time_base": str(AUDIO_TIME_BASE), "duration": duration}
    meta["version"] = CLIP_VERSION
    _write(path, meta, packets)
    return _read(path)


def decode_first_frame(clip: Clip) -> np.ndarray:
    """Decode the clip's first keyframe: proof that what is sent is decodable."""
    decoder = av.CodecContext.create({"vp8": "libvpx", "h264": "h264"}.get(clip.codec, clip.codec), "r")
    for packet in clip.packets[:2]:
        for frame in decoder.decode(av.Packet(packet.data)):
            return frame.to_ndarray(format="bgr24")
    raise ValueError("the clip's first packets decode to no frame")
