"""The relay's Python hot path alone, for instruction counts that do not depend on machine load.

One publisher's VP8 high track (a keyframe every 30 packets) and Opus track, each received by 13
subscribers on the publisher's worker and 13 on another, reached through a `MeshFeed`: per
packet, what `Transport` does after decryption (parse) through `UpTrack.receive`, the mesh frame
packed and unpacked, the `RemoteUpTrack`, and every `DownTrack` building its packet. SRTP,
sockets and the event loop are left out (C code and system calls outside this package).

    python -m conference.media.bench.hotpath 3000      # prints µs of CPU per forwarded packet
    valgrind --tool=callgrind --callgrind-out-file=/dev/null \\
        python -m conference.media.bench.hotpath 3000   # "Collected" = instructions
Run it for two packet counts and divide the difference in instructions by the difference in
forwarded packets: that removes start-up.
"""

from __future__ import annotations

import asyncio
import sys
import time

from ..downtrack import DownTrack, DownTrackParameters
from ..mesh import MeshFeed, unpack_media
from ..rtp import ExtensionIds, abs_capture_time_now, build_rtp, pack_extensions, parse_rtp
from ..uptrack import RemoteUpTrack, UpTrack

SUBSCRIBERS_PER_WORKER = 13


class _Upstream:
    def keyframe_request(self, track: RemoteUpTrack) -> None:
        pass

    def nack_request(self, track: RemoteUpTrack, sequence_numbers: list[int]) -> None:
        pass


def _discard(data: bytes) -> None:
    pass


def _downtrack(kind: str, mid: int) -> DownTrack:
    video = kind == "video"
    return DownTrack(DownTrackParameters(
        mid=str(mid), kind=kind, codec="vp8" if video else "opus", clock_rate=90000 if video else 48000,
        payload_type=96 if video else 111, rtx_payload_type=97 if video else None, ssrc=1000 + mid,
        rtx_ssrc=2000 + mid, extensions=ExtensionIds(mid=1, audio_level=0 if video else 2, abs_send_time=3,
                                                     abs_capture_time=5)), _discard)


def _packets(kind: str, count: int) -> list[bytes]:
    capture = abs_capture_time_now()
    out = []
    for i in range(count):
        if kind == "video":
            start = bytes([0x90, 0x80, 0x80 | ((i >> 8) & 0x7F), i & 0xFF, 0x00 if i % 30 == 0 else 0x01])
            out.append(build_rtp(96, 1, i & 0xFFFF, i * 3000, 42, start + bytes(1000),
                                 pack_extensions([(1, b"0"), (5, capture)])))
        else:
            out.append(build_rtp(111, 0, i & 0xFFFF, i * 960, 42, bytes(80),
                                 pack_extensions([(1, b"0"), (2, bytes([30])), (5, capture)])))
    return out


def run(count: int) -> int:
    """Relay `count` packets of each track; the number of packets the DownTracks sent."""
    forwarded = 0
    for kind in ("video", "audio"):
        video = kind == "video"
        track = dict(participant_id="p", kind=kind, layer="high" if video else "audio",
                     codec="vp8" if video else "opus", clock_rate=90000 if video else 48000)
        track_id = f"p/{track['layer']}"
        local = UpTrack(track_id=track_id, **track, ssrc=42, rtx_ssrc=None, rtcp_ssrc=1, send_rtcp=_discard,
                        audio_level_id=0 if video else 2, capture_time_id=5, max_bitrate=0)
        remote = RemoteUpTrack(track_id=track_id, **track, owner=0, number=1, upstream=_Upstream())
        frames: list[bytes] = []
        feed = MeshFeed(0, 1, lambda worker, frame, frames=frames: frames.append(frame))
        feed.workers.add(1)
        local.add_sink(feed)
        downtracks = [_downtrack(kind, i) for i in range(2 * SUBSCRIBERS_PER_WORKER)]
        for i, downtrack in enumerate(downtracks):
            downtrack.bind(local if i < SUBSCRIBERS_PER_WORKER else remote)
        for data in _packets(kind, count):
            local.receive(parse_rtp(data))
            for frame in frames:
                remote.dispatch(unpack_media(frame)[2])
            frames.clear()
        forwarded += sum(d.packets for d in downtracks)
    return forwarded


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 3000

    async def relay() -> int:  # RemoteUpTracks defer their keyframe requests to the loop
        return run(count)

    started = time.process_time()
    forwarded = asyncio.run(relay())
    print(f"forwarded {forwarded} packets, {1e6 * (time.process_time() - started) / forwarded:.2f} µs CPU "
          f"per forwarded packet (Python hot path only)")


if __name__ == "__main__":
    main()
