"""Leases give one owner at a time, expire when not renewed, and fence a stale holder: in-process and in Redis."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator

import pytest

from core.leases import InProcessLeases, LeaseStore, RedisLeases, make_leases

REDIS = "redis://127.0.0.1:6379/0"


@pytest.fixture(params=["memory", "redis"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[LeaseStore]:
    if request.param == "memory":
        yield InProcessLeases()
        return
    namespace = f"test-{uuid.uuid4().hex[:10]}:"
    leases = RedisLeases(REDIS, namespace)
    yield leases
    keys = [k async for k in leases._redis.scan_iter(match=f"{namespace}*")]
    if keys:
        await leases._redis.delete(*keys)
    await leases.close()


async def test_one_owner_at_a_time(store: LeaseStore) -> None:
    a = await store.acquire("camera:1", "ingest-a", 5)
    assert a is not None and a.owner == "ingest-a"
    assert await store.acquire("camera:1", "ingest-b", 5) is None
    again = await store.acquire("camera:1", "ingest-a", 5)
    assert again is not None and again.token == a.token  # the owner re-asserting keeps its token
    assert abs(a.expires_at - (time.time() + 5)) < 1.0
    holder = await store.holder("camera:1")
    assert holder is not None and (holder.owner, holder.token) == ("ingest-a", a.token)
    assert await store.holder("camera:2") is None


async def test_expiry_hands_over_with_a_larger_token(store: LeaseStore) -> None:
    a = await store.acquire("camera:7", "ingest-a", 0.3)
    assert a is not None
    await asyncio.sleep(0.45)
    assert await store.holder("camera:7") is None
    b = await store.acquire("camera:7", "ingest-b", 5)
    assert b is not None and b.token > a.token
    # The stalled holder wakes up: it can neither renew nor release what is now b's.
    assert await store.renew(a, 5) is None
    assert await store.release(a) is False
    holder = await store.holder("camera:7")
    assert holder is not None and holder.owner == "ingest-b"


async def test_renew_keeps_it_release_frees_it(store: LeaseStore) -> None:
    a = await store.acquire("camera:3", "ingest-a", 0.4)
    assert a is not None
    for _ in range(4):
        await asyncio.sleep(0.2)
        renewed = await store.renew(a, 0.4)
        assert renewed is not None and renewed.token == a.token
        a = renewed
    assert await store.acquire("camera:3", "ingest-b", 5) is None
    assert await store.release(a) is True
    b = await store.acquire("camera:3", "ingest-b", 5)
    assert b is not None and b.token > a.token


async def test_listing_by_prefix(store: LeaseStore) -> None:
    for i in range(3):
        assert await store.acquire(f"camera:{i}", f"ingest-{i % 2}", 5)
    assert await store.acquire("node:ingest-0", "ingest-0", 5)
    held = await store.held("camera:")
    assert sorted(held) == ["camera:0", "camera:1", "camera:2"]
    assert held["camera:1"].owner == "ingest-1"


async def test_concurrent_acquire_has_one_winner(store: LeaseStore) -> None:
    got = await asyncio.gather(*(store.acquire("meeting:9", f"web-{i}", 5) for i in range(20)))
    winners = [g for g in got if g is not None]
    assert len(winners) == 1


async def test_redis_leases_are_shared_between_clients() -> None:
    namespace = f"test-{uuid.uuid4().hex[:10]}:"
    one, two = RedisLeases(REDIS, namespace), RedisLeases(REDIS, namespace)
    try:
        a = await one.acquire("camera:1", "host-1", 5)
        assert a is not None
        assert await two.acquire("camera:1", "host-2", 5) is None
        seen = await two.holder("camera:1")
        assert seen is not None and (seen.owner, seen.token) == ("host-1", a.token)
        assert await one.release(a)
        b = await two.acquire("camera:1", "host-2", 5)
        assert b is not None and b.token == a.token + 1
    finally:
        keys = [k async for k in one._redis.scan_iter(match=f"{namespace}*")]
        if keys:
            await one._redis.delete(*keys)
        await one.close()
        await two.close()


def test_make_leases_by_url() -> None:
    assert isinstance(make_leases(""), InProcessLeases)
    assert make_leases("") is make_leases("")
    assert isinstance(make_leases(REDIS), RedisLeases)
    with pytest.raises(ValueError, match="redis://"):
        make_leases("nats://127.0.0.1:4222")


async def test_renew_many_in_one_round_trip(store: LeaseStore) -> None:
    mine = [await store.acquire(f"camera:{i}", "ingest-a", 0.4) for i in range(5)]
    assert all(mine)
    await store.release(mine[2])  # type: ignore[arg-type]
    stolen = await store.acquire("camera:2", "ingest-b", 5)
    assert stolen is not None
    renewed = await store.renew_many(mine, 5)  # type: ignore[arg-type]
    assert [r is not None for r in renewed] == [True, True, False, True, True]
    await asyncio.sleep(0.5)
    assert (await store.holder("camera:4")) is not None  # extended past the first 0.4 s
