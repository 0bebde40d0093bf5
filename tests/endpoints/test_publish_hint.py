"""The endpoint agent honours `publish_hint` as browsers do: a video layer nobody receives is not
sent (the SFU would only receive, decrypt and drop it), and it comes back, decodable, as soon as
someone shows it."""

from __future__ import annotations

import asyncio

import aioice.ice
import pytest

from conference.media.client import MediaClient
from conference.media.service import media_run_dir
from tests.conference.media.test_media_end_to_end import Peer, _mid
from tests.endpoints.conftest import live_meeting, make_agent, stop, until

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]


async def test_an_unwatched_layer_pauses_and_resumes_when_a_console_shows_it(live_server, settings, media_workers,  # type: ignore[no-untyped-def]
                                                                              clip_dir, monkeypatch) -> None:
    monkeypatch.setattr(aioice.ice, "get_host_addresses", lambda use_ipv4, use_ipv6: ["127.0.0.1"])
    meeting_id = live_meeting(live_server, ["dc-vinh"])
    agent = make_agent(live_server, "dc-vinh", clip_dir)
    task = asyncio.ensure_future(agent.run())
    media = MediaClient(media_run_dir(settings.var_dir), settings.media_workers, settings.media_room_workers)
    console = Peer(publish_video=1, video_slots=2)  # the chair's console: the speaker and one tile
    try:
        # Alone in the meeting nobody shows its tile: the low layer pauses. The high one goes on:
        # the meeting is recorded, and the recorder takes every publisher's high layer.
        await until(lambda: agent.status == "in_meeting" and agent.session is not None
                    and agent.session.paused == {"low"}, 60, "the low layer paused")

        # A console shows the district's tile: the low layer comes back and decodes there.
        await media.connect()
        await console.join(media, f"meeting-{meeting_id}", "chutoa", "host", "vp8")
        await until(lambda: "low" not in agent.session.paused, 30, "the low layer resumed")
        await until(lambda: console.frames.get(_mid(console, 1), 0) >= 10, 30, "the console decoding the tile")
    finally:
        await console.pc.close()
        await media.close()
        await stop(agent, tasks=[task])
