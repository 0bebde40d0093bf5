"""The live state in Redis, for several web processes (`livestate.py` says what it holds).

Keys, under the installation's namespace (``GIAOBAN_LEASES_NAMESPACE``, ``giaoban:`` by default):
``live:<meeting>`` one hash per meeting (each field a JSON value), ``live:meetings`` the set of
meetings with a state, ``live:action:<id>`` an applied action id (kept 10 minutes), ``live:proc:<id>``
a web process that is alive (it renews the key every second; it expires 3 s after the process
stops), ``live:epoch`` the state's generation (gone after Redis restarts empty), ``live:changes``
the stream of changes (the last 10,000), which every web process reads from where it left off: a
process whose connection broke for a moment gets what it missed, in order, unlike pub/sub.

Every change is one Lua script: it checks the action id, the fields it requires and the seat
token it is guarded by, writes, and publishes, or does nothing. A web process whose key has
expired owns nothing any more: its seats are taken over by a rejoin, and reaped by the others
after the grace period, and its unfinished host actions are finished by another process.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import time
import uuid
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel
from redis import exceptions as redis_errors

from core.protocols import signaling as p

from .livestate import (
    ACTION_MEMORY_SECONDS,
    Claim,
    Deliver,
    LiveStateUnavailable,
    MeetingState,
    Outcome,
    Seat,
    dumps,
    writes_of,
)

log = logging.getLogger(__name__)
HEARTBEAT_SECONDS = 1.0
PROCESS_TTL_SECONDS = 3.0
RESUBSCRIBE_SECONDS = 1.0
READ_BLOCK_MS = 1000  # below the connection's 3 s timeout
UNAVAILABLE_ERRORS = (redis_errors.ConnectionError, redis_errors.TimeoutError, OSError)

# KEYS: meeting hash, action key, meetings set. ARGV: action id, its memory in ms, required fields
# (JSON list), guard (JSON [participant, token] or ""), fields to set (JSON object of JSON texts),
# fields to clear (JSON list), change to tell ("" for none), stream of changes, meeting id, fields that
# must still have a value (JSON object of JSON texts, "" for absent).
_APPLY = """
if ARGV[1] ~= '' and redis.call('EXISTS', KEYS[2]) == 1 then return 'duplicate' end
for _, field in ipairs(cjson.decode(ARGV[3])) do
  if redis.call('HEXISTS', KEYS[1], field) == 0 then return 'missing' end
end
if ARGV[4] ~= '' then
  local guard = cjson.decode(ARGV[4])
  local seat = redis.call('HGET', KEYS[1], 'seat:' .. guard[1])
  if not seat or cjson.decode(seat)['token'] ~= guard[2] then return 'missing' end
end
for field, value in pairs(cjson.decode(ARGV[10])) do
  if (redis.call('HGET', KEYS[1], field) or '') ~= value then return 'missing' end
end
if ARGV[1] ~= '' then redis.call('SET', KEYS[2], '1', 'PX', ARGV[2]) end
local sets = {}
for field, value in pairs(cjson.decode(ARGV[5])) do
  sets[#sets + 1] = field
  sets[#sets + 1] = value
end
if #sets > 0 then redis.call('HSET', KEYS[1], unpack(sets)) end
local clears = cjson.decode(ARGV[6])
if #clears > 0 then redis.call('HDEL', KEYS[1], unpack(clears)) end
redis.call('SADD', KEYS[3], ARGV[9])
if ARGV[7] ~= '' then redis.call('XADD', ARGV[8], 'MAXLEN', '~', '10000', '*', 'c', ARGV[7]) end
return 'applied'
"""
# KEYS: meeting hash, meetings set. ARGV: participant, seat (JSON), now, silence that frees a seat,
# process key prefix, meeting id, this process's id.
_CLAIM = """
local old = redis.call('HGET', KEYS[1], 'seat:' .. ARGV[1])
local heard = redis.call('HGET', KEYS[1], 'heard:' .. ARGV[1])
local outcome = 'claimed'
local alive = 0
if old then
  local owner = cjson.decode(old)['owner']
  if owner ~= '' and owner ~= ARGV[7] and redis.call('EXISTS', ARGV[5] .. owner) == 1 then alive = 1 end
  if alive == 1 and tonumber(ARGV[3]) - tonumber(heard or '0') <= tonumber(ARGV[4]) then
    return {'duplicate', '', '', 0}
  end
  outcome = 'took_over'
end
redis.call('HSET', KEYS[1], 'seat:' .. ARGV[1], ARGV[2], 'heard:' .. ARGV[1], ARGV[3])
redis.call('SADD', KEYS[2], ARGV[6])
return {outcome, old or '', heard or '', alive}
"""
# KEYS: process key, epoch key, meetings set. ARGV: process ttl in ms, the epoch this process
# knows ("" at first), a new epoch should there be none, this process's seats (JSON list of
# [meeting, participant, token, heard, seat JSON]), meeting key prefix.
# A seat still under its token gets its heard moment. When the epoch has changed, Redis lost the
# state (restarted empty): the seats of the sockets this process holds are put back.
_HEARTBEAT = """
redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
local epoch = redis.call('GET', KEYS[2])
if not epoch then
  epoch = ARGV[3]
  redis.call('SET', KEYS[2], epoch)
end
local restore = ARGV[2] ~= '' and epoch ~= ARGV[2]
local restored = 0
for _, s in ipairs(cjson.decode(ARGV[4])) do
  local key = ARGV[5] .. s[1]
  local seat = redis.call('HGET', key, 'seat:' .. s[2])
  if seat and cjson.decode(seat)['token'] == s[3] then
    redis.call('HSET', key, 'heard:' .. s[2], s[4])
  elseif not seat and restore then
    redis.call('HSET', key, 'seat:' .. s[2], s[5], 'heard:' .. s[2], s[4])
    redis.call('SADD', KEYS[3], s[1])
    restored = restored + 1
  end
end
return {epoch, restored}
"""
# KEYS: meeting hash. ARGV: journal field, the owner it must still name, the new owner.
_TAKE_JOURNAL = """
local entry = redis.call('HGET', KEYS[1], ARGV[1])
if not entry then return 0 end
local decoded = cjson.decode(entry)
if decoded['owner'] ~= ARGV[2] then return 0 end
decoded['owner'] = ARGV[3]
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(decoded))
return 1
"""
# KEYS: meeting hash, meetings set. ARGV: meeting id.
_FORGET = """
for _, field in ipairs(redis.call('HKEYS', KEYS[1])) do
  if string.sub(field, 1, 5) == 'seat:' or string.sub(field, 1, 8) == 'journal:' then return 0 end
end
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[1])
return 1
"""


class RedisLiveState:
    shared = True

    def __init__(self, url: str, namespace: str = "giaoban:") -> None:
        import redis.asyncio as redis

        self.process = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.url = url
        self.ns = f"{namespace}live:"
        self.stream = f"{self.ns}changes"
        self._redis = redis.from_url(url, socket_timeout=3, socket_connect_timeout=3)
        self._apply = self._redis.register_script(_APPLY)
        self._claim = self._redis.register_script(_CLAIM)
        self._heartbeat = self._redis.register_script(_HEARTBEAT)
        self._take = self._redis.register_script(_TAKE_JOURNAL)
        self._forget = self._redis.register_script(_FORGET)
        self._deliver: Deliver | None = None
        self._listener: asyncio.Task[None] | None = None
        self._stopping = False
        self.epoch = ""
        self.subscribed = asyncio.Event()
        self.available = True

    def _key(self, meeting_id: int) -> str:
        return f"{self.ns}{meeting_id}"

    def listen(self, deliver: Deliver) -> None:
        self._deliver = deliver

    async def start(self) -> None:
        if self._listener is None:
            self._listener = asyncio.ensure_future(self._listen())
        # Joining before the subscription would miss changes: wait for it (briefly, if Redis is down).
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self.subscribed.wait(), timeout=5)

    async def _listen(self) -> None:
        last: str | None = None
        while not self._stopping:
            try:
                if last is None:  # from now on: what came before, the joins read from the hash
                    newest = await self._redis.xrevrange(self.stream, count=1)
                    last = newest[0][0].decode() if newest else "0-0"
                self.subscribed.set()
                while not self._stopping:
                    answer = await self._redis.xread({self.stream: last}, block=READ_BLOCK_MS, count=500)
                    for _, entries in answer:
                        for entry_id, values in entries:
                            last = entry_id.decode()
                            self._dispatch(values[b"c"])
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis restarted or unreachable: read on from where we were
                self.subscribed.clear()
                if self._stopping:
                    return
                log.error("live state: lost the change stream (%s); retrying in %.0f s", exc, RESUBSCRIBE_SECONDS)
            await asyncio.sleep(RESUBSCRIBE_SECONDS)

    def _dispatch(self, data: bytes) -> None:
        if self._deliver is None:
            return
        try:
            change = json.loads(data)
            self._deliver(int(change["m"]), change["t"], change.get("s"), change.get("e") or [])
        except Exception:
            log.exception("live state: a change could not be delivered")

    async def _call(self, script: Any, keys: list[str], args: list[Any]) -> Any:
        try:
            answer = await script(keys=keys, args=args)
        except UNAVAILABLE_ERRORS as exc:
            self.available = False
            raise LiveStateUnavailable(f"Redis at {self.url}: {exc}") from exc
        self.available = True
        return answer

    async def state(self, meeting_id: int) -> MeetingState:
        try:
            raw = await self._redis.hgetall(self._key(meeting_id))
        except UNAVAILABLE_ERRORS as exc:
            self.available = False
            raise LiveStateUnavailable(f"Redis at {self.url}: {exc}") from exc
        return MeetingState({name.decode(): json.loads(value) for name, value in raw.items()})

    async def apply(self, meeting_id: int, messages: list[BaseModel], *, writes: dict[str, Any] | None = None,
                    action: str | None = None, requires: Iterable[str] = (), guard: tuple[str, str] | None = None,
                    skip: str | None = None, effects: list[list[Any]] | None = None,
                    expect: dict[str, Any] | None = None) -> Outcome:
        if writes is None:
            now = time.time()
            writes = {}
            for message in messages:
                writes.update(writes_of(message, now))
        sets = {name: dumps(value) for name, value in writes.items() if value is not None}
        clears = [name for name, value in writes.items() if value is None]
        change = ""
        if messages or effects:
            change = dumps({"m": meeting_id, "t": [p.encode(m) for m in messages], "s": skip, "e": effects or []})
        answer = await self._call(self._apply, [self._key(meeting_id), f"{self.ns}action:{action or ''}",
                                                f"{self.ns}meetings"],
                                  [action or "", ACTION_MEMORY_SECONDS * 1000, dumps(list(requires)),
                                   dumps(list(guard)) if guard else "", dumps(sets) if sets else "{}",
                                   dumps(clears), change, self.stream, meeting_id,
                                   dumps({name: "" if value is None else dumps(value)
                                          for name, value in (expect or {}).items()}) if expect else "{}"])
        return answer.decode()  # type: ignore[no-any-return]

    async def claim(self, meeting_id: int, seat: Seat, *, silent_after: float) -> Claim:
        outcome, old, heard, alive = await self._call(
            self._claim, [self._key(meeting_id), f"{self.ns}meetings"],
            [seat.participant, dumps(seat.as_dict()), repr(seat.since), silent_after, f"{self.ns}proc:",
             meeting_id, self.process])
        return Claim(outcome.decode(), Seat.of(json.loads(old)) if old else None,
                     float(heard) if heard else None, bool(alive))

    async def heartbeat(self, seats: list[tuple[int, Seat, float]]) -> int:
        """This process is alive and its sockets were last heard then; returns how many seats it
        put back after Redis lost the state."""
        epoch, restored = await self._call(
            self._heartbeat, [f"{self.ns}proc:{self.process}", f"{self.ns}epoch", f"{self.ns}meetings"],
            [int(PROCESS_TTL_SECONDS * 1000), self.epoch, f"{time.time():.6f}-{uuid.uuid4().hex[:8]}",
             dumps([[mid, seat.participant, seat.token, heard, dumps(seat.as_dict())] for mid, seat, heard in seats]),
             self.ns])
        self.epoch = epoch.decode()
        return int(restored)

    async def owner_alive(self, owner: str) -> bool:
        if not owner:
            return False
        try:
            return bool(await self._redis.exists(f"{self.ns}proc:{owner}"))
        except UNAVAILABLE_ERRORS as exc:
            raise LiveStateUnavailable(f"Redis at {self.url}: {exc}") from exc

    async def take_journal(self, meeting_id: int, name: str, from_owner: str) -> bool:
        return bool(await self._call(self._take, [self._key(meeting_id)], [name, from_owner, self.process]))

    async def meeting_ids(self) -> list[int]:
        try:
            return sorted(int(m) for m in await self._redis.smembers(f"{self.ns}meetings"))
        except UNAVAILABLE_ERRORS as exc:
            raise LiveStateUnavailable(f"Redis at {self.url}: {exc}") from exc

    async def forget(self, meeting_id: int) -> None:
        await self._call(self._forget, [self._key(meeting_id), f"{self.ns}meetings"], [meeting_id])

    async def release(self) -> None:
        """This process stops: it owns nothing from now on (its key goes at once, not in 5 s)."""
        with contextlib.suppress(*UNAVAILABLE_ERRORS):
            await self._redis.delete(f"{self.ns}proc:{self.process}")

    async def close(self) -> None:
        self._stopping = True
        if self._listener is not None:
            # Let its blocking read end by itself: cancelled in the middle of one, redis-py's
            # connection can leave the task hanging.
            await asyncio.wait({self._listener}, timeout=READ_BLOCK_MS / 1000 + 2)
            if not self._listener.done():
                self._listener.cancel()
            self._listener = None
        with contextlib.suppress(Exception):
            await self._redis.aclose()
