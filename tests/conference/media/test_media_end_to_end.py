"""Real aiortc peers through real media worker processes: the relay forwards without decoding
or encoding, the subscribers decode what they get, and bad offers hurt nobody else."""

from __future__ import annotations

import asyncio
import fractions
import os
import stat
import time

import aioice.ice
import av
import numpy as np
import pytest
from aiortc import RTCBundlePolicy, RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack, MediaStreamTrack

from conference.media.client import MediaClient
from conference.media.errors import MediaError, MediaErrorCode
from conference.media.messages import ConnectionEvent, LayoutEvent, PublishHintEvent, WorkerLostEvent
from conference.media.placement import place
from conference.media.service import WorkerPool, WorkerStartError, media_run_dir
from core.settings import Settings

pytestmark = pytest.mark.timeout(120)


class SmallVideo(MediaStreamTrack):
    """A 160x120 moving picture, so the test's own encoders stay cheap."""

    kind = "video"

    def __init__(self, shade: int) -> None:
        super().__init__()
        self._shade = shade
        self._n = 0
        self._start = time.time()

    async def recv(self) -> av.VideoFrame:
        self._n += 1
        await asyncio.sleep(max(0.0, self._start + self._n / 15 - time.time()))
        img = np.full((120, 160, 3), self._shade, dtype=np.uint8)
        img[40:80, (self._n * 4) % 120 : (self._n * 4) % 120 + 40] = 255 - self._shade
        frame = av.VideoFrame.from_ndarray(img, format="rgb24")
        frame.pts = self._n * 6000
        frame.time_base = fractions.Fraction(1, 90000)
        return frame


class Peer:
    def __init__(self, publish_video: int, video_slots: int) -> None:
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE))
        self.pc.addTransceiver(AudioStreamTrack(), direction="sendonly")
        for i in range(publish_video):
            self.pc.addTransceiver(SmallVideo(60 + 100 * i), direction="sendonly")
        for _ in range(video_slots):
            self.pc.addTransceiver("video", direction="recvonly")
        self.pc.addTransceiver("audio", direction="recvonly")
        self.frames: dict[str, int] = {}
        self.sizes: dict[str, tuple[int, int]] = {}
        self.pc.on("track", self._on_track)

    def _on_track(self, track: MediaStreamTrack) -> None:
        if track.kind != "video":
            return
        mid = next(t.mid for t in self.pc.getTransceivers() if t.receiver.track is track)

        async def pump() -> None:
            while True:
                try:
                    frame = await track.recv()
                except Exception:
                    return
                self.frames[mid] = self.frames.get(mid, 0) + 1
                self.sizes[mid] = (frame.width, frame.height)

        asyncio.ensure_future(pump())

    async def join(self, media: MediaClient, room: str, pid: str, role: str, codec: str) -> None:
        await self.pc.setLocalDescription(await self.pc.createOffer())
        answer = await media.add_participant(room, pid, role, self.pc.localDescription.sdp, video_codec=codec)
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))


def _ids_on_different_workers() -> tuple[str, str]:
    host = "chair-1"
    district = next(f"dc-{i}" for i in range(100) if place(f"dc-{i}", 2) != place(host, 2))
    return host, district


async def _wait(predicate, timeout: float = 15.0) -> None:
    deadline = time.time() + timeout
    while not predicate():
        assert time.time() < deadline, "timed out"
        await asyncio.sleep(0.1)


@pytest.mark.parametrize("codec", ["vp8", "h264"])
async def test_relay_through_two_workers_without_decoding(tmp_path, monkeypatch, codec: str) -> None:
    monkeypatch.setattr(aioice.ice, "get_host_addresses", lambda use_ipv4, use_ipv6: ["127.0.0.1"])
    pool = WorkerPool(tmp_path / "media", 2, ["127.0.0.1"])
    pool.start()
    pool.wait_ready(timeout=180)  # listening: a loaded machine takes long to start them
    media = MediaClient(tmp_path / "media", 2)
    host = district = None
    try:
        await media.connect()
        events: list[dict] = []

        async def collect() -> None:
            async for event in media.events():
                events.append(event)

        collector = asyncio.ensure_future(collect())
        host_id, district_id = _ids_on_different_workers()
        host, district = Peer(publish_video=1, video_slots=2), Peer(publish_video=2, video_slots=2)
        await host.join(media, "r1", host_id, "host", codec)
        await district.join(media, "r1", district_id, "district", codec)

        # The district's first slot carries the host, decoded by the district's own decoder.
        await _wait(lambda: district.frames.get(_mid(district, 0), 0) >= 10)
        assert district.sizes[_mid(district, 0)] == (160, 120)

        # Nobody watches the district's high track until it has the floor.
        def hint(layer: str) -> bool | None:
            hints = [e.active for e in events if isinstance(e, PublishHintEvent)
                     and e.participant == district_id and e.layer == layer]
            return hints[-1] if hints else None

        await _wait(lambda: hint("high") is False and hint("low") is True)

        # Give the district the floor: the host's speaker slot switches to its high track and
        # its tile shows the low track.
        await media.set_spotlight("r1", district_id)
        await _wait(lambda: host.frames.get(_mid(host, 0), 0) >= 10 and host.frames.get(_mid(host, 1), 0) >= 5)
        await _wait(lambda: hint("high") is True)
        layouts = [e for e in events if isinstance(e, LayoutEvent) and e.participant == host_id]
        assert layouts[-1].slots[0].model_dump() == {"mid": _mid(host, 0), "kind": "video", "source": district_id,
                                           "layer": "high"}
        state = await media.room_state("r1")
        assert state.spotlight == district_id and set(state.members) == {host_id, district_id}

        # Hostile input gets an error and the running session keeps its media.
        with pytest.raises(MediaError) as refused:
            await media.add_participant("r1", "dc-bad", "district", "v=0\r\nthis is not sdp\r\n")
        assert refused.value.code is MediaErrorCode.BAD_SDP
        with pytest.raises(MediaError) as refused:
            await media.add_participant("r1", district_id, "district", district.pc.localDescription.sdp)
        assert refused.value.code is MediaErrorCode.ALREADY_CONNECTED
        with pytest.raises(MediaError) as refused:
            await media.add_participant("r1", "dc-other", "district",
                                         _only_other_codec(district.pc.localDescription.sdp, codec))
        assert refused.value.code is MediaErrorCode.NO_SUPPORTED_CODEC and codec.upper() in refused.value.message
        greedy = RTCPeerConnection(RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE))
        for _ in range(9):
            greedy.addTransceiver("audio", direction="recvonly")
        await greedy.setLocalDescription(await greedy.createOffer())
        with pytest.raises(MediaError) as refused:
            await media.add_participant("r1", "dc-greedy", "district", greedy.localDescription.sdp)
        assert refused.value.code is MediaErrorCode.TOO_MANY_TRACKS
        await greedy.close()
        before = district.frames[_mid(district, 0)]
        await _wait(lambda: district.frames[_mid(district, 0)] >= before + 5)

        stats = await media.worker_stats()
        assert sum(s.decoded_frames for s in stats) == 0
        assert sum(s.encoded_frames for s in stats) == 0
        # Every frame the peers decoded came through the relay as at least one forwarded packet,
        # and over the mesh, since the two peers sit on different workers.
        decoded_by_peers = sum(host.frames.values()) + sum(district.frames.values())
        assert sum(s.forwarded_packets for s in stats) >= decoded_by_peers
        assert sum(s.mesh_sent for s in stats) >= decoded_by_peers
        links = {s.participant: s for s in await media.link_stats("r1")}
        assert links[district_id].packets_in > 0 and links[host_id].packets_out > 0
        assert any(isinstance(e, ConnectionEvent) and e.state == "connected" for e in events)

        # The district leaves: the room forgets it and the host's DownTracks go idle.
        await media.remove_participant("r1", district_id)
        assert set((await media.room_state("r1")).members) == {host_id}
        await _wait(lambda: [e for e in events if isinstance(e, LayoutEvent) and e.participant == host_id][-1]
                    .slots[0].source is None)
        with pytest.raises(MediaError) as refused:
            await media.remove_participant("r1", district_id)
        assert refused.value.code is MediaErrorCode.NOT_CONNECTED
        collector.cancel()
    finally:
        for peer in (host, district):
            if peer is not None:
                await peer.pc.close()
        await media.close()
        pool.stop()


async def test_media_flows_with_a_data_directory_of_150_characters(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A Unix socket's path holds at most 107 bytes; a data directory may be longer. The workers'
    control and mesh sockets live in a short private directory the web process finds too."""
    monkeypatch.setattr(aioice.ice, "get_host_addresses", lambda use_ipv4, use_ipv6: ["127.0.0.1"])
    var_dir = str(tmp_path / "giaoban-data-")
    var_dir += "x" * (150 - len(var_dir))
    monkeypatch.setenv("GIAOBAN_VAR_DIR", var_dir)
    settings = Settings()
    assert len(str(settings.var_dir)) == 150
    run_dir = media_run_dir(settings.var_dir)
    pool = WorkerPool(run_dir, 2, ["127.0.0.1"])
    pool.start()
    peers: list[Peer] = []
    media = MediaClient(media_run_dir(settings.var_dir), 2)  # as the web process finds them
    try:
        pool.wait_ready()
        assert stat.S_IMODE(run_dir.stat().st_mode) == 0o700 and run_dir.stat().st_uid == os.getuid()
        assert max(len(os.fsencode(p)) for p in run_dir.iterdir()) < 100
        await media.connect()
        host_id, district_id = _ids_on_different_workers()  # media crosses the mesh too
        host, district = Peer(publish_video=1, video_slots=2), Peer(publish_video=2, video_slots=2)
        peers += [host, district]
        await host.join(media, "r-long", host_id, "host", "vp8")
        await district.join(media, "r-long", district_id, "district", "vp8")
        await _wait(lambda: district.frames.get(_mid(district, 0), 0) >= 10)
        assert sum(s.mesh_sent for s in await media.worker_stats()) > 0
    finally:
        for peer in peers:
            await peer.pc.close()
        await media.close()
        pool.stop()
    assert not run_dir.exists()  # cleaned up


async def test_a_room_on_one_worker_carries_no_packet_between_workers(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Room affinity (`settings.media_room_workers` = 1, the default): every participant of a room
    is held by the room's home worker, so its media never takes the mesh hop; another room may
    live on the other worker."""
    monkeypatch.setattr(aioice.ice, "get_host_addresses", lambda use_ipv4, use_ipv6: ["127.0.0.1"])
    run_dir = media_run_dir(tmp_path)
    pool = WorkerPool(run_dir, 2, ["127.0.0.1"])
    pool.start()
    peers: list[Peer] = []
    media = MediaClient(run_dir, 2, room_workers=Settings().media_room_workers)
    try:
        await media.connect()
        # Ids that a spread over both workers would split (as `_ids_on_different_workers`).
        host_id, district_id = _ids_on_different_workers()
        home = media.home_of("r-one")
        host, district = Peer(publish_video=1, video_slots=2), Peer(publish_video=2, video_slots=2)
        peers += [host, district]
        await host.join(media, "r-one", host_id, "host", "vp8")
        await district.join(media, "r-one", district_id, "district", "vp8")
        # Both ways: the district sees the host, the host the district's tile.
        await _wait(lambda: district.frames.get(_mid(district, 0), 0) >= 10
                    and host.frames.get(_mid(host, 1), 0) >= 10)
        stats = await media.worker_stats()
        assert [s.participants for s in stats][home] == 2
        assert sum(s.participants for s in stats) == 2
        # Nothing more crosses the mesh while media flows (it carried only the workers' greetings).
        before, frames = sum(s.mesh_sent for s in stats), district.frames[_mid(district, 0)]
        await _wait(lambda: district.frames[_mid(district, 0)] >= frames + 10)
        stats = await media.worker_stats()
        assert sum(s.mesh_sent for s in stats) == before
        assert sum(s.forwarded_packets for s in stats) >= 20
        # Another room whose home is the other worker is held there.
        other_room = next(f"r-{i}" for i in range(100) if media.home_of(f"r-{i}") != home)
        third = Peer(publish_video=1, video_slots=2)
        peers.append(third)
        await third.join(media, other_room, "chair-2", "host", "vp8")
        stats = await media.worker_stats()
        assert [s.participants for s in stats][1 - home] == 1
    finally:
        for peer in peers:
            await peer.pc.close()
        await media.close()
        pool.stop()


def test_a_worker_that_cannot_start_stops_the_start_naming_the_cause(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Not a restart loop: after a few attempts the pool gives up with the worker's own error."""
    run_dir = tmp_path / ("d" * 120)  # its socket paths cannot fit in a Unix socket address
    pool = WorkerPool(run_dir, 1)
    pool.start()
    try:
        # Each attempt imports aiortc in a new process: under load a few of them take longer than the
        # default minute, which would answer "did not start" instead of the cause checked here.
        with pytest.raises(WorkerStartError, match="media worker 0 cannot start: OSError: AF_UNIX path too long"):
            pool.wait_ready(600)
    finally:
        pool.stop()


def _mid(peer: Peer, video_slot: int) -> str:
    receivers = [t for t in peer.pc.getTransceivers() if t.kind == "video" and t.direction == "recvonly"]
    return receivers[video_slot].mid


def _only_other_codec(sdp: str, codec: str) -> str:
    """The same offer with its video m-lines keeping only the codec the room does not relay."""
    other = "H264" if codec == "vp8" else "VP8"
    sections: list[list[str]] = [[]]
    for line in sdp.splitlines():
        if line.startswith("m="):
            sections.append([])
        sections[-1].append(line)
    out = sections[0]
    for section in sections[1:]:
        if not section[0].startswith("m=video"):
            out += section
            continue
        keep = {line.split(":", 1)[1].split()[0] for line in section
                if line.startswith("a=rtpmap:") and f" {other}/" in line}
        keep |= {line.split(":", 1)[1].split()[0] for line in section
                 if line.startswith("a=fmtp:") and any(f"apt={pt}" in line for pt in list(keep))}
        parts = section[0].split()
        out.append(" ".join(parts[:3] + [pt for pt in parts[3:] if pt in keep]))
        for line in section[1:]:
            if line.startswith(("a=rtpmap:", "a=fmtp:", "a=rtcp-fb:")) and line.split(":", 1)[1].split()[0] not in keep:
                continue
            out.append(line)
    return "\r\n".join(out) + "\r\n"


async def test_a_crashed_worker_is_replaced_and_its_participants_leave_the_room(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(aioice.ice, "get_host_addresses", lambda use_ipv4, use_ipv6: ["127.0.0.1"])
    pool = WorkerPool(tmp_path / "media", 2, ["127.0.0.1"])
    pool.start()
    pool.wait_ready(timeout=180)  # listening: a loaded machine takes long to start them
    media = MediaClient(tmp_path / "media", 2)
    peers = []
    try:
        await media.connect()
        host_id, district_id = _ids_on_different_workers()
        home = media.home_of("r2")
        # The participant on the worker that is not the room's home is the one that crashes.
        survivor, victim = (host_id, district_id) if place(host_id, 2) == home else (district_id, host_id)
        for pid in (survivor, victim):
            peer = Peer(publish_video=1, video_slots=2)
            await peer.join(media, "r2", pid, "host" if pid == host_id else "district", "vp8")
            peers.append(peer)
        await _wait_async(lambda: _members(media, "r2"), {survivor, victim})

        crashed = pool.processes[place(victim, 2)]
        crashed.kill()
        crashed.join(5)
        pool.check()  # what the service loop does every second
        await _wait_async(lambda: _members(media, "r2"), {survivor})
        # The new worker answers on the same control socket.
        stats = await media.worker_stats()
        assert [s.participants for s in stats][place(victim, 2)] == 0
    finally:
        for peer in peers:
            await peer.pc.close()
        await media.close()
        pool.stop()


async def test_a_killed_worker_is_not_taken_for_back_before_it_restarts(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The web process asks everyone who was on a dead worker for a new offer once the worker is
    back. Taken for back while it was still going down, it asked them too early, and again."""
    pool = WorkerPool(tmp_path / "media", 2)
    pool.start()
    pool.wait_ready(timeout=180)  # listening: a loaded machine takes long to start them
    media = MediaClient(tmp_path / "media", 2)
    try:
        await media.connect()
        events = media.events()
        killed = pool.processes[1]
        killed.kill()
        while not isinstance(event := await asyncio.wait_for(anext(events), 10), WorkerLostEvent):
            pass
        assert event.worker == 1
        with pytest.raises(MediaError, match="media worker 1 is not running"):
            await media.reconnect(1, timeout=1.0)
        killed.join(5)
        pool.check()
        await media.reconnect(1, timeout=30.0)
        assert [s.worker for s in await media.worker_stats()] == [0, 1]
    finally:
        await media.close()
        pool.stop()


async def _members(media: MediaClient, room: str) -> set[str]:
    return set((await media.room_state(room)).members)


async def _probe(probe):  # type: ignore[no-untyped-def]
    try:
        return await probe()
    except MediaError as exc:  # asked while the worker was dying or not yet back
        return exc


async def _wait_async(probe, expected, timeout: float = 15.0) -> None:
    deadline = time.time() + timeout
    while (value := await _probe(probe)) != expected:
        assert time.time() < deadline, f"timed out: {value}"
        await asyncio.sleep(0.2)


async def test_when_the_rooms_home_worker_restarts_the_others_stay_in_the_meeting(tmp_path, monkeypatch) -> None:
    """The home worker holds the room's state. When it crashes and comes back empty, the workers
    still holding participants tell it again who is there, so the next join does not drop them
    from the room (and from each other's view) until they rejoin."""
    monkeypatch.setattr(aioice.ice, "get_host_addresses", lambda use_ipv4, use_ipv6: ["127.0.0.1"])
    pool = WorkerPool(tmp_path / "media", 2, ["127.0.0.1"])
    pool.start()
    media = MediaClient(tmp_path / "media", 2)
    peers: list[Peer] = []
    try:
        await media.connect()
        room = "r3"
        home = media.home_of(room)
        away = [f"dc-{i}" for i in range(200) if place(f"dc-{i}", 2) != home]
        host_id, district_id = "chair-1", away[0]
        if place(host_id, 2) == home:
            host_id = away[1]
        victim_id = next(f"dc-{i}" for i in range(200) if place(f"dc-{i}", 2) == home)
        host, district = Peer(publish_video=1, video_slots=2), Peer(publish_video=2, video_slots=2)
        await host.join(media, room, host_id, "host", "vp8")
        await district.join(media, room, district_id, "district", "vp8")
        victim = Peer(publish_video=2, video_slots=2)
        await victim.join(media, room, victim_id, "district", "vp8")
        peers += [host, district, victim]
        await _wait_async(lambda: _members(media, room), {host_id, district_id, victim_id})
        await _wait(lambda: district.frames.get(_mid(district, 0), 0) >= 10)

        crashed = pool.processes[home]
        crashed.kill()
        crashed.join(5)
        pool.check()
        # The restarted home learns the room again from the surviving worker.
        await _wait_async(lambda: _members(media, room), {host_id, district_id}, timeout=20)
        # The crashed participant comes back, as an endpoint agent would.
        await victim.pc.close()
        again = Peer(publish_video=2, video_slots=2)
        peers.append(again)
        await again.join(media, room, victim_id, "district", "vp8")
        await _wait_async(lambda: _members(media, room), {host_id, district_id, victim_id})
        # The district still sees the host, and the returning one sees it too.
        before = district.frames.get(_mid(district, 0), 0)
        await _wait(lambda: district.frames.get(_mid(district, 0), 0) >= before + 10)
        await _wait(lambda: again.frames.get(_mid(again, 0), 0) >= 10)
    finally:
        for peer in peers:
            await peer.pc.close()
        await media.close()
        pool.stop()
