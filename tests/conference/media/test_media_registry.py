"""The media node registry in Redis: nodes register with their load, a second node under a taken
name is refused, a node that stops renewing leaves the registry by itself, a stale record cannot
pass for a live node, and a room keeps one home node."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as redis

from conference.media.registry import NodeNameTaken, NodeRegistry, RegistryError

REDIS = "redis://127.0.0.1:6379/0"
pytestmark = pytest.mark.timeout(60)


@pytest.fixture
async def namespace() -> AsyncIterator[str]:
    ns = f"test-nodes-{uuid.uuid4().hex[:10]}:"
    yield ns
    client = redis.from_url(REDIS)
    keys = [k async for k in client.scan_iter(match=f"{ns}*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


async def test_nodes_register_with_their_load_and_numbers(namespace: str) -> None:
    a, b, reader = (NodeRegistry(REDIS, namespace, ttl=2) for _ in range(3))
    try:
        ra = await a.register("node-a", "10.1.0.2", 7000, 7001)
        rb = await b.register("node-b", "10.2.0.2", 7000, 7001)
        assert {ra.number, rb.number} == {1, 2}
        assert await a.renew(participants=12, cpu_cores=0.4)
        nodes = await reader.nodes()
        assert {n.name for n in nodes.values()} == {"node-a", "node-b"}
        seen = nodes[ra.number]
        assert (seen.address, seen.control_port, seen.relay_port, seen.participants, seen.cpu_cores) == \
               ("10.1.0.2", 7000, 7001, 12, 0.4)
        await b.withdraw()  # a clean stop leaves at once
        assert set(await reader.nodes()) == {ra.number}
    finally:
        for r in (a, b, reader):
            await r.close()


async def test_a_duplicate_name_is_refused_clearly(namespace: str) -> None:
    first, second = NodeRegistry(REDIS, namespace, ttl=2), NodeRegistry(REDIS, namespace, ttl=2)
    try:
        await first.register("node-a", "10.1.0.2", 7000, 7001)
        with pytest.raises(NodeNameTaken, match=r"already running \(at 10\.1\.0\.2, control port 7000\)"):
            await second.register("node-a", "10.9.0.2", 7100, 7101, wait=0.5)
        with pytest.raises(RegistryError, match="letters, digits"):
            await second.register("node a/../x", "10.9.0.2", 7100, 7101)
        assert [n.address for n in (await second.nodes()).values()] == ["10.1.0.2"]
    finally:
        await first.close()
        await second.close()


async def test_the_giaoban_command_refuses_a_duplicate_name(namespace: str) -> None:
    holder = NodeRegistry(REDIS, namespace, ttl=30)
    try:
        await holder.register("node-a", "127.0.0.1", 7000, 7001)
        env = {"GIAOBAN_LEASES_URL": REDIS, "GIAOBAN_LEASES_NAMESPACE": namespace, "PATH": "/usr/bin:/bin"}
        done = subprocess.run([sys.executable, "-m", "web.cli", "media", "node", "--name", "node-a",
                               "--address", "127.0.0.1", "--control-port", "0", "--relay-port", "0"],
                              capture_output=True, text=True, timeout=60, env={**_env(), **env})
        assert done.returncode == 78
        assert "a media node named 'node-a' is already running (at 127.0.0.1, control port 7000)" in done.stderr
    finally:
        await holder.close()


def _env() -> dict[str, str]:
    import os

    return dict(os.environ)


async def test_a_node_that_stops_renewing_leaves_the_registry(namespace: str) -> None:
    stale, fresh, reader = (NodeRegistry(REDIS, namespace, ttl=0.6) for _ in range(3))
    try:
        old = await stale.register("node-a", "10.1.0.2", 7000, 7001)
        assert old.number in await reader.nodes()
        await asyncio.sleep(1.0)  # it stopped renewing (killed, frozen): the entry expired by itself
        assert await reader.nodes() == {}
        new = await fresh.register("node-a", "10.1.0.3", 7000, 7001, wait=0.5)  # the name is free again
        assert new.token > old.token
        # The stalled holder wakes up: it cannot renew, and its load record does not count.
        assert await stale.renew(participants=50) is False
        nodes = await reader.nodes()
        assert [(n.address, n.participants) for n in nodes.values()] == [("10.1.0.3", 0)]
    finally:
        for r in (stale, fresh, reader):
            await r.close()


async def test_a_stale_record_without_its_lease_is_ignored(namespace: str) -> None:
    """A load record left behind (or written by a stalled node) with no live lease of its token."""
    writer, reader = NodeRegistry(REDIS, namespace, ttl=5), NodeRegistry(REDIS, namespace, ttl=5)
    client = redis.from_url(REDIS)
    try:
        await client.set(f"{namespace}media-node-load:ghost", json.dumps({"token": 1, "number": 1, "participants": 0}))
        record = await writer.register("node-a", "10.1.0.2", 7000, 7001)
        assert [n.name for n in (await reader.nodes()).values()] == ["node-a"]
        await client.set(f"{namespace}media-node-load:node-a",
                         json.dumps({"token": record.token + 7, "number": record.number, "participants": 0}))
        assert await reader.nodes() == {}  # a record under another token is not this registration's
    finally:
        await client.aclose()
        await writer.close()
        await reader.close()


async def test_a_room_keeps_one_home_until_it_expires(namespace: str) -> None:
    a, b = NodeRegistry(REDIS, namespace, ttl=0.8), NodeRegistry(REDIS, namespace, ttl=0.8)
    try:
        ra = await a.register("node-a", "10.1.0.2", 7000, 7001)
        rb = await b.register("node-b", "10.2.0.2", 7000, 7001)
        assert await a.claim_home("meeting-1") == ra.number
        assert await b.claim_home("meeting-1") == ra.number  # b learns the home, does not take it
        assert await b.room_homes() == {"meeting-1": ra.number}
        for _ in range(3):
            await asyncio.sleep(0.4)
            assert await b.renew()
            assert await b.renew_homes(set()) == set()
        # a stopped renewing: its home lease expired with it, and b takes the room over.
        assert await b.claim_home("meeting-1") == rb.number
    finally:
        await a.close()
        await b.close()
