"""A media node: a media worker that other hosts reach (`giaoban media node`).

One process, one asyncio loop, like a `worker.MediaWorker` (it is one), but:
- it registers itself and its load in the registry (`registry.py`) and keeps renewing; its number
  there is its `worker` number in room state and relay frames;
- the control channel is TCP on the node's advertised address, with a challenge answered from
  the installation secret (`registry.control_proof`);
- the other nodes are reached over the trunk (`trunk.py`: sealed UDP media, sealed TCP room
  messages) instead of the Unix mesh;
- a room's home is the node holding the room's home lease: the node of its first participant,
  until it leaves the registry; then a node holding members takes the lease over and the room
  moves its home there (`Room.move_home`).

Faults and what the node does:
- another node leaves the registry (killed, frozen, cut from Redis): its members are dropped from
  the rooms this node is home of, and rooms whose home it was move to a new home;
- this node cannot hear a registered node for `CUT_SECONDS` (a network cut between hosts): it says
  so in its registry record (`unreachable`); a room whose home it cannot hear loses its
  participants here (each gets a `failed` connection event, so the signaling layer asks them to
  renegotiate, and `NodeMediaClient` places them on a node that reaches the home); a home drops
  the members of nodes it cannot hear;
- its own registration lapsed (it was frozen or cut from Redis past the ttl, and its participants
  were moved elsewhere meanwhile): it drops every session and registers again, empty.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import os
import resource
import signal
import time
from pathlib import Path
from typing import Any

from .control import ControlServer
from .mesh import unpack_media
from .messages import AddParticipant, Call, ConnectionEvent, Hello, RoomMessage, WorkerStats
from .registry import RENEW_SECONDS, NodeRecord, NodeRegistry, RegistryError, control_proof
from .room import Room
from .trunk import AGE_SAMPLE, HEARTBEAT_SECONDS, RelayFeed, Trunk, packet_age
from .worker import MediaWorker, restrict_ice_addresses, set_priority

logger = logging.getLogger(__name__)

# A registered node not heard on the trunk for this long is cut off from this one.
CUT_SECONDS = 3.0


class NodeControlServer(ControlServer):
    """The control channel on TCP: a client must first answer a challenge with the proof that it
    belongs to this installation."""

    def __init__(self, address: str, port: int, handler: Any, secret: str) -> None:
        super().__init__(Path(os.devnull), handler)
        self.address, self.port, self._secret = address, port, secret

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._authenticate, self.address, self.port, limit=1 << 22,
                                                  reuse_address=True)

    async def _authenticate(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        challenge = os.urandom(16).hex()
        writer.write(json.dumps({"challenge": challenge}).encode() + b"\n")
        try:
            line = await asyncio.wait_for(reader.readline(), 5.0)
            proof = str(json.loads(line).get("auth", ""))
        except (ValueError, AttributeError, TimeoutError, ConnectionError):
            proof = ""
        if not hmac.compare_digest(proof, control_proof(self._secret, challenge)):
            with contextlib.suppress(ConnectionError):
                writer.write(b'{"refused": "wrong installation secret (GIAOBAN_SECRET_KEY)"}\n')
                await writer.drain()
            writer.close()
            return
        writer.write(b'{"welcome": true}\n')
        await self._serve_client(reader, writer)


class NodeWorker(MediaWorker):
    def __init__(self, record: NodeRecord, registry: NodeRegistry, secret: str) -> None:
        super().__init__(record.number, 0, Path(os.devnull))
        self.record = record
        self.registry = registry
        self.trunk = Trunk(record.number, secret, self._on_mesh_media, self._on_mesh_message)
        self.mesh = self.trunk  # type: ignore[assignment]  # the same counters for worker_stats
        self.control = NodeControlServer(record.address, record.control_port, self, secret)
        self.homes: dict[str, int] = {}
        self.peers: dict[int, NodeRecord] = {}
        self.unreachable: set[int] = set()
        self._appeared: dict[int, float] = {}
        self._greeted = False
        self._cpu_mark = (time.monotonic(), _cpu_seconds())
        self.lapsed = asyncio.Event()
        self.relay_used = 0

    def _on_mesh_media(self, data: bytes) -> None:
        sender, number, packet = unpack_media(data)
        if not self.trunk.received % AGE_SAMPLE:
            age = packet_age(packet)
            if age is not None:
                self.trunk.ages_received.append(age)
        track = self._remote_tracks.get((sender, number))
        if track is not None:
            if track.sinks:
                self.relay_used += 1
            track.dispatch(packet)

    def worker_stats(self) -> WorkerStats:
        """Besides a worker's figures: the sampled packet ages at the trunk since the last call."""
        sent, self.trunk.ages_sent = self.trunk.ages_sent, []
        received, self.trunk.ages_received = self.trunk.ages_received, []
        return super().worker_stats().model_copy(update={
            "relay_used": self.relay_used,
            "relay_age_sent_ms": _percentiles(sent), "relay_age_received_ms": _percentiles(received)})

    # -- placement of rooms --------------------------------------------------------------------------

    def home_of(self, room_id: str) -> int:
        return self.homes.get(room_id, self.index)

    def _room(self, room_id: str, video_codec: str) -> Room:
        self.trunk.add_room(room_id)
        return super()._room(room_id, video_codec)

    async def call(self, call: Call) -> Any:
        if isinstance(call, AddParticipant) and call.room not in self.rooms:
            home = await self.registry.claim_home(call.room)
            self.homes[call.room] = self.index if home is None else home
        return await super().call(call)

    # -- RoomHost over the trunk -------------------------------------------------------------------------

    def send(self, worker: int, message: RoomMessage) -> None:
        if worker == self.index:
            asyncio.get_running_loop().call_soon(self._on_mesh_message, message)
        else:
            self.trunk.send_control(worker, message)

    def open_feed(self, room_id: str) -> RelayFeed:
        feed = RelayFeed(self.trunk, self._next_feed, self.trunk.add_room(room_id))
        self._next_feed += 1
        return feed

    # -- lifecycle -----------------------------------------------------------------------------------------

    async def start(self) -> None:
        from . import aiortc_hooks

        aiortc_hooks.install()
        await self.trunk.open(self.record.address, self.record.relay_port)
        await self.control.start()
        self._tasks = [asyncio.ensure_future(self._every(0.1, self._tick)),
                       asyncio.ensure_future(self._every(3.0, self._stats)),
                       asyncio.ensure_future(self._every(HEARTBEAT_SECONDS, self.trunk.heartbeat)),
                       asyncio.ensure_future(self._keep_registered())]

    async def stop(self) -> None:
        await super().stop()
        with contextlib.suppress(Exception):
            await self.registry.withdraw()

    async def _keep_registered(self) -> None:
        while True:
            try:
                await self._renew()
            except asyncio.CancelledError:
                raise
            except RegistryError as exc:
                logger.error("media node %s: %s", self.record.name, exc)
                self.lapsed.set()
                return
            except Exception:  # Redis unreachable for a moment: the registration lasts its ttl
                logger.exception("media node %s could not renew its registration", self.record.name)
            await asyncio.sleep(RENEW_SECONDS)

    async def _renew(self) -> None:
        now, cpu = time.monotonic(), _cpu_seconds()
        cores = (cpu - self._cpu_mark[1]) / max(1e-3, now - self._cpu_mark[0])
        self._cpu_mark = (now, cpu)
        participants = sum(len(room.participants) for room in self.rooms.values())
        if not await self.registry.renew(participants, cores, tuple(sorted(self.unreachable))):
            await self._start_over()
            return
        await self.registry.renew_homes({r for r, home in self.homes.items() if home == self.index and r in self.rooms})
        await self._apply(await self.registry.nodes(), await self.registry.room_homes())

    async def _start_over(self) -> None:
        """Our registration lapsed: our participants were moved elsewhere. Drop everything and
        register again (the name may have been taken meanwhile: then RegistryError stops us)."""
        logger.warning("media node %s lost its registration; dropping its sessions and registering again",
                       self.record.name)
        for room_id in list(self.rooms):
            await self._evict(room_id)
        self.homes.clear()
        self.peers.clear()
        record = await self.registry.register(self.record.name, self.record.address, self.record.control_port,
                                              self.record.relay_port)
        self.record = record
        self.index = self.trunk.number = record.number
        self._greeted = False

    async def _apply(self, live: dict[int, NodeRecord], homes: dict[str, int]) -> None:
        now = time.monotonic()
        others = {n: r for n, r in live.items() if n != self.index}
        gone = set(self.peers) - set(others)
        for number in gone:
            self._appeared.pop(number, None)
        for number, record in others.items():
            if number in self.peers and self.peers[number].boot != record.boot:
                gone.add(number)  # the same number, a new node: what the old one held is gone
                self._appeared[number] = now
            self._appeared.setdefault(number, now)
        self.trunk.set_peers({n: (r.address, r.relay_port) for n, r in others.items()})
        self.peers = others
        if not self._greeted:  # we (re)started empty: whatever rooms elsewhere thought we held is gone
            for number in others:
                self.trunk.send_control(number, Hello(worker=self.index))
            self._greeted = True
        unreachable = {n for n in others if now - max(self._appeared[n], self.trunk.heard.get(n, 0.0)) > CUT_SECONDS}
        if unreachable != self.unreachable:
            self.unreachable = unreachable
            # Said in the registry before anyone is asked to renegotiate, so that the new offers
            # are not placed here again.
            await self.registry.renew(sum(len(r.participants) for r in self.rooms.values()), 0.0,
                                      tuple(sorted(unreachable)))
        for room_id, room in list(self.rooms.items()):
            home = homes.get(room_id)
            if home is None or (home != self.index and home not in others):
                home = await self.registry.claim_home(room_id)
            if home is None:
                continue
            self.homes[room_id] = home
            if home != room.home:
                logger.warning("room %s: its home is now media node %d", room_id, home)
                room.move_home(home)
        for room_id, room in list(self.rooms.items()):
            if room.is_home:
                for number in gone | self.unreachable:
                    room.forget_worker(number)
            elif room.home in self.unreachable:
                logger.warning("room %s: its home, media node %d, is cut off; its participants here renegotiate",
                               room_id, room.home)
                await self._evict(room_id)
        for room_id in [r for r in self.homes if r not in self.rooms]:
            del self.homes[room_id]
            self.trunk.drop_room(room_id)

    async def _evict(self, room_id: str) -> None:
        room = self.rooms.pop(room_id, None)
        if room is None:
            return
        for pid in list(room.participants):
            self.emit(ConnectionEvent(room=room_id, participant=pid, state="failed"))
        await room.close()


def _percentiles(ages: list[float]) -> list[float]:
    """p50, p90, p99 and max in ms ([] without samples)."""
    if not ages:
        return []
    ages.sort()
    last = len(ages) - 1
    return [round(ages[min(last, round(q * last))] * 1000, 1) for q in (0.5, 0.9, 0.99, 1.0)]


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def serve_node(name: str, address: str, control_port: int, relay_port: int, leases_url: str,
                     namespace: str, secret: str, ready: asyncio.Event | None = None) -> None:
    """Register and run until cancelled, or until the registration cannot be kept (RegistryError)."""
    registry = NodeRegistry(leases_url, namespace)
    try:
        record = await registry.register(name, address, control_port, relay_port)
        registry.keep_alive()
        node = NodeWorker(record, registry, secret)
        try:
            await node.start()
        except OSError as exc:
            raise RegistryError(f"cannot listen on {address} (control port {control_port}, relay port "
                                f"{relay_port}): {exc.strerror or exc}") from exc
        logger.warning("media node %s (number %d) listening on %s: control %d, relay %d", name, record.number,
                       address, control_port, relay_port)
        if ready is not None:
            ready.set()
        try:
            await node.lapsed.wait()
            raise RegistryError(f"media node {name!r} lost its registration and could not register again")
        finally:
            await node.stop()
    finally:
        await registry.close()


def run_node(name: str, address: str, control_port: int, relay_port: int, leases_url: str, namespace: str,
             secret: str, nice: int = 0) -> None:
    """Process entry point (blocking), for `giaoban media node`. Raises RegistryError (duplicate
    name, no Redis, address not ours) with a message for the operator."""
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    set_priority(nice)
    restrict_ice_addresses([address])
    with contextlib.suppress(ImportError):
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())

    async def main() -> None:
        task = asyncio.ensure_future(serve_node(name, address, control_port, relay_port, leases_url, namespace,
                                                secret))
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):  # a clean stop leaves the registry at once
            loop.add_signal_handler(signum, task.cancel)
        with contextlib.suppress(asyncio.CancelledError):
            await task

    asyncio.run(main())
