"""A meeting run end to end through the real signaling socket and real media workers: joins,
media in both directions, speaker changes from real audio levels, a dropped connection and its
reconnect, a leave, a removal and the end - and the record minutes are drafted from comes out right."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime

import httpx
import pytest

from conference.record import meeting_record
from core.bus import RedisBus, set_bus
from tests.conference.rtc_peer import Participant, login_token, until

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]
DISTRICTS = ["dc-vinh", "dc-cualo", "dc-thaihoa"]
REDIS = "redis://127.0.0.1:6379/0"


def api(base_url: str, username: str) -> httpx.Client:
    return httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {login_token(base_url, username)}"},
                        timeout=30)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


async def joined(base_url: str, meeting_id: int, username: str, role: str, shade: int,
                 trickle: bool = False) -> Participant:
    person = Participant(base_url, meeting_id, username, shade)
    await person.open()
    await person.connect_media(await person.join(role), trickle=trickle)
    return person


def speaker_is(pid: str):  # type: ignore[no-untyped-def]
    return lambda m: m["type"] == "speaker" and m["participant"] == pid


class BusListener:
    """The meeting's events as another process sees them, through Redis."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict]] = []
        # Channels of this run alone: another test run on the same Redis has a meeting with the same id.
        self._channels = f"giaoban-test-{uuid.uuid4().hex[:10]}."
        self._listener = RedisBus(REDIS, self._channels)
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        set_bus(RedisBus(REDIS, self._channels))  # what the web process publishes to

        async def listen() -> None:
            async for topic, event in self._listener.subscribe("conference."):
                self.events.append((topic, event))

        self._task = asyncio.ensure_future(listen())
        await asyncio.sleep(0.3)  # let the subscription reach Redis

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
        set_bus(None)
        await self._listener.close()


async def test_meeting_run_is_recorded(live_server: str, media_workers: int, session) -> None:  # type: ignore[no-untyped-def]
    await meeting_run(live_server, session)


async def meeting_run(live_server: str, session) -> None:  # type: ignore[no-untyped-def]
    bus = BusListener()
    await bus.start()
    secretary, chair = api(live_server, "thuky"), api(live_server, "chutoa")
    meeting = secretary.post("/api/meetings", json={
        "title": "Giao ban trực tuyến tháng 11/2026", "scheduled_at": "2026-11-25T08:00:00+07:00",
        "chair": "chutoa", "secretary": "thuky", "invited": DISTRICTS + ["dc-kyson"],
        "agenda": [{"title": "Ý kiến các địa phương"}]}).json()
    mid = meeting["id"]
    assert chair.post(f"/api/meetings/{mid}/start").json()["status"] == "live"

    people: list[Participant] = []
    try:
        host = await joined(live_server, mid, "chutoa", "host", 200)
        vinh = await joined(live_server, mid, "dc-vinh", "district", 60)
        cualo = await joined(live_server, mid, "dc-cualo", "district", 120)
        thaihoa = await joined(live_server, mid, "dc-thaihoa", "district", 160, trickle=True)
        people += [host, vinh, cualo, thaihoa]

        # Media flows both ways through the relay: the host decodes the districts' tiles and
        # each district decodes the host.
        await until(lambda: all(host.frames_from(d) > 5 for d in DISTRICTS), 60, "host decoding every tile")
        await until(lambda: all(p.frames_from("chutoa") > 5 for p in (vinh, cualo, thaihoa)), 30,
                    "districts decoding the host")

        # Renegotiation: Thái Hòa replaces its media session; the host gets its new stream.
        await thaihoa.connect_media(await thaihoa.wait_for(lambda m: m["type"] == "welcome"))
        before = host.frames_from("dc-thaihoa")
        await until(lambda: host.frames_from("dc-thaihoa") > before + 5, 30, "the renegotiated tile")

        # Speaker changes come from the audio levels the districts really send.
        vinh.voice.talking = True
        await host.wait_for(speaker_is("dc-vinh"))
        vinh.voice.talking, cualo.voice.talking = False, True
        await host.wait_for(speaker_is("dc-cualo"))
        assert (await vinh.wait_for(speaker_is("dc-cualo")))["previous"] == "dc-vinh"

        # Link figures arrive every few seconds, on the socket and on the stats endpoint.
        await host.wait_for(lambda m: m["type"] == "link_stats" and any(
            q["participant"] == "dc-vinh" and q["bitrate_in_kbps"] > 0 for q in m["participants"]), 20)
        stats = {p["participant"]: p for p in chair.get(f"/api/meetings/{mid}/stats").json()["participants"]}
        assert set(stats) == {"chutoa", *DISTRICTS}
        assert stats["dc-vinh"]["link"]["bitrate_in_kbps"] > 0 and stats["dc-vinh"]["unit"] == "000.00.31.H41"

        # Cửa Lò's connection drops while it holds the floor, then it comes back and speaks again.
        # Vinh's voice must first age out of the detector's longest window (2 s), or the floor would
        # rightly go back to Vinh when Cửa Lò drops.
        await asyncio.sleep(2.5)
        await cualo.close()
        people.remove(cualo)
        await host.wait_for(lambda m: m["type"] == "participant_left" and m["participant"] == "dc-cualo")
        cualo = await joined(live_server, mid, "dc-cualo", "district", 120)
        people.append(cualo)
        cualo.voice.talking = True
        await until(lambda: sum(1 for m in host.messages if speaker_is("dc-cualo")(m)) >= 2, 20, "speaking again")
        cualo.voice.talking = False

        # Vinh leaves, the host removes Thái Hòa, then ends the meeting for everyone.
        await vinh.send(type="leave")
        # Two sockets' messages have no order between them: let Vinh's leave land before the removal.
        await host.wait_for(lambda m: m["type"] == "participant_left" and m["participant"] == "dc-vinh")
        removal = await host.send(type="remove", participant="dc-thaihoa")
        assert (await host.reply_to(removal))["type"] == "ack"
        await until(lambda: thaihoa.closed_code == 4000, 10, "the removed district's socket to close")
        assert any(m["type"] == "removed" and m["participant"] == "dc-thaihoa" for m in thaihoa.messages)
        before = host.frames_from("dc-cualo")
        await until(lambda: host.frames_from("dc-cualo") > before + 5, 20, "media to go on for the others")
        await host.send(type="end_meeting")
        await until(lambda: host.closed_code == 4001 and cualo.closed_code == 4001, 10, "everyone disconnected")
        # The bus is asynchronous: the "ended" event may reach Redis's subscribers after the sockets close.
        await until(lambda: any(t == "conference.meeting" and e.get("meeting") == mid and e.get("status") == "ended"
                                for t, e in bus.events), 10, "the meeting-ended event on the bus")
    finally:
        for person in people:
            await person.close()
        await bus.stop()

    left = [(m["participant"], m["reason"]) for m in host.messages if m["type"] == "participant_left"]
    assert left == [("dc-cualo", "disconnected"), ("dc-vinh", "left"), ("dc-thaihoa", "removed")]

    attendance = {u["participants"][0]: u for u in chair.get(f"/api/meetings/{mid}/attendance").json()["units"]}
    assert set(attendance) == {"chutoa", *DISTRICTS}
    assert [i["reason"] for i in attendance["dc-vinh"]["intervals"]] == ["left"]
    assert [i["reason"] for i in attendance["dc-thaihoa"]["intervals"]] == ["removed"]
    assert [i["reason"] for i in attendance["chutoa"]["intervals"]] == ["ended"]
    first, second = attendance["dc-cualo"]["intervals"]
    assert (first["reason"], second["reason"]) == ("disconnected", "ended")
    assert at(first["left_at"]) <= at(second["joined_at"])  # the reconnect shows as a gap
    assert attendance["dc-cualo"]["reconnects"] == 1
    assert attendance["dc-cualo"]["total_seconds"] == pytest.approx(first["seconds"] + second["seconds"])

    record = meeting_record(session, mid)
    ended = record.ended_at
    assert ended is not None and record.status == "ended"
    assert [u.short_name for u in record.absent] == ["Kỳ Sơn"]
    speaking = {s.participant: s for s in record.speaking}
    assert set(speaking) == {"dc-vinh", "dc-cualo"}
    (vinh_turn,) = speaking["dc-vinh"].turns
    cualo_first, cualo_again = speaking["dc-cualo"].turns
    assert vinh_turn.ended_at == cualo_first.started_at  # the floor passed from Vinh to Cửa Lò
    assert cualo_first.ended_at == at(first["left_at"])  # a dropped speaker stops speaking when it drops
    assert cualo_again.started_at >= at(second["joined_at"])
    assert cualo_again.ended_at is not None and cualo_again.ended_at <= ended
    assert speaking["dc-cualo"].total_seconds == pytest.approx(cualo_first.seconds + cualo_again.seconds)
    assert [a.action for a in record.host_actions] == ["start", "remove", "end"]
    assert record.host_actions[1].target == "dc-thaihoa"

    kinds = [e["kind"] for e in chair.get(f"/api/meetings/{mid}/timeline").json()["events"]]
    assert kinds[0] == "start" and kinds[-1] in ("end", "left")
    assert kinds.count("speaking_started") == 3 and kinds.count("joined") == 5

    mine = [(topic, e) for topic, e in bus.events if e.get("meeting") == mid]
    topics = {topic for topic, _ in mine}
    assert {"conference.joined", "conference.left", "conference.speaker", "conference.stats",
            "conference.action", "conference.meeting"} <= topics
    assert [e["participant"] for t, e in mine if t == "conference.speaker"] == ["dc-vinh", "dc-cualo", "dc-cualo"]
    stats = [q for t, e in mine if t == "conference.stats" for q in e["participants"]]
    assert {"participant", "bitrate_in_kbps", "bitrate_out_kbps", "loss_in_pct", "jitter_in_ms", "rtt_ms",
            "quality"} <= set(stats[0])
