"""Leases: one owner at a time for a named thing (a camera, a meeting's live state), with a fencing token.

A lease is held for ``ttl_s`` seconds and must be renewed before then; a holder that dies simply
stops renewing and the lease expires, so another process can take the thing over. Every time a
key passes to an owner, the store hands out a larger *fencing token*: whatever the owner writes
on the lease's behalf carries the token, and the place it writes to refuses a token smaller than
one it has already seen, so a holder that stalled past its expiry (a long GC pause, a frozen VM)
cannot overwrite its successor's work when it wakes up.

Two implementations with the same behaviour: :class:`InProcessLeases` (the embedded default,
one process) and :class:`RedisLeases` (several processes and hosts; each operation is one Lua
script, so acquire, renew and release are atomic). Expiry times come from the store's clock
(Redis ``TIME``), not the caller's. :func:`make_leases` picks one from ``GIAOBAN_LEASES_URL``
(by default the bus URL when that is Redis).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Lease:
    key: str
    owner: str
    token: int  # fencing token: larger every time the key passes to an owner
    expires_at: float  # Unix time, by the store's clock


class LeaseStore(Protocol):
    async def acquire(self, key: str, owner: str, ttl_s: float) -> Lease | None:
        """The lease if ``key`` is free (or already ``owner``'s: then it is extended, same token), else None."""
        ...

    async def renew(self, lease: Lease, ttl_s: float) -> Lease | None:
        """Extend a lease still held under the same token; None once it was lost."""
        ...

    async def renew_many(self, leases: list[Lease], ttl_s: float) -> list[Lease | None]:
        """:meth:`renew` for many leases in one round trip (a process holding a hundred cameras)."""
        ...

    async def release(self, lease: Lease) -> bool:
        """Give the key up if still held under this token; False if it was no longer ours."""
        ...

    async def holder(self, key: str) -> Lease | None: ...

    async def held(self, prefix: str) -> dict[str, Lease]:
        """Every live lease whose key starts with ``prefix``."""
        ...

    async def close(self) -> None: ...


def _check(key: str, owner: str, ttl_s: float) -> None:
    if not key or not owner:
        raise ValueError("a lease needs a key and an owner")
    if not 0 < ttl_s <= 3600:
        raise ValueError("a lease's ttl_s must be between 0 and 3600 seconds")


class InProcessLeases:
    """Leases inside one process (threads and asyncio tasks may share it)."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._leases: dict[str, Lease] = {}
        self._fences: dict[str, int] = {}
        self._lock = threading.Lock()

    def _live(self, key: str, now: float) -> Lease | None:
        lease = self._leases.get(key)
        if lease is not None and lease.expires_at <= now:
            del self._leases[key]
            return None
        return lease

    async def acquire(self, key: str, owner: str, ttl_s: float) -> Lease | None:
        _check(key, owner, ttl_s)
        with self._lock:
            now = self._clock()
            current = self._live(key, now)
            if current is not None and current.owner != owner:
                return None
            if current is None:
                token = self._fences[key] = self._fences.get(key, 0) + 1
            else:
                token = current.token
            lease = self._leases[key] = Lease(key, owner, token, now + ttl_s)
            return lease

    async def renew(self, lease: Lease, ttl_s: float) -> Lease | None:
        _check(lease.key, lease.owner, ttl_s)
        with self._lock:
            now = self._clock()
            current = self._live(lease.key, now)
            if current is None or current.owner != lease.owner or current.token != lease.token:
                return None
            renewed = self._leases[lease.key] = Lease(lease.key, lease.owner, lease.token, now + ttl_s)
            return renewed

    async def renew_many(self, leases: list[Lease], ttl_s: float) -> list[Lease | None]:
        return [await self.renew(lease, ttl_s) for lease in leases]

    async def release(self, lease: Lease) -> bool:
        with self._lock:
            current = self._live(lease.key, self._clock())
            if current is None or current.owner != lease.owner or current.token != lease.token:
                return False
            del self._leases[lease.key]
            return True

    async def holder(self, key: str) -> Lease | None:
        with self._lock:
            return self._live(key, self._clock())

    async def held(self, prefix: str) -> dict[str, Lease]:
        with self._lock:
            now = self._clock()
            return {k: lease for k in list(self._leases)
                    if k.startswith(prefix) and (lease := self._live(k, now)) is not None}

    async def close(self) -> None:
        pass


# KEYS[1] lease hash, KEYS[2] fence counter; ARGV owner, ttl in ms. Returns {token, expires_ms} or nil.
_ACQUIRE = """
local owner = redis.call('HGET', KEYS[1], 'owner')
if owner and owner ~= ARGV[1] then return nil end
local token
if owner then token = tonumber(redis.call('HGET', KEYS[1], 'token'))
else
  token = redis.call('INCR', KEYS[2])
  redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'token', token)
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
local t = redis.call('TIME')
return {token, tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[2])}
"""
# KEYS[1] lease hash; ARGV owner, token, ttl in ms. Returns expires_ms or nil.
_RENEW = """
if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] or redis.call('HGET', KEYS[1], 'token') ~= ARGV[2] then
  return nil
end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
local t = redis.call('TIME')
return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[3])
"""
# KEYS lease hashes; ARGV ttl in ms, then owner and token per key. Returns expires_ms or false per key.
_RENEW_MANY = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local out = {}
for i, key in ipairs(KEYS) do
  local v = redis.call('HMGET', key, 'owner', 'token')
  if v[1] == ARGV[2 * i] and v[2] == ARGV[2 * i + 1] then
    redis.call('PEXPIRE', key, ARGV[1])
    out[i] = now + tonumber(ARGV[1])
  else
    out[i] = false
  end
end
return out
"""
# KEYS[1] lease hash; ARGV owner, token. Returns 1 if released.
_RELEASE = """
if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] or redis.call('HGET', KEYS[1], 'token') ~= ARGV[2] then
  return 0
end
return redis.call('DEL', KEYS[1])
"""
# KEYS lease hashes. Returns {owner, token, expires_ms} per key (false for a free key).
_READ = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local out = {}
for i, key in ipairs(KEYS) do
  local v = redis.call('HMGET', key, 'owner', 'token')
  local ttl = redis.call('PTTL', key)
  if v[1] and ttl > 0 then out[i] = {v[1], v[2], now + ttl} else out[i] = false end
end
return out
"""


class RedisLeases:
    """Leases in Redis: ``<namespace>lease:<key>`` hashes with a TTL, ``<namespace>fence:<key>`` counters."""

    def __init__(self, url: str, namespace: str = "giaoban:") -> None:
        import redis.asyncio as redis

        self._redis = redis.from_url(url)
        self.namespace = namespace
        self._acquire = self._redis.register_script(_ACQUIRE)
        self._renew = self._redis.register_script(_RENEW)
        self._release = self._redis.register_script(_RELEASE)
        self._renew_many = self._redis.register_script(_RENEW_MANY)
        self._read = self._redis.register_script(_READ)

    def _lease_key(self, key: str) -> str:
        return f"{self.namespace}lease:{key}"

    async def acquire(self, key: str, owner: str, ttl_s: float) -> Lease | None:
        _check(key, owner, ttl_s)
        got = await self._acquire(keys=[self._lease_key(key), f"{self.namespace}fence:{key}"],
                                  args=[owner, max(1, int(ttl_s * 1000))])
        if got is None:
            return None
        return Lease(key, owner, int(got[0]), int(got[1]) / 1000)

    async def renew(self, lease: Lease, ttl_s: float) -> Lease | None:
        _check(lease.key, lease.owner, ttl_s)
        got = await self._renew(keys=[self._lease_key(lease.key)],
                                args=[lease.owner, str(lease.token), max(1, int(ttl_s * 1000))])
        if got is None:
            return None
        return Lease(lease.key, lease.owner, lease.token, int(got) / 1000)

    async def renew_many(self, leases: list[Lease], ttl_s: float) -> list[Lease | None]:
        out: list[Lease | None] = []
        ttl_ms = max(1, int(ttl_s * 1000))
        for start in range(0, len(leases), 500):
            chunk = leases[start:start + 500]
            for lease in chunk:
                _check(lease.key, lease.owner, ttl_s)
            args: list[object] = [ttl_ms]
            for lease in chunk:
                args += [lease.owner, str(lease.token)]
            got = await self._renew_many(keys=[self._lease_key(lease.key) for lease in chunk], args=args)
            out += [Lease(lease.key, lease.owner, lease.token, int(g) / 1000) if g else None
                    for lease, g in zip(chunk, got, strict=True)]
        return out

    async def release(self, lease: Lease) -> bool:
        return bool(await self._release(keys=[self._lease_key(lease.key)], args=[lease.owner, str(lease.token)]))

    async def _read_many(self, keys: list[str]) -> dict[str, Lease]:
        out: dict[str, Lease] = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            rows = await self._read(keys=[self._lease_key(k) for k in chunk])
            for key, row in zip(chunk, rows, strict=True):
                if row:
                    out[key] = Lease(key, row[0].decode(), int(row[1]), int(row[2]) / 1000)
        return out

    async def holder(self, key: str) -> Lease | None:
        return (await self._read_many([key])).get(key)

    async def held(self, prefix: str) -> dict[str, Lease]:
        head = self._lease_key("")
        keys = [k.decode()[len(head):] async for k in self._redis.scan_iter(match=f"{head}{prefix}*", count=500)]
        return await self._read_many(sorted(set(keys)))

    async def close(self) -> None:
        await self._redis.aclose()


_SHARED: dict[str, InProcessLeases] = {}
_SHARED_LOCK = threading.Lock()


def make_leases(url: str = "", namespace: str = "giaoban:") -> LeaseStore:
    """Redis for a ``redis://``/``rediss://``/``unix://`` URL; empty: the process's one in-process store."""
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisLeases(url, namespace)
    if url:
        raise ValueError(f"GIAOBAN_LEASES_URL: no lease store for {url!r}; use redis://HOST:PORT/DB "
                         "(Redis holds the live state and leases) or leave it empty for one process")
    with _SHARED_LOCK:
        return _SHARED.setdefault(namespace, InProcessLeases())
