"""Which ingest process reads which camera: one owner per camera, through a lease.

Every ingest process (a *node*) holds a node lease (``ops:node:<id>``) that says it is alive, and
one lease per camera it reads (``ops:camera:<id>``). Each round (a third of the lease time) a node
renews what it holds and then, by rendezvous hashing over the live nodes, takes the free cameras
that fall to it and hands over those that now fall to another live node (a node that joined).
A node that dies stops renewing: its node lease and its camera leases expire after ``ttl_s``,
and the survivors take its cameras in their next round, so a camera is read again within
``ttl_s`` + one round + the time to open the stream. Every camera lease carries a fencing token;
reports are stored with it and a report with an older token than the stored one is dropped.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Iterable

from core.leases import Lease, LeaseStore

log = logging.getLogger(__name__)
NODE_PREFIX = "ops:node:"
CAMERA_PREFIX = "ops:camera:"


def _weight(camera_id: str, node: str) -> int:
    return int.from_bytes(hashlib.blake2b(f"{camera_id}|{node}".encode(), digest_size=8).digest(), "big")


def preferred_node(camera_id: str, nodes: Iterable[str]) -> str | None:
    """The live node a camera falls to: highest random weight, stable as nodes come and go."""
    return max(nodes, key=lambda n: _weight(camera_id, n), default=None)


class CameraOwnership:
    def __init__(self, leases: LeaseStore, node: str, ttl_s: float = 4.0) -> None:
        self.leases = leases
        self.node = node
        self.ttl_s = ttl_s
        self.held: dict[str, Lease] = {}  # camera id -> our lease
        self._node_lease: Lease | None = None
        self._free_since: dict[str, float] = {}

    @property
    def round_s(self) -> float:
        return self.ttl_s / 3

    async def _heartbeat(self) -> None:
        lease = None
        if self._node_lease is not None:
            lease = await self.leases.renew(self._node_lease, self.ttl_s)
        if lease is None:
            lease = await self.leases.acquire(f"{NODE_PREFIX}{self.node}", self.node, self.ttl_s)
        self._node_lease = lease

    async def balance(self, camera_ids: Iterable[str]) -> dict[str, Lease]:
        """One round; returns the cameras this node holds now (with their leases)."""
        wanted = set(camera_ids)
        await self._heartbeat()
        keep = [cid for cid in self.held if cid in wanted]
        for cid in [cid for cid in self.held if cid not in wanted]:  # removed from the registry
            await self.leases.release(self.held.pop(cid))
        renewed_all = await self.leases.renew_many([self.held[cid] for cid in keep], self.ttl_s)
        for cid, renewed in zip(keep, renewed_all, strict=True):
            if renewed is None:
                # Renewed too late (an overloaded host): if nobody took it meanwhile, take it again
                # (a new token) and keep reading, rather than dropping the camera for nothing.
                renewed = await self.leases.acquire(f"{CAMERA_PREFIX}{cid}", self.node, self.ttl_s)
            if renewed is None:
                log.warning("camera %s: lease lost (another node holds it now)", cid)
                del self.held[cid]
            else:
                self.held[cid] = renewed
        nodes = {lease.owner for lease in (await self.leases.held(NODE_PREFIX)).values()}
        nodes.add(self.node)
        holders = await self.leases.held(CAMERA_PREFIX)
        now = time.monotonic()
        for cid in sorted(wanted):
            key = f"{CAMERA_PREFIX}{cid}"
            mine = preferred_node(cid, nodes) == self.node
            if cid in self.held:
                if not mine:  # a node joined and this camera falls to it now: hand it over
                    await self.leases.release(self.held.pop(cid))
                continue
            if key in holders:
                self._free_since.pop(cid, None)
                continue
            first_free = self._free_since.setdefault(cid, now)
            # A free camera is taken by the node it falls to; if that node does not take it within
            # two rounds (alive but stuck), by anyone.
            if mine or now - first_free > 2 * self.round_s:
                lease = await self.leases.acquire(key, self.node, self.ttl_s)
                if lease is not None:
                    self.held[cid] = lease
                    self._free_since.pop(cid, None)
        return dict(self.held)

    async def release_all(self) -> None:
        """Graceful stop: hand every camera over at once instead of letting the leases run out."""
        for lease in self.held.values():
            await self.leases.release(lease)
        self.held.clear()
        if self._node_lease is not None:
            await self.leases.release(self._node_lease)
            self._node_lease = None
