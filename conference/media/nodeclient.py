"""`NodeMediaClient`: a `MediaClient` for media nodes on several hosts (`node.py`), found in the
registry (`registry.py`) instead of numbered Unix sockets on this host. Same calls, same events.

- A new participant goes to the least-loaded live node (participants, then CPU) that can reach
  the room's home node; the client remembers where each participant is.
- Calls about a whole room go to its home node (the holder of the room's home lease).
- The registry is read every `REFRESH_SECONDS`. A node that left it (killed, frozen past its ttl,
  cut from Redis) gets its control connection closed, which raises a `WorkerLostEvent` for its
  number exactly as a local worker's death does: the signaling layer marks its participants'
  media as lost and asks them to renegotiate, and their new offers land on the remaining nodes
  (`reconnect` does not wait for a node that is gone while others run).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from pathlib import Path

from .client import MediaClient
from .errors import MediaError, MediaErrorCode
from .messages import AddParticipant, Answer, Event, RemoveParticipant, WorkerLostEvent
from .payloads import VP8
from .registry import NodeRecord, NodeRegistry, control_proof

logger = logging.getLogger(__name__)
REFRESH_SECONDS = 0.5


class NodeMediaClient(MediaClient):
    def __init__(self, registry: NodeRegistry, secret: str) -> None:
        super().__init__(Path("."), 0)
        self.registry = registry
        self._secret = secret
        self.nodes: dict[int, NodeRecord] = {}
        self.homes: dict[str, int] = {}
        self.placed: dict[str, int] = {}  # participant -> node number
        # Nodes whose control connection ended, by the boot they had: not chosen again until the
        # registry shows them gone or restarted (a killed node stays registered up to its ttl).
        self.lost: dict[int, str] = {}
        self._refresher: asyncio.Task | None = None
        self._open_flag = False

    # -- the registry ------------------------------------------------------------------------------

    async def connect(self, timeout: float = 20.0) -> None:
        """Read the registry and connect to every live node; WORKER_UNAVAILABLE when no node is
        registered within `timeout`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        await self.refresh()
        while not self.nodes:
            if loop.time() > deadline:
                raise MediaError(MediaErrorCode.WORKER_UNAVAILABLE,
                                 "no media node is registered (start one with `giaoban media node`)")
            await asyncio.sleep(0.2)
            await self.refresh()
        self._open_flag = True
        for number in list(self.nodes):
            with contextlib.suppress(MediaError):
                await self._ensure_worker(number, max(0.5, deadline - loop.time()))
        self._refresher = asyncio.ensure_future(self._keep_refreshing())

    async def refresh(self) -> None:
        nodes = await self.registry.nodes()
        self.homes = await self.registry.room_homes()
        for number in set(self.nodes) - set(nodes):
            self._drop_node(number, "it left the registry")
        for number, record in nodes.items():
            known = self.nodes.get(number)
            if known is not None and known.boot != record.boot:
                self._drop_node(number, "it restarted")
        self.nodes = nodes
        self.lost = {n: boot for n, boot in self.lost.items() if n in nodes and nodes[n].boot == boot}

    def _push(self, event: Event) -> None:
        if isinstance(event, WorkerLostEvent) and event.worker in self.nodes:
            self.lost[event.worker] = self.nodes[event.worker].boot
        super()._push(event)

    def _drop_node(self, number: int, why: str) -> None:
        """Close our control connection to a node that is gone: our reader then reports a
        `WorkerLostEvent` for it and fails the calls waiting for it."""
        conn = self._conns.get(number)
        if conn is not None:
            logger.warning("media node %d is gone (%s)", number, why)
            conn[1].close()

    async def _keep_refreshing(self) -> None:
        while True:
            await asyncio.sleep(REFRESH_SECONDS)
            try:
                await self.refresh()
            except Exception:
                logger.exception("could not read the media node registry")

    async def close(self) -> None:
        self._open_flag = False
        if self._refresher is not None:
            self._refresher.cancel()
        await super().close()
        await self.registry.close()

    def _require_connected(self) -> None:
        if not self._open_flag:
            raise MediaError(MediaErrorCode.CLIENT_CLOSED, "the media client is closed or not connected")

    # -- connections ---------------------------------------------------------------------------------

    def worker_numbers(self) -> list[int]:
        return sorted(self.nodes)

    def _where(self, index: int) -> str:
        record = self.nodes.get(index)
        return f"{record.name} at {record.address}:{record.control_port}" if record else "not registered"

    async def _open_connection(self, index: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        record = self.nodes.get(index)
        if record is None:
            raise ConnectionRefusedError(f"media node {index} is not registered")
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(record.address, record.control_port, limit=1 << 22), 3.0)
        try:
            challenge = json.loads(await asyncio.wait_for(reader.readline(), 3.0))["challenge"]
            writer.write(json.dumps({"auth": control_proof(self._secret, challenge)}).encode() + b"\n")
            said = json.loads(await asyncio.wait_for(reader.readline(), 3.0))
        except (ValueError, KeyError, TypeError, TimeoutError) as exc:
            writer.close()
            raise ConnectionRefusedError(f"media node {index} did not greet as one") from exc
        if not said.get("welcome"):
            writer.close()
            raise MediaError(MediaErrorCode.WORKER_UNAVAILABLE,
                             f"media node {record.name} refused this client: {said.get('refused')}")
        return reader, writer

    async def _connect_worker(self, index: int, timeout: float) -> None:
        if index not in self.nodes:
            raise MediaError(MediaErrorCode.WORKER_UNAVAILABLE, f"media node {index} is not registered")
        await super()._connect_worker(index, timeout)

    async def reconnect(self, worker: int, timeout: float) -> None:
        """A node that is still registered: connect to it again. One that is gone is not waited
        for while another node runs: its participants' new offers go there."""
        self._require_connected()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if worker in self.nodes and worker not in self.lost:
                with contextlib.suppress(MediaError):
                    await self._ensure_worker(worker, max(0.1, deadline - loop.time()))
                    return
            elif set(self.nodes) - set(self.lost):
                return
            if loop.time() > deadline:
                raise MediaError(MediaErrorCode.WORKER_UNAVAILABLE, "no media node is back")
            await asyncio.sleep(0.2)

    # -- placement -----------------------------------------------------------------------------------

    def worker_for_participant(self, participant_id: str, room_id: str | None = None) -> int:
        return self.placed.get(participant_id, -1)

    def home_of(self, room_id: str) -> int:
        home = self.homes.get(room_id)
        if home is None or home not in self.nodes:
            raise MediaError(MediaErrorCode.NO_ROOM, f"room {room_id!r} has no media on any node")
        return home

    def choose_node(self, room_id: str) -> int:
        """The least-loaded live node that can reach the room's home (and the home can reach)."""
        home = self.homes.get(room_id)
        if home not in self.nodes or home in self.lost:
            home = None
        candidates = [n for n, r in self.nodes.items() if n not in self.lost
                      and (home is None or n == home
                           or (home not in r.unreachable and n not in self.nodes[home].unreachable))]
        if not candidates:
            raise MediaError(MediaErrorCode.WORKER_UNAVAILABLE, "no media node is registered")
        mine: dict[int, int] = {}
        for number in self.placed.values():
            mine[number] = mine.get(number, 0) + 1
        return min(candidates, key=lambda n: (max(self.nodes[n].participants, mine.get(n, 0)),
                                              self.nodes[n].cpu_cores, n))

    async def add_participant(self, room_id: str, participant_id: str, role: str, sdp_offer: str,
                              *, video_codec: str = VP8) -> str:
        with contextlib.suppress(Exception):  # the freshest view: a node may have just said it is cut off
            await self.refresh()
        for attempt in (1, 2):
            node = self.choose_node(room_id)
            self.placed[participant_id] = node
            try:
                answer: Answer = await self._call(node, AddParticipant(
                    room=room_id, participant=participant_id, role=role, sdp=sdp_offer, video_codec=video_codec))
                break
            except BaseException as exc:
                if self.placed.get(participant_id) == node:
                    del self.placed[participant_id]
                if attempt == 1 and isinstance(exc, MediaError) and exc.code == MediaErrorCode.WORKER_UNAVAILABLE \
                        and node in self.nodes:
                    self.lost[node] = self.nodes[node].boot  # died just now: the offer goes elsewhere
                    continue
                raise
        if room_id not in self.homes:
            with contextlib.suppress(Exception):
                self.homes = await self.registry.room_homes()
        return answer.sdp

    async def remove_participant(self, room_id: str, participant_id: str) -> None:
        node = self.placed.pop(participant_id, None)
        if node is None:
            raise MediaError(MediaErrorCode.NOT_CONNECTED, f"participant {participant_id!r} has no media session")
        if node not in self.nodes:
            return  # its node is gone, and its session with it
        await self._call(node, RemoveParticipant(room=room_id, participant=participant_id), wait_for_restart=False)
