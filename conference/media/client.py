"""`MediaClient`: the web process's side of the control channel, the one way the meeting and
signaling layer drives the media workers.

It connects to every worker's control socket (`messages.py` has the lines it exchanges), sends
each call to the worker that holds the participant or is the room's home (`placement.py`), and
merges the workers' events into one stream. It imports neither aiortc nor the worker: the web
process stays free of the media stack.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections.abc import AsyncIterator
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from .errors import MediaError, MediaErrorCode
from .messages import (
    AddParticipant,
    Answer,
    Call,
    CloseRoom,
    Event,
    Forwarding,
    GetForwarding,
    GetLinkStats,
    GetRoomState,
    GetWorkerStats,
    LinkSample,
    Mute,
    Record,
    RemoveParticipant,
    Reply,
    Request,
    SetSpotlight,
    SetView,
    WorkerLostEvent,
    WorkerStats,
    decode_reply_or_event,
    encode_line,
)
from .payloads import VP8
from .placement import control_path, home_of_room, worker_for_participant
from .views import RoomState

logger = logging.getLogger(__name__)
REPLY_SECONDS = 30.0


@cache
def _result_adapter(result_type: Any) -> TypeAdapter[Any]:
    return TypeAdapter(result_type)


class MediaClient:
    def __init__(self, run_dir: Path, workers: int, room_workers: int | None = None) -> None:
        """`room_workers`: how many workers one room's participants are spread over
        (`settings.media_room_workers`; `placement.worker_for_participant`); None: all of them."""
        self.run_dir = Path(run_dir)
        self.count = workers
        self.room_workers = room_workers
        self._conns: dict[int, tuple[asyncio.StreamReader, asyncio.StreamWriter] | None] = {}
        self._pending: dict[int, tuple[int, asyncio.Future[Reply]]] = {}
        self._ids = itertools.count(1)
        self._events: asyncio.Queue[Event] = asyncio.Queue(maxsize=10000)
        self._readers: list[asyncio.Task] = []
        self._connecting: dict[int, asyncio.Lock] = {}  # one reconnect per worker, or events come twice

    async def connect(self, timeout: float = 20.0) -> None:
        """Connect to all workers, waiting for them to come up (they may still be starting)."""
        self._conns = {index: None for index in range(self.count)}
        for index in range(self.count):
            await self._connect_worker(index, timeout)

    def worker_numbers(self) -> list[int]:
        """The workers calls for a whole room go to."""
        return list(range(self.count))

    async def _open_connection(self, index: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """A new control connection to that worker (OSError when it does not listen)."""
        return await asyncio.open_unix_connection(str(control_path(self.run_dir, index)), limit=1 << 22)

    def _where(self, index: int) -> str:
        return str(control_path(self.run_dir, index))

    async def _connect_worker(self, index: int, timeout: float) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            try:
                reader, writer = await self._open_connection(index)
                if await self._answers(reader, writer, deadline):
                    break
            except OSError:  # not listening (yet), or refused
                pass
            if loop.time() > deadline:
                raise MediaError(MediaErrorCode.WORKER_UNAVAILABLE,
                                 f"media worker {index} is not running ({self._where(index)})")
            await asyncio.sleep(0.1)
        self._conns[index] = (reader, writer)
        self._readers.append(asyncio.ensure_future(self._read(index, reader)))

    async def _answers(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, deadline: float) -> bool:
        """Whether a worker answers on a new connection. A connect() can still succeed on the
        socket of a worker killed a moment ago, while the kernel takes its process down (seen:
        after its old connection had already closed), and nobody will ever answer there: the
        web process took it for the restarted worker and asked its participants for new offers
        too early, then once more. Connecting proves nothing; a reply to a request does."""
        loop = asyncio.get_running_loop()
        writer.write(encode_line(Request(id=0, call=GetLinkStats(room=""))))  # ids of calls start at 1
        try:
            await writer.drain()
            while line := await asyncio.wait_for(reader.readline(), max(0.1, deadline - loop.time())):
                message = decode_reply_or_event(line)
                if isinstance(message, Reply):
                    return True
                self._push(message)
        except (ConnectionError, TimeoutError):
            pass
        writer.close()
        return False

    async def reconnect(self, worker: int, timeout: float) -> None:
        """Wait for a worker that went away to listen again and connect to it (MediaError
        WORKER_UNAVAILABLE if it is not back within `timeout`)."""
        self._require_connected()
        await self._ensure_worker(worker, timeout)

    def _require_connected(self) -> None:
        if not self._conns:
            raise MediaError(MediaErrorCode.CLIENT_CLOSED, "the media client is closed or not connected")

    def _open(self, worker: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
        """The connection to that worker, unless it is gone or going."""
        conn = self._conns.get(worker)
        return None if conn is None or conn[1].is_closing() else conn

    async def _ensure_worker(self, worker: int, timeout: float) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        async with self._connecting.setdefault(worker, asyncio.Lock()):
            conn = self._open(worker)
            if conn is None:
                await self._connect_worker(worker, timeout)
                conn = self._conns[worker]
            assert conn is not None
            return conn

    async def close(self) -> None:
        for task in self._readers:
            task.cancel()
        for conn in self._conns.values():
            if conn is not None:
                conn[1].close()
        self._conns = {}
        # A call in flight would otherwise wait out its whole timeout for a reply no reader will
        # deliver (ending a meeting closes the client while its participants are being removed).
        for _, future in list(self._pending.values()):
            if not future.done():
                future.set_exception(MediaError(MediaErrorCode.CLIENT_CLOSED, "the media client was closed"))

    async def __aenter__(self) -> MediaClient:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- placement -----------------------------------------------------------------------------

    def worker_for_participant(self, participant_id: str, room_id: str | None = None) -> int:
        return worker_for_participant(participant_id, self.count, room_id, self.room_workers)

    def home_of(self, room_id: str) -> int:
        return home_of_room(room_id, self.count)

    # -- calls ---------------------------------------------------------------------------------

    async def add_participant(self, room_id: str, participant_id: str, role: str, sdp_offer: str,
                              *, video_codec: str = VP8, shows: list[str] | None = None,
                              view: list[str] | None = None, layers: list[str] | None = None,
                              screen_slots: int = 0) -> str:
        """Negotiate `participant_id`'s session; returns the SDP answer (ICE candidates included).
        `shows`: for role "wall", the cameras (their participant ids) its video m-lines show, in order.

        Raises `MediaError`: BAD_SDP, NO_SUPPORTED_CODEC, TOO_MANY_TRACKS, UNKNOWN_ROLE,
        ALREADY_CONNECTED, and the channel's own codes."""
        answer: Answer = await self._call(self.worker_for_participant(participant_id, room_id), AddParticipant(
            room=room_id, participant=participant_id, role=role, sdp=sdp_offer, video_codec=video_codec,
            shows=list(shows or []), view=view, layers=layers, screen_slots=screen_slots))
        return answer.sdp

    async def remove_participant(self, room_id: str, participant_id: str) -> None:
        """NOT_CONNECTED if it has no session (a worker that is gone took its sessions with it:
        then this returns at once)."""
        await self._call(self.worker_for_participant(participant_id, room_id),
                         RemoveParticipant(room=room_id, participant=participant_id), wait_for_restart=False)

    async def set_spotlight(self, room_id: str, participant_id: str | None) -> None:
        """Show this district as "speaker" to everyone (grant the floor); None returns to voice."""
        await self._call(self.home_of(room_id), SetSpotlight(room=room_id, participant=participant_id))

    async def mute(self, room_id: str, participant_id: str, muted: bool = True) -> None:
        """Stop (or resume) forwarding a participant's audio to everyone."""
        await self._call(self.home_of(room_id), Mute(room=room_id, participant=participant_id, muted=muted))

    async def set_view(self, room_id: str, participant_id: str, view: list[str] | None) -> None:
        """The tiles a host or observer shows: only these districts' low tracks go to it (NOT_CONNECTED
        without a media session)."""
        await self._call(self.worker_for_participant(participant_id, room_id),
                         SetView(room=room_id, participant=participant_id, view=view))

    async def forwarding(self, room_id: str) -> list[Forwarding]:
        """What each subscriber's DownTracks carry now, from every worker."""
        parts = await asyncio.gather(*(self._call(i, GetForwarding(room=room_id)) for i in range(self.count)))
        return [entry for part in parts for entry in part]

    async def room_state(self, room_id: str) -> RoomState:
        return await self._call(self.home_of(room_id), GetRoomState(room=room_id))

    async def link_stats(self, room_id: str) -> list[LinkSample]:
        parts = await asyncio.gather(*(self._call(i, GetLinkStats(room=room_id)) for i in self.worker_numbers()))
        return [entry for part in parts for entry in part]

    async def record(self, room_id: str, directory: str | None, min_free_bytes: int = 0) -> None:
        """Record the room into `directory` on every worker (each its own publishers' tracks, the
        home also the program); None stops. Idempotent: the signaling layer says it at each join,
        so that a restarted worker records again."""
        await asyncio.gather(*(self._call(i, Record(room=room_id, directory=directory,
                                                    min_free_bytes=min_free_bytes))
                               for i in self.worker_numbers()))

    async def close_room(self, room_id: str) -> None:
        await asyncio.gather(*(self._call(i, CloseRoom(room=room_id), wait_for_restart=False)
                               for i in self.worker_numbers()))

    async def worker_stats(self) -> list[WorkerStats]:
        return list(await asyncio.gather(*(self._call(i, GetWorkerStats()) for i in self.worker_numbers())))

    async def events(self) -> AsyncIterator[Event]:
        """Events from all workers (`messages.Event`: speaker, layout, publish_hint, connection,
        stats) and this client's own `WorkerLostEvent`s."""
        while True:
            yield await self._events.get()

    # -- wire ----------------------------------------------------------------------------------

    async def _call(self, worker: int, call: Call, *, wait_for_restart: bool = True) -> Any:
        """`wait_for_restart=False` for removals: a worker that is gone took its sessions with it,
        so there is nothing to remove and no reason to wait up to 10 s for it to come back (the
        whole server stopping would wait that long for every participant)."""
        self._require_connected()
        if not wait_for_restart and self._open(worker) is None:
            return None
        request_id = next(self._ids)
        future: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = (worker, future)
        line = encode_line(Request(id=request_id, call=call))
        try:
            for attempt in (1, 2):
                # A worker that restarted (the service brings it back): connect to the new one.
                conn = await self._ensure_worker(worker, timeout=10.0)
                try:
                    conn[1].write(line)
                    await conn[1].drain()
                    break
                except ConnectionError as exc:
                    # Died before its reader noticed; the request never arrived, so sending it to
                    # the restarted worker once is safe.
                    conn[1].close()
                    if attempt == 2:
                        raise MediaError(MediaErrorCode.WORKER_UNAVAILABLE, f"media worker {worker} went away") \
                            from exc
            try:
                reply = await asyncio.wait_for(future, REPLY_SECONDS)
            except TimeoutError:
                raise MediaError(MediaErrorCode.WORKER_UNAVAILABLE,
                                 f"media worker {worker} did not answer {call.op} within {REPLY_SECONDS:.0f} s") \
                    from None
        finally:
            self._pending.pop(request_id, None)
        reply.raise_for_error()
        return _result_adapter(call.result).validate_python(reply.result)

    async def _read(self, worker: int, reader: asyncio.StreamReader) -> None:
        with contextlib.suppress(ConnectionError):
            await self._read_lines(reader)
        conn = self._conns.get(worker)
        if conn is not None and conn[0] is reader:
            conn[1].close()
            self._conns[worker] = None
        for owner, future in list(self._pending.values()):
            if owner == worker and not future.done():
                future.set_exception(MediaError(MediaErrorCode.WORKER_UNAVAILABLE, f"media worker {worker} went away"))
        # Its participants' media sessions died with it; the service restarts the worker.
        self._push(WorkerLostEvent(worker=worker, at=time.time()))

    async def _read_lines(self, reader: asyncio.StreamReader) -> None:
        while line := await reader.readline():
            try:
                message = decode_reply_or_event(line)
            except ValueError:  # pydantic's ValidationError too: a worker of another version
                logger.exception("unreadable line from a media worker")
                continue
            if not isinstance(message, Reply):
                self._push(message)
                continue
            entry = self._pending.get(message.id) if message.id is not None else None
            if entry is not None and not entry[1].done():
                entry[1].set_result(message)

    def _push(self, event: Event) -> None:
        if self._events.full():  # a stalled consumer loses the oldest events, not the newest
            with contextlib.suppress(asyncio.QueueEmpty):
                self._events.get_nowait()
        self._events.put_nowait(event)
