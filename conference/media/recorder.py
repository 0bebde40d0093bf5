"""Recording beside the relay: a `RecordSink` on each recorded track copies the packets it is given
into a bounded queue, and a recorder process (`conference.archive.writer`, started here, at low
priority) depacketizes and muxes them into files. Nothing here decodes, and nothing can hold up a
forwarded packet: the queue drops recording data when it is full or when the recorder's socket
will not take more (counted per track in `RecordSink.dropped`, reported in the worker's stats and
in the archive's index), never live data.

What is recorded, per room told to record (`Recording.set_room`, from the control channel's
`Record` call):
- on every worker, the audio and high video of each publisher it holds, one file per track;
- on the room's home worker, the program: the video the chair's main view shows (the spotlit
  or last speaking district, else the host; a switch starts at the new source's keyframe, asked
  for at once), and the loudest voices as separate audio tracks, each kept on its track while it
  stays among the loudest (like a subscriber's audio DownTracks).

`Recording.tick` (every 100 ms from the worker) binds the sinks to what the rooms have now, and
passes the publishers' RTCP sender reports on, for audio/video alignment; `Recording.bind` does
the binding at once when a track is published, so that it is recorded from its first packet.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from .record_wire import BATCH, KEYFRAME, MAX_BATCH_BYTES, MAX_BATCH_PARTS, PACKET, STOPPED, encode_message
from .rtp import RtpView
from .uptrack import UpTrack, UpTrackBase
from .views import AUDIO_DOWNTRACKS_PER_SUBSCRIBER, RoomState, assign_audio

logger = logging.getLogger(__name__)

MAX_QUEUED_PACKETS = 5000  # about a second of a 26-district meeting's recorded tracks
FLUSH_SECONDS = 0.02
SOCKET_BYTES = 4 << 20  # about 2 s of a 26-district meeting's recorded tracks
PROGRAM_AUDIO_TRACKS = AUDIO_DOWNTRACKS_PER_SUBSCRIBER


class RecordSink:
    """A `Sink` that copies each packet for the recorder; `key` names its segment there."""

    __slots__ = ("key", "source", "link", "dropped", "sent_sr")

    def __init__(self, key: int, source: UpTrackBase, link: RecorderLink) -> None:
        self.key = key
        self.source = source
        self.link = link
        self.dropped = 0
        self.sent_sr: tuple[float, int] | None = None

    def forward(self, packet: RtpView, now: float, send_time: bytes) -> None:
        self.link.put(self, packet, now)


class RecorderLink:
    """The recorder process and the queue toward it. Control messages are never dropped; packets
    are, when the queue is full or the socket is (the recorder fell behind).

    The relay pays for a recorded packet one header `pack` and two list appends: the payload is
    not copied here; each batch goes out in one `sendmsg` of its parts (the kernel gathers them,
    one copy into the socket), one system call per batch of up to `MAX_BATCH_BYTES`."""

    def __init__(self, min_free_bytes: int = 0) -> None:
        self.min_free_bytes = min_free_bytes
        self.process: subprocess.Popen | None = None
        self.sock: socket.socket | None = None
        # In order: batches of packets ([b"B", header, payload, header, payload, ...]) and
        # control messages (bytes). `_batch` is the one being filled (also in `_queue`).
        self._queue: list[list[bytes] | bytes] = []
        self._batch: list[bytes] | None = None
        self._batch_bytes = 0
        self._queued_packets = 0
        self._flush_handle: asyncio.TimerHandle | None = None
        self._wall_offset = time.time() - time.monotonic()  # packet arrival: `now` of its dispatch, on the wall clock
        self.sinks: dict[int, RecordSink] = {}  # by key, for counting what a full socket drops
        self.dropped = 0
        self.packets = 0
        self.on_keyframe_request: Any = None  # Callable[[int], None]
        self.on_stopped: Any = None  # Callable[[str, str], None]

    def start(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        # Big buffers: the recorder may pause (disk, scheduling) for a moment without a drop. The
        # size can be set (GIAOBAN_RECORDER_SOCKET_BYTES) so that a test fills it in seconds.
        size = int(os.environ.get("GIAOBAN_RECORDER_SOCKET_BYTES") or SOCKET_BYTES)
        for s in (ours, theirs):
            with contextlib.suppress(OSError):
                s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, size)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, size)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "conference.archive.writer", str(theirs.fileno()), str(self.min_free_bytes)],
            pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL)
        theirs.close()
        ours.setblocking(False)
        self.sock = ours
        with contextlib.suppress(RuntimeError):
            asyncio.get_running_loop().add_reader(ours.fileno(), self._on_readable)

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def put(self, sink: RecordSink, packet: RtpView, now: float) -> None:
        """On the relay's hot path, once per recorded packet: no copy, no system call."""
        if self._queued_packets >= MAX_QUEUED_PACKETS:
            sink.dropped += 1
            self.dropped += 1
            return
        self._queued_packets += 1
        self.packets += 1
        payload = packet.payload
        size = PACKET.size + len(payload)
        batch = self._batch
        if batch is None or self._batch_bytes + size > MAX_BATCH_BYTES or len(batch) >= MAX_BATCH_PARTS:
            batch = self._batch = [BATCH]
            self._queue.append(batch)
            self._batch_bytes = 1
        batch.append(PACKET.pack(sink.key, packet.sequence_number, packet.timestamp, packet.marker, packet.keyframe,
                                 now + self._wall_offset, len(payload)))
        batch.append(payload)
        self._batch_bytes += size
        if self._flush_handle is None:
            self._schedule()

    def control(self, message: dict[str, Any]) -> None:
        self._batch = None  # packets after this message go in a new batch, after it
        self._queue.append(encode_message(message))
        self._schedule()

    def _schedule(self) -> None:
        if self._flush_handle is None:
            with contextlib.suppress(RuntimeError):
                self._flush_handle = asyncio.get_running_loop().call_later(FLUSH_SECONDS, self.flush)

    def flush(self) -> None:
        """Send what is queued, in order; what the socket refuses is dropped (packets) or kept for
        the next flush (control messages)."""
        self._flush_handle = None
        queue, self._queue = self._queue, []
        self._batch = None
        self._queued_packets = 0
        self._wall_offset = time.time() - time.monotonic()
        if self.sock is None:
            return
        blocked = False
        kept: list[list[bytes] | bytes] = []
        for item in queue:
            if isinstance(item, list):
                if blocked or not self._send(item):
                    blocked = True
                    self._count_dropped(item)
            elif blocked or not self._send([item]):
                blocked = True
                kept.append(item)
        if kept:
            self._queue = kept + self._queue
            self._schedule()

    def _count_dropped(self, batch: list[bytes]) -> None:
        for header in batch[1::2]:
            sink = self.sinks.get(PACKET.unpack_from(header)[0])
            if sink is not None:
                sink.dropped += 1
            self.dropped += 1

    def _send(self, parts: list[bytes]) -> bool:
        assert self.sock is not None
        try:
            self.sock.sendmsg(parts)
            return True
        except (BlockingIOError, InterruptedError):
            return False
        except OSError as exc:  # the recorder is gone: recording stops, forwarding does not
            logger.warning("recorder socket failed: %s", exc)
            self.close()
            return False

    def _on_readable(self) -> None:
        if self.sock is None:
            return
        while True:
            try:
                data = self.sock.recv(65536)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                self.close()
                return
            if not data:
                self.close()
                return
            if data[:1] == KEYFRAME and self.on_keyframe_request is not None:
                self.on_keyframe_request(int.from_bytes(data[1:5], "big"))
            elif data[:1] == STOPPED and self.on_stopped is not None:
                info = json.loads(data[1:])
                self.on_stopped(info["room"], info["reason"])

    def close(self) -> None:
        """Let the recorder finish its files (it sees the socket close) and end."""
        if self._flush_handle is not None:
            self._flush_handle.cancel()
            self._flush_handle = None
        if self.sock is not None:
            with contextlib.suppress(Exception):
                asyncio.get_running_loop().remove_reader(self.sock.fileno())
            self.sock.close()
            self.sock = None

    def wait(self, timeout: float = 10.0) -> None:
        if self.process is not None:
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()




class RecordedRoom(Protocol):
    """What recording needs of a `room.Room`."""

    room_id: str
    uptracks: dict[str, UpTrackBase]
    state: RoomState

    detector: Any  # speaker.DominantSpeakerDetector: `loudest(count)`

    @property
    def is_home(self) -> bool: ...


@dataclass
class RoomRecording:
    directory: str
    sinks: dict[str, RecordSink] = field(default_factory=dict)  # by file name
    stopped: str | None = None


class Recording:
    """Which rooms this worker records, and the sinks that do it."""

    def __init__(self) -> None:
        self.rooms: dict[str, RoomRecording] = {}
        self.link: RecorderLink | None = None
        self._keys = 0
        self._by_key: dict[int, RecordSink] = {}
        self.stopped_rooms: list[tuple[str, str]] = []  # (room, reason) not yet reported

    def set_room(self, room_id: str, directory: str | None, min_free_bytes: int = 0) -> None:
        if directory is None:
            self.close_room(room_id)
            return
        current = self.rooms.get(room_id)
        if current is not None and current.directory == directory:
            return
        if current is not None:
            self.close_room(room_id)
        if self.link is None or not self.link.alive:
            self.link = RecorderLink(min_free_bytes)
            self.link.on_keyframe_request = self._keyframe_requested
            self.link.on_stopped = self._stopped
            self.link.start()
        self.rooms[room_id] = RoomRecording(directory)

    def close_room(self, room_id: str, reason: str = "meeting ended") -> None:
        recording = self.rooms.pop(room_id, None)
        if recording is None or self.link is None:
            return
        for name in list(recording.sinks):
            self._end(recording, name)
        self.link.control({"op": "close_room", "room": room_id, "reason": reason})

    @property
    def dropped(self) -> int:
        return 0 if self.link is None else self.link.dropped

    @property
    def packets(self) -> int:
        return 0 if self.link is None else self.link.packets

    def tick(self, rooms: Mapping[str, RecordedRoom]) -> None:
        for room_id, recording in self.rooms.items():
            self._bind(room_id, recording, rooms.get(room_id))

    def bind(self, room: RecordedRoom) -> None:
        """Bind `room`'s sinks now, not at the next tick: a track just published is recorded from
        its first packet (an evidence archive loses nothing that was said)."""
        recording = self.rooms.get(room.room_id)
        if recording is not None:
            self._bind(room.room_id, recording, room)

    def _bind(self, room_id: str, recording: RoomRecording, room: RecordedRoom | None) -> None:
        if recording.stopped:
            return
        wanted: dict[str, tuple[UpTrackBase, str, str, bool]] = {}  # name -> (source, participant, track, sync)
        if room is not None:
            for track in room.uptracks.values():
                if isinstance(track, UpTrack) and track.layer in ("audio", "high"):
                    wanted[f"{track.participant_id}-{track.layer}"] = (track, track.participant_id, track.layer,
                                                                        True)
            if room.is_home:
                wanted.update(self._program(room, recording))
        for name in [n for n, sink in recording.sinks.items()
                     if n not in wanted or wanted[n][0] is not sink.source]:
            self._end(recording, name)
        for name, (source, participant, track, sync) in wanted.items():
            if name not in recording.sinks:
                self._begin(room_id, recording, name, source, participant, track, sync)
        for sink in recording.sinks.values():
            self._pass_sender_report(sink)

    def _program(self, room: RecordedRoom, recording: RoomRecording) -> dict[str, tuple[UpTrackBase, str, str, bool]]:
        state = room.state
        out: dict[str, tuple[UpTrackBase, str, str, bool]] = {}
        floor = state.speaker_for("") or state.host()
        video = room.uptracks.get(f"{floor}/high") if floor else None
        if video is not None:
            out["program-video"] = (video, floor or "", "program", False)
        muted = set(state.muted)
        chosen = [pid for pid in room.detector.loudest(PROGRAM_AUDIO_TRACKS)
                  if pid not in muted and f"{pid}/audio" in room.uptracks][:PROGRAM_AUDIO_TRACKS]
        names = [f"program-audio-{i + 1}" for i in range(PROGRAM_AUDIO_TRACKS)]
        current = [recording.sinks[n].source.participant_id if n in recording.sinks else None for n in names]
        for name, pid in zip(names, assign_audio(current, chosen), strict=True):
            if pid is not None:
                out[name] = (room.uptracks[f"{pid}/audio"], pid, "program", False)
        return out

    def _begin(self, room_id: str, recording: RoomRecording, name: str, source: UpTrackBase, participant: str,
               track: str, sync: bool) -> None:
        assert self.link is not None
        self._keys += 1
        sink = RecordSink(self._keys, source, self.link)
        recording.sinks[name] = sink
        self._by_key[sink.key] = sink
        self.link.sinks[sink.key] = sink
        self.link.control({"op": "open", "key": sink.key, "room": room_id, "dir": recording.directory, "name": name,
                           "participant": participant, "track": track, "kind": source.kind, "codec": source.codec,
                           "clock_rate": source.clock_rate, "sync": sync, "source": source.track_id})
        source.add_sink(sink)
        # A background request: the program switching with the chair's view is served by the
        # keyframe the live switch asks for, and never delays it (`keyframes.py`).
        source.request_keyframe(background=True)

    def _end(self, recording: RoomRecording, name: str) -> None:
        sink = recording.sinks.pop(name)
        sink.source.remove_sink(sink)
        self._by_key.pop(sink.key, None)
        if self.link is not None:
            self.link.sinks.pop(sink.key, None)
            self.link.control({"op": "end", "key": sink.key, "dropped": sink.dropped})

    def _pass_sender_report(self, sink: RecordSink) -> None:
        sr = getattr(sink.source, "last_sr", None)
        if sr is not None and sr != sink.sent_sr and self.link is not None:
            sink.sent_sr = sr
            self.link.control({"op": "sr", "key": sink.key, "ntp_unix": sr[0], "rtp": sr[1]})

    def _keyframe_requested(self, key: int) -> None:
        sink = self._by_key.get(key)
        if sink is not None:
            sink.source.request_keyframe(background=True)

    def _stopped(self, room_id: str, reason: str) -> None:
        recording = self.rooms.get(room_id)
        if recording is not None and not recording.stopped:
            recording.stopped = reason
            for name in list(recording.sinks):
                self._end(recording, name)
            self.stopped_rooms.append((room_id, reason))

    def stop(self) -> None:
        for room_id in list(self.rooms):
            self.close_room(room_id, "worker stopped")
        if self.link is not None:
            self.link.flush()
            self.link.close()
            self.link.wait()
            self.link = None


def recorder_cpu_seconds(recording: Recording) -> float:
    """CPU time of the recorder process so far (user + system), from /proc; 0 when none runs."""
    link = recording.link
    if link is None or link.process is None:
        return 0.0
    try:
        with open(f"/proc/{link.process.pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

