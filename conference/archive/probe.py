"""What a recorded file holds, read back without trusting the recorder's own index: its codec
and duration (PyAV's demuxer, packet by packet: a file cut short has no duration in its header),
and whether every frame decodes (the ffmpeg that imageio-ffmpeg ships, `-f null`: it has no
ffprobe). Used by the manifest, by `giaoban archive verify` and by the tests; never during a
meeting."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import av


@dataclass(frozen=True)
class Probe:
    codec: str
    kind: str  # audio or video
    duration: float  # seconds from the first packet's start to the last one's end
    packets: int
    width: int | None = None
    height: int | None = None


def probe(path: Path) -> Probe:
    """Raises `av.FFmpegError` (or ValueError for a file without a stream) when it cannot be read."""
    with av.open(str(path)) as container:
        if not container.streams:
            raise ValueError(f"{path.name}: no stream")
        stream = container.streams[0]
        first = last = None
        last_duration = 0
        packets = 0
        for packet in container.demux(stream):
            if packet.pts is None:
                continue
            packets += 1
            if first is None:
                first = packet.pts
            if last is None or packet.pts >= last:
                last, last_duration = packet.pts, packet.duration or 0
        time_base = stream.time_base
        duration = 0.0 if first is None or last is None else float((last + last_duration - first) * time_base)
        width = getattr(stream, "width", None) if stream.type == "video" else None
        height = getattr(stream, "height", None) if stream.type == "video" else None
        return Probe(codec=stream.codec.name if stream.codec else "", kind=stream.type, duration=duration,
                     packets=packets, width=width, height=height)


@dataclass(frozen=True)
class DecodeCheck:
    frames: int
    errors: list[str]


def decode_check(path: Path) -> DecodeCheck:
    """Decode every frame with ffmpeg (imageio-ffmpeg's binary): one `framecrc` line per decoded
    frame on stdout, decoder complaints on stderr."""
    import imageio_ffmpeg

    result = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error",
                             "-i", str(path), "-map", "0:0", "-f", "framecrc", "-"],
                            capture_output=True, text=True, timeout=300)
    frames = sum(1 for line in result.stdout.splitlines() if line.strip() and not line.startswith("#"))
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    if result.returncode != 0:
        errors.append(f"ffmpeg exited with {result.returncode}")
    return DecodeCheck(frames=frames, errors=errors)
