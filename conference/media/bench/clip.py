"""The benchmark's media: a generated clip encoded once (VP8 360p high, 180p low, Opus), cached
under `var/bench/`, so load clients send pre-encoded frames and spend no CPU encoding.

The clip has one keyframe, at its start: a publisher asked for a keyframe jumps back to the
start, which is a real keyframe followed by frames that reference it, so every frame a
subscriber receives stays decodable.
"""

from __future__ import annotations

import fractions
import struct
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

FPS = 30
SECONDS = 10
HIGH = (640, 360, 500_000)
LOW = (320, 180, 150_000)
AUDIO_BITRATE = 32_000
CLIP_VERSION = 1


@dataclass
class Clip:
    high: list[bytes]  # one encoded VP8 frame per 1/30 s, frame 0 a keyframe
    low: list[bytes]
    audio: list[bytes]  # one Opus packet per 20 ms


def _frames(width: int, height: int, count: int):
    rng = np.random.default_rng(7)
    yy, xx = np.mgrid[0:height, 0:width]
    texture = rng.integers(0, 12, size=(height, width), dtype=np.uint8)
    for i in range(count):
        # Moving gradients, a moving block and fixed texture: enough detail and motion that the
        # encoder has to spend its target bitrate, like a camera picture of a meeting room.
        y = ((xx * 255 // width + i * 3) % 256).astype(np.uint8) // 2 + texture
        cx = int((width - width // 4) * (0.5 + 0.5 * np.sin(i / 20)))
        y[height // 3 : height // 3 + height // 4, cx : cx + width // 4] = 235 - (i % 50)
        u = np.full((height // 2, width // 2), 128 + int(40 * np.sin(i / 30)), dtype=np.uint8)
        v = ((yy[::2, ::2] * 255 // height + i) % 256).astype(np.uint8) // 4 + 96
        frame = av.VideoFrame(width, height, "yuv420p")
        frame.planes[0].update(np.ascontiguousarray(y))
        frame.planes[1].update(np.ascontiguousarray(u))
        frame.planes[2].update(np.ascontiguousarray(v))
        frame.pts = i
        frame.time_base = fractions.Fraction(1, FPS)
        yield frame


def _encode_video(width: int, height: int, bitrate: int) -> list[bytes]:
    codec = av.CodecContext.create("libvpx", "w")
    codec.width, codec.height = width, height
    codec.pix_fmt = "yuv420p"
    codec.bit_rate = bitrate
    codec.framerate = fractions.Fraction(FPS, 1)
    codec.time_base = fractions.Fraction(1, FPS)
    codec.gop_size = FPS * SECONDS * 2
    codec.options = {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0", "error-resilient": "1",
                     "minrate": str(bitrate), "maxrate": str(bitrate), "undershoot-pct": "95",
                     "static-thresh": "0", "max-intra-rate": "600"}
    out = []
    for frame in _frames(width, height, FPS * SECONDS):
        out.extend(bytes(p) for p in codec.encode(frame))
    out.extend(bytes(p) for p in codec.encode(None))
    return out[: FPS * SECONDS]


def _encode_audio() -> list[bytes]:
    codec = av.CodecContext.create("libopus", "w")
    codec.sample_rate = 48000
    codec.layout = "stereo"
    codec.format = "s16"
    codec.bit_rate = AUDIO_BITRATE
    codec.time_base = fractions.Fraction(1, 48000)
    rng = np.random.default_rng(3)
    out = []
    samples_per_packet = 960
    for i in range(SECONDS * 50):
        t = (np.arange(samples_per_packet) + i * samples_per_packet) / 48000
        mono = 6000 * np.sin(2 * np.pi * (180 + 40 * np.sin(i / 10)) * t) + rng.normal(0, 800, samples_per_packet)
        data = np.repeat(mono.astype(np.int16), 2).reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(data, format="s16", layout="stereo")
        frame.sample_rate = 48000
        frame.pts = i * samples_per_packet
        frame.time_base = fractions.Fraction(1, 48000)
        out.extend(bytes(p) for p in codec.encode(frame))
    return out


def _write(path: Path, clip: Clip) -> None:
    """Three lists of packets, each as a count then length-prefixed packets."""
    parts = []
    for packets in (clip.high, clip.low, clip.audio):
        parts.append(struct.pack("!I", len(packets)))
        parts.extend(struct.pack("!I", len(p)) + p for p in packets)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(b"".join(parts))
    tmp.replace(path)


def _read(path: Path) -> Clip:
    data = path.read_bytes()
    pos = 0
    lists = []
    for _ in range(3):
        (count,) = struct.unpack_from("!I", data, pos)
        pos += 4
        packets = []
        for _ in range(count):
            (size,) = struct.unpack_from("!I", data, pos)
            packets.append(data[pos + 4 : pos + 4 + size])
            pos += 4 + size
        lists.append(packets)
    return Clip(*lists)


def load_clip(var_dir: Path) -> Clip:
    path = Path(var_dir) / "bench" / f"clip-vp8-v{CLIP_VERSION}.bin"
    if path.exists():
        return _read(path)
    clip = Clip(high=_encode_video(*HIGH), low=_encode_video(*LOW), audio=_encode_audio())
    path.parent.mkdir(parents=True, exist_ok=True)
    _write(path, clip)
    return clip


def clip_bitrates(clip: Clip) -> dict[str, float]:
    return {"high_kbps": sum(map(len, clip.high)) * 8 / SECONDS / 1000,
            "low_kbps": sum(map(len, clip.low)) * 8 / SECONDS / 1000,
            "audio_kbps": sum(map(len, clip.audio)) * 8 / SECONDS / 1000}
