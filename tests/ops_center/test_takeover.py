"""Two ingest processes share the cameras through Redis leases; when one is killed the other takes its
cameras over within 10 s, and the health rows show who reads each camera and how long it was dark."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid

import pytest
import redis
from sqlalchemy import select

from core.db import engine_for, session_factory, session_scope
from ops_center.mjpeg_server import Feed, SyntheticCameraServer
from ops_center.models import Camera, CameraHealthRow
from ops_center.scene import Scene

REDIS = "redis://127.0.0.1:6379/0"


def _node(name: str, namespace: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "GIAOBAN_LEASES_URL": REDIS, "GIAOBAN_LEASES_NAMESPACE": namespace,
           "GIAOBAN_OPS_NODE": name, "GIAOBAN_OPS_LEASE_TTL_S": "4", "GIAOBAN_OPS_OFFLINE_AFTER_S": "3"}
    return subprocess.Popen([sys.executable, "-m", "web.cli", "service", "ops_center"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@pytest.fixture
def namespace() -> str:
    ns = f"test-{uuid.uuid4().hex[:10]}:"
    yield ns
    client = redis.Redis.from_url(REDIS)
    keys = list(client.scan_iter(match=f"{ns}*"))
    if keys:
        client.delete(*keys)
    client.close()


def test_a_killed_ingest_process_cameras_are_taken_over(settings, namespace):
    cams = SyntheticCameraServer([Feed(f"c{i}", Scene(seed=i)) for i in range(6)], sub_fps=5).start()
    factory = session_factory(engine_for(settings.database_url), write=True)
    with session_scope(factory) as s:
        for i in range(6):
            s.add(Camera(name=f"Cam {i}", stream_url=cams.url(f"c{i}"), substream_url=cams.url(f"c{i}", "sub"),
                         zones=[], masks=[], people_fps=0.0))
    read = session_factory(engine_for(settings.database_url))

    def health() -> list[CameraHealthRow]:
        with read() as s:
            return list(s.execute(select(CameraHealthRow)).scalars())

    def wait(predicate, timeout: float):  # type: ignore[no-untyped-def]
        deadline = time.time() + timeout
        while time.time() < deadline:
            if value := predicate():
                return value
            time.sleep(0.25)
        return predicate()

    nodes = {"ingest-a": _node("ingest-a", namespace), "ingest-b": _node("ingest-b", namespace)}
    try:
        # Both read, each camera exactly once.
        spread = wait(lambda: (rows := health()) and len(rows) == 6 and all(r.state == "online" for r in rows)
                      and {r.owner for r in rows} == set(nodes) and rows, 40)
        assert spread, [(r.camera_id, r.owner, r.state) for r in health()]
        victims = {r.camera_id for r in spread if r.owner == "ingest-a"}
        killed_at = time.time()
        nodes["ingest-a"].send_signal(signal.SIGKILL)
        nodes["ingest-a"].wait(5)
        taken = wait(lambda: all(r.owner == "ingest-b" and r.state == "online"
                                 and (r.camera_id not in victims or r.takeover_gap_s is not None)
                                 for r in health()) and health(), 20)
        assert taken, [(r.camera_id, r.owner, r.state, r.takeover_gap_s) for r in health()]
        moved = [r for r in taken if r.camera_id in victims]
        assert moved and all(r.lease_token >= 2 for r in moved)
        back_online = time.time() - killed_at
        assert back_online <= 10.0 + 1.0, back_online  # + the 0.25 s polling and the database round trip
        for r in moved:
            assert 0 < r.takeover_gap_s <= 10.0, r.takeover_gap_s  # the dark stretch the dashboard shows
    finally:
        for proc in nodes.values():
            if proc.poll() is None:
                proc.terminate()
                proc.wait(10)
        cams.stop()
