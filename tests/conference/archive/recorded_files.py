"""A recorded participant's files as a worker's recorder writes them (real VP8 and Opus packets from
aiortc's encoders, muxed by the recorder's writer), for tests of sealing and verification."""

from __future__ import annotations

import socket
from pathlib import Path

from conference.archive.writer import Recorder
from tests.conference.archive.test_writer_faults import START, VP8, audio_frames, video_frames


def record_files(directory: Path) -> None:
    """What a worker's recorder writes for one participant: real VP8 and Opus packets muxed."""
    from conference.media.record_wire import encode_message, encode_packet

    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    recorder = Recorder(theirs)
    for key, name, codec, kind, clock, frames, step in (
            (1, "dc-vinh-high", "vp8", "video", 90000, video_frames_list(), 1 / 15),
            (2, "dc-vinh-audio", "opus", "audio", 48000, audio_frames(150), 0.02)):
        recorder.handle(encode_message({"op": "open", "key": key, "room": "meeting", "dir": str(directory),
                                        "name": name, "participant": "dc-vinh", "track": "high" if kind == "video"
                                        else "audio", "kind": kind, "codec": codec, "clock_rate": clock,
                                        "sync": False}))
        seq = 1
        for n, (payloads, offset) in enumerate(frames):
            batch = b"B"
            for i, payload in enumerate(payloads):
                batch += encode_packet(key, seq, 5000 + offset, int(i == len(payloads) - 1), False,
                                       START + n * step, payload)
                seq += 1
            recorder.handle(batch)
    recorder.close_room("meeting", "meeting ended")
    ours.close()
    theirs.close()


def video_frames_list():  # type: ignore[no-untyped-def]
    return video_frames(VP8, 45)
