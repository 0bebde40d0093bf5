"""Self-healing: a server restart (web process and media workers) mid-meeting; the agent comes back
by itself with back-off, and the meeting's attendance record shows the gap."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import datetime

import pytest
import uvicorn

from tests.conftest import free_port
from tests.endpoints.conftest import api, live_meeting, make_agent, stop, until

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]


def serve(app, port: int) -> tuple[uvicorn.Server, threading.Thread]:  # type: ignore[no-untyped-def]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           ws="websockets-sansio"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:  # a loaded machine may take long; a server that failed ends its thread
        assert thread.is_alive(), "server did not start"
        time.sleep(0.05)
    return server, thread


def sending(agent) -> bool:  # type: ignore[no-untyped-def]
    """Whether the agent is in a session sending its scene (over 300 kbit/s)."""
    session = agent.session
    return session is not None and (session.monitor.figures.get("bitrate_out_kbps") or 0) > 300


class CountingEncoders:
    """Wraps aiortc's encoder factory: how many frames this process really encoded."""

    def __init__(self, original) -> None:  # type: ignore[no-untyped-def]
        self.original, self.frames = original, 0

    def __call__(self, codec):  # type: ignore[no-untyped-def]
        encoder = self.original(codec)
        inner = encoder.encode

        def encode(frame, force_keyframe=False):  # type: ignore[no-untyped-def]
            self.frames += 1
            return inner(frame, force_keyframe)

        encoder.encode = encode
        return encoder


async def test_agent_rejoins_after_a_server_restart_and_the_record_shows_the_gap(app, settings, clip_dir,  # type: ignore[no-untyped-def]
                                                                                  monkeypatch) -> None:
    import aiortc.rtcrtpsender as aiortc_sender

    from conference.media.service import WorkerPool, media_run_dir

    encoders = CountingEncoders(aiortc_sender.get_encoder)
    monkeypatch.setattr(aiortc_sender, "get_encoder", encoders)

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    pool = WorkerPool(media_run_dir(settings.var_dir), settings.media_workers)
    pool.start()
    await asyncio.to_thread(pool.wait_ready, 180)
    server, thread = serve(app, port)
    meeting_id = live_meeting(base, ["dc-vinh"])
    agent = make_agent(base, "dc-vinh", clip_dir)
    task = asyncio.ensure_future(agent.run())
    try:
        await until(lambda: agent.status == "in_meeting", 120, "the agent in the meeting")
        await until(lambda: sending(agent), 60, "media flowing out")
        assert encoders.frames == 0  # the pre-encoded scene is sent as it is: no encoding CPU

        server.should_exit = True  # the whole server goes: web process and media workers
        await asyncio.to_thread(thread.join, 60)
        assert not thread.is_alive()
        pool.stop()
        await until(lambda: agent.status in ("reconnecting", "connecting"), 60, "the agent noticing")
        await asyncio.sleep(3)  # down for a while: the agent keeps retrying meanwhile
        assert not task.done()

        pool.start()
        await asyncio.to_thread(pool.wait_ready, 180)
        server, thread = serve(app, port)
        await until(lambda: agent.status == "in_meeting" and agent.outages and agent.outages[-1].ended, 120,
                    "the agent back in the meeting")
        assert len(agent.outages) == 1 and agent.outages[-1].seconds is not None, agent.outages
        await until(lambda: sending(agent), 60, "media flowing again")

        with api(base, "thuky") as secretary:
            record = secretary.get(f"/api/meetings/{meeting_id}/attendance").json()
        vinh = next(u for u in record["units"] if "dc-vinh" in u["participants"])
        intervals = vinh["intervals"]
        assert len(intervals) >= 2 and vinh["reconnects"] >= 1
        first, last = intervals[0], intervals[-1]
        assert first["left_at"] is not None and last["left_at"] is None
        gap = datetime.fromisoformat(last["joined_at"]) - datetime.fromisoformat(first["left_at"])
        assert gap.total_seconds() >= 3  # the outage is visible in the record
    finally:
        await stop(agent, tasks=[task])
        server.should_exit = True
        await asyncio.to_thread(thread.join, 15)
        pool.stop()


async def test_agent_rejoins_after_its_media_worker_is_killed(live_server, settings, clip_dir,  # type: ignore[no-untyped-def]
                                                              monkeypatch) -> None:
    import endpoints.session
    from conference.media.placement import worker_for_participant
    from conference.media.service import WorkerPool, media_run_dir

    # This is the server's renegotiation on the same socket once the worker is back. On a loaded
    # machine the restart can take longer than the agent's own 5 s silence watchdog, which would
    # then rejoin on a new socket instead (also correct, but not what is tested here).
    monkeypatch.setattr(endpoints.session, "MEDIA_SILENCE_S", 600.0)

    pool = WorkerPool(media_run_dir(settings.var_dir), settings.media_workers)
    pool.start()
    await asyncio.to_thread(pool.wait_ready, 180)
    meeting_id = live_meeting(live_server, ["dc-vinh"])
    agent = make_agent(live_server, "dc-vinh", clip_dir)
    task = asyncio.ensure_future(agent.run())
    try:
        await until(lambda: agent.status == "in_meeting", 120, "the agent in the meeting")
        # Kill the worker holding dc-vinh's session, as a crash would; the pool restarts it (the
        # service's loop does this every second under `giaoban up`).
        index = worker_for_participant("dc-vinh", settings.media_workers, f"meeting-{meeting_id}",
                                       settings.media_room_workers)
        worker = pool.processes[index]
        assert worker is not None
        worker.kill()
        killed_at = time.time()
        back_at = None  # when the restarted worker listens again: the server asks for a new offer after that
        while not (agent.outages and agent.outages[-1].ended):
            pool.check()
            if back_at is None and pool.processes[index] is not worker:
                await asyncio.to_thread(pool.wait_ready, 180)
                back_at = time.time()
            await asyncio.sleep(0.2)
            assert time.time() - killed_at < 180, f"not back after 180 s: {agent.last_error}"
        # The server saw the worker go and asked for a new offer on the same socket.
        outage = agent.outages[-1]
        assert outage.reason.startswith("media session lost on the server")
        # Counted from when its media stopped, not from the request (which came once the worker was back).
        assert back_at is not None and killed_at - 1 <= outage.started <= back_at, (killed_at, outage, back_at)
        await until(lambda: sending(agent), 60, "media flowing again")
        assert len(agent.outages) == 1, agent.outages  # one outage: the renegotiation did not fail and rejoin
        with api(live_server, "thuky") as secretary:
            record = secretary.get(f"/api/meetings/{meeting_id}/attendance").json()
        vinh = next(u for u in record["units"] if "dc-vinh" in u["participants"])
        assert vinh["reconnects"] >= 1 and vinh["intervals"][-1]["left_at"] is None
        # The record's gap begins when the worker died, not when the participant came back on it.
        first, last = vinh["intervals"][0], vinh["intervals"][-1]
        left, back = datetime.fromisoformat(first["left_at"]).timestamp(), datetime.fromisoformat(last["joined_at"])
        assert killed_at - 1 <= left <= back_at, (killed_at, left, back_at)
        assert back.timestamp() - left >= 0.5
    finally:
        await stop(agent, tasks=[task])
        pool.stop()


async def test_a_second_renegotiate_while_negotiating_starts_over(app, live_server, media_workers, clip_dir,  # type: ignore[no-untyped-def]
                                                                  monkeypatch) -> None:
    """The server may ask for a new offer while the agent is negotiating one (the session being
    set up was lost too). The agent offers again; it must not wait on for the answer to the
    offer it gave up, which a negotiation started inside it had read: that cost a lost session
    and a rejoin after the reply timeout."""
    import endpoints.session
    from core.protocols.signaling import Renegotiate

    monkeypatch.setattr(endpoints.session, "REPLY_TIMEOUT_S", 3.0)  # the bug showed after this long
    meeting_id = live_meeting(live_server, ["dc-vinh"])
    agent = make_agent(live_server, "dc-vinh", clip_dir)
    task = asyncio.ensure_future(agent.run())
    try:
        await until(lambda: sending(agent), 120, "the agent in the meeting, sending")
        hub = app.state.conference_hub
        conn = hub.meetings[meeting_id].connections["dc-vinh"]
        for _ in range(2):
            hub.loop.call_soon_threadsafe(conn.send, Renegotiate(reason="media_failed"))
        await until(lambda: agent.outages and agent.outages[-1].ended, 60, "the agent renegotiated")
        await asyncio.sleep(endpoints.session.REPLY_TIMEOUT_S + 1)
        assert agent.status == "in_meeting" and len(agent.outages) == 1, (agent.status, agent.outages)
        assert sending(agent)
    finally:
        await stop(agent, tasks=[task])
