"""Fixtures for the endpoint tests: media workers as `giaoban up` starts them, clips encoded once per
run, meetings scheduled and started through the API, and in-process agents."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from core.settings import Settings
from endpoints.agent import AgentOptions, EndpointAgent
from endpoints.credentials import Credentials
from endpoints.server_client import ServerClient
from endpoints.sources import MediaSet, SourceSpec
from tests.conftest import DEMO_PASSWORD

NAMES = {"dc-vinh": "Điểm cầu TP Vinh", "dc-cualo": "Điểm cầu TX Cửa Lò", "dc-thaihoa": "Điểm cầu TX Thái Hòa"}


@pytest.fixture
def media_workers(settings: Settings) -> Iterator[int]:
    from conference.media.service import WorkerPool, media_run_dir

    pool = WorkerPool(media_run_dir(settings.var_dir), settings.media_workers)
    pool.start()
    # Running means listening: on a loaded machine a worker takes many seconds to start, and a web
    # process gives up on workers that do not answer within a few seconds.
    pool.wait_ready(timeout=180)
    yield settings.media_workers
    pool.stop()


@pytest.fixture(scope="session")
def clip_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A var dir whose clips every test shares (encoding them is the slow part of starting an agent)."""
    var = tmp_path_factory.mktemp("clips")
    MediaSet(NAMES["dc-vinh"], "dc-vinh", SourceSpec("test"), SourceSpec("test"), var).prepare()
    return var


def token(base_url: str, username: str) -> str:
    response = httpx.post(f"{base_url}/api/auth/login", json={"username": username, "password": DEMO_PASSWORD},
                          timeout=120)
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def api(base_url: str, username: str) -> httpx.Client:
    return httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token(base_url, username)}"},
                        timeout=30)


def live_meeting(base_url: str, invited: list[str]) -> int:
    """Schedule a meeting inviting `invited` and start it; returns its id."""
    with api(base_url, "thuky") as secretary:
        created = secretary.post("/api/meetings", json={
            "title": "Giao ban trực tuyến - thử điểm cầu", "scheduled_at": "2026-11-25T08:00:00+07:00",
            "chair": "chutoa", "secretary": "thuky", "invited": invited})
        assert created.status_code == 201, created.text
        meeting_id = created.json()["id"]
        started = secretary.post(f"/api/meetings/{meeting_id}/start")
        assert started.status_code == 200, started.text
    return meeting_id


def make_agent(base_url: str, endpoint_id: str, var_dir: Path, video: SourceSpec | None = None,
               audio: SourceSpec | None = None, password: str = DEMO_PASSWORD) -> EndpointAgent:
    media = MediaSet(NAMES.get(endpoint_id, endpoint_id), endpoint_id, video or SourceSpec("test"),
                     audio or SourceSpec("test"), var_dir)
    media.prepare()
    client = ServerClient(base_url, Credentials(endpoint_id, password, "test"))
    return EndpointAgent(client, endpoint_id, media,
                         AgentOptions(poll_interval=0.5, health_interval=1.0, sink_mode="decode"))


async def until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        await asyncio.sleep(0.1)


async def stop(*agents: EndpointAgent, tasks: list[asyncio.Task]) -> None:
    for agent in agents:
        agent.stop()
    await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 20)
