"""The ingest process end to end: cameras from the registry, events and alerts in the database."""

from __future__ import annotations

import asyncio
import threading
import time

from sqlalchemy import select

from core.db import engine_for, session_factory, session_scope
from ops_center.config import OpsSettings
from ops_center.mjpeg_server import Feed, SyntheticCameraServer
from ops_center.models import Alert, Camera, CameraEvent, CameraHealthRow
from ops_center.scene import Scene, Walker
from ops_center.service import IngestService
from ops_center.synthetic import BANNER_MASK


def _wait(predicate, timeout: float):  # type: ignore[no-untyped-def]
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    return predicate()


def test_ingest_service_records_events_health_and_offline_alerts(settings, tmp_path):
    scene = Scene(seed=3, walkers=[Walker(start=2.0, end=6.0, y=0.85, height=0.4)])
    cams = SyntheticCameraServer([Feed("a", scene)], epoch=time.time() + 1.0).start()
    factory = session_factory(engine_for(settings.database_url), write=True)
    with session_scope(factory) as s:
        cam = Camera(name="Sảnh", stream_url=cams.url("a"), substream_url=cams.url("a", "sub"),
                     zones=[], masks=[BANNER_MASK])
        s.add(cam)
        s.flush()
        cam_id = cam.id
    service = IngestService(settings, OpsSettings(offline_after_s=3.0))
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    runner = threading.Thread(target=lambda: loop.run_until_complete(service.run(stop)), daemon=True)
    runner.start()
    read = session_factory(engine_for(settings.database_url))

    def one(model, *where):  # type: ignore[no-untyped-def]
        with read() as s:
            return s.execute(select(model).where(*where)).scalars().first()

    try:
        health = _wait(lambda: (h := one(CameraHealthRow, CameraHealthRow.camera_id == cam_id))
                       and h.state == "online" and h.resolution and h, 15)
        assert health and health.resolution == "640x360" and health.fps > 5
        event = _wait(lambda: (e := one(CameraEvent, CameraEvent.camera_id == cam_id)) and e.ended_at and e, 20)
        assert event, "the walker's crossing was not recorded"
        assert 3.0 <= (event.ended_at - event.started_at).total_seconds() <= 6.0
        assert _wait(lambda: one(CameraEvent, CameraEvent.id == event.id).snapshot_path, 10)

        cams.set_faults("a", down=True)
        alert = _wait(lambda: one(Alert, Alert.kind == "camera_offline"), 15)
        assert alert and alert.status == "open" and "Sảnh" in alert.title
        assert one(CameraHealthRow, CameraHealthRow.camera_id == cam_id).state == "offline"

        cams.set_faults("a", down=False)
        assert _wait(lambda: one(Alert, Alert.id == alert.id).status == "resolved", 20), "recovery not recorded"
    finally:
        loop.call_soon_threadsafe(stop.set)
        runner.join(15)
        cams.stop()


def test_a_signal_that_cannot_be_stored_does_not_cost_the_others(settings):
    factory = session_factory(engine_for(settings.database_url), write=True)
    with session_scope(factory) as s:
        cam = Camera(name="Sảnh", stream_url="http://127.0.0.1:9/x.mjpg", zones=[], masks=[])
        s.add(cam)
        s.flush()
        cam_id = cam.id
    now = time.time()
    published = IngestService(settings, OpsSettings())._store([
        # A camera deleted while its worker still ran:
        ("motion.start", {"camera_id": "999", "event_id": "x" * 32, "start": now, "at": now}),
        ("motion.start", {"camera_id": str(cam_id), "event_id": "y" * 32, "start": now, "at": now}),
    ])
    assert [(t, p["camera_id"]) for t, p in published] == [("ops.motion.start", str(cam_id))]
    with session_factory(engine_for(settings.database_url))() as s:
        assert [e.id for e in s.execute(select(CameraEvent)).scalars()] == ["y" * 32]
