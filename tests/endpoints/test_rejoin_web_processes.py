"""The endpoint agent on two web processes sharing a port (SO_REUSEPORT, the live state in Redis):
the process holding its socket is killed with SIGKILL; the agent rejoins by itself, lands on the
other process, sends its media again, and the record keeps one attendance interval (it was back
within the grace period)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest
import redis as sync_redis

from conference.journal import Attendance
from core.settings import Settings
from tests.conference.conftest import REDIS, redis_up
from tests.conference.conftest import namespace as namespace  # noqa: F401 (the fixture: a key prefix per test)
from tests.conference.test_web_processes import _rows, _schedule
from tests.conference.web_processes import WebProcess, token, web_env
from tests.conftest import free_port
from tests.endpoints.conftest import make_agent, stop, until
from tests.endpoints.test_rejoin import sending

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300),
              pytest.mark.skipif(not redis_up(), reason="needs Redis at 127.0.0.1:6379")]


async def test_agent_resumes_on_the_surviving_web_process(settings: Settings, namespace: str, media_workers: int,
                                                          clip_dir: Path, tmp_path: Path) -> None:
    port = free_port()
    env = web_env(settings, REDIS, namespace)
    web = [WebProcess(env, port, tmp_path / f"web-{n}.log", reuse_port=True) for n in (1, 2)]
    store = sync_redis.Redis.from_url(REDIS)
    agent = task = None
    try:
        for process in web:
            await asyncio.to_thread(process.wait_ready)
        base = web[0].base
        bearer = await asyncio.to_thread(token, base, "thuky")  # a login may take seconds on a busy machine
        meeting_id = await asyncio.to_thread(_schedule, base, bearer, ["dc-vinh"])
        started = await asyncio.to_thread(httpx.post, f"{base}/api/meetings/{meeting_id}/start",
                                          headers={"Authorization": f"Bearer {bearer}"}, timeout=60)
        assert started.status_code == 200, started.text
        agent = make_agent(base, "dc-vinh", clip_dir)
        task = asyncio.ensure_future(agent.run())
        await until(lambda: agent.status == "in_meeting" and sending(agent), 120, "the agent sending")

        def owner() -> str:
            seat = store.hget(f"{namespace}live:{meeting_id}", "seat:dc-vinh")
            return str(json.loads(seat)["owner"]) if seat else ""

        holder = next(p for p in web if f"-{p.proc.pid}-" in owner())
        survivor = next(p for p in web if p is not holder)
        await asyncio.to_thread(holder.kill)
        await until(lambda: f"-{survivor.proc.pid}-" in owner(), 60, "the seat taken over on the other process")
        await until(lambda: agent.status == "in_meeting" and sending(agent), 60, "the agent sending again")
        rows = [row for row in _rows(settings, Attendance, meeting_id) if row.participant == "dc-vinh"]
        assert len(rows) == 1 and rows[0].left_at is None  # resumed within the grace period: no gap
    finally:
        if agent is not None and task is not None:
            await stop(agent, tasks=[task])
        for process in web:
            await asyncio.to_thread(process.stop)
