"""The recorder process: muxes the packets a media worker's recording sinks copied into files,
without decoding or encoding (`python -m conference.archive.writer FD`, started by the worker's
`media.recorder.Recorder` with one end of a SOCK_SEQPACKET socket pair as FD).

What comes over the socket (`wire.py`): control messages (a track's segment opens or ends, the
publisher's RTCP sender report, a room's recording ends) and batches of packets. Each file holds
one track: a participant's audio or high video, or the program (the floor's video, one of the
loudest voices). A segment is one life of the track on the relay: a reconnect or a renegotiation
starts a new one in the same file (the time between is a gap), unless the codec changed, which
starts the next numbered file. A file's time runs on the wall clock from its first frame:
packet times come from the RTP timestamps (32-bit wrap handled), anchored on the publisher's
RTCP sender report (its NTP/RTP pair, the same clock for its audio and video) or, until one
comes, on arrival.

Each room's directory gets `index.jsonl`: a line when a file opens and one when it is closed
with what the manifest needs (start and end wall time, frames, gaps, dropped frames and
packets). A file that has an "open" line but no "closed" one was cut short (worker or recorder
killed, disk full); Matroska's clusters keep what was written before playable.

When the disk's free space falls below the limit it was given, the recorder closes every file,
notes why in each index and tells the worker (which tells the signaling layer: the meeting goes on).
"""

from __future__ import annotations

import contextlib
import fractions
import json
import logging
import os
import shutil
import socket
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import av

from conference.media.payloads import H264, OPUS, VP8
from conference.media.record_wire import KEYFRAME, STOPPED, decode_batch, decode_message

from .frames import Frame, FrameAssembler, vp8_size

logger = logging.getLogger(__name__)

MS = fractions.Fraction(1, 1000)
GAP_SECONDS = 1.0  # no frame for longer than this is a gap (a pause, a reconnect)
SR_WAIT_SECONDS = 1.5  # how long a new segment waits for its first sender report before anchoring on arrival
EXTENSIONS = {VP8: "webm", OPUS: "webm", H264: "mkv"}
FORMATS = {"webm": "webm", "mkv": "matroska"}
AUDIO_FRAME_SECONDS = 0.02
DISK_CHECK_SECONDS = 1.0


@dataclass
class TrackFile:
    room: str
    directory: Path
    name: str  # "<participant>-<layer>" or "program-video" / "program-audio-N"
    participant: str
    track: str
    kind: str
    codec: str
    number: int = 1
    path: Path | None = None
    container: Any = None
    stream: Any = None
    start: float | None = None  # wall time of pts 0
    end: float | None = None
    last_pts: int = -1
    last_wall: float | None = None
    frames: int = 0
    bytes: int = 0
    gaps: list[tuple[float, float]] = field(default_factory=list)
    dropped_frames: int = 0
    dropped_packets: int = 0
    segments: int = 0

    def ensure_open(self, first: Frame) -> bool:
        if self.container is not None:
            return True
        ext = EXTENSIONS[self.codec]
        while True:
            path = self.directory / (f"{self.name}.{ext}" if self.number == 1 else f"{self.name}.{self.number}.{ext}")
            if not path.exists():
                break
            self.number += 1
        # Clusters of a second, each packet handed to the OS at once: a killed recorder loses at
        # most the cluster being written, and what came before plays.
        container = av.open(str(path), "w", format=FORMATS[ext],
                            options={"cluster_time_limit": "1000", "flush_packets": "1"})
        if self.kind == "video":
            size = vp8_size(first.data) if self.codec == VP8 else None
            width, height = size or (640, 360)
            stream = container.add_mux_stream(self.codec, width=width, height=height)
        else:
            stream = container.add_mux_stream(self.codec, rate=48000)
        self.path, self.container, self.stream = path, container, stream
        _index(self.directory, {"event": "open", "file": path.name, "participant": self.participant,
                                "track": self.track, "kind": self.kind, "codec": self.codec, "room": self.room,
                                "opened_at": time.time()})
        return True

    def write(self, wall: float, frame: Frame) -> None:
        if self.start is None:
            self.start = wall
        if self.last_wall is not None and wall - self.last_wall > GAP_SECONDS:
            self.gaps.append((round(self.last_wall, 3), round(wall, 3)))
        pts = round((wall - self.start) * 1000)
        if pts <= self.last_pts:
            pts = self.last_pts + 1
        packet = av.Packet(frame.data)
        packet.stream = self.stream
        packet.time_base = MS
        packet.pts = packet.dts = pts
        packet.is_keyframe = frame.keyframe
        self.container.mux(packet)
        self.last_pts = pts
        self.last_wall = wall
        self.end = self.start + pts / 1000 + (AUDIO_FRAME_SECONDS if self.kind == "audio" else 0.0)
        self.frames += 1
        self.bytes += len(frame.data)

    def close(self, reason: str) -> None:
        if self.container is None:
            return
        with contextlib.suppress(Exception):
            self.container.close()
        assert self.path is not None
        if self.kind == "video" and self.frames > 1 and self.start is not None and self.end is not None:
            # a video frame lasts until the next; the last one gets the mean frame time
            self.end += (self.end - self.start) / (self.frames - 1)
        _index(self.directory, {
            "event": "closed", "file": self.path.name, "participant": self.participant, "track": self.track,
            "kind": self.kind, "codec": self.codec, "room": self.room, "start": self.start, "end": self.end,
            "frames": self.frames, "gaps": self.gaps, "segments": self.segments, "reason": reason,
            "dropped_frames": self.dropped_frames, "dropped_packets": self.dropped_packets})
        self.container = self.stream = None
        self.number += 1
        self.start = self.end = self.last_wall = None
        self.last_pts = -1
        self.frames = self.bytes = self.segments = self.dropped_frames = self.dropped_packets = 0
        self.gaps = []


@dataclass
class Segment:
    key: int
    file: TrackFile
    codec: str
    clock_rate: int
    wait_for_sr: bool
    assembler: FrameAssembler
    sr: tuple[float, int] | None = None  # (unix time, unwrapped RTP timestamp)
    anchor: tuple[float, int] | None = None
    last_ts: int | None = None
    ext_ts: int = 0
    first_arrival: float | None = None
    pending: list[Frame] = field(default_factory=list)
    keyframe_asked: float = 0.0

    def unwrap(self, ts: int) -> int:
        """The 32-bit RTP timestamp on a line that does not wrap (late ones fall behind)."""
        if self.last_ts is None:
            self.last_ts, self.ext_ts = ts, ts
            return ts
        delta = (ts - self.last_ts) & 0xFFFFFFFF
        if delta >= 0x80000000:
            delta -= 0x100000000
        value = self.ext_ts + delta
        if delta > 0:
            self.last_ts, self.ext_ts = ts, value
        return value

    def wall(self, ext_ts: int) -> float:
        assert self.anchor is not None
        return self.anchor[0] + (ext_ts - self.anchor[1]) / self.clock_rate


class Recorder:
    def __init__(self, sock: socket.socket, min_free_bytes: int = 0) -> None:
        self.sock = sock
        self.min_free_bytes = min_free_bytes
        self.files: dict[tuple[str, str], TrackFile] = {}
        self.segments: dict[int, Segment] = {}
        self.rooms: dict[str, Path] = {}
        self.stopped: set[str] = set()  # rooms whose recording stopped (disk)
        self._disk_checked = 0.0

    # -- messages -------------------------------------------------------------------------------

    def handle(self, data: bytes) -> None:
        if data[:1] == b"B":
            for key, seq, ts, marker, _keyframe, arrival, payload in decode_batch(data):
                segment = self.segments.get(key)
                if segment is not None:
                    self._packet(segment, seq, ts, marker, payload, arrival)
            self._check_disk()
            return
        message = decode_message(data)
        op = message["op"]
        if op == "open":
            self._open(message)
        elif op == "sr":
            segment = self.segments.get(message["key"])
            if segment is not None:
                segment.sr = (message["ntp_unix"], segment.unwrap(message["rtp"]))
                self._flush_pending(segment)
        elif op == "end":
            segment = self.segments.pop(message["key"], None)
            if segment is not None:
                segment.file.dropped_packets += message.get("dropped", 0)
                self._end_segment(segment)
        elif op == "close_room":
            self.close_room(message["room"], message.get("reason", "meeting ended"))

    def _open(self, message: dict[str, Any]) -> None:
        room = message["room"]
        if room in self.stopped:
            return
        directory = Path(message["dir"])
        directory.mkdir(parents=True, exist_ok=True)
        self.rooms[room] = directory
        name = message["name"]
        file = self.files.get((room, name))
        if file is not None and file.codec != message["codec"]:
            file.close("codec changed")  # the renegotiated codec gets the next numbered file
            file.codec = message["codec"]
        if file is None:
            file = self.files[(room, name)] = TrackFile(
                room=room, directory=directory, name=name, participant=message["participant"],
                track=message["track"], kind=message["kind"], codec=message["codec"])
        file.segments += 1
        self.segments[message["key"]] = Segment(
            key=message["key"], file=file, codec=message["codec"], clock_rate=message["clock_rate"],
            wait_for_sr=message.get("sync", True), assembler=FrameAssembler(message["codec"]))

    def _packet(self, segment: Segment, seq: int, ts: int, marker: int, payload: bytes, arrival: float) -> None:
        if segment.first_arrival is None:
            segment.first_arrival = arrival
        before = segment.assembler.dropped_frames
        frames = segment.assembler.add(seq, ts, marker, payload, arrival)
        segment.file.dropped_frames += segment.assembler.dropped_frames - before
        if segment.assembler.need_keyframe and segment.codec != OPUS and arrival - segment.keyframe_asked > 0.5:
            segment.keyframe_asked = arrival
            self._send(KEYFRAME + segment.key.to_bytes(4, "big"))
        for frame in frames:
            if segment.anchor is None:
                segment.pending.append(frame)
                if len(segment.pending) > 500:
                    segment.pending.pop(0)
                if not segment.wait_for_sr or arrival - segment.first_arrival >= SR_WAIT_SECONDS:
                    self._flush_pending(segment)
            else:
                self._write(segment, frame)

    def _flush_pending(self, segment: Segment) -> None:
        if segment.anchor is None:
            if segment.sr is not None:
                segment.anchor = segment.sr
                if segment.pending:
                    # A frame is never captured after it arrived: a sender report saying so came
                    # from a sender running late (its RTP clock behind its wall clock) - then arrival
                    # is the better anchor.
                    first = segment.pending[0]
                    if segment.wall(segment.unwrap(first.timestamp)) > first.arrival:
                        segment.anchor = (first.arrival, segment.unwrap(first.timestamp))
            elif segment.pending:
                first = segment.pending[0]
                segment.anchor = (first.arrival, segment.unwrap(first.timestamp))
            else:
                return
        pending, segment.pending = segment.pending, []
        for frame in pending:
            self._write(segment, frame)

    def _write(self, segment: Segment, frame: Frame) -> None:
        file = segment.file
        if file.room in self.stopped:
            return
        try:
            file.ensure_open(frame)
            file.write(segment.wall(segment.unwrap(frame.timestamp)), frame)
        except OSError as exc:  # disk full or gone: this room's recording stops, the meeting does not
            logger.warning("recording %s stopped: %s", file.room, exc)
            self._stop_room(file.room, f"write failed: {exc.strerror or exc}")

    def _end_segment(self, segment: Segment) -> None:
        self._flush_pending(segment)

    def close_room(self, room: str, reason: str) -> None:
        for key in [k for k, s in self.segments.items() if s.file.room == room]:
            self._end_segment(self.segments.pop(key))
        for (file_room, name), file in list(self.files.items()):
            if file_room == room:
                file.close(reason)
                del self.files[(file_room, name)]

    def close_all(self, reason: str) -> None:
        for room in {room for room, _ in self.files}:
            self.close_room(room, reason)

    # -- disk ---------------------------------------------------------------------------------------

    def _check_disk(self) -> None:
        now = time.monotonic()
        if not self.min_free_bytes or now - self._disk_checked < DISK_CHECK_SECONDS:
            return
        self._disk_checked = now
        for room, directory in list(self.rooms.items()):
            if room in self.stopped:
                continue
            with contextlib.suppress(OSError):
                free = shutil.disk_usage(directory).free
                if free < self.min_free_bytes:
                    self._stop_room(room, f"low disk: {free} bytes free, {self.min_free_bytes} needed")

    def _stop_room(self, room: str, reason: str) -> None:
        self.stopped.add(room)
        self.close_room(room, reason)
        directory = self.rooms.get(room)
        if directory is not None:
            with contextlib.suppress(OSError):
                _index(directory, {"event": "stopped", "room": room, "reason": reason, "at": time.time()})
        self._send(STOPPED + json.dumps({"room": room, "reason": reason}).encode())

    def _send(self, data: bytes) -> None:
        with contextlib.suppress(OSError):  # the worker may be gone; it never waits on us
            self.sock.send(data, socket.MSG_DONTWAIT)

    # -- the loop -----------------------------------------------------------------------------------

    def run(self) -> None:
        try:
            while True:
                try:
                    data = self.sock.recv(1 << 20)
                except ConnectionResetError:
                    break
                if not data:  # the worker closed its end, or died: what we have is kept
                    break
                try:
                    self.handle(data)
                except Exception:
                    logger.exception("recorder could not handle a message")
        finally:
            self.close_all("worker gone")


def _index(directory: Path, entry: dict[str, Any]) -> None:
    try:
        with open(directory / "index.jsonl", "a", encoding="utf-8") as out:
            out.write(json.dumps(entry, ensure_ascii=False) + "\n")
            out.flush()
    except OSError as exc:  # the directory was removed (or the disk is full): the files say the rest
        logger.warning("recorder index %s: %s", directory, exc)


def main(argv: list[str]) -> None:
    logging.basicConfig(level=logging.WARNING)
    fd = int(argv[1])
    min_free = int(argv[2]) if len(argv) > 2 else 0
    with contextlib.suppress(PermissionError, OSError):
        os.nice(10)  # behind the relay: a busy recorder must never slow a forwarded packet
    sock = socket.socket(fileno=fd)
    with contextlib.suppress(KeyboardInterrupt):
        Recorder(sock, min_free).run()


if __name__ == "__main__":
    main(sys.argv)
