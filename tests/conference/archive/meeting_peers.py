"""Participants of a recorded meeting through the real signaling socket, for the archive tests."""

from __future__ import annotations

import asyncio
import time

import httpx

from tests.conference.rtc_peer import Participant, login_token, until


def api(base_url: str, username: str) -> httpx.Client:
    return httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {login_token(base_url, username)}"},
                        timeout=30)


async def joined(base_url: str, meeting_id: int, username: str, role: str, shade: int) -> tuple[Participant, float]:
    """The participant, and when its media connection came up."""
    person = Participant(base_url, meeting_id, username, shade)
    await person.open()
    await person.connect_media(await person.join(role))
    pc = person.pc
    assert pc is not None
    seen: list[float] = [time.time()] if pc.connectionState == "connected" else []

    @pc.on("connectionstatechange")
    def _state() -> None:
        if pc.connectionState == "connected" and not seen:
            seen.append(time.time())

    await until(lambda: bool(seen), 30, "media connected")
    return person, seen[0]


def speaker_is(pid: str):  # type: ignore[no-untyped-def]
    return lambda m: m["type"] == "speaker" and m["participant"] == pid


async def run_recorded_meeting(base_url: str) -> int:
    """A three-party meeting with two speaking turns, ended and sealed: its id."""
    secretary, chair = api(base_url, "thuky"), api(base_url, "chutoa")
    mid = secretary.post("/api/meetings", json={
        "title": "Giao ban trực tuyến có ghi hình", "scheduled_at": "2026-12-06T08:00:00+07:00",
        "chair": "chutoa", "secretary": "thuky", "invited": ["dc-vinh", "dc-cualo"],
        "agenda": [{"title": "Báo cáo tình hình", "minutes": 1}, {"title": "Ý kiến các địa phương"}]}).json()["id"]
    chair.post(f"/api/meetings/{mid}/start")
    people: list[Participant] = []
    try:
        for name, role, shade in (("chutoa", "host", 200), ("dc-vinh", "district", 60), ("dc-cualo", "district", 120)):
            person, _ = await joined(base_url, mid, name, role, shade)
            people.append(person)
        host, vinh, cualo = people
        await asyncio.sleep(2)
        vinh.voice.talking = True
        await host.wait_for(speaker_is("dc-vinh"))
        await asyncio.sleep(4)
        vinh.voice.talking, cualo.voice.talking = False, True
        await host.wait_for(speaker_is("dc-cualo"))
        await asyncio.sleep(5)
        await host.send(type="end_meeting")
        await until(lambda: host.closed_code == 4001, 10, "the end")
    finally:
        for person in people:
            await person.close()
    deadline = time.time() + 60
    while chair.get(f"/api/meetings/{mid}/archive").json()["state"] != "sealed":
        assert time.time() < deadline, "archive not sealed"
        await asyncio.sleep(0.5)
    return mid
