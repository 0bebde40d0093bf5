"""Media nodes on several hosts, the hosts being network namespaces with their own addresses: a
publisher on one node is decoded by a subscriber on another (the stream crosses the trunk once,
sealed), and when a node dies, freezes or is cut off from the room's home, its participants
renegotiate onto the remaining node within 10 s while the meeting goes on for the others.

The test process plays the web process (`NodeMediaClient`) and the clients (aiortc peers) from
the root namespace; it re-offers for a participant when the signaling layer would ask it to
(`medialink.MediaLink` sends `renegotiate` on a `worker_lost` or a `failed` connection event)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import aioice.ice
import pytest
import redis.asyncio as redis
from aiortc.mediastreams import AudioStreamTrack

from conference.media.bench.hosts import Host, Hosts, netns_refusal
from conference.media.errors import MediaError
from conference.media.messages import ConnectionEvent, Event, SpeakerEvent, WorkerLostEvent
from conference.media.nodeclient import NodeMediaClient
from conference.media.registry import NodeRegistry
from tests.conference.media.test_media_end_to_end import Peer, _mid

pytestmark = pytest.mark.timeout(300)
REDIS = "redis://127.0.0.1:6379/0"
SECRET = "a test installation's secret"
ROOT = Path(__file__).resolve().parents[3]
NODE = ("import sys; from conference.media.node import run_node; "
        "run_node(sys.argv[1], sys.argv[2], 7000, 7001, sys.argv[3], sys.argv[4], sys.argv[5])")
REJOIN_SECONDS = 10.0


async def wait_for(predicate, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.1)


@dataclass
class Cluster:
    hosts: Hosts
    namespace: str
    redis_url: str
    tmp: Path
    media: NodeMediaClient | None = None
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)

    def start(self, host: Host) -> None:
        log = open(self.tmp / f"node-{host.name}.log", "ab")  # noqa: SIM115 - the process keeps it
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.processes[host.name] = subprocess.Popen(
            host.command([sys.executable, "-c", NODE, f"node-{host.name}", host.address, self.redis_url,
                          self.namespace, SECRET]), cwd=ROOT, env=env, stdout=log, stderr=log)

    def node_of(self, participant: str) -> str:
        assert self.media is not None
        return self.media.nodes[self.media.placed[participant]].name.removeprefix("node-")

    def log(self, name: str) -> str:
        return (self.tmp / f"node-{name}.log").read_text(errors="replace")

    async def registered(self) -> dict[str, int]:
        registry = NodeRegistry(REDIS, self.namespace)
        try:
            return {r.name.removeprefix("node-"): r.participants for r in (await registry.nodes()).values()}
        finally:
            await registry.close()


@pytest.fixture
async def cluster(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Cluster]:
    refusal = netns_refusal()
    if refusal:
        pytest.skip(f"media nodes are tested on hosts made of network namespaces: {refusal}")
    hosts = Hosts()
    hosts.open()
    namespace = f"test-nodes-{uuid.uuid4().hex[:10]}:"
    c = Cluster(hosts, namespace, "", tmp_path)
    try:
        c.redis_url = hosts.forward_redis()
        for name in ("a", "b"):
            c.start(hosts.add(name))
        # The clients' ICE candidates: the root namespace's address on the hosts' network.
        monkeypatch.setattr(aioice.ice, "get_host_addresses", lambda use_ipv4, use_ipv6: [hosts.gateway])
        deadline = time.monotonic() + 90
        while set(await c.registered()) != {"a", "b"}:
            for name, proc in c.processes.items():
                assert proc.poll() is None, f"node {name} exited: {c.log(name)}"
            assert time.monotonic() < deadline, "the nodes did not register"
            await asyncio.sleep(0.3)
        c.media = NodeMediaClient(NodeRegistry(REDIS, namespace), SECRET)
        await c.media.connect()

        async def collect() -> None:
            async for event in c.media.events():
                c.events.append(event)

        collector = asyncio.ensure_future(collect())
        yield c
        collector.cancel()
    finally:
        if c.media is not None:
            await c.media.close()
        for proc in c.processes.values():
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGCONT)
                proc.kill()
            proc.wait(10)
        hosts.close()
        client = redis.from_url(REDIS)
        keys = [k async for k in client.scan_iter(match=f"{namespace}*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


async def _meeting(c: Cluster) -> tuple[Peer, Peer]:
    """The chair on one node, a district on the other (new participants go to the least loaded)."""
    assert c.media is not None
    host, district = Peer(publish_video=1, video_slots=2), Peer(publish_video=2, video_slots=2)
    await host.join(c.media, "r1", "chair", "host", "vp8")
    await district.join(c.media, "r1", "dc-1", "district", "vp8")
    assert c.node_of("chair") != c.node_of("dc-1")
    # Each decodes the other's video, which crossed between the hosts.
    try:
        await wait_for(lambda: district.frames.get(_mid(district, 0), 0) >= 10, 60, "the chair's video at the district")
    except AssertionError as exc:
        stats = await c.media.worker_stats()
        raise AssertionError(f"{exc}: {district.frames} {stats} {c.log('a')} {c.log('b')}") from None
    await wait_for(lambda: host.frames.get(_mid(host, 1), 0) >= 5, 60, "the district's tile at the chair")
    return host, district


async def _rejoin(c: Cluster, district: Peer, since: float) -> Peer:
    """What the district's client does when asked to renegotiate: a new offer, placed anew."""
    assert c.media is not None
    await district.pc.close()
    with contextlib.suppress(MediaError):
        await c.media.remove_participant("r1", "dc-1")
    again = Peer(publish_video=2, video_slots=2)
    await again.join(c.media, "r1", "dc-1", "district", "vp8")
    await wait_for(lambda: again.frames.get(_mid(again, 0), 0) >= 3, since + REJOIN_SECONDS - time.monotonic(),
                   "the chair's video after the rejoin")
    return again


async def test_a_stream_crosses_between_nodes_on_two_hosts(cluster: Cluster) -> None:
    c = cluster
    assert c.media is not None
    host, district = await _meeting(c)
    assert district.sizes[_mid(district, 0)] == (160, 120)
    stats = {s.worker: s for s in await c.media.worker_stats()}
    assert len(stats) == 2
    # Both nodes sent and received sealed packets on the trunk; neither decoded nor encoded.
    assert all(s.mesh_sent > 0 and s.mesh_received > 0 for s in stats.values())
    assert sum(s.decoded_frames + s.encoded_frames for s in stats.values()) == 0
    # Each node publishes its load in the registry: one participant each.
    deadline = time.monotonic() + 10
    while await c.registered() != {"a": 1, "b": 1}:
        assert time.monotonic() < deadline, await c.registered()
        await asyncio.sleep(0.3)
    for peer in (host, district):
        await peer.pc.close()


async def test_a_killed_node_s_participants_rejoin_on_the_other(cluster: Cluster) -> None:
    c = cluster
    assert c.media is not None
    host, district = await _meeting(c)
    victim, survivor = c.node_of("dc-1"), c.node_of("chair")
    number = c.media.placed["dc-1"]
    killed = time.monotonic()
    c.processes[victim].kill()
    await wait_for(lambda: any(isinstance(e, WorkerLostEvent) and e.worker == number for e in c.events),
                   REJOIN_SECONDS, "the lost node's event")
    again = await _rejoin(c, district, killed)
    assert c.node_of("dc-1") == survivor
    # The meeting went on for the chair: it sees the district again.
    seen = host.frames.get(_mid(host, 1), 0)
    await wait_for(lambda: host.frames.get(_mid(host, 1), 0) > seen + 5, 30, "the district's tile again")
    for peer in (host, again):
        await peer.pc.close()


async def test_a_node_that_stops_answering_is_left_behind(cluster: Cluster) -> None:
    c = cluster
    assert c.media is not None
    host, district = await _meeting(c)
    frozen, survivor = c.node_of("dc-1"), c.node_of("chair")
    number = c.media.placed["dc-1"]
    stopped = time.monotonic()
    c.processes[frozen].send_signal(signal.SIGSTOP)
    # It cannot renew its registration: it leaves the registry and the web side lets it go.
    await wait_for(lambda: any(isinstance(e, WorkerLostEvent) and e.worker == number for e in c.events),
                   REJOIN_SECONDS, "the frozen node's event")
    again = await _rejoin(c, district, stopped)
    assert c.node_of("dc-1") == survivor
    # It wakes up: its registration lapsed, so it drops its stale sessions and registers again, empty.
    c.processes[frozen].send_signal(signal.SIGCONT)
    deadline = time.monotonic() + 30
    while (await c.registered()).get(frozen) != 0:
        assert time.monotonic() < deadline, f"the woken node is not back: {c.log(frozen)}"
        await asyncio.sleep(0.3)
    assert "lost its registration" in c.log(frozen)
    for peer in (host, again):
        await peer.pc.close()


async def test_a_network_cut_between_nodes_moves_participants_to_the_home(cluster: Cluster) -> None:
    c = cluster
    assert c.media is not None
    host, district = await _meeting(c)
    home, other = c.node_of("chair"), c.node_of("dc-1")  # the chair came first: its node is the room's home
    cut = time.monotonic()
    c.hosts.cut(home, other)
    await wait_for(lambda: any(isinstance(e, ConnectionEvent) and e.participant == "dc-1" and e.state == "failed"
                               for e in c.events), REJOIN_SECONDS, "the cut-off participant's failure")
    again = await _rejoin(c, district, cut)
    assert c.node_of("dc-1") == home
    # Both nodes still run and say whom they cannot reach.
    assert set(await c.registered()) == {"a", "b"}
    for peer in (host, again):
        await peer.pc.close()


class Voice(AudioStreamTrack):
    """Someone talking into the microphone: a loud square wave (about -6 dBov), where the
    default track is silence."""

    async def recv(self):  # type: ignore[no-untyped-def]
        frame = await super().recv()
        half = frame.samples // 8
        wave = (b"\x00\x40" * half + b"\x00\xc0" * half) * 4
        frame.planes[0].update(wave[: frame.planes[0].buffer_size])
        return frame


async def test_only_streams_someone_receives_cross_and_the_speaker_is_found_across_nodes(cluster: Cluster) -> None:
    """The room's home hears every voice's level without its packets: a district talking on the
    other node becomes the speaker, and the chair's silent voice, which nobody there hears, never
    crosses the trunk."""
    c = cluster
    assert c.media is not None
    host, district = Peer(publish_video=1, video_slots=2), Peer(publish_video=2, video_slots=2)
    district.pc.getTransceivers()[0].sender.replaceTrack(Voice())
    await host.join(c.media, "r1", "chair", "host", "vp8")
    await district.join(c.media, "r1", "dc-1", "district", "vp8")
    home, other = c.node_of("chair"), c.node_of("dc-1")
    assert home != other
    await wait_for(lambda: any(isinstance(e, SpeakerEvent) and e.participant == "dc-1" for e in c.events), 60,
                   "the district named the speaker by the chair's node")
    # The chair sees the speaker's high video, which crossed from the district's node.
    await wait_for(lambda: host.frames.get(_mid(host, 0), 0) >= 10, 60, "the speaker's video at the chair")
    await wait_for(lambda: district.frames.get(_mid(district, 0), 0) >= 10, 60, "the chair's video at the district")
    stats = {s.worker: s for s in await c.media.worker_stats()}
    for s in stats.values():
        # Trunk packets a node received but had no DownTrack for: only those in flight while a
        # subscription changed (the chair's audio, ~50 packets a second, would show here).
        assert s.mesh_received - s.relay_used <= 20, stats
        assert s.relay_used > 0
    for peer in (host, district):
        await peer.pc.close()
