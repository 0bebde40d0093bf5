"""A media worker process: one asyncio loop on one core, holding some participants' sessions.

Participants are spread over the workers by their id; a room's state lives on its home worker
(by room id). A worker serves the control protocol (JSON lines on a Unix socket, see
`control.py`) to `MediaRouter` clients and exchanges packets and room state with the other
workers over the mesh.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import resource
import zlib
from pathlib import Path

from . import aiortc_hooks
from .errors import MediaError
from .mesh import Mesh, pack_media, unpack_media
from .participant import Participant
from .payloads import H264, VP8
from .room import Room
from .rtp import RtpView
from .uptrack import RemoteUpTrack, UpTrack

logger = logging.getLogger(__name__)

TICK_SECONDS = 0.1
RTCP_SECONDS = 1.0
STATS_SECONDS = 3.0


def control_path(run_dir: Path, index: int) -> Path:
    return run_dir / f"worker-{index}.sock"


def place(key: str, count: int) -> int:
    """Which worker holds a participant or is home to a room: stable across processes."""
    return zlib.crc32(key.encode()) % count


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
        self.mesh = Mesh(run_dir, index, count, self._on_mesh_media, self._on_mesh_control)
        self._local_streams: dict[int, UpTrack] = {}
        self._remote_streams: dict[tuple[int, int], RemoteUpTrack] = {}
        self._next_stream = 1
        self._clients: set[asyncio.StreamWriter] = set()
        self._server: asyncio.AbstractServer | None = None
        self._tasks: list[asyncio.Task] = []
        self.loop_lag_max = 0.0

    # -- placement -----------------------------------------------------------------------------

    def home_of(self, room_id: str) -> int:
        return place("room:" + room_id, self.count)

    def room(self, room_id: str, video_codec: str = VP8, create: bool = False) -> Room:
        room = self.rooms.get(room_id)
        if room is None:
            if not create:
                raise MediaError(f"no media for room {room_id!r} on worker {self.index}")
            if video_codec not in (VP8, H264):
                raise MediaError(f"video codec must be vp8 or h264, not {video_codec!r}")
            room = self.rooms[room_id] = Room(self, room_id, video_codec)
        return room

    # -- messages between workers --------------------------------------------------------------

    def to_worker(self, worker: int, message: dict) -> None:
        if worker == self.index:
            asyncio.get_running_loop().call_soon(self._on_mesh_control, message)
        else:
            self.mesh.send_control(worker, message)

    def to_home(self, room: Room, message: dict) -> None:
        self.to_worker(room.home, {**message, "room": room.room_id, "codec": room.video_codec})

    def broadcast_state(self, room: Room, workers: set[int], state: dict) -> None:
        for worker in workers:
            self.to_worker(worker, {"t": "state", "room": room.room_id, "codec": room.video_codec,
                                    "state": state})

    def register_stream(self, room: Room, track: UpTrack) -> None:
        track.mesh_number = self._next_stream
        self._next_stream += 1
        self._local_streams[track.mesh_number] = track

    def unregister_stream(self, track: UpTrack) -> None:
        self._local_streams.pop(track.mesh_number, None)

    def describe(self, track: UpTrack) -> dict:
        return {"owner": self.index, "number": track.mesh_number, "kind": track.kind,
                "codec": track.codec, "clock_rate": track.clock_rate}

    def register_remote(self, room: Room, proxy: RemoteUpTrack, desc: dict) -> None:
        proxy.mesh_number = desc["number"]
        self._remote_streams[(desc["owner"], desc["number"])] = proxy

    def unregister_remote(self, proxy: RemoteUpTrack) -> None:
        self._remote_streams.pop((proxy.owner, proxy.mesh_number), None)

    def forward_media(self, track: UpTrack, view: RtpView, level: int, capture: bytes | None) -> None:
        datagram = pack_media(self.index, track.mesh_number, view, level, capture)
        for worker in track.remote_workers:
            self.mesh.send_media(worker, datagram)

    def _on_mesh_media(self, data: bytes) -> None:
        sender, number, view, level, capture = unpack_media(data)
        proxy = self._remote_streams.get((sender, number))
        if proxy is not None:
            proxy.dispatch(view, capture, None if level == 255 else level)

    def _on_mesh_control(self, message: dict) -> None:
        t = message["t"]
        if t == "hello":  # that worker (re)started empty
            for room in self.rooms.values():
                if room.is_home:
                    room.forget_worker(message["worker"])
                elif room.home == message["worker"]:
                    room.home_restarted()
            return
        room_id = message["room"]
        if t in ("join", "stream", "leave"):
            self.room(room_id, message.get("codec", VP8), create=True).apply(message)
        elif t == "state":
            room = self.rooms.get(room_id)
            if room is None and any(m["worker"] == self.index for m in message["state"]["members"].values()):
                room = self.room(room_id, message.get("codec", VP8), create=True)
            if room is not None:
                room.on_state(message["state"])
        elif t == "want":
            room = self.rooms.get(room_id)
            if room is not None:
                room.on_want(message["worker"], message["streams"])
        elif t in ("pli", "nack"):
            room = self.rooms.get(room_id)
            track = room.streams.get(message["stream"]) if room else None
            if isinstance(track, UpTrack):
                if t == "pli":
                    track.request_keyframe()
                else:
                    track.nack(message["seqs"])
        elif t == "spotlight":
            self.room(room_id).set_spotlight(message["participant"])
        elif t == "mute":
            self.room(room_id).set_muted(message["participant"], message["muted"])

    # -- events to control clients -------------------------------------------------------------

    def emit(self, event: dict) -> None:
        line = (json.dumps(event, separators=(",", ":")) + "\n").encode()
        for writer in list(self._clients):
            if writer.is_closing():
                self._clients.discard(writer)
                continue
            writer.write(line)

    # -- control requests ----------------------------------------------------------------------

    async def handle(self, op: str, args: dict) -> object:
        if op == "add_participant":
            return await self._add_participant(args)
        if op == "remove_participant":
            room = self.rooms.get(args["room"])
            if room is None or args["participant"] not in room.participants:
                raise MediaError(f"participant {args['participant']!r} is not on worker {self.index}")
            await room.remove(args["participant"])
            if not room.participants and not room.is_home:
                room.release()
                self.rooms.pop(room.room_id, None)
            return None
        if op == "set_spotlight":
            room = self._home_only(args["room"])
            pid = args.get("participant")
            if pid is not None and pid not in room.state.members:
                raise MediaError(f"participant {pid!r} is not in room {args['room']!r}")
            room.set_spotlight(pid)
            return None
        if op == "mute":
            room = self._home_only(args["room"])
            if args["participant"] not in room.state.members:
                raise MediaError(f"participant {args['participant']!r} is not in room {args['room']!r}")
            room.set_muted(args["participant"], bool(args.get("muted", True)))
            return None
        if op == "room_state":
            return self._home_only(args["room"]).state.to_dict()
        if op == "link_stats":
            room = self.rooms.get(args["room"])
            return [] if room is None else [p.link_stats() for p in room.participants.values()]
        if op == "close_room":
            room = self.rooms.pop(args["room"], None)
            if room is not None:
                for pid in list(room.participants):
                    await room.remove(pid)
            return None
        if op == "worker_stats":
            return self.worker_stats()
        raise MediaError(f"unknown operation {op!r}")

    def _home_only(self, room_id: str) -> Room:
        room = self.rooms.get(room_id)
        if room is None or not room.is_home:
            raise MediaError(f"room {room_id!r} has no media here (its home is worker {self.home_of(room_id)})")
        return room

    async def _add_participant(self, args: dict) -> dict:
        room_id, pid, role = args["room"], args["participant"], args["role"]
        room = self.room(room_id, args.get("video_codec", VP8), create=True)
        if pid in room.participants:
            raise MediaError(f"participant {pid!r} is already connected to room {room_id!r}")
        participant = Participant(room, pid, role)
        participant.on_state = self._participant_state
        room.participants[pid] = participant
        try:
            answer = await participant.negotiate(args["sdp"])
        except Exception:
            room.participants.pop(pid, None)
            await participant.close()
            raise
        room.add(participant)
        return {"sdp": answer, "worker": self.index}

    def _participant_state(self, participant: Participant, state: str) -> None:
        self.emit({"event": "connection", "room": participant.room.room_id,
                   "participant": participant.participant_id, "state": state})

    def _take_lag(self) -> float:
        lag, self.loop_lag_max = self.loop_lag_max, 0.0
        return lag

    def worker_stats(self) -> dict:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        legs = [leg for room in self.rooms.values() for p in room.participants.values()
                for leg in (*p.video_slots, *p.audio_slots)]
        return {
            "worker": self.index,
            "pid": os.getpid(),
            "cpu_seconds": usage.ru_utime + usage.ru_stime,
            "cpu_user_seconds": usage.ru_utime,
            "cpu_system_seconds": usage.ru_stime,
            "forwarded_packets": sum(leg.packets for leg in legs),
            "retransmitted_packets": sum(leg.retransmitted for leg in legs),
            "received_packets": sum(t.packets for t in self._local_streams.values()),
            "mesh_sent": self.mesh.sent,
            "mesh_received": self.mesh.received,
            "mesh_dropped": self.mesh.dropped,
            "participants": sum(len(r.participants) for r in self.rooms.values()),
            "loop_lag_ms_max": round(self._take_lag() * 1000, 1),
            **aiortc_hooks.codec_counts(),
        }

    async def _serve_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._clients.add(writer)
        try:
            while line := await reader.readline():
                asyncio.ensure_future(self._answer(line, writer))
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._clients.discard(writer)
            writer.close()

    async def _answer(self, line: bytes, writer: asyncio.StreamWriter) -> None:
        request_id = None
        try:
            request = json.loads(line)
            request_id = request.get("id")
            result = await self.handle(request["op"], request.get("args", {}))
            reply = {"id": request_id, "ok": True, "result": result}
        except MediaError as exc:
            reply = {"id": request_id, "ok": False, "error": str(exc)}
        except (KeyError, TypeError, ValueError) as exc:
            reply = {"id": request_id, "ok": False, "error": f"malformed request: {exc}"}
        except Exception as exc:
            logger.exception("control request failed")
            reply = {"id": request_id, "ok": False, "error": f"internal error: {type(exc).__name__}"}
        if not writer.is_closing():
            writer.write((json.dumps(reply, separators=(",", ":")) + "\n").encode())

    # -- lifecycle -----------------------------------------------------------------------------

    async def start(self) -> None:
        aiortc_hooks.install()
        self.run_dir.mkdir(parents=True, exist_ok=True)
        await self.mesh.open()
        for other in range(self.count):
            if other != self.index:
                self.mesh.send_control(other, {"t": "hello", "worker": self.index})
        path = control_path(self.run_dir, self.index)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        self._server = await asyncio.start_unix_server(self._serve_client, path=str(path), limit=1 << 22)
        self._tasks = [asyncio.ensure_future(self._every(TICK_SECONDS, self._tick)),
                       asyncio.ensure_future(self._every(RTCP_SECONDS, self._rtcp)),
                       asyncio.ensure_future(self._every(STATS_SECONDS, self._stats))]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for room_id in list(self.rooms):
            await self.handle("close_room", {"room": room_id})
        if self._server is not None:
            self._server.close()
        self.mesh.close()

    async def _every(self, seconds: float, action) -> None:
        loop = asyncio.get_running_loop()
        while True:
            due = loop.time() + seconds
            await asyncio.sleep(seconds)
            # How late the loop got round to this timer: the worker was busy or, on a shared
            # machine, not scheduled. Packets wait in socket buffers for as long.
            self.loop_lag_max = max(self.loop_lag_max, loop.time() - due)
            try:
                action()
            except Exception:
                logger.exception("periodic media task failed")

    def _tick(self) -> None:
        for room in list(self.rooms.values()):
            room.tick()

    def _rtcp(self) -> None:
        for room in list(self.rooms.values()):
            room.periodic_rtcp()

    def _stats(self) -> None:
        for room in list(self.rooms.values()):
            if room.participants:
                self.emit({"event": "stats", "room": room.room_id, "worker": self.index,
                           "participants": [p.link_stats() for p in room.participants.values()]})


def set_priority(nice: int) -> None:
    """Run at `nice` (negative = ahead of ordinary work); needs the privilege to raise priority."""
    if nice:
        try:
            os.setpriority(os.PRIO_PROCESS, 0, nice)
        except (PermissionError, OSError) as exc:
            logger.warning("could not set media worker priority to %d: %s", nice, exc)


def run_worker(index: int, count: int, run_dir: str, ice_addresses: list[str] | None = None,
               nice: int = 0) -> None:
    """Process entry point (blocking)."""
    logging.basicConfig(level=logging.WARNING)
    set_priority(nice)
    if ice_addresses:
        restrict_ice_addresses(ice_addresses)
    with contextlib.suppress(ImportError):
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())

    async def main() -> None:
        worker = MediaWorker(index, count, Path(run_dir))
        await worker.start()
        try:
            await asyncio.Event().wait()
        finally:
            await worker.stop()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
