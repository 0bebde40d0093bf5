"""The registry of media nodes: which nodes run, where they listen, how loaded they are. It lives
in the installation's lease engine (`core.leases`: Redis for several hosts, in-process for one).

A node holds two leases while it runs, renewed every `RENEW_SECONDS`:
- `media-node:<name>`: its registration. The owner is a JSON record of where it listens and a
  boot id, so a second process started under a name that is held is refused (`NodeNameTaken`),
  and one that restarts after a crash waits for its old registration to expire (at most `ttl`).
- `media-node-number:<n>`: its number (1..`MAX_NODES`), the `worker` that room state, track
  feeds and relay frames name it by. Numbers are small because relay frames carry one byte.

Beside the lease the node writes its load (participants, CPU) with its registration's fencing
token; readers take a load record only with the live lease's token, so a node that stalled past
its expiry and wakes up cannot pass itself off as registered. A node that stops renewing
(killed, frozen, cut from Redis) leaves the registry within `ttl` seconds: a stale entry expires
by itself and is never chosen after that.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import threading
import time
import uuid
from dataclasses import dataclass, field

from core.leases import _RENEW_MANY, Lease, LeaseStore, make_leases

TTL_SECONDS = 4.0
RENEW_SECONDS = 1.0
MAX_NODES = 250
_NAME = "media-node:"
_NUMBER = "media-node-number:"
_HOME = "media-room-home:"


class RegistryError(RuntimeError):
    """The node cannot register; the message says why and what to do."""


class NodeNameTaken(RegistryError):
    pass


@dataclass(frozen=True)
class NodeRecord:
    """A live media node as the registry knows it."""

    name: str
    number: int
    address: str  # where the web process, the other nodes and ICE reach it
    control_port: int  # TCP: the control channel (`MediaClient`)
    relay_port: int  # UDP (media) and TCP (room messages) between nodes
    boot: str  # changes at every start
    token: int  # the registration lease's fencing token
    participants: int = 0
    cpu_cores: float = 0.0  # CPU used over the last renewal period
    unreachable: tuple[int, ...] = ()  # numbers of registered nodes it has not heard from lately


@dataclass
class _Loads:
    """Load records of the in-process engine (one process: tests and the embedded default)."""

    records: dict[str, dict] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


_IN_PROCESS: dict[str, _Loads] = {}


class NodeRegistry:
    def __init__(self, leases_url: str, namespace: str = "giaoban:", ttl: float = TTL_SECONDS) -> None:
        self._leases: LeaseStore = make_leases(leases_url, namespace)
        self._ttl = ttl
        self._namespace = namespace
        self._url = leases_url
        self._redis = None
        if leases_url:
            import redis.asyncio as redis

            self._redis = redis.from_url(leases_url)
        else:
            self._loads = _IN_PROCESS.setdefault(namespace, _Loads())
        self.record: NodeRecord | None = None
        self._name_lease: Lease | None = None
        self._number_lease: Lease | None = None
        self._homes: dict[str, Lease] = {}

    # -- a node's own registration ---------------------------------------------------------------

    async def register(self, name: str, address: str, control_port: int, relay_port: int,
                       wait: float | None = None) -> NodeRecord:
        """Register this node. A name held by another process is refused with `NodeNameTaken`
        after waiting `wait` seconds (default: the ttl, so a node restarting after a crash gets
        its name back once its previous registration expired)."""
        if not name or len(name) > 64 or not all(c.isalnum() or c in "-_." for c in name):
            raise RegistryError(f"media node name {name!r}: use 1-64 letters, digits, '-', '_' or '.'")
        boot = uuid.uuid4().hex[:12]
        owner = json.dumps({"name": name, "address": address, "control_port": control_port,
                            "relay_port": relay_port, "boot": boot}, sort_keys=True)
        deadline = time.monotonic() + (self._ttl + 0.5 if wait is None else wait)
        while (lease := await self._leases.acquire(_NAME + name, owner, self._ttl)) is None:
            if time.monotonic() > deadline:
                holder = await self._leases.holder(_NAME + name)
                where = _describe(holder.owner) if holder else "another process"
                raise NodeNameTaken(f"a media node named {name!r} is already running ({where}); give this one "
                                    f"another name (GIAOBAN_MEDIA_NODE_NAME), or stop the other first")
            await asyncio.sleep(0.2)
        self._name_lease = lease
        number_owner = f"{name}/{boot}"
        for number in range(1, MAX_NODES + 1):
            got = await self._leases.acquire(f"{_NUMBER}{number}", number_owner, self._ttl)
            if got is not None:
                self._number_lease = got
                break
        else:
            await self._leases.release(lease)
            raise RegistryError(f"all {MAX_NODES} media node numbers are taken")
        self.record = NodeRecord(name, number, address, control_port,
                                 relay_port, boot, lease.token)
        await self._write_load(self.record)
        return self.record

    async def renew(self, participants: int = 0, cpu_cores: float = 0.0,
                    unreachable: tuple[int, ...] = ()) -> bool:
        """Extend the registration and publish the load; False once it lapsed (the node must drop
        its sessions: they were moved elsewhere, and register again)."""
        if self.record is None or self._name_lease is None or self._number_lease is None:
            return False
        name, number = await self._leases.renew_many([self._name_lease, self._number_lease], self._ttl)
        if name is None or number is None:
            for kept in (name, number):
                if kept is not None:
                    await self._leases.release(kept)
            self.record = self._name_lease = self._number_lease = None
            self._homes.clear()
            return False
        self._name_lease, self._number_lease = name, number
        self.record = NodeRecord(**{**self.record.__dict__, "participants": participants,
                                    "cpu_cores": round(cpu_cores, 3), "unreachable": tuple(unreachable)})
        await self._write_load(self.record)
        return True

    def keep_alive(self) -> None:
        """Also renew this node's leases from a thread of their own, so that a media loop busy for
        seconds (dozens of DTLS handshakes at once on a loaded machine) does not let a live node's
        registration lapse. A frozen or killed process renews nothing: its entry still expires."""
        if self._redis is None or getattr(self, "_keeper", None) is not None:
            return
        import redis as sync_redis

        client = sync_redis.Redis.from_url(self._url)
        script = client.register_script(_RENEW_MANY)
        self._keeper = threading.Thread(target=self._keep, args=(client, script), daemon=True,
                                        name="media-node-registration")
        self._keeper.start()

    def _keep(self, client, script) -> None:  # type: ignore[no-untyped-def]
        while True:
            time.sleep(RENEW_SECONDS / 2)
            leases = [lease for lease in (self._name_lease, self._number_lease, *list(self._homes.values()))
                      if lease is not None]
            if not leases:
                continue
            args: list[object] = [int(self._ttl * 1000)]
            for lease in leases:
                args += [lease.owner, str(lease.token)]
            try:
                kept = script(keys=[f"{self._namespace}lease:{lease.key}" for lease in leases], args=args)
                record = self.record
                if record is not None and kept and kept[0]:  # the load record lives as long as the registration
                    client.pexpire(self._load_key(record.name), int(self._ttl * 1000))
            except Exception:  # Redis away for a moment: the media loop's own renewals say what happened
                continue

    async def withdraw(self) -> None:
        """Leave the registry at once (a clean stop)."""
        for lease in (*self._homes.values(), self._number_lease, self._name_lease):
            if lease is not None:
                await self._leases.release(lease)
        if self.record is not None:
            await self._delete_load(self.record.name)
        self.record = self._name_lease = self._number_lease = None
        self._homes.clear()

    # -- rooms' home nodes ----------------------------------------------------------------------------

    async def claim_home(self, room_id: str) -> int | None:
        """Make this node the room's home unless a node already is; the home's number (None if
        the holder's record cannot be read). A room's home keeps its state (`room.Room`) and
        holds the lease as long as it runs, so a node that joins later does not take it over."""
        if self.record is None:
            return None
        owner = f"{self.record.number}/{self.record.name}/{self.record.boot}"
        lease = await self._leases.acquire(_HOME + room_id, owner, self._ttl)
        if lease is not None:
            self._homes[room_id] = lease
            return self.record.number
        holder = await self._leases.holder(_HOME + room_id)
        return _home_number(holder.owner) if holder is not None else None

    async def renew_homes(self, keep: set[str]) -> set[str]:
        """Renew the home leases of the rooms in `keep` and give up the others; the rooms whose
        lease was lost."""
        for room_id in set(self._homes) - keep:
            await self._leases.release(self._homes.pop(room_id))
        rooms = list(self._homes)
        renewed = await self._leases.renew_many([self._homes[r] for r in rooms], self._ttl)
        lost = set()
        for room_id, lease in zip(rooms, renewed, strict=True):
            if lease is None:
                del self._homes[room_id]
                lost.add(room_id)
            else:
                self._homes[room_id] = lease
        return lost

    async def room_homes(self) -> dict[str, int]:
        """Every room's home node number (rooms with a live home lease)."""
        held = await self._leases.held(_HOME)
        return {key[len(_HOME):]: number for key, lease in held.items()
                if (number := _home_number(lease.owner)) is not None}

    # -- everyone: the live nodes ------------------------------------------------------------------

    async def nodes(self) -> dict[int, NodeRecord]:
        """The live nodes by number. Only registrations whose lease is held and whose load record
        carries that lease's token count."""
        names = await self._leases.held(_NAME)
        numbers = await self._leases.held(_NUMBER)
        number_of = {lease.owner: int(key[len(_NUMBER):]) for key, lease in numbers.items()}
        out: dict[int, NodeRecord] = {}
        for key, lease in names.items():
            try:
                info = json.loads(lease.owner)
            except ValueError:
                continue
            load = await self._read_load(key[len(_NAME):])
            number = number_of.get(f"{info['name']}/{info['boot']}")
            if load is None or number is None or load.get("token") != lease.token or load.get("number") != number:
                continue
            out[number] = NodeRecord(info["name"], number, info["address"], int(info["control_port"]),
                                     int(info["relay_port"]), info["boot"], lease.token,
                                     int(load.get("participants", 0)), float(load.get("cpu_cores", 0.0)),
                                     tuple(load.get("unreachable", ())))
        return out

    async def close(self) -> None:
        await self._leases.close()
        if self._redis is not None:
            await self._redis.aclose()

    # -- load records --------------------------------------------------------------------------------

    def _load_key(self, name: str) -> str:
        return f"{self._namespace}media-node-load:{name}"

    async def _write_load(self, record: NodeRecord) -> None:
        data = {"token": record.token, "number": record.number, "participants": record.participants,
                "cpu_cores": record.cpu_cores, "unreachable": list(record.unreachable), "at": time.time()}
        if self._redis is None:
            with self._loads.lock:
                self._loads.records[record.name] = {**data, "expires": time.monotonic() + self._ttl}
            return
        await self._redis.set(self._load_key(record.name), json.dumps(data), px=int(self._ttl * 1000))

    async def _read_load(self, name: str) -> dict | None:
        if self._redis is None:
            with self._loads.lock:
                data = self._loads.records.get(name)
                return data if data is not None and data["expires"] > time.monotonic() else None
        raw = await self._redis.get(self._load_key(name))
        return json.loads(raw) if raw else None

    async def _delete_load(self, name: str) -> None:
        if self._redis is None:
            with self._loads.lock:
                self._loads.records.pop(name, None)
            return
        await self._redis.delete(self._load_key(name))


def _home_number(owner: str) -> int | None:
    head = owner.split("/", 1)[0]
    return int(head) if head.isdigit() else None


def control_proof(secret: str, challenge: str) -> str:
    """What a `MediaClient` answers to a node's challenge on its control channel (TCP): only
    processes of this installation (they share GIAOBAN_SECRET_KEY) drive its media nodes."""
    key = hashlib.sha256(("giaoban media control:" + secret).encode()).digest()
    return hmac.new(key, challenge.encode(), hashlib.sha256).hexdigest()


def _describe(owner: str) -> str:
    try:
        info = json.loads(owner)
        return f"at {info['address']}, control port {info['control_port']}"
    except (ValueError, KeyError):
        return "another process"
