"""Fixtures for the operations-center tests: synthetic cameras on loopback and an event recorder."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from ops_center.mjpeg_server import Feed, SyntheticCameraServer
from ops_center.scene import make_schedule


class Recorder:
    """Collects what workers emit, thread-safely, and waits for a particular event."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict]] = []
        self._cond = threading.Condition()

    def __call__(self, kind: str, payload: dict) -> None:
        with self._cond:
            self.events.append((kind, payload))
            self._cond.notify_all()

    def of(self, kind: str, camera_id: str | None = None) -> list[dict]:
        with self._cond:
            return [p for k, p in self.events if k == kind and (camera_id is None or p["camera_id"] == camera_id)]

    def wait_for(self, kind: str, camera_id: str, timeout: float, after: float = 0.0) -> dict | None:
        deadline = time.time() + timeout
        with self._cond:
            while True:
                for k, p in self.events:
                    if k == kind and p["camera_id"] == camera_id and p.get("at", 0) >= after:
                        return p
                left = deadline - time.time()
                if left <= 0:
                    return None
                self._cond.wait(left)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def cameras() -> Iterator[SyntheticCameraServer]:
    """Four synthetic cameras: one to stay healthy, three to misbehave on demand."""
    feeds = [Feed(name, make_schedule(seed, 600)) for seed, name in
             enumerate(["good", "resize", "garbage", "flaky"], start=1)]
    server = SyntheticCameraServer(feeds, sub_fps=10).start()
    yield server
    server.stop()
