"""A media worker process: one asyncio loop on one core, holding some participants' sessions.

Participants are spread over the workers by their id and a room's state lives on its home worker
(`placement.py`). A worker serves the control channel (`control.py`) to `MediaClient`s, and
exchanges packets (`MeshFeed`s) and room messages with the other workers over the mesh. It is
each of its rooms' `RoomHost`: rooms reach other workers, the control channel's clients and the
mesh only through it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import resource
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from . import aiortc_hooks
from .control import ControlServer
from .errors import MediaError, MediaErrorCode
from .looplag import LoopLag, runqueue_wait_seconds
from .mesh import Mesh, MeshFeed, unpack_media
from .messages import (
    AddParticipant,
    Answer,
    Call,
    CloseRoom,
    GetForwarding,
    GetLinkStats,
    GetRoomState,
    GetWorkerStats,
    Hello,
    Join,
    KeyframeRequest,
    Leave,
    Levels,
    MeshMessage,
    Mute,
    Nack,
    Publish,
    Record,
    RecordingStoppedEvent,
    RemoveParticipant,
    RoomMessage,
    SetSpotlight,
    SetView,
    State,
    StatsEvent,
    Want,
    WorkerStats,
)
from .participant import Participant
from .payloads import H264, VP8
from .placement import control_path, home_of_room
from .recorder import Recording, recorder_cpu_seconds
from .room import RTCP_TURNS, Room
from .uptrack import RemoteUpTrack

logger = logging.getLogger(__name__)

TICK_SECONDS = 0.1  # each tick also sends the periodic RTCP of a tenth of the participants (RTCP_TURNS)
STATS_SECONDS = 3.0


def restrict_ice_addresses(addresses: list[str]) -> None:
    """Offer ICE host candidates only on these addresses (aioice otherwise uses every interface)."""
    import aioice.ice

    aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: list(addresses)


class MediaWorker:
    def __init__(self, index: int, count: int, run_dir: Path) -> None:
        self.index = index
        self.count = count
        self.run_dir = run_dir
        self.rooms: dict[str, Room] = {}
        self.mesh = Mesh(run_dir, index, count, self._on_mesh_media, self._on_mesh_message)
        self.control = ControlServer(control_path(run_dir, index), self)
        self._remote_tracks: dict[tuple[int, int], RemoteUpTrack] = {}  # by (owner, feed number)
        self._rtcp_turn = 0  # the tick of the RTCP round (`Room.periodic_rtcp`)
        self._next_feed = 1
        self._tasks: list[asyncio.Task] = []
        self.loop_lag = LoopLag()
        self.recording = Recording()

    # -- rooms ---------------------------------------------------------------------------------

    def home_of(self, room_id: str) -> int:
        return home_of_room(room_id, self.count)

    def _room(self, room_id: str, video_codec: str) -> Room:
        """The room, made on first use (by its first participant here, or a message about it)."""
        room = self.rooms.get(room_id)
        if room is None:
            if video_codec not in (VP8, H264):
                raise MediaError(MediaErrorCode.BAD_VIDEO_CODEC,
                                 f"video codec must be vp8 or h264, not {video_codec!r}")
            room = self.rooms[room_id] = Room(self, room_id, video_codec, self.home_of(room_id))
        return room

    def _home_room(self, room_id: str) -> Room:
        room = self.rooms.get(room_id)
        if room is None or not room.is_home:
            raise MediaError(MediaErrorCode.NO_ROOM, f"room {room_id!r} has no media here "
                                                     f"(its home is worker {self.home_of(room_id)})")
        return room

    # -- RoomHost ------------------------------------------------------------------------------

    def send(self, worker: int, message: RoomMessage) -> None:
        if worker == self.index:
            asyncio.get_running_loop().call_soon(self._on_mesh_message, message)
        else:
            self.mesh.send_control(worker, message)

    def emit(self, event: BaseModel) -> None:
        self.control.emit(event)

    def track_published(self, room: Room) -> None:
        self.recording.bind(room)

    def open_feed(self, room_id: str) -> MeshFeed:
        feed = MeshFeed(self.index, self._next_feed, self.mesh.send_media)
        self._next_feed += 1
        return feed

    def listen(self, track: RemoteUpTrack) -> None:
        self._remote_tracks[(track.owner, track.number)] = track

    def forget(self, track: RemoteUpTrack) -> None:
        if self._remote_tracks.get((track.owner, track.number)) is track:
            del self._remote_tracks[(track.owner, track.number)]

    # -- the mesh ------------------------------------------------------------------------------

    def _on_mesh_media(self, data: bytes) -> None:
        sender, number, packet = unpack_media(data)
        track = self._remote_tracks.get((sender, number))
        if track is not None:
            track.dispatch(packet)

    def _on_mesh_message(self, message: MeshMessage) -> None:
        if isinstance(message, Hello):  # that worker (re)started empty
            for room in self.rooms.values():
                if room.is_home:
                    room.forget_worker(message.worker)
                elif room.home == message.worker:
                    room.home_restarted()
            return
        if isinstance(message, (Join, Publish, Leave)):
            self._room(message.room, message.codec).apply(message)
            return
        if isinstance(message, State):
            room = self.rooms.get(message.room)
            if room is None and any(m.worker == self.index for m in message.state.members.values()):
                room = self._room(message.room, message.codec)
            if room is not None:
                room.on_state(message.state)
            return
        room = self.rooms.get(message.room)
        if room is None:
            return
        if isinstance(message, Levels):
            room.on_levels(message.levels)
        elif isinstance(message, Want):
            room.on_want(message.worker, message.tracks)
        elif isinstance(message, KeyframeRequest):
            room.on_keyframe_request(message.track, message.background)
        elif isinstance(message, Nack):
            room.on_nack(message.track, message.sequence_numbers)

    # -- the control channel (ControlHandler) ----------------------------------------------------

    async def call(self, call: Call) -> Any:
        if isinstance(call, AddParticipant):
            room = self._room(call.room, call.video_codec)
            participant = Participant(call.participant, call.role, room.video_codec, room, shows=call.shows,
                                      layers=call.layers, screen_slots=call.screen_slots)
            room.views[call.participant] = call.view
            return Answer(sdp=await room.admit(participant, call.sdp), worker=self.index)
        if isinstance(call, RemoveParticipant):
            room = self.rooms.get(call.room)
            if room is None:
                raise MediaError(MediaErrorCode.NOT_CONNECTED,
                                 f"participant {call.participant!r} has no media session on worker {self.index}")
            await room.remove(call.participant)
            # Two removals may both await the last participants away; the room is released once.
            if room.idle and self.rooms.get(room.room_id) is room:
                room.release()
                del self.rooms[room.room_id]
            return None
        if isinstance(call, SetSpotlight):
            self._home_room(call.room).set_spotlight(call.participant)
            return None
        if isinstance(call, Mute):
            self._home_room(call.room).set_muted(call.participant, call.muted)
            return None
        if isinstance(call, SetView):
            room = self.rooms.get(call.room)
            if room is None or call.participant not in room.participants:
                raise MediaError(MediaErrorCode.NOT_CONNECTED,
                                 f"participant {call.participant!r} has no media session on worker {self.index}")
            room.set_view(call.participant, call.view)
            return None
        if isinstance(call, GetForwarding):
            room = self.rooms.get(call.room)
            return [] if room is None else room.forwarding()
        if isinstance(call, GetRoomState):
            return self._home_room(call.room).state
        if isinstance(call, GetLinkStats):
            room = self.rooms.get(call.room)
            return [] if room is None else room.link_stats()
        if isinstance(call, Record):
            self.recording.set_room(call.room, call.directory, call.min_free_bytes)
            return None
        if isinstance(call, CloseRoom):
            self.recording.close_room(call.room)
            room = self.rooms.pop(call.room, None)
            if room is not None:
                await room.close()
            return None
        if isinstance(call, GetWorkerStats):
            return self.worker_stats()
        raise MediaError(MediaErrorCode.MALFORMED_REQUEST, f"no operation {call.op!r}")  # pragma: no cover

    def worker_stats(self) -> WorkerStats:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        participants = [p for room in self.rooms.values() for p in room.participants.values()]
        downtracks = [d for p in participants for d in (*p.video_downtracks, *p.audio_downtracks)]
        lag_p50, lag_p99, lag_max = self.loop_lag.take()
        return WorkerStats(
            worker=self.index,
            pid=os.getpid(),
            cpu_seconds=usage.ru_utime + usage.ru_stime,
            cpu_user_seconds=usage.ru_utime,
            cpu_system_seconds=usage.ru_stime,
            forwarded_packets=sum(d.packets for d in downtracks),
            retransmitted_packets=sum(d.retransmitted for d in downtracks),
            received_packets=sum(t.packets for p in participants for t in p.uptracks.values()),
            mesh_sent=self.mesh.sent,
            mesh_received=self.mesh.received,
            mesh_dropped=self.mesh.dropped,
            participants=len(participants),
            loop_lag_ms_max=lag_max,
            loop_lag_ms_p50=lag_p50,
            loop_lag_ms_p99=lag_p99,
            loop_wait_seconds=runqueue_wait_seconds(),  # this runs on the loop's thread
            recorded_packets=self.recording.packets,
            record_dropped=self.recording.dropped,
            recorder_cpu_seconds=recorder_cpu_seconds(self.recording),
            **aiortc_hooks.codec_counts(),
        )

    # -- lifecycle -----------------------------------------------------------------------------

    async def start(self) -> None:
        aiortc_hooks.install()
        self.run_dir.mkdir(parents=True, exist_ok=True)
        await self.mesh.open()
        for other in range(self.count):
            if other != self.index:
                self.mesh.send_control(other, Hello(worker=self.index))
        await self.control.start()
        self._tasks = [asyncio.ensure_future(self._every(TICK_SECONDS, self._tick)),
                       asyncio.ensure_future(self._every(STATS_SECONDS, self._stats))]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        self.recording.stop()
        for room_id in list(self.rooms):
            await self.rooms.pop(room_id).close()
        self.control.close()
        self.mesh.close()

    async def _every(self, seconds: float, action: Callable[[], None]) -> None:
        loop = asyncio.get_running_loop()
        while True:
            due = loop.time() + seconds
            await asyncio.sleep(seconds)
            # How late the loop got round to this timer: the worker was busy or, on a shared
            # machine, not scheduled. Packets wait in socket buffers for as long.
            self.loop_lag.add(loop.time() - due)
            try:
                action()
            except Exception:
                logger.exception("periodic media task failed")

    def _tick(self) -> None:
        now = time.monotonic()
        self._rtcp_turn = (self._rtcp_turn + 1) % RTCP_TURNS
        for room in list(self.rooms.values()):
            room.tick(now)
            room.periodic_rtcp(self._rtcp_turn)
        self.recording.tick(self.rooms)
        while self.recording.stopped_rooms:
            room_id, reason = self.recording.stopped_rooms.pop(0)
            self.emit(RecordingStoppedEvent(room=room_id, worker=self.index, reason=reason))

    def _stats(self) -> None:
        for room in list(self.rooms.values()):
            if room.participants:
                self.emit(StatsEvent(room=room.room_id, worker=self.index, participants=room.link_stats()))


def set_priority(nice: int) -> None:
    """Run at `nice` (negative = ahead of ordinary work); needs the privilege to raise priority."""
    if nice:
        try:
            os.setpriority(os.PRIO_PROCESS, 0, nice)
        except (PermissionError, OSError) as exc:
            logger.warning("could not set media worker priority to %d: %s", nice, exc)


def _tell(report: Connection | None, what: str) -> None:
    if report is not None:
        with contextlib.suppress(OSError):
            report.send(what)


def run_worker(index: int, count: int, run_dir: str, ice_addresses: list[str] | None = None,
               nice: int = 0, report: Connection | None = None) -> None:
    """Process entry point (blocking). Says "ready" on `report` once it listens, or why it could not start."""
    logging.basicConfig(level=logging.WARNING)
    set_priority(nice)
    if ice_addresses:
        restrict_ice_addresses(ice_addresses)
    with contextlib.suppress(ImportError):
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())

    async def main() -> None:
        worker = MediaWorker(index, count, Path(run_dir))
        try:
            await worker.start()
        except Exception as exc:
            _tell(report, f"{type(exc).__name__}: {exc}")
            raise
        _tell(report, "ready")
        try:
            await asyncio.Event().wait()
        finally:
            await worker.stop()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
