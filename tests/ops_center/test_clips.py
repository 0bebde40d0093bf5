"""Event media: the snapshot and clip an operator opens, and the retention policy that removes them."""

from __future__ import annotations

import os
import time

import av
import numpy as np

from ops_center.analytics.events import MotionEvent
from ops_center.capture import Frame
from ops_center.clips import ClipWriter, prune_media
from ops_center.scene import make_schedule


def test_clip_and_snapshot_of_an_event(tmp_path):
    scene = make_schedule(9, 30)
    walker = scene.walkers[0]
    frames = [Frame(at=walker.start + i / 5, image=scene.render(walker.start + i / 5, 640, 360)) for i in range(15)]
    event = MotionEvent(camera_id="7", start=walker.start, end=walker.start + 3, frames=frames, snapshot=frames[7])
    written = []
    writer = ClipWriter(tmp_path, fps=5, on_written=lambda e, m: written.append(m))
    planned = writer.submit(event)
    writer.close()
    [media] = written
    assert media == planned
    assert media.snapshot.read_bytes()[:2] == b"\xff\xd8"
    with av.open(str(media.clip)) as clip:
        stream = clip.streams.video[0]
        assert stream.codec_context.name == "h264" and (stream.width, stream.height) == (640, 360)
        decoded = [f.to_ndarray(format="bgr24") for f in clip.decode(stream)]
    assert len(decoded) == 15
    # The clip shows the scene, not noise: its middle frame is close to what was rendered.
    assert np.abs(decoded[7].astype(int) - frames[7].image.astype(int)).mean() < 12


def test_retention_removes_old_media_then_oldest_until_under_the_cap(tmp_path):
    now = time.time()
    files = []
    for day, size in [(10, 1000), (3, 4000), (2, 4000), (1, 4000)]:
        p = tmp_path / "cam1" / f"d{day}" / f"e{day}.mp4"
        p.parent.mkdir(parents=True)
        p.write_bytes(b"x" * size)
        os.utime(p, (now - day * 86400, now - day * 86400))
        files.append(p)
    removed = prune_media(tmp_path, max_age_days=7, max_bytes=9000, now=now)
    assert removed == files[:2]  # the 10-day-old one by age, then the oldest until 8000 <= 9000
    assert [p.exists() for p in files] == [False, False, True, True]
    assert not (tmp_path / "cam1" / "d10").exists()  # emptied folders go too


def test_retention_forgets_the_media_it_deleted(settings):
    from datetime import UTC, datetime

    from core.db import engine_for, session_factory, session_scope
    from ops_center.config import OpsSettings, media_dir
    from ops_center.models import Camera, CameraEvent
    from ops_center.service import IngestService

    old = media_dir(settings) / "1" / "20260101" / "old.jpg"
    old.parent.mkdir(parents=True)
    old.write_bytes(b"\xff\xd8old")
    os.utime(old, (time.time() - 30 * 86400,) * 2)
    factory = session_factory(engine_for(settings.database_url), write=True)
    with session_scope(factory) as s:
        cam = Camera(name="c", stream_url="http://127.0.0.1:9/x.mjpg", zones=[], masks=[])
        s.add(cam)
        s.flush()
        s.add(CameraEvent(id="a" * 32, camera_id=cam.id, started_at=datetime.now(UTC), snapshot_path=str(old)))
    assert IngestService(settings, OpsSettings(retention_days=7)).apply_retention() == 1
    with session_scope(factory) as s:
        assert s.get(CameraEvent, "a" * 32).snapshot_path is None
    assert not old.exists()
