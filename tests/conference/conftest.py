"""Fixtures for the conference tests: the media workers, started the way `giaoban up` starts them."""

from __future__ import annotations

import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis as sync_redis

from core.settings import Settings
from tests.conftest import free_port

REDIS = "redis://127.0.0.1:6379/0"


@pytest.fixture
def media_workers(settings: Settings) -> Iterator[int]:
    """`settings.media_workers` worker processes on the run directory the web process looks in."""
    from conference.media.service import WorkerPool, media_run_dir

    pool = WorkerPool(media_run_dir(settings.var_dir), settings.media_workers)
    pool.start()
    # Running means listening: on a loaded machine a worker takes many seconds to start, and a web
    # process gives up on workers that do not answer within a few seconds.
    pool.wait_ready(timeout=180)
    yield settings.media_workers
    pool.stop()


def redis_up() -> bool:
    try:
        return bool(sync_redis.Redis.from_url(REDIS, socket_connect_timeout=1).ping())
    except sync_redis.exceptions.ConnectionError:
        return False


@pytest.fixture
def namespace() -> Iterator[str]:
    prefix = f"giaoban-test-{uuid.uuid4().hex[:10]}:"
    yield prefix
    if redis_up():
        r = sync_redis.Redis.from_url(REDIS)
        keys = list(r.scan_iter(match=f"{prefix}*", count=500))
        if keys:
            r.delete(*keys)


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[tuple[int, Any]]:
    """A Redis server of the test's own (no persistence), and a way to restart it."""
    port = free_port()
    procs: list[subprocess.Popen[bytes]] = []

    def start() -> None:
        procs.append(subprocess.Popen(["redis-server", "--port", str(port), "--save", "", "--appendonly", "no",
                                       "--dir", str(tmp_path)], stdout=subprocess.DEVNULL))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if sync_redis.Redis(port=port, socket_connect_timeout=0.5).ping():
                    return
            except sync_redis.exceptions.ConnectionError:
                time.sleep(0.05)
        raise AssertionError("redis-server did not start")

    def stop() -> None:
        procs[-1].kill()
        procs[-1].wait()

    start()
    yield port, (start, stop)
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
