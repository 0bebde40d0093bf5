"""The event bus: topics such as `conference.speaker` or `documents.registered` carrying JSON-able
dicts. In-process by default; Redis or NATS when `GIAOBAN_BUS_URL` names one, so that several
processes and hosts see the same events."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any, Protocol


class EventBus(Protocol):
    async def publish(self, topic: str, event: dict[str, Any]) -> None: ...

    def subscribe(self, prefix: str = "") -> AsyncIterator[tuple[str, dict[str, Any]]]: ...

    async def close(self) -> None: ...


class InProcessBus:
    """Fan-out to asyncio queues. A slow subscriber loses its oldest events rather than stalling publishers."""

    def __init__(self, queue_size: int = 1000) -> None:
        self._subscribers: list[tuple[str, asyncio.Queue[tuple[str, dict[str, Any]]]]] = []
        self._queue_size = queue_size

    async def publish(self, topic: str, event: dict[str, Any]) -> None:
        self.publish_nowait(topic, event)

    def publish_nowait(self, topic: str, event: dict[str, Any]) -> None:
        for prefix, queue in list(self._subscribers):
            if topic.startswith(prefix):
                if queue.full():
                    with contextlib.suppress(asyncio.QueueEmpty):
                        queue.get_nowait()
                queue.put_nowait((topic, event))

    async def subscribe(self, prefix: str = "") -> AsyncIterator[tuple[str, dict[str, Any]]]:
        queue: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue(self._queue_size)
        entry = (prefix, queue)
        self._subscribers.append(entry)
        try:
            while True:
                yield await queue.get()
        finally:
            self._subscribers.remove(entry)

    async def close(self) -> None:
        self._subscribers.clear()


class RedisBus:
    """Redis pub/sub; topics map to channels `<channels><topic>` (`giaoban.<topic>` by default).
    Pub/sub channels are shared by every database of a Redis server: two systems (or two test
    runs) on one server keep apart by their channel prefix."""

    def __init__(self, url: str, channels: str = "giaoban.") -> None:
        import redis.asyncio as redis

        self._redis = redis.from_url(url)
        self._channels = channels

    async def publish(self, topic: str, event: dict[str, Any]) -> None:
        await self._redis.publish(f"{self._channels}{topic}", json.dumps(event, default=str))

    async def subscribe(self, prefix: str = "") -> AsyncIterator[tuple[str, dict[str, Any]]]:
        pubsub = self._redis.pubsub()
        await pubsub.psubscribe(f"{self._channels}{prefix}*")
        try:
            async for message in pubsub.listen():
                if message["type"] == "pmessage":
                    yield message["channel"].decode()[len(self._channels):], json.loads(message["data"])
        finally:
            await pubsub.aclose()

    async def close(self) -> None:
        await self._redis.aclose()


class NatsBus:
    """NATS core subjects `giaoban.<topic>`; prefix subscriptions use the `>` wildcard."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._nc: Any = None
        self._lock = asyncio.Lock()

    async def _conn(self) -> Any:
        import nats

        async with self._lock:
            if self._nc is None or self._nc.is_closed:
                self._nc = await nats.connect(self._url)
        return self._nc

    async def publish(self, topic: str, event: dict[str, Any]) -> None:
        nc = await self._conn()
        await nc.publish(f"giaoban.{topic}", json.dumps(event, default=str).encode())

    async def subscribe(self, prefix: str = "") -> AsyncIterator[tuple[str, dict[str, Any]]]:
        nc = await self._conn()
        # NATS wildcards match whole tokens; subscribe to the enclosing subject and filter the prefix here.
        base = prefix.rsplit(".", 1)[0] if "." in prefix else ""
        subject = f"giaoban.{base}.>" if base else "giaoban.>"
        sub = await nc.subscribe(subject)
        try:
            async for msg in sub.messages:
                topic = msg.subject[len("giaoban."):]
                if topic.startswith(prefix):
                    yield topic, json.loads(msg.data)
        finally:
            await sub.unsubscribe()

    async def close(self) -> None:
        if self._nc is not None and not self._nc.is_closed:
            await self._nc.drain()


def make_bus(url: str) -> EventBus:
    if not url:
        return InProcessBus()
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisBus(url)
    if url.startswith(("nats://", "tls://")):
        return NatsBus(url)
    raise ValueError(f"GIAOBAN_BUS_URL must be empty, redis://... or nats://...; got {url!r}")


_bus: EventBus | None = None


def get_bus() -> EventBus:
    """The process-wide bus, built from settings on first use."""
    global _bus
    if _bus is None:
        from core.settings import get_settings

        _bus = make_bus(get_settings().bus_url)
    return _bus


def set_bus(bus: EventBus | None) -> None:
    global _bus
    _bus = bus
