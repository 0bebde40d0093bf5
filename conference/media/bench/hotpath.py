"""The relay's Python hot path alone, for instruction counts that do not depend on machine load.

One publisher's VP8 high track (a keyframe every 30 packets) and Opus track, each received by 13
subscribers on the publisher's worker and 13 on another, reached through a `MeshFeed`: per
packet, what `Transport` does after decryption (parse) through `UpTrack.receive`, the mesh frame
packed and unpacked, the `RemoteUpTrack`, and every `DownTrack` building its packet. Sockets and
the event loop are left out (system calls and libuv, outside this package); SRTP too unless
`--srtp` (then each received packet is decrypted and each sent one encrypted with libsrtp, as
`FastPath` does).

    python -m conference.media.bench.hotpath 3000      # prints µs of CPU per forwarded packet
    valgrind --tool=callgrind --callgrind-out-file=/dev/null \\
        python -m conference.media.bench.hotpath 3000   # "Collected" = instructions
    python -m conference.media.bench.hotpath 3000 --subscribers 0 --srtp   # per received packet
    python -m conference.media.bench.hotpath 3000 --record   # with each track's recording sink
With `--record` each track also has its `RecordSink`, whose `RecorderLink` sends to a socket
drained by a child process (not counted), flushed every 100 received packets as its 20 ms timer
would in a 26-district meeting: the recording's cost on the relay process.
Run it for two packet counts and divide the difference in instructions by the difference in
forwarded (or received) packets: that removes start-up. Making the input packets is counted
too (~21k instructions per packet, ~10k more to encrypt them with `--srtp`): it matters only
for the per-received figure.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import time
from collections.abc import Callable

import pylibsrtp

from ..downtrack import DownTrack, DownTrackParameters
from ..fastpath import SrtpCodec
from ..mesh import MeshFeed, unpack_media
from ..recorder import SOCKET_BYTES, RecorderLink, RecordSink
from ..rtp import ExtensionIds, abs_capture_time_now, build_rtp, pack_extensions, parse_rtp
from ..uptrack import RemoteUpTrack, UpTrack

SUBSCRIBERS_PER_WORKER = 13


class _Upstream:
    def keyframe_request(self, track: RemoteUpTrack, background: bool = False) -> None:
        pass

    def nack_request(self, track: RemoteUpTrack, sequence_numbers: list[int]) -> None:
        pass


def _discard(data: bytes) -> None:
    pass


def _srtp_pair() -> tuple[SrtpCodec, SrtpCodec]:
    """An outbound and an inbound codec on one random key, with aiortc's preferred profile."""
    key = os.urandom(28)
    profile = pylibsrtp.Policy.SRTP_PROFILE_AEAD_AES_128_GCM
    return tuple(SrtpCodec(pylibsrtp.Session(pylibsrtp.Policy(key=key, ssrc_type=direction, srtp_profile=profile)))
                 for direction in (pylibsrtp.Policy.SSRC_ANY_OUTBOUND, pylibsrtp.Policy.SSRC_ANY_INBOUND))


def _downtrack(kind: str, mid: int, send: Callable[[bytes], None]) -> DownTrack:
    video = kind == "video"
    return DownTrack(DownTrackParameters(
        mid=str(mid), kind=kind, codec="vp8" if video else "opus", clock_rate=90000 if video else 48000,
        payload_type=96 if video else 111, rtx_payload_type=97 if video else None, ssrc=1000 + mid,
        rtx_ssrc=2000 + mid, extensions=ExtensionIds(mid=1, audio_level=0 if video else 2, abs_send_time=3,
                                                     abs_capture_time=5)), send)


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


def _recorder_link() -> tuple[RecorderLink, int]:
    """A link whose socket a child process drains, as the recorder would (its CPU not counted)."""
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    for s in (ours, theirs):
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SOCKET_BYTES)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, SOCKET_BYTES)
    pid = os.fork()
    if pid == 0:
        ours.close()
        while theirs.recv(1 << 20):
            pass
        os._exit(0)
    theirs.close()
    ours.setblocking(False)
    link = RecorderLink()
    link.sock = ours
    return link, pid


def run(count: int, subscribers: int = SUBSCRIBERS_PER_WORKER, srtp: bool = False, record: bool = False,
        one_worker: bool = False) -> int:
    """Relay `count` packets of each track to `subscribers` DownTracks on each of two workers (or
    all `2 * subscribers` on the publisher's worker, as room affinity places a room: `one_worker`);
    the number of packets the DownTracks sent."""
    forwarded = 0
    link, drain = _recorder_link() if record else (None, 0)
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
        if not one_worker:
            feed.workers.add(1)
            local.add_sink(feed)
        send: Callable[[bytes], None] = _discard
        packets = _packets(kind, count)
        unprotect: Callable[[bytes], bytes] = bytes
        if srtp:
            publisher, receiver = _srtp_pair()
            packets = [publisher.protect(p) for p in packets]
            unprotect = receiver.unprotect
            protect = _srtp_pair()[0].protect

            def send(data: bytes, protect=protect) -> None:
                protect(data)
        downtracks = [_downtrack(kind, i, send) for i in range(2 * subscribers)]
        for i, downtrack in enumerate(downtracks):
            downtrack.bind(local if one_worker or i < subscribers else remote)
        if link is not None:
            local.add_sink(RecordSink(1 if video else 2, local, link))
        for n, data in enumerate(packets):
            local.receive(parse_rtp(unprotect(data)))
            for frame in frames:
                remote.dispatch(unpack_media(frame)[2])
            frames.clear()
            if link is not None and n % 100 == 99:
                link.flush()
        forwarded += sum(d.packets for d in downtracks)
    if link is not None:
        link.flush()
        if link.dropped:
            print(f"recording: {link.dropped} of {link.packets} packets dropped (the drain fell behind)")
        link.close()
        os.waitpid(drain, 0)
    return forwarded


def main() -> None:
    parser = argparse.ArgumentParser(description="The relay's Python hot path alone")
    parser.add_argument("count", type=int, nargs="?", default=3000, help="packets of each track")
    parser.add_argument("--subscribers", type=int, default=SUBSCRIBERS_PER_WORKER,
                        help="DownTracks of each track on each of the two workers")
    parser.add_argument("--srtp", action="store_true", help="decrypt what is received, encrypt what is sent")
    parser.add_argument("--record", action="store_true", help="each track also recorded (its RecordSink)")
    parser.add_argument("--one-worker", action="store_true", help="every DownTrack on the publisher's worker "
                        "(a room on one worker: no mesh frame)")
    args = parser.parse_args()

    async def relay() -> int:  # RemoteUpTracks defer their keyframe requests to the loop
        return run(args.count, args.subscribers, args.srtp, args.record, args.one_worker)

    started = time.process_time()
    forwarded = asyncio.run(relay())
    cpu = time.process_time() - started
    received = 2 * args.count
    print(f"forwarded {forwarded} packets, received {received}: "
          + (f"{1e6 * cpu / forwarded:.2f} µs CPU per forwarded packet" if forwarded else
             f"{1e6 * cpu / received:.2f} µs CPU per received packet")
          + f" (Python hot path{' and SRTP' if args.srtp else ''}{', recorded' if args.record else ''})")


if __name__ == "__main__":
    main()
