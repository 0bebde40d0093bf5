"""Recording on the media path, with real aiortc publishers through two real media worker
processes: every participant's audio and high video and the program are written as received
(no decoding on the relay: its counters stay 0), files read back with PyAV and decode with
imageio-ffmpeg's ffmpeg, a reconnect shows as a gap, and faults end cleanly."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

import aioice.ice
import av
import pytest

from conference.archive.probe import decode_check, probe
from conference.media.client import MediaClient
from conference.media.messages import RecordingStoppedEvent
from conference.media.placement import place
from conference.media.service import WorkerPool
from tests.conference.archive.media_peers import Peer, closed_files, index_entries, wait_until
from tests.conference.rtc_peer import media_sent

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]


def _ids() -> tuple[str, str, str]:
    """A host and two districts, on both workers."""
    host = "chair-1"
    other = next(f"dc-{i}" for i in range(100) if place(f"dc-{i}", 2) != place(host, 2))
    same = next(f"dc-{i}" for i in range(100) if place(f"dc-{i}", 2) == place(host, 2))
    return host, other, same


@pytest.fixture
def pool(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(aioice.ice, "get_host_addresses", lambda use_ipv4, use_ipv6: ["127.0.0.1"])
    pool = WorkerPool(tmp_path / "media", 2, ["127.0.0.1"])
    pool.start()
    pool.wait_ready(timeout=180)  # listening: a loaded machine takes long to start them
    yield pool
    pool.stop()


async def test_three_party_recording_with_speaker_changes_and_a_reconnect(tmp_path: Path, pool) -> None:  # type: ignore[no-untyped-def]
    archive = tmp_path / "archive"
    media = MediaClient(tmp_path / "media", 2)
    await media.connect()
    host_id, d1, d2 = _ids()
    peers: list[Peer] = []
    try:
        await media.record("r1", str(archive))
        host, one, two = Peer(60), Peer(120, low=True), Peer(200, low=True)
        peers += [host, one, two]
        await host.join(media, "r1", host_id, "host")
        await one.join(media, "r1", d1, "district")
        await two.join(media, "r1", d2, "district")
        await wait_until(lambda: all(p.connected_at for p in peers), what="connections")
        started = min(p.connected_at for p in peers)  # type: ignore[type-var]
        connected = {host_id: host.connected_at, d1: one.connected_at, d2: two.connected_at}
        sent = {host_id: [host], d1: [one], d2: [two]}

        one.voice.talking = True
        await asyncio.sleep(4)
        one.voice.talking, two.voice.talking = False, True
        await asyncio.sleep(4)
        await media.set_spotlight("r1", d1)
        await asyncio.sleep(3)

        # d2 drops and comes back on a new session: its files go on after a gap
        removed_at = time.time()
        await media.remove_participant("r1", d2)
        await two.close()
        await asyncio.sleep(2.5)
        two = Peer(200, low=True)
        peers.append(two)
        sent[d2].append(two)
        two.voice.talking = True
        await two.join(media, "r1", d2, "district")
        await wait_until(lambda: two.connected_at is not None, what="reconnect")
        await asyncio.sleep(16)  # a meeting of about 30 s: 2 % is 0.6 s, more than a loaded machine's connection set-up
        stats = await media.worker_stats()
        # What each sender had produced by the end, in media time (see the check below)
        produced = {id(t): t.sent_frames * t.frame_seconds for ps in sent.values() for p in ps
                    for t in (p.voice, p.picture)}
        ended = time.time()
        await media.close_room("r1")
    finally:
        for p in peers:
            await p.close()
        await media.close()

    # the relay decoded and encoded nothing; the recorder got packets and says what it dropped
    assert sum(s.decoded_frames + s.encoded_frames for s in stats) == 0
    assert sum(s.recorded_packets for s in stats) > 1000
    assert all(s.record_dropped >= 0 for s in stats)

    expected = {f"{pid}-{layer}.webm" for pid in (host_id, d1, d2) for layer in ("audio", "high")}
    expected |= {"program-video.webm", "program-audio-1.webm"}
    await wait_until(lambda: expected <= set(closed_files(archive)), timeout=30, what="files closed")
    closed = closed_files(archive)
    table = {n: (round(e["start"] - started, 2), round(e["end"] - started, 2)) for n, e in closed.items()}
    for name in expected:
        path = archive / name
        info = probe(path)
        check = decode_check(path)
        assert not check.errors, (name, check.errors)
        assert check.frames > 0, name
        entry = closed[name]
        assert abs(info.duration - (entry["end"] - entry["start"])) < 0.1 + 0.01 * info.duration, (name, info)
        if not name.startswith("program"):
            # each participant was there from its connection to the end: its file holds all the media
            # its publisher sent until the end within 2 % (see `media_sent`), and spans the meeting
            # within 5 % when the publisher kept the meeting's clock
            tracks = [p.voice if entry["kind"] == "audio" else p.picture for p in sent[entry["participant"]]]
            span, kept_time = media_sent(tracks, produced, ended)
            assert abs(info.duration - span) <= 0.02 * span, (name, info.duration, span, table[name], entry)
            meeting = ended - connected[entry["participant"]]  # type: ignore[operator]
            if kept_time:
                assert abs(info.duration - meeting) <= 0.05 * meeting, (name, info.duration, meeting, table[name])
        assert info.codec == ("vp8" if entry["kind"] == "video" else "opus")
    # the reconnect is a gap of the time d2 was away, in both of its files: at least the 2.5 s it waited,
    # at most from the end of the media its first session sent to the first frame its new session sent
    # (recording starts with a track's first packet; a second more for the first keyframe and the
    # clock's anchoring). Media, not the connection's times: on a loaded machine the test's senders
    # start late and fall behind, and each segment's frames are placed by their own media clock.
    old = sent[d2][0]
    for layer, before, after in (("audio", old.voice, two.voice), ("high", old.picture, two.picture)):
        away = after.sent_first - (before.sent_first + before.sent_frames * before.frame_seconds)
        gaps = closed[f"{d2}-{layer}.webm"]["gaps"]
        assert len(gaps) == 1 and 2.0 <= gaps[0][1] - gaps[0][0] <= away + 1.0, (
            layer, gaps, away, two.connected_at - removed_at)  # type: ignore[operator]
        assert closed[f"{d2}-{layer}.webm"]["segments"] == 2
    # the program switched to the spotlit district: more than one segment
    assert closed["program-video.webm"]["segments"] >= 2
    # and each of its segments starts with a keyframe of its new source: in the written file, where the
    # picture changes from one publisher to another (each paints its own shade), the frame is a VP8
    # keyframe (the bitstream's own flag, and the container's), and every frame decodes to a shade
    shades = {60: host_id, 120: d1, 200: d2}
    shown: list[tuple[str, bool]] = []
    with av.open(str(archive / "program-video.webm")) as container:
        for packet in container.demux(container.streams.video[0]):
            if not packet.size:
                continue
            keyframe = not bytes(packet)[0] & 0x01
            assert keyframe == packet.is_keyframe
            for frame in packet.decode():
                corner = float(frame.to_ndarray(format="rgb24")[:8, :8].mean())
                shade = min(shades, key=lambda s: abs(s - corner))
                assert abs(shade - corner) < 20, (corner, len(shown))
                shown.append((shades[shade], keyframe))
    switches = [i for i in range(1, len(shown)) if shown[i][0] != shown[i - 1][0]]
    assert shown[0][1] and len(switches) >= 2, (shown[0], switches)
    assert all(shown[i][1] for i in switches), [(i, shown[i - 1][0], shown[i][0]) for i in switches if not shown[i][1]]


async def test_killed_worker_leaves_playable_files(tmp_path: Path, pool) -> None:  # type: ignore[no-untyped-def]
    """The worker holding the publisher is killed mid-recording: its recorder sees the socket close
    and finishes the file, which plays up to the kill."""
    archive = tmp_path / "archive"
    media = MediaClient(tmp_path / "media", 2)
    await media.connect()
    host_id, _, _ = _ids()
    host = Peer(60)
    try:
        await media.record("r2", str(archive))
        await host.join(media, "r2", host_id, "host")
        await wait_until(lambda: host.connected_at is not None, what="connection")
        await asyncio.sleep(4)
        process = pool.processes[place(host_id, 2)]
        os.kill(process.pid, signal.SIGKILL)
        await wait_until(lambda: f"{host_id}-high.webm" in closed_files(archive), timeout=20, what="file closed")
    finally:
        await host.close()
        await media.close()
    entry = closed_files(archive)[f"{host_id}-high.webm"]
    assert entry["reason"] == "worker gone"
    info = probe(archive / f"{host_id}-high.webm")
    assert info.duration > 2.0
    assert not decode_check(archive / f"{host_id}-high.webm").errors


async def test_killed_recorder_leaves_a_playable_file_cut_short(tmp_path: Path, pool) -> None:  # type: ignore[no-untyped-def]
    """The recorder itself is killed (nothing gets to close the file): Matroska's clusters keep
    what was written playable, the index shows the file opened and never closed, and the meeting's
    media goes on."""
    archive = tmp_path / "archive"
    media = MediaClient(tmp_path / "media", 2)
    await media.connect()
    host_id, d1, _ = _ids()
    host, one = Peer(60), Peer(120, low=True)
    try:
        await media.record("r3", str(archive))
        await host.join(media, "r3", host_id, "host")
        await one.join(media, "r3", d1, "district")
        await wait_until(lambda: host.connected_at and one.connected_at, what="connections")
        await asyncio.sleep(5)
        recorders = _recorder_pids(pool.processes[place(host_id, 2)].pid)
        assert recorders, "no recorder process under the worker"
        for pid in recorders:
            os.kill(pid, signal.SIGKILL)
        await asyncio.sleep(1)
        stats = await media.worker_stats()  # the workers still answer
        assert all(s.participants >= 1 for s in stats)
    finally:
        await host.close()
        await one.close()
        await media.close()
    opened = {e["file"] for e in index_entries(archive) if e["event"] == "open"}
    assert f"{host_id}-high.webm" in opened
    assert f"{host_id}-high.webm" not in closed_files(archive)
    info = probe(archive / f"{host_id}-high.webm")
    assert info.duration > 2.0 and info.packets > 10
    assert decode_check(archive / f"{host_id}-high.webm").frames > 10


async def test_a_stalled_recorder_costs_recording_data_not_live_packets(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The recorder stops reading (SIGSTOP): the worker's queue and socket fill, recording packets
    are dropped and counted, and the subscriber goes on decoding as before."""
    monkeypatch.setenv("GIAOBAN_RECORDER_SOCKET_BYTES", "65536")  # full in a second or two
    monkeypatch.setattr(aioice.ice, "get_host_addresses", lambda use_ipv4, use_ipv6: ["127.0.0.1"])
    pool = WorkerPool(tmp_path / "media", 2, ["127.0.0.1"])
    pool.start()
    pool.wait_ready(timeout=180)  # listening: a loaded machine takes long to start them
    archive = tmp_path / "archive"
    media = MediaClient(tmp_path / "media", 2)
    await media.connect()
    host_id, d1, _ = _ids()
    host, one = Peer(60), Peer(120, low=True)
    stopped: list[int] = []
    try:
        await media.record("r5", str(archive))
        await host.join(media, "r5", host_id, "host")
        await one.join(media, "r5", d1, "district")
        await wait_until(lambda: one.frames > 20, what="the district decoding the host")
        stopped = _recorder_pids(pool.processes[place(host_id, 2)].pid)
        assert stopped
        for pid in stopped:
            os.kill(pid, signal.SIGSTOP)
        before = one.frames

        async def dropped() -> int:
            return sum(s.record_dropped for s in await media.worker_stats())

        deadline = time.time() + 30
        while await dropped() == 0:
            assert time.time() < deadline, "no recording packet dropped"
            await asyncio.sleep(0.5)
        await asyncio.sleep(2)
        assert one.frames > before + 30  # the live picture went on the whole time (15 frames/s)
    finally:
        for pid in stopped:
            os.kill(pid, signal.SIGCONT)
        await host.close()
        await one.close()
        await media.close()
        pool.stop()


async def test_low_disk_stops_recording_not_the_meeting(tmp_path: Path, pool) -> None:  # type: ignore[no-untyped-def]
    """Below the free-space limit the recorder closes its files and says why; media flows on."""
    archive = tmp_path / "archive"
    media = MediaClient(tmp_path / "media", 2)
    await media.connect()
    events: list = []

    async def collect() -> None:
        async for event in media.events():
            events.append(event)

    collector = asyncio.ensure_future(collect())
    host_id, _, _ = _ids()
    host = Peer(60)
    try:
        # more free bytes than any disk has: the first check stops the recording
        await media.record("r4", str(archive), min_free_bytes=1 << 62)
        await host.join(media, "r4", host_id, "host")
        await wait_until(lambda: any(isinstance(e, RecordingStoppedEvent) for e in events), what="stop event")
        before = sum(s.received_packets for s in await media.worker_stats())
        await asyncio.sleep(1.5)
        after = sum(s.received_packets for s in await media.worker_stats())
    finally:
        collector.cancel()
        await host.close()
        await media.close()
    stop = next(e for e in events if isinstance(e, RecordingStoppedEvent))
    assert stop.room == "r4" and "low disk" in stop.reason
    assert after > before  # the relay still receives the publisher
    assert any(e["event"] == "stopped" and "low disk" in e["reason"] for e in index_entries(archive))


def _recorder_pids(worker_pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == worker_pid and b"conference.archive.writer" in cmdline:
            out.append(int(entry.name))
    return out
