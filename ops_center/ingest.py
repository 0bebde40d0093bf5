"""The set of camera workers, their health monitor, and the shared clip writer."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from ops_center.analytics.events import MotionEvent
from ops_center.clips import ClipWriter, EventMedia
from ops_center.latest_picture import LatestPictures
from ops_center.worker import CameraConfig, CameraWorker, Emit

log = logging.getLogger(__name__)


class IngestSupervisor:
    """Keeps one worker per configured camera and watches all of them for silence.

    The monitor, not the reader, declares a camera offline: a reader can sit in
    a blocking read for seconds, but the monitor ticks twice a second.
    """

    def __init__(self, emit: Emit, media_dir: Path, *, offline_after_s: float = 5.0,
                 health_every_s: float = 2.0, clips: bool = True, people: bool = True,
                 clip_fps: float = 5.0) -> None:
        self.emit = emit
        self.offline_after_s = offline_after_s
        self.health_every_s = health_every_s
        self.people = people
        self.workers: dict[str, CameraWorker] = {}
        self.clip_writer = ClipWriter(media_dir, clip_fps, on_written=self._media_written, clips=clips)
        self.pictures = LatestPictures(media_dir)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._monitor = threading.Thread(target=self._watch, name="camera-monitor", daemon=True)

    def start(self) -> IngestSupervisor:
        self._monitor.start()
        return self

    def apply(self, configs: list[CameraConfig]) -> None:
        """Start, restart (config changed) and stop workers to match ``configs``."""
        wanted = {c.id: c for c in configs}
        with self._lock:
            leaving = [self.workers.pop(cid) for cid in list(self.workers)
                       if cid not in wanted or self.workers[cid].config != wanted[cid]]
            for w in leaving:
                w.request_stop()
            if leaving:
                # A reader may sit in a blocking read for seconds: let them finish in the background,
                # so that whoever applies (the ownership round renewing leases) is not held up.
                threading.Thread(target=lambda: [w.stop() for w in leaving], name="camera-stopper",
                                 daemon=True).start()
            for cid, config in wanted.items():
                if cid not in self.workers:
                    self.workers[cid] = CameraWorker(config, self.emit, self.clip_writer, pictures=self.pictures,
                                                     offline_after_s=self.offline_after_s,
                                                     people=self.people).start()

    def stop(self) -> None:
        self._stop.set()
        with self._lock:
            workers = list(self.workers.values())
            self.workers.clear()
        for w in workers:
            w.request_stop()  # all at once: each may sit in a read for seconds
        for w in workers:
            w.stop()
        self._monitor.join(3)
        self.clip_writer.close()

    def _watch(self) -> None:
        next_report = 0.0
        while not self._stop.wait(0.5):
            now = time.time()
            with self._lock:
                workers = list(self.workers.values())
            for w in workers:
                w.announce(w.health.check(now))
            if now >= next_report:
                next_report = now + self.health_every_s
                for w in workers:
                    w.send("camera.health", {"at": now, **w.health.snapshot(now)})

    def _media_written(self, event: MotionEvent, media: EventMedia) -> None:
        self.emit("event.media", {"camera_id": event.camera_id, "event_id": event.id,
                                  "snapshot": str(media.snapshot) if media.snapshot else None,
                                  "clip": str(media.clip) if media.clip else None})
