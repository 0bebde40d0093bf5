"""A recorded meeting end to end through the real signaling socket, the real media workers and their
recorders: three parties, speaker changes and a reconnect; when it ends the archive is sealed by
itself, every file is in the store and decodes (imageio-ffmpeg's ffmpeg; durations from PyAV's
demuxer, as that ffmpeg ships no ffprobe), the relay decoded nothing, the minutes' PDF carries the
manifest's hash, and a flipped byte or a truncated file makes verification name that file."""

from __future__ import annotations

import asyncio
import time
from io import BytesIO

import av
import pytest
from pypdf import PdfReader

from conference.archive.probe import decode_check, probe
from conference.archive.verify import verify_archive
from conference.media.client import MediaClient
from conference.media.service import media_run_dir
from core.filestore import FileStore
from tests.conference.archive.meeting_peers import api, joined, speaker_is
from tests.conference.rtc_peer import Participant, media_sent, until

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


async def test_recorded_meeting_sealed_by_its_minutes(live_server: str, media_workers: int, settings,  # type: ignore[no-untyped-def]
                                                      session) -> None:
    secretary, chair = api(live_server, "thuky"), api(live_server, "chutoa")
    created = secretary.post("/api/meetings", json={
        "title": "Giao ban trực tuyến có ghi hình", "scheduled_at": "2026-12-06T08:00:00+07:00",
        "chair": "chutoa", "secretary": "thuky", "invited": ["dc-vinh", "dc-cualo"],
        "agenda": [{"title": "Báo cáo tình hình", "minutes": 1}, {"title": "Ý kiến các địa phương"}]})
    assert created.status_code == 201, created.text
    mid = created.json()["id"]
    assert created.json()["record"] is True  # on by default
    assert chair.post(f"/api/meetings/{mid}/start").json()["status"] == "live"
    people: list[Participant] = []
    connected: dict[str, float] = {}
    try:
        host, connected["chutoa"] = await joined(live_server, mid, "chutoa", "host", 200)
        vinh, connected["dc-vinh"] = await joined(live_server, mid, "dc-vinh", "district", 60)
        cualo, connected["dc-cualo"] = await joined(live_server, mid, "dc-cualo", "district", 120)
        people += [host, vinh, cualo]
        sessions = {"chutoa": [host], "dc-vinh": [vinh], "dc-cualo": [cualo]}
        await until(lambda: host.frames_from("dc-vinh") > 5 and host.frames_from("dc-cualo") > 5, 60, "tiles")

        vinh.voice.talking = True
        await host.wait_for(speaker_is("dc-vinh"))
        await asyncio.sleep(3)
        vinh.voice.talking, cualo.voice.talking = False, True
        await host.wait_for(speaker_is("dc-cualo"))
        await asyncio.sleep(3)
        # Cửa Lò drops and comes back: its files go on after a gap
        await cualo.close()
        people.remove(cualo)
        await host.wait_for(lambda m: m["type"] == "participant_left" and m["participant"] == "dc-cualo")
        await asyncio.sleep(2)
        cualo, _ = await joined(live_server, mid, "dc-cualo", "district", 120)
        sessions["dc-cualo"].append(cualo)
        people.append(cualo)
        cualo.voice.talking = True
        await asyncio.sleep(16)  # about 30 s in all: 2 % is 0.6 s

        async with MediaClient(media_run_dir(settings.var_dir), settings.media_workers) as media:
            stats = await media.worker_stats()
        ended = time.time()  # the media stops when the end reaches the server, a moment later
        # What each sender had produced by then (see the check below)
        produced = {id(t): t.sent_frames * t.frame_seconds
                    for ps in sessions.values() for p in ps for t in (p.voice, p.pictures["high"])}
        await host.send(type="end_meeting")
        await until(lambda: host.closed_code == 4001, 10, "the end")
    finally:
        for person in people:
            await person.close()

    # the relay decoded and encoded nothing while it recorded
    assert sum(s.decoded_frames + s.encoded_frames for s in stats) == 0
    assert sum(s.recorded_packets for s in stats) > 500

    async def sealed() -> dict:
        deadline = time.time() + 60
        while time.time() < deadline:
            view = chair.get(f"/api/meetings/{mid}/archive").json()
            if view["state"] == "sealed":
                return view
            await asyncio.sleep(0.5)
        raise AssertionError(f"archive not sealed: {view}")

    view = await sealed()
    files = {f["name"]: f for f in view["files"]}
    expected = {f"{p}-{layer}.webm" for p in ("chutoa", "dc-vinh", "dc-cualo") for layer in ("audio", "high")}
    assert expected | {"program-video.webm", "program-audio-1.webm"} <= set(files)
    store = FileStore(settings.files_dir)
    from conference.archive.seal import load_manifest

    manifest = {f["name"]: f for f in load_manifest(store, view["manifest_sha256"])["files"]}
    for name in expected | {"program-video.webm"}:
        path = store.path_of(manifest[name]["sha256"])
        check = decode_check(path)
        assert not check.errors and check.frames > 0, (name, check)
        duration = probe(path).duration
        assert duration == pytest.approx(manifest[name]["duration"], abs=0.05)
        if name in expected:
            # all the media its publisher sent until the end within 2 % (see `media_sent`), and within 5 %
            # of its time in the meeting when the publisher kept the meeting's clock
            who = manifest[name]["participant"]
            tracks = [p.voice if manifest[name]["kind"] == "audio" else p.pictures["high"] for p in sessions[who]]
            span, kept_time = media_sent(tracks, produced, ended)
            assert abs(duration - span) <= 0.02 * span, (name, duration, span, manifest[name]["dropped_packets"],
                                                         manifest[name]["dropped_frames"],
                                                         [(t.sent_first, t.sent_last, t.sent_frames) for t in tracks],
                                                         ended, manifest[name]["start_unix"],
                                                         manifest[name]["end_unix"])
            meeting = ended - connected[who]
            if kept_time:
                assert abs(duration - meeting) <= 0.05 * meeting, (name, duration, meeting)
        assert manifest[name]["start"].endswith("+07:00")  # Vietnam time
    assert len(manifest["dc-cualo-high.webm"]["gaps"]) == 1

    # the timeline has the speaking turns with names, placed on the program's clock
    turns = [t for t in view["timeline"] if t["kind"] == "turn"]
    assert {t["participant"] for t in turns} >= {"dc-vinh", "dc-cualo"}
    assert all(0 <= t["at"] <= files["program-video.webm"]["duration"] + 1 for t in turns)
    assert any(t["kind"] == "gap" and t["participant"] == "dc-cualo" for t in view["timeline"])

    # the minutes drafted at the end print the manifest's hash (before anyone signs)
    await until(lambda: any(m["meeting_id"] == mid for m in secretary.get("/api/minutes").json()["items"]), 20,
                "the minutes' draft")
    minutes_id = next(m["id"] for m in secretary.get("/api/minutes").json()["items"] if m["meeting_id"] == mid)
    pdf = secretary.get(f"/api/minutes/{minutes_id}/pdf")
    text = "".join(page.extract_text() for page in PdfReader(BytesIO(pdf.content)).pages)
    assert view["manifest_sha256"] in text.replace("\n", "").replace(" ", "")

    # after sealing, at the lowest priority, the voices mixed beside the program video copied as it is
    deadline = time.time() + 90
    while not (view := chair.get(f"/api/meetings/{mid}/archive").json()).get("mixed_url"):
        assert time.time() < deadline, "no mixed program"
        await asyncio.sleep(1)
    mixed = chair.get(view["mixed_url"])
    assert mixed.status_code == 200 and mixed.headers["content-type"] == "video/webm"
    with av.open(BytesIO(mixed.content)) as container:
        kinds = {s.type: s.codec_context.name for s in container.streams}
        video_packets = sum(1 for p in container.demux(container.streams.video[0]) if p.size)
    assert kinds == {"video": "vp8", "audio": "opus"}
    assert video_packets == probe(store.path_of(manifest["program-video.webm"]["sha256"])).packets

    # reading the archive and starting a file are in the audit log, and someone outside the circle is refused
    from sqlalchemy import select

    from core.audit import AuditEntry

    audited = session.execute(select(AuditEntry.action).where(AuditEntry.actor == "chutoa",
                                                              AuditEntry.target == f"meeting:{mid}")).scalars().all()
    assert {"archive.view", "archive.play"} <= set(audited)
    assert api(live_server, "dc-vinh").get(f"/api/meetings/{mid}/archive").status_code == 403

    # the files and manifest verify (the mix changed none of them); one flipped byte is named, and so is
    # a truncated file
    assert verify_archive(session, mid, store).ok
    victim = store.path_of(manifest["dc-vinh-audio.webm"]["sha256"])
    victim.chmod(0o644)
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0x01
    victim.write_bytes(bytes(data))
    result = verify_archive(session, mid, store)
    assert not result.ok and result.first_mismatch.startswith("dc-vinh-audio.webm: content changed")
    data[len(data) // 2] ^= 0x01
    victim.write_bytes(bytes(data[: len(data) // 3]))
    result = verify_archive(session, mid, store)
    assert result.first_mismatch.startswith("dc-vinh-audio.webm: truncated")


async def test_low_disk_stops_the_recording_not_the_meeting(live_server: str, media_workers: int,  # type: ignore[no-untyped-def]
                                                            settings) -> None:
    """Below the free-space limit the recorders stop: an alert on /ops names the meeting, media
    goes on, and the archive sealed at the end says why it is short."""
    settings.archive_min_free_bytes = 1 << 62  # more than any disk has free
    secretary, chair = api(live_server, "thuky"), api(live_server, "chutoa")
    admin = api(live_server, "admin")
    mid = secretary.post("/api/meetings", json={
        "title": "Giao ban khi đĩa đầy", "scheduled_at": "2026-12-06T09:00:00+07:00", "chair": "chutoa",
        "secretary": "thuky", "invited": ["dc-vinh"]}).json()["id"]
    chair.post(f"/api/meetings/{mid}/start")
    people: list[Participant] = []
    try:
        host, _ = await joined(live_server, mid, "chutoa", "host", 200)
        vinh, _ = await joined(live_server, mid, "dc-vinh", "district", 60)
        people += [host, vinh]

        def alerted() -> bool:
            return any(a["kind"] == "recording_stopped" and a["detail"].get("meeting") == mid
                       for a in admin.get("/api/ops/alerts").json())

        await until(alerted, 30, "the recording alert on /ops")
        before = vinh.frames_from("chutoa")
        await until(lambda: vinh.frames_from("chutoa") > before + 10, 20, "the meeting going on")
        await host.send(type="end_meeting")
        await until(lambda: host.closed_code == 4001, 10, "the end")
    finally:
        for person in people:
            await person.close()
    deadline = time.time() + 60
    while (view := chair.get(f"/api/meetings/{mid}/archive").json())["state"] != "sealed":
        assert time.time() < deadline, view
        await asyncio.sleep(0.5)
    assert "low disk" in view["reason"]
