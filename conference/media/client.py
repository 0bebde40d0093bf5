"""`MediaRouter`: the API the meeting/signaling layer uses to drive the media workers.

It connects to every worker's control socket (JSON lines: `{"id", "op", "args"}` requests,
`{"id", "ok", "result"|"error"}` replies, and `{"event": ...}` lines pushed by the workers),
sends each request to the worker that owns the participant or the room, and merges the
workers' events into one stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from .errors import MediaError
from .payloads import VP8
from .worker import control_path, place


class MediaRouter:
    def __init__(self, run_dir: Path, workers: int) -> None:
        self.run_dir = Path(run_dir)
        self.count = workers
        self._conns: list[tuple[asyncio.StreamReader, asyncio.StreamWriter] | None] = []
        self._pending: dict[int, tuple[int, asyncio.Future]] = {}
        self._ids = itertools.count(1)
        self._events: asyncio.Queue[dict] = asyncio.Queue(maxsize=10000)
        self._readers: list[asyncio.Task] = []
        self._connecting: dict[int, asyncio.Lock] = {}  # one reconnect per worker, or events come twice

    async def connect(self, timeout: float = 20.0) -> None:
        """Connect to all workers, waiting for them to come up (they may still be starting)."""
        self._conns = [None] * self.count
        for index in range(self.count):
            await self._connect_worker(index, timeout)

    async def _connect_worker(self, index: int, timeout: float) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        path = str(control_path(self.run_dir, index))
        while True:
            try:
                reader, writer = await asyncio.open_unix_connection(path, limit=1 << 22)
                break
            except (FileNotFoundError, ConnectionRefusedError):
                if asyncio.get_running_loop().time() > deadline:
                    raise MediaError(f"media worker {index} is not running ({path})") from None
                await asyncio.sleep(0.1)
        self._conns[index] = (reader, writer)
        self._readers.append(asyncio.ensure_future(self._read(index, reader)))

    async def reconnect(self, worker: int, timeout: float) -> None:
        """Wait for a worker that went away to listen again and connect to it (MediaError if it
        is not back within `timeout`)."""
        if not self._conns:
            raise MediaError("MediaRouter is not connected")
        await self._ensure_worker(worker, timeout)

    def _open(self, worker: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
        """The connection to that worker, unless it is gone or going."""
        conn = self._conns[worker]
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
        for conn in self._conns:
            if conn is not None:
                conn[1].close()
        self._conns = []
        # A call in flight would otherwise wait out its whole timeout for a reply no reader will
        # deliver (ending a meeting closes the router while its participants are being removed).
        for _, future in list(self._pending.values()):
            if not future.done():
                future.set_exception(MediaError("MediaRouter connection closed"))

    async def __aenter__(self) -> MediaRouter:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- placement -----------------------------------------------------------------------------

    def worker_for_participant(self, participant_id: str) -> int:
        return place(participant_id, self.count)

    def home_of(self, room_id: str) -> int:
        return place("room:" + room_id, self.count)

    # -- operations ----------------------------------------------------------------------------

    async def add_participant(self, room_id: str, participant_id: str, role: str, sdp_offer: str,
                              *, video_codec: str = VP8) -> str:
        """Negotiate `participant_id`'s session; returns the SDP answer (ICE candidates included).

        Raises `MediaError` (with a message for the client) on bad SDP, no common codec, an
        unknown role or a participant already connected."""
        result = await self._call(self.worker_for_participant(participant_id), "add_participant", {
            "room": room_id, "participant": participant_id, "role": role, "sdp": sdp_offer,
            "video_codec": video_codec})
        return result["sdp"]

    async def remove_participant(self, room_id: str, participant_id: str) -> None:
        await self._call(self.worker_for_participant(participant_id), "remove_participant",
                         {"room": room_id, "participant": participant_id}, wait_for_restart=False)

    async def set_spotlight(self, room_id: str, participant_id: str | None) -> None:
        """Show this district as "speaker" to everyone (grant the floor); None returns to voice."""
        await self._call(self.home_of(room_id), "set_spotlight", {"room": room_id, "participant": participant_id})

    async def mute(self, room_id: str, participant_id: str, muted: bool = True) -> None:
        """Stop (or resume) forwarding a participant's audio to everyone."""
        await self._call(self.home_of(room_id), "mute", {"room": room_id, "participant": participant_id,
                                                         "muted": muted})

    async def room_state(self, room_id: str) -> dict:
        return await self._call(self.home_of(room_id), "room_state", {"room": room_id})

    async def link_stats(self, room_id: str) -> list[dict]:
        parts = await asyncio.gather(*(self._call(i, "link_stats", {"room": room_id}) for i in range(self.count)))
        return [entry for part in parts for entry in part]

    async def close_room(self, room_id: str) -> None:
        await asyncio.gather(*(self._call(i, "close_room", {"room": room_id}, wait_for_restart=False)
                               for i in range(self.count)))

    async def worker_stats(self) -> list[dict]:
        return list(await asyncio.gather(*(self._call(i, "worker_stats", {}) for i in range(self.count))))

    async def events(self) -> AsyncIterator[dict]:
        """Events from all workers: speaker, layout, connection, stats (see package docstring)."""
        while True:
            yield await self._events.get()

    # -- wire ----------------------------------------------------------------------------------

    async def _call(self, worker: int, op: str, args: dict[str, Any], *, wait_for_restart: bool = True) -> Any:
        """`wait_for_restart=False` for removals: a worker that is gone took its sessions with it,
        so there is nothing to remove and no reason to wait up to 10 s for it to come back (the
        whole server stopping would wait that long for every participant)."""
        if not self._conns:
            raise MediaError("MediaRouter is not connected")
        if not wait_for_restart and self._open(worker) is None:
            return None
        request_id = next(self._ids)
        future = asyncio.get_running_loop().create_future()
        self._pending[request_id] = (worker, future)
        line = (json.dumps({"id": request_id, "op": op, "args": args}) + "\n").encode()
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
                        raise MediaError(f"media worker {worker} went away") from exc
            reply = await asyncio.wait_for(future, 30)
        finally:
            self._pending.pop(request_id, None)
        if not reply["ok"]:
            raise MediaError(reply["error"])
        return reply["result"]

    async def _read(self, worker: int, reader: asyncio.StreamReader) -> None:
        with contextlib.suppress(ConnectionError):
            await self._read_lines(reader)
        if worker < len(self._conns) and self._conns[worker] is not None and self._conns[worker][0] is reader:
            self._conns[worker][1].close()
            self._conns[worker] = None
        for owner, future in list(self._pending.values()):
            if owner == worker and not future.done():
                future.set_exception(MediaError(f"media worker {worker} went away"))
        # Its participants' media sessions died with it; the service restarts the worker.
        self._push({"event": "worker_lost", "worker": worker, "at": time.time()})

    async def _read_lines(self, reader: asyncio.StreamReader) -> None:
        while line := await reader.readline():
            message = json.loads(line)
            if "event" in message:
                self._push(message)
                continue
            entry = self._pending.get(message.get("id"))
            if entry is not None and not entry[1].done():
                entry[1].set_result(message)

    def _push(self, event: dict) -> None:
        if self._events.full():  # a stalled consumer loses the oldest events, not the newest
            with contextlib.suppress(asyncio.QueueEmpty):
                self._events.get_nowait()
        self._events.put_nowait(event)
