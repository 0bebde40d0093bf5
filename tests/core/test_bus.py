"""The event bus delivers by topic prefix, in-process and through Redis and NATS on this machine."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from core.bus import InProcessBus, NatsBus, RedisBus, make_bus


async def _roundtrip(bus) -> list[tuple[str, dict]]:  # type: ignore[no-untyped-def]
    tag = uuid.uuid4().hex[:8]
    received: list[tuple[str, dict]] = []

    async def consume() -> None:
        async for topic, event in bus.subscribe(f"documents{tag}."):
            received.append((topic, event))
            if len(received) == 2:
                return

    task = asyncio.create_task(consume())
    await asyncio.sleep(0.3)  # let the subscription reach the broker
    await bus.publish(f"conference{tag}.speaker", {"who": "dc-vinh"})
    await bus.publish(f"documents{tag}.registered", {"id": 1})
    await bus.publish(f"documents{tag}.directed", {"id": 1, "unit": "000.00.02.H41"})
    await asyncio.wait_for(task, 5)
    await bus.close()
    return [(t.removeprefix(f"documents{tag}."), e) for t, e in received]


EXPECTED = [("registered", {"id": 1}), ("directed", {"id": 1, "unit": "000.00.02.H41"})]


async def test_in_process_bus() -> None:
    assert await _roundtrip(InProcessBus()) == EXPECTED


async def test_redis_bus() -> None:
    assert await _roundtrip(RedisBus("redis://127.0.0.1:6379/0")) == EXPECTED


async def test_redis_buses_with_their_own_channels_do_not_hear_each_other() -> None:
    """Two systems (or test runs) on one Redis server: pub/sub channels ignore the database number."""
    ours = RedisBus("redis://127.0.0.1:6379/0", f"giaoban-a-{uuid.uuid4().hex[:8]}.")
    theirs = RedisBus("redis://127.0.0.1:6379/0", f"giaoban-b-{uuid.uuid4().hex[:8]}.")
    heard: list[tuple[str, dict]] = []

    async def consume() -> None:
        async for topic, event in ours.subscribe("conference."):
            heard.append((topic, event))
            return

    task = asyncio.create_task(consume())
    await asyncio.sleep(0.3)  # let the subscription reach the broker
    await theirs.publish("conference.speaker", {"meeting": 1, "participant": "dc-cualo"})
    await ours.publish("conference.speaker", {"meeting": 1, "participant": "dc-vinh"})
    await asyncio.wait_for(task, 30)
    await ours.close()
    await theirs.close()
    assert heard == [("conference.speaker", {"meeting": 1, "participant": "dc-vinh"})]


async def test_nats_bus() -> None:
    assert await _roundtrip(NatsBus("nats://127.0.0.1:4222")) == EXPECTED


async def test_slow_subscriber_loses_oldest_not_publisher_time() -> None:
    bus = InProcessBus(queue_size=3)
    agen = bus.subscribe("x.")
    first = asyncio.ensure_future(agen.__anext__())
    await asyncio.sleep(0)
    for i in range(10):
        await bus.publish("x.n", {"i": i})
    got = [(await first)[1]["i"]] + [(await agen.__anext__())[1]["i"] for _ in range(2)]
    assert got == [7, 8, 9]


def test_unknown_bus_url_is_refused() -> None:
    with pytest.raises(ValueError, match="GIAOBAN_BUS_URL"):
        make_bus("amqp://localhost")
